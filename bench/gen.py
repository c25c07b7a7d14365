#!/usr/bin/python3
"""Write a synthetic probability file the way a numpy user dumps one.

Usage: gen.py ROWS CLASSES OUT.csv [SEED]

Logits are drawn so the model is accurate but overconfident, labels are
drawn from a tempered version of the predicted distribution, and every
probability is printed with %.6g, like np.savetxt(fmt='%.6g').
"""
import sys

import numpy as np


def main():
    rows, k, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 12345
    rng = np.random.default_rng(seed)
    chunk = max(1, min(rows, 2_000_000 // k))
    with open(out, "w") as f:
        f.write("label," + ",".join("p_%d" % j for j in range(k)) + "\n")
        done = 0
        while done < rows:
            n = min(chunk, rows - done)
            z = rng.normal(0.0, 1.0, size=(n, k))
            z[np.arange(n), rng.integers(0, k, size=n)] += 4.0
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            # the truth follows the model at temperature 1.5: overconfident
            q = np.exp((z - z.max(axis=1, keepdims=True)) / 1.5)
            q /= q.sum(axis=1, keepdims=True)
            u = rng.random(n)[:, None]
            y = (q.cumsum(axis=1) < u).sum(axis=1).clip(0, k - 1)
            data = np.column_stack([y, p])
            np.savetxt(f, data, fmt=["%d"] + ["%.6g"] * k, delimiter=",")
            done += n


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Write the same predictions as NumPy arrays and as a %.6g CSV.

Usage: gen_npy.py ROWS CLASSES DIR [SEED]

DIR/probs.npy holds float32 probabilities (n, K), DIR/labels.npy int64
labels (n,), and DIR/same.csv the same float32 values printed with %.6g
(what np.savetxt(fmt='%.6g') writes), with the labels first.  The model
is accurate but overconfident, as in gen.py.
"""
import os
import sys

import numpy as np


def main():
    rows, k, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 12345
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.0, size=(rows, k))
    z[np.arange(rows), rng.integers(0, k, size=rows)] += 4.0
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    q = np.exp((z - z.max(axis=1, keepdims=True)) / 1.5)
    q /= q.sum(axis=1, keepdims=True)
    u = rng.random(rows)[:, None]
    y = (q.cumsum(axis=1) < u).sum(axis=1).clip(0, k - 1).astype(np.int64)
    p32 = p.astype(np.float32)
    np.save(os.path.join(out, "probs.npy"), p32)
    np.save(os.path.join(out, "labels.npy"), y)
    with open(os.path.join(out, "same.csv"), "w") as f:
        f.write("label," + ",".join("p_%d" % j for j in range(k)) + "\n")
        np.savetxt(f, np.column_stack([y, p32.astype(np.float64)]),
                   fmt=["%d"] + ["%.6g"] * k, delimiter=",")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The job `calib metrics FILE` does, written the way users do it today:
pandas.read_csv, then numpy.  The comparison point for bench/run.sh.

Usage: pandas_metrics.py FILE [BINS]
Prints the same numbers as `calib metrics -f json` (15 equal-width bins on
the top-label confidence; numpy's own bin assignment, np.ceil(c*M)).
"""
import json
import sys

import numpy as np
import pandas as pd


def binned(score, hit, m):
    idx = np.clip(np.ceil(score * m).astype(np.int64) - 1, 0, m - 1)
    w = np.bincount(idx, minlength=m).astype(float)
    s = np.bincount(idx, weights=score, minlength=m)
    o = np.bincount(idx, weights=hit, minlength=m)
    ne = w > 0
    gap = np.abs(o[ne] / w[ne] - s[ne] / w[ne])
    conf = s[ne] / w[ne]
    acc = o[ne] / w[ne]
    n = score.size
    ece = float(np.sum(w[ne] / n * gap))
    rms = float(np.sqrt(np.sum(w[ne] / n * gap ** 2)))
    mce = float(gap.max())
    oe = float(np.sum(w[ne] / n * conf * np.maximum(conf - acc, 0)))
    return ece, rms, mce, oe


def main():
    path = sys.argv[1]
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    df = pd.read_csv(path)
    y = df["label"].to_numpy()
    p = df.drop(columns=["label"]).to_numpy(dtype=np.float64)
    n, k = p.shape
    pred = p.argmax(axis=1)
    conf = p[np.arange(n), pred]
    correct = (pred == y).astype(float)
    ece, rms, mce, oe = binned(conf, correct, m)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    cw = float(np.mean([binned(p[:, j], onehot[:, j], m)[0] for j in range(k)]))
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    nll = float(-np.mean(logp[np.arange(n), y]))
    brier = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    ent = float(np.mean(-np.sum(np.where(p > 0, p * logp, 0.0), axis=1)))
    print(json.dumps({
        "file": path, "n": n, "classes": k, "accuracy": float(correct.mean()),
        "mean_confidence": float(conf.mean()),
        "overconfidence": float(conf.mean() - correct.mean()),
        "ece": ece, "mce": mce, "rmsce": rms, "classwise_ece": cw, "oe": oe,
        "nll": nll, "brier": brier, "brier_per_class": brier / k,
        "entropy": ent}))


if __name__ == "__main__":
    main()

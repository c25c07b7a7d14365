#!/usr/bin/env python3
"""gen-conv-edges.py - writes tests/data/conv-edges.csv, the edge cases the
conventions are checked on (tests/conventions.sh): top-label confidences
exactly on the bin edges each library computes for M = 10 and 15 (the
doubles j/M and j*(1/M), torch's float32 linspace, float32(j/M)), their
nextafter neighbours, exactly 1.0 with zeros elsewhere, and ties (values
repeated, a row whose two largest classes are equal).  12 classes, so every
confidence above 1/12 can be the largest; the rest of each row is shared
equally by the other classes.  Run it from the source tree to regenerate
the file; the output is deterministic."""
import numpy as np

K = 12
vals = set()
for m in (10, 15):
    step32 = np.float32(1) / np.float32(m)
    for j in range(1, m + 1):
        e32 = (np.float32(0) + step32 * np.float32(j) if j < (m + 1) // 2
               else np.float32(1) - step32 * np.float32(m - j))
        for v in (j / m, j * (1.0 / m), float(e32), float(np.float32(j / m))):
            for w in (v, np.nextafter(v, 0), np.nextafter(v, 2)):
                if 1.0 / K < w <= 1.0:
                    vals.add(float(w))
vals = sorted(vals)
rows = []
for i, c in enumerate(vals):
    rest = (1.0 - c) / (K - 1)
    p = [rest] * K
    top = i % K
    p[top] = c
    # about two thirds right; the wrong ones name the next class
    label = top if i % 3 else (top + 1) % K
    rows.append((label, p))
# ties between rows: the same confidence four more times
for c in (0.5, 0.7, 0.7, 0.7, 0.30000000000000004, 0.3):
    p = [(1.0 - c) / (K - 1)] * K
    p[0] = c
    rows.append((len(rows) % 2, p))
# a row tied within itself, and exact zeros with 1.0
p = [0.0] * K
p[3] = p[4] = 0.5
rows.append((4, p))
for lab in (0, 5):
    p = [0.0] * K
    p[0] = 1.0
    rows.append((lab, p))
with open('tests/data/conv-edges.csv', 'w') as f:
    f.write('label,' + ','.join('p_%d' % k for k in range(K)) + '\n')
    for lab, p in rows:
        f.write('%d,%s\n' % (lab, ','.join(repr(float(x)) for x in p)))

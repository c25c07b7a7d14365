#!/usr/bin/env python3
"""conv-ref.py - independent numpy re-implementations of the binning rules
of the libraries calib's --convention presets reproduce, compared with what
calib prints.

    conv-ref.py CALIB FILE M [M...]

For every convention, binning and M it runs `calib metrics -f json` and
prints one line per compared number: "ok DESCRIPTION" or "not ok
DESCRIPTION: got X, want Y".  Double peers must agree within 1e-12, float32
peers exactly (the float32 value the peer's own arithmetic gives).

Each function below restates one library's documented rule from its source
(versions in the README's conventions table); none of them calls calib's
code.  Top-label semantics throughout: confidence = the largest probability
(lowest class index on ties), correct = [argmax = label]; a one-column
binary file is read as the two columns (1 - p, p), as the peers' multiclass
entry points would see it.
"""
import csv
import gzip
import json
import subprocess
import sys
from fractions import Fraction

import numpy as np

F32 = np.float32


def read(path):
    op = gzip.open if open(path, 'rb').read(2) == b'\x1f\x8b' else open
    with op(path, 'rt', newline='') as f:
        rows = list(csv.reader(f))
    head = rows[0]
    lab = head.index('label')
    cols = [i for i, h in enumerate(head) if i != lab and h != 'weight']
    labels = np.array([int(r[lab]) for r in rows[1:]])
    x = np.array([[float(r[i]) for i in cols] for r in rows[1:]])
    names = [head[i] for i in cols]
    if len(cols) == 1:
        if names[0] == 'logit':
            x = 1 / (1 + np.exp(-x))
        x = np.hstack([1 - x, x])
    elif names[0].startswith('logit_'):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        # calib sums the exponentials left to right, as cumsum does
        x = e / np.cumsum(e, axis=1)[:, -1:]
    return x, labels


# ---- calib: exact membership, checked with rationals ------------------

def calib_exact(conf, correct, m):
    idx = np.empty(len(conf), dtype=int)
    for i, c in enumerate(conf):
        q = Fraction(float(c)) * m
        b = -(-q.numerator // q.denominator)  # ceil
        idx[i] = min(max(b, 1), m) - 1
    return plain_ece(conf, correct, idx, m)


def plain_ece(conf, correct, idx, nb):
    n = len(conf)
    ece = mce = 0.0
    for j in range(nb):
        sel = idx == j
        if sel.any():
            gap = abs(correct[sel].mean() - conf[sel].mean())
            ece += sel.sum() / n * gap
            mce = max(mce, gap)
    return {'ece': ece, 'mce': mce}


# ---- torchmetrics: multiclass_calibration_error, float32 --------------

def torch_linspace32(steps):
    """torch.linspace(0, 1, steps) on the CPU: step = 1/(steps-1) in float,
    start + step*i for the first half, end - step*(steps-1-i) after."""
    step = F32(1) / F32(steps - 1)
    half = steps // 2
    out = np.empty(steps, dtype=F32)
    for i in range(steps):
        if i < half:
            out[i] = F32(0) + step * F32(i)
        else:
            out[i] = F32(1) - step * F32(steps - i - 1)
    return out


def float32_sums(c32, a32, idx, nb):
    count = np.zeros(nb, dtype=F32)
    conf = np.zeros(nb, dtype=F32)
    acc = np.zeros(nb, dtype=F32)
    np.add.at(count, idx, F32(1))      # scatter_add_, in row order
    np.add.at(conf, idx, c32)
    np.add.at(acc, idx, a32)
    return count, conf, acc


def torchmetrics(conf, correct, m):
    c32 = conf.astype(F32)
    a32 = correct.astype(F32)
    edges = torch_linspace32(m + 1)
    # torch.bucketize(right=True) - 1: the bins are [lo, hi), and 1.0
    # lands in bin m, one past the last
    idx = np.searchsorted(edges, c32, side='right') - 1
    count, cs, accs = float32_sums(c32, a32, idx, m + 1)
    with np.errstate(invalid='ignore', divide='ignore'):
        cb = np.nan_to_num(cs / count)
        ab = np.nan_to_num(accs / count)
    prop = count / count.sum()
    ece = l2 = F32(0)
    for j in range(m + 1):            # summed bin by bin in float
        ece = F32(ece + F32(abs(ab[j] - cb[j]) * prop[j]))
        d = F32(ab[j] - cb[j])
        l2 = F32(l2 + F32(F32(d * d) * prop[j]))
    rms = np.sqrt(l2) if l2 > 0 else F32(0)
    return {'ece': float(ece), 'mce': float(np.max(np.abs(ab - cb))),
            'rmsce': float(rms)}


# ---- TensorFlow Probability: expected_calibration_error, float32 ------

def tfp(conf, correct, m):
    p = conf.astype(F32)
    # tf.histogram_fixed_width_bins(p, [0., 1.], m): floor(m * p), clipped
    idx = np.clip(np.floor(F32(m) * p), 0, m - 1).astype(int)
    count, psum, hits = float32_sums(p, correct.astype(F32), idx, m)
    tiny = np.finfo(F32).tiny
    pmean = psum / (count + tiny)
    pcorrect = hits / (count + tiny)
    pbins = count / count.sum()
    ece = F32(0)
    for j in range(m):
        ece = F32(ece + F32(pbins[j] * abs(pcorrect[j] - pmean[j])))
    return {'ece': float(ece)}


# ---- netcal: ECE/MCE of netcal.metrics, equal_intervals=True ----------

def netcal(probs, labels, m, positive=False):
    eps = np.finfo(np.float64).eps
    x = np.clip(probs, eps, 1 - eps)
    if positive:
        # a 1-D X: every prediction is "1", matched = [y = 1]
        matched = (labels == 1).astype(float)
        x = x[:, 1]
    else:
        matched = (np.argmax(x, axis=1) == labels).astype(float)
        x = np.max(x, axis=1)
    edges = np.linspace(0.0, 1.0, m + 1)
    # numpy histogramdd / scipy binned_statistic_dd: [lo, hi), the last
    # edge closed
    idx = np.searchsorted(edges, x, side='right') - 1
    idx[x == edges[-1]] = m - 1
    n = len(x)
    ece = 0.0
    dev = np.zeros(m)
    for j in range(m):
        sel = idx == j
        if sel.any():
            dev[j] = abs(matched[sel].mean() - x[sel].mean())
            ece += dev[j] * (sel.sum() / n)
    return {'ece': ece, 'mce': dev.max()}


# ---- scikit-learn: calibration_curve, log_loss, brier_score_loss ------

def sklearn_curve_ece(conf, correct, m, strategy):
    if strategy == 'quantile':
        quantiles = np.linspace(0, 1, m + 1)
        bins = np.percentile(conf, quantiles * 100)
    else:
        bins = np.linspace(0.0, 1.0, m + 1)
    binids = np.searchsorted(bins[1:-1], conf)
    bin_sums = np.bincount(binids, weights=conf, minlength=len(bins))
    bin_true = np.bincount(binids, weights=correct, minlength=len(bins))
    bin_total = np.bincount(binids, minlength=len(bins))
    nonzero = bin_total != 0
    prob_true = bin_true[nonzero] / bin_total[nonzero]
    prob_pred = bin_sums[nonzero] / bin_total[nonzero]
    w = bin_total[nonzero] / len(conf)
    return {'ece': float(np.sum(np.abs(prob_true - prob_pred) * w)),
            'mce': float(np.max(np.abs(prob_true - prob_pred)))}


def sklearn_log_loss(probs, labels):
    eps = np.finfo(probs.dtype).eps
    y = np.clip(probs, eps, 1 - eps)
    y = y / y.sum(axis=1)[:, np.newaxis]
    return float(np.mean(-np.log(y[np.arange(len(labels)), labels])))


def sklearn_brier(probs, labels):
    if probs.shape[1] != 2:
        y = np.eye(probs.shape[1])[labels]
        return float(np.mean(np.sum((probs - y) ** 2, axis=1)))
    return float(np.mean((probs[:, 1] - (labels == 1)) ** 2))


# ---- relplot: binnedECE ------------------------------------------------

def relplot(conf, correct, m):
    bin_size = 1.0 / m
    bi = (conf / bin_size).astype(int)
    r = conf - correct
    bins = np.zeros(int(1 / bin_size) + 1)
    np.add.at(bins, bi, r)
    return {'ece': float(np.abs(bins).sum() / len(conf))}


# ---- uncertainty-calibration (Kumar et al.): get_ece, get_ece_em ------

def kumar(conf, correct, m, mass):
    if mass:
        s = sorted(conf)
        parts = min(m, len(s))
        chunks = np.array_split(s, parts)
        edges = [(chunks[i][-1] + chunks[i + 1][0]) / 2.0
                 for i in range(len(chunks) - 1)]
        edges.append(1.0)
        edges = sorted(set(edges))
    else:
        edges = [i * 1.0 / m for i in range(1, m + 1)]
    idx = np.searchsorted(edges, conf)       # bisect_left
    n = len(conf)
    ce = 0.0
    for j in range(len(edges)):
        sel = idx == j
        if sel.any():
            ce += sel.sum() / n * abs(np.mean(conf[sel]) - np.mean(correct[sel]))
    return {'ece': ce}


def kumar_marginal(probs, labels, m, mass):
    """get_ece(..., mode='marginal'), p = 1: the mean over classes of the
    ECE of column k against [y = k] - calib's classwise ECE."""
    k = probs.shape[1]
    return float(np.mean([kumar(probs[:, j], (labels == j).astype(float),
                                m, mass)['ece'] for j in range(k)]))


def reference(probs, labels, m, positive=False):
    """(convention, binning) -> {metric: value}"""
    if positive:
        conf = probs[:, 1]
        correct = (labels == 1).astype(float)
    else:
        conf = probs.max(axis=1)
        correct = (np.argmax(probs, axis=1) == labels).astype(float)
    out = {
        ('calib', 'width'): calib_exact(conf, correct, m),
        ('torchmetrics', 'width'): torchmetrics(conf, correct, m),
        ('tfp', 'width'): tfp(conf, correct, m),
        ('netcal', 'width'): netcal(probs, labels, m, positive),
        ('sklearn', 'width'): sklearn_curve_ece(conf, correct, m, 'uniform'),
        ('sklearn', 'mass'): sklearn_curve_ece(conf, correct, m, 'quantile'),
        ('relplot', 'width'): relplot(conf, correct, m),
        ('kumar', 'width'): kumar(conf, correct, m, False),
        ('kumar', 'mass'): kumar(conf, correct, m, True),
    }
    out[('sklearn', 'width')]['nll'] = sklearn_log_loss(probs, labels)
    out[('sklearn', 'width')]['brier'] = sklearn_brier(probs, labels)
    out[('kumar', 'width')]['classwise_ece'] = kumar_marginal(probs, labels,
                                                             m, False)
    out[('kumar', 'mass')]['classwise_ece'] = kumar_marginal(probs, labels,
                                                            m, True)
    return out


def main():
    calib, path = sys.argv[1], sys.argv[2]
    probs, labels = read(path)
    bad = 0
    # 2-class files also with --binary positive: p against [y = 1], which
    # puts scores of exactly 0 in the first bin
    modes = [False, True] if probs.shape[1] == 2 else [False]
    for m, positive in [(int(a), pos) for a in sys.argv[3:] for pos in modes]:
        for (conv, binning), want in reference(probs, labels, m,
                                               positive).items():
            got = json.loads(subprocess.run(
                [calib, 'metrics', '-f', 'json', '--convention', conv,
                 '--binning', binning, '--bins', str(m)] +
                (['--binary', 'positive'] if positive else []) + [path],
                check=True, capture_output=True, text=True).stdout)
            f32 = conv in ('torchmetrics', 'tfp')
            for key, w in want.items():
                g = got[key]
                ok = g is not None and (g == w if f32 else abs(g - w) <= 1e-12)
                desc = '%s %s M=%d %s%s %s' % (
                    path.split('/')[-1], conv, m, binning,
                    ' positive' if positive else '', key)
                if ok:
                    print('ok %s' % desc)
                else:
                    bad += 1
                    print('not ok %s: got %r, want %r' % (desc, g, w))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

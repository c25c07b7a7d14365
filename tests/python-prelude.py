# python-prelude.py - stand-ins for the models in the README's "From
# Python" snippets (tests/python.sh), so the snippets run with numpy alone.
# setup(name) returns the globals a snippet expects, and writes ref.csv:
# the same predictions as a plain calib CSV, to compare against.
import numpy as np


class _Tensor:
    def __init__(self, a):
        self.a = a

    def cpu(self):
        return self

    def numpy(self):
        return self.a


class _NoGrad:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Torch:
    def no_grad(self):
        return _NoGrad()


def _write_ref(prefix, scores, labels):
    k = scores.shape[1]
    with open("ref.csv", "w") as f:
        f.write("label," + ",".join("%s%d" % (prefix, j) for j in range(k)) + "\n")
        for y, row in zip(labels, scores):
            f.write("%d,%s\n" % (y, ",".join(repr(float(v)) for v in row)))


def setup(name):
    rng = np.random.default_rng(7)
    n, k = 300, 4
    z = rng.normal(size=(n, k)) * 2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, k, size=n)
    g = {}
    if name == "sklearn" or name == "csv":
        clf = type("Clf", (), {"predict_proba": lambda self, X: p.copy()})()
        g.update(clf=clf, X_test=None, y_test=y, proba=p)
        _write_ref("p_", p, y)
    elif name == "torch":
        z32 = z.astype(np.float32)
        g.update(torch=_Torch(), model=lambda x: _Tensor(z32), x_test=None,
                 y_test=_Tensor(y))
        _write_ref("logit_", z32, y)
    elif name == "keras":
        p32 = p.astype(np.float32)
        model = type("Model", (), {"predict": lambda self, x: p32})()
        g.update(model=model, x_test=None, y_test=list(y))
        _write_ref("p_", p32, y)
    return g

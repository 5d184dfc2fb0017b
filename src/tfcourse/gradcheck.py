"""Numerical gradient checks: compare a backward pass with centred finite differences.

    num = numerical_gradient(lambda: loss(x), x)     # perturbs x in place, then restores it
    assert relative_error(analytic, num) <= 1e-7

Use float64 and tiny sizes: each entry costs two forward passes. The centred difference
(f(x+h) - f(x-h)) / 2h errs by about h**2 (truncation) plus 1e-16 * |f| / h (rounding);
h = 1e-5 balances the two, so a correct backward gives a relative error near 1e-10 and a
wrong one far above the 1e-7 the course's tests allow.
"""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of the scalar f() with respect to the float64 array x.

    f takes no arguments and reads x (which this function perturbs in place, one entry at
    a time, and restores exactly). Returns an array shaped like x.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(f"x: expected a float64 numpy array (perturbed in place), got "
                         f"{type(x).__name__}{'' if not hasattr(x, 'dtype') else ' ' + str(x.dtype)}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        plus = float(f())
        x[i] = saved - h
        minus = float(f())
        x[i] = saved
        grad[i] = (plus - minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    """Relative error of two arrays, ||a - b|| / max(||a|| + ||b||, 1e-12) (Euclidean norms).

    A norm over the whole array, not entry by entry: an entry that is zero in truth gets
    about 1e-10 from finite differences, which would be a huge error on its own.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def check_gradient(name, analytic, f, x, tol=1e-7, h=1e-5):
    """Compare `analytic` with the numerical gradient of f() with respect to x.

    Returns the relative error; raises AssertionError naming `name`, the error, the tolerance
    and the entry that differs most when it exceeds `tol`.
    """
    numeric = numerical_gradient(f, x, h)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise AssertionError(f"{name}: gradient has shape {analytic.shape}, expected {numeric.shape}")
    err = relative_error(analytic, numeric)
    if err > tol:
        worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), numeric.shape)
        raise AssertionError(f"{name}: relative error {err:.2e} > {tol:.0e}; worst at index "
                             f"{tuple(int(i) for i in worst)}: backward gave {analytic[worst]:.6g}, "
                             f"finite differences give {numeric[worst]:.6g}")
    return err

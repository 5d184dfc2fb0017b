"""Argument checks shared by the reference solutions and every helper a student calls.

Each check raises ValueError whose message names the argument, what was expected and
what was given, e.g. "target_seq: expected shape (T, D=4), got (3, 5)". Checks never
modify their inputs: arrays are converted to fresh float64 copies only when needed.
"""
import numbers

import numpy as np

CELL_TYPES = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):  # show np.float64(nan) as "float64 nan"
        return f"{type(value).__name__} {value.item()!r}"[:120]
    return f"{type(value).__name__} {value!r}"[:120]


def check_cell_type(cell_type):
    """Return `cell_type` if it names a known cell; raise ValueError otherwise."""
    if not isinstance(cell_type, str) or cell_type not in CELL_TYPES:
        raise ValueError(f"cell_type: expected one of {', '.join(map(repr, CELL_TYPES))}, "
                         f"got {cell_type!r}")
    return cell_type


def as_float_array(name, value, shape):
    """Return `value` as a finite float64 array of `shape`, or raise ValueError.

    `shape` is a tuple whose entries are ints, or (letter, size) pairs that name a
    dimension for the message, e.g. ("T", None) for "any length T" or ("H", 8).
    """
    try:
        arr = np.asarray(value)
    except Exception:  # a ragged list, an object numpy cannot read
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected a real-valued array of shape {format_shape(shape)}, "
                         f"got {_describe(value)}")
    if arr.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(arr.shape, _sizes(shape))):
        raise ValueError(f"{name}: expected shape {format_shape(shape)}, got {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name}: expected finite values, got {arr[bad]} at index {bad}")
    return arr


def _sizes(shape):
    return [dim[1] if isinstance(dim, tuple) else dim for dim in shape]


def format_shape(shape):
    """Render a shape spec such as (("T", None), ("D", 4)) as "(T, D=4)"."""
    parts = []
    for dim in shape:
        if isinstance(dim, tuple):
            letter, size = dim
            parts.append(letter if size is None else f"{letter}={size}")
        else:
            parts.append(str(dim))
    return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")


def check_params(name, params, keys):
    """Return a dict of the arrays `keys` (key -> shape spec) taken from the mapping `params`."""
    if not hasattr(params, "keys") or not hasattr(params, "__getitem__"):
        raise ValueError(f"{name}: expected a dict of parameter arrays, got {_describe(params)}")
    missing = [key for key in keys if key not in params]
    if missing:
        raise ValueError(f"{name}: missing key(s) {', '.join(map(repr, missing))}; "
                         f"expected keys {', '.join(map(repr, keys))}, got {sorted(map(str, params))}")
    return {key: as_float_array(f"{name}[{key!r}]", params[key], shape) for key, shape in keys.items()}


def check_real(name, value, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """Return `value` as a float if it is a finite real number in the given interval.

    Python and numpy numbers are accepted, and 0-d arrays of them; bools are not numbers here.
    """
    given = _describe(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a finite real number, got {given}")
    try:
        as_float = float(value)
    except OverflowError:  # an int beyond float's range, e.g. 10**400
        as_float = np.inf
    if not np.isfinite(as_float):
        raise ValueError(f"{name}: expected a finite real number, got {given}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name}: expected a number in {interval}, got {given}")
    return as_float


def check_count(name, value, minimum=1):
    """Return `value` as an int if it is an integer >= `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {_describe(value)}")
    return int(value)


def make_rng(rng):
    """Return a numpy Generator from a Generator (used as is), an int seed, or None (fresh)."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng() if rng is None else rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng: expected a numpy.random.Generator, a non-negative int seed or None, "
                     f"got {_describe(rng)}")

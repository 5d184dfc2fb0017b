"""The transformer decoder's inputs and parameters: checks and random draws
(06_teacher_forcing_in_transformers).

V is the vocabulary size, D the model size, d_k the query/key size, d_v the value size.
The decoder's parameters are one dict: embedding (V, D), W_q (D, d_k), W_k (D, d_k),
W_v (D, d_v), W_o (d_v, D), W_y (D, V), b_y (V,). Token ids are integer arrays (T,) or (B, T).
Student-safe: nothing here is an answer to an exercise.
"""
import numbers

import numpy as np

from tfcourse.validate import _describe, check_count, check_params, make_rng

TRANSFORMER_KEYS = ("embedding", "W_q", "W_k", "W_v", "W_o", "W_y", "b_y")


def check_token_ids(name, value, vocab_size=None):
    """Return `value` as an int64 array of token ids, (T,) or (B, T) with T >= 1, or raise ValueError.

    With `vocab_size`, every id must lie in [0, vocab_size).
    """
    try:
        arr = np.asarray(value)
    except Exception:  # a ragged list
        arr = None
    if arr is None or arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected an integer array of token ids, shape (T,) or (B, T), "
                         f"got {_describe(value)}")
    if arr.ndim not in (1, 2) or arr.shape[-1] < 1:
        raise ValueError(f"{name}: expected shape (T,) or (B, T) with T >= 1, got {arr.shape}")
    if vocab_size is not None and arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        bad = arr[(arr < 0) | (arr >= vocab_size)].flat[0]
        raise ValueError(f"{name}: expected token ids in [0, V={vocab_size}), got {bad}")
    return arr.astype(np.int64)


def check_integer(name, value):
    """Return `value` as an int if it is an integer of any sign (bools are not), else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {_describe(value)}")
    return int(value)


def check_transformer_params(params):
    """Validate the decoder's parameter dict; return its arrays as float64 (key -> array)."""
    probe = check_params("params", params, {"embedding": (("V", None), ("D", None)),
                                            "W_q": (("D", None), ("d_k", None)),
                                            "W_v": (("D", None), ("d_v", None))})
    V, D = probe["embedding"].shape
    d_k, d_v = probe["W_q"].shape[1], probe["W_v"].shape[1]
    return check_params("params", params, {
        "embedding": (("V", V), ("D", D)), "W_q": (("D", D), ("d_k", d_k)),
        "W_k": (("D", D), ("d_k", d_k)), "W_v": (("D", D), ("d_v", d_v)),
        "W_o": (("d_v", d_v), ("D", D)), "W_y": (("D", D), ("V", V)), "b_y": (("V", V),)})


def random_transformer_params(V, D, d_k, d_v, rng=None, scale=None):
    """Return random decoder parameters (the dict described above): weights uniform in
    [-scale, scale], scale = 1/sqrt(D) by default, embedding standard normal.
    `rng` is a numpy Generator, an int seed or None."""
    V, D, d_k, d_v = (check_count(n, v) for n, v in (("V", V), ("D", D), ("d_k", d_k), ("d_v", d_v)))
    rng = make_rng(rng)
    s = 1.0 / np.sqrt(D) if scale is None else float(scale)
    shapes = {"W_q": (D, d_k), "W_k": (D, d_k), "W_v": (D, d_v), "W_o": (d_v, D),
              "W_y": (D, V), "b_y": (V,)}
    params = {"embedding": rng.normal(size=(V, D))}
    params.update({key: rng.uniform(-s, s, size=shape) for key, shape in shapes.items()})
    return params

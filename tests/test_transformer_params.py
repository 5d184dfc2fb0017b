"""The transformer decoder's parameter layout, random draws and token-id checks (student-safe)."""
import re

import numpy as np
import pytest

from tfcourse.transformer_params import (TRANSFORMER_KEYS, check_integer, check_token_ids,
                                         check_transformer_params, random_transformer_params)


def message(text):
    return "^" + re.escape(text) + "$"


def test_random_params_have_the_documented_shapes_and_pass_the_check():
    p = random_transformer_params(V=7, D=6, d_k=4, d_v=3, rng=0)
    shapes = {"embedding": (7, 6), "W_q": (6, 4), "W_k": (6, 4), "W_v": (6, 3), "W_o": (3, 6),
              "W_y": (6, 7), "b_y": (7,)}
    assert {k: v.shape for k, v in p.items()} == shapes and set(p) == set(TRANSFORMER_KEYS)
    assert all(np.array_equal(check_transformer_params(p)[k], p[k]) for k in p)


def test_random_params_are_reproducible_from_a_seed_and_bounded_by_scale():
    a, b = random_transformer_params(5, 4, 2, 2, rng=3, scale=0.1), random_transformer_params(5, 4, 2, 2, rng=3, scale=0.1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert all(np.abs(a[k]).max() <= 0.1 for k in a if k != "embedding")


def test_token_ids_come_back_as_int64_copies():
    ids = np.array([1, 2], dtype=np.uint8)
    out = check_token_ids("ids", ids, vocab_size=3)
    assert out.dtype == np.int64 and out.tolist() == [1, 2]
    out[0] = 0
    assert ids[0] == 1


@pytest.mark.parametrize("value, text", [
    (True, "n: expected an integer, got bool True"),
    (1.5, "n: expected an integer, got float 1.5"),
    ("3", "n: expected an integer, got str '3'"),
])
def test_check_integer_rejects_non_integers(value, text):
    with pytest.raises(ValueError, match=message(text)):
        check_integer("n", value)


def test_check_integer_accepts_negative_and_numpy_integers():
    assert check_integer("n", np.int32(-100)) == -100


def test_random_params_reject_bad_sizes():
    with pytest.raises(ValueError, match=message("d_v: expected an integer >= 1, got int 0")):
        random_transformer_params(5, 4, 2, 0)

"""Random parameters in the contract's layout: shapes, ranges, reproducibility, bad arguments."""
import numpy as np
import pytest

from tfcourse.params import random_cell_params, random_decoder_params

SHAPES = {
    "rnn": {"W_x": (3, 4), "W_h": (4, 4), "b": (4,)},
    "lstm": {"W_x": (3, 16), "W_h": (4, 16), "b": (16,)},
    "gru": {"W_x": (3, 12), "W_h": (4, 12), "b_x": (12,), "b_h": (12,)},
}
OUTPUT_SHAPES = {"W_y": (4, 5), "b_y": (5,), "embedding": (5, 3), "start": (3,)}


@pytest.mark.parametrize("cell_type", SHAPES)
def test_parameters_have_the_contract_keys_and_shapes_in_float64(cell_type):
    cell = random_cell_params(cell_type, 3, 4, rng=0)
    decoder = random_decoder_params(cell_type, 3, 4, 5, rng=0)
    assert {k: v.shape for k, v in cell.items()} == SHAPES[cell_type]
    assert {k: v.shape for k, v in decoder.items()} == {**SHAPES[cell_type], **OUTPUT_SHAPES}
    assert all(v.dtype == np.float64 for v in decoder.values())


@pytest.mark.parametrize("cell_type", SHAPES)
def test_weights_lie_in_plus_minus_scale_defaulting_to_one_over_sqrt_H(cell_type):
    default = random_decoder_params(cell_type, 3, 16, 5, rng=1)
    wide = random_decoder_params(cell_type, 3, 16, 5, rng=1, scale=2.0)
    for key in (*SHAPES[cell_type], "W_y", "b_y"):
        assert np.abs(default[key]).max() <= 0.25 < np.abs(wide[key]).max() <= 2.0
        np.testing.assert_allclose(wide[key], 8 * default[key])  # same draws, scaled


@pytest.mark.parametrize("cell_type", SHAPES)
def test_a_seed_gives_the_same_parameters_as_its_generator_and_as_itself(cell_type):
    a = random_decoder_params(cell_type, 2, 3, 4, rng=7)
    b = random_decoder_params(cell_type, 2, 3, 4, rng=np.random.default_rng(7))
    c = random_decoder_params(cell_type, 2, 3, 4, rng=8)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["W_x"], c["W_x"])


def test_the_draw_order_is_stable():
    # Reference data and examples are generated from seeds: the first draws must not move.
    params = random_decoder_params("rnn", 1, 1, 1, rng=0, scale=1.0)
    want = np.random.default_rng(0).uniform(-1.0, 1.0, size=5)
    got = [params[k].item() for k in ("W_x", "W_h", "b", "W_y", "b_y")]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("call,pattern", [
    (lambda: random_cell_params("cnn", 3, 4), r"^cell_type: expected one of .*, got 'cnn'$"),
    (lambda: random_cell_params("rnn", 0, 4), r"^D: expected an integer >= 1, got int 0$"),
    (lambda: random_cell_params("rnn", 3, 2.0), r"^H: expected an integer >= 1, got float 2\.0$"),
    (lambda: random_decoder_params("gru", 3, 4, -1), r"^V: expected an integer >= 1, got int -1$"),
    (lambda: random_decoder_params("gru", 3, 4, 5, scale=0),
     r"^scale: expected a number in \(0\.0, inf\], got int 0$"),
    (lambda: random_decoder_params("gru", 3, 4, 5, scale=-1.0), r"^scale: expected .*, got float"),
    (lambda: random_decoder_params("gru", 3, 4, 5, rng="x"), r"^rng: expected .*, got str 'x'$"),
])
def test_bad_arguments_are_named(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()

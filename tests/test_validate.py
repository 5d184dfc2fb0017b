"""Bad input: every contract error is a ValueError naming the argument, the expectation and
what was given, raised before any input is touched (a passed Generator draws nothing either).

The errors are provoked through the public functions of `solutions`, which is where a student
or an instructor meets them; the helpers of tfcourse.validate are checked directly at the end.
"""
import copy
import re

import numpy as np
import pytest

from solutions import (decoder_forward_free_running, decoder_forward_scheduled_sampling,
                       decoder_forward_teacher_forcing, gru_step, lstm_step, rnn_step)
from tfcourse.params import random_decoder_params
from tfcourse.validate import (as_float_array, check_count, check_params, check_real,
                               format_shape, make_rng)

CELL_TYPES = ("rnn", "lstm", "gru")
D, H, V, T = 3, 4, 5, 6
CELL_KEYS = {"rnn": ("W_x", "W_h", "b"), "lstm": ("W_x", "W_h", "b"),
             "gru": ("W_x", "W_h", "b_x", "b_h")}
OUTPUT_KEYS = ("W_y", "b_y", "embedding", "start")


def valid_inputs(cell_type):
    """A valid (context_vector, target_seq, decoder_params) for a cell_type decoder."""
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, H), rng.normal(size=(T, D)), random_decoder_params(
        cell_type, D, H, V, rng=rng)


def decoder_calls(cell_type, h0, target_seq, params, sampling_prob=0.5, rng=0):
    """Each decoder called on the inputs, as a zero-argument function."""
    return {
        "teacher_forcing": lambda: decoder_forward_teacher_forcing(h0, target_seq, params,
                                                                   cell_type),
        "free_running": lambda: decoder_forward_free_running(h0, params, len(target_seq),
                                                             cell_type),
        "scheduled_sampling": lambda: decoder_forward_scheduled_sampling(
            h0, target_seq, params, sampling_prob, cell_type, rng),
    }


def snapshot(*values):
    return copy.deepcopy(values)


def assert_same(before, after):
    """Deep comparison of nested tuples/dicts of arrays, generator states and plain values."""
    assert type(before) is type(after)
    if isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            assert_same(before[key], after[key])
    elif isinstance(before, (tuple, list)):
        assert len(before) == len(after)
        for a, b in zip(before, after):
            assert_same(a, b)
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)
        assert before.dtype == after.dtype
    elif isinstance(before, np.random.Generator):
        assert before.bit_generator.state == after.bit_generator.state
    else:
        assert before == after or (before != before and after != after)  # NaN equals NaN here


def raises_named(call, pattern, *inputs):
    """Assert `call()` raises ValueError matching `pattern` and leaves `inputs` as they were."""
    before = snapshot(*inputs)
    with pytest.raises(ValueError) as error:
        call()
    assert re.search(pattern, str(error.value)), f"{str(error.value)!r} !~ {pattern!r}"
    assert_same(before, inputs)
    return str(error.value)


def shape_pattern(name, got):
    """A shape error: names `name`, shows an expected shape, and the shape given."""
    return rf"^{re.escape(name)}: expected shape \(.+\).*, got {re.escape(str(got))}$"


# --- cell_type ---------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["RNN", "transformer", "", None, 1, ("rnn",)])
@pytest.mark.parametrize("decoder", ["teacher_forcing", "free_running", "scheduled_sampling"])
def test_an_unknown_cell_type_is_named_with_the_choices(bad, decoder):
    h0, target_seq, params = valid_inputs("rnn")
    call = decoder_calls(bad, h0, target_seq, params)[decoder]
    raises_named(call, rf"^cell_type: expected one of 'rnn', 'lstm', 'gru', got {re.escape(repr(bad))}$",
                 h0, target_seq, params)


# --- decoder_params: keys and types ------------------------------------------------------

@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("decoder", ["teacher_forcing", "free_running", "scheduled_sampling"])
def test_each_missing_parameter_key_is_named(cell_type, decoder):
    h0, target_seq, params = valid_inputs(cell_type)
    for key in CELL_KEYS[cell_type] + OUTPUT_KEYS:
        partial = {k: v for k, v in params.items() if k != key}
        message = raises_named(decoder_calls(cell_type, h0, target_seq, partial)[decoder],
                               rf"^decoder_params: missing key\(s\) '{key}'; expected keys 'W_x', "
                               rf"'W_h', .*'start' for a {cell_type} decoder, got \[",
                               h0, target_seq, partial)
        assert all(repr(k) in message for k in partial)  # what was given


def test_gru_given_rnn_style_bias_names_both_missing_biases():
    h0, target_seq, params = valid_inputs("rnn")
    params = dict(params, W_x=np.zeros((D, 3 * H)), W_h=np.zeros((H, 3 * H)))
    raises_named(lambda: decoder_forward_teacher_forcing(h0, target_seq, params, "gru"),
                 r"^decoder_params: missing key\(s\) 'b_x', 'b_h'; expected keys 'W_x', 'W_h', "
                 r"'b_x', 'b_h', .* for a gru decoder, got \[.*'b'.*\]$", params)


@pytest.mark.parametrize("bad", [None, [1.0, 2.0], np.zeros(3), "params"])
def test_decoder_params_that_are_not_a_dict_are_named(bad):
    h0, target_seq, _ = valid_inputs("rnn")
    raises_named(lambda: decoder_forward_teacher_forcing(h0, target_seq, bad, "rnn"),
                 r"^decoder_params: expected a dict of parameter arrays, got ", h0, target_seq)


@pytest.mark.parametrize("bad", [None, "abc", [[1.0, 2.0], [3.0]], np.array(["a", "b"]),
                                 np.ones(3, dtype=complex), {"a": 1}])
def test_a_parameter_that_is_not_a_real_array_is_named(bad):
    h0, target_seq, params = valid_inputs("lstm")
    params["start"] = bad
    raises_named(lambda: decoder_forward_teacher_forcing(h0, target_seq, params, "lstm"),
                 r"^decoder_params\['start'\]: expected a real-valued array of shape \(D=3,\), "
                 r"got \w+", h0, target_seq, params)


# --- shapes ------------------------------------------------------------------------------

def wrong_shapes(shape):
    """Shapes that do not fit: each axis one too long, one axis too many, one too few."""
    shapes = [shape[:axis] + (size + 1,) + shape[axis + 1:] for axis, size in enumerate(shape)]
    return shapes + [shape + (1,), shape[:-1]]


# When a size is read from one array and another disagrees, the error names the one that
# disagrees: D and V are read from embedding, H from W_h. So a wrong V in embedding is
# reported at W_y (H, V), and a wrong D at W_x (D, G*H).
BLAMED_FOR_EMBEDDING = {(V + 1, D): "W_y", (V, D + 1): "W_x"}


@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("decoder", ["teacher_forcing", "free_running", "scheduled_sampling"])
def test_each_parameter_of_a_wrong_shape_is_named_with_both_shapes(cell_type, decoder):
    h0, target_seq, params = valid_inputs(cell_type)
    for key in CELL_KEYS[cell_type] + OUTPUT_KEYS:
        for shape in wrong_shapes(params[key].shape):
            bad = dict(params, **{key: np.zeros(shape)})
            blamed = BLAMED_FOR_EMBEDDING.get(shape, key) if key == "embedding" else key
            if key == "W_h" and shape == (H + 1, params["W_h"].shape[1]):
                pattern = shape_pattern("decoder_params['W_h']", shape)  # H is read from W_h
            else:
                pattern = shape_pattern(f"decoder_params[{blamed!r}]", bad[blamed].shape)
            raises_named(decoder_calls(cell_type, h0, target_seq, bad)[decoder], pattern,
                         h0, target_seq, bad)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_context_vector_of_a_wrong_shape_is_named(cell_type):
    h0, target_seq, params = valid_inputs(cell_type)
    for shape in wrong_shapes((H,)) + [(2, H)]:
        bad = np.zeros(shape)
        for call in decoder_calls(cell_type, bad, target_seq, params).values():
            message = raises_named(call, shape_pattern("context_vector", shape), bad, params)
            assert "(H=4,)" in message


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_target_seq_of_a_wrong_shape_is_named(cell_type):
    h0, _, params = valid_inputs(cell_type)
    for shape in [(T, D + 1), (T, D - 1), (D,), (T, D, 1), (2, T, D)]:
        bad = np.zeros(shape)
        calls = decoder_calls(cell_type, h0, bad, params)
        for name in ("teacher_forcing", "scheduled_sampling"):
            message = raises_named(calls[name], shape_pattern("target_seq", shape), bad, params)
            assert "(T, D=3)" in message


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_an_empty_target_seq_is_named(cell_type):
    h0, _, params = valid_inputs(cell_type)
    empty = np.zeros((0, D))
    calls = decoder_calls(cell_type, h0, empty, params)
    for name in ("teacher_forcing", "scheduled_sampling"):
        raises_named(calls[name], r"^target_seq: expected at least one step \(T >= 1\), "
                                  r"got shape \(0, 3\)$", empty, params)


def step_call(cell_type, x, h_prev, c_prev, params):
    if cell_type == "lstm":
        return lambda: lstm_step(x, h_prev, c_prev, params)
    return lambda: (rnn_step if cell_type == "rnn" else gru_step)(x, h_prev, params)


STEP_SHAPE_CASES = [
    # (x shape, h_prev shape, c_prev shape, argument blamed, its expected shape in the message)
    ((D + 1,), (H,), (H,), "x", "(D=3,)"),
    ((2, D + 1), (2, H), (2, H), "x", "(B, D=3)"),
    ((1, 2, D), (2, H), (2, H), "x", "(D=3,) or (B, D=3)"),
    ((), (H,), (H,), "x", "(D=3,) or (B, D=3)"),
    ((D,), (H + 1,), (H,), "h_prev", "(H=4,)"),
    ((D,), (2, H), (H,), "h_prev", "(H=4,)"),          # a batch of states for one row
    ((2, D), (3, H), (2, H), "h_prev", "(B=2, H=4)"),  # batch sizes disagree
    ((2, D), (H,), (2, H), "h_prev", "(B=2, H=4)"),
    ((D,), (H,), (H - 1,), "c_prev", "(H=4,)"),
    ((2, D), (2, H), (3, H), "c_prev", "(B=2, H=4)"),
]


@pytest.mark.parametrize("cell_type,x_shape,h_shape,c_shape,blamed,expected", [
    (cell_type, *case) for cell_type in CELL_TYPES for case in STEP_SHAPE_CASES
    if case[3] != "c_prev" or cell_type == "lstm"])  # only the LSTM step takes c_prev
def test_step_inputs_of_a_wrong_shape_are_named(cell_type, x_shape, h_shape, c_shape, blamed,
                                                expected):
    _, _, params = valid_inputs(cell_type)
    x, h_prev, c_prev = np.zeros(x_shape), np.zeros(h_shape), np.zeros(c_shape)
    got = {"x": x_shape, "h_prev": h_shape, "c_prev": c_shape}[blamed]
    message = raises_named(step_call(cell_type, x, h_prev, c_prev, params),
                           shape_pattern(blamed, got), x, h_prev, c_prev, params)
    assert f"expected shape {expected}" in message


def test_a_ragged_step_input_is_named():
    _, _, params = valid_inputs("rnn")
    raises_named(lambda: rnn_step([[1.0, 2.0, 3.0], [4.0]], np.zeros(H), params),
                 r"^x: expected a real-valued array of shape \(D=3,\) or \(B, D=3\), got list ",
                 params)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_step_params_missing_a_key_or_of_a_wrong_shape_are_named(cell_type):
    _, _, decoder_params = valid_inputs(cell_type)
    params = {k: decoder_params[k] for k in CELL_KEYS[cell_type]}
    x, h, c = np.zeros(D), np.zeros(H), np.zeros(H)
    for key in params:
        partial = {k: v for k, v in params.items() if k != key}
        raises_named(step_call(cell_type, x, h, c, partial),
                     rf"^params: missing key\(s\) '{key}'; expected keys .*, got \[", partial)
        for shape in wrong_shapes(params[key].shape):
            bad = dict(params, **{key: np.zeros(shape)})
            if key == "W_x" and shape == (D + 1, params["W_x"].shape[1]):
                pattern = shape_pattern("x", (D,))  # D is read from W_x, so x does not fit
            else:
                pattern = shape_pattern(f"params[{key!r}]", shape)
            raises_named(step_call(cell_type, x, h, c, bad), pattern, x, h, c, bad)
    raises_named(step_call(cell_type, x, h, c, [params]),
                 r"^params: expected a dict of parameter arrays, got list ", params)


# --- non-finite values -------------------------------------------------------------------

@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_nan_or_inf_in_any_decoder_input_is_named_with_its_index(cell_type, bad_value):
    h0, target_seq, params = valid_inputs(cell_type)
    where = {"context_vector": h0, "target_seq": target_seq,
             **{f"decoder_params[{k!r}]": v for k, v in params.items()}}
    for name, array in where.items():
        index = tuple(size - 1 for size in array.shape)  # the last element
        h0_, target_, params_ = copy.deepcopy((h0, target_seq, params))
        poisoned = {"context_vector": h0_, "target_seq": target_,
                    **{f"decoder_params[{k!r}]": v for k, v in params_.items()}}[name]
        poisoned[index] = bad_value
        pattern = (rf"^{re.escape(name)}: expected finite values, got {bad_value} at index "
                   rf"{re.escape(str(index))}$")
        for decoder, call in decoder_calls(cell_type, h0_, target_, params_).items():
            if decoder == "free_running" and name == "target_seq":
                continue  # free running does not take a target sequence
            raises_named(call, pattern, h0_, target_, params_)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_nan_or_inf_in_any_step_input_is_named(cell_type):
    _, _, decoder_params = valid_inputs(cell_type)
    params = {k: decoder_params[k].copy() for k in CELL_KEYS[cell_type]}
    arrays = {"x": np.ones((2, D)), "h_prev": np.zeros((2, H)), "c_prev": np.zeros((2, H)),
              **{f"params[{k!r}]": v for k, v in params.items()}}
    for name, array in arrays.items():
        if name == "c_prev" and cell_type != "lstm":
            continue
        for bad_value in (np.nan, np.inf):
            array.flat[0], saved = bad_value, array.flat[0]
            raises_named(step_call(cell_type, arrays["x"], arrays["h_prev"], arrays["c_prev"],
                                   params),
                         rf"^{re.escape(name)}: expected finite values, got {bad_value} at index",
                         arrays, params)
            array.flat[0] = saved


# --- sampling_prob, seq_len, rng ---------------------------------------------------------

@pytest.mark.parametrize("bad,expected", [
    (-0.1, r"a number in \[0\.0, 1\.0\], got float -0\.1"),
    (1.0000001, r"a number in \[0\.0, 1\.0\], got float 1\.0000001"),
    (2, r"a number in \[0\.0, 1\.0\], got int 2"),
    (np.float64(-1e-300), r"a number in \[0\.0, 1\.0\], got float64 -1e-300"),
    (np.nan, r"a finite real number, got float nan"),
    (np.inf, r"a finite real number, got float inf"),
    (True, r"a finite real number, got bool True"),
    (np.bool_(False), r"a finite real number, got bool_? False"),
    ("0.5", r"a finite real number, got str '0\.5'"),
    (None, r"a finite real number, got NoneType None"),
    (np.array([0.5]), r"a finite real number, got array of shape \(1,\)"),
    (0.5j, r"a finite real number, got complex 0\.5j"),
])
@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_sampling_prob_outside_0_1_or_not_a_number_is_named(cell_type, bad, expected):
    h0, target_seq, params = valid_inputs(cell_type)
    rng = np.random.default_rng(4)
    call = decoder_calls(cell_type, h0, target_seq, params, sampling_prob=bad, rng=rng)
    raises_named(call["scheduled_sampling"], rf"^sampling_prob: expected {expected}",
                 h0, target_seq, params, rng)


@pytest.mark.parametrize("good", [0, 1, 0.25, np.float32(0.5), np.float64(1.0), np.array(0.5)])
def test_sampling_prob_accepts_python_and_numpy_numbers_in_0_1(good):
    h0, target_seq, params = valid_inputs("rnn")
    logits = decoder_forward_scheduled_sampling(h0, target_seq, params, good, "rnn", 0)
    assert logits.shape == (T, V)


@pytest.mark.parametrize("bad,given", [
    (0, "int 0"), (-3, "int -3"), (2.0, "float 2.0"), (2.5, "float 2.5"), ("3", "str '3'"),
    (None, "NoneType None"), (True, "bool True"), (np.array([3]), "array of shape (1,)")])
@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_seq_len_that_is_not_a_positive_int_is_named(cell_type, bad, given):
    h0, _, params = valid_inputs(cell_type)
    raises_named(lambda: decoder_forward_free_running(h0, params, bad, cell_type),
                 rf"^seq_len: expected an integer >= 1, got {re.escape(given)}", h0, params)


@pytest.mark.parametrize("bad", [np.random.RandomState(0), 1.5, "seed", -1, True, [1, 2],
                                 np.random.PCG64(0)])
def test_rng_of_a_wrong_type_is_named(bad):
    h0, target_seq, params = valid_inputs("gru")
    call = decoder_calls("gru", h0, target_seq, params, rng=bad)["scheduled_sampling"]
    raises_named(call, r"^rng: expected a numpy\.random\.Generator, a non-negative int seed or "
                       rf"None, got {type(bad).__name__}", h0, target_seq, params)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_a_generator_draws_nothing_when_any_argument_is_bad(cell_type):
    h0, target_seq, params = valid_inputs(cell_type)
    rng = np.random.default_rng(9)
    for bad_call in [
        lambda: decoder_forward_scheduled_sampling(h0, target_seq, params, 1.5, cell_type, rng),
        lambda: decoder_forward_scheduled_sampling(h0, target_seq[:, :2], params, 0.5,
                                                   cell_type, rng),
        lambda: decoder_forward_scheduled_sampling(h0[:2], target_seq, params, 0.5,
                                                   cell_type, rng),
        lambda: decoder_forward_scheduled_sampling(h0, target_seq, {}, 0.5, cell_type, rng),
        lambda: decoder_forward_scheduled_sampling(h0, target_seq, params, 0.5, "cnn", rng),
    ]:
        raises_named(bad_call, r"expected", h0, target_seq, params, rng)


# --- the helpers themselves --------------------------------------------------------------

def test_format_shape_names_the_letters_and_sizes():
    assert format_shape((("T", None), ("D", 4))) == "(T, D=4)"
    assert format_shape((("H", 8),)) == "(H=8,)"
    assert format_shape((2, ("V", None))) == "(2, V)"


def test_as_float_array_converts_ints_without_touching_the_input():
    ints = np.arange(6).reshape(2, 3)
    got = as_float_array("x", ints, (("B", None), ("D", 3)))
    assert got.dtype == np.float64 and ints.dtype.kind == "i"
    np.testing.assert_array_equal(got, ints)
    got[0, 0] = 99  # a fresh copy: the caller's array keeps its value
    assert ints[0, 0] == 0


def test_check_real_renders_open_and_closed_intervals():
    assert check_real("k", 0.5, 0.0, 1.0, low_open=True, high_open=True) == 0.5
    with pytest.raises(ValueError, match=r"^k: expected a number in \(0\.0, 1\.0\), got float 1\.0$"):
        check_real("k", 1.0, 0.0, 1.0, low_open=True, high_open=True)
    with pytest.raises(ValueError, match=r"^i: expected a number in \[0\.0, inf\], got int -1$"):
        check_real("i", -1, 0.0)
    with pytest.raises(ValueError, match=r"^i: expected a finite real number, got int 1000"):
        check_real("i", 10**400, 0.0)


def test_check_count_and_make_rng_accept_numpy_integers_and_reject_the_rest():
    assert check_count("n", np.int64(3)) == 3 and isinstance(check_count("n", np.int8(3)), int)
    with pytest.raises(ValueError, match=r"^n: expected an integer >= 2, got int 1$"):
        check_count("n", 1, minimum=2)
    generator = np.random.default_rng(0)
    assert make_rng(generator) is generator
    assert make_rng(np.uint32(5)).random() == np.random.default_rng(5).random()
    assert isinstance(make_rng(None), np.random.Generator)


def test_check_params_lists_missing_and_given_keys():
    with pytest.raises(ValueError, match=r"^p: missing key\(s\) 'b'; expected keys 'a', 'b', "
                                         r"got \['a', 'z'\]$"):
        check_params("p", {"a": np.zeros(1), "z": 1}, {"a": (1,), "b": (1,)})

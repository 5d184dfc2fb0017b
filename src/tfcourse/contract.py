"""Argument checks of the decoder contract (contract.md, released beside each notebook): cells'
and decoders' parameters.

D is the input size, H the hidden size, V the vocabulary size, T the number of steps, G the
number of gate blocks (1 rnn, 4 lstm, 3 gru). These only validate and convert (to float64);
they compute nothing a course exercise asks for, so the reference solutions import them
instead of shipping them in a notebook's `given.py` (in the course repository, for instructors:
autograder/README.md, "What a student receives").
"""
import numpy as np

from tfcourse.validate import (GATES, _describe, as_float_array, check_cell_type, check_params)

CELL_KEYS = {"rnn": ("W_x", "W_h", "b"), "lstm": ("W_x", "W_h", "b"),
             "gru": ("W_x", "W_h", "b_x", "b_h")}
OUTPUT_KEYS = ("W_y", "b_y", "embedding", "start")


def cell_param_shapes(cell_type, D, H):
    """Return the shape spec of each parameter `cell_type` needs (key -> shape)."""
    G = GATES[check_cell_type(cell_type)]
    shapes = {"W_x": (("D", D), ("G*H", G * H)), "W_h": (("H", H), ("G*H", G * H))}
    if cell_type == "gru":
        shapes.update(b_x=(("3H", 3 * H),), b_h=(("3H", 3 * H),))
    else:
        shapes["b"] = (("G*H", G * H),)
    return shapes


def check_cell_params(name, params, cell_type, D=None, H=None):
    """Validate the parameters of a `cell_type` cell; return them as float64 arrays.

    D and H are taken from W_x and W_h when not given.
    """
    G = GATES[check_cell_type(cell_type)]
    probe = check_params(name, params, {"W_x": (("D", D), ("G*H", None)),
                                        "W_h": (("H", H), ("G*H", None))})
    D = probe["W_x"].shape[0]
    H = probe["W_h"].shape[0]
    if probe["W_h"].shape[1] != G * H:
        raise ValueError(f"{name}['W_h']: expected shape (H={H}, G*H={G * H}) for a {cell_type} "
                         f"cell (G={G}), got {probe['W_h'].shape}")
    return check_params(name, params, cell_param_shapes(cell_type, D, H))


def check_step(x, states, params, cell_type):
    """Validate one cell step's input x (D,) or (B, D), its states {name: (H,) or (B, H)}
    and parameters; return (x, [states], params) as float64 arrays."""
    params = check_cell_params("params", params, cell_type)
    D, H = params["W_x"].shape[0], params["W_h"].shape[0]
    try:
        ndim = np.ndim(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"x: expected a real-valued array of shape (D={D},) or (B, D={D}), "
                         f"got {_describe(x)}") from None
    if ndim not in (1, 2):
        raise ValueError(f"x: expected shape (D={D},) or (B, D={D}), got {np.shape(x)}")
    batch = (("B", None),) if ndim == 2 else ()
    x = as_float_array("x", x, batch + (("D", D),))
    B = (("B", x.shape[0]),) if batch else ()
    states = [as_float_array(name, value, B + (("H", H),)) for name, value in states.items()]
    return x, states, params


def check_decoder_params(decoder_params, cell_type):
    """Validate a decoder's parameters; return them as float64 arrays (key -> array)."""
    check_cell_type(cell_type)
    check_params("decoder_params", decoder_params, {})  # is it a dict at all?
    expected = CELL_KEYS[cell_type] + OUTPUT_KEYS
    missing = [k for k in expected if k not in decoder_params]
    if missing:
        raise ValueError(f"decoder_params: missing key(s) {', '.join(map(repr, missing))}; "
                         f"expected keys {', '.join(map(repr, expected))} for a {cell_type} "
                         f"decoder, got {sorted(map(str, decoder_params))}")
    embedding = as_float_array("decoder_params['embedding']", decoder_params["embedding"],
                               (("V", None), ("D", None)))
    V, D = embedding.shape
    params = check_cell_params("decoder_params", decoder_params, cell_type, D=D)
    H = params["W_h"].shape[0]
    params.update(check_params("decoder_params", decoder_params, {
        "W_y": (("H", H), ("V", V)), "b_y": (("V", V),),
        "embedding": (("V", V), ("D", D)), "start": (("D", D),)}))
    return params


def check_context(context_vector, params):
    """Validate a decoder's initial hidden state (H,) against its checked params."""
    return as_float_array("context_vector", context_vector, (("H", params["W_h"].shape[0]),))


def check_target(target_seq, params):
    """Validate embedded true tokens (T, D), T >= 1, against a decoder's checked params."""
    D = params["W_x"].shape[0]
    target_seq = as_float_array("target_seq", target_seq, (("T", None), ("D", D)))
    if target_seq.shape[0] < 1:
        raise ValueError(f"target_seq: expected at least one step (T >= 1), got shape "
                         f"{target_seq.shape}")
    return target_seq

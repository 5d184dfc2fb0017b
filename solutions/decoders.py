"""Reference decoders: teacher forcing, free running and scheduled sampling.

D is the input (embedding) size, H the hidden size, V the vocabulary size, T the
number of output steps. Step t consumes an input x_t, updates the state, and emits
logits_t = h_t @ W_y + b_y, which scores the t-th target token y_t. The decoders
differ only in x_t for t >= 1:

    teacher forcing      x_t = target_seq[t-1]                      (the true previous token)
    free running         x_t = embedding[argmax(logits_{t-1})]      (the model's own guess)
    scheduled sampling   the model's guess if u_t < sampling_prob, else the true token,
                         with one draw u_t = rng.random() per step t = 1 .. T-1

and x_0 = start for all three.
"""
import numpy as np

from solutions.cells import advance, check_cell_params, initial_state, input_projection
from tfcourse.validate import (as_float_array, check_cell_type, check_count, check_params,
                               check_real, make_rng)

CELL_KEYS = {"rnn": ("W_x", "W_h", "b"), "lstm": ("W_x", "W_h", "b"),
             "gru": ("W_x", "W_h", "b_x", "b_h")}
OUTPUT_KEYS = ("W_y", "b_y", "embedding", "start")


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


def _check_context(context_vector, params):
    H = params["W_h"].shape[0]
    return as_float_array("context_vector", context_vector, (("H", H),))


def _check_target(target_seq, params):
    D = params["W_x"].shape[0]
    return as_float_array("target_seq", target_seq, (("T", None), ("D", D)))


def _require_steps(target_seq):
    if target_seq.shape[0] < 1:
        raise ValueError(f"target_seq: expected at least one step (T >= 1), got shape "
                         f"{target_seq.shape}")


def decoder_forward_teacher_forcing(context_vector, target_seq, decoder_params, cell_type='rnn'):
    """
    Run the decoder with teacher forcing: at each step, feed the true previous token as input.
    Args:
        context_vector (np.ndarray): Initial hidden state for the decoder (hidden_dim,)
        target_seq (np.ndarray): Ground-truth output sequence (seq_len x input_dim)
        decoder_params (dict): Decoder parameters (weights, biases, etc.)
        cell_type (str): 'rnn', 'lstm', or 'gru'
    Returns:
        np.ndarray: Output logits for each step (seq_len x output_dim)
    """
    params = check_decoder_params(decoder_params, cell_type)
    h0 = _check_context(context_vector, params)
    target_seq = _check_target(target_seq, params)
    _require_steps(target_seq)
    xw = _teacher_projections(target_seq, params, cell_type)
    hidden = np.empty((len(xw), params["W_h"].shape[0]))
    state = initial_state(h0, cell_type)
    for t in range(len(xw)):
        hidden[t], state = advance(xw[t], state, params, cell_type)
    return hidden @ params["W_y"] + params["b_y"]


def _teacher_projections(target_seq, params, cell_type):
    """Input projections (T, G*H) of the teacher-forced inputs [start, target_seq[:-1]].

    Every input is known before the loop starts, so the T-1 projections of target_seq[:-1]
    are one matrix product; only the recurrence h_{t-1} -> h_t has to run step by step.
    The start row is projected on its own, exactly as free running projects it, so that
    no decoder's step 0 differs from another's by floating-point rounding.
    """
    xw = np.empty((len(target_seq), params["W_h"].shape[1]))
    xw[0] = input_projection(params["start"], params, cell_type)
    xw[1:] = input_projection(target_seq[:-1], params, cell_type)
    return xw


def _decode(h0, params, cell_type, teacher_xw, feed_prediction):
    """Run T steps, feeding the model's greedy token at steps t where feed_prediction[t].

    teacher_xw: (T, G*H) input projections from _teacher_projections, or None when
    every step after the first feeds a prediction. feed_prediction: (T,) bool.
    Returns logits (T, V).

    A fed prediction is projected row by row, as in free running, so scheduled sampling
    with sampling_prob = 1 computes bit for bit what free running does: a rounding
    difference could otherwise flip an argmax between two nearly tied logits.
    """
    n_steps = len(feed_prediction)
    logits = np.empty((n_steps, params["W_y"].shape[1]))
    state = initial_state(h0, cell_type)
    for t in range(n_steps):
        if t == 0:
            xw = input_projection(params["start"], params, cell_type)
        elif feed_prediction[t]:
            token = np.argmax(logits[t - 1])  # ties go to the lowest id
            xw = input_projection(params["embedding"][token], params, cell_type)
        else:
            xw = teacher_xw[t]
        h, state = advance(xw, state, params, cell_type)
        logits[t] = h @ params["W_y"] + params["b_y"]
    return logits


def decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type='rnn'):
    """
    Run the decoder free: at each step, feed the model's own previous (greedy) prediction.
    Args:
        context_vector (np.ndarray): Initial hidden state for the decoder (hidden_dim,)
        decoder_params (dict): Decoder parameters (weights, biases, embedding, start)
        seq_len (int): Number of steps to generate (>= 1)
        cell_type (str): 'rnn', 'lstm', or 'gru'
    Returns:
        np.ndarray: Output logits for each step (seq_len x output_dim)
    """
    params = check_decoder_params(decoder_params, cell_type)
    h0 = _check_context(context_vector, params)
    seq_len = check_count("seq_len", seq_len, minimum=1)
    return _decode(h0, params, cell_type, None, np.ones(seq_len, dtype=bool))


def decoder_forward_scheduled_sampling(context_vector, target_seq, decoder_params, sampling_prob,
                                       cell_type='rnn', rng=None):
    """
    Run the decoder with scheduled sampling: probabilistically use ground-truth or model prediction as next input.
    Args:
        context_vector (np.ndarray): Initial hidden state for the decoder (hidden_dim,)
        target_seq (np.ndarray): Ground-truth output sequence (seq_len x input_dim)
        decoder_params (dict): Decoder parameters (weights, biases, etc.)
        sampling_prob (float): Probability of using model prediction as next input.
        cell_type (str): 'rnn', 'lstm', or 'gru'
        rng (np.random.Generator | int | None): Source of the coin flips, one
            rng.random() per step t = 1 .. seq_len-1; an int is a seed, None a fresh generator.
    Returns:
        np.ndarray: Output logits for each step (seq_len x output_dim)
    """
    params = check_decoder_params(decoder_params, cell_type)
    h0 = _check_context(context_vector, params)
    target_seq = _check_target(target_seq, params)
    _require_steps(target_seq)
    sampling_prob = check_real("sampling_prob", sampling_prob, 0.0, 1.0)
    rng = make_rng(rng)
    # u < 0 never holds and u < 1 always does (u is in [0, 1)), so the two ends are
    # exactly teacher forcing and free running.
    coins = rng.random(len(target_seq) - 1)
    feed_prediction = np.concatenate([[False], coins < sampling_prob])
    teacher_xw = _teacher_projections(target_seq, params, cell_type)
    return _decode(h0, params, cell_type, teacher_xw, feed_prediction)

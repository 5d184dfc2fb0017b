"""Reference building blocks of earlier assignments: rnn_step, lstm_step, gru_step, decoder_forward_teacher_forcing, decoder_forward_free_running, recovery_curve, decoder_forward_scheduled_sampling, linear_schedule, exponential_schedule, inverse_sigmoid_schedule, gru_step_forward, gru_step_backward, decoder_forward_teacher_forcing_cache, decoder_backward_teacher_forcing.

Released with 06_teacher_forcing_in_transformers after the deadlines of 01_recurrent_cells, 02_teacher_forcing, 03_free_running_and_exposure_bias, 04_scheduled_sampling, 05_training_with_teacher_forcing. Generated in
the course repository, for instructors, by `python -m autograder build` from
solutions/. Do not edit: rebuild instead.
"""


import math
import numpy as np
from tfcourse.caches import DecoderCache, GRUCache, LSTMCache, RNNCache
from tfcourse.contract import check_context, check_decoder_params, check_step, check_target
from tfcourse.validate import as_float_array, check_count, check_real, make_rng
from typing import NamedTuple


__all__ = ['rnn_step', 'lstm_step', 'gru_step', 'decoder_forward_teacher_forcing',
           'decoder_forward_free_running', 'recovery_curve', 'decoder_forward_scheduled_sampling',
           'linear_schedule', 'exponential_schedule', 'inverse_sigmoid_schedule',
           'gru_step_forward', 'gru_step_backward', 'decoder_forward_teacher_forcing_cache',
           'decoder_backward_teacher_forcing']


def logistic(a):
    """Logistic sigmoid, computed without overflow for any finite input."""
    return np.exp(-np.logaddexp(0.0, -a))


def input_projection(x, params, cell_type):
    """Project inputs onto the gate pre-activations: x @ W_x plus the input-side bias.

    x: (..., D). Returns (..., G*H). Rows are independent, so any number of inputs
    (one step, a batch, or all T steps of a sequence) is one matrix product.
    """
    bias = params["b_x"] if cell_type == "gru" else params["b"]
    return x @ params["W_x"] + bias


def rnn_cell(xw, h_prev, params):
    """Advance a tanh RNN one step from its input projection xw (..., H); return h_next."""
    return np.tanh(xw + h_prev @ params["W_h"])


class LSTMGates(NamedTuple):
    """An LSTM step's activated gates, each (..., H): input i, forget f, candidate g, output o."""
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray


def lstm_cell_gates(xw, h_prev, c_prev, params):
    """Advance an LSTM one step from xw (..., 4H); return (h_next, c_next, LSTMGates)."""
    a = xw + h_prev @ params["W_h"]
    i, f, g, o = np.split(a, 4, axis=-1)
    gates = LSTMGates(logistic(i), logistic(f), np.tanh(g), logistic(o))
    c_next = gates.f * c_prev + gates.i * gates.g
    h_next = gates.o * np.tanh(c_next)
    return h_next, c_next, gates


class GRUGates(NamedTuple):
    """A GRU step's gates, each (..., H): reset r, update z, candidate n, and
    h_n = h_prev @ W_hn + b_hn, the hidden-side term that r scales."""
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h_n: np.ndarray


def gru_cell_gates(xw, h_prev, params):
    """Advance a GRU one step from xw (..., 3H); return (h_next, GRUGates).

    The reset gate scales h_prev @ W_hn + b_hn, after the product, as PyTorch's GRUCell does.
    """
    hw = h_prev @ params["W_h"] + params["b_h"]
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    h_r, h_z, h_n = np.split(hw, 3, axis=-1)
    r = logistic(x_r + h_r)
    z = logistic(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev, GRUGates(r, z, n, h_n)


def cell_forward(xw, x, state, params, cell_type):
    """Advance any cell one step from its input projection xw, keeping the cache.

    x is the input whose projection xw is (kept for dW_x); state is h_prev, or
    (h_prev, c_prev) for the LSTM. Returns (h_next, state_next, cache).
    """
    if cell_type == "rnn":
        h_next = rnn_cell(xw, state, params)
        return h_next, h_next, RNNCache(x, state, h_next, params)
    if cell_type == "lstm":
        h_prev, c_prev = state
        h_next, c_next, gates = lstm_cell_gates(xw, h_prev, c_prev, params)
        return h_next, (h_next, c_next), LSTMCache(x, h_prev, c_prev, *gates, c_next, params)
    h_next, gates = gru_cell_gates(xw, state, params)
    return h_next, h_next, GRUCache(x, state, *gates, params)


def cell_backward(dh_next, dc_next, cache):
    """Backpropagate one cell from its new state to its two pre-activations.

    dh_next (..., H) and, for the LSTM, dc_next (..., H) (None elsewhere) are the loss's
    gradients with respect to the step's outputs. Returns (dxw, dhw, dh_direct, dc_prev):
    dxw and dhw (..., G*H) for xw and hw; dh_direct, the part of dh_prev that bypasses
    W_h (the GRU's z * h_prev term; zero for the others); dc_prev (None unless LSTM).
    """
    if isinstance(cache, RNNCache):
        da = dh_next * (1.0 - cache.h_next ** 2)
        return da, da, 0.0, None
    if isinstance(cache, LSTMCache):
        tanh_c = np.tanh(cache.c_next)
        dc = dc_next + dh_next * cache.o * (1.0 - tanh_c ** 2)
        da = np.concatenate([dc * cache.g * cache.i * (1.0 - cache.i),
                             dc * cache.c_prev * cache.f * (1.0 - cache.f),
                             dc * cache.i * (1.0 - cache.g ** 2),
                             dh_next * tanh_c * cache.o * (1.0 - cache.o)], axis=-1)
        return da, da, 0.0, dc * cache.f
    dn = dh_next * (1.0 - cache.z) * (1.0 - cache.n ** 2)       # through tanh
    dr = dn * cache.h_n * cache.r * (1.0 - cache.r)               # through sigmoid
    dz = dh_next * (cache.h_prev - cache.n) * cache.z * (1.0 - cache.z)
    dxw = np.concatenate([dr, dz, dn], axis=-1)
    dhw = np.concatenate([dr, dz, dn * cache.r], axis=-1)
    return dxw, dhw, dh_next * cache.z, None


def outer_sum(a, b):
    """Sum of outer products a_k^T b_k over all leading axes: a (..., M), b (..., N) -> (M, N)."""
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


def projection_backward(x, h_prev, dxw, dhw, params, cell_type):
    """Backpropagate xw = x @ W_x + b(_x) and hw = h_prev @ W_h (+ b_h).

    x (..., D), h_prev (..., H), dxw and dhw (..., G*H). Returns (dx, dh_prev, dparams),
    dh_prev being the part that flows through W_h.
    """
    return dxw @ params["W_x"].T, dhw @ params["W_h"].T, param_grads(x, h_prev, dxw, dhw, cell_type)


def param_grads(x, h_prev, dxw, dhw, cell_type):
    """The cell parameters' gradients from the pre-activations' (shapes as projection_backward)."""
    dparams = {"W_x": outer_sum(x, dxw), "W_h": outer_sum(h_prev, dhw)}
    if cell_type == "gru":
        dparams["b_x"] = dxw.reshape(-1, dxw.shape[-1]).sum(axis=0)
        dparams["b_h"] = dhw.reshape(-1, dhw.shape[-1]).sum(axis=0)
    else:  # one bias b sits inside xw; hw has none (dhw is dxw for these cells)
        dparams["b"] = dxw.reshape(-1, dxw.shape[-1]).sum(axis=0)
    return dparams


def step_backward(dh_next, dc_next, cache, cell_type):
    """Backpropagate one step of any cell; return (dx, dh_prev, dc_prev, dparams)."""
    dxw, dhw, dh_direct, dc_prev = cell_backward(dh_next, dc_next, cache)
    dx, dh_prev, dparams = projection_backward(cache.x, cache.h_prev, dxw, dhw, cache.params,
                                               cell_type)
    return dx, dh_prev + dh_direct, dc_prev, dparams


def _check_grad(name, value, like):
    """Return the gradient `value` as a float array shaped like the state `like`."""
    letters = ("B", "H")[-like.ndim:]
    return as_float_array(name, value, tuple(zip(letters, like.shape)))


def _check_cache(cache, kind):
    if not isinstance(cache, kind):
        raise ValueError(f"cache: expected the {kind.__name__} a matching *_step_forward returned, "
                         f"got {type(cache).__name__}")


def gru_step_forward(x, h_prev, params):
    """Run one GRU step (gates r, z, n) and keep what its backward needs.

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, 3H), W_h (H, 3H),
    b_x (3H,), b_h (3H,). Returns (h_next, cache): h_next like h_prev, cache a GRUCache.
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "gru")
    h_next, _, cache = cell_forward(input_projection(x, params, "gru"), x, h_prev, params, "gru")
    return h_next, cache


def gru_step_backward(dh_next, cache):
    """Backpropagate one GRU step.

    dh_next: (H,) or (B, H), the loss's gradient with respect to h_next; cache: the GRUCache
    of gru_step_forward. Returns (dx, dh_prev, dparams): dx like x, dh_prev like h_prev,
    dparams {'W_x', 'W_h', 'b_x', 'b_h'} shaped like the parameters.
    """
    _check_cache(cache, GRUCache)
    dh_next = _check_grad("dh_next", dh_next, cache.h_prev)
    dx, dh_prev, _, dparams = step_backward(dh_next, None, cache, "gru")
    return dx, dh_prev, dparams


def sigmoid(a):
    """Logistic sigmoid, computed without overflow for any finite input."""
    return np.exp(-np.logaddexp(0.0, -a))


def rnn_step(x, h_prev, params):
    """Run one step of a tanh RNN: h_next = tanh(x @ W_x + h_prev @ W_h + b).

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, H), W_h (H, H), b (H,).
    Returns h_next, shaped like h_prev.
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "rnn")
    return np.tanh(x @ params["W_x"] + params["b"] + h_prev @ params["W_h"])


def lstm_step(x, h_prev, c_prev, params):
    """Run one step of an LSTM (gate blocks i, f, g, o).

    x: (D,) or (B, D); h_prev, c_prev: (H,) or (B, H);
    params: W_x (D, 4H), W_h (H, 4H), b (4H,). Returns (h_next, c_next), shaped like h_prev.
    """
    x, (h_prev, c_prev), params = check_step(x, {"h_prev": h_prev, "c_prev": c_prev},
                                             params, "lstm")
    a = x @ params["W_x"] + params["b"] + h_prev @ params["W_h"]
    i, f, g, o = np.split(a, 4, axis=-1)
    c_next = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def gru_step(x, h_prev, params):
    """Run one step of a GRU (gate blocks r, z, n), PyTorch's GRUCell.

    x: (D,) or (B, D); h_prev: (H,) or (B, H);
    params: W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,). Returns h_next, shaped like h_prev.
    The reset gate scales the hidden side's candidate term *after* W_hn and b_hn are
    applied, as PyTorch's GRUCell does (not before, as in Cho et al. 2014).
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "gru")
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev


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
    h = check_context(context_vector, params)
    target_seq = check_target(target_seq, params)
    c = np.zeros_like(h)  # an LSTM's cell state starts at zeros
    logits = np.empty((len(target_seq), params["W_y"].shape[1]))
    x = params["start"]
    for t in range(len(target_seq)):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (gru_step if cell_type == "gru" else rnn_step)(x, h, params)
        logits[t] = h @ params["W_y"] + params["b_y"]
        x = target_seq[t]  # the true token y_t is step t+1's input
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
    h = check_context(context_vector, params)
    seq_len = check_count("seq_len", seq_len, minimum=1)
    c = np.zeros_like(h)
    logits = np.empty((seq_len, params["W_y"].shape[1]))
    x = params["start"]
    for t in range(seq_len):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (gru_step if cell_type == "gru" else rnn_step)(x, h, params)
        logits[t] = h @ params["W_y"] + params["b_y"]
        x = params["embedding"][np.argmax(logits[t])]  # ties go to the lowest id
    return logits


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
    h = check_context(context_vector, params)
    target_seq = check_target(target_seq, params)
    sampling_prob = check_real("sampling_prob", sampling_prob, 0.0, 1.0)
    # u < 0 never holds and u < 1 always does (u is in [0, 1)), so the two ends are
    # exactly teacher forcing and free running.
    feed_prediction = make_rng(rng).random(len(target_seq) - 1) < sampling_prob
    c = np.zeros_like(h)
    logits = np.empty((len(target_seq), params["W_y"].shape[1]))
    x = params["start"]
    for t in range(len(target_seq)):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (gru_step if cell_type == "gru" else rnn_step)(x, h, params)
        logits[t] = h @ params["W_y"] + params["b_y"]
        if t + 1 < len(target_seq):  # step t+1's input: the coin drawn for step t+1
            x = params["embedding"][np.argmax(logits[t])] if feed_prediction[t] else target_seq[t]
    return logits


def recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type='rnn'):
    """Measure how one wrong input changes a teacher-forced decoder's errors after it.

    context_vectors (N, H); target_ids (N, T) int, PAD (0) after each sequence's end;
    wrong_ids (N,) int. Each sequence is decoded twice with teacher forcing: clean (fed the
    true tokens), and corrupted (the same, except that the token fed at step k+1, the true
    target_ids[i, k], is replaced by wrong_ids[i]). A guess (the argmax of a step's logits)
    is an error where it differs from target_ids; PAD positions do not count. Returns
    (T-k-1,): entry d-1 is the corrupted runs' error rate at position k+d minus the clean
    runs' error rate there, over the sequences whose position k+d is not PAD (NaN if none is).
    """
    target_ids = np.asarray(target_ids)
    contexts = as_float_array("context_vectors", context_vectors, (("N", len(target_ids)), ("H", None)))
    if target_ids.ndim != 2 or target_ids.dtype.kind not in "iu":
        raise ValueError(f"target_ids: expected an int array (N, T), got {target_ids.dtype} array "
                         f"of shape {target_ids.shape}")
    N, T = target_ids.shape
    k = check_count("k", k, minimum=0)
    if k > T - 2:
        raise ValueError(f"k: expected 0 <= k <= T-2 = {T - 2} (a step must follow the corrupted "
                         f"input), got {k}")
    wrong_ids = np.asarray(wrong_ids)
    if wrong_ids.shape != (N,) or wrong_ids.dtype.kind not in "iu":
        raise ValueError(f"wrong_ids: expected an int array of shape (N,) = ({N},), got "
                         f"{wrong_ids.dtype} array of shape {wrong_ids.shape}")
    embedding = np.asarray(decoder_params["embedding"])
    errors = np.zeros((2, N, T), dtype=bool)
    for i in range(N):
        corrupted = target_ids[i].copy()
        corrupted[k] = wrong_ids[i]
        for run, fed in enumerate((target_ids[i], corrupted)):
            logits = decoder_forward_teacher_forcing(contexts[i], embedding[fed], decoder_params,
                                                     cell_type)
            errors[run, i] = np.argmax(logits, axis=1) != target_ids[i]
    real = target_ids[:, k + 1:] != 0
    n = real.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = (errors[:, :, k + 1:] & real).sum(axis=1) / n
    return np.where(n > 0, rates[1] - rates[0], np.nan)


def linear_schedule(i, k, c, eps_min):
    """Linear decay eps_i = max(eps_min, k - c*i), for 0 <= eps_min <= k <= 1 and c >= 0."""
    i = check_real("i", i, 0.0)
    k = check_real("k", k, 0.0, 1.0)
    c = check_real("c", c, 0.0)
    eps_min = check_real("eps_min", eps_min, 0.0, k)
    return max(eps_min, k - c * i)


def exponential_schedule(i, k):
    """Exponential decay eps_i = k**i, for 0 < k < 1."""
    i = check_real("i", i, 0.0)
    k = check_real("k", k, 0.0, 1.0, low_open=True, high_open=True)
    return k ** i


def inverse_sigmoid_schedule(i, k):
    """Inverse sigmoid decay eps_i = k / (k + exp(i / k)), for k >= 1."""
    i = check_real("i", i, 0.0)
    k = check_real("k", k, 1.0)
    # k / (k + e^(i/k)) = 1 / (1 + e^z) with z = i/k - ln k; this form never overflows.
    z = i / k - math.log(k)
    if z > 0:
        return math.exp(-z) / (1.0 + math.exp(-z))
    return 1.0 / (1.0 + math.exp(z))


def _check_batch(context_vector, target_seq, params):
    """Validate a context (H,) with target_seq (T, D), or (B, H) with (B, T, D)."""
    D, H = params["W_x"].shape[0], params["W_h"].shape[0]
    batched = np.ndim(context_vector) == 2
    lead = (("B", None),) if batched else ()
    context_vector = as_float_array("context_vector", context_vector, lead + (("H", H),))
    lead = (("B", context_vector.shape[0]),) if batched else ()
    target_seq = as_float_array("target_seq", target_seq, lead + (("T", None), ("D", D)))
    if target_seq.shape[-2] < 1:
        raise ValueError(f"target_seq: expected at least one step (T >= 1), got shape "
                         f"{target_seq.shape}")
    return context_vector, target_seq


def initial_state(h0, cell_type):
    """The recurrent state a decoder starts from: h0, or (h0, zeros) for an LSTM."""
    return (h0, np.zeros_like(h0)) if cell_type == "lstm" else h0


def _run(h0, inputs, xw, params, cell_type):
    """Run the cell over precomputed projections xw (..., T, G*H); return (hidden, steps)."""
    n_steps = xw.shape[-2]
    hidden = np.empty(xw.shape[:-1] + (h0.shape[-1],))
    steps = []
    state = initial_state(h0, cell_type)
    for t in range(n_steps):
        hidden[..., t, :], state, cache = cell_forward(xw[..., t, :], inputs[..., t, :], state,
                                                       params, cell_type)
        steps.append(cache)
    return hidden, steps


def decoder_forward_teacher_forcing_cache(context_vector, target_seq, decoder_params,
                                          cell_type='rnn'):
    """Run the teacher-forced decoder and keep what backpropagation needs.

    context_vector: (H,) or (B, H); target_seq: (T, D) or (B, T, D), the embedded true
    tokens; decoder_params: the contract's dict. Returns (logits, cache): logits (T, V) or
    (B, T, V), equal to decoder_forward_teacher_forcing's; cache a DecoderCache.
    """
    params = check_decoder_params(decoder_params, cell_type)
    h0, target_seq = _check_batch(context_vector, target_seq, params)
    start = np.broadcast_to(params["start"], target_seq.shape[:-2] + (1, target_seq.shape[-1]))
    inputs = np.concatenate([start, target_seq[..., :-1, :]], axis=-2)
    # All T inputs are known: one matrix product projects them (hoisted out of the loop).
    hidden, steps = _run(h0, inputs, input_projection(inputs, params, cell_type), params, cell_type)
    logits = hidden @ params["W_y"] + params["b_y"]
    return logits, DecoderCache(inputs, steps, hidden, params, cell_type)


def decoder_backward_core(dlogits, cache):
    """Backpropagate through time from the logits' gradient to h0, the inputs and the params.

    dlogits: like the logits. Returns (dh0, dinputs, dparams): dh0 like the context,
    dinputs like cache.inputs, dparams for every key but 'start' and 'embedding'.
    """
    params, cell_type, steps = cache.params, cache.cell_type, cache.steps
    dlogits = as_float_array("dlogits", dlogits, tuple(
        (letter, n) for letter, n in zip(("B", "T", "V")[-(cache.hidden.ndim):],
                                         cache.hidden.shape[:-1] + (params["W_y"].shape[1],))))
    dhidden = dlogits @ params["W_y"].T   # every step's logits at once
    G_H = params["W_h"].shape[1]
    dxw = np.empty(cache.hidden.shape[:-1] + (G_H,))
    dhw = np.empty_like(dxw)
    dh = np.zeros(cache.hidden.shape[:-2] + cache.hidden.shape[-1:])
    dc = np.zeros_like(dh) if cell_type == "lstm" else None
    for t in reversed(range(len(steps))):
        dxw[..., t, :], dhw[..., t, :], dh_direct, dc = cell_backward(dhidden[..., t, :] + dh, dc,
                                                                      steps[t])
        dh = dhw[..., t, :] @ params["W_h"].T + dh_direct
    # The weight gradients sum over every step: one matrix product each, after the loop.
    h_prev = np.stack([step.h_prev for step in steps], axis=-2)
    dparams = param_grads(cache.inputs, h_prev, dxw, dhw, cell_type)
    dparams["W_y"] = outer_sum(cache.hidden, dlogits)
    dparams["b_y"] = dlogits.reshape(-1, dlogits.shape[-1]).sum(axis=0)
    return dh, dxw @ params["W_x"].T, dparams


def decoder_backward_teacher_forcing(dlogits, cache):
    """Backpropagate through time through the teacher-forced decoder.

    dlogits: (T, V) or (B, T, V), the loss's gradient with respect to the logits; cache: the
    DecoderCache of decoder_forward_teacher_forcing_cache. Returns, in the order of the
    forward's arguments, (dcontext_vector, dtarget_seq, dparams): dcontext_vector (H,) or
    (B, H); dtarget_seq like target_seq (its last row is zero: y_{T-1} is never fed);
    dparams a dict with a gradient for every key of decoder_params ('embedding' is zero:
    teacher forcing reads target_seq, never the table).
    """
    if not isinstance(cache, DecoderCache):
        raise ValueError(f"cache: expected the DecoderCache a decoder forward returned, got "
                         f"{type(cache).__name__}")
    dh0, dinputs, dparams = decoder_backward_core(dlogits, cache)
    dtarget_seq = np.zeros_like(dinputs)
    dtarget_seq[..., :-1, :] = dinputs[..., 1:, :]
    dparams["start"] = dinputs[..., 0, :].reshape(-1, dinputs.shape[-1]).sum(axis=0)
    dparams["embedding"] = np.zeros_like(cache.params["embedding"])
    return dh0, dtarget_seq, dparams

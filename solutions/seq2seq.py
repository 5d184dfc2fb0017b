"""Reference encoder and decoder passes that keep a cache, and backpropagation through time.

D is the embedding size, H the hidden size, V the vocabulary size, T the number of decoder
steps, S the number of source tokens, B the batch size. The decoder follows the decoder
contract: step t consumes x_t, updates the state, and emits logits_t = h_t @ W_y + b_y;
x_0 = start. Every function runs the cells of solutions/backprop.py through its
cell_forward (one implementation of each cell in notebook 05's code), on one sequence
((T, D), (H,)) or a batch ((B, T, D), (B, H)) alike.

Backpropagation treats the inputs that were fed as constants: under scheduled sampling
or free running, the choice of the model's own token (an argmax) passes no gradient, but
the embedding row of the token that was fed does receive one, as in PyTorch's
`embedding(logits.argmax(-1).detach())`.
"""
from typing import NamedTuple

import numpy as np

from solutions.backprop import cell_backward, cell_forward, input_projection, outer_sum, param_grads
from tfcourse.caches import DecoderCache
from tfcourse.contract import check_cell_params, check_decoder_params
from tfcourse.validate import as_float_array, check_count, check_params, check_real, make_rng


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


def decoder_forward_sampling_cache(context_vector, target_ids, decoder_params, sampling_prob,
                                   cell_type='rnn', rng=None):
    """Run a batch of decoders under scheduled sampling and keep the cache.

    context_vector: (B, H); target_ids: (B, T) int, the true tokens; sampling_prob in [0, 1].
    At each step t = 1 .. T-1 every sequence draws its own coin (rng.random((B, T-1)), drawn
    once before the loop) and feeds its greedy token where the coin is < sampling_prob,
    else target_ids[:, t-1]. Returns (logits (B, T, V), cache, fed_ids (B, T-1)): the ids fed
    at steps 1 .. T-1, so that fed_ids[:, t-1] plays the role of target_ids[:, t-1].
    """
    params = check_decoder_params(decoder_params, cell_type)
    V, H = params["W_y"].shape[1], params["W_h"].shape[0]
    h0 = as_float_array("context_vector", context_vector, (("B", None), ("H", H)))
    target_ids = _check_ids("target_ids", target_ids, (h0.shape[0], None), V)
    sampling_prob = check_real("sampling_prob", sampling_prob, 0.0, 1.0)
    coins = make_rng(rng).random((h0.shape[0], target_ids.shape[1] - 1)) < sampling_prob
    return _decode_batch(h0, params, cell_type, target_ids.shape[1], target_ids, coins)


def _check_ids(name, ids, shape, V):
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu" or ids.ndim != 2 or any(
            want is not None and got != want for got, want in zip(ids.shape, shape)) \
            or ids.shape[1] < 1 or (ids.size and (ids.min() < 0 or ids.max() >= V)):
        raise ValueError(f"{name}: expected an int array of shape (B={shape[0]}, T>=1) with ids in "
                         f"[0, {V}), got {ids.dtype} array of shape {ids.shape}")
    return ids


def _decode_batch(h0, params, cell_type, n_steps, teacher_ids, feed_prediction):
    """Run n_steps, feeding the greedy token where feed_prediction (B, n_steps-1) is True.

    teacher_ids (B, >= n_steps-1) supplies the other steps' inputs (None: all predictions).
    Returns (logits (B, n_steps, V), cache, fed_ids (B, n_steps-1)).
    """
    B, V = h0.shape[0], params["W_y"].shape[1]
    # Project the whole vocabulary once: feeding token k then costs one row lookup.
    table = input_projection(params["embedding"], params, cell_type)
    logits = np.empty((B, n_steps, V))
    fed_ids = np.zeros((B, n_steps - 1), dtype=np.int64)
    steps, hidden = [], np.empty((B, n_steps, h0.shape[1]))
    inputs = np.empty((B, n_steps, params["start"].shape[0]))
    state = initial_state(h0, cell_type)
    for t in range(n_steps):
        if t == 0:
            inputs[:, 0] = params["start"]
            xw = np.broadcast_to(input_projection(params["start"], params, cell_type),
                                 (B, table.shape[1]))
        else:
            fed = np.argmax(logits[:, t - 1], axis=-1)  # ties go to the lowest id
            if teacher_ids is not None:
                fed = np.where(feed_prediction[:, t - 1], fed, teacher_ids[:, t - 1])
            fed_ids[:, t - 1] = fed
            inputs[:, t] = params["embedding"][fed]
            xw = table[fed]
        hidden[:, t], state, cache = cell_forward(xw, inputs[:, t], state, params, cell_type)
        steps.append(cache)
        logits[:, t] = hidden[:, t] @ params["W_y"] + params["b_y"]
    return logits, DecoderCache(inputs, steps, hidden, params, cell_type), fed_ids


def greedy_decode(context_vector, decoder_params, seq_len, cell_type='rnn'):
    """Free-run a batch of decoders greedily (batched decoder_forward_free_running).

    context_vector: (B, H). Returns (ids (B, seq_len) int64, logits (B, seq_len, V)).
    """
    params = check_decoder_params(decoder_params, cell_type)
    h0 = as_float_array("context_vector", context_vector, (("B", None),
                                                           ("H", params["W_h"].shape[0])))
    seq_len = check_count("seq_len", seq_len, minimum=1)
    logits, _, _ = _decode_batch(h0, params, cell_type, seq_len, None, None)
    return np.argmax(logits, axis=-1), logits


class EncoderCache(NamedTuple):
    """What encoder_backward needs: source_ids and mask (B, S), the embedded inputs
    (B, S, D), S step caches, the params and the cell type."""
    source_ids: np.ndarray
    mask: np.ndarray
    inputs: np.ndarray
    steps: list
    params: dict
    cell_type: str


def check_encoder_params(encoder_params, cell_type):
    """Validate an encoder's parameters: the cell's, plus embedding (V, D)."""
    embedding = check_params("encoder_params", encoder_params,
                             {"embedding": (("V", None), ("D", None))})["embedding"]
    params = check_cell_params("encoder_params", encoder_params, cell_type, D=embedding.shape[1])
    params["embedding"] = embedding
    return params


def encoder_forward_cache(source_ids, source_mask, encoder_params, cell_type='rnn'):
    """Encode a padded batch of sources into context vectors, keeping the cache.

    source_ids (B, S) int and source_mask (B, S) bool (True at real tokens, padding at the
    end); encoder_params: W_x, W_h, the biases and embedding (V, D). The state starts at
    zeros and stays put at padded steps, so each context is the hidden state after the
    sequence's last real token. Returns (context (B, H), cache).
    """
    params = check_encoder_params(encoder_params, cell_type)
    source_ids = _check_ids("source_ids", source_ids, (None, None), len(params["embedding"]))
    mask = np.asarray(source_mask)
    if mask.shape != source_ids.shape or mask.dtype != bool:
        raise ValueError(f"source_mask: expected a bool array of shape {source_ids.shape}, got "
                         f"{mask.dtype} array of shape {mask.shape}")
    inputs = params["embedding"][source_ids]
    xw = input_projection(inputs, params, cell_type)
    state = initial_state(np.zeros((len(source_ids), params["W_h"].shape[0])), cell_type)
    steps = []
    for t in range(source_ids.shape[1]):
        _, new_state, cache = cell_forward(xw[:, t], inputs[:, t], state, params, cell_type)
        keep = mask[:, t, None]
        if cell_type == "lstm":
            state = (np.where(keep, new_state[0], state[0]), np.where(keep, new_state[1], state[1]))
        else:
            state = np.where(keep, new_state, state)
        steps.append(cache)
    context = state[0] if cell_type == "lstm" else state
    return context, EncoderCache(source_ids, mask, inputs, steps, params, cell_type)


def encoder_backward(dcontext, cache):
    """Backpropagate through time through the encoder.

    dcontext: (B, H). Returns dparams, a gradient for every key of encoder_params
    (embedding included: each source token's row collects its inputs' gradients).
    """
    params, cell_type, mask = cache.params, cache.cell_type, cache.mask
    dh = as_float_array("dcontext", dcontext, (("B", len(mask)), ("H", params["W_h"].shape[0])))
    dc = np.zeros_like(dh) if cell_type == "lstm" else None
    G_H = params["W_h"].shape[1]
    dxw = np.empty(mask.shape + (G_H,))
    dhw = np.empty_like(dxw)
    for t in reversed(range(len(cache.steps))):
        keep = mask[:, t, None]
        # A padded step copied the state through: its gradient passes by the cell.
        dxw[:, t], dhw[:, t], dh_direct, dc_prev = cell_backward(
            dh * keep, None if dc is None else dc * keep, cache.steps[t])
        dh = dhw[:, t] @ params["W_h"].T + dh_direct + dh * ~keep
        if dc is not None:
            dc = dc_prev + dc * ~keep
    h_prev = np.stack([step.h_prev for step in cache.steps], axis=1)
    dparams = param_grads(cache.inputs, h_prev, dxw, dhw, cell_type)
    dparams["embedding"] = np.zeros_like(params["embedding"])
    np.add.at(dparams["embedding"], cache.source_ids, dxw @ params["W_x"].T)
    return dparams

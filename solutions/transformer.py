"""Reference transformer pieces: shifted inputs, the causal mask, and a one-block decoder.

T is the sequence length, B an optional batch size, D the model (embedding) size,
d_k the query/key size, d_v the value size, V the vocabulary size. Row vectors as in
the recurrent cells (`x @ W_q`), batch first: a sequence is (T, D), a batch (B, T, D).

Teacher forcing in a transformer is one forward pass over the shifted labels:

    input_ids = shift_right(labels, start_token_id, pad_token_id)   # [start, y_0 .. y_{T-2}]
    logits = transformer_decoder_forward(input_ids, params)         # row t scores y_t

The causal mask lets position t attend only to positions 0..t, so row t of that single
pass is exactly what a step-by-step decoder fed the true prefix would compute at step t.

The decoder (`transformer_decoder_forward`) has one attention block and no layer norm
or feed-forward layer, so that every line of it is one idea:

    x = embedding[input_ids] + positional_encoding(T, D)           (T, D)
    h = x + causal_self_attention(x, W_q, W_k, W_v, W_o).out        (T, D)   residual
    logits = h @ W_y + b_y                                          (T, V)

Its parameters are one dict (`params`): embedding (V, D), W_q (D, d_k), W_k (D, d_k),
W_v (D, d_v), W_o (d_v, D), W_y (D, V), b_y (V,).
"""
from typing import NamedTuple

import numpy as np

from tfcourse.caches import KVCache
from tfcourse.transformer_params import check_integer, check_token_ids, check_transformer_params
from tfcourse.validate import as_float_array, check_count


class Attention(NamedTuple):
    """The output of causal_self_attention: out (..., T, d_v or D_out), weights (..., T, T)."""
    out: np.ndarray
    weights: np.ndarray


# ----------------------------------------------------------------------------- graded pieces

def shift_right(labels, start_token_id, pad_token_id, ignore_index=-100):
    """Make a decoder's teacher-forced inputs from its labels, as Hugging Face's shift_tokens_right.

    labels: (T,) or (B, T) integer token ids; positions to be ignored by the loss may hold
    `ignore_index`. Returns an int64 array of the same shape: the start token first, then
    the labels without the last one, `[start, y_0, ..., y_{T-2}]`, with every ignore_index
    (anywhere in the result) replaced by pad_token_id. The labels are not modified.
    """
    labels = check_token_ids("labels", labels)
    start_token_id = check_count("start_token_id", start_token_id, minimum=0)
    pad_token_id = check_count("pad_token_id", pad_token_id, minimum=0)
    ignore_index = check_integer("ignore_index", ignore_index)
    shifted = np.empty_like(labels)
    shifted[..., 0] = start_token_id
    shifted[..., 1:] = labels[..., :-1]
    # After the shift, as Hugging Face does: a start token equal to ignore_index is replaced too.
    shifted[shifted == ignore_index] = pad_token_id
    return shifted


def causal_mask(T):
    """Return the (T, T) boolean causal mask: mask[t, j] is True when position t may attend to j.

    True exactly on and below the diagonal (j <= t): a position sees itself and its past,
    never its future. (PyTorch's scaled_dot_product_attention uses the same convention;
    nn.MultiheadAttention's boolean attn_mask is the opposite, True = hidden.)
    """
    T = check_count("T", T, minimum=1)
    return np.tril(np.ones((T, T), dtype=bool))


def softmax(scores, axis=-1):
    """Stable softmax along `axis`: subtract the max first; entries of -inf get exactly 0.

    Every row must hold at least one finite score (under a causal mask the diagonal does).
    """
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def attend(q, k, v, mask=None):
    """Scaled dot-product attention of queries q (..., T_q, d_k) over keys k and values v
    (..., T_k, d_k / d_v). mask (T_q, T_k) bool, True = may attend; None = all allowed.
    Returns Attention(out (..., T_q, d_v), weights (..., T_q, T_k))."""
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # exp(-inf) = 0: hidden keys get exactly 0
    weights = softmax(scores)
    return Attention(weights @ v, weights)


def causal_self_attention(x, W_q, W_k, W_v, W_o=None):
    """Single-head causal self-attention: each position attends to itself and its past.

    x: (T, D) or (B, T, D). W_q, W_k: (D, d_k); W_v: (D, d_v); W_o: (d_v, D_out) or None.
    q, k, v = x @ W_q, x @ W_k, x @ W_v; weights = softmax(q k^T / sqrt(d_k)) with the
    future masked out (weight exactly 0); out = weights @ v, then @ W_o when given.
    Returns Attention(out (..., T, D_out), or (..., T, d_v) without W_o; weights (..., T, T)),
    where row t of weights is how much position t draws on each position j <= t.
    """
    x = as_float_array("x", x, ((("B", None),) if np.ndim(x) == 3 else ()) + (("T", None), ("D", None)))
    if x.shape[-2] < 1:
        raise ValueError(f"x: expected at least one position (T >= 1), got shape {x.shape}")
    D = x.shape[-1]
    W_q = as_float_array("W_q", W_q, (("D", D), ("d_k", None)))
    W_k = as_float_array("W_k", W_k, (("D", D), ("d_k", W_q.shape[1])))
    W_v = as_float_array("W_v", W_v, (("D", D), ("d_v", None)))
    if W_o is not None:
        W_o = as_float_array("W_o", W_o, (("d_v", W_v.shape[1]), ("D_out", None)))
    return _causal_self_attention(x, W_q, W_k, W_v, W_o)


def _causal_self_attention(x, W_q, W_k, W_v, W_o):
    out, weights = attend(x @ W_q, x @ W_k, x @ W_v, causal_mask(x.shape[-2]))
    return Attention(out if W_o is None else out @ W_o, weights)


def positional_encoding(T, D):
    """Return the sinusoidal positional encoding (T, D) of Vaswani et al. (2017).

    PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(t / 10000^(2i/D)); for an odd D
    the last column is a sine.
    """
    T = check_count("T", T, minimum=1)
    D = check_count("D", D, minimum=1)
    angle = np.arange(T)[:, None] / 10000.0 ** (np.arange(0, D, 2) / D)  # (T, ceil(D/2))
    pe = np.empty((T, D))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, :D // 2])
    return pe


def transformer_decoder_forward(input_ids, params):
    """Run the one-block causal decoder over a whole input sequence in one pass.

    input_ids: (T,) or (B, T) token ids in [0, V); for teacher forcing they are
    shift_right(labels, ...). params: see the module docstring. Returns logits (T, V)
    or (B, T, V); row t depends on input_ids[..., :t+1] only and scores the token at t.
    """
    params = check_transformer_params(params)
    input_ids = check_token_ids("input_ids", input_ids, params["embedding"].shape[0])
    return _forward(input_ids, params)


def _embed(input_ids, params, positions):
    """Token embeddings plus the positional encodings of `positions` (a slice of 0..T-1)."""
    D = params["embedding"].shape[1]
    return params["embedding"][input_ids] + positional_encoding(positions.stop, D)[positions]


def _forward(input_ids, params):
    x = _embed(input_ids, params, slice(0, input_ids.shape[-1]))
    attn = _causal_self_attention(x, params["W_q"], params["W_k"], params["W_v"], params["W_o"])
    return (x + attn.out) @ params["W_y"] + params["b_y"]


# ----------------------------------------------------------------------------- step by step

def transformer_decoder_step_by_step(input_ids, params):
    """Decode step by step without a cache: step t runs the whole decoder on the prefix
    input_ids[..., :t+1] and keeps its last row. T passes, O(T^2) positions in all.

    input_ids: (T,) or (B, T). Returns logits (T, V) or (B, T, V), equal (up to rounding)
    to transformer_decoder_forward(input_ids, params): that equality is the causal mask's job.
    """
    params = check_transformer_params(params)
    input_ids = check_token_ids("input_ids", input_ids, params["embedding"].shape[0])
    T = input_ids.shape[-1]
    return np.stack([_forward(input_ids[..., :t + 1], params)[..., -1, :] for t in range(T)],
                    axis=-2)


def transformer_decoder_step(token_ids, cache, params):
    """Decode one position: its tokens and the KV cache of the positions before it in, its
    logits and the cache with its own key and value appended out.

    token_ids: an int, or (B,) ints, the tokens at position t; cache: None at t = 0, else the
    KVCache (keys (..., t, d_k), values (..., t, d_v)) the previous step returned. Returns
    (logits (V,) or (B, V), KVCache with t + 1 positions). Step t computes the query, key and
    value of position t only; the new query attends over the cached keys and its own, which
    are exactly positions 0..t, so no mask is needed. Fed input_ids[..., t] for t = 0..T-1,
    the logits are the rows of transformer_decoder_forward(input_ids, params).
    """
    params = check_transformer_params(params)
    V = params["embedding"].shape[0]
    if np.ndim(token_ids) > 1:
        raise ValueError(f"token_ids: expected an int or (B,) ints, the tokens at one position, "
                         f"got shape {np.shape(token_ids)}")
    token_ids = check_token_ids("token_ids", np.asarray(token_ids)[..., None], V)[..., 0]
    keys, values = _check_kv_cache(cache, token_ids.shape, params)
    t = keys.shape[-2]
    x = _embed(token_ids[..., None], params, slice(t, t + 1))  # (..., 1, D)
    keys = np.concatenate([keys, x @ params["W_k"]], axis=-2)
    values = np.concatenate([values, x @ params["W_v"]], axis=-2)
    out = attend(x @ params["W_q"], keys, values).out @ params["W_o"]
    return ((x + out) @ params["W_y"] + params["b_y"])[..., 0, :], KVCache(keys, values)


def _check_kv_cache(cache, batch, params):
    """The cache's (keys, values) as float arrays, empty (t = 0) for None."""
    d_k, d_v = params["W_k"].shape[1], params["W_v"].shape[1]
    lead = tuple(("B", n) for n in batch)
    if cache is None:
        return np.zeros(batch + (0, d_k)), np.zeros(batch + (0, d_v))
    if not isinstance(cache, tuple) or len(cache) != 2:
        raise ValueError(f"cache: expected None or the KVCache (keys, values) the previous step "
                         f"returned, got {type(cache).__name__}")
    keys = as_float_array("cache.keys", cache[0], lead + (("t", None), ("d_k", d_k)))
    values = as_float_array("cache.values", cache[1],
                            lead + (("t", keys.shape[-2]), ("d_v", d_v)))
    return keys, values


def transformer_decoder_kv_cache(input_ids, params):
    """Decode step by step fed the given (true) inputs, with a KV cache: T steps of one row each.

    input_ids: (T,) or (B, T). Returns logits (T, V) or (B, T, V), equal (up to rounding)
    to transformer_decoder_forward(input_ids, params).
    """
    params = check_transformer_params(params)
    input_ids = check_token_ids("input_ids", input_ids, params["embedding"].shape[0])
    cache, rows = None, []
    for t in range(input_ids.shape[-1]):
        logits, cache = transformer_decoder_step(input_ids[..., t], cache, params)
        rows.append(logits)
    return np.stack(rows, axis=-2)


def transformer_decoder_free_running(params, start_token_id, max_len):
    """Generate greedily: feed the start token, then each step's argmax (ties to the lowest id).

    Uses a KV cache. Returns logits (max_len, V); the tokens are logits.argmax(-1).
    """
    params = check_transformer_params(params)
    V = params["embedding"].shape[0]
    start_token_id = check_count("start_token_id", start_token_id, minimum=0)
    if start_token_id >= V:
        raise ValueError(f"start_token_id: expected a token id in [0, V={V}), got {start_token_id}")
    max_len = check_count("max_len", max_len, minimum=1)
    cache = None
    logits = np.empty((max_len, V))
    token = start_token_id
    for t in range(max_len):
        logits[t], cache = transformer_decoder_step(token, cache, params)
        token = int(np.argmax(logits[t]))
    return logits

# Generated in the course repository, for instructors, by `python -m autograder build`
# from solutions/tiny_gpt.py. Do not edit: rebuild instead.
"""A tiny GPT in numpy: the decoder-only transformer that 07_teacher_forcing_in_language_models
runs and generates from.

It reaches students with that notebook's release (and no earlier one), as a file beside the
notebook, because its masked attention and stable softmax answer the exercises of
06_teacher_forcing_in_transformers in substance; that is also why it is not part of the
`tfcourse` package, which every student has.

B is an optional batch size, T the number of positions fed, V the vocabulary size, D the model
size, n_head the number of attention heads (head size D / n_head), P the longest context.

    logits = gpt_forward(input_ids, params)                     # (..., T, V), one pass
    logits, cache = gpt_forward_cached(new_ids, params, cache)  # feed more tokens, KV cache

The model is GPT-2's, small: learned token and position embeddings; `n_layer` pre-norm blocks,
each `x = x + attention(LN(x))` then `x = x + MLP(LN(x))`, with multi-head causal attention
and an MLP of width 4D with the tanh-approximate GELU; a final LayerNorm; and **tied**
embeddings: the logits are `LN_f(x) @ wte.T` (no output bias). LayerNorm uses eps = 1e-5 and
the biased variance, as torch.nn.LayerNorm. The parameters' layout is documented in
tfcourse.gpt (random_gpt_params, load_gpt). The course's own tests prove that these logits
equal those of the PyTorch model that was trained (float64, 1e-10).
"""
import numpy as np

from tfcourse.caches import KVCache

LN_EPS = 1e-5


def layer_norm(x, g, b):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * g + b


def gelu(x):
    """The tanh approximation of GELU (torch.nn.GELU(approximate='tanh'))."""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def _heads(x, n_head):
    """(..., T, D) -> (..., n_head, T, D / n_head)."""
    *lead, T, D = x.shape
    return np.swapaxes(x.reshape(*lead, T, n_head, D // n_head), -2, -3)


def _attention(x, params, i, keys, values, start):
    """Block i's attention of the new positions start.. over the cached ones and themselves."""
    n_head = int(params["n_head"])
    qkv = x @ params[f"h{i}.attn.W_qkv"] + params[f"h{i}.attn.b_qkv"]
    q, k, v = (_heads(part, n_head) for part in np.split(qkv, 3, axis=-1))
    if keys is not None:
        k, v = np.concatenate([keys, k], axis=-2), np.concatenate([values, v], axis=-2)
    T_new, T_all = q.shape[-2], k.shape[-2]
    # new position start+n may read positions 0..start+n: the cache and the new ones up to n
    allowed = np.arange(T_all)[None, :] <= start + np.arange(T_new)[:, None]
    scores = np.where(allowed, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    weights = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    out = weights / np.sum(weights, axis=-1, keepdims=True) @ v  # (..., n_head, T_new, d_head)
    out = np.swapaxes(out, -2, -3).reshape(x.shape)
    return out @ params[f"h{i}.attn.W_o"] + params[f"h{i}.attn.b_o"], k, v


def gpt_forward_cached(new_ids, params, cache=None):
    """Feed tokens new_ids (..., n) at the positions after those in the cache.

    cache: None (start at position 0) or the KVCache a previous call returned, whose keys and
    values are tuples with one (..., n_head, t, D / n_head) array per block, t positions
    cached. Returns (logits (..., n, V), the cache extended by these n positions). The cache
    passed in is not modified.
    """
    new_ids = np.asarray(new_ids)
    if new_ids.ndim < 1 or new_ids.shape[-1] < 1 or new_ids.dtype.kind not in "iu":
        raise ValueError(f"new_ids: expected integer token ids (..., n) with n >= 1, got "
                         f"{new_ids.dtype} array of shape {new_ids.shape}")
    V, P = params["wte"].shape[0], params["wpe"].shape[0]
    if new_ids.min() < 0 or new_ids.max() >= V:
        raise ValueError(f"new_ids: expected token ids in [0, V={V}), got values from "
                         f"{new_ids.min()} to {new_ids.max()}")
    start = 0 if cache is None else cache.keys[0].shape[-2]
    end = start + new_ids.shape[-1]
    if end > P:
        raise ValueError(f"new_ids: the model reads at most P={P} positions; feeding "
                         f"{new_ids.shape[-1]} after {start} cached ones needs {end}")
    x = params["wte"][new_ids] + params["wpe"][start:end]
    keys, values = [], []
    for i in range(sum(1 for name in params if name.endswith(".attn.W_qkv"))):
        attn, k, v = _attention(layer_norm(x, params[f"h{i}.ln_1.g"], params[f"h{i}.ln_1.b"]),
                                params, i, None if cache is None else cache.keys[i],
                                None if cache is None else cache.values[i], start)
        x = x + attn
        hidden = gelu(layer_norm(x, params[f"h{i}.ln_2.g"], params[f"h{i}.ln_2.b"])
                      @ params[f"h{i}.mlp.W_fc"] + params[f"h{i}.mlp.b_fc"])
        x = x + hidden @ params[f"h{i}.mlp.W_proj"] + params[f"h{i}.mlp.b_proj"]
        keys.append(k)
        values.append(v)
    logits = layer_norm(x, params["ln_f.g"], params["ln_f.b"]) @ params["wte"].T
    return logits, KVCache(tuple(keys), tuple(values))


def gpt_forward(input_ids, params):
    """Logits (..., T, V) of input_ids (..., T) in one pass: row t depends on ids 0..t only."""
    return gpt_forward_cached(input_ids, params)[0]

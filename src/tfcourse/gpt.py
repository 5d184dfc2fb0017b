"""A tiny GPT in numpy: the decoder-only transformer that
07_teacher_forcing_in_language_models trains on and generates from.

B is an optional batch size, T the number of positions fed, V the vocabulary size, D the model
size, n_head the number of attention heads (head size D / n_head), P the longest context.

    logits = gpt_forward(input_ids, params)                     # (..., T, V), one pass
    logits, cache = gpt_forward_cached(new_ids, params, cache)  # feed more tokens, KV cache

The model is GPT-2's, small: learned token and position embeddings; `n_layer` pre-norm blocks,
each `x = x + attention(LN(x))` then `x = x + MLP(LN(x))`, with multi-head causal attention
and an MLP of width 4D with the tanh-approximate GELU; a final LayerNorm; and **tied**
embeddings: the logits are `LN_f(x) @ wte.T` (no output bias). LayerNorm uses eps = 1e-5 and
the biased variance, as torch.nn.LayerNorm. In the course repository, for instructors,
tests/test_gpt.py proves that these logits equal those of the PyTorch model
scripts/train_tiny_gpt.py trains (float64, 1e-10).

Parameters (one dict, float64): `wte (V, D)`, `wpe (P, D)`, `ln_f.g`, `ln_f.b (D,)`, and for
block i: `h{i}.ln_1.g/b (D,)`, `h{i}.attn.W_qkv (D, 3D)`, `h{i}.attn.b_qkv (3D,)` (queries,
keys, values side by side), `h{i}.attn.W_o (D, D)`, `h{i}.attn.b_o (D,)`, `h{i}.ln_2.g/b (D,)`,
`h{i}.mlp.W_fc (D, 4D)`, `h{i}.mlp.b_fc (4D,)`, `h{i}.mlp.W_proj (4D, D)`, `h{i}.mlp.b_proj (D,)`;
and `n_head`, an int. Student-safe: no graded function is computed here.
"""
from typing import NamedTuple

import numpy as np

from tfcourse.paths import data_dir

LN_EPS = 1e-5
PRETRAINED = "tiny_gpt.npz"


class KVCache(NamedTuple):
    """The keys and values of every position fed so far, per block.

    keys[i], values[i]: (..., n_head, length, D / n_head) for block i; `length` positions are
    cached, so the next token fed sits at position `length`.
    """
    keys: tuple
    values: tuple
    length: int


def n_layer(params):
    return sum(1 for k in params if k.endswith(".attn.W_qkv"))


def layer_norm(x, g, b):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * g + b


def gelu(x):
    """The tanh approximation of GELU (torch.nn.GELU(approximate='tanh'))."""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def _softmax(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


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
    out = _softmax(scores) @ v                                   # (..., n_head, T_new, d_head)
    out = np.swapaxes(out, -2, -3).reshape(x.shape)
    return out @ params[f"h{i}.attn.W_o"] + params[f"h{i}.attn.b_o"], k, v


def gpt_forward_cached(new_ids, params, cache=None):
    """Feed tokens new_ids (..., n) at positions cache.length .. cache.length + n - 1.

    Returns (logits (..., n, V), the cache extended by these n positions). With cache=None the
    ids start at position 0. The cache passed in is not modified.
    """
    new_ids = np.asarray(new_ids)
    if new_ids.ndim < 1 or new_ids.shape[-1] < 1 or new_ids.dtype.kind not in "iu":
        raise ValueError(f"new_ids: expected integer token ids (..., n) with n >= 1, got "
                         f"{new_ids.dtype} array of shape {new_ids.shape}")
    V, P = params["wte"].shape[0], params["wpe"].shape[0]
    if new_ids.min() < 0 or new_ids.max() >= V:
        raise ValueError(f"new_ids: expected token ids in [0, V={V}), got values from "
                         f"{new_ids.min()} to {new_ids.max()}")
    start = 0 if cache is None else cache.length
    end = start + new_ids.shape[-1]
    if end > P:
        raise ValueError(f"new_ids: the model reads at most P={P} positions; feeding "
                         f"{new_ids.shape[-1]} after {start} cached ones needs {end}")
    x = params["wte"][new_ids] + params["wpe"][start:end]
    keys, values = [], []
    for i in range(n_layer(params)):
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
    return logits, KVCache(tuple(keys), tuple(values), end)


def gpt_forward(input_ids, params):
    """Logits (..., T, V) of input_ids (..., T) in one pass: row t depends on ids 0..t only."""
    return gpt_forward_cached(input_ids, params)[0]


def random_gpt_params(V, D=8, n_head=2, n_layer=1, P=16, rng=None, scale=0.5):
    """Random parameters of a GPT of this shape (for tests and examples), float64."""
    rng = np.random.default_rng(rng)
    if D % n_head:
        raise ValueError(f"D: expected a multiple of n_head={n_head}, got {D}")
    params = {"wte": rng.normal(size=(V, D)) * scale, "wpe": rng.normal(size=(P, D)) * scale,
              "ln_f.g": 1 + 0.1 * rng.normal(size=D), "ln_f.b": 0.1 * rng.normal(size=D),
              "n_head": n_head}
    for i in range(n_layer):
        shapes = {"ln_1.g": (D,), "ln_1.b": (D,), "attn.W_qkv": (D, 3 * D),
                  "attn.b_qkv": (3 * D,), "attn.W_o": (D, D), "attn.b_o": (D,),
                  "ln_2.g": (D,), "ln_2.b": (D,), "mlp.W_fc": (D, 4 * D), "mlp.b_fc": (4 * D,),
                  "mlp.W_proj": (4 * D, D), "mlp.b_proj": (D,)}
        for name, shape in shapes.items():
            fan_in = shape[0] if len(shape) == 2 else 1
            # matrices 3x the embeddings' scale, so that a block's output can outvote the
            # token's own embedding (with tied embeddings a weak block just repeats the input)
            value = rng.normal(size=shape) * scale / np.sqrt(fan_in) * (3.0 if len(shape) == 2 else 0.2)
            params[f"h{i}.{name}"] = value + (1.0 if name.endswith(".g") else 0.0)
    return params


def load_gpt(path=None):
    """The pretrained tiny GPT of data/pretrained/tiny_gpt.npz: (params, info).

    params as above (float64); info: chars (the vocabulary, id = index) and training settings.
    """
    path = data_dir() / "pretrained" / PRETRAINED if path is None else path
    with np.load(path, allow_pickle=False) as data:
        params = {k[len("param:"):]: data[k].astype(np.float64) for k in data.files
                  if k.startswith("param:")}
        info = {k: data[k].item() if data[k].ndim == 0 else data[k] for k in data.files
                if not k.startswith("param:")}
    params["n_head"] = int(info.pop("n_head"))
    return params, info

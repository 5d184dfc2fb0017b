"""The parameters of the tiny GPT of 07_teacher_forcing_in_language_models: random ones of any
shape, and the pretrained ones.

The model itself (its forward pass, with masked attention and a KV cache) is not here: it
reaches students with the release of 07_teacher_forcing_in_language_models only, as
`tiny_gpt.py` beside the notebook, because its attention is the exercise of
06_teacher_forcing_in_transformers. This module only makes and loads numbers. V is the
vocabulary size, D the model size, n_head the number of attention heads (head size
D / n_head), P the longest context.

Parameters (one dict, float64): `wte (V, D)`, `wpe (P, D)`, `ln_f.g`, `ln_f.b (D,)`, and for
block i: `h{i}.ln_1.g/b (D,)`, `h{i}.attn.W_qkv (D, 3D)`, `h{i}.attn.b_qkv (3D,)` (queries,
keys, values side by side), `h{i}.attn.W_o (D, D)`, `h{i}.attn.b_o (D,)`, `h{i}.ln_2.g/b (D,)`,
`h{i}.mlp.W_fc (D, 4D)`, `h{i}.mlp.b_fc (4D,)`, `h{i}.mlp.W_proj (4D, D)`, `h{i}.mlp.b_proj (D,)`;
and `n_head`, an int. Student-safe: nothing here computes a forward pass.
"""
import numpy as np

from tfcourse.paths import data_dir

PRETRAINED = "tiny_gpt.npz"


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

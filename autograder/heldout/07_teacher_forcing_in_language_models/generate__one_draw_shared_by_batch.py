# Mistake: draws one number r = rng.random() per step and uses it for every sequence of the batch, instead of rng.random(B) (one per sequence).
import numpy as np
from tiny_gpt import gpt_forward_cached

def _pick(last, temperature, rng, shape):
    if temperature == 0:
        return np.argmax(last, axis=-1)
    z = last / temperature
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z); p /= p.sum(axis=-1, keepdims=True)
    r = rng.random(shape)
    c = np.cumsum(p, axis=-1)
    return np.minimum((c <= np.asarray(r)[..., None]).sum(-1), p.shape[-1] - 1)

def generate(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    rng = np.random.default_rng(rng)
    prompt_ids = np.asarray(prompt_ids)
    logits, cache = gpt_forward_cached(prompt_ids, params)
    out = []
    for _ in range(max_new_tokens):
        nxt = _pick(logits[..., -1, :], temperature, rng, ())
        out.append(nxt)
        logits, cache = gpt_forward_cached(np.asarray(nxt)[..., None], params, cache)
    return np.stack(out, axis=-1).astype(np.int64)

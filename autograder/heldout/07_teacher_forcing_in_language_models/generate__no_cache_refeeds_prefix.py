# Mistake: ignores the KV cache: at every step runs the model on the whole prefix (prompt + tokens so far) again and takes the last row (right tokens, but quadratic work).
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
    seq = np.asarray(prompt_ids)
    out = []
    for _ in range(max_new_tokens):
        logits, _ = gpt_forward_cached(seq, params)
        nxt = _pick(logits[..., -1, :], temperature, rng, seq.shape[:-1])
        out.append(nxt)
        seq = np.concatenate([seq, np.asarray(nxt)[..., None]], axis=-1)
    return np.stack(out, axis=-1).astype(np.int64)

# Mistake: scales the logits by multiplying by the temperature (softmax(logits * temperature)) instead of dividing (follow-up: one slip of the combo).
import numpy as np
from tiny_gpt import gpt_forward_cached

def generate(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    rng = np.random.default_rng(rng)
    prompt_ids = np.asarray(prompt_ids)
    logits, cache = gpt_forward_cached(prompt_ids, params)
    out = []
    for _ in range(max_new_tokens):
        last = logits[..., -1, :]
        if temperature == 0:
            nxt = np.argmax(last, axis=-1)
        else:
            z = last * temperature
            z = z - z.max(axis=-1, keepdims=True)
            p = np.exp(z); p /= p.sum(axis=-1, keepdims=True)
            r = rng.random(prompt_ids.shape[:-1])
            c = np.cumsum(p, axis=-1)
            nxt = np.minimum((c <= np.asarray(r)[..., None]).sum(-1), p.shape[-1] - 1)
        out.append(nxt)
        logits, cache = gpt_forward_cached(np.asarray(nxt)[..., None], params, cache)
    return np.stack(out, axis=-1).astype(np.int64)

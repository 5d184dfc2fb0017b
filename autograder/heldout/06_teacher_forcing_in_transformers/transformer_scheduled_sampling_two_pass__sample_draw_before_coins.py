# Mistake: for predictions='sample' draws r BEFORE the coins (wrong draw order).
import numpy as np
from tfcourse.caches import KVCache

def transformer_scheduled_sampling_two_pass(input_ids, params, sampling_prob, rng=None,
                                            predictions="greedy"):
    rng = np.random.default_rng(rng)
    input_ids = np.asarray(input_ids)
    logits = transformer_decoder_forward(input_ids, params)
    shape = input_ids.shape[:-1] + (input_ids.shape[-1] - 1,)
    if predictions == "sample":
        r = rng.random(shape)
    coins = rng.random(shape)
    if predictions == "sample":
        z = logits[..., :-1, :]
        p = np.exp(z - z.max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True)
        cum = np.cumsum(p, axis=-1)
        guess = (cum <= r[..., None]).sum(-1)
        guess = np.minimum(guess, p.shape[-1] - 1)
    else:
        guess = logits[..., :-1, :].argmax(-1)
    mixed = input_ids.copy()
    mixed[..., 1:] = np.where(coins < sampling_prob, guess, input_ids[..., 1:])
    return transformer_decoder_forward(mixed, params)

"""Reference answers of notebook 07: the causal-LM loss and generation with a KV cache.

B is an optional batch size, T the sequence length, V the vocabulary size.

A decoder-only LM (GPT, Llama) is trained with teacher forcing in one pass, like notebook 06's
decoder, but nothing is shifted before the model: the labels are the inputs themselves
(`labels = input_ids`, as Hugging Face's causal LMs take them), and the loss pairs position
t's logits with label t + 1. Generation is free running: each new token is chosen from the
model's own logits and fed back, one position at a time, with the keys and values of the
earlier positions kept in a cache (solutions/tiny_gpt.py, released with the notebook).
"""
import numpy as np

from solutions.tiny_gpt import gpt_forward_cached
from tfcourse.transformer_params import check_integer
from tfcourse.validate import as_float_array, check_count, check_real, make_rng


def causal_lm_loss(logits, labels, ignore_index=-100):
    """Mean cross-entropy of a causal LM: position t's logits score label t + 1.

    logits (T, V) or (B, T, V); labels (T,) or (B, T) integer ids, the model's own inputs,
    where ignore_index marks tokens that do not count. The pairs are logits[..., :-1, :] with
    labels[..., 1:]; the result is the mean of -log softmax(logits)[label] over the counted
    pairs of the whole batch (PyTorch's cross_entropy with ignore_index, reduction='mean').
    """
    ignore_index = check_integer("ignore_index", ignore_index)
    lead = (("B", None),) if np.ndim(logits) == 3 else ()
    logits = as_float_array("logits", logits, lead + (("T", None), ("V", None)))
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels: expected integer ids of shape {logits.shape[:-1]} (the "
                         f"logits' shape without V), got {labels.dtype} array of shape "
                         f"{labels.shape}")
    V = logits.shape[-1]
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= V))
    if bad.any():
        raise ValueError(f"labels: expected ids in [0, V={V}) or ignore_index={ignore_index}, "
                         f"got {labels[bad].flat[0]}")
    scores, targets = logits[..., :-1, :], labels[..., 1:]   # position t scores label t + 1
    counted = targets != ignore_index
    if not counted.any():
        raise ValueError(f"labels: no label after the first position differs from "
                         f"ignore_index={ignore_index}, so there is nothing to score")
    shifted = scores - scores.max(axis=-1, keepdims=True)    # log-sum-exp without overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, np.where(counted, targets, 0)[..., None], axis=-1)
    return float(-picked[..., 0][counted].sum() / counted.sum())


def next_token(logits, temperature, rng):
    """Choose one token per row of logits (..., V): argmax (temperature 0) or a sample.

    A sample draws r = rng.random(logits.shape[:-1]) and takes the first token whose
    cumulative probability under softmax(logits / temperature) exceeds r.
    """
    if temperature == 0:
        return np.argmax(logits, axis=-1)
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    cdf = np.cumsum(probs / probs.sum(axis=-1, keepdims=True), axis=-1)
    r = rng.random(logits.shape[:-1])
    return np.minimum((cdf <= np.asarray(r)[..., None]).sum(axis=-1), logits.shape[-1] - 1)


def generate(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    """Continue prompt_ids with max_new_tokens tokens, free running, with a KV cache.

    params: a tiny GPT's (tfcourse.gpt); prompt_ids (P,) or (B, P) integer ids;
    temperature 0 is greedy (argmax, ties to the lowest id, no draws), > 0 samples from
    softmax(logits / temperature) with one rng.random per sequence per new token, in order;
    rng: a numpy Generator, an int seed or None. The prompt is fed once; after that each step
    feeds only the token just chosen. Returns the new ids (max_new_tokens,) or (B, max_new_tokens).
    """
    prompt_ids = np.asarray(prompt_ids)
    if prompt_ids.dtype.kind not in "iu" or prompt_ids.ndim not in (1, 2) or prompt_ids.shape[-1] < 1:
        raise ValueError(f"prompt_ids: expected integer ids of shape (P,) or (B, P) with P >= 1, "
                         f"got {prompt_ids.dtype} array of shape {prompt_ids.shape}")
    max_new_tokens = check_count("max_new_tokens", max_new_tokens, minimum=1)
    temperature = check_real("temperature", temperature, 0.0)
    rng = make_rng(rng)
    logits, cache = gpt_forward_cached(prompt_ids, params)
    new = np.empty(prompt_ids.shape[:-1] + (max_new_tokens,), dtype=np.int64)
    for n in range(max_new_tokens):
        new[..., n] = next_token(logits[..., -1, :], temperature, rng)
        if n + 1 < max_new_tokens:   # the last token chosen is never fed
            logits, cache = gpt_forward_cached(new[..., n:n + 1], params, cache)
    return new

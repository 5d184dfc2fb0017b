"""Known mistakes of notebook 07, written on purpose (instructors only: built from solutions).

Each function is a wrong answer a student is likely to write, written apart from the mutation
operators: a held-out set. The mistakes the checks name are mutants of the reference
(autograder/mutations/named.py); scripts/diagnosis_rate.py and the tests of the checks
measure how often these answers get the right name.
"""
import numpy as np

from solutions.lm import causal_lm_loss, next_token
from solutions.tiny_gpt import gpt_forward_cached


def _nll(logits, labels, ignore_index):
    """Per-pair losses of causal_lm_loss's pairs and the mask of counted ones."""
    scores, targets = logits[..., :-1, :], labels[..., 1:]
    counted = targets != ignore_index
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, np.where(counted, targets, 0)[..., None], axis=-1)[..., 0]
    return nll, counted


def loss_no_shift(logits, labels, ignore_index=-100):
    """Scored label t with the logits of position t (the encoder-decoder habit)."""
    labels = np.asarray(labels)
    pad = np.full(labels.shape[:-1] + (1,), ignore_index)
    # one more row at the end and one more label in front: the pairs become (logits t, label t)
    return causal_lm_loss(np.concatenate([logits, np.zeros(logits.shape[:-2] + (1, logits.shape[-1]))],
                                         axis=-2),
                          np.concatenate([pad, labels], axis=-1), ignore_index)


def loss_counts_ignored(logits, labels, ignore_index=-100):
    nll, counted = _nll(np.asarray(logits), np.asarray(labels), ignore_index)
    return float((nll * counted).sum() / counted.size)


def loss_mean_of_means(logits, labels, ignore_index=-100):
    nll, counted = _nll(np.asarray(logits), np.asarray(labels), ignore_index)
    nll, counted = nll.reshape(-1, nll.shape[-1]), counted.reshape(-1, counted.shape[-1])
    rows = [(n * c).sum() / c.sum() for n, c in zip(nll, counted) if c.any()]
    return float(np.mean(rows))


def loss_summed(logits, labels, ignore_index=-100):
    nll, counted = _nll(np.asarray(logits), np.asarray(labels), ignore_index)
    return float((nll * counted).sum())


def loss_hardcoded_minus_100(logits, labels, ignore_index=-100):
    """Ignored -100 whatever ignore_index was; a negative id then indexes from the end."""
    nll, counted = _nll(np.asarray(logits), np.asarray(labels), -100)
    return float((nll * counted).sum() / counted.sum())


def _generate(params, prompt_ids, max_new_tokens, temperature, rng, feed, first_row=-1,
              scale=lambda logits, temperature: logits / temperature):
    """A generation loop with one piece replaced: `feed(new, n, cache)` -> (logits, cache)."""
    rng = np.random.default_rng(rng)
    prompt_ids = np.asarray(prompt_ids)
    logits, cache = gpt_forward_cached(prompt_ids, params)
    row = logits[..., first_row, :]
    new = np.empty(prompt_ids.shape[:-1] + (max_new_tokens,), dtype=np.int64)
    for n in range(max_new_tokens):
        new[..., n] = next_token(row if temperature == 0 else scale(row, temperature) * temperature,
                                 temperature, rng)
        if n + 1 < max_new_tokens:
            logits, cache = feed(prompt_ids, new, n, cache, params)
            row = logits[..., -1, :]
    return new


def _feed_right(prompt, new, n, cache, params):
    return gpt_forward_cached(new[..., n:n + 1], params, cache)


def _feed_previous(prompt, new, n, cache, params):
    previous = prompt[..., -1:] if n == 0 else new[..., n - 1:n]
    return gpt_forward_cached(previous, params, cache)


def _feed_without_cache(prompt, new, n, cache, params):
    return gpt_forward_cached(new[..., n:n + 1], params)


def generate_cache_lag(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    return _generate(params, prompt_ids, max_new_tokens, temperature, rng, _feed_previous)


def generate_cache_reset(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    return _generate(params, prompt_ids, max_new_tokens, temperature, rng, _feed_without_cache)


def generate_prompt_first_row(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    return _generate(params, prompt_ids, max_new_tokens, temperature, rng, _feed_right, first_row=0)


def generate_no_temperature(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    return _generate(params, prompt_ids, max_new_tokens, temperature, rng, _feed_right,
                     scale=lambda logits, temperature: logits)


def generate_times_temperature(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    return _generate(params, prompt_ids, max_new_tokens, temperature, rng, _feed_right,
                     scale=lambda logits, temperature: logits * temperature)


# graded function -> mistake id (a key of tfcourse.checks_lm.MISTAKES) -> wrong answer
MISTAKES = {
    "causal_lm_loss": {"no_shift": loss_no_shift, "counts_ignored": loss_counts_ignored,
                       "mean_of_means": loss_mean_of_means, "summed": loss_summed,
                       "hardcoded_minus_100": loss_hardcoded_minus_100},
    "generate": {"cache_lag": generate_cache_lag, "cache_reset": generate_cache_reset,
                 "prompt_first_row": generate_prompt_first_row,
                 "no_temperature": generate_no_temperature,
                 "times_temperature": generate_times_temperature},
}

"""Known mistakes of notebook 06, written on purpose (instructors only: built from solutions).

Each function is a wrong answer a student is likely to write, written apart from the mutation
operators: a held-out set. The mistakes the checks name are mutants of the reference
(autograder/mutations/named.py); scripts/diagnosis_rate.py and the tests of the checks
measure how often these answers get the right name.
"""
import numpy as np

from solutions.transformer import (_check_kv_cache, _embed, _forward, attend, causal_mask,
                                   positional_encoding, shift_right, softmax)
from tfcourse.caches import KVCache
from solutions.transformer_sampling import scheduled_sampling_inputs


def attention_unscaled(x, W_q, W_k, W_v, W_o=None):
    """Forgot the 1/sqrt(d_k) scale."""
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    scores = np.where(causal_mask(x.shape[-2]), q @ np.swapaxes(k, -1, -2), -np.inf)
    weights = softmax(scores)
    out = weights @ v
    return (out if W_o is None else out @ W_o), weights


def attention_no_mask(x, W_q, W_k, W_v, W_o=None):
    """Forgot the causal mask: every position sees the whole sequence."""
    out, weights = attend(x @ W_q, x @ W_k, x @ W_v)
    return (out if W_o is None else out @ W_o), weights


def attention_mask_after_softmax(x, W_q, W_k, W_v, W_o=None):
    """Zeroed the future after the softmax, so rows no longer sum to 1."""
    out, weights = attend(x @ W_q, x @ W_k, x @ W_v)
    weights = weights * causal_mask(x.shape[-2])
    out = weights @ (x @ W_v)
    return (out if W_o is None else out @ W_o), weights


def attention_softmax_axis0(x, W_q, W_k, W_v, W_o=None):
    """Took the softmax over the keys' axis -2 (columns) instead of -1."""
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    scores = np.where(causal_mask(x.shape[-2]), q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    weights = softmax(scores, axis=-2)
    out = weights @ v
    return (out if W_o is None else out @ W_o), weights


def positional_encoding_swapped(T, D):
    """cos in the even columns and sin in the odd ones, at the right frequencies."""
    angle = np.arange(T)[:, None] / 10000.0 ** (np.arange(0, D, 2) / D)
    swapped = np.empty((T, D))
    swapped[:, 0::2] = np.cos(angle)
    swapped[:, 1::2] = np.sin(angle[:, :D // 2])
    return swapped


def positional_encoding_exponent(T, D):
    """Used the column index j in the exponent, so column 2i+1 has its own frequency."""
    angle = np.arange(T)[:, None] / 10000.0 ** (np.arange(D) / D)
    return np.where(np.arange(D) % 2 == 0, np.sin(angle), np.cos(angle))


def positional_encoding_halves(T, D):
    """All sines first, then all cosines."""
    pe = positional_encoding(T, D)
    return np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=1)


def _decoder(input_ids, params, pe=True, residual=True, attention=None):
    """The reference decoder with one piece left out or replaced."""
    D = params["embedding"].shape[1]
    x = params["embedding"][input_ids] + (positional_encoding(input_ids.shape[-1], D) if pe else 0)
    attention = attention or (lambda *a: attend(x @ a[1], x @ a[2], x @ a[3], causal_mask(x.shape[-2])))
    out, _ = attention(x, params["W_q"], params["W_k"], params["W_v"])
    h = (x if residual else 0) + out @ params["W_o"]
    return h @ params["W_y"] + params["b_y"]


def decoder_no_pe(input_ids, params):
    return _decoder(input_ids, params, pe=False)


def decoder_no_residual(input_ids, params):
    return _decoder(input_ids, params, residual=False)


def decoder_no_scale(input_ids, params):
    return _decoder(input_ids, params, attention=attention_unscaled)


def decoder_probabilities(input_ids, params):
    return softmax(_forward(input_ids, params))


def decoder_no_mask(input_ids, params):
    return _decoder(input_ids, params, attention=attention_no_mask)


def two_pass_coin_at_0(input_ids, params, sampling_prob, rng=None, predictions="greedy"):
    """Drew T coins (one for position 0 too) and used coin t at position t."""
    first = _forward(input_ids, params)
    rng = np.random.default_rng(rng)
    coins = rng.random(input_ids.shape[:-1] + (input_ids.shape[-1],))[..., 1:]
    guesses = first[..., :-1, :]
    if predictions == "greedy":
        predicted = guesses.argmax(-1)
    else:
        r = rng.random(input_ids.shape[:-1] + (input_ids.shape[-1] - 1,))
        predicted = np.minimum((np.cumsum(softmax(guesses), -1) <= r[..., None]).sum(-1),
                               guesses.shape[-1] - 1)
    mixed = input_ids.copy()
    mixed[..., 1:] = np.where(coins < sampling_prob, predicted, input_ids[..., 1:])
    return _forward(mixed, params)


def two_pass_same_position(input_ids, params, sampling_prob, rng=None, predictions="greedy"):
    """Fed position t the argmax of position t's own logits."""
    first = _forward(input_ids, params)
    coins = np.random.default_rng(rng).random(input_ids.shape[:-1] + (input_ids.shape[-1] - 1,))
    mixed = input_ids.copy()
    mixed[..., 1:] = np.where(coins < sampling_prob, first.argmax(-1)[..., 1:], input_ids[..., 1:])
    return _forward(mixed, params)


def two_pass_first_pass(input_ids, params, sampling_prob, rng=None, predictions="greedy"):
    """Mixed the inputs but returned the first pass."""
    first = _forward(input_ids, params)
    scheduled_sampling_inputs(input_ids, first, sampling_prob, rng, predictions)
    return first


def shift_right_no_replace(labels, start_token_id, pad_token_id, ignore_index=-100):
    labels = np.asarray(labels)
    return np.concatenate([np.full(labels.shape[:-1] + (1,), start_token_id), labels[..., :-1]], axis=-1)


def shift_right_left(labels, start_token_id, pad_token_id, ignore_index=-100):
    labels = np.asarray(labels)
    out = np.concatenate([labels[..., 1:], np.full(labels.shape[:-1] + (1,), pad_token_id)], axis=-1)
    out[out == ignore_index] = pad_token_id
    return out


def shift_right_hardcoded_minus_100(labels, start_token_id, pad_token_id, ignore_index=-100):
    return shift_right(labels, start_token_id, pad_token_id, -100)


def causal_mask_inverted(T):
    return ~causal_mask(T)


def causal_mask_strict(T):
    """Hid the diagonal: position t cannot see itself."""
    return np.tril(np.ones((T, T), dtype=bool), k=-1)


def causal_mask_upper(T):
    """Let t see t+1 (np.tril with k=1)."""
    return np.tril(np.ones((T, T), dtype=bool), k=1)


def causal_mask_additive(T):
    return np.where(causal_mask(T), 0.0, -np.inf)


def _step(token_ids, cache, params, position=None, attend_old_only=False, update=True,
          first_only=False):
    """One decoding step with a KV cache, and the slips a student makes writing it."""
    token_ids = np.asarray(token_ids)
    old_keys, old_values = _check_kv_cache(cache, token_ids.shape, params)
    t = old_keys.shape[-2]
    at = t if position is None else position
    x = _embed(token_ids[..., None], params, slice(at, at + 1))
    keys = np.concatenate([old_keys, x @ params["W_k"]], axis=-2)
    values = np.concatenate([old_values, x @ params["W_v"]], axis=-2)
    k, v = (old_keys, old_values) if attend_old_only and t else (keys, values)
    mask = causal_mask(t + 1)[:1] if first_only else None
    out = attend(x @ params["W_q"], k, v, mask).out @ params["W_o"]
    logits = ((x + out) @ params["W_y"] + params["b_y"])[..., 0, :]
    return logits, (KVCache(keys, values) if update else KVCache(old_keys, old_values))


def step_position_0(token_ids, cache, params):
    return _step(token_ids, cache, params, position=0)


def step_old_keys_only(token_ids, cache, params):
    return _step(token_ids, cache, params, attend_old_only=True)


def step_cache_not_updated(token_ids, cache, params):
    return _step(token_ids, cache, params, update=False)


def step_masked(token_ids, cache, params):
    return _step(token_ids, cache, params, first_only=True)


# graded function -> mistake id (a key of tfcourse.checks_transformer.MISTAKES) -> wrong answer
MISTAKES = {
    "shift_right": {"no_replace": shift_right_no_replace, "shifted_left": shift_right_left,
                    "hardcoded_minus_100": shift_right_hardcoded_minus_100},
    "causal_mask": {"inverted": causal_mask_inverted, "strict": causal_mask_strict,
                    "sees_next": causal_mask_upper, "additive": causal_mask_additive},
    "causal_self_attention": {"unscaled": attention_unscaled, "no_mask": attention_no_mask,
                              "mask_after_softmax": attention_mask_after_softmax,
                              "softmax_axis": attention_softmax_axis0},
    "positional_encoding": {"pe_swapped": positional_encoding_swapped,
                            "pe_exponent": positional_encoding_exponent,
                            "pe_halves": positional_encoding_halves},
    "transformer_decoder_forward": {"no_pe": decoder_no_pe, "no_residual": decoder_no_residual,
                                    "decoder_unscaled": decoder_no_scale,
                                    "probabilities": decoder_probabilities,
                                    "decoder_no_mask": decoder_no_mask},
    "transformer_scheduled_sampling_two_pass": {"coin_at_0": two_pass_coin_at_0,
                                                "same_position": two_pass_same_position,
                                                "first_pass": two_pass_first_pass},
}
MISTAKES["transformer_decoder_step"] = {
    "step_position_0": step_position_0, "step_old_keys_only": step_old_keys_only,
    "step_cache_not_updated": step_cache_not_updated, "step_masked": step_masked}

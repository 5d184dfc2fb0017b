"""The mistakes of notebooks 06 and 07 as named rewrites of the reference code (operators.Rewrites).

Each row changes the reference at a few places and names the change in the student's terms;
a mistake the notebooks' checks already name keeps its sentence (tfcourse.checks_transformer
.MISTAKES, tfcourse.checks_lm.MISTAKES), which the property checks print too. Rows are given
for the function whose code they change: a graded function or a helper it calls, whose
mutants are mutants of every graded function that reaches it (mutations.FAMILIES).
"""
from autograder.mutations.operators import Rewrites


def _t(key):
    from tfcourse.checks_transformer import MISTAKES
    return MISTAKES[key]


def _lm(key):
    from tfcourse.checks_lm import MISTAKES
    return MISTAKES[key]


_SCORES = "q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])"
_ATTEND = "attend(x @ W_q, x @ W_k, x @ W_v, causal_mask(x.shape[-2]))"
_MASK = "np.tril(np.ones((T, T), dtype=bool))"
_SIN, _COS = "pe[:, 0::2] = np.sin(angle)", "pe[:, 1::2] = np.cos(angle[:, :D // 2])"
_BY_COLUMN = "(np.arange(T)[:, None] / 10000.0 ** (np.arange(D) / D))"
_KEYS = "keys = np.concatenate([keys, x @ params['W_k']], axis=-2)"
_VALUES = "values = np.concatenate([values, x @ params['W_v']], axis=-2)"
_OLD = ((_KEYS, "keys, _mut_old_k = (np.concatenate([keys, x @ params['W_k']], axis=-2), keys)"),
        (_VALUES, "values, _mut_old_v = (np.concatenate([values, x @ params['W_v']], axis=-2), "
                  "values)"))
_COINS = "coins = rng.random(input_ids.shape[:-1] + (T - 1,)) < sampling_prob"
_MEAN = "float(-picked[..., 0][counted].sum() / counted.sum())"
_FEED = "gpt_forward_cached(new[..., n:n + 1], params, cache)"
_OWN_RNG = "you drew from a generator of your own with a fixed seed, not from rng: draw " \
           "with rng.random() from the generator you are given (an int rng is its seed)."
_LEGACY_RNG = "you drew from numpy's legacy global generator (np.random.seed / np.random.random)," \
              " not from rng: draw with rng.random() from the generator you are given."

TRANSFORMER = Rewrites("transformer", {
    "shift_right": [
        ("no_replace", "shifted == ignore_index", "np.zeros_like(shifted, dtype=bool)",
         _t("no_replace")),
        ("shifted_left", (("shifted[..., 0] = start_token_id", "shifted[..., -1] = pad_token_id"),
                          ("shifted[..., 1:]", "shifted[..., :-1]"),
                          ("labels[..., :-1]", "labels[..., 1:]")), _t("shifted_left")),
        ("hardcoded_minus_100", "shifted == ignore_index", "shifted == -100",
         _t("hardcoded_minus_100")),
        ("no_start", "shifted[..., 0] = start_token_id", "shifted[..., 0] = pad_token_id",
         "input 0 is the pad token: teacher forcing feeds the start token at position 0, "
         "then the labels without the last one."),
        ("not_shifted", (("shifted[..., 0] = start_token_id", "pass"),
                         ("shifted[..., 1:] = labels[..., :-1]", "shifted[...] = labels")),
         "you fed the labels themselves, unshifted: input t must be label t-1 (the previous "
         "token), and input 0 the start token."),
    ],
    "causal_mask": [
        ("inverted", _MASK, "~" + _MASK, _t("inverted")),
        ("strict", _MASK, "np.tril(np.ones((T, T), dtype=bool), k=-1)", _t("strict")),
        ("sees_next", _MASK, "np.tril(np.ones((T, T), dtype=bool), k=1)", _t("sees_next")),
        ("additive", _MASK, f"np.where({_MASK}, 0.0, -np.inf)", _t("additive")),
        ("upper", _MASK, "np.triu(np.ones((T, T), dtype=bool))",
         "your mask is upper-triangular: position t sees its future, j >= t. It may see j <= t: "
         "True on and below the diagonal."),
    ],
    "attend": [
        ("unscaled", _SCORES, "q @ np.swapaxes(k, -1, -2)", _t("unscaled")),
        ("scaled_by_d_k", _SCORES, "q @ np.swapaxes(k, -1, -2) / q.shape[-1]",
         "you divided the scores by d_k; divide them by sqrt(d_k)."),
        ("softmax_axis", "softmax(scores)", "softmax(scores, axis=-2)", _t("softmax_axis")),
        ("mask_after_softmax", (("scores = np.where(mask, scores, -np.inf)", "pass"),
                                ("weights = softmax(scores)", "weights = softmax(scores) * mask")),
         _t("mask_after_softmax")),
        ("keys_as_queries", "q @ np.swapaxes(k, -1, -2)", "k @ np.swapaxes(q, -1, -2)",
         "you multiplied the keys by the queries (k q^T): scores[t, j] is q_t . k_j, "
         "q @ k^T, so row t belongs to query t."),
    ],
    "_causal_self_attention": [
        ("no_mask", _ATTEND, "attend(x @ W_q, x @ W_k, x @ W_v)", _t("no_mask")),
        ("no_W_o", "out if W_o is None else out @ W_o", "out",
         "you did not apply W_o: when it is given, out = (weights @ v) @ W_o."),
        ("weights_of_values", _ATTEND, "attend(x @ W_q, x @ W_k, x @ W_q, causal_mask(x.shape[-2]))",
         "your values are x @ W_q: v = x @ W_v."),
    ],
    "positional_encoding": [
        ("pe_swapped", ((_SIN, "pe[:, 0::2] = np.cos(angle)"),
                        (_COS, "pe[:, 1::2] = np.sin(angle[:, :D // 2])")), _t("pe_swapped")),
        ("pe_exponent", ((_SIN, f"pe[:, 0::2] = np.sin({_BY_COLUMN}[:, 0::2])"),
                         (_COS, f"pe[:, 1::2] = np.cos({_BY_COLUMN}[:, 1::2])")),
         _t("pe_exponent")),
        ("pe_halves", (("pe[:, 0::2]", "pe[:, :(D + 1) // 2]"),
                       ("pe[:, 1::2]", "pe[:, (D + 1) // 2:]")), _t("pe_halves")),
        ("i_for_2i", "np.arange(0, D, 2)", "np.arange((D + 1) // 2)",
         "your exponent uses i where the formula has 2i: column 2i's frequency is "
         "1 / 10000^(2i/D)."),
        ("from_1", "np.arange(T)", "np.arange(1, T + 1)",
         "your positions start at 1: the first position is t = 0 (its sines are 0, its cosines 1)."),
    ],
    "_embed": [
        ("no_pe", "params['embedding'][input_ids] + positional_encoding(positions.stop, D)"
                  "[positions]", "params['embedding'][input_ids]", _t("no_pe")),
    ],
    "_forward": [
        ("no_residual", "x + attn.out", "attn.out", _t("no_residual")),
        ("probabilities", "(x + attn.out) @ params['W_y'] + params['b_y']",
         "softmax((x + attn.out) @ params['W_y'] + params['b_y'])", _t("probabilities")),
        ("no_b_y", "(x + attn.out) @ params['W_y'] + params['b_y']",
         "(x + attn.out) @ params['W_y']", "you left out the output bias b_y: "
                                           "logits = h @ W_y + b_y."),
    ],
    "transformer_decoder_step": [
        ("step_position_0", "slice(t, t + 1)", "slice(0, 1)", _t("step_position_0")),
        ("step_old_keys_only", _OLD + (("attend(x @ params['W_q'], keys, values)",
                                        "attend(x @ params['W_q'], _mut_old_k if t else keys, "
                                        "_mut_old_v if t else values)"),),
         _t("step_old_keys_only")),
        ("step_cache_not_updated", _OLD + (("KVCache(keys, values)",
                                            "KVCache(_mut_old_k, _mut_old_v)"),),
         _t("step_cache_not_updated")),
        ("step_masked", "attend(x @ params['W_q'], keys, values)",
         "attend(x @ params['W_q'], keys, values, causal_mask(t + 1)[:1])", _t("step_masked")),
        ("step_no_residual", "(x + out)", "out", _t("no_residual")),
    ],
    "scheduled_sampling_inputs": [
        ("coin_at_0", _COINS, "coins = rng.random(input_ids.shape[:-1] + (T,))[..., 1:] < "
                              "sampling_prob", _t("coin_at_0")),
        ("inverted_coin", _COINS, _COINS.replace("<", ">="),
         "your coin is the wrong way round: feed the prediction where u_t < sampling_prob."),
        ("same_position", "logits[..., :-1, :]", "logits[..., 1:, :]", _t("same_position")),
        ("sampled_for_greedy", "predictions == 'greedy'", "False",
         "with predictions='greedy' you sampled the guesses; greedy takes the argmax of "
         "position t-1's logits (and draws nothing but the coins)."),
        ("greedy_for_sampled", "predictions == 'greedy'", "True",
         "with predictions='sample' you took the argmax; 'sample' draws each guess from "
         "softmax(logits) with a second rng.random, after all the coins."),
        ("own_generator", "rng = make_rng(rng)", "rng = np.random.default_rng(0)", _OWN_RNG),
        ("legacy_generator", "rng = make_rng(rng)", "rng = _mut_legacy(rng)", _LEGACY_RNG),
    ],
    "transformer_scheduled_sampling_two_pass": [
        ("first_pass", "return _forward(mixed, params)", "return first", _t("first_pass")),
    ],
})

LM = Rewrites("lm", {
    "causal_lm_loss": [
        ("no_shift", (("logits[..., :-1, :]", "logits"), ("labels[..., 1:]", "labels")),
         _lm("no_shift")),
        ("reversed_shift", (("logits[..., :-1, :]", "logits[..., 1:, :]"),
                            ("labels[..., 1:]", "labels[..., :-1]")), _lm("reversed_shift")),
        ("counts_ignored", _MEAN, "float(-picked[..., 0][counted].sum() / counted.size)",
         _lm("counts_ignored")),
        ("mean_of_means", _MEAN, "float(np.mean([r[c].sum() / c.sum() for r, c in zip("
                                 "np.reshape(-picked[..., 0], (-1, counted.shape[-1])), "
                                 "np.reshape(counted, (-1, counted.shape[-1]))) if c.any()]))",
         _lm("mean_of_means")),
        ("summed", _MEAN, "float(-picked[..., 0][counted].sum())", _lm("summed")),
        ("hardcoded_minus_100", "targets != ignore_index", "targets != -100",
         _lm("hardcoded_minus_100")),
        ("log_prob_not_negated", _MEAN, "float(picked[..., 0][counted].sum() / counted.sum())",
         "you returned the mean log-probability of the labels; the loss is its negative, "
         "-log softmax(logits)[label]."),
    ],
    "generate": [
        ("cache_lag", _FEED, "gpt_forward_cached(prompt_ids[..., -1:] if n == 0 else "
                             "new[..., n - 1:n], params, cache)", _lm("cache_lag")),
        ("cache_reset", _FEED, "gpt_forward_cached(new[..., n:n + 1], params)",
         _lm("cache_reset")),
        ("prompt_first_row", "logits[..., -1, :]", "logits[..., 0, :]", _lm("prompt_first_row")),
        ("own_generator", "rng = make_rng(rng)", "rng = np.random.default_rng(0)", _OWN_RNG),
        ("legacy_generator", "rng = make_rng(rng)", "rng = _mut_legacy(rng)", _LEGACY_RNG),
        ("step_added", (("range(max_new_tokens)", "range(max_new_tokens + 1)"),
                        ("n + 1 < max_new_tokens", "n < max_new_tokens"),
                        ("prompt_ids.shape[:-1] + (max_new_tokens,)",
                         "prompt_ids.shape[:-1] + (max_new_tokens + 1,)")),
         "you generated one token too many: return exactly max_new_tokens new ids."),
        ("step_dropped", (("range(max_new_tokens)", "range(max_new_tokens - 1)"),
                          ("prompt_ids.shape[:-1] + (max_new_tokens,)",
                           "prompt_ids.shape[:-1] + (max_new_tokens - 1,)")),
         "you generated one token too few: return exactly max_new_tokens new ids."),
    ],
    "next_token": [
        ("no_temperature", "logits / temperature", "logits", _lm("no_temperature")),
        ("times_temperature", "logits / temperature", "logits * temperature",
         _lm("times_temperature")),
        ("greedy_for_sampled", "temperature == 0", "True",
         "you took the argmax at every temperature; at temperature > 0 draw the token from "
         "softmax(logits / temperature) with one rng.random per sequence."),
        ("one_draw_per_batch", "rng.random(logits.shape[:-1])", "rng.random()",
         "you drew one number for the whole batch; draw one rng.random per sequence, "
         "r = rng.random(B) for a batch, in order."),
        ("first_above_or_equal", "cdf <= np.asarray(r)[..., None]", "cdf < np.asarray(r)[..., None]",
         "your sample takes the first token whose cumulative probability reaches r; take the "
         "first one that exceeds it (cdf > r)."),
    ],
})

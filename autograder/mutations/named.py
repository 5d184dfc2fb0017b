"""The mistakes of notebooks 05, 06 and 07 as named rewrites of the reference code (operators.Rewrites).

Each row changes the reference at a few places and names the change in the student's terms;
a mistake the notebooks' checks already name keeps its sentence (tfcourse.checks_transformer
.MISTAKES, tfcourse.checks_lm.MISTAKES), which the property checks print too. Rows are given
for the function whose code they change: a graded function or a helper it calls, whose
mutants are mutants of every graded function that reaches it (mutations.FAMILIES).
"""
from autograder.mutations.operators import _FIX_START, Rewrites


def _t(key):
    from tfcourse.checks_transformer import MISTAKES
    return MISTAKES[key]


def _c(key):
    from tfcourse.checks import MISTAKES
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
        ("mean_of_means_nan", _MEAN, "float(np.mean(np.sum(np.where(counted, -picked[..., 0], "
                                     "0.0), axis=-1) / np.sum(counted, axis=-1)))",
         "you averaged each sequence's mean loss (where a sequence has no counted pair, every "
         "label after its first being ignore_index, that is 0/0 = nan). PyTorch's mean runs over "
         "all counted tokens of the batch at once: sum every counted pair's loss, divide by "
         "their number."),
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

_DN = "dh_next * (1.0 - cache.z) * (1.0 - cache.n ** 2)"
_DR = "dn * cache.h_n * cache.r * (1.0 - cache.r)"
_DZ = "dh_next * (cache.h_prev - cache.n) * cache.z * (1.0 - cache.z)"
# whole expressions: a row's pattern must be a node, and r * (1 - r) is not one of dr's
_R_TANH = "dn * cache.h_n * (1.0 - cache.r ** 2)"
_Z_TANH = "dh_next * (cache.h_prev - cache.n) * (1.0 - cache.z ** 2)"
_SUM_X = "dxw.reshape(-1, dxw.shape[-1]).sum(axis=0)"
_SUM_H = "dhw.reshape(-1, dhw.shape[-1]).sum(axis=0)"
_H_NEXT = "h_next = (1 - z) * n + z * h_prev"

_BIAS_MEAN = ("you averaged the bias gradients over the batch (a mean over the rows); the loss "
              "adds every example's term, so each bias gradient is the sum over the batch: "
              "db_x = da_x.sum(axis=0), db_h = da_h.sum(axis=0), as dW sums its outer products.")
_INPUTS = "np.concatenate([start, target_seq[..., :-1, :]], axis=-2)"
_RUN = "_run(h0, inputs, input_projection(inputs, params, cell_type), params, cell_type)"
_LOGITS = "logits = hidden @ params['W_y'] + params['b_y']"

# notebook 05: the GRU step's backward and backpropagation through time (and its forward's
# cell, where a mistake is not a general operator's)
BACKPROP = Rewrites("backprop", {
    "gru_cell_gates": [
        ("b_h_on_input_side", (("h_prev @ params['W_h'] + params['b_h']",
                                "h_prev @ params['W_h']"),
                               ("np.split(xw, 3, axis=-1)",
                                "np.split(xw + params['b_h'], 3, axis=-1)")),
         "you added b_h on the input side, with b_x (x @ W_x + b_x + b_h), as if the GRU had the "
         "RNN's single bias: b_hn belongs inside the term the reset gate scales, "
         "n = tanh(x W_xn + b_xn + r * (h_prev W_hn + b_hn)), so add b_h to h_prev @ W_h (and "
         "cache that as h_n)."),
    ],
    "cell_backward": [
        ("sigmoid_derivative_for_n", "1.0 - cache.n ** 2", "cache.n * (1.0 - cache.n)",
         "you used a sigmoid's derivative n (1 - n) for the candidate; n is a tanh: its "
         "derivative is 1 - n**2."),
        ("no_tanh_derivative", _DN, "dh_next * (1.0 - cache.z)",
         "your dn skips the tanh: n = tanh(a_n), so da_n = dn_out * (1 - n**2)."),
        ("z_weight_of_n", _DN, "dh_next * cache.z * (1.0 - cache.n ** 2)",
         f"n's weight in {_H_NEXT} is (1 - z), not z."),
        ("tanh_derivative_for_r", _DR, _R_TANH,
         "you used tanh's derivative for the reset gate; r is a sigmoid: its derivative is "
         "r (1 - r)."),
        ("tanh_derivative_for_z", _DZ, _Z_TANH,
         "you used tanh's derivative for the update gate; z is a sigmoid: its derivative is "
         "z (1 - z)."),
        ("dz_sign", "cache.h_prev - cache.n", "cache.n - cache.h_prev",
         f"the sign of dz is flipped: {_H_NEXT}, so dh_next/dz = h_prev - n."),
        ("dr_without_h_n", _DR, "dn * cache.r * (1.0 - cache.r)",
         "your dr misses h_n: n = tanh(x_n + r * h_n), so the gradient reaching r is "
         "da_n * h_n (then times r (1 - r))."),
        ("dhw_n_not_scaled_by_r", "dn * cache.r", "dn",
         "the hidden side of n is r * h_n: the gradient of h_n (and of h_prev @ W_hn + b_hn) "
         "is da_n * r, not da_n."),
        ("dz_without_derivative", _DZ, "dh_next * (cache.h_prev - cache.n)",
         "your dz skips the sigmoid: multiply by z (1 - z)."),
        ("tanh_derivative_of_n_as_preactivation", "1.0 - cache.n ** 2",
         "1.0 - np.tanh(cache.n) ** 2",
         "you took tanh's derivative at n as if n were the pre-activation: n is already "
         "tanh(a_n), so the derivative is 1 - n**2, not 1 - tanh(n)**2."),
        ("dr_with_h_prev", _DR, "dn * cache.h_prev * cache.r * (1.0 - cache.r)",
         "your dr uses h_prev where r multiplies h_n: n = tanh(x_n + r * h_n), h_n = h_prev @ "
         "W_hn + b_hn, so the gradient reaching r is da_n * h_n (then times r (1 - r)); use "
         "the h_n your cache holds, not h_prev."),
        ("tanh_derivative_for_gates", ((_DR, _R_TANH), (_DZ, _Z_TANH)),
         "you used tanh's derivative 1 - g**2 for the gates r and z; they are sigmoids: their "
         "derivatives are r (1 - r) and z (1 - z) (only n, a tanh, takes 1 - n**2)."),
        ("sigmoid_derivative_of_r_as_preactivation", _DR,
         "dn * cache.h_n * logistic(cache.r) * (1.0 - logistic(cache.r))",
         "you took the sigmoid's derivative at r as if r were the pre-activation: r is already "
         "sigmoid(a_r), so the derivative is r (1 - r)."),
    ],
    "step_backward": [
        ("no_direct_path", "dh_prev + dh_direct", "dh_prev",
         "your dh_prev misses the direct path: h_next = (1 - z) * n + z * h_prev holds h_prev "
         "itself, so dh_prev gets dh_next * z besides what flows through W_h."),
    ],
    "gru_step_backward": [
        ("bias_mean", "return (dx, dh_prev, dparams)",
         "return (dx, dh_prev, _mut_bias_mean(dparams, dh_next.shape[:-1]))", _BIAS_MEAN),
        ("gradients_in_wrong_order", "return (dx, dh_prev, dparams)", "return (dh_prev, dx, dparams)",
         "you returned the gradients in the wrong order: a backward pass returns them in the "
         "order of the forward's arguments, (dx, dh_prev, dparams)."),
    ],
    "param_grads": [
        ("dW_x_transposed", "outer_sum(x, dxw)", "outer_sum(dxw, x)",
         "your dW_x is transposed: dW_x = x^T @ da_x (summed over the batch), shaped like W_x."),
        ("dW_h_transposed", "outer_sum(h_prev, dhw)", "outer_sum(dhw, h_prev)",
         "your dW_h is transposed: dW_h = h_prev^T @ da_h (summed over the batch), shaped "
         "like W_h."),
        ("bias_not_summed", ((_SUM_X, "dxw"), (_SUM_H, "dhw")),
         "you did not sum the bias gradients over the batch: db = the sum of da over its rows."),
        ("b_h_from_input_side", _SUM_H, _SUM_X,
         "your db_h is db_x: b_h sits inside h_n, which r scales, so its n block gets da_n * r."),
    ],
    "decoder_backward_core": [
        ("no_gradient_through_time", "dhidden[..., t, :] + dh", "dhidden[..., t, :]",
         "your backward pass never carries the gradient from step t+1 back to step t: "
         "dh_t = (the logits' gradient at t) + (dh_prev of step t+1)."),
        ("forward_order", "reversed(range(len(steps)))", "range(len(steps))",
         "you ran the backward loop forward in time: start at the last step, t = T-1, and go "
         "back to t = 0, carrying dh_prev to the step before."),
        ("no_direct_path_through_time", "dhw[..., t, :] @ params['W_h'].T + dh_direct",
         "dhw[..., t, :] @ params['W_h'].T",
         "the gradient you carry to step t-1 misses the direct path: h_t = (1 - z) * n + z * "
         "h_{t-1} holds h_{t-1} itself, so dh_{t-1} gets dh_t * z besides what flows through "
         "W_h."),
        ("b_y_summed_over_classes", "dlogits.reshape(-1, dlogits.shape[-1]).sum(axis=0)",
         "dlogits.reshape(-1, dlogits.shape[-1]).sum(axis=-1)",
         "you summed db_y over the wrong axis: sum dlogits over every step (and sequence), "
         "keeping the V classes: db_y has shape (V,)."),
        ("dW_y_transposed", "outer_sum(cache.hidden, dlogits)", "outer_sum(dlogits, cache.hidden)",
         "your dW_y is transposed: dW_y = sum over steps of h_t^T @ dlogits_t, shaped like W_y."),
        ("dW_y_from_h_prev", "outer_sum(cache.hidden, dlogits)", "outer_sum(h_prev, dlogits)",
         "your dW_y pairs step t's dlogits with the state the step started from, h_{t-1} (the "
         "step cache's h_prev); logits_t = h_t @ W_y + b_y uses the state after the update, "
         "so dW_y = sum over t of h_t^T @ dlogits_t, with h_t = cache.hidden[t]."),
        ("param_grads_overwritten", "param_grads(cache.inputs, h_prev, dxw, dhw, cell_type)",
         "param_grads(cache.inputs[..., :1, :], h_prev[..., :1, :], dxw[..., :1, :], "
         "dhw[..., :1, :], cell_type)",
         "your W_x, W_h, b_x and b_h gradients are step 0's alone: each step assigned its "
         "gradient (dparams[k] = dp[k]), overwriting the later steps'. Every step uses the "
         "same parameters, so their gradients add up: dparams[k] += dp[k] at each step."),
        ("b_y_not_summed", "dlogits.reshape(-1, dlogits.shape[-1]).sum(axis=0)", "dlogits[..., -1, :]",
         "your db_y is the last step's: sum dlogits over every step (and sequence)."),
    ],
    "decoder_backward_teacher_forcing": [
        ("dtarget_not_shifted", "dinputs[..., 1:, :]", "dinputs[..., :-1, :]",
         "your dtarget_seq is not shifted: target_seq[t] is fed at step t+1, so its gradient is "
         "dinputs of step t+1, and the last token (never fed) gets zero."),
        ("dtarget_is_dinputs", "dtarget_seq[..., :-1, :] = dinputs[..., 1:, :]",
         "dtarget_seq[...] = dinputs",
         "your dtarget_seq[t] is the gradient of step t's input; step t was fed target_seq[t-1] "
         "(step 0 the start input), so dtarget_seq[t-1] is dx of step t, and the last token "
         "(never fed) gets zero."),
        ("gradients_in_wrong_order", "return (dh0, dtarget_seq, dparams)",
         "return (dtarget_seq, dh0, dparams)",
         "you returned the gradients in the wrong order: a backward pass returns them in the "
         "order of the forward's arguments, (dcontext_vector, dtarget_seq, dparams)."),
        ("bias_mean", "return (dh0, dtarget_seq, dparams)",
         "return (dh0, dtarget_seq, _mut_bias_mean(dparams, dlogits.shape[:-2]))", _BIAS_MEAN),
        ("start_per_sequence", "dinputs[..., 0, :].reshape(-1, dinputs.shape[-1]).sum(axis=0)",
         "dinputs[..., 0, :]",
         "your dstart has one row per sequence, shape (B, D): start is one vector (D,), fed to "
         "every sequence at step 0, so its gradient is the sum of step 0's input gradients over "
         "the batch, dx_0.sum(axis=0)."),
        ("start_not_summed", "dinputs[..., 0, :].reshape(-1, dinputs.shape[-1]).sum(axis=0)",
         "dinputs[..., 0, :].reshape(-1, dinputs.shape[-1])[0]",
         "your dstart is the first sequence's: start is fed to every sequence at step 0, so "
         "its gradient sums step 0's input gradient over every sequence of the batch."),
    ],
    "decoder_forward_teacher_forcing_cache": [
        # notebooks 02-04's decoder mistakes, in their words (tfcourse.checks.MISTAKES)
        ("fed_current_target", "target_seq[..., :-1, :]", "target_seq[..., 1:, :]",
         _c("fed_current_target")),
        ("no_start", _INPUTS, "target_seq", _c("fed_current_target")),
        ("start_last", _INPUTS, "np.concatenate([target_seq[..., 1:, :], start], axis=-2)",
         "you shifted the inputs the wrong way: step t was fed target_seq[t+1] and the start "
         "input came last. Teacher forcing feeds the previous true token: " + _FIX_START + "."),
        ("logits_before_step", _LOGITS,
         "logits = (hidden := np.concatenate([h0[..., None, :], hidden[..., :-1, :]], "
         "axis=-2)) @ params['W_y'] + params['b_y']", _c("logits_before_step")),
        ("zero_start", "params['start']", "np.zeros_like(params['start'])", _c("zero_start")),
        ("zero_context", _RUN, _RUN.replace("_run(h0,", "_run(np.zeros_like(h0),"),
         _c("zero_context")),
        ("probabilities", "hidden @ params['W_y'] + params['b_y']",
         "_mut_softmax(hidden @ params['W_y'] + params['b_y'])", _c("probabilities")),
        ("hidden_states", "hidden @ params['W_y'] + params['b_y']", "hidden",
         _c("hidden_states")),
        ("no_b_y", "hidden @ params['W_y'] + params['b_y']", "hidden @ params['W_y']",
         "you left out the output bias b_y: logits = h_t @ W_y + b_y."),
    ],
})

_GATES = "GRUGates(r, z, n, h_n)"
_STEP_CACHE = "GRUCache(x, state, *gates, params)"
_DECODER_CACHE = "DecoderCache(inputs, steps, hidden, params, cell_type)"
_BY_NAME = ("GRUCache's fields are x, h_prev, r, z, n, h_n, params, in that order: pass them by "
            "name (r=r, z=z, ...), since the backward pass reads each field by its name.")

# notebook 05: a forward that computes the right output but caches the wrong thing. Its backward
# pass (the student's own, or the grader's cases) then works from wrong values: each sentence
# says which field, what it must hold and what the backward pass needs it for.
CACHE = Rewrites("cache", {
    "gru_cell_gates": [
        ("r_preactivation", _GATES, "GRUGates(x_r + h_r, z, n, h_n)",
         "your cache's r holds the reset gate's pre-activation xw_r + hw_r: it must hold the gate "
         "itself, r = sigmoid(xw_r + hw_r), because the backward pass scales h_n's gradient by "
         "r and takes the sigmoid's derivative as r (1 - r)."),
        ("z_preactivation", _GATES, "GRUGates(r, x_z + h_z, n, h_n)",
         "your cache's z holds the update gate's pre-activation xw_z + hw_z: it must hold the "
         "gate itself, z = sigmoid(xw_z + hw_z), because the backward pass weighs dh_next by "
         "(1 - z) and z and takes the sigmoid's derivative as z (1 - z)."),
        ("n_preactivation", _GATES, "GRUGates(r, z, x_n + r * h_n, h_n)",
         "your cache's n holds the candidate's pre-activation xw_n + r * h_n: it must hold "
         "n = tanh(xw_n + r * h_n) itself, because the backward pass takes tanh's derivative as "
         "1 - n**2 and computes dz from h_prev - n."),
        ("gates_preactivations", _GATES, "GRUGates(x_r + h_r, x_z + h_z, x_n + r * h_n, h_n)",
         "your cache's r, z and n hold the gates' pre-activations, before their sigmoid or tanh: "
         "they must hold the gates themselves, r = sigmoid(xw_r + hw_r), z = sigmoid(xw_z + "
         "hw_z), n = tanh(xw_n + r * h_n), because the backward pass takes each derivative from "
         "the gate's value: r (1 - r), z (1 - z), 1 - n**2."),
        ("h_n_scaled_by_r", _GATES, "GRUGates(r, z, n, r * h_n)",
         "your cache's h_n holds r * h_n: it must hold h_n = h_prev @ W_hn + b_hn, before r "
         "scales it, because the backward pass computes r's gradient from it (dr = dn_pre * h_n)."),
        ("h_n_without_bias", _GATES,
         "GRUGates(r, z, n, np.split(h_prev @ params['W_h'], 3, axis=-1)[2])",
         "your cache's h_n leaves out b_hn: it must hold h_n = h_prev @ W_hn + b_hn, the whole "
         "term r scales, because the backward pass computes r's gradient from it "
         "(dr = dn_pre * h_n)."),
        ("h_n_all_blocks", _GATES, "GRUGates(r, z, n, hw)",
         "your cache's h_n holds all three blocks of h_prev @ W_h + b_h (3H columns): it must "
         "hold only the n block, h_n = h_prev @ W_hn + b_hn (H columns), the term r scales, "
         "because the backward pass computes r's gradient from it (dr = dn_pre * h_n)."),
        ("r_z_swapped", _GATES, "GRUGates(z, r, n, h_n)",
         "your cache holds z as r and r as z. " + _BY_NAME),
        ("n_h_n_swapped", _GATES, "GRUGates(r, z, h_n, n)",
         "your cache holds h_n as n and n as h_n: n is the candidate tanh(xw_n + r * h_n), h_n "
         "the term h_prev @ W_hn + b_hn that r scales. " + _BY_NAME),
    ],
    "cell_forward": [
        ("h_next_as_h_prev", _STEP_CACHE, "GRUCache(x, h_next, *gates, params)",
         "the h_prev of your GRUCache holds the step's new state h_next: it must hold the state "
         "the step started from, h_prev, because the backward pass computes "
         "dW_h = h_prev^T @ dhw and dz = dh_next * (h_prev - n) * z (1 - z) from it."),
        ("xw_as_x", _STEP_CACHE, "GRUCache(xw, state, *gates, params)",
         "the x of your GRUCache holds the projection x @ W_x + b_x (3H columns): it must hold "
         "the step's input x itself (D columns), because the backward pass computes "
         "dW_x = x^T @ dxw from it."),
    ],
    "decoder_forward_teacher_forcing_cache": [
        ("inputs_are_target_seq", _DECODER_CACHE,
         "DecoderCache(target_seq, steps, hidden, params, cell_type)",
         "your cache's inputs holds target_seq: it must hold the inputs x_t that were fed, start "
         "first, then target_seq[0] .. target_seq[T-2], because the backward pass computes "
         "dW_x = sum over t of x_t^T @ dxw_t from them."),
        ("hidden_before_the_step", _DECODER_CACHE,
         "DecoderCache(inputs, steps, np.concatenate([h0[..., None, :], hidden[..., :-1, :]], "
         "axis=-2), params, cell_type)",
         "your cache's hidden holds the states the steps started from, h_0 .. h_{T-1}: it must "
         "hold the new states h_1 .. h_T (row t from step t), the ones the logits were computed "
         "from, because the backward pass computes dW_y = sum over t of h_{t+1}^T @ dlogits_t "
         "from them."),
        ("last_step_only", _DECODER_CACHE,
         "DecoderCache(inputs, [steps[-1]], hidden, params, cell_type)",
         "your cache's steps holds only the last step's GRUCache: it must hold all T of them, one "
         "appended inside the loop at every step, because the backward pass walks back through "
         "every step with that step's own cache."),
        ("step_x_is_next_input", _RUN,
         "_run(h0, target_seq, input_projection(inputs, params, cell_type), params, cell_type)",
         "the x of step t's GRUCache holds target_seq[t]: it must hold the input step t was fed, "
         "x_t (start at step 0, then target_seq[t-1]), because that step's backward pass "
         "computes dW_x and dx from it."),
    ],
})

_SHIFTED = "logits - np.max(logits, axis=-1, keepdims=True)"
_SCALE = "dlogits * (mask[..., None] / n_real)"
_N_REAL = "max(int(np.count_nonzero(mask)), 1)"
_NO_MAX = ("you did not subtract each row's largest logit before the exp: with large logits exp "
           "overflows to inf and the loss becomes inf or nan. Subtract each row's max first: the "
           "softmax is unchanged.")

_LOSS = "-np.sum(np.where(mask, chosen, 0.0)) / n_real"
_PER_SEQUENCE = "np.maximum(np.count_nonzero(mask, axis=-1), 1)"
_MEANS = f"np.mean(-np.sum(np.where(mask, chosen, 0.0), axis=-1) / {_PER_SEQUENCE})"
_OVER_ALL = ("The loss is the mean over all the real tokens of the batch at once: sum "
             "-log softmax(logits)[target] where mask is True, and divide by how many positions "
             "the mask marks True")

# notebook 05's exercise 5: the masked cross-entropy and its gradient
LOSS = Rewrites("loss", {
    "masked_cross_entropy": [
        ("mean_of_means", ((_LOSS, _MEANS), (_SCALE, f"dlogits * (mask[..., None] / (mask.shape[0]"
                                                     f" * {_PER_SEQUENCE})[:, None, None])")),
         "you averaged each sequence's mean loss (the mean over its real tokens, then the mean "
         "over the B sequences), so a short sequence's tokens weigh more than a long one's. "
         + _OVER_ALL + " (dlogits is divided by that same count)."),
        ("mean_of_means_loss_only", _LOSS, _MEANS,
         "your loss averages each sequence's mean loss (the mean over its real tokens, then the "
         "mean over the B sequences), while your dlogits divides by all the real tokens of the "
         "batch. " + _OVER_ALL + ", as your dlogits does."),
        ("no_max_subtracted", _SHIFTED, "logits", _NO_MAX),
        ("no_max_softmax_then_log", (
            (_SHIFTED, "logits"),
            ("shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))",
             "np.log(np.exp(shifted) / np.sum(np.exp(shifted), axis=-1, keepdims=True))")),
         _NO_MAX),
        ("padding_counted", (("np.where(mask, chosen, 0.0)", "chosen"), (_N_REAL, "mask.size"),
                             (_SCALE, "dlogits / mask.size")),
         "you counted the padded positions: the loss is the mean over the real tokens only "
         "(where mask is True), and dlogits is zero at every padded position."),
        ("mean_over_all", _N_REAL, "mask.size",
         "you divided by B*T: the mean is over the real tokens, so divide by how many "
         "positions the mask marks True."),
        ("gradient_not_divided", _SCALE, "dlogits * mask[..., None]",
         "your dlogits is not divided by the number of real tokens: the loss is their mean, so "
         "its gradient is (softmax - one-hot) / count at each real position."),
        ("gradient_sign", _SCALE, "-dlogits * (mask[..., None] / n_real)",
         "your dlogits has the wrong sign: the loss is -log softmax(logits)[target], whose "
         "gradient is softmax minus the one-hot target (one-hot minus softmax is the gradient "
         "of +log p)."),
        ("minus_one_everywhere", "dlogits[rows, steps, target_ids] -= 1.0", "dlogits -= 1.0",
         "you subtracted 1 from every class: the gradient is softmax minus the one-hot target, "
         "so subtract 1 only at the target's class, dlogits[b, t, target_ids[b, t]]."),
        ("gradient_not_masked", _SCALE, "dlogits / n_real",
         "your dlogits is not zero at the padded positions: multiply by the mask, since a "
         "padded position adds nothing to the loss."),
    ],
})

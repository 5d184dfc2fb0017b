"""Known mistakes of notebooks 01-04: wrong implementations written by hand, as students write them.

Instructor side only. What the checks name is no longer this list: autograder/mutations makes
every mutant of the reference solutions, and data/reference/ stores their outputs. These
hand-written answers stay as wrong answers written independently of that mechanism:
- the sample class's "wrong" student (autograder/sample_class.py) gets some of them inlined
  into its notebooks;
- tests/test_checks.py and scripts/diagnosis_rate.py check that the mutants name each of them
  (a held-out set: several are spelt unlike any single mutation, and still match on behaviour).

`MISTAKES[function][mistake_id]` is a function with the graded function's signature; each
mistake_id has a hint in tfcourse.checks.MISTAKES. A mistake's body uses only numpy and the
building blocks earlier assignments release in `given` (rnn_step, lstm_step, gru_step), so the
build can inline it into a student notebook like a reference answer.
"""
import numpy as np

from solutions import gru_step, lstm_step, rnn_step


# ----------------------------------------------------------------------------- cells

def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def rnn_no_bias(x, h_prev, params):
    return np.tanh(x @ params["W_x"] + h_prev @ params["W_h"])


def rnn_no_tanh(x, h_prev, params):
    return x @ params["W_x"] + h_prev @ params["W_h"] + params["b"]


def rnn_ignored_h_prev(x, h_prev, params):
    return np.tanh(x @ params["W_x"] + params["b"])


def rnn_returned_h_prev(x, h_prev, params):
    return np.array(h_prev, dtype=float)


def _lstm(x, h_prev, c_prev, params, order="ifgo", g_act=np.tanh, out_tanh=True, swap=False):
    a = x @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
    blocks = dict(zip(order, np.split(a, 4, axis=-1)))
    i, f, g, o = _sig(blocks["i"]), _sig(blocks["f"]), g_act(blocks["g"]), _sig(blocks["o"])
    c_next = f * c_prev + i * g
    h_next = o * (np.tanh(c_next) if out_tanh else c_next)
    return (c_next, h_next) if swap else (h_next, c_next)


def lstm_gates_ifog(x, h_prev, c_prev, params):
    return _lstm(x, h_prev, c_prev, params, order="ifog")


def lstm_gates_fiog(x, h_prev, c_prev, params):
    return _lstm(x, h_prev, c_prev, params, order="figo")


def lstm_sigmoid_candidate(x, h_prev, c_prev, params):
    return _lstm(x, h_prev, c_prev, params, g_act=_sig)


def lstm_h_without_tanh(x, h_prev, c_prev, params):
    return _lstm(x, h_prev, c_prev, params, out_tanh=False)


def lstm_returned_c_h(x, h_prev, c_prev, params):
    return _lstm(x, h_prev, c_prev, params, swap=True)


def _gru(x, h_prev, params, reset_first=False, swap_z=False, hidden_bias=True):
    H = h_prev.shape[-1]
    b_h = params["b_h"] if hidden_bias else np.zeros(3 * H)
    xw = x @ params["W_x"] + params["b_x"]
    hw = h_prev @ params["W_h"] + b_h
    r = _sig(xw[..., :H] + hw[..., :H])
    z = _sig(xw[..., H:2 * H] + hw[..., H:2 * H])
    if reset_first:
        n = np.tanh(xw[..., 2 * H:] + (r * h_prev) @ params["W_h"][:, 2 * H:] + b_h[2 * H:])
    else:
        n = np.tanh(xw[..., 2 * H:] + r * hw[..., 2 * H:])
    return z * n + (1 - z) * h_prev if swap_z else (1 - z) * n + z * h_prev


def gru_reset_before_matmul(x, h_prev, params):
    return _gru(x, h_prev, params, reset_first=True)


def gru_update_swapped(x, h_prev, params):
    return _gru(x, h_prev, params, swap_z=True)


def gru_no_hidden_bias(x, h_prev, params):
    return _gru(x, h_prev, params, hidden_bias=False)


# ----------------------------------------------------------------------------- decoders

def _step(x, state, params, cell_type):
    """One step of the reference cell (released in `given`); returns (h, state)."""
    if cell_type == "lstm":
        h, c = lstm_step(x, state[0], state[1], params)
        return h, (h, c)
    h = rnn_step(x, state, params) if cell_type == "rnn" else gru_step(x, state, params)
    return h, h


def _decoder(context_vector, target_seq, params, cell_type, n_steps, rule, coins=None,
             output="logits", update_state=True, c0_context=False, logits_first=False):
    """A decoder with a pluggable input rule, to reproduce each mistake.

    rule(t, previous_logits, coin) returns the input vector at step t.
    """
    h0 = np.asarray(context_vector, dtype=float)
    start = (h0, h0.copy() if c0_context else np.zeros_like(h0)) if cell_type == "lstm" else h0
    state, rows, previous = start, [], None
    for t in range(n_steps):
        x = rule(t, previous, None if coins is None else coins[t])
        h_before = state[0] if cell_type == "lstm" else state
        h, new_state = _step(x, state if update_state else start, params, cell_type)
        state = new_state
        out_h = h_before if logits_first else h
        previous = out_h @ params["W_y"] + params["b_y"]
        rows.append(out_h if output == "hidden" else previous)
    out = np.array(rows)
    if output == "probabilities":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        out = e / e.sum(axis=1, keepdims=True)
    return out


def _teacher(target_seq, params, first="start", shift=1):
    def rule(t, previous, coin):
        if t == 0 and first == "start":
            return params["start"]
        if t == 0 and first == "zeros":
            return np.zeros_like(params["start"])
        return target_seq[t - shift]
    return rule


def _own(params, feed_start=False):
    def rule(t, previous, coin):
        if t == 0 or feed_start:
            return params["start"]
        return params["embedding"][np.argmax(previous)]
    return rule


def tf_fed_prediction(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _own(decoder_params))


def tf_fed_current_target(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    lambda t, previous, coin: target_seq[t])


def tf_wrapped_start(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    lambda t, previous, coin: target_seq[t - 1])


def tf_zero_start(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _teacher(target_seq, decoder_params, first="zeros"))


def tf_missing_first_step(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq) - 1,
                    lambda t, previous, coin: target_seq[t])


def tf_probabilities(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _teacher(target_seq, decoder_params), output="probabilities")


def tf_no_state_update(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _teacher(target_seq, decoder_params), update_state=False)


def tf_zero_context(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(np.zeros_like(context_vector), target_seq, decoder_params, cell_type,
                    len(target_seq), _teacher(target_seq, decoder_params))


def tf_hidden_states(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _teacher(target_seq, decoder_params), output="hidden")


def tf_lstm_c_from_context(context_vector, target_seq, decoder_params, cell_type='rnn'):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _teacher(target_seq, decoder_params), c0_context=True)


def fr_fed_start_every_step(context_vector, decoder_params, seq_len, cell_type='rnn'):
    return _decoder(context_vector, None, decoder_params, cell_type, seq_len,
                    _own(decoder_params, feed_start=True))


def fr_logits_before_step(context_vector, decoder_params, seq_len, cell_type='rnn'):
    return _decoder(context_vector, None, decoder_params, cell_type, seq_len,
                    _own(decoder_params), logits_first=True)


def fr_probabilities(context_vector, decoder_params, seq_len, cell_type='rnn'):
    return _decoder(context_vector, None, decoder_params, cell_type, seq_len,
                    _own(decoder_params), output="probabilities")


def fr_no_state_update(context_vector, decoder_params, seq_len, cell_type='rnn'):
    return _decoder(context_vector, None, decoder_params, cell_type, seq_len,
                    _own(decoder_params), update_state=False)


def fr_zero_context(context_vector, decoder_params, seq_len, cell_type='rnn'):
    return _decoder(np.zeros_like(context_vector), None, decoder_params, cell_type, seq_len,
                    _own(decoder_params))


def fr_hidden_states(context_vector, decoder_params, seq_len, cell_type='rnn'):
    return _decoder(context_vector, None, decoder_params, cell_type, seq_len,
                    _own(decoder_params), output="hidden")


def _mixed(target_seq, params, sampling_prob, invert=False):
    def rule(t, previous, coin):
        if t == 0:
            return params["start"]
        own = (coin >= sampling_prob) if invert else (coin < sampling_prob)
        return params["embedding"][np.argmax(previous)] if own else target_seq[t - 1]
    return rule


def _coins(rng, T, at_step_0=False, per_sequence=False):
    rng = np.random.default_rng(rng)
    if per_sequence:
        return np.full(T, rng.random())
    return rng.random(T) if at_step_0 else np.concatenate([[0.0], rng.random(T - 1)])


def ss_coin_at_step_0(context_vector, target_seq, decoder_params, sampling_prob,
                      cell_type='rnn', rng=None):
    coins = _coins(rng, len(target_seq), at_step_0=True)
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _mixed(target_seq, decoder_params, sampling_prob), coins)


def ss_inverted_coin(context_vector, target_seq, decoder_params, sampling_prob,
                     cell_type='rnn', rng=None):
    coins = _coins(rng, len(target_seq))
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _mixed(target_seq, decoder_params, sampling_prob, invert=True), coins)


def ss_per_sequence_coin(context_vector, target_seq, decoder_params, sampling_prob,
                         cell_type='rnn', rng=None):
    coins = _coins(rng, len(target_seq), per_sequence=True)
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _mixed(target_seq, decoder_params, sampling_prob), coins)


def ss_always_teacher_forcing(context_vector, target_seq, decoder_params, sampling_prob,
                              cell_type='rnn', rng=None):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _teacher(target_seq, decoder_params))


def ss_always_free_running(context_vector, target_seq, decoder_params, sampling_prob,
                           cell_type='rnn', rng=None):
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    _own(decoder_params))


def ss_fed_current_target(context_vector, target_seq, decoder_params, sampling_prob,
                          cell_type='rnn', rng=None):
    coins = _coins(rng, len(target_seq))

    def rule(t, previous, coin):
        if t > 0 and coin < sampling_prob:
            return decoder_params["embedding"][np.argmax(previous)]
        return target_seq[t]
    return _decoder(context_vector, target_seq, decoder_params, cell_type, len(target_seq),
                    rule, coins)


# ----------------------------------------------------------------------------- schedules

def linear_returned_sampling_prob(i, k, c, eps_min):
    return 1.0 - max(eps_min, k - c * i)


def linear_min_instead_of_max(i, k, c, eps_min):
    return min(eps_min, k - c * i)


def exponential_returned_sampling_prob(i, k):
    return 1.0 - k ** i


def exponential_k_times_i(i, k):
    return k * i


def inverse_sigmoid_returned_sampling_prob(i, k):
    return 1.0 - k / (k + np.exp(i / k))


def inverse_sigmoid_exp_sign_flipped(i, k):
    return k / (k + np.exp(-i / k))


def _table(prefix, ids):
    return {m: globals()[f"{prefix}_{m}"] for m in ids}


MISTAKES = {
    "rnn_step": _table("rnn", ["no_bias", "no_tanh", "ignored_h_prev", "returned_h_prev"]),
    "lstm_step": _table("lstm", ["gates_ifog", "gates_fiog", "sigmoid_candidate",
                                 "h_without_tanh", "returned_c_h"]),
    "gru_step": _table("gru", ["reset_before_matmul", "update_swapped", "no_hidden_bias"]),
    "decoder_forward_teacher_forcing": _table("tf", [
        "fed_prediction", "fed_current_target", "wrapped_start", "zero_start",
        "missing_first_step", "probabilities", "no_state_update", "zero_context",
        "hidden_states", "lstm_c_from_context"]),
    "decoder_forward_free_running": _table("fr", [
        "fed_start_every_step", "logits_before_step", "probabilities", "no_state_update",
        "zero_context", "hidden_states"]),
    "decoder_forward_scheduled_sampling": _table("ss", [
        "coin_at_step_0", "inverted_coin", "per_sequence_coin", "always_teacher_forcing",
        "always_free_running", "fed_current_target"]),
    "linear_schedule": _table("linear", ["returned_sampling_prob", "min_instead_of_max"]),
    "exponential_schedule": _table("exponential", ["returned_sampling_prob", "k_times_i"]),
    "inverse_sigmoid_schedule": _table("inverse_sigmoid",
                                       ["returned_sampling_prob", "exp_sign_flipped"]),
}

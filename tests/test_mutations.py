"""Name the mistake: mutants of the reference solutions, matched on behaviour (autograder/mutations)."""
import numpy as np
import pytest

import solutions
from autograder import cases, mutations
from autograder.build import hidden_backend
from autograder.mutations.engine import source_tree
from tfcourse import checks
from tfcourse.checks import CheckFailed, check, check_cases
from tfcourse.params import random_decoder_params


def _message(name, func, hidden=False):
    with pytest.raises(CheckFailed) as info:
        if hidden:
            check_cases(name, func, cases.hidden_cases(name), "hidden")
        else:
            check(name, func)
    return str(info.value)


def _text(name, site):
    return next(m.text for m in mutations.singles(name) if m.id == f"{name}:{site}")


def test_a_relu_in_place_of_tanh_is_named_not_only_located():
    def rnn_step(x, h_prev, params):
        return np.maximum(0, x @ params["W_x"] + h_prev @ params["W_h"] + params["b"])
    text = _text("rnn_step", "activation:tanh>relu@h_next")
    assert "ReLU" in text and "tanh" in text
    assert text in _message("rnn_step", rnn_step)
    assert text in _message("rnn_step", rnn_step, hidden=True)


def test_the_same_mistake_written_another_way_is_the_same_mistake():
    """Start input at step 0, then target_seq[t] at step t: the one-step shift, spelt unlike
    the hand-written catalogue's version (which fed target_seq[t] from step 0 on)."""
    def decoder_forward_teacher_forcing(context_vector, target_seq, decoder_params, cell_type="rnn"):
        p, h = decoder_params, context_vector
        c, rows = np.zeros_like(h), []
        for t in range(len(target_seq)):
            x = p["start"] if t == 0 else target_seq[t]
            if cell_type == "lstm":
                h, c = solutions.lstm_step(x, h, c, p)
            else:
                h = (solutions.gru_step if cell_type == "gru" else solutions.rnn_step)(x, h, p)
            rows.append(h @ p["W_y"] + p["b_y"])
        return np.array(rows)
    assert checks.MISTAKES["fed_current_target"] in _message(
        "decoder_forward_teacher_forcing", decoder_forward_teacher_forcing)


def test_a_decoder_on_a_mutated_cell_is_a_mutant_of_the_decoder():
    def sigmoid_rnn(x, h_prev, params):
        return 1 / (1 + np.exp(-(x @ params["W_x"] + h_prev @ params["W_h"] + params["b"])))
    def decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type="rnn"):
        p, h, x, rows = decoder_params, context_vector, decoder_params["start"], []
        c = np.zeros_like(h)
        for t in range(seq_len):
            if cell_type == "rnn":
                h = sigmoid_rnn(x, h, p)
            elif cell_type == "lstm":
                h, c = solutions.lstm_step(x, h, c, p)
            else:
                h = solutions.gru_step(x, h, p)
            rows.append(h @ p["W_y"] + p["b_y"])
            x = p["embedding"][np.argmax(rows[-1])]
        return np.array(rows)
    message = _message("decoder_forward_free_running", decoder_forward_free_running)
    assert "your decoder's rnn_step is wrong: you squashed h_next with a sigmoid" in message


def test_an_answer_matching_several_mutants_says_one_of_these():
    """Swapping the forget and input gates' blocks, or their roles in c_next, compute the same."""
    def lstm_step(x, h_prev, c_prev, params):
        a = x @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
        f, i, g, o = np.split(a, 4, axis=-1)
        sig = lambda v: 1 / (1 + np.exp(-v))
        c_next = sig(f) * c_prev + sig(i) * np.tanh(g)
        return sig(o) * np.tanh(c_next), c_next
    message = _message("lstm_step", lstm_step)
    assert "one of these mistakes" in message
    assert checks.MISTAKES["gates_fiog"] in message
    assert "you swapped f and i where you compute c_next" in message


def test_hidden_messages_name_the_mistake_and_print_no_reference_value():
    name = "decoder_forward_teacher_forcing"
    wrong = next(m.impl for m in mutations.singles(name) if m.id.endswith("initial_state:h="
                                                                         "np.zeros_like(context_vector)"))
    message = _message(name, wrong, hidden=True)
    assert checks.MISTAKES["zero_context"] in message
    assert "yours - reference" not in message and " of 1 steps differ" not in message


def _kept(name):
    """The mutants kept for `name` by its case module (autograder/cases*.py)."""
    return hidden_backend(name)[0].mutants(name)


def test_every_single_mutant_runs_where_its_site_exists_and_is_a_change_of_the_reference():
    for name in mutations.FUNCTIONS:
        kept = _kept(name)
        assert kept, name
        assert len({m.id for m in kept}) == len(kept), f"{name}: two mutants share an id"
        assert all(m.text and m.text[0].islower() or m.text[0].isupper() for m in kept)
        source = source_tree(getattr(solutions, name))
        assert source.name == name


def test_the_public_files_hold_the_mutants_outputs_and_sentences_but_no_code():
    for name in mutations.FUNCTIONS:
        reference = checks.load_reference(name)
        texts = reference["diagnoses"]
        assert set(texts) == {m.id for m in _kept(name)}
        for case in reference["cases"]:
            assert set(case["mistakes"]) <= set(texts)
        assert not any("def " in t or "lambda" in t or "_mut_" in t for t in texts.values())


def test_a_mutant_that_matches_one_case_but_not_all_is_not_named():
    """Behaviour over all cases: the reference's answer on the first case, a ReLU elsewhere."""
    relu = next(m.impl for m in mutations.singles("rnn_step") if m.id.endswith("tanh>relu@h_next"))
    calls = []

    def rnn_step(x, h_prev, params):
        calls.append(1)
        return (solutions.rnn_step if len(calls) == 2 else relu)(x, h_prev, params)
    message = _message("rnn_step", rnn_step)
    assert _text("rnn_step", "activation:tanh>relu@h_next") not in message


def _harness_value(array):
    import base64
    import io
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return {"value": {"npy": base64.b64encode(buf.getvalue()).decode("ascii")}}


def test_the_grader_names_a_hidden_mistake_from_all_of_the_cells_cases():
    """The judge (outside the sandbox) matches the answer's outputs on every hidden case."""
    from autograder.engine import judge
    name, module = "rnn_step", "tfcourse.checks"
    relu = next(m.impl for m in mutations.singles(name) if m.id.endswith("tanh>relu@h_next"))
    cell = [(name, case, module) for case in cases.hidden_cases(name)]
    index = {judge._job_key(*c): k for k, c in enumerate(cell)}
    results = [_harness_value(relu(*checks.case_args(name, case)[0])) for _, case, _ in cell]
    status = judge._judge_cases(cell, results, index, None, None, public=0)
    assert status.startswith("failed: rnn_step, case 1 of 6") and "hidden" in status
    assert _text(name, "activation:tanh>relu@h_next") in status
    assert "reference|" not in status and "yours - reference" not in status


def _any_message(name, func, hidden=False):
    """The message of `name`'s own checks module (notebooks 05-07 have theirs)."""
    import importlib
    backend, module = hidden_backend(name)
    own = importlib.import_module(module)
    with pytest.raises(CheckFailed) as info:
        if hidden:
            own.check_cases(name, func, backend.hidden_cases(name), "hidden")
        else:
            own.check(name, func)
    return str(info.value)


def test_the_one_unnamed_single_mutation_gets_the_structural_message_the_readme_states():
    """The reference helper gru_cell_gates' pair reversed (README, "Naming the mistake"): no
    student's gru_step_forward computes it, and its message says h_next is not there."""
    site = "gru_step_forward:gru_cell_gates:tuple_reversed:reversed"
    wrong = next(m.impl for m in mutations.singles("gru_step_forward") if m.id == site)
    message = _any_message("gru_step_forward", wrong)
    assert "h_next is missing from what you returned" in message
    assert "Known mistake" not in message and "one of these" not in message



def test_logits_with_time_and_vocabulary_swapped_are_named_and_not_sent_to_a_step():
    """Notebook 03's public cases have T = V = 6: the transposed logits have the right shape,
    and the message used to send the student to the input of a step."""
    def decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type="rnn"):
        return np.transpose(solutions.decoder_forward_free_running(
            context_vector, decoder_params, seq_len, cell_type))
    text = _text("decoder_forward_free_running", "axes_swapped:time_vocab")
    for hidden in (False, True):
        message = _message("decoder_forward_free_running", decoder_forward_free_running, hidden)
        assert "Known mistake: " + text in message
        assert "look at" not in message and "At step 0 check" not in message
    assert "step 0" in _message("decoder_forward_free_running", decoder_forward_free_running)


def test_batched_logits_returned_time_major_or_transposed_are_named_in_notebooks_05_and_06():
    def time_major(input_ids, params):
        logits = solutions.transformer_decoder_forward(input_ids, params)
        return logits.transpose(1, 0, 2) if logits.ndim == 3 else logits

    def transposed(context_vector, target_seq, decoder_params, cell_type="rnn"):
        logits, cache = solutions.decoder_forward_teacher_forcing_cache(
            context_vector, target_seq, decoder_params, cell_type)
        return np.swapaxes(logits, -1, -2), cache
    for name, func, way in (("transformer_decoder_forward", time_major, "batch_time"),
                            ("decoder_forward_teacher_forcing_cache", transposed, "time_vocab")):
        text = _text(name, f"axes_swapped:{way}")
        assert ("time-major" if way == "batch_time" else "swapped") in text
        for hidden in (False, True):
            assert text in _any_message(name, func, hidden), (name, hidden)


def test_a_positional_encoding_built_column_major_is_named():
    """PE built as (D, T), one row per dimension, and returned that way."""
    def positional_encoding(T, D):
        pe = np.zeros((D, T))
        for j in range(D):
            rate = 10000.0 ** ((j - j % 2) / D)
            pe[j] = (np.sin if j % 2 == 0 else np.cos)(np.arange(T) / rate)
        return pe
    text = _text("positional_encoding", "axes_swapped:time_vocab")
    assert "(D, T)" in text
    for hidden in (False, True):
        assert "Known mistake: " + text in _any_message("positional_encoding", positional_encoding,
                                                        hidden)


def _per_token_losses(logits, labels, ignore_index):
    logits, labels = np.asarray(logits, dtype=float), np.asarray(labels)
    if logits.ndim == 2:
        logits, labels = logits[None], labels[None]
    scores, targets = logits[:, :-1], labels[:, 1:]
    counted = targets != ignore_index
    z = scores - scores.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -np.take_along_axis(log_p, np.where(counted, targets, 0)[..., None], -1)[..., 0], counted


def test_the_mean_of_per_sequence_means_is_named_however_it_is_written():
    """Vectorised, a sequence with no counted label is 0 / 0 = nan; a loop skips it: two
    behaviours, both named as the mean of the sequences' means."""
    def vectorised(logits, labels, ignore_index=-100):
        per_token, counted = _per_token_losses(logits, labels, ignore_index)
        return float(((per_token * counted).sum(1) / counted.sum(1)).mean())

    def loop(logits, labels, ignore_index=-100):
        per_token, counted = _per_token_losses(logits, labels, ignore_index)
        means = []
        for losses, mask in zip(per_token, counted):
            if mask.any():
                means.append(losses[mask].mean())
        return float(np.mean(means))
    for func in (vectorised, loop):
        for hidden in (False, True):
            with np.errstate(invalid="ignore"):
                message = _any_message("causal_lm_loss", func, hidden)
            assert "you averaged each sequence's mean loss" in message, (func.__name__, hidden)
            assert "divide by their number" in message


def test_masked_cross_entropy_of_per_sequence_means_is_named_with_either_gradient():
    def loss_and_softmax(logits, target_ids):
        z = logits - logits.max(-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
        per_token = -np.take_along_axis(log_p, target_ids[..., None], -1)[..., 0]
        grad = np.exp(log_p)
        for b in range(len(target_ids)):
            for t in range(target_ids.shape[1]):
                grad[b, t, target_ids[b, t]] -= 1.0
        return per_token, grad

    def consistent(logits, target_ids, mask):
        per_token, grad = loss_and_softmax(np.asarray(logits, dtype=float), target_ids)
        B, lengths = len(mask), mask.sum(axis=1)
        loss = np.mean([per_token[b][mask[b]].mean() for b in range(B)])
        return float(loss), grad * mask[..., None] / (B * lengths[:, None, None])

    def loss_only(logits, target_ids, mask):
        per_token, grad = loss_and_softmax(np.asarray(logits, dtype=float), target_ids)
        loss = ((per_token * mask).sum(1) / mask.sum(1)).mean()
        return float(loss), grad * mask[..., None] / mask.sum()
    for func, said in ((consistent, "dlogits is divided by that same count"),
                       (loss_only, "while your dlogits divides by all the real tokens")):
        for hidden in (False, True):
            with np.errstate(all="ignore"):
                message = _any_message("masked_cross_entropy", func, hidden)
            assert "each sequence's mean loss" in message and said in message, (func, hidden)


def _recovery(first, last):
    """recovery_curve as a student writes it, its entries from position k + first to
    T - 1 - last."""
    def recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type="rnn"):
        N, T = target_ids.shape
        embedding = decoder_params["embedding"]
        errors = np.zeros((2, N, T), dtype=bool)
        for i in range(N):
            corrupted = target_ids[i].copy()
            corrupted[k] = wrong_ids[i]
            for run, fed in enumerate((target_ids[i], corrupted)):
                logits = solutions.decoder_forward_teacher_forcing(
                    context_vectors[i], embedding[fed], decoder_params, cell_type)
                errors[run, i] = logits.argmax(axis=1) != target_ids[i]
        curve = []
        for position in range(k + first, T - last):
            real = target_ids[:, position] != 0
            curve.append(errors[1, real, position].mean() - errors[0, real, position].mean()
                         if real.any() else np.nan)
        return np.array(curve)
    return recovery_curve


@pytest.mark.parametrize("first, last, site", [(0, 0, "starts_at_k"),
                                               (0, 1, "one_position_early")])
def test_a_recovery_curve_starting_at_k_is_named_for_what_it_did(first, last, site):
    """From k to T-1 (one entry too many) or from k to T-2 (the right length, one position
    early): two behaviours, each with its own sentence."""
    text = _text("recovery_curve", f"recovery:{site}")
    for hidden in (False, True):
        message = _message("recovery_curve", _recovery(first, last), hidden)
        assert "Known mistake: " + text in message, hidden

@pytest.mark.parametrize("name", ["gru_step_forward", "decoder_forward_teacher_forcing_cache"])
def test_notebook_05s_cache_operators_change_the_cache_alone_and_say_what_the_backward_needs(name):
    """Each named.CACHE mutant of a forward computes the reference's output on every case and
    another cache on some: the cache alone names it (autograder.cases_training stores it)."""
    from autograder import cases_training
    matched = cases_training._matched_cases(name)
    expected = [cases_training.reference_result(name, c) for c in matched]
    ours = [m for m in mutations.singles(name) if ":cache:" in m.id]
    assert len(ours) == (11 if name == "gru_step_forward" else 15)
    for mutant in ours:
        got = mutations.outputs(mutant.impl, name, matched, cases_training.case_args)
        assert all(mutations._same(g[:1], e[:1]) for g, e in zip(got, expected)), mutant.id
        assert not all(mutations._same(g, e) for g, e in zip(got, expected)), mutant.id
        assert "cache" in mutant.text.lower() and "backward pass" in mutant.text, mutant.id
    assert len({m.text for m in ours}) == len(ours)


def test_two_changes_of_one_helper_are_made_where_the_single_mutations_found_them():
    """A double of a family member (notebooks 05-07): the second change is made at the node its
    single mutation found, not at whatever node sits at that position once the first change
    has reshaped the tree (which made a tree that does not compile)."""
    name = "gru_step_forward"
    pool = {m.id: m for m in mutations.singles(name)}
    dropped = pool[f"{name}:gru_cell_gates:term_dropped:h_prev @ W_h"]
    transposed = pool[f"{name}:gru_cell_gates:transposed:W_h"]
    assert mutations._pair(name, dropped, transposed) is None  # its site went with the term
    both = mutations._pair(name, transposed, dropped)
    rng = np.random.default_rng(0)
    params = {k: v for k, v in random_decoder_params("gru", 3, 3, 2, rng).items()
              if k in ("W_x", "W_h", "b_x", "b_h")}
    x, h = rng.normal(size=3), rng.normal(size=3)
    assert np.allclose(both(x, h, params)[0], dropped.impl(x, h, params)[0])


# ---------------------------------------------------------------- notebook 05, as students write it

def _gru_backward(dh_next, cache, bias_sum=True, dr_from="h_n", gates_as_tanh=False):
    """A student's GRU step backward; the keywords make one slip each."""
    x, h_prev, r, z, n, h_n, params = cache
    dn_pre = dh_next * (1 - z) * (1 - n ** 2)
    dz = dh_next * (h_prev - n)
    dr = dn_pre * (h_n if dr_from == "h_n" else h_prev)
    dz_pre = dz * (1 - z ** 2) if gates_as_tanh else dz * z * (1 - z)
    dr_pre = dr * (1 - r ** 2) if gates_as_tanh else dr * r * (1 - r)
    dxw = np.concatenate([dr_pre, dz_pre, dn_pre], axis=-1)
    dhw = np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=-1)
    D, H = x.shape[-1], h_prev.shape[-1]
    dxw2, dhw2 = dxw.reshape(-1, 3 * H), dhw.reshape(-1, 3 * H)
    reduce = np.sum if bias_sum else np.mean
    return (dxw @ params["W_x"].T, dhw @ params["W_h"].T + dh_next * z,
            {"W_x": x.reshape(-1, D).T @ dxw2, "W_h": h_prev.reshape(-1, H).T @ dhw2,
             "b_x": reduce(dxw2, axis=0), "b_h": reduce(dhw2, axis=0)})


def _bptt(dlogits, cache, dW_y_from="hidden", accumulate=True, sum_start=True,
          shift_dtarget=True):
    """A student's decoder backward over a right GRU step backward; one slip per keyword."""
    inputs, steps, hidden, params, cell_type = cache
    H, V = hidden.shape[-1], dlogits.shape[-1]
    states = hidden if dW_y_from == "hidden" else np.stack([s.h_prev for s in steps], axis=-2)
    dparams = {k: np.zeros_like(v) for k, v in params.items()}
    dparams["W_y"] = states.reshape(-1, H).T @ dlogits.reshape(-1, V)
    dparams["b_y"] = dlogits.reshape(-1, V).sum(0)
    dh_out = dlogits @ params["W_y"].T
    dinputs = np.zeros_like(inputs)
    dh = np.zeros_like(hidden[..., 0, :])
    for t in reversed(range(len(steps))):
        dx, dh, dp = _gru_backward(dh_out[..., t, :] + dh, steps[t])
        for k in dp:
            dparams[k] = dparams[k] + dp[k] if accumulate else dp[k]
        dinputs[..., t, :] = dx
    dtarget = np.zeros_like(inputs)
    if shift_dtarget:
        dtarget[..., :-1, :] = dinputs[..., 1:, :]
    else:
        dtarget = dinputs.copy()
    dstart = dinputs[..., 0, :]
    dparams["start"] = dstart.reshape(-1, dstart.shape[-1]).sum(0) if sum_start else dstart
    return dh, dtarget, dparams


def _cache_decoder(context_vector, target_seq, decoder_params, cell_type="rnn", feed="shifted",
                   logits_from="after"):
    """A student's teacher-forced decoder with a cache, over a right GRU step."""
    from tfcourse.caches import DecoderCache
    params = {k: np.asarray(v, dtype=np.float64) for k, v in decoder_params.items()}
    h, target_seq = np.asarray(context_vector, dtype=float), np.asarray(target_seq, dtype=float)
    start = np.broadcast_to(params["start"], target_seq.shape[:-2] + params["start"].shape)
    inputs = {"shifted": lambda: np.concatenate([start[..., None, :], target_seq[..., :-1, :]], -2),
              "unshifted": lambda: target_seq,
              "start_last": lambda: np.concatenate([target_seq[..., 1:, :], start[..., None, :]],
                                                   -2)}[feed]()
    steps, hidden = [], []
    for t in range(target_seq.shape[-2]):
        if logits_from == "before":
            hidden.append(h)
        h, step = solutions.gru_step_forward(inputs[..., t, :], h, params)
        steps.append(step)
        if logits_from == "after":
            hidden.append(h)
    hidden = np.stack(hidden, axis=-2)
    return (hidden @ params["W_y"] + params["b_y"],
            DecoderCache(inputs, steps, hidden, params, cell_type))


def _loss_sign_flipped(logits, target_ids, mask):
    z = logits - logits.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    n = mask.sum()
    picked = np.take_along_axis(log_p, target_ids[..., None], -1)[..., 0]
    onehot = np.zeros_like(log_p)
    np.put_along_axis(onehot, target_ids[..., None], 1.0, -1)
    return float(-(picked * mask).sum() / n), (onehot - np.exp(log_p)) * mask[..., None] / n


def _gru_forward_biases_summed(x, h_prev, params):
    """Both biases on the input side, as the RNN's one bias (so b_hn is outside r * h_n)."""
    from tfcourse.caches import GRUCache
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"] + params["b_h"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"], 3, axis=-1)
    r, z = sig(x_r + h_r), sig(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h_prev, GRUCache(x, h_prev, r, z, n, h_n, params)


def _with(func, **slip):
    return lambda *args: func(*args, **slip)


@pytest.mark.parametrize("name, answer, said", [
    ("gru_step_forward", _gru_forward_biases_summed, "you added b_h on the input side"),
    ("gru_step_backward", _with(_gru_backward, bias_sum=False),
     "you averaged the bias gradients over the batch"),
    ("gru_step_backward", _with(_gru_backward, dr_from="h_prev"),
     "your dr uses h_prev where r multiplies h_n"),
    ("gru_step_backward", _with(_gru_backward, gates_as_tanh=True),
     "you used tanh's derivative 1 - g**2 for the gates r and z"),
    ("decoder_backward_teacher_forcing", _with(_bptt, dW_y_from="h_prev"),
     "your dW_y pairs step t's dlogits with the state the step started from"),
    ("decoder_backward_teacher_forcing", _with(_bptt, accumulate=False),
     "your W_x, W_h, b_x and b_h gradients are step 0's alone"),
    ("decoder_backward_teacher_forcing", _with(_bptt, sum_start=False),
     "your dstart has one row per sequence, shape (B, D)"),
    ("decoder_backward_teacher_forcing", _with(_bptt, shift_dtarget=False),
     "your dtarget_seq[t] is the gradient of step t's input"),
    ("decoder_forward_teacher_forcing_cache", _with(_cache_decoder, feed="unshifted"),
     checks.MISTAKES["fed_current_target"]),
    ("decoder_forward_teacher_forcing_cache", _with(_cache_decoder, feed="start_last"),
     "you shifted the inputs the wrong way: step t was fed target_seq[t+1]"),
    ("decoder_forward_teacher_forcing_cache", _with(_cache_decoder, logits_from="before"),
     checks.MISTAKES["logits_before_step"]),
    ("masked_cross_entropy", _loss_sign_flipped, "your dlogits has the wrong sign"),
])
def test_notebook_05s_mistakes_written_by_a_student_are_named(name, answer, said):
    """Each named by the visible check and the grader alone (no other mistake's sentence, no
    field hint that points at another mistake)."""
    for hidden in (False, True):
        message = _any_message(name, answer, hidden)
        assert f"Known mistake: {said}" in message, (hidden, message)
        assert "one of these" not in message and "hint:" not in message, message


def test_the_students_notebook_05_answers_above_are_right_without_their_slip(capsys):
    from tfcourse import checks_training
    for name, answer in (("gru_step_backward", _gru_backward), ("decoder_backward_teacher_forcing",
                                                                _bptt),
                         ("decoder_forward_teacher_forcing_cache", _cache_decoder)):
        checks_training.check(name, answer)
    assert capsys.readouterr().out.count("\u2714") == 3


def test_the_flipped_z_mix_has_one_sentence_in_notebooks_01_and_05():
    """The same mistake in 01's gru_step and 05's gru_step_forward: the same words."""
    def mix(x, h_prev, params):
        H = h_prev.shape[-1]
        xw, hw = x @ params["W_x"] + params["b_x"], h_prev @ params["W_h"] + params["b_h"]
        r = 1 / (1 + np.exp(-(xw[..., :H] + hw[..., :H])))
        z = 1 / (1 + np.exp(-(xw[..., H:2 * H] + hw[..., H:2 * H])))
        n = np.tanh(xw[..., 2 * H:] + r * hw[..., 2 * H:])
        return z * n + (1 - z) * h_prev, (r, z, n, hw[..., 2 * H:])

    def gru_step_forward(x, h_prev, params):
        from tfcourse.caches import GRUCache
        h_next, gates = mix(x, h_prev, params)
        return h_next, GRUCache(x, h_prev, *gates, params)
    sentence = checks.MISTAKES["update_swapped"]
    assert f"Known mistake: {sentence}" in _message("gru_step", lambda *a: mix(*a)[0])
    for hidden in (False, True):
        message = _any_message("gru_step_forward", gru_step_forward, hidden)
        assert f"Known mistake: {sentence}" in message, message


def test_the_mean_of_means_sentence_says_the_nan_only_as_a_condition():
    # review16b's causal_lm_loss__mean_of_sequence_means was finite on the case that named it,
    # yet was told "a sequence with no counted pair ... made it nan, 0 / 0"
    from autograder import heldout
    from tfcourse import checks_lm
    answer = next(a for a in heldout.held_out() if a.slug == "mean_of_sequence_means")
    with pytest.raises(CheckFailed) as failure:
        checks_lm.check("causal_lm_loss", answer.impl)
    text = str(failure.value)
    assert "got 2.50510558" in text and "made it nan" not in text, text
    assert "(where a sequence has no counted pair, every label after its first being " \
           "ignore_index, that is 0/0 = nan)" in text

"""tfcourse.checks_training: the reference passes every check; a wrong answer is named, with a hint;
the public reference files are what autograder.cases_training writes."""
import re

import numpy as np
import pytest

import solutions
from autograder import cases_training
from tfcourse import checks_training
from tfcourse.caches import DecoderCache, GRUCache
from tfcourse.checks_training import (CheckFailed, _n_params, check, check_cases, check_gradients,
                                      check_hidden, decode, encode, pack)

GRADED = list(cases_training.VISIBLE)


@pytest.mark.parametrize("name", GRADED)
def test_the_reference_passes_its_public_and_hidden_cases(name, capsys):
    check(name, getattr(solutions, name))
    check_hidden(name, getattr(solutions, name), pack(cases_training.hidden_cases(name)))
    assert capsys.readouterr().out.count("\u2714") == 2


def test_the_reference_passes_the_gradient_checks(capsys):
    check_gradients("gru_step_backward", solutions.gru_step_forward, solutions.gru_step_backward)
    check_gradients("decoder_backward_teacher_forcing", solutions.decoder_forward_teacher_forcing_cache,
                    solutions.decoder_backward_teacher_forcing)
    assert capsys.readouterr().out.count("\u2714") == 4


def _without_direct_path(dh_next, cache):
    dx, dh_prev, dparams = solutions.gru_step_backward(dh_next, cache)
    return dx, dh_prev - dh_next * cache.z, dparams


def test_a_forgotten_direct_path_is_named_and_the_field_hint_gives_way_to_the_name():
    with pytest.raises(CheckFailed, match=r"(?s)dh_prev differs .*Known mistake: your dh_prev "
                                          r"misses the direct path") as failed:
        check("gru_step_backward", _without_direct_path)
    assert "hint:" not in str(failed.value)
    with pytest.raises(CheckFailed, match=r"relative error .* for h_prev .* finite differences"):
        check_gradients("gru_step_backward", solutions.gru_step_forward, _without_direct_path)


def _held_out(function, slug):
    """A wrong answer the reviewer wrote as a student (autograder/heldout)."""
    from autograder import heldout
    return next(a.impl for a in heldout.held_out() if (a.function, a.slug) == (function, slug))


@pytest.mark.parametrize("name, forward, slug, sentence", [
    ("gru_step_backward", solutions.gru_step_forward, "no_direct_path",
     "your dh_prev misses the direct path"),
    ("decoder_backward_teacher_forcing", solutions.decoder_forward_teacher_forcing_cache,
     "forward_walk", "you ran the backward loop forward in time"),
])
def test_the_gradient_check_of_a_wrong_backward_also_names_its_mistake(name, forward, slug,
                                                                      sentence):
    """The notebook's visible cell runs check_gradients first: where the public cases fail
    too, its verdict names the mistake as the grader does, beside the finite differences."""
    with pytest.raises(CheckFailed) as failed:
        check_gradients(name, forward, _held_out(name, slug))
    text = str(failed.value)
    assert "your backward disagrees with finite differences of your forward." in text
    assert f"Known mistake: {sentence}" in text, text


def test_a_gradient_of_the_wrong_shape_is_named_by_the_gradient_check_too():
    """dstart left (B, D): the gradient check stops at the shape, and names the mistake."""
    with pytest.raises(CheckFailed) as failed:
        check_gradients("decoder_backward_teacher_forcing",
                        solutions.decoder_forward_teacher_forcing_cache,
                        _held_out("decoder_backward_teacher_forcing", "start_not_summed"))
    text = str(failed.value)
    assert "the gradient for dparams['start'] has shape (2, 3); expected (3,)." in text, text
    assert "Known mistake: your dstart has one row per sequence, shape (B, D)" in text, text


def test_a_bptt_that_forgets_the_carried_gradient_is_caught():
    def no_carry(dlogits, cache):
        # Each step alone: the gradient arriving from step t+1 is dropped.
        dparams = None
        for t in range(len(cache.steps)):
            one = cache._replace(inputs=cache.inputs[..., t:t + 1, :], steps=[cache.steps[t]],
                                 hidden=cache.hidden[..., t:t + 1, :])
            _, _, d = solutions.decoder_backward_teacher_forcing(dlogits[..., t:t + 1, :], one)
            dparams = d if dparams is None else {k: dparams[k] + d[k] for k in d}
        dh0, dts, _ = solutions.decoder_backward_teacher_forcing(dlogits, cache)
        return dh0, dts, dparams
    with pytest.raises(CheckFailed, match=r"dparams\['W_h'\] differs"):
        check("decoder_backward_teacher_forcing", no_carry)


def test_wrong_return_types_get_messages_in_the_students_terms():
    with pytest.raises(CheckFailed, match=r"must return the tuple \(dx, dh_prev, dparams\)"):
        check("gru_step_backward", lambda dh, cache: dh)
    with pytest.raises(CheckFailed, match="dparams is a list"):
        check("gru_step_backward", lambda dh, cache: (dh, dh, [dh]))
    with pytest.raises(CheckFailed, match="the cache is a dict; return the GRUCache"):
        check("gru_step_forward", lambda x, h, p: (h, {}))
    with pytest.raises(CheckFailed, match="not implemented yet"):
        check("gru_step_backward", _raise_not_implemented)


def _raise_not_implemented(*args):
    raise NotImplementedError()


def test_caches_survive_encoding():
    args = cases_training.make_args("decoder_backward_teacher_forcing",
                                    {"D": 2, "H": 3, "V": 4, "T": 3, "B": 2, "seed": 0})
    cache = decode(encode(args[1]))
    assert type(cache).__name__ == "DecoderCache" and len(cache.steps) == 3
    np.testing.assert_array_equal(cache.steps[2].h_n, args[1].steps[2].h_n)


def test_an_unknown_function_name_is_a_value_error():
    with pytest.raises(ValueError, match="name: expected one of gru_step_forward"):
        check_cases("gru_step", print, [])



@pytest.mark.parametrize("name", ["gru_step_backward", "decoder_backward_teacher_forcing"])
def test_each_backward_has_a_timed_hidden_case_too_big_for_finite_differences(name):
    timed = [c for c in cases_training.hidden_cases(name) if c.get("timed")]
    assert len(timed) == 1
    cache = decode(timed[0]["args"][-1])
    assert _n_params(cache) > 8000  # centred differences: two forward passes per parameter


def test_a_right_but_slow_backward_is_told_to_use_the_chain_rule(monkeypatch):
    """Stands in for finite differences (minutes on this case: scripts/timed_cases.py): the
    right gradients, delivered far beyond the budget of forward-sized units."""
    import time

    def slow(dh_next, cache):
        time.sleep(1.0)
        return solutions.gru_step_backward(dh_next, cache)
    cases = [c for c in cases_training.hidden_cases("gru_step_backward") if c.get("timed")]
    with monkeypatch.context() as patched:  # a unit of work 1000 times quicker: budget 10 ms
        unit = checks_training._unit_seconds
        patched.setattr(checks_training, "_unit_seconds", lambda cache: unit(cache) / 1000)
        with pytest.raises(CheckFailed, match="Finite differences need two forward passes per "
                                              "parameter"):
            check_cases("gru_step_backward", slow, cases, "hidden")
    check_cases("gru_step_backward", solutions.gru_step_backward, cases, "hidden")


def _ce_padding_counted(logits, target_ids, mask):
    # written apart from the mutation: a plain mean over every position, padding included
    shifted = logits - logits.max(-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, target_ids[..., None], -1)[..., 0]
    d = np.exp(log_p)
    np.put_along_axis(d, target_ids[..., None], np.exp(picked)[..., None] - 1, -1)
    return float(-picked.mean()), d / target_ids.size


def _ce_no_max(logits, target_ids, mask):
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    picked = np.take_along_axis(p, target_ids[..., None], -1)[..., 0]
    n = mask.sum()
    d = p.copy()
    np.put_along_axis(d, target_ids[..., None], picked[..., None] - 1, -1)
    return float(-np.log(picked)[mask].sum() / n), d * mask[..., None] / n


@pytest.mark.parametrize("name, answer, sentence", [
    ("gru_step_backward", _without_direct_path, "misses the direct path"),
    ("masked_cross_entropy", _ce_padding_counted, "you counted the padded positions"),
    ("masked_cross_entropy", _ce_no_max, "did not subtract each row's largest logit"),
])
def test_notebook_05s_mistakes_are_named_by_the_visible_and_the_hidden_check(name, answer,
                                                                              sentence):
    """Matched on behaviour over every case, the timed hidden ones left out (no outputs stored
    there), and a hidden case's message names the mistake without a reference value."""
    with pytest.raises(CheckFailed, match=f"(?s)Known mistake: .*{sentence}"):
        check(name, answer)
    hidden = cases_training.hidden_cases(name)
    assert all("mistakes" not in c for c in hidden if c.get("timed"))
    with pytest.raises(CheckFailed, match=f"(?s)Known mistake: .*{sentence}") as failed:
        checks_training.check_hidden(name, answer, checks_training.pack(hidden))
    assert "expected" not in str(failed.value) and "yours" not in str(failed.value)


def test_a_forward_mutant_is_stored_with_its_cache_only_where_its_output_is_right():
    """The cache holds every parameter (megabytes over the mutants): what is stored is the
    output, and, where that is the reference's, the cache's arrays that differ from its."""
    for name in ("gru_step_forward", "decoder_forward_teacher_forcing_cache"):
        for case in cases_training.public_reference(name)["cases"]:
            expected = decode(case["expected"])
            cache_only = 0
            for out in (decode(o) for o in case["mistakes"].values() if o is not None):
                right = np.shape(out[0]) == np.shape(expected[0]) and np.allclose(
                    out[0], expected[0], rtol=1e-6, atol=1e-9)
                assert len(out) == 1 + right
                if right:
                    cache_only += 1
                    changed = out[1]
                    assert changed and all(p.startswith("cache.") and "params" not in p
                                           for p in changed)
            assert cache_only >= 10


# ---------------------------------------------------------------- caching the wrong thing
# Wrong answers written as a student would: the right output, a wrong cache.

def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _gru(x, h_prev, params):
    """A student's GRU step: every value it computes, by name."""
    H = h_prev.shape[-1]
    xw = x @ params["W_x"] + params["b_x"]
    hw = h_prev @ params["W_h"] + params["b_h"]
    a_r, a_z = xw[..., :H] + hw[..., :H], xw[..., H:2 * H] + hw[..., H:2 * H]
    r, z, h_n = _sigmoid(a_r), _sigmoid(a_z), hw[..., 2 * H:]
    n = np.tanh(xw[..., 2 * H:] + r * h_n)
    return dict(r=r, z=z, n=n, h_n=h_n, a_r=a_r, h_next=(1 - z) * n + z * h_prev)


def _caches_r_before_its_sigmoid(x, h_prev, params):
    v = _gru(x, h_prev, params)
    return v["h_next"], GRUCache(x, h_prev, v["a_r"], v["z"], v["n"], v["h_n"], params)


def _caches_every_gate_before_its_nonlinearity(x, h_prev, params):
    v = _gru(x, h_prev, params)
    H = h_prev.shape[-1]
    xw, hw = x @ params["W_x"] + params["b_x"], h_prev @ params["W_h"] + params["b_h"]
    a_z, a_n = xw[..., H:2 * H] + hw[..., H:2 * H], xw[..., 2 * H:] + v["r"] * v["h_n"]
    return v["h_next"], GRUCache(x, h_prev, v["a_r"], a_z, a_n, v["h_n"], params)


def _caches_h_n_times_r(x, h_prev, params):
    v = _gru(x, h_prev, params)
    return v["h_next"], GRUCache(x, h_prev, v["r"], v["z"], v["n"], v["r"] * v["h_n"], params)


def _caches_h_next_as_h_prev(x, h_prev, params):
    v = _gru(x, h_prev, params)
    return v["h_next"], GRUCache(x, v["h_next"], v["r"], v["z"], v["n"], v["h_n"], params)


def _caches_z_r_in_that_order(x, h_prev, params):
    v = _gru(x, h_prev, params)
    return v["h_next"], GRUCache(x, h_prev, v["z"], v["r"], v["n"], v["h_n"], params)


def _caches_one_minus_z(x, h_prev, params):  # no operator makes this one
    v = _gru(x, h_prev, params)
    return v["h_next"], GRUCache(x, h_prev, v["r"], 1 - v["z"], v["n"], v["h_n"], params)


def _right_step(x, h_prev, params):
    v = _gru(x, h_prev, params)
    return v["h_next"], GRUCache(x, h_prev, v["r"], v["z"], v["n"], v["h_n"], params)


def _decoder(context_vector, target_seq, params, step=_right_step):
    """A student's teacher-forced decoder: (logits, inputs, steps, hidden)."""
    start = np.broadcast_to(params["start"], target_seq.shape[:-2] + (1, target_seq.shape[-1]))
    inputs = np.concatenate([start, target_seq[..., :-1, :]], axis=-2)
    h, steps, hidden = context_vector, [], []
    for t in range(inputs.shape[-2]):
        h, cache = step(inputs[..., t, :], h, params)
        steps.append(cache)
        hidden.append(h)
    hidden = np.stack(hidden, axis=-2)
    return hidden @ params["W_y"] + params["b_y"], inputs, steps, hidden


def _decoder_with_r_before_its_sigmoid(context_vector, target_seq, decoder_params, cell_type="rnn"):
    logits, inputs, steps, hidden = _decoder(context_vector, target_seq, decoder_params,
                                             _caches_r_before_its_sigmoid)
    return logits, DecoderCache(inputs, steps, hidden, decoder_params, cell_type)


def _decoder_caching_target_seq_as_inputs(context_vector, target_seq, decoder_params,
                                          cell_type="rnn"):
    logits, inputs, steps, hidden = _decoder(context_vector, target_seq, decoder_params)
    return logits, DecoderCache(target_seq, steps, hidden, decoder_params, cell_type)


def _decoder_appending_after_the_loop(context_vector, target_seq, decoder_params, cell_type="rnn"):
    start = np.broadcast_to(decoder_params["start"], target_seq.shape[:-2] + target_seq.shape[-1:])
    h, hidden = context_vector, []
    for t in range(target_seq.shape[-2]):
        x = start if t == 0 else target_seq[..., t - 1, :]
        h, cache = _right_step(x, h, decoder_params)
        hidden.append(h)
    steps = [cache]
    inputs = np.concatenate([start[..., None, :], target_seq[..., :-1, :]], axis=-2)
    hidden = np.stack(hidden, axis=-2)
    return hidden @ decoder_params["W_y"] + decoder_params["b_y"], DecoderCache(
        inputs, steps, hidden, decoder_params, cell_type)


def _decoder_keeping_the_state_before_each_step(context_vector, target_seq, decoder_params,
                                                cell_type="rnn"):
    logits, inputs, steps, hidden = _decoder(context_vector, target_seq, decoder_params)
    before = np.stack([s.h_prev for s in steps], axis=-2)
    return logits, DecoderCache(inputs, steps, before, decoder_params, cell_type)


def _decoder_caching_target_seq_t_as_step_t_input(context_vector, target_seq, decoder_params,
                                                  cell_type="rnn"):
    # the input side hoisted out of the loop, each step's cache given the wrong row
    logits, inputs, steps, hidden = _decoder(context_vector, target_seq, decoder_params)
    steps = [s._replace(x=target_seq[..., t, :]) for t, s in enumerate(steps)]
    return logits, DecoderCache(inputs, steps, hidden, decoder_params, cell_type)


_STEP, _DECODER = "gru_step_forward", "decoder_forward_teacher_forcing_cache"


@pytest.mark.parametrize("name, answer, sentence", [
    (_STEP, _caches_r_before_its_sigmoid, r"your cache's r holds the reset gate's pre-activation"),
    (_STEP, _caches_h_n_times_r, r"your cache's h_n holds r \* h_n"),
    (_STEP, _caches_every_gate_before_its_nonlinearity, r"your cache's r, z and n hold the gates'"),
    (_STEP, _caches_h_next_as_h_prev, r"the h_prev of your GRUCache holds the step's new state"),
    (_STEP, _caches_z_r_in_that_order, r"your cache holds z as r and r as z"),
    (_DECODER, _decoder_with_r_before_its_sigmoid, r"your cache's r holds the reset gate's pre"),
    (_DECODER, _decoder_caching_target_seq_as_inputs, r"your cache's inputs holds target_seq"),
    (_DECODER, _decoder_appending_after_the_loop, r"your cache's steps holds only the last step's"),
    (_DECODER, _decoder_keeping_the_state_before_each_step, r"your cache's hidden holds the states "
                                                             r"the steps started from"),
    (_DECODER, _decoder_caching_target_seq_t_as_step_t_input, r"the x of step t's GRUCache holds "
                                                               r"target_seq\[t\]"),
])
def test_a_forward_that_caches_the_wrong_thing_is_told_which_field_and_why(name, answer,
                                                                          sentence):
    """The output is right: only the cache names the mistake, by the visible and the hidden
    check, and the sentence says what the backward pass needs the field for."""
    with pytest.raises(CheckFailed, match=f"(?s)cache.*Known mistake: {sentence}.*"
                                          f"backward pass") as failed:
        check(name, answer)
    assert "one of these" not in str(failed.value)
    with pytest.raises(CheckFailed, match=f"(?s)Known mistake: {sentence}") as failed:
        check_hidden(name, answer, pack(cases_training.hidden_cases(name)))
    assert "expected" not in str(failed.value) and "yours" not in str(failed.value)


def test_a_cache_mistake_no_operator_makes_is_located_not_misnamed():
    """Before the cache was stored, any wrong cache under a right h_next matched the one
    mutant whose cache alone differed (h_n and r swapped) and was told that."""
    hidden = pack(cases_training.hidden_cases(_STEP))
    for run in (lambda: check(_STEP, _caches_one_minus_z),
                lambda: check_hidden(_STEP, _caches_one_minus_z, hidden)):
        with pytest.raises(CheckFailed, match=r"cache.z differs") as failed:
            run()
        assert "Known mistake" not in str(failed.value)
        assert "one of these" not in str(failed.value)


def _sent_by_the_kernel(value):
    """`value` as the grader's harness sends it out of the sandbox (judge.HARNESS's own pack)."""
    import ast
    import base64
    import io

    from autograder.engine import judge
    harness = ast.parse(judge.HARNESS)
    pack_def = next(n for n in ast.walk(harness)
                    if isinstance(n, ast.FunctionDef) and n.name == "pack")
    namespace = {"np": np, "io": io, "base64": base64}
    exec(compile(ast.Module([pack_def], []), "<harness pack>", "exec"), namespace)
    return {"value": namespace["pack"](value)}


@pytest.mark.parametrize("name, answer, sentence", [
    (_STEP, _caches_h_next_as_h_prev, "the h_prev of your GRUCache holds the step's new state"),
    (_DECODER, _decoder_appending_after_the_loop, "your cache's steps holds only the last step's"),
])
def test_the_grader_names_a_cache_mistake_from_what_the_kernel_sends(name, answer, sentence):
    """Outside the sandbox the judge rebuilds the caches as records with their fields and
    matches them on every hidden case of the cell (the timed ones have no stored outputs)."""
    from autograder.engine import judge
    module = "tfcourse.checks_training"
    cell = [(name, case, module) for case in cases_training.hidden_cases(name)]
    index = {judge._job_key(*c): k for k, c in enumerate(cell)}
    results = [_sent_by_the_kernel(answer(*checks_training.case_args(name, case)[0]))
               for _, case, _ in cell]
    status = judge._judge_cases(cell, results, index, None, None, public=0)
    assert status.startswith(f"failed: {name}, case ") and "cache" in status
    assert f"Known mistake: {sentence}" in status and "one of these" not in status


def test_a_cache_with_a_step_cache_too_few_says_how_many_it_holds_before_any_value():
    def one_short(context_vector, target_seq, decoder_params, cell_type="rnn"):
        logits, cache = solutions.decoder_forward_teacher_forcing_cache(
            context_vector, target_seq, decoder_params, cell_type)
        return logits, cache._replace(steps=cache.steps[:-1])
    with pytest.raises(CheckFailed, match=r"cache.steps holds 3 step caches for 4 steps: it must "
                                          r"hold one per step") as failed:
        check(_DECODER, one_short)
    assert "Known mistake" not in str(failed.value)
    with pytest.raises(CheckFailed, match=r"(?s)cache.steps holds 1 step cache for 4 steps.*"
                                          r"Known mistake: your cache's steps holds only the last"):
        check(_DECODER, _decoder_appending_after_the_loop)


# ---------------------------------------------------------------- two slips, one in each result
# masked_cross_entropy written as a student would, with the loss divided by B*T (mean_over_all
# changes the loss, and dlogits too, since the reference divides both by one count) and a
# second slip in dlogits, or none.

def _ce(logits, target_ids, mask, count, masked_gradient, gradient_count=None):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(log_p, target_ids[..., None], axis=-1)[..., 0]
    loss = float((nll * mask).sum() / count)
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, target_ids[..., None],
                      np.take_along_axis(dlogits, target_ids[..., None], axis=-1) - 1.0, axis=-1)
    if masked_gradient:
        dlogits = dlogits * mask[..., None]
    return loss, dlogits / (count if gradient_count is None else gradient_count)


def _ce_over_all_unmasked(logits, target_ids, mask):
    """Loss / (B*T), dlogits unmasked and divided by the real tokens: the issue's example."""
    return _ce(logits, target_ids, mask, mask.size, False, mask.sum())


def _ce_over_all_everywhere(logits, target_ids, mask):
    """Loss / (B*T), dlogits unmasked and / (B*T) (the held-out reviewer's combo)."""
    return _ce(logits, target_ids, mask, mask.size, False)


def _ce_over_all_loss_only(logits, target_ids, mask):
    """Loss / (B*T), dlogits right."""
    return _ce(logits, target_ids, mask, mask.size, True, mask.sum())


def _ce_over_all_doubled_gradient(logits, target_ids, mask):
    """Loss / (B*T), dlogits twice the right one: no known mistake computes that."""
    return _ce(logits, target_ids, mask, mask.size, True, mask.sum() / 2)


def _messages(name, answer):
    """The visible check's message and the hidden check's."""
    out = []
    for run in (lambda: check(name, answer),
                lambda: check_hidden(name, answer, pack(cases_training.hidden_cases(name)))):
        with pytest.raises(CheckFailed) as failed:
            run()
        out.append(str(failed.value))
    return out


_BY_PARTS = "No one known mistake computes your whole answer"


@pytest.mark.parametrize("answer, loss_said, dlogits_said", [
    (_ce_over_all_unmasked, "you divided by B*T", "your dlogits is not zero at the padded"),
    (_ce_over_all_everywhere, "you divided by B*T", "you counted the padded positions"),
])
def test_two_slips_in_the_loss_and_the_gradient_are_each_named_for_the_part_they_made(
        answer, loss_said, dlogits_said):
    """No mistake computes the pair, but the loss is exactly one's and dlogits another's, on
    every case: both are named, each for its part, as partial ("your loss is ..."), by the
    visible check and by the hidden one (which shows no reference value)."""
    for message in _messages("masked_cross_entropy", answer):
        assert _BY_PARTS in message, message
        assert f"your loss is what this mistake computes: {loss_said}" in message, message
        assert f"your dlogits is what this mistake computes: {dlogits_said}" in message, message
        assert "Known mistake" not in message
    assert "expected" not in message and "yours" not in message


def test_a_mistake_that_changes_a_part_the_answer_has_right_is_not_named_from_another_part():
    """Dividing by B*T changes the reference's dlogits too: an answer whose dlogits is right
    did not make that mistake, though its loss is the mistake's loss."""
    for message in _messages("masked_cross_entropy", _ce_over_all_loss_only):
        assert "loss differs from the reference" in message
        assert "B*T:" not in message and _BY_PARTS not in message, message
        assert "Known mistake" not in message and "one of these" not in message


def test_a_wrong_part_that_no_mistake_computes_leaves_every_part_unnamed():
    """The loss is a known mistake's, dlogits no mistake's: two slips in one part could pass
    for a third mistake, so nothing is named and the message only locates."""
    for message in _messages("masked_cross_entropy", _ce_over_all_doubled_gradient):
        assert re.search(r"(loss|dlogits) differs? from the reference", message), message
        assert _BY_PARTS not in message and "Known mistake" not in message, message


def test_a_gru_steps_hidden_cases_are_labelled_with_the_sizes_it_takes():
    """A step takes no V or T: its hidden cases' labels (in the grader's messages) say D, H, B."""
    def wrong(dh_next, cache):
        dx, dh_prev, dparams = solutions.gru_step_backward(dh_next, cache)
        return 2 * dx, dh_prev, dparams
    for name in ("gru_step_forward", "gru_step_backward"):
        labels = [c["label"] for c in cases_training.HIDDEN[name]]
        assert not any("V=" in label or "T=" in label for label in labels), labels
    assert cases_training.HIDDEN["decoder_backward_teacher_forcing"][0]["label"] == (
        "hidden case 1 (D=1, H=1, V=2, T=1)")
    with pytest.raises(CheckFailed, match=r"hidden case 1 \(D=1, H=1\)\):"):
        check_hidden("gru_step_backward", wrong, pack(cases_training.hidden_cases(
            "gru_step_backward")))


def test_the_loss_hint_speaks_of_nan_and_inf_only_when_the_loss_is_not_finite():
    def doubled(logits, target_ids, mask):   # a finite wrong loss no mistake computes
        loss, dlogits = solutions.masked_cross_entropy(logits, target_ids, mask)
        return 2 * loss, dlogits

    def nan(logits, target_ids, mask):
        return float("nan"), solutions.masked_cross_entropy(logits, target_ids, mask)[1]
    with pytest.raises(CheckFailed, match="hint: the mean is over the real tokens") as failed:
        check("masked_cross_entropy", doubled)
    assert "nan" not in str(failed.value)
    with pytest.raises(CheckFailed, match="(?s)hint: the mean is over .* A nan or inf: subtract "
                                          "each row's largest logit"):
        check("masked_cross_entropy", nan)


def test_the_grader_names_two_slips_part_by_part_from_what_the_kernel_sends():
    """Outside the sandbox the judge matches the values the kernel sent on every hidden case of
    the cell: the same partial names as the checks, within the grader's message."""
    from autograder.engine import judge
    name, module = "masked_cross_entropy", "tfcourse.checks_training"
    cell = [(name, case, module) for case in cases_training.hidden_cases(name)]
    index = {judge._job_key(*c): k for k, c in enumerate(cell)}
    results = [_sent_by_the_kernel(_ce_over_all_unmasked(*checks_training.case_args(name, case)[0]))
               for _, case, _ in cell]
    status = judge._judge_cases(cell, results, index, None, None, public=0)
    assert status.startswith(f"failed: {name}, case ") and _BY_PARTS in status, status
    assert "your loss is what this mistake computes: you divided by B*T" in status
    assert "your dlogits is what this mistake computes: your dlogits is not zero" in status

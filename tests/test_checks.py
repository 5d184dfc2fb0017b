"""tfcourse.checks: silent and passing for a right answer; for a wrong one, a message that
says what is wrong (raised, None, shape, first diverging step) and names each known mistake."""
import warnings

import numpy as np
import pytest

import solutions
from autograder import heldout
from autograder.cases import HIDDEN, VISIBLE, hidden_cases
from autograder.mistakes import MISTAKES
from tfcourse import checks
from tfcourse.checks import CheckFailed, check, check_hidden, pack

ALL = list(VISIBLE)


@pytest.mark.parametrize("name", ALL)
def test_the_reference_passes_its_public_check_and_writes_nothing_to_stderr(name, capfd):
    check(name, getattr(solutions, name))
    out, err = capfd.readouterr()
    assert err == "" and f"\u2714 {name} matches the reference" in out


@pytest.mark.parametrize("name", ALL)
def test_the_reference_passes_its_hidden_cases(name, capfd):
    check_hidden(name, getattr(solutions, name), pack(hidden_cases(name)))
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name, mistake", [(n, m) for n in MISTAKES for m in MISTAKES[n]])
def test_every_known_mistake_fails_and_is_named(name, mistake):
    with pytest.raises(CheckFailed) as info:
        check(name, MISTAKES[name][mistake])
    assert checks.MISTAKES[mistake] in str(info.value)


def test_every_mistake_has_a_hint_and_every_hint_a_mistake():
    used = {m for table in MISTAKES.values() for m in table}
    assert used == set(checks.MISTAKES)


def _stub(*args, **kwargs):
    raise NotImplementedError()


def test_an_unimplemented_stub_is_told_to_replace_the_raise():
    with pytest.raises(CheckFailed, match=r"rnn_step is not implemented yet: replace `raise NotImplementedError\(\)`"):
        check("rnn_step", _stub)


def test_an_exception_in_the_answer_is_reported_with_its_message_and_the_call():
    def broken(x, h_prev, params):
        return x @ params["W_h"]
    with pytest.raises(CheckFailed) as info:
        check("rnn_step", broken)
    text = str(info.value)
    assert "rnn_step raised ValueError" in text and "matmul" in text
    assert "called as rnn_step(array(3,), array(4,), {W_h: array(4, 4), W_x: array(3, 4)" in text


def test_a_missing_return_is_named():
    with pytest.raises(CheckFailed, match=r"returned None: did you forget `return`\?"):
        check("gru_step", lambda x, h_prev, params: None)


def test_a_wrong_shape_says_expected_and_got():
    def short(context_vector, target_seq, decoder_params, cell_type="rnn"):
        return solutions.decoder_forward_teacher_forcing(
            context_vector, target_seq, decoder_params, cell_type)[:, :-1]
    with pytest.raises(CheckFailed, match=r"expected logits of shape \(T, V\) = \(5, 6\), got \(5, 5\)"):
        check("decoder_forward_teacher_forcing", short)


def test_the_first_diverging_step_and_its_size_are_reported():
    def late(context_vector, target_seq, decoder_params, cell_type="rnn"):
        out = solutions.decoder_forward_teacher_forcing(
            context_vector, target_seq, decoder_params, cell_type).copy()
        out[3:] += 0.25
        return out
    with pytest.raises(CheckFailed) as info:
        check("decoder_forward_teacher_forcing", late)
    text = str(info.value)
    assert "step 3 is the first whose logits differ" in text and "= 0.25" in text
    assert "steps 0-2 match; 2 of 5 steps differ" in text and "Known mistake" not in text


def test_an_lstm_step_that_returns_one_array_is_told_to_return_the_pair():
    with pytest.raises(CheckFailed, match=r"must return the pair \(h_next, c_next\)"):
        check("lstm_step", lambda x, h, c, params: h)


def test_a_schedule_returning_an_array_is_told_to_return_a_number():
    with pytest.raises(CheckFailed, match="it must return one number"):
        check("linear_schedule", lambda i, k, c, eps_min: np.array([k, c]))


def test_an_answer_that_modifies_its_input_fails():
    def in_place(context_vector, target_seq, decoder_params, cell_type="rnn"):
        out = solutions.decoder_forward_teacher_forcing(
            context_vector, target_seq, decoder_params, cell_type)
        target_seq *= 2
        return out
    with pytest.raises(CheckFailed, match=r"modified its input target_seq \(argument 2\) in place"):
        check("decoder_forward_teacher_forcing", in_place)


def test_drawing_from_numpy_global_random_state_is_named():
    def global_coins(context_vector, target_seq, decoder_params, sampling_prob, cell_type="rnn",
                     rng=None):
        return solutions.decoder_forward_scheduled_sampling(
            context_vector, target_seq, decoder_params, sampling_prob, cell_type,
            np.random.default_rng(12345))
    with pytest.raises(CheckFailed, match=r"drew 0 numbers from rng; the contract draws exactly T-1 = 5"):
        check("decoder_forward_scheduled_sampling", global_coins)


def _held_out(function, slug):
    """The reviewer's (review16) wrong answer, as a plain function (autograder/heldout)."""
    return next(a.impl for a in heldout.held_out() if (a.function, a.slug) == (function, slug))


_no_overflow_guard = _held_out("inverse_sigmoid_schedule", "no_overflow_guard")
_guard_wrong_value = _held_out("inverse_sigmoid_schedule", "guard_wrong_value")


def test_an_overflow_warning_loses_the_public_and_the_hidden_cases_and_says_how_to_avoid_it(capfd):
    for run in (lambda: check("inverse_sigmoid_schedule", _no_overflow_guard),
                lambda: check_hidden("inverse_sigmoid_schedule", _no_overflow_guard,
                                     pack(hidden_cases("inverse_sigmoid_schedule")))):
        with pytest.raises(CheckFailed, match=r"raised a RuntimeWarning while it ran \(overflow "
                                              r"encountered in exp\)(.|\n)*form that cannot overflow"):
            run()
    assert capfd.readouterr().err == ""  # the warning fails the case, it is never printed


def test_a_version_warning_does_not_fail_a_right_answer(capfd):
    def deprecated(i, k):
        warnings.warn("some numpy API is deprecated", DeprecationWarning)
        return solutions.inverse_sigmoid_schedule(i, k)
    check("inverse_sigmoid_schedule", deprecated)
    assert capfd.readouterr().err == ""


def test_the_wrong_limit_for_huge_i_fails_a_public_case():
    with pytest.raises(CheckFailed, match=r"inverse_sigmoid_schedule\(100000, 50.0\)(.|\n)*"
                                          r"expected eps_i = 0, got 1"):
        check("inverse_sigmoid_schedule", _guard_wrong_value)


def test_loop_and_vectorised_answers_both_pass():
    def by_loop(x, h_prev, params):
        x, h = np.atleast_2d(x), np.atleast_2d(h_prev)
        out = np.array([[np.tanh(sum(x[b, d] * params["W_x"][d, j] for d in range(x.shape[1]))
                                 + sum(h[b, k] * params["W_h"][k, j] for k in range(h.shape[1]))
                                 + params["b"][j]) for j in range(h.shape[1])]
                        for b in range(x.shape[0])])
        return out if np.ndim(h_prev) == 2 else out[0]
    check("rnn_step", by_loop)
    check_hidden("rnn_step", by_loop, pack(hidden_cases("rnn_step")))


def test_pack_round_trips():
    data = {"a": [1.5, 2.0], "b": "x"}
    assert checks.unpack(pack(data)) == data


def test_hidden_cases_cover_every_cell_type_T_1_and_both_ends_of_sampling_prob():
    for name in ("decoder_forward_teacher_forcing", "decoder_forward_free_running",
                 "decoder_forward_scheduled_sampling"):
        specs = [c["spec"] for c in HIDDEN[name]]
        assert {s["cell_type"] for s in specs} == {"rnn", "lstm", "gru"}
        assert any(s["T"] == 1 for s in specs)
    probs = {c["spec"]["sampling_prob"] for c in HIDDEN["decoder_forward_scheduled_sampling"]}
    assert {0.0, 1.0} <= probs and len(probs) >= 4


# --- What the student sees: the verdict first, no course internals ------------------------------

def _rendered(error):
    import re
    return [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error._render_traceback_()]


def test_ipython_shows_the_verdict_first_wrapped_to_what_validate_prints_whole():
    def fed_current_target(context_vector, target_seq, decoder_params, cell_type="rnn"):
        return MISTAKES["decoder_forward_teacher_forcing"]["fed_current_target"](
            context_vector, target_seq, decoder_params, cell_type)
    with pytest.raises(CheckFailed) as error:
        check("decoder_forward_teacher_forcing", fed_current_target)
    lines = _rendered(error.value)
    assert lines[0].startswith("CheckFailed: decoder_forward_teacher_forcing, public case 1 of")
    assert " ".join(" ".join(lines).split()) == " ".join(f"CheckFailed: {error.value}".split())
    assert all(len(line) <= checks.RENDER_WIDTH for line in lines), lines
    assert not any("tfcourse" in line or "File " in line for line in lines)


def test_in_a_kernel_the_failing_cell_starts_with_the_verdict_and_names_the_students_line():
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\n"
                                  "def rnn_step(x, h_prev, params):\n"
                                  "    a = x @ params['W_h']  # wrong matrix\n"
                                  "    return np.tanh(a)"),
        nbformat.v4.new_code_cell("from tfcourse.checks import check\ncheck('rnn_step', rnn_step)"),
    ])
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    error, = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    text = "\n".join(error.traceback)
    assert text.startswith("\x1b[0;31mCheckFailed\x1b[0m: rnn_step raised ValueError: matmul"), text
    assert "at line 3 of the cell that defines rnn_step: a = x @ params['W_h']" in text
    assert "tfcourse" not in text and "Traceback" not in text and "File " not in text


_GRU_CELL = """import numpy as np
from tfcourse.caches import GRUCache

def gru_step_forward(x, h_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r = sig(x_r + h_r)
    z = sig(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    h_next = (1 - z) * n + z * h_prev
    return h_next, GRUCache(x=x, h_prev=h_prev, r=r, z=z, n=n, h_n=h_n, params=params)
"""
# written for one sequence: with a batch (B, T, D) it loops over B and feeds whole sequences
_DECODER_CELL = """from tfcourse.caches import DecoderCache

def decoder_forward_teacher_forcing_cache(context_vector, target_seq, decoder_params,
                                          cell_type='rnn'):
    params = {k: np.asarray(v, dtype=np.float64) for k, v in decoder_params.items()}
    h = np.asarray(context_vector, dtype=np.float64)
    xs, steps, hidden = [], [], []
    for t in range(len(target_seq)):
        x = params["start"] if t == 0 else target_seq[t - 1]
        h, c = gru_step_forward(x, h, params)
        xs.append(x)
        steps.append(c)
        hidden.append(h)
    hidden = np.array(hidden)
    logits = hidden @ params["W_y"] + params["b_y"]
    return logits, DecoderCache(np.array(xs), steps, hidden, params, cell_type)
"""


def _run_cells(*cells):
    """Run `cells` as IPython runs notebook cells (each its own file under ipykernel_<pid>/,
    whose lines a traceback can read); return the namespace."""
    import linecache
    namespace = {}
    for k, source in enumerate(cells):
        filename = f"/tmp/ipykernel_4242/{k}.py"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_an_error_inside_a_right_helper_also_cites_the_graded_functions_call():
    """The decoder feeds whole sequences to the student's (right) GRU step, which raises:
    the message names the helper's line, and the decoder's line that made the call."""
    from tfcourse.checks_training import check as check_05
    cells = _run_cells(_GRU_CELL, _DECODER_CELL)
    with pytest.raises(CheckFailed) as info:
        check_05("decoder_forward_teacher_forcing_cache",
                 cells["decoder_forward_teacher_forcing_cache"])
    text = str(info.value)
    assert "at line 8 of the cell that defines gru_step_forward: r = sig(x_r + h_r)" in text, text
    assert ("called from line 10 of the cell that defines decoder_forward_teacher_forcing_cache:"
            " h, c = gru_step_forward(x, h, params) (check what it passes, not only "
            "gru_step_forward)") in text, text
    # an error in the graded function itself cites one line, its own
    with pytest.raises(CheckFailed) as info:
        check_05("gru_step_forward", _run_cells(_GRU_CELL.replace('["b_x"]', '["b_y"]'))[
            "gru_step_forward"])
    assert "at line 6 of the cell that defines gru_step_forward" in str(info.value)
    assert "called from" not in str(info.value)


def test_a_hidden_cell_in_the_release_fails_on_the_stub_and_runs_nothing_of_an_answer(capfd):
    namespace = {}
    exec("def rnn_step(x, h_prev, params):\n    \"\"\"doc\"\"\"\n    # YOUR CODE HERE\n"
         "    raise NotImplementedError()", namespace)
    with pytest.raises(CheckFailed, match="rnn_step is not implemented yet"):
        checks.graded_here("rnn_step", namespace["rnn_step"], hidden_cases=6)
    calls = []

    def answered(x, h_prev, params):
        calls.append(x)
        raise NotImplementedError("only for cell_type='gru'")  # a raise among other code
    checks.graded_here("rnn_step", answered, hidden_cases=6)
    assert calls == []
    out, err = capfd.readouterr()
    assert out == ("rnn_step: 6 hidden cases run in this cell when your notebook is graded "
                   "(the test cell above ran the public ones).\n") and err == ""
    with pytest.raises(CheckFailed, match="not a function"):
        checks.graded_here("rnn_step", None, hidden_cases=6)


def _hint_snippets():
    """Every slice or split of the gate pre-activations `a` that a hint spells out."""
    import re
    from tfcourse import checks_lm, checks_transformer
    hints = [h for m in (checks, checks_transformer, checks_lm) for h in m.MISTAKES.values()]
    return sorted({s for h in hints for s in re.findall(r"\ba\[[^\]]*\]|np\.split\(a,[^)]*\)", h)})


@pytest.mark.parametrize("snippet", _hint_snippets())
def test_every_hint_snippet_works_on_one_example_and_on_a_batch(snippet):
    import re
    H, B = 3, 2
    code = re.sub(r"(\d)H", r"\1*H", snippet)
    one = np.arange(4.0 * H)
    batch = np.stack([one, one + 100.0])
    got_one = eval(code, {"np": np, "a": one, "H": H})
    got_batch = eval(code, {"np": np, "a": batch, "H": H})
    parts_one = got_one if isinstance(got_one, list) else [got_one]
    parts_batch = got_batch if isinstance(got_batch, list) else [got_batch]
    for p1, pb in zip(parts_one, parts_batch):
        assert p1.shape == (H,) or p1.shape[-1] == pb.shape[-1], snippet
        np.testing.assert_array_equal(pb[0], p1)
        np.testing.assert_array_equal(pb[1], p1 + 100.0)


def test_hints_spell_out_snippets():
    assert len(_hint_snippets()) >= 3


def test_an_input_changed_in_place_is_named_by_its_parameter():
    # review16b's recovery_curve__mutates_target_ids: "modified its input argument 2" made the
    # student count arguments; the message names target_ids
    from autograder import heldout
    answer = next(a for a in heldout.held_out() if a.slug == "mutates_target_ids")
    with pytest.raises(CheckFailed, match=r"recovery_curve modified its input target_ids "
                                          r"\(argument 2\) in place"):
        check("recovery_curve", answer.impl)


def test_a_recovery_curve_with_0_where_no_sequence_reaches_a_position_fails_saying_nan():
    # review16b's recovery_curve__zero_not_nan passed everywhere: no case had such a position
    from autograder import heldout
    answer = next(a for a in heldout.held_out() if a.slug == "zero_not_nan")
    for run in (lambda: check("recovery_curve", answer.impl),
                lambda: check_hidden("recovery_curve", answer.impl,
                                     pack(hidden_cases("recovery_curve")))):
        with pytest.raises(CheckFailed, match="no sequence longer than") as failure:
            run()
        assert "it must hold NaN there" in str(failure.value), str(failure.value)


# ---------------------------------------------------------------- two slips in a decoder's steps
# Scheduled sampling written as a student would, with a slip at step 0 (a zero start input, or
# a zero initial state with the logits read before the update) and a coin the wrong way round.

def _scheduled_sampling(zero_start=False, zero_state=False, logits_first=False):
    def decoder_forward_scheduled_sampling(context_vector, target_seq, decoder_params,
                                           sampling_prob, cell_type="rnn", rng=None):
        p = decoder_params
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        h = np.zeros_like(context_vector) if zero_state else context_vector
        c = np.zeros_like(context_vector)
        logits = np.zeros((len(target_seq), p["W_y"].shape[1]))
        x = np.zeros_like(p["start"]) if zero_start else p["start"]
        for t in range(len(target_seq)):
            if logits_first:
                logits[t] = h @ p["W_y"] + p["b_y"]
            if cell_type == "lstm":
                h, c = solutions.lstm_step(x, h, c, p)
            else:
                h = (solutions.gru_step if cell_type == "gru" else solutions.rnn_step)(x, h, p)
            if not logits_first:
                logits[t] = h @ p["W_y"] + p["b_y"]
            if t + 1 < len(target_seq):
                guess = rng.random() >= sampling_prob  # the wrong way round
                x = p["embedding"][np.argmax(logits[t])] if guess else target_seq[t]
        return logits
    return decoder_forward_scheduled_sampling


def _hidden_message(name, func):
    with pytest.raises(CheckFailed) as failed:
        check_hidden(name, func, pack(hidden_cases(name)))
    return str(failed.value)


def test_a_decoder_whose_first_wrong_steps_are_one_mistakes_is_named_for_them():
    """Over the grader's cases, the answer's logits are the zero-start mistake's from step 0
    until the inverted coin first decides otherwise: that mistake is named, as the start of
    the answer's steps, with more than one mistake made."""
    message = _hidden_message("decoder_forward_scheduled_sampling",
                              _scheduled_sampling(zero_start=True))
    assert "from your first wrong step on they are exactly what this mistake computes" in message
    assert "at least one more" in message and "Known mistake" not in message
    assert "you fed a zero vector at step 0" in message, message


def test_a_mistake_that_one_wrong_step_alone_agrees_with_is_not_named():
    """A zero initial state read before the update scores b_y at step 0, as dropping h @ W_y
    does; the next step leaves that mistake on every case, so it is not named."""
    message = _hidden_message("decoder_forward_scheduled_sampling",
                              _scheduled_sampling(zero_state=True, logits_first=True))
    assert "left out the term h @ W_y" not in message and "Known mistake" not in message, message
    assert "exactly what this mistake computes" not in message


@pytest.mark.parametrize("subject, verb", [
    ("logits", "differ"), ("dlogits", "differ"), ("cache.keys", "differ"), ("token ids", "differ"),
    ("weights", "differ"), ("mask", "differs"), ("h_next", "differs"), ("loss", "differs"),
    ("dparams['W_y']", "differs"), ("dcontext_vector", "differs")])
def test_differ_agrees_with_its_subject(subject, verb):
    assert checks.differ(subject) == verb


_draw_only_when_needed = _held_out("decoder_forward_scheduled_sampling", "draw_only_when_needed")


def test_a_decoder_that_skips_the_draw_at_sampling_prob_0_or_1_loses_public_and_hidden_cases():
    sentence = r"drew 0 numbers from rng; the contract draws exactly T-1 = \d+"
    with pytest.raises(CheckFailed, match=r"sampling_prob=0.0(.|\n)*" + sentence):
        check("decoder_forward_scheduled_sampling", _draw_only_when_needed)
    with pytest.raises(CheckFailed, match=sentence):
        check_hidden("decoder_forward_scheduled_sampling", _draw_only_when_needed,
                     pack(hidden_cases("decoder_forward_scheduled_sampling")))

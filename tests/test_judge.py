"""The trusted judge: its spec comes from the instructor's side only, the notebook it runs is
rebuilt from the release, the sandbox never sees a reference output, and the comparison outside
accepts only plain arrays of numbers. No kernel here: the harness runs in-process on trusted code."""
import base64
import copy
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

import solutions
from autograder import build, heldout
from autograder.engine import judge
from autograder.cases import hidden_cases
from autograder.engine.sandbox import RunResult
from tests.adversarial import grade_id

ASSIGNMENT = "01_recurrent_cells"


@pytest.fixture(scope="module")
def course(built_course):
    return built_course


def paths(course):
    return (course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
            course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def spec(course):
    return judge.load_spec(*paths(course))


def run_harness(nb, namespace):
    """Run the assembled notebook's harness cell in-process; return a RunResult holding what it
    wrote to its result channel."""
    with tempfile.TemporaryDirectory() as tmp:
        channel = Path(tmp) / "result"
        saved = os.environ.get("AUTOGRADER_RESULT")
        os.environ["AUTOGRADER_RESULT"] = str(channel)
        try:
            exec(nb.cells[-1].source, namespace)
        finally:
            os.environ.pop("AUTOGRADER_RESULT")
            if saved is not None:
                os.environ["AUTOGRADER_RESULT"] = saved
        return RunResult(nb=copy.deepcopy(nb), channel=channel.read_bytes())


def test_the_spec_lists_graded_functions_and_test_cells_from_the_release(spec):
    assert spec.functions == ["rnn_step", "lstm_step", "gru_step"]
    assert [t.grade_id for t in spec.tests] == [f"{f}_{k}" for f in spec.functions
                                                for k in ("visible", "hidden")]
    visible, hidden = spec.tests[0], spec.tests[1]
    assert {n for n, _c, _m in visible.cases} == {"rnn_step"}
    # each test is said once: the hidden cell judges the hidden cases, the visible one the public
    assert len(hidden.cases) == len(hidden_cases("rnn_step")) > 2 and hidden.public == 0
    assert sum(t.points for t in spec.tests) == 8


def test_a_test_cell_the_judge_cannot_decide_is_an_instructor_error(course, tmp_path):
    source, release = paths(course)
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if grade_id(cell) == "gru_step_visible":
            cell.source = "assert 1 + 1 == 2"
    nbformat.write(nb, tmp_path / source.name)
    with pytest.raises(judge.InstructorError, match="'gru_step_visible' calls neither check"):
        judge.load_spec(tmp_path / source.name, release)
    with pytest.raises(judge.InstructorError, match="python -m autograder build"):
        judge.load_spec(tmp_path / "nowhere.ipynb", release)


def answered(spec, **sources):
    nb = copy.deepcopy(spec.release)
    for cell in nb.cells:
        if grade_id(cell) in sources:
            cell.source = sources[grade_id(cell)]
    return nb


def test_the_sandbox_never_receives_a_reference_output(spec):
    nb, _ = judge.assemble(answered(spec), spec)
    text = json.dumps(nb)
    assert '\\"expected\\"' not in text and '"expected"' not in text and "mistakes" not in text
    for test in spec.tests:
        for _name, case, _module in test.cases:
            assert json.dumps(case["expected"])[:60] not in text


def test_assemble_restores_test_cells_and_metadata_and_finds_stripped_solutions(spec):
    nb = answered(spec, rnn_step="def rnn_step(x, h_prev, params):\n    return h_prev\n")
    by_id = {grade_id(c): c for c in nb.cells if grade_id(c)}
    by_id["rnn_step_visible"].source = "pass"
    by_id["lstm_step_hidden"].metadata.nbgrader["points"] = 99
    by_id["gru_step"].metadata.pop("nbgrader")
    nb.cells.remove(by_id["lstm_step_visible"])
    fixed = copy.deepcopy(by_id["rnn_step"])  # copied in JupyterLab, fixed further down
    fixed.source = "def rnn_step(x, h_prev, params):\n    return h_prev + 0\n"
    nb.cells.append(fixed)
    assembled, notes = judge.assemble(nb, spec)
    cells = {grade_id(c): c for c in assembled.cells if grade_id(c)}
    release = {grade_id(c): c for c in spec.release.cells if grade_id(c)}
    assert cells["rnn_step_visible"].source == release["rnn_step_visible"].source
    assert cells["lstm_step_hidden"].metadata.nbgrader == release["lstm_step_hidden"].metadata.nbgrader
    assert "return h_prev + 0" in cells["rnn_step"].source  # the last copy is graded
    assert sum("return h_prev" in c.source for c in assembled.cells[:-1]) == 2  # both run
    assert cells["gru_step"].metadata.nbgrader == release["gru_step"].metadata.nbgrader
    order = [g for g in map(grade_id, assembled.cells) if g and g != "rnn_step"]
    assert order == [g for g in map(grade_id, spec.release.cells) if g and g != "rnn_step"]
    assert len(notes) == 4, notes
    assert assembled.cells[-1].metadata["autograder"]["harness"]


def test_the_reference_answers_pass_and_a_wrong_one_fails_with_a_reason(spec):
    nb, _ = judge.assemble(answered(spec), spec)
    namespace = {"rnn_step": solutions.rnn_step}
    wrong = {"lstm_step": "import numpy as np\ndef lstm_step(x, h, c, params):\n"
                          "    return np.zeros_like(h), np.zeros_like(c)\n"}
    for cell in nb.cells:  # the harness runs each graded cell's source: give it the reference
        if grade_id(cell) in spec.functions:
            cell.source = wrong.get(grade_id(cell), f"from solutions import {grade_id(cell)}")
    nb.cells[-1] = judge.harness_cell(spec, nb)
    verdicts = judge.judge(spec, run_harness(nb, namespace))
    scores = {v.grade_id: v.score for v in verdicts}
    assert scores == {"rnn_step_visible": 1, "rnn_step_hidden": 1, "lstm_step_visible": 0,
                      "lstm_step_hidden": 0, "gru_step_visible": 1, "gru_step_hidden": 2}
    failed = next(v for v in verdicts if v.grade_id == "lstm_step_visible")
    assert failed.status.startswith("failed: lstm_step, case 1 of") and "h_next differs" in failed.status


def test_only_a_disagreement_on_the_cases_the_kernel_ran_counts(spec):
    """The in-kernel run sees the visible cases only: a hidden-only failure is no disagreement,
    a visible pass the judge does not confirm is."""
    public = [json.dumps(case["args"][0]) for _n, case, _m in spec.tests[0].cases]
    nb, _ = judge.assemble(answered(spec), spec)
    for cell in nb.cells:
        if grade_id(cell) in spec.functions:
            cell.source = f"from solutions import {grade_id(cell)}"
        if grade_id(cell) in ("rnn_step", ):
            cell.source = (
                "import json, numpy as np, solutions\n"
                f"PUBLIC = {public!r}\n"
                "def rnn_step(x, h_prev, params):\n"
                "    if json.dumps({'array': np.asarray(x).tolist()}) in PUBLIC:\n"
                "        return solutions.rnn_step(x, h_prev, params)\n"
                "    return np.zeros_like(h_prev)\n")
        if grade_id(cell) in [t.grade_id for t in spec.tests]:
            cell.execution_count = 1  # ran in the kernel, silently: nbgrader says passed
    nb.cells[-1] = judge.harness_cell(spec, nb)
    verdicts = {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}
    assert verdicts["rnn_step_visible"].score == 1 and verdicts["rnn_step_visible"].kernel_agrees
    assert verdicts["rnn_step_hidden"].score == 0 and verdicts["rnn_step_hidden"].kernel_agrees
    nb.cells[[grade_id(c) for c in nb.cells].index("gru_step")].source = (
        "def gru_step(x, h_prev, params):\n    return h_prev\n")
    nb.cells[-1] = judge.harness_cell(spec, nb)
    verdicts = {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}
    assert not verdicts["gru_step_visible"].kernel_agrees
    # the release's hidden cell runs no case (graded_here only fails on the stub): its pass in
    # the kernel says nothing about the answer; its failure on an answer the judge passes does
    assert verdicts["gru_step_hidden"].kernel_agrees
    cell = nb.cells[[grade_id(c) for c in nb.cells].index("lstm_step_hidden")]
    cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="", traceback=[])]
    verdicts = {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}
    assert verdicts["lstm_step_hidden"].score == 2 and not verdicts["lstm_step_hidden"].kernel_agrees


RELU_RNN_STEP = ("import numpy as np\ndef rnn_step(x, h_prev, params):\n    return np.maximum("
                 "x @ params['W_x'] + h_prev @ params['W_h'] + params['b'], 0.0)\n")


def test_a_wrong_answer_is_named_from_all_its_cases_matching_once_per_failing_cell(spec,
                                                                                   monkeypatch):
    """A failing cell's status is its first failing case's report, with the mistakes that
    reproduce the answer on all of the cell's cases (as compare() and matching_mutants() say on
    their own); mutants are matched once per failing cell, never for a passing one, nor again
    to decide whether the kernel's visible run agrees."""
    from tfcourse import checks
    nb, _ = judge.assemble(answered(spec), spec)
    for cell in nb.cells:
        if grade_id(cell) in spec.functions:
            cell.source = (RELU_RNN_STEP if grade_id(cell) == "rnn_step"
                           else f"from solutions import {grade_id(cell)}")
    nb.cells[-1] = judge.harness_cell(spec, nb)
    run = run_harness(nb, {})
    calls = []
    matching = checks.matching_mutants
    monkeypatch.setattr(checks, "matching_mutants",
                        lambda name, *a: calls.append(name) or matching(name, *a))
    verdicts = {v.grade_id: v for v in judge.judge(spec, run)}
    assert calls == ["rnn_step", "rnn_step"]  # its visible cell and its hidden one
    results = judge._all_results(spec, judge.judged(run, spec)[0], run)
    index = {key: i for i, (key, *_rest) in enumerate(judge.jobs(spec))}
    for test in spec.tests[:2]:
        values = [judge._unpack_value(results[index[judge._job_key(*c)]]["value"])
                  for c in test.cases]
        cases = [case for _n, case, _m in test.cases]
        first = next(k for k, (case, value) in enumerate(zip(cases, values))
                     if checks.compare("rnn_step", case, value, matched=[]))
        hidden = first >= test.public
        report = checks.compare("rnn_step", cases[first], values[first], hidden=hidden,
                                matched=matching("rnn_step", cases, values))
        label = cases[first].get("label", f"case {first + 1}")
        assert verdicts[test.grade_id].status == (
            f"failed: rnn_step, case {first + 1} of {len(cases)} ({label}): {report}")
        assert "ReLU" in report or "relu" in report, report  # the mistake is named
    assert all(v.score == v.max_score for g, v in verdicts.items() if not g.startswith("rnn"))


def test_a_cases_job_key_is_its_inputs_encoded_however_often_it_is_asked(spec):
    """The judge remembers each case's key (encoding 05's large cases took seconds per
    notebook); the key is still the inputs' encoding, for each function and module asking."""
    name, case, module = spec.tests[1].cases[0]
    plain = json.dumps([module, name, judge._inputs(case)], sort_keys=True)
    assert judge._job_key(name, case, module) == judge._job_key(name, case, module) == plain
    assert judge._job_key("gru_step", case, module) == json.dumps(
        [module, "gru_step", judge._inputs(case)], sort_keys=True)
    other = copy.deepcopy(case)
    other["spec"]["seed"] = other["spec"].get("seed", 0) + 1
    assert judge._job_key(name, other, module) != plain
    assert judge._job_key(name, copy.deepcopy(case), module) == plain


def test_a_cell_without_cases_is_judged_by_the_functions_it_names(course, tmp_path):
    source, release = paths(course)
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if grade_id(cell) == "gru_step_visible":
            cell.source = "assert gru_step(x, h, params) is not None"
    nbformat.write(nb, tmp_path / source.name)
    spec = judge.load_spec(tmp_path / source.name, release)
    derived = next(t for t in spec.tests if t.grade_id == "gru_step_visible")
    assert derived.derived and derived.functions == ["gru_step"] and not derived.cases
    nb, _ = judge.assemble(answered(spec), spec)
    for cell in nb.cells:
        if grade_id(cell) in spec.functions:
            cell.source = f"from solutions import {grade_id(cell)}"
    nb.cells[-1] = judge.harness_cell(spec, nb)
    verdicts = {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}
    assert verdicts["gru_step_visible"].score == 1
    nb.cells[[grade_id(c) for c in nb.cells].index("gru_step")].source = (
        "def gru_step(x, h_prev, params):\n    return h_prev\n")
    nb.cells[-1] = judge.harness_cell(spec, nb)
    verdicts = {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}
    assert verdicts["gru_step_visible"].score == 0
    assert verdicts["gru_step_visible"].status.startswith("failed: this cell relates gru_step")


def _payload(entries):
    return judge.MARKER + base64.b64encode(json.dumps(entries).encode()).decode()


def _result(spec, *lines):
    nb = nbformat.v4.new_notebook(cells=[judge.harness_cell(spec, spec.release)])
    return RunResult(nb=nb, channel=("\n".join(lines) + "\n").encode())


def test_a_second_result_line_voids_the_result(spec):
    n = len(judge.jobs(spec))
    entry = {"error": "x"}
    assert judge.judged(_result(spec, _payload([entry] * n)), spec)[0] is not None
    assert judge.judged(_result(spec, _payload([entry] * n), _payload([entry] * n)), spec)[0] is None
    assert judge.judged(_result(spec, _payload([entry] * (n - 1))), spec)[0] is None
    verdicts = judge.judge(spec, _result(spec, "nothing"))
    assert all(v.score == 0 and "no single, well-formed result" in v.status for v in verdicts)


def test_an_unreadable_result_voids_the_run_instead_of_failing_the_grader(spec):
    deep = judge.MARKER + base64.b64encode(b"[" * 200000).decode()
    for lines in ([deep], [judge.MARKER + "!!!"], [judge.MARKER + "bm90IGpzb24="]):
        assert judge.judged(_result(spec, *lines), spec)[0] is None
    assert judge.judged(RunResult(nb=nbformat.v4.new_notebook()), spec) == (None, None)


def test_what_the_graded_functions_print_never_reaches_the_result_or_the_output(spec, capsys):
    nb, _ = judge.assemble(answered(spec), spec)
    for cell in nb.cells:
        if grade_id(cell) in spec.functions:
            cell.source = f"from solutions import {grade_id(cell)}"
        if grade_id(cell) == "rnn_step":  # an honest debugging print, and a forged result line
            cell.source = ("import solutions\n"
                           "def rnn_step(x, h_prev, params):\n"
                           "    print(judge.MARKER + 'forged' * 10000)\n"
                           "    return solutions.rnn_step(x, h_prev, params)\n")
    nb.cells[-1] = judge.harness_cell(spec, nb)
    verdicts = judge.judge(spec, run_harness(nb, {"judge": judge}))
    assert all(v.status == "passed" for v in verdicts), verdicts
    assert "forged" not in capsys.readouterr().out


def test_results_are_read_as_plain_numbers_never_unpickled(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        judge._unpack_value({"npy": base64.b64encode(buf.getvalue()).decode()})
    buf = io.BytesIO()
    np.save(buf, np.array(["text"]))
    with pytest.raises(ValueError, match="not an array of numbers"):
        judge._unpack_value({"npy": base64.b64encode(buf.getvalue()).decode()})
    buf = io.BytesIO()
    np.save(buf, np.arange(3, dtype=np.int32))
    value = judge._unpack_value({"npy": base64.b64encode(buf.getvalue()).decode()})
    assert value.dtype.kind == "i" and value.tolist() == [0, 1, 2]  # ids and masks stay exact
    with pytest.raises(ValueError):
        judge._unpack_value({"pickle": "gASVAAAA"})


# ----------------------------------------------------------------------------- timed cases

BACKPROP = "05_training_with_teacher_forcing"
# Each attack below acts on the timed case only (the one with H = 128, judge.TIMED), so the
# other cases show that the rest of the function is right; `_right` is the reference.
SLOW = "    time.sleep(judge_limit + 0.5)  # what finite differences would take, and more\n"
ATTACKS = {
    # a clock that stands still, wherever the student's kernel might read one
    "frozen clocks": "time.perf_counter = time.monotonic = time.time = lambda: 0.0\n"
                     "time.perf_counter_ns = time.monotonic_ns = time.time_ns = lambda: 0\n",
    # answer at once (nothing written: the harness's base64 fails), let a thread write the
    # right result to the channel once "finite differences" are done
    "thread": "import threading\n"
              "def _later(attack):\n"
              "    threading.Thread(target=attack).start()\n",
    # the same from a forked process
    "fork": "import os\n"
            "def _later(attack):\n"
            "    if os.fork() == 0:\n"
            "        attack()\n"
            "        os._exit(0)\n",
}
TIMED_CELL = """import base64, signal, time
{right}
judge_limit = {limit}
{attack}
_done = []
def gru_step_backward(dh_next, cache):
    if dh_next.shape[-1] != 128 or _done:  # not the timed case, or the attack's second call
        return _right(dh_next, cache)
    _done.append(1)
    if "_later" in globals():
        def attack():
            time.sleep(judge_limit + 0.5)
            base64.b64encode = _encode
            get_ipython().user_ns["_autograder_timed"](0, "tfcourse.checks_training",
                                                       "gru_step_backward")
        _later(attack)
        def refused(*args, **kwargs):
            raise OSError("not now")
        base64.b64encode = refused  # the grader's cell cannot write its result this time
        return None
{slow}    return _right(dh_next, cache)
_encode = base64.b64encode
"""


@pytest.fixture(scope="module")
def backprop(tmp_path_factory):
    """(spec, source notebook, release folder) of notebook 05."""
    path = tmp_path_factory.mktemp("backprop")
    build.write_sources(path)
    build.generate_release(path, [BACKPROP])
    source = path / "source" / BACKPROP / f"{BACKPROP}.ipynb"
    spec = judge.load_spec(source, path / "release" / BACKPROP / f"{BACKPROP}.ipynb")
    return spec, nbformat.read(source, as_version=4), path / "release" / BACKPROP


def _sandboxed(backprop, tmp_path, gru_step_backward=None, after=None):
    """(verdicts by grade_id, RunResult) of notebook 05's reference answers graded in the
    sandbox as in the clean rerun (graded cells, then the grader's), gru_step_backward's cell
    replaced by `gru_step_backward(reference source)`; `after`: a plain cell run last."""
    from autograder.engine.sandbox import Limits, run_notebook
    spec, source, release = backprop
    student = copy.deepcopy(source)
    for cell in student.cells:
        if grade_id(cell) == "gru_step_backward" and gru_step_backward:
            right = cell.source.replace("def gru_step_backward(", "def _right(")
            cell.source = gru_step_backward(right)
    nb = judge.judge_only(judge.assemble(student, spec)[0], spec)
    if after:
        nb.cells.append(nbformat.v4.new_code_cell(after))
    folder = tmp_path / "submission"
    shutil.copytree(release, folder, ignore=shutil.ignore_patterns("*.ipynb"))
    result = run_notebook(nb, folder, Limits(timeout=120))
    return {v.grade_id: v for v in judge.judge(spec, result)}, result


def test_the_reference_backward_passes_fit_the_timed_cases_with_room_to_spare(backprop, tmp_path):
    verdicts, result = _sandboxed(backprop, tmp_path)
    assert all(v.status == "passed" for v in verdicts.values()), verdicts
    assert len(result.timed) == 2
    assert all(seconds < judge.TIMED_SECONDS / 4 for seconds, _ in result.timed.values()), \
        result.timed  # measured: 1/20 of it at a load of 12 on 2 cores (scripts/timed_cases.py)


def _attacked(backprop, tmp_path, attack, slow=SLOW, after=None):
    return _sandboxed(backprop, tmp_path, lambda right: TIMED_CELL.format(
        right=right, limit=judge.TIMED_SECONDS, attack=ATTACKS.get(attack, attack), slow=slow),
        after)


def test_a_backward_pass_too_slow_for_analytic_fails_its_timed_hidden_case(backprop, tmp_path):
    """Finite differences reproduce any gradient: the grader times the timed hidden case."""
    verdicts, _ = _attacked(backprop, tmp_path, "")
    assert verdicts["gru_step_backward_visible"].score > 0  # right, and untimed
    hidden = verdicts["gru_step_backward_hidden"]
    assert hidden.score == 0 and "timed by the grader" in hidden.status, hidden.status
    assert "Finite differences need two forward passes" in hidden.status
    assert verdicts["decoder_backward_teacher_forcing_hidden"].score > 0


def test_a_student_who_freezes_the_clock_still_fails_the_timed_case(backprop, tmp_path):
    """The slow backward of the test above, from a cell that also stops every clock of its
    kernel: the grader's clock is in another process, outside the sandbox."""
    verdicts, _ = _attacked(backprop, tmp_path, "frozen clocks")
    hidden = verdicts["gru_step_backward_hidden"]
    assert hidden.score == 0 and "timed by the grader" in hidden.status, hidden.status
    assert verdicts["decoder_backward_teacher_forcing_hidden"].score > 0


@pytest.mark.parametrize("how", ["thread", "fork"])
def test_a_result_written_after_the_timed_cell_answered_is_not_read(backprop, tmp_path, how):
    """The function answers at once, stops the grader's own write, and leaves a thread (or a
    child process) to write the right result once "finite differences" are done: the grader
    reads the channel when the cell answers, so it finds no result there."""
    wait = f"import time\ntime.sleep({judge.TIMED_SECONDS + 2})\n"  # let the attack finish
    verdicts, result = _attacked(backprop, tmp_path, how, slow="", after=wait)
    hidden = verdicts["gru_step_backward_hidden"]
    assert hidden.score == 0 and "no single, well-formed result" in hidden.status, hidden.status
    # the attack did write the right result, later: read at the end, it would have passed
    late = judge.timed_result({0: (0.0, result.channel)}, 0, "gru_step_backward")
    assert "value" in late, late


def test_a_timed_case_that_ignores_every_signal_is_stopped_by_the_grader(backprop, tmp_path):
    """No alarm, no interrupt: the grader's own limit still ends the notebook's grading."""
    patch = ("signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
             "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             "signal.setitimer = lambda *args: (0.0, 0.0)\n")
    verdicts, result = _attacked(backprop, tmp_path, patch, slow="    time.sleep(600)\n")
    hidden = verdicts["gru_step_backward_hidden"]
    assert hidden.score == 0 and "timed by the grader" in hidden.status, hidden.status
    assert result.timed[0][0] < judge.TIMED_STOP + 15  # interrupted, not waited for
    assert result.seconds < 100


@pytest.mark.parametrize("assignment", build.assignments())
def test_the_judge_loads_every_test_cells_cases_through_its_checks_module(course, assignment):
    """Each checks module a test cell names gives the judge load_reference and unpack."""
    spec = judge.load_spec(course / "source" / assignment / f"{assignment}.ipynb",
                           course / "release" / assignment / f"{assignment}.ipynb")
    assert any(test.cases for test in spec.tests), assignment


LM = "07_teacher_forcing_in_language_models"

# The reviewer's wrong answers (review16b), as plain functions: right tokens or a right loss on
# moderate numbers, each failed by the notebook's own check.
PICK = '''import numpy as np
from solutions.tiny_gpt import gpt_forward_cached

def _pick(last, temperature, r):
    if temperature == 0:
        return np.argmax(last, axis=-1)
    z = last / temperature
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    c = np.cumsum(p / p.sum(axis=-1, keepdims=True), axis=-1)
    return np.minimum((c <= np.asarray(r)[..., None]).sum(-1), p.shape[-1] - 1)
'''
NO_CACHE = PICK + '''
def generate(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    rng = np.random.default_rng(rng)
    seq = np.asarray(prompt_ids)
    out = []
    for _ in range(max_new_tokens):
        logits, _ = gpt_forward_cached(seq, params)       # the whole prefix again, no cache
        nxt = _pick(logits[..., -1, :], temperature,
                    rng.random(seq.shape[:-1]) if temperature else None)
        out.append(nxt)
        seq = np.concatenate([seq, np.asarray(nxt)[..., None]], axis=-1)
    return np.stack(out, axis=-1).astype(np.int64)
'''
GREEDY_DRAWS = PICK + '''
def generate(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
    rng = np.random.default_rng(rng)
    prompt_ids = np.asarray(prompt_ids)
    logits, cache = gpt_forward_cached(prompt_ids, params)
    out = []
    for _ in range(max_new_tokens):
        r = rng.random(prompt_ids.shape[:-1])             # drawn at temperature 0 too
        nxt = _pick(logits[..., -1, :], temperature, r)
        out.append(nxt)
        logits, cache = gpt_forward_cached(np.asarray(nxt)[..., None], params, cache)
    return np.stack(out, axis=-1).astype(np.int64)
'''
NO_MAX = '''import numpy as np

def causal_lm_loss(logits, labels, ignore_index=-100):
    z = np.asarray(logits, dtype=float)[..., :-1, :]
    y = np.asarray(labels)[..., 1:]
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))   # exp(1e4) overflows
    mask = y != ignore_index
    nll = -np.take_along_axis(logp, np.where(mask, y, 0)[..., None], axis=-1)[..., 0]
    return float(nll[mask].sum() / mask.sum())
'''


def _lm_verdicts(course, kernel_passed=(), **sources):
    spec = judge.load_spec(course / "source" / LM / f"{LM}.ipynb",
                           course / "release" / LM / f"{LM}.ipynb")
    nb, _ = judge.assemble(answered(spec), spec)
    for cell in nb.cells:
        if grade_id(cell) in spec.functions:
            cell.source = sources.get(grade_id(cell), f"from solutions import {grade_id(cell)}")
        if grade_id(cell) in kernel_passed:
            cell.execution_count = 1  # ran in the kernel, silently: nbgrader says passed
    nb.cells[-1] = judge.harness_cell(spec, nb)
    return {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}


def graded(course, assignment, wrong):
    """The judge's verdicts (by grade_id) on a notebook of `assignment` whose graded functions
    are the reference's, except those in `wrong` (function name -> its cell's source)."""
    folder = lambda kind: course / kind / assignment / f"{assignment}.ipynb"  # noqa: E731
    spec = judge.load_spec(folder("source"), folder("release"))
    nb, _ = judge.assemble(answered(spec), spec)
    for cell in nb.cells:
        if grade_id(cell) in spec.functions:
            cell.source = wrong.get(grade_id(cell), f"from solutions import {grade_id(cell)}")
    nb.cells[-1] = judge.harness_cell(spec, nb)
    return {v.grade_id: v for v in judge.judge(spec, run_harness(nb, {}))}


def test_the_grader_fails_a_generate_without_the_kv_cache_as_the_notebooks_profiler_does(course):
    verdicts = _lm_verdicts(course, generate=NO_CACHE)
    for gid in ("generate_visible", "generate_hidden"):
        assert verdicts[gid].score == 0, verdicts[gid]
    status = verdicts["generate_visible"].status
    assert status.startswith("failed: generate, case 1 of"), status
    # the visible cell fails first on the notebook's own property check (the profiler's words)
    assert "(the property checks the notebook runs): with a prompt of 3 tokens" in status
    assert "call gpt_forward_cached(new[..., n:n + 1], params, cache)" in status
    assert verdicts["causal_lm_loss_visible"].score == verdicts["causal_lm_loss_visible"].max_score


def test_the_grader_fails_a_greedy_generate_that_draws_from_rng(course):
    verdicts = _lm_verdicts(course, generate=GREEDY_DRAWS)
    for gid in ("generate_visible", "generate_hidden"):
        assert verdicts[gid].score == 0, verdicts[gid]
        assert ("Your tokens are right, but your function drew 6 numbers from rng; the "
                "reference draws 0: greedy decoding (temperature 0) draws nothing"
                if gid == "generate_visible" else "greedy decoding (temperature 0) draws nothing"
                ) in verdicts[gid].status, verdicts[gid].status


def test_the_grader_fails_a_log_softmax_whose_exp_overflows_naming_the_overflow(course):
    verdicts = _lm_verdicts(course, causal_lm_loss=NO_MAX)
    for gid in ("causal_lm_loss_visible", "causal_lm_loss_hidden"):
        status = verdicts[gid].status
        assert verdicts[gid].score == 0, status
        # the visible cell fails first on the notebook's own property check, in its words
        assert (("shift=" in status and "np.exp of a raw logit overflowed to inf. Subtract each "
                 "row's maximum" in status) if gid.endswith("hidden") else
                ("property checks" in status and "np.exp of a large logit overflowed" in status))
        assert "underflow" not in status
    assert verdicts["generate_visible"].score == verdicts["generate_visible"].max_score


def test_a_relations_cell_lost_with_its_function_says_the_notebooks_relations_may_have_passed(
        course):
    # review16b's causal_lm_loss__hardcoded_ignore_index: the notebook's relation checks (data
    # padded with -100) pass, the grader's loss_relations cell gave 0 without saying why
    from autograder import heldout
    answer = next(a for a in heldout.held_out() if a.slug == "hardcoded_ignore_index")
    import inspect
    verdicts = _lm_verdicts(course, kernel_passed=("loss_relations",),
                            causal_lm_loss="import numpy as np\n" + inspect.getsource(answer.impl))
    status = verdicts["loss_relations"].status
    assert verdicts["loss_relations"].kernel_agrees   # no "disagrees:" flag for what it explains
    assert verdicts["loss_relations"].score == 0 and verdicts["causal_lm_loss_visible"].score == 0
    assert status.startswith(
        "failed: this cell relates causal_lm_loss, and the grader gives its points only when "
        "causal_lm_loss also passes all of its own cases: the relations the notebook checks can "
        "hold for a wrong answer (they may have passed in your notebook). The grader's own cases "
        "found: causal_lm_loss, case 5 of"), status   # case 1: the property checks


def held_out(assignment, answer):
    """The source of the reviewer's (review16) wrong answer `answer` (function__slug), with
    the building blocks a notebook's earlier cells give it."""
    text = (Path(heldout.__file__).parent / assignment / f"{answer}.py").read_text()
    return "from solutions import *\n" + text.replace("from given import", "from solutions import")


NO_OVERFLOW_GUARD = held_out("04_scheduled_sampling", "inverse_sigmoid_schedule__no_overflow_guard")


def test_an_answer_that_warns_loses_the_visible_and_the_hidden_cell_and_is_told_why(course):
    verdicts = graded(course, "04_scheduled_sampling",
                      {"inverse_sigmoid_schedule": NO_OVERFLOW_GUARD})
    for cell in ("inverse_sigmoid_schedule_visible", "inverse_sigmoid_schedule_hidden"):
        assert verdicts[cell].score == 0, verdicts[cell]
        assert ("raised a RuntimeWarning while it ran (overflow encountered in exp)"
                in verdicts[cell].status and "cannot overflow" in verdicts[cell].status)
    assert verdicts["linear_schedule_hidden"].score == verdicts["linear_schedule_hidden"].max_score


def test_a_hidden_case_repeats_no_warning_text_but_numpys_own():
    leak = ("f raised a UserWarning while it ran (secret input 42). A warning in a test cell "
            "costs the cell's points under nbgrader: x")
    assert "42" not in judge._withheld(leak) and "UserWarning" in judge._withheld(leak)


DRAW_ONLY_WHEN_NEEDED = held_out("04_scheduled_sampling",
                                 "decoder_forward_scheduled_sampling__draw_only_when_needed")
COIN_AT_STEP_0 = DRAW_ONLY_WHEN_NEEDED.replace(
    "    for t in range(T):\n", "    rng.random()\n    for t in range(T):\n"
).replace("if 0 < sampling_prob < 1 else", "if True else")


def test_the_grader_counts_the_draws_on_every_case_and_says_so_on_a_visible_row(course):
    verdicts = graded(course, "04_scheduled_sampling",
                      {"decoder_forward_scheduled_sampling": DRAW_ONLY_WHEN_NEEDED})
    for cell in ("decoder_forward_scheduled_sampling_visible",
                 "decoder_forward_scheduled_sampling_hidden"):
        assert verdicts[cell].score == 0, verdicts[cell]
        assert "drew 0 numbers from rng; the contract draws exactly T-1" in verdicts[cell].status
    # a wrong result keeps the notebook's line on the draws on the grader's visible row
    wrong = graded(course, "04_scheduled_sampling",
                   {"decoder_forward_scheduled_sampling": COIN_AT_STEP_0})
    status = wrong["decoder_forward_scheduled_sampling_visible"].status
    assert "first whose logits differ" in status and "Your function drew 6 numbers" in status


REPLACE_BEFORE_SHIFT = held_out("06_teacher_forcing_in_transformers",
                                "shift_right__replace_before_shift")
NO_MAX_SUBTRACTION = held_out("06_teacher_forcing_in_transformers",
                              "causal_self_attention__no_max_subtraction")


def test_the_grader_fails_06s_replace_before_shift_and_unstable_softmax_on_both_cells(course):
    verdicts = graded(course, "06_teacher_forcing_in_transformers",
                      {"shift_right": REPLACE_BEFORE_SHIFT,
                       "causal_self_attention": NO_MAX_SUBTRACTION})
    for cell in ("shift_right_visible", "shift_right_hidden", "causal_self_attention_visible",
                 "causal_self_attention_hidden"):
        assert verdicts[cell].score == 0, verdicts[cell]
    for cell in ("causal_self_attention_visible", "causal_self_attention_hidden"):
        status = verdicts[cell].status
        assert "Subtract each row's maximum before np.exp" in status and "np.int64" not in status
    assert "expected [0, 4, 0], got [2, 4, 0]" in verdicts["shift_right_visible"].status
    # the visible cell's verdict is the notebook's own: the grader runs its property checks too
    status = verdicts["causal_self_attention_visible"].status
    assert status.startswith("failed: causal_self_attention, case 1 of 6 (the property checks "
                             "the notebook runs): your softmax overflowed on large scores"), status


def test_the_grader_says_how_many_numbers_a_wrong_generate_drew_as_the_notebook_does(course):
    # review16b's generate__uses_global_np_random: wrong tokens; the notebook adds "drew 0
    # numbers from rng", which the grader's row left out
    from autograder import heldout
    source = (heldout.HERE / LM / "generate__uses_global_np_random.py").read_text().replace(
        "from tiny_gpt import", "from solutions.tiny_gpt import")
    verdicts = _lm_verdicts(course, generate=source)
    # the visible row says what the notebook's check says first: its property check's verdict
    status = verdicts["generate_visible"].status
    assert "(the property checks the notebook runs)" in status and "never from np.random" in status
    # np.random's global state is the answer's: on some case its tokens may come out right, and
    # the row then says so ("Your tokens are right, but your function drew 0 numbers ...")
    status = verdicts["generate_hidden"].status
    assert "our function drew 0 numbers from rng; the reference draws" in status, status

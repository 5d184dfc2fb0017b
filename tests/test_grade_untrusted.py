"""The grader against students who attack its own handling of their data (issue 12): floods of
every kind of kernel message and escape codes cost them output, never the grader's memory or
time; scripts in their outputs never reach the score table; a student who reads the feedback
and resubmits learns no hidden value. Each attack of tests/adversarial/untrusted_output.py gets
exactly its score and flags, in one run that finishes."""
import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.engine import cgroup, grade
from autograder.engine.capped import WORKER_MEMORY
from autograder.engine.sandbox import Limits
from tests.adversarial import ASSIGNMENT, FUNCTIONS, Context, answered, grade_id
from tests.adversarial.untrusted_output import ATTACKS, ENDLESS_PARTS

REPO = Path(__file__).resolve().parents[1]
SCHEDULING = "04_scheduled_sampling"
SCHEDULES = ("linear_schedule", "exponential_schedule", "inverse_sigmoid_schedule")
LIMITS = Limits(timeout=60)


@pytest.fixture(scope="module")
def course(course_copy):
    return course_copy


@pytest.fixture(scope="module")
def context(course, tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    reference = {grade_id(c): c.source for c in source.cells if grade_id(c) in FUNCTIONS}
    ctx = Context(release, reference, REPO, course, root / "submitted", root / "out", root / "probe")
    for attack in ATTACKS:
        attack.write(ctx, ctx.submitted / attack.student / ASSIGNMENT)
    return ctx


@pytest.fixture(scope="module")
def graded(context):
    results = grade.grade_class(context.submitted, context.out, context.course, jobs=2,
                                limits=LIMITS, quiet=True)
    return {r["unit"]["student"]: r for r in results}


def _files(ctx, student):
    """(feedback page, stored executed notebook, formgrader's copy) of one student."""
    feedback = ctx.out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    stored = ctx.out / ".results" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    autograded = ctx.course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return feedback.read_text(), stored.read_text(), autograded.read_text()


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.student for a in ATTACKS])
def test_each_attack_gets_exactly_its_score_and_flags(attack, graded, context):
    result = graded[attack.student]
    scores = {v["grade_id"]: v["score"] for v in result["verdicts"]}
    want = {v["grade_id"]: 0.0 if v["grade_id"].rsplit("_", 1)[0] in attack.failed
            else v["max_score"] for v in result["verdicts"]}
    assert scores == want, result["notes"]
    assert set(result["flags"]) == set(attack.flags), result["notes"]
    summary = (context.out / "summary.csv").read_text()
    assert f"{attack.student},{ASSIGNMENT},{sum(want.values()):g}," in summary
    page, stored, autograded = _files(context, attack.student)
    assert f"Score: <b>{sum(want.values()):g} / " in page
    assert len(stored) < 3 << 20 and stored == autograded
    for text in attack.outputs:
        assert text in stored, f"{attack.student}: the attempt left no trace"


# Grades a class in a process of its own; each worker adds its peak resident memory to its
# results (the pool's workers are forked after the patch), and the main process prints its own.
PEAK = """\
import functools, resource, sys
from autograder.engine import grade
from autograder.engine.sandbox import Limits
work = grade._work
@functools.wraps(work)
def measured(*args):
    result = work(*args)
    result["worker_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return result
grade._work = measured
results = grade.grade_class(sys.argv[1], sys.argv[2], sys.argv[3], jobs=int(sys.argv[4]),
                            limits=Limits(timeout=60), gradebook=False, quiet=True)
print(max([r.get("worker_peak", 0) for r in results]),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _grade_apart(context, folder, attacks, jobs=1):
    """Grade `attacks` (and the reference answers as student `honest`) in a process of its own;
    return (the workers' peak memory, the main process's, {student: summary.csv row})."""
    for attack in attacks:
        attack.write(context, folder / "submitted" / attack.student / ASSIGNMENT)
    honest = folder / "submitted" / "honest" / ASSIGNMENT
    honest.mkdir(parents=True)
    nbformat.write(answered(context), honest / f"{ASSIGNMENT}.ipynb")
    run = subprocess.run([sys.executable, "-c", PEAK, str(folder / "submitted"),
                          str(folder / "out"), str(context.course), str(jobs)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    worker, main = map(int, run.stdout.split()[-2:])
    rows = {line.split(",")[0]: line.split(",") for line in
            (folder / "out" / "summary.csv").read_text().splitlines()[1:]}
    return worker, main, rows


def test_a_worker_flooded_with_every_message_type_stays_under_its_stated_memory(context, tmp_path):
    flood = next(a for a in ATTACKS if a.student == "flood_every_message")
    peak, _, rows = _grade_apart(context, tmp_path, [flood])
    assert rows["flood_every_message"][4] == "output-truncated"
    print(f"peak resident memory of the flooded worker: {peak >> 20} MB")
    assert 100 << 20 < peak < WORKER_MEMORY, f"{peak >> 20} MB"


@pytest.mark.skipif(cgroup.status() is not None, reason=f"no memory cgroup: {cgroup.status()}")
def test_a_message_of_endless_parts_costs_at_most_its_own_notebook(context, tmp_path):
    """zmq holds every part of a message until its last (2.8 GB here, 2.3 GB measured in a
    process without a memory group): the worker's group bounds it. The notebook is then graded
    on its functions as usual, or, if its worker is stopped twice, marked `grader-error`."""
    worker, main, rows = _grade_apart(context, tmp_path, [ENDLESS_PARTS], jobs=2)
    top = rows["honest"][3]
    assert rows["endless_message_parts"][2:] in ([top, top, ""], ["0", top, "grader-error"])
    assert rows["honest"][2:] == [top, top, ""]
    # neither process held the 2.8 GB (the main one measured 0.3-0.6 GB, its own start-up)
    assert worker < cgroup.WORKER_LIMIT and main < cgroup.WORKER_LIMIT, (worker >> 20, main >> 20)


def test_a_message_too_big_to_read_stops_the_notebook_and_its_functions_are_judged_clean(graded):
    notes = " ".join(graded["one_huge_message"]["notes"])
    assert "more than 8 MB" in notes and "again in a fresh kernel" in notes


def test_escape_codes_beyond_the_budget_are_dropped_before_the_page_is_made(graded, context):
    page, stored, _ = _files(context, "ansi_escape_flood")
    assert "end of the colours" in page and stored.count("\u001b") <= 2000


def _elements(document):
    """[(tag, attributes)] of every element an HTML parser finds in `document`."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))
    Collect().feed(document)
    return found


def test_student_outputs_never_reach_the_score_table_or_formgrader(graded, context):
    page, stored, autograded = _files(context, "scripts_in_outputs")
    grader_part, frame = page.split("<iframe", 1)
    assert "alert(" not in grader_part and "forged" not in grader_part
    assert "default-src 'none'" in grader_part  # the page's policy: nothing loads or runs
    tag = frame.split(">", 1)[0]
    assert "sandbox=''" in tag and "allow-" not in tag
    shown = html.unescape(tag.split("srcdoc=", 1)[1])  # the framed document's HTML
    assert "default-src 'none'" in shown
    elements = _elements(shown)
    assert not {"script", "svg", "base", "iframe", "object", "embed", "form"} & {t for t, _ in elements}
    assert [t for t, _ in elements].count("style") == 1  # the grader's own, in the head
    for tag_name, attrs in elements:
        for name, value in attrs:
            assert not name.startswith("on"), (tag_name, name)
            if (tag_name, name) == ("math", "xmlns"):  # a namespace's name: nothing is loaded
                continue
            assert not (value or "").strip().lower().startswith(("javascript:", "http")), value
        assert tag_name != "meta" or dict(attrs).get("http-equiv") != "refresh"
    assert "alert(6)" in shown  # the printed text is still shown, as text
    for saved in (stored, autograded):
        nb = nbformat.reads(saved, as_version=4)
        kinds = {k for c in nb.cells for o in c.get("outputs", []) for k in o.get("data", {})}
        assert kinds <= {"text/plain", "image/png", "image/jpeg"}, kinds
        markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
        assert all("<" not in m and "](javascript" not in m and "](http" not in m
                   for m in markdown)
        assert any("alert(7)" in m for m in markdown)


def test_a_graded_function_cannot_show_the_hidden_cases_in_an_earlier_display(graded, context):
    page, stored, _ = _files(context, "display_update_leak")
    # the source names both words; what the function displayed adds the shape it was called with
    assert "OUTSIDE THE HARNESS (" in stored and "INSIDE THE HARNESS (" not in stored + page


def test_tables_give_each_status_one_line_and_refuse_formula_ids(tmp_path):
    status = "failed: rnn_step raised ValueError: \x1b]0;PWNED\x07\x1b[2J\r\nhonest,01,x,1,1,passed"
    result = {"unit": {"student": "s1", "assignment": "01", "notebook": "01", "path": None},
              "verdicts": [{"grade_id": "x", "score": 0.0, "max_score": 1.0, "status": status}],
              "flags": []}
    grade.write_tables([result], tmp_path)
    lines = (tmp_path / "grades.csv").read_text().splitlines()
    assert len(lines) == 2 and "\x1b" not in lines[1] and "\\x1b]0;PWNED" in lines[1]
    assert not any(grade.is_student_id(n) for n in ("=1+1", "+1", "-x", "@SUM(1)", ".hidden"))


def test_a_notebook_of_a_million_empty_objects_is_refused_before_it_is_parsed():
    raw = b'{"cells": [], "metadata": {"x": [' + b"{}," * 1_000_001 + b'{}]}, "nbformat": 4}'
    with pytest.raises(ValueError, match="more than 1,000,000 JSON objects"):
        grade._parse_student(raw, "01.ipynb")


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _score(results):
    return sum(v["score"] for r in results for v in r["verdicts"])


# ----------------------------------------------------------------------------- hidden values

LOOKUP = """\
TABLE = {table!r}

def {name}(*args):
    # no schedule at all: the values the feedback has shown so far, else 0
    return TABLE.get(", ".join(map(repr, args)), 0.0)
"""


def _lookup_notebook(course, tables):
    """Notebook 04 with the decoder answered and every schedule a table of values seen so far."""
    source = nbformat.read(course / "source" / SCHEDULING / f"{SCHEDULING}.ipynb", as_version=4)
    nb = nbformat.read(course / "release" / SCHEDULING / f"{SCHEDULING}.ipynb", as_version=4)
    answers = {_gid(c): c.source for c in source.cells}
    for cell in nb.cells:
        if _gid(cell) == "decoder_forward_scheduled_sampling":
            cell.source = answers[_gid(cell)]
        elif _gid(cell) in SCHEDULES:
            cell.source = LOOKUP.format(table=tables[_gid(cell)], name=_gid(cell))
    return nb


def _learn(page, tables):
    """What a student reads off the feedback page: for each failed hidden case, the number after
    "expected", else the first number after the case's name that is not the value the table
    returned. Returns how many values it learnt."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    learnt = 0
    for name, args, message in re.findall(r"hidden case (\w+)\(([^)]*)\)\):([^\n]*)", text):
        own = tables[name].get(args, 0.0)
        seen = [float(t) for t in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", message)]
        seen = [value for value in seen if value != own]
        after = re.search(r"expected\D*?(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)", message)
        if after and float(after.group(1)) != own:  # what a reader would try first
            seen.insert(0, float(after.group(1)))
        if seen:
            tables[name][args] = seen[0]
            learnt += 1
    return learnt


def test_resubmitting_after_reading_the_feedback_learns_no_hidden_value(course, tmp_path):
    """Today's attack: no schedule implemented, the public values copied from data/reference,
    then each round the values the hidden cases' messages print. It must stay at its first score."""
    tables = {name: {", ".join(map(repr, case["args"])): case["expected"]
                     for case in json.loads((REPO / "data" / "reference" / f"{name}.json")
                                            .read_text())["cases"]}
              for name in SCHEDULES}
    scores = []
    for round_ in range(12):
        folder = tmp_path / "submitted" / "learner" / SCHEDULING
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(_lookup_notebook(course, tables), folder / f"{SCHEDULING}.ipynb")
        out = tmp_path / f"round{round_}"
        results = grade.grade_class(tmp_path / "submitted", out, course, jobs=1, limits=LIMITS,
                                    gradebook=False, quiet=True)
        scores.append(_score(results))
        page = (out / "feedback" / "learner" / SCHEDULING / f"{SCHEDULING}.html").read_text()
        if not _learn(page, tables):
            break
    visible = 2 + 3 + len(SCHEDULES)  # the decoder's cells and the schedules' public cells
    assert scores == [visible] * len(scores), scores
    for verdict in results[0]["verdicts"]:
        if verdict["grade_id"].endswith("schedule_hidden"):
            assert verdict["status"].startswith("failed: ") and "hidden case" in verdict["status"]

"""The grader against students who attack its own handling of their data (issue 12): a student
who reads the feedback and resubmits learns no hidden value."""
import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from autograder import build
from autograder.engine import grade
from autograder.engine.sandbox import Limits

REPO = Path(__file__).resolve().parents[1]
SCHEDULING = "04_scheduled_sampling"
SCHEDULES = ("linear_schedule", "exponential_schedule", "inverse_sigmoid_schedule")
LIMITS = Limits(timeout=30)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    path = tmp_path_factory.mktemp("course")
    build.write_sources(path)
    build.generate_release(path, ["01_recurrent_cells", SCHEDULING])
    return path


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

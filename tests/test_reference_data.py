"""data/reference/ is what scripts/make_reference_logits.py writes from the solutions, to 1e-12 on\nevery supported Python and numpy, with the environment that wrote it recorded beside it."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import solutions
from autograder.build import HIDDEN_BACKENDS
from autograder.cases import VISIBLE
from tfcourse import reproduce
from tfcourse.checks import case_args, decode

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "reference"


def test_regenerating_the_reference_data_here_agrees_to_1e12(tmp_path):
    """Single forward computations: any numpy and BLAS give them to 1e-12 (CI runs this on
    the oldest and the newest Python the course supports, each with today's numpy)."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_reference_logits.py"),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    every_name = [name for module, _ in HIDDEN_BACKENDS for name in module.VISIBLE]
    assert len(every_name) > len(VISIBLE), "notebooks 05 and 06 have public cases too"
    made = reproduce.differences(reproduce.recorded(REFERENCE)) or "the one recorded"
    for name in every_name:
        fresh, stored = (json.loads((folder / f"{name}.json").read_text())
                         for folder in (tmp_path, REFERENCE))
        assert reproduce.json_differences(stored, fresh) == [], (
            f"data/reference/{name}.json differs from a fresh run by more than 1e-12 (environment: "
            f"{made}): run python scripts/make_reference_logits.py")
    assert reproduce.recorded(tmp_path) == reproduce.environment()


def test_the_check_mode_agrees():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_reference_logits.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_the_solutions_reproduce_every_stored_result_from_the_stored_inputs():
    for name in VISIBLE:
        data = json.loads((REFERENCE / f"{name}.json").read_text())
        assert data["function"] == name and data["cases"]
        for case in data["cases"]:
            args, kwargs = case_args(name, case)
            got = getattr(solutions, name)(*args, **kwargs)
            expected = decode(case["expected"])
            for g, e in zip(got if isinstance(got, tuple) else [got],
                            expected if isinstance(expected, tuple) else [expected]):
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_public_cases_cover_every_cell_type():
    for name in ("decoder_forward_teacher_forcing", "decoder_forward_free_running",
                 "decoder_forward_scheduled_sampling"):
        data = json.loads((REFERENCE / f"{name}.json").read_text())
        cells = {c["kwargs"]["cell_type"] for c in data["cases"]}
        assert cells == {"rnn", "lstm", "gru"}


def test_every_stored_mistake_differs_from_the_right_answer():
    for name in VISIBLE:
        data = json.loads((REFERENCE / f"{name}.json").read_text())
        for case in data["cases"]:
            expected = decode(case["expected"])
            for mistake, output in case["mistakes"].items():
                if output is None:  # a mutant that raised on this case: it matches no answer
                    continue
                out = decode(output)
                same = all(np.shape(o) == np.shape(e) and np.allclose(o, e) for o, e in zip(
                    out if isinstance(out, tuple) else [out],
                    expected if isinstance(expected, tuple) else [expected]))
                assert not same, f"{name} {case['label']}: {mistake} equals the right answer"


def test_no_hidden_case_is_written_to_data():
    text = "".join(p.read_text() for p in REFERENCE.glob("*.json"))
    assert "hidden case" not in text

"""Hidden expected values never leave the grader: a failed hidden case says what is wrong (shape,
the step or entry that first differs, the known mistake it matches) but prints no number derived
from its expected output, in the grader's statuses and in check_hidden alike."""
import importlib
import re

import numpy as np
import pytest

from autograder.build import HIDDEN_BACKENDS

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _cases():
    for backend, module in HIDDEN_BACKENDS:
        checks = importlib.import_module(module)
        for name in backend.HIDDEN:
            for number, case in enumerate(backend.hidden_cases(name), 1):
                yield pytest.param(checks, name, case, id=f"{name}-{number}")


def _map(value, f):
    """`value` with every numeric leaf replaced by f(leaf), its containers' types kept."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_map(v, f) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_map(v, f) for v in value)
    if isinstance(value, dict):
        return {k: _map(v, f) for k, v in value.items()}
    if isinstance(value, (np.ndarray, float, int)) and not isinstance(value, bool):
        return f(value)
    return value


def _leaves(value):
    found = []
    _map(value, lambda leaf: found.append(np.asarray(leaf, dtype=np.float64).ravel()))
    return np.concatenate(found) if found else np.zeros(0)


def _wrong_answers(checks, case):
    """Answers a student might hand in: everything off, only the last entries off, each
    known mistake's output."""
    expected = checks.decode(case["expected"])

    def shift(leaf):
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "biu":
            return leaf + 1
        return leaf * 1.5 + 0.25

    def late(leaf):
        arr = np.array(leaf, dtype=np.float64)
        if arr.ndim == 0:
            return float(arr) + 0.125
        arr.reshape(-1)[-1] += 0.125
        return arr.astype(leaf.dtype) if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "biu" else arr

    answers = [_map(expected, shift), _map(expected, late)]
    # each known mistake's output (a mutant that returns nothing never reaches compare: the
    # harness's call refuses a None first)
    answers += [a for a in map(checks.decode, case.get("mistakes", {}).values()) if a is not None]
    return expected, answers


@pytest.mark.parametrize("checks, name, case", list(_cases()))
def test_a_failed_hidden_case_prints_no_number_derived_from_its_expected_output(checks, name, case):
    expected, answers = _wrong_answers(checks, case)
    reference = _leaves(expected)
    dims = max([1, *(int(s) for leaf in _shapes(expected) for s in leaf)])
    for got in answers:
        message = checks.compare(name, case, got, hidden=True)
        if message is None:
            continue
        own = _leaves(got)
        own_dims = max([dims, *(int(s) for leaf in _shapes(got) for s in leaf)])  # its own shape
        # the mistake named after the report is a fixed sentence of the catalogue (its numbers,
        # like "a[..., 2H:3H]" or "Cho et al. 2014", are the course's words, not the case's)
        report = re.split(r"\n  (?:Known mistake: |Your answer is what one of these)", message)[0]
        for token in NUMBER.findall(report):
            value = float(token)
            if np.any(np.isclose(own, value, rtol=1e-6, atol=1e-9)) and (
                    "." in token or "e" in token
                    or not np.any(np.isclose(reference, value, rtol=1e-6, atol=1e-9))):
                continue  # the student's own value, printed back (and not the reference's)
            assert float(value).is_integer() and 0 <= value <= own_dims, (
                f"{name}: the hidden case's message prints {token}, which is neither a step, "
                f"index or size nor the student's own value:\n{message}")
        if reference.size >= 3 and np.all(reference == np.round(reference)):  # token ids, masks
            assert "[" + ", ".join(str(int(v)) for v in reference[:3]) not in message, message


def _shapes(value):
    shapes = []
    _map(value, lambda leaf: shapes.append(np.shape(leaf)))
    return shapes


@pytest.mark.parametrize("checks, name, case", list(_cases())[::7])
def test_a_public_case_keeps_its_full_message(checks, name, case):
    """The public cases' messages still measure the difference, so a learner can debug."""
    expected, answers = _wrong_answers(checks, case)
    message = checks.compare(name, case, answers[0], hidden=False)
    assert message is not None
    if not message.startswith(("the cache is", "dparams is")):
        assert re.search(r"\d\.\d|expected \[|differ", message), message

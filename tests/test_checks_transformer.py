"""Notebook 06's checks: right answers pass, every known mistake is named, the data is current."""
import ast
import re
from pathlib import Path

import numpy as np
import pytest

import solutions
from autograder import cases_transformer, heldout
from autograder.mistakes_transformer import MISTAKES as WRONG
from tfcourse import checks_transformer as checks
from tfcourse.checks_transformer import MISTAKES, CheckFailed
from tests import checks_claims

ROOT = Path(__file__).resolve().parents[1]

# Mistakes a property check catches before any reference case, with the words it uses.
PROPERTY_MESSAGES = {
    "no_mask": "the mask lets position",
    "mask_after_softmax": "rows of attention weights do not sum to 1",
    "softmax_axis": "rows of attention weights do not sum to 1",
    "sees_next": "the mask lets position t see t+1",
    "additive": MISTAKES["additive"],
    "probabilities": "you returned probabilities",
    "decoder_no_mask": "changed when only inputs",
}

(test_the_reference_solution_passes_the_visible_and_hidden_checks, test_every_known_mistake_is_named,
 test_a_stub_is_reported_as_not_implemented) = checks_claims.tests(checks, cases_transformer, WRONG,
                                                                   PROPERTY_MESSAGES)


def test_a_shift_that_forgot_the_start_token_says_what_was_expected():
    with pytest.raises(CheckFailed, match=r"expected \[1, 5, 6, 7\], got \[0, 5, 6, 7\]"):
        checks.check("shift_right", lambda labels, s, p, i=-100: solutions.shift_right(labels, 0, p, i))


def test_a_shift_returning_floats_is_told_ids_must_be_integers():
    with pytest.raises(CheckFailed, match="token ids must be integers"):
        checks.check("shift_right", lambda *a: solutions.shift_right(*a).astype(float))


def test_a_decoder_that_modifies_its_input_is_told_so():
    def in_place(input_ids, params):
        params["W_y"] *= 1.0001
        return solutions.transformer_decoder_forward(input_ids, params)
    with pytest.raises(CheckFailed, match=r"modified its input params\['W_y'\] \(argument 2\) in place"):
        checks.check("transformer_decoder_forward", in_place)


def test_one_pass_equals_step_by_step_check_passes_and_catches_a_step_at_the_wrong_position():
    checks.check_one_pass_equals_step_by_step(solutions.transformer_decoder_forward,
                                              solutions.transformer_decoder_step)
    at_position_0 = WRONG["transformer_decoder_step"]["step_position_0"]  # right for T = 1 only
    with pytest.raises(CheckFailed, match="for T = 4, step by step differs from one pass"):
        checks.check_one_pass_equals_step_by_step(solutions.transformer_decoder_forward, at_position_0)


def test_the_one_pass_decoder_does_not_fit_the_step_it_is_graded_on():
    """The shortcut of issue 19: step_by_step = forward passed every check; a step cannot."""
    def forward_as_step(token_ids, cache, params):
        return solutions.transformer_decoder_forward(token_ids, params)
    with pytest.raises(CheckFailed):
        checks.check("transformer_decoder_step", forward_as_step)
    with pytest.raises(CheckFailed):
        checks.check_one_pass_equals_step_by_step(solutions.transformer_decoder_forward,
                                                  forward_as_step)


def test_a_two_pass_that_ignores_the_given_rng_is_told_how_many_numbers_it_drew():
    def global_rng(input_ids, params, sampling_prob, rng=None, predictions="greedy"):
        return solutions.transformer_scheduled_sampling_two_pass(input_ids, params, sampling_prob,
                                                                 123, predictions)
    with pytest.raises(CheckFailed, match=r"drew 0 numbers from rng; the reference draws 7"):
        checks.check("transformer_scheduled_sampling_two_pass", global_rng)



def test_the_checks_never_import_solutions_or_the_autograder():
    for module in ("checks_transformer", "transformer_params", "transformer_bench"):
        tree = ast.parse((ROOT / "src" / "tfcourse" / f"{module}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(m.split(".")[0] in ("solutions", "autograder") for m in imported), module


def _held_out(slug):
    """The reviewer's (review16) wrong answer, as a plain function (autograder/heldout)."""
    return next(a.impl for a in heldout.held_out() if f"{a.function}__{a.slug}" == slug)


_shift_right_in_place = _held_out("shift_right__modifies_input")


def test_an_answer_that_writes_into_its_labels_is_told_which_argument_it_changed():
    with pytest.raises(CheckFailed, match=r"shift_right modified its input labels \(argument 1\) in place"):
        checks.check("shift_right", _shift_right_in_place)


def test_a_wrong_hidden_mask_is_reported_in_a_grammatical_sentence():
    case = cases_transformer.hidden_cases("causal_mask")[-1]
    T = case["args"][0]
    wrong = np.tril(np.ones((T, T), dtype=bool), k=-1)   # review16's strict_lower
    assert "your mask differs from the reference." in checks.compare(
        "causal_mask", case, wrong, hidden=True)


_replace_before_shift = _held_out("shift_right__replace_before_shift")
_no_max_subtraction = _held_out("causal_self_attention__no_max_subtraction")


def test_replacing_before_the_shift_fails_where_the_start_token_is_the_ignore_index():
    with pytest.raises(CheckFailed, match=r"start_token_id=2, pad_token_id=0, ignore_index=2"
                                          r"(.|\n)*expected \[0, 4, 0\], got \[2, 4, 0\]"):
        checks.check("shift_right", _replace_before_shift)
    with pytest.raises(CheckFailed, match="your token ids differ from the reference"):
        checks.check_hidden("shift_right", _replace_before_shift,
                            checks.pack(cases_transformer.hidden_cases("shift_right")))


def test_a_softmax_that_overflows_fails_a_public_case_with_plain_indices_and_the_fix():
    """The grader judges cases, not the notebook's property checks: a public case has the
    property's huge scores, so the grader's visible row fails as the notebook's cell does."""
    case = cases_transformer.public_reference("causal_self_attention")["cases"][-1]
    args, _ = checks.case_args("causal_self_attention", case)
    with np.errstate(all="ignore"):
        got = _no_max_subtraction(*args)
    report = checks.compare("causal_self_attention", case, got, hidden=True)
    assert re.search(r"NaN or infinity at \(\d+, \d+\)\.", report) and "np.int64" not in report
    assert "Subtract each row's maximum before np.exp" in report

"""Notebook 06's checks: right answers pass, every known mistake is named, the data is current."""
import ast
from pathlib import Path

import numpy as np
import pytest

import solutions
from autograder import cases_transformer
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


def _shift_right_in_place(labels, start_token_id, pad_token_id, ignore_index=-100):
    """review16's wrong answer: the right result, but written into the caller's labels."""
    labels = np.asarray(labels)
    labels[labels == ignore_index] = pad_token_id
    out = np.empty(labels.shape, dtype=np.int64)
    out[..., 0] = start_token_id
    out[..., 1:] = labels[..., :-1]
    out[out == ignore_index] = pad_token_id
    return out


def test_an_answer_that_writes_into_its_labels_is_told_which_argument_it_changed():
    with pytest.raises(CheckFailed, match=r"shift_right modified its argument labels in place"):
        checks.check("shift_right", _shift_right_in_place)


def test_a_wrong_hidden_mask_is_reported_in_a_grammatical_sentence():
    case = cases_transformer.hidden_cases("causal_mask")[-1]
    T = case["args"][0]
    wrong = np.tril(np.ones((T, T), dtype=bool), k=-1)   # review16's strict_lower
    assert "your mask differs from the reference." in checks.compare(
        "causal_mask", case, wrong, hidden=True)

"""The reviewer's held-out wrong answers (autograder/heldout): loadable, labelled with sentences
that exist, and classed by the reviewer."""
import importlib

import numpy as np

from autograder import heldout, mutations
from autograder.build import hidden_backend


def test_every_held_out_file_defines_the_function_it_is_named_after_and_says_its_mistake():
    answers = heldout.held_out()
    assert len(answers) == 108 + 31
    for answer in answers:
        assert callable(answer.impl) and answer.impl.__name__ == answer.function
        assert answer.says.startswith("Mistake"), answer.slug


def test_the_reviewer_classed_every_answer_in_the_notebook_and_on_the_grader():
    for answer in heldout.held_out():
        assert set(answer.reviewed) == {"visible", "grader", "reviewer", "at"}, answer.slug


def test_every_sentence_judged_right_for_an_answer_is_one_the_course_can_say():
    """A label naming no mutant and no known mistake would count every name as misnamed."""
    for answer in heldout.held_out():
        known = importlib.import_module(hidden_backend(answer.function)[1]).MISTAKES
        ids = [m.id for m in mutations.singles(answer.function)]
        for name in answer.names:
            assert name in known or any(i.startswith(name) for i in ids), (answer.slug, name)


def test_a_held_out_answer_sees_the_building_blocks_a_notebook_gives():
    answer = next(a for a in heldout.held_out() if a.slug == "free_running")
    assert answer.function == "decoder_forward_teacher_forcing"
    rng = np.random.default_rng(0)
    params = {"W_x": rng.normal(size=(3, 4)), "W_h": rng.normal(size=(4, 4)), "b": np.zeros(4),
              "W_y": rng.normal(size=(4, 5)), "b_y": np.zeros(5), "start": np.zeros(3),
              "embedding": rng.normal(size=(5, 3))}
    logits = answer.impl(np.zeros(4), rng.normal(size=(2, 3)), params, "rnn")
    assert logits.shape == (2, 5)

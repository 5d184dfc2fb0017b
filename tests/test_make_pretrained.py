"""scripts/make_pretrained.py: two runs on one machine are identical, a fresh run reproduces the
committed data/pretrained/ files as tfcourse.reproduce says (bit for bit where they were made,
else on the first steps and the accuracies), and the models are what notebook 03 needs
(decent under teacher forcing, worse when free running)."""
import numpy as np
import pytest

from solutions import decoder_forward_free_running, decoder_forward_teacher_forcing
from tests.reproduction import check_twice, load_script
from tfcourse import reproduce
from tfcourse.pretrained import load_pretrained, same_arrays

SCRIPT = load_script("make_pretrained.py")


def test_two_runs_here_are_identical_and_reproduce_the_committed_files():
    stdout = check_twice("make_pretrained.py")
    assert stdout.count(": reproduced") == stdout.count("fingerprint") == len(SCRIPT.MODELS)


@pytest.fixture(scope="module")
def committed():
    path = SCRIPT.path_of("dates", "gru")
    with np.load(path) as stored:
        return dict(stored), reproduce.recorded(path)


def test_every_file_records_the_environment_that_made_it():
    for task, cell_type in SCRIPT.MODELS:
        recorded = reproduce.recorded(SCRIPT.path_of(task, cell_type))
        assert set(recorded) == set(reproduce.environment()), (task, cell_type)


def test_where_the_file_was_made_a_fresh_run_must_match_it_bit_for_bit(committed):
    arrays, _ = committed
    here = reproduce.environment()
    assert SCRIPT.problems(arrays, dict(arrays), here) == []
    nudged = dict(arrays, W_y=arrays["W_y"] + 1e-9)
    assert "differs by more than 1e-12 in the environment the file was made in" in (
        SCRIPT.problems(arrays, nudged, here)[0])


def test_elsewhere_the_first_steps_and_the_accuracies_are_compared(committed):
    arrays, _ = committed
    elsewhere = dict(reproduce.environment(), numpy="0.0")
    # Another build ends in other weights: fine while the accuracies stay in their bands.
    other_weights = dict(arrays, W_h=arrays["W_h"] * (1 + 1e-6))
    assert SCRIPT.problems(arrays, other_weights, elsewhere) == []
    early = arrays["train_loss"].copy()
    early[SCRIPT.EXACT_STEPS - 1] += 1e-6
    assert SCRIPT.problems(arrays, dict(arrays, train_loss=early), elsewhere) == [
        f"the first {SCRIPT.EXACT_STEPS} training losses differ by 1e-06 > {SCRIPT.LOSS_ATOL}"]
    late = arrays["train_loss"].copy()
    late[SCRIPT.EXACT_STEPS:] += 0.1
    assert SCRIPT.problems(arrays, dict(arrays, train_loss=late), elsewhere) == []
    worse = SCRIPT.problems(arrays, dict(arrays, W_y=np.zeros_like(arrays["W_y"])), elsewhere)
    assert [line.split(":")[0] for line in worse] == list(SCRIPT.BANDS)
    assert SCRIPT.problems(arrays, dict(arrays, seed=np.array(4)), elsewhere) == ["seed differs"]


def test_same_arrays_allows_last_bit_differences_only():
    a = {"w": np.array([1.0, 2.0]), "ids": np.array([1, 2])}
    assert same_arrays(a, {"w": a["w"] + 1e-14, "ids": a["ids"]})
    assert not same_arrays(a, {"w": a["w"] + 1e-9, "ids": a["ids"]})
    assert not same_arrays(a, {"w": a["w"], "ids": a["ids"] + 1})
    assert not same_arrays(a, {"w": a["w"]})


def _accuracy_by_position(task, cell_type):
    params, context, targets, _ = load_pretrained(task, cell_type)
    teacher, free = [], []
    for h0, ids in zip(context, targets):
        logits = decoder_forward_teacher_forcing(h0, params["embedding"][ids], params, cell_type)
        teacher.append(np.argmax(logits, axis=-1) == ids)
        free.append(np.argmax(decoder_forward_free_running(h0, params, len(ids), cell_type),
                              axis=-1) == ids)
    return np.mean(teacher, axis=0), np.mean(free, axis=0)


@pytest.mark.parametrize("task,cell_type", sorted(SCRIPT.MODELS))
def test_the_model_is_decent_under_teacher_forcing_and_worse_free_running(task, cell_type):
    teacher, free = _accuracy_by_position(task, cell_type)
    assert teacher.mean() >= 0.85
    assert free.mean() < teacher.mean()
    # The gap opens after the first positions, where the model starts feeding its own mistakes.
    assert np.max(teacher[len(teacher) // 2:] - free[len(free) // 2:]) >= 0.03

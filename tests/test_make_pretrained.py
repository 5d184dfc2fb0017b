"""scripts/make_pretrained.py: retraining reproduces the committed data/pretrained/ files, and
the models are what notebook 03 needs (decent under teacher forcing, worse when free running)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from solutions import decoder_forward_free_running, decoder_forward_teacher_forcing
from tfcourse.pretrained import load_pretrained

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("make_pretrained",
                                                  ROOT / "scripts" / "make_pretrained.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


@pytest.mark.parametrize("task,cell_type", sorted(SCRIPT.MODELS))
def test_retraining_reproduces_the_committed_file(task, cell_type):
    """Deterministic to the bit on one machine; 1e-12 leaves room for another CPU's BLAS kernels."""
    arrays = SCRIPT.build(task, cell_type, **SCRIPT.MODELS[(task, cell_type)], print_fn=None)
    with np.load(SCRIPT.path_of(task, cell_type)) as stored:
        assert sorted(stored.files) == sorted(arrays)
        for key, value in arrays.items():
            if value.dtype.kind == "f":
                np.testing.assert_allclose(stored[key], value, rtol=0, atol=1e-12, err_msg=key)
            else:
                np.testing.assert_array_equal(stored[key], value, err_msg=key)


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

"""scripts/make_pretrained.py: retraining reproduces the committed data/pretrained/ files, and
the models are what notebook 03 needs (decent under teacher forcing, worse when free running)."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from solutions import decoder_forward_free_running, decoder_forward_teacher_forcing
from tfcourse.pretrained import load_pretrained, same_arrays

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("make_pretrained",
                                                  ROOT / "scripts" / "make_pretrained.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


def test_retraining_reproduces_the_committed_files():
    """The script's own --check, in a fresh process with one BLAS thread as the script sets it;
    floats must agree to 1e-12 (bit-identical on one machine; room for another CPU's kernels)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_pretrained.py"), "--check"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.count(": reproduced") == len(SCRIPT.MODELS)


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

"""scripts/bench_training_step.py compares like with like: its PyTorch models compute the numpy
model's loss and gradients (the timing itself is a script, never a test)."""
import importlib.util
from pathlib import Path

import pytest

from tests.torch_reference import WHY

pytest.importorskip("torch", reason=WHY)
ROOT = Path(__file__).resolve().parents[1]


def test_the_torch_models_equal_the_numpy_model_before_timing(capsys):
    spec = importlib.util.spec_from_file_location("bench_training_step",
                                                  ROOT / "scripts" / "bench_training_step.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--batch", "4", "--H", "6", "--D", "3", "--repeats", "1"])  # asserts equality first
    out = capsys.readouterr().out
    assert "ratio numpy / torch nn.GRU" in out and "B=4" in out

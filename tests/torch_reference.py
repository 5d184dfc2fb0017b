"""PyTorch, the independent implementation the cells are checked against, or a loud skip.

The [test] extra installs torch's CPU build on Python 3.11 only (pyproject.toml says why); on
another Python without torch, every comparison with PyTorch skips with WHY as its reason, and
the run's header says so (tests/conftest.py).
"""
import pytest

try:
    import torch
except ImportError:
    torch = None

WHY = ("PyTorch is not installed, so this comparison with the independent implementation did "
       "not run: the [test] extra installs torch's CPU build on Python 3.11 only; elsewhere "
       "install one with `pip install torch --index-url https://download.pytorch.org/whl/cpu`")

needs_torch = pytest.mark.skipif(torch is None, reason=WHY)

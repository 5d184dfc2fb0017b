"""tfcourse.blas: the pin to one BLAS thread takes (read back from the library) and is undone."""
import numpy as np
import pytest

from tfcourse.blas import blas_threads, one_blas_thread, openblas_symbol


def test_one_blas_thread_pins_openblas_and_restores_its_count():
    np.ones((64, 64)) @ np.ones((64, 64))          # numpy's OpenBLAS is loaded
    before = blas_threads()
    if before is None:
        pytest.skip("no OpenBLAS loaded in this numpy (Accelerate or MKL): nothing to pin")
    set_ = openblas_symbol("set_num_threads")
    set_(2)                                        # as a 2-core machine starts, whatever this one has
    try:
        with one_blas_thread() as inside:
            assert inside == 1 and blas_threads() == 1
        assert blas_threads() == 2
    finally:
        set_(before)


def test_a_missing_library_is_reported_as_none_not_an_error(monkeypatch):
    import tfcourse.blas as blas
    monkeypatch.setattr(blas, "openblas_symbol", lambda name: None)
    assert blas.blas_threads() is None
    with blas.one_blas_thread() as inside:
        assert inside is None

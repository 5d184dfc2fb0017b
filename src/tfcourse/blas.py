"""numpy's BLAS, asked directly: which OpenBLAS is loaded, and one thread for a timing.

    with one_blas_thread() as threads:     # threads == 1 when the pin took, else None
        ...time something...

A timing of small matrix products depends more on how many threads OpenBLAS wakes for each
product than on the work (in the course repository, for instructors, scripts/bench_kv_cache.py
prints the KV cache's time ratio rerun with and without the pin). OPENBLAS_NUM_THREADS works
only before numpy is imported, so this calls the loaded library's own `openblas_set_num_threads`, as
threadpoolctl does, and reads the count back with `openblas_get_num_threads` to prove that it
took. Where no OpenBLAS is loaded (Accelerate on a Mac, MKL), nothing is changed and None is
yielded. Student-safe: no graded function is computed here.
"""
import ctypes
from contextlib import contextmanager

# (prefix, suffix) of the symbols: numpy's wheels (scipy-openblas, 64-bit ints), then others
_NAMINGS = (("scipy_", "64_"), ("", "64_"), ("", ""))


def openblas_symbol(name):
    """The loaded OpenBLAS's function `openblas_<name>` (ctypes), or None where there is none."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in _NAMINGS:
            found = getattr(lib, f"{prefix}openblas_{name}{suffix}", None)
            if found is not None:
                return found
    return None


def blas_threads():
    """How many threads the loaded OpenBLAS uses for a product now, or None (no OpenBLAS)."""
    get = openblas_symbol("get_num_threads")
    return None if get is None else int(get())


@contextmanager
def one_blas_thread():
    """Run the block with OpenBLAS on one thread; restore the count after. Yields the count
    read back inside the block (1), or None where OpenBLAS cannot be reached."""
    get, set_ = openblas_symbol("get_num_threads"), openblas_symbol("set_num_threads")
    if get is None or set_ is None:
        yield None
        return
    before = int(get())
    set_(1)
    try:
        yield int(get())
    finally:
        set_(before)

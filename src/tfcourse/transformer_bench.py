"""Time teacher-forced decoding in one pass against step-by-step decoding, for any implementation.

Used by 06_teacher_forcing_in_transformers (with the student's functions) and, in the course
repository, for instructors, by scripts/bench_transformer_teacher_forcing.py (with the
reference solutions). The decoders are passed in, so nothing here contains or imports an
answer. Each decoder is called as decode(input_ids, params) -> logits (T, V).
"""
import time

import numpy as np

from tfcourse.transformer_params import random_transformer_params
from tfcourse.validate import check_count

DEFAULT_LENGTHS = (8, 16, 32, 64, 128)


def best_time(fn, *args, repeats=3, budget=None):
    """Return the fastest of `repeats` wall-clock runs of fn(*args), in seconds.

    With `budget` (seconds), stop repeating once the runs so far took longer than it.
    """
    repeats = check_count("repeats", repeats)
    best, spent = np.inf, 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
        if budget is not None and spent > budget:
            break
    return best


def time_decoding(decoders, lengths=DEFAULT_LENGTHS, V=32, D=32, d_k=16, d_v=16, repeats=3,
                  seed=0, budget=None):
    """Time each decoder on one random sequence of every length in `lengths`.

    decoders: dict name -> decode(input_ids, params). Returns dict name -> array of seconds,
    one per length (the best of `repeats` runs, fewer when one length's runs exceed
    `budget` seconds), plus "T" -> the lengths.
    """
    lengths = [check_count("lengths[i]", T) for T in lengths]
    rng = np.random.default_rng(seed)
    params = random_transformer_params(V, D, d_k, d_v, rng=rng)
    times = {name: [] for name in decoders}
    for T in lengths:
        ids = rng.integers(0, V, size=T)
        for name, decode in decoders.items():
            times[name].append(best_time(decode, ids, params, repeats=repeats, budget=budget))
    return {"T": np.array(lengths), **{name: np.array(t) for name, t in times.items()}}


def format_times(times, baseline):
    """A text table of `times` (from time_decoding) in milliseconds, with each decoder's
    slowdown relative to `baseline` (a decoder's name)."""
    names = [n for n in times if n != "T"]
    header = f"{'T':>6}" + "".join(f"{n + ' ms':>22}" for n in names)
    header += "".join(f"{n + ' / ' + baseline:>26}" for n in names if n != baseline)
    lines = [header]
    for i, T in enumerate(times["T"]):
        row = f"{T:>6}" + "".join(f"{1e3 * times[n][i]:>22.3f}" for n in names)
        row += "".join(f"{times[n][i] / times[baseline][i]:>26.1f}" for n in names if n != baseline)
        lines.append(row)
    return "\n".join(lines)


def plot_decoding_times(times, ax=None):
    """Plot each decoder's time against T on log-log axes; return the matplotlib Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, seconds in times.items():
        if name != "T":
            ax.loglog(times["T"], 1e3 * seconds, "o-", label=name)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("time for all T logits (ms)")
    ax.set_title("Teacher forcing: one pass vs step by step")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    return ax

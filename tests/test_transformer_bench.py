"""The timing helpers of notebook 06 and the benchmark script that prints the figures.

These tests check what the helpers return and that the script runs, never how fast anything is.
"""
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np

from solutions import transformer_decoder_forward, transformer_decoder_step_by_step
from tfcourse.transformer_bench import best_time, format_times, plot_decoding_times, time_decoding

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]


def test_time_decoding_times_every_decoder_at_every_length():
    calls = []

    def decode(ids, params):
        calls.append(len(ids))
        return transformer_decoder_forward(ids, params)

    times = time_decoding({"one pass": decode, "step": transformer_decoder_step_by_step},
                          lengths=(3, 5), repeats=2)
    assert times["T"].tolist() == [3, 5]
    assert calls == [3, 3, 5, 5]
    assert all(times[n].shape == (2,) and np.all(times[n] > 0) for n in ("one pass", "step"))


def test_best_time_stops_repeating_when_over_budget():
    calls = []
    best_time(lambda: calls.append(1), repeats=5, budget=0.0)
    assert len(calls) == 1


def test_format_times_prints_milliseconds_and_slowdowns():
    times = {"T": np.array([8, 16]), "fast": np.array([0.001, 0.002]), "slow": np.array([0.004, 0.010])}
    lines = format_times(times, "fast").splitlines()
    assert lines[0].split() == ["T", "fast", "ms", "slow", "ms", "slow", "/", "fast"]
    assert lines[1].split() == ["8", "1.000", "4.000", "4.0"]
    assert lines[2].split() == ["16", "2.000", "10.000", "5.0"]


def test_plot_draws_one_line_per_decoder():
    times = {"T": np.array([8, 16]), "a": np.array([1e-3, 2e-3]), "b": np.array([2e-3, 8e-3])}
    ax = plot_decoding_times(times)
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    matplotlib.pyplot.close(ax.figure)


def test_the_benchmark_script_prints_a_row_per_length():
    out = subprocess.run([sys.executable, str(ROOT / "scripts/bench_transformer_teacher_forcing.py"),
                          "--lengths", "4", "8", "--repeats", "1"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    rows = [line.split() for line in out.splitlines() if line.split() and line.split()[0].isdigit()]
    assert [row[0] for row in rows] == ["4", "8"]
    assert "step by step: time grows like T^" in out

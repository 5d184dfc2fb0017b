"""tfcourse.lm_measure and scripts/lm_exposure_bias.py: the sentences never claim more than
their intervals, the intervals are right, and the committed results are what the script computes."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from solutions.tiny_gpt import gpt_forward_cached
from tfcourse.gpt import random_gpt_params
from tfcourse.blas import blas_threads
from tfcourse.lm_measure import (describe_exposure_bias, describe_token_times, format_token_times,
                                 load_exposure_bias, mean_ci, median_ci, ratio_ci,
                                 time_per_new_token, work_per_new_token)

ROOT = Path(__file__).resolve().parents[1]


def _row(L, ratio, diff):
    return {"prefix_length": L, "ratio_kl": list(ratio), "diff_kl": list(diff)}


def _results(*rows):
    return {"n_prefixes": 100, "rows": list(rows)}


def test_an_interval_including_no_effect_is_never_called_an_effect():
    text = describe_exposure_bias(_results(_row(8, (1.2, 0.9, 1.5), (0.01, -0.01, 0.03)),
                                           _row(16, (0.9, 0.7, 1.1), (-0.01, -0.03, 0.01))))
    assert "no measurable effect" in text and "compound" not in text and "worsens" not in text
    assert text.count("which includes 0") == 2


def test_one_interval_above_one_of_several_comes_with_the_chance_of_a_false_alarm():
    text = describe_exposure_bias(_results(_row(8, (1.0, 0.8, 1.2), (0.0, -0.01, 0.01)),
                                           _row(48, (1.4, 1.1, 1.7), (0.02, 0.01, 0.03))))
    assert "at L = 48 only" in text and "probability up to 10%" in text
    assert "further from the data after the model's own prefix by +0.0200" in text
    assert "no measurable effect of the model's own prefix at L = 8, and at L = 48 a hint" in text
    assert "measurably worsens" not in text


def test_the_committed_results_are_described_as_one_draw_that_needs_repeating_over_seeds():
    results = load_exposure_bias()
    text = describe_exposure_bias(results)
    assert f"In one draw of windows (seed {results['seed']}), over {results['n_prefixes']}" in text
    assert text.endswith("until it holds over several seeds of the window sampling, each with its "
                         "interval.")


def test_every_interval_above_one_is_reported_at_every_length():
    text = describe_exposure_bias(_results(_row(8, (1.4, 1.1, 1.7), (0.02, 0.01, 0.03)),
                                           _row(16, (1.5, 1.2, 1.9), (0.03, 0.01, 0.04))))
    assert "at every length measured" in text


def test_mean_ci_and_ratio_ci_contain_their_estimates():
    x = np.random.default_rng(0).normal(1.0, 1.0, size=400)
    mean, low, high = mean_ci(x)
    assert low < mean < high and high - low == pytest.approx(2 * 1.96 * x.std(ddof=1) / 20)
    ratio, low, high = ratio_ci(x + 2, np.full(400, 3.0))
    assert low < ratio < high and ratio == pytest.approx((x + 2).mean() / 3)


def test_time_per_new_token_measures_both_ways_at_each_length_in_paired_rounds():
    times = time_per_new_token(gpt_forward_cached, random_gpt_params(5, P=16, rng=0), lengths=(2, 8),
                               rounds=6, number=1)
    assert list(times["T"]) == [2, 8]
    assert all(times[k].shape == (2, 6) and np.all(times[k] > 0)
               for k in ("KV cache", "recompute the prefix"))
    if blas_threads() is not None:   # OpenBLAS loaded: it was pinned, and the clock follows
        assert times["blas_threads"] == 1 and times["clock"] == "this thread's CPU time"
    with pytest.raises(ValueError, match="lengths: the model reads at most P=16"):
        time_per_new_token(gpt_forward_cached, random_gpt_params(5, P=16, rng=0), lengths=(16,))


def test_median_ci_uses_the_binomial_order_statistics():
    values = np.arange(15.0)[::-1]                  # 14 .. 0: the 4th and 12th smallest are 3, 11
    assert median_ci(values) == (7.0, 3.0, 11.0)
    assert median_ci(np.arange(6.0)) == (2.5, 0.0, 5.0)  # n = 6: the extremes (coverage 96.9%)
    with pytest.raises(ValueError, match="at least 6 values, got 5"):
        median_ci(np.arange(5.0))


def test_the_work_per_new_token_is_counted_from_the_model_sizes():
    params = random_gpt_params(7, D=8, n_head=2, n_layer=3, P=16, rng=0)
    work = work_per_new_token(params, [1, 15])
    assert work["positions"]["KV cache"].tolist() == [1, 1]
    assert work["positions"]["recompute the prefix"].tolist() == [2, 16]
    # one block: 12 D^2 per position, 2 D per (position, key); plus D V per position for the logits
    assert work["multiply_adds"]["KV cache"][1] == 3 * (12 * 64 + 2 * 8 * 16) + 8 * 7
    assert work["multiply_adds"]["recompute the prefix"][1] == 16 * (3 * (12 * 64 + 2 * 8 * 16) + 8 * 7)


def test_the_timing_sentence_gives_the_interval_and_the_exact_work_and_no_more():
    times = {"T": np.array([1, 63]), "blas_threads": 1, "clock": "this thread's CPU time",
             "KV cache": np.full((2, 15), 1e-3),
             "recompute the prefix": np.vstack([np.full(15, 1e-3), np.linspace(8e-3, 12e-3, 15)])}
    work = work_per_new_token(random_gpt_params(5, D=8, n_head=2, n_layer=1, P=64, rng=0), times["T"])
    text = describe_token_times(times, work)
    assert "took 10.0 times as long as the KV cache in this run" in text
    assert "95% interval 8.9 to 11.1; one BLAS thread, this thread's CPU time" in text
    assert "feeds 64 positions instead of 1" in text and "(64 times the work)" in text
    table = format_token_times(times, work)
    assert "10.0 [8.9, 11.1]" in table and "1 : 64" in table


def test_the_first_row_of_the_committed_results_is_what_the_script_computes():
    """The whole run takes minutes; its first prefix length depends only on the seed, so it is
    recomputed here and must equal the committed numbers (rounded to 12 digits)."""
    spec = importlib.util.spec_from_file_location("lm_eb", ROOT / "scripts" / "lm_exposure_bias.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    settings = dict(script.SETTINGS, prefix_lengths=script.SETTINGS["prefix_lengths"][:1])
    row = script.run(**settings)["rows"][0]
    committed = load_exposure_bias()
    assert committed["n_prefixes"] == script.SETTINGS["n_prefixes"]
    for key, value in committed["rows"][0].items():
        assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


def test_the_exposure_bias_plot_shows_the_ratio_and_its_interval_the_claim_rests_on():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tfcourse.lm_measure import load_exposure_bias, plot_exposure_bias

    results = load_exposure_bias()
    ax = plot_exposure_bias(results)
    try:
        ratio_line = ax.get_lines()[0]
        np.testing.assert_allclose(ratio_line.get_ydata(), [r["ratio_kl"][0] for r in results["rows"]])
        assert any(np.allclose(line.get_ydata(), 1.0) for line in ax.get_lines()[1:])
        tops = {round(float(y), 6) for line in ax.get_lines() for y in np.ravel(line.get_ydata())}
        assert {round(r["ratio_kl"][2], 6) for r in results["rows"]} <= tops   # the CI's caps
        assert len(ax.figure.axes) == 2 and "paired" in ax.get_ylabel()
    finally:
        plt.close(ax.figure)

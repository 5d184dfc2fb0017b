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
                                 load_exposure_bias, mean_ci, median_ci, ratio_ci, seeds_ci,
                                 time_per_new_token, work_per_new_token)

ROOT = Path(__file__).resolve().parents[1]


def _row(L, ratio, diff, over_seeds=None, above=0, below=0):
    row = {"prefix_length": L, "ratio_kl": list(ratio), "diff_kl": list(diff)}
    if over_seeds is not None:
        row.update(ratio_kl_over_seeds=list(over_seeds), seeds_ratio_above_1=above,
                   seeds_ratio_below_1=below)
    return row


def _results(*rows, seeds=(0,)):
    return {"n_prefixes": 100, "seeds": list(seeds), "rows": list(rows)}


def test_an_interval_including_no_effect_is_never_called_an_effect():
    text = describe_exposure_bias(_results(_row(8, (1.2, 0.9, 1.5), (0.01, -0.01, 0.03)),
                                           _row(16, (0.9, 0.7, 1.1), (-0.01, -0.03, 0.01))))
    assert "no length shows a measurable effect" in text and "up to about 50%)" in text
    assert "compound" not in text and "worsens" not in text
    assert text.count("which includes 0") == 2 and "alone misses 0" not in text


def test_a_paired_gap_that_alone_misses_0_is_named_and_not_counted_as_an_effect():
    text = describe_exposure_bias(_results(_row(8, (1.0, 0.9, 1.1), (0.0, -0.01, 0.01)),
                                           _row(32, (1.08, 0.99, 1.17), (0.005, 0.0002, 0.009))))
    assert "no length shows a measurable effect" in text
    assert "The paired gap's interval alone misses 0 at L = 32" in text
    assert "probability at most 20% (the union bound), so it is not counted as an effect" in text
    assert "further from the data" not in text
    assert ("95% CI [+0.0002, +0.0090]: this interval alone misses 0, and is not counted as an "
            "effect (see below).") in text


def test_the_effect_not_ruled_out_is_the_widest_deviation_over_both_kinds_of_interval():
    text = describe_exposure_bias(_results(_row(8, (1.0, 0.9, 1.1), (0.0, -0.01, 0.01), (1.0, 0.8, 1.05)),
                                           _row(16, (1.0, 0.83, 1.17), (0.0, -0.01, 0.01), (1.0, 0.95, 1.05)),
                                           seeds=range(8)))
    assert "up to about 20%) is not ruled out" in text


def test_the_chance_of_a_miss_is_the_union_bound_capped_at_one():
    rows = [_row(L, (1.0, 0.9, 1.1), (0.0, -0.01, 0.01)) for L in range(1, 12)]
    rows.append(_row(12, (1.0, 0.9, 1.1), (0.005, 0.001, 0.009)))
    assert "probability at most 100% (the union bound)" in describe_exposure_bias(_results(*rows))


def test_one_seed_is_told_as_one_draw_that_needs_repeating_over_seeds():
    text = describe_exposure_bias(_results(_row(8, (1.0, 0.8, 1.2), (0.0, -0.01, 0.01)),
                                           _row(48, (1.4, 1.1, 1.7), (0.02, 0.01, 0.03))))
    assert "In one draw of windows (seed 0), over 100 prefixes per length" in text
    assert "the interval of EB-M lies above 1 at L = 48; at L = 8 the intervals include 1" in text
    assert "measurably" not in text
    assert "probability at most 10% (the union bound)" in text
    assert text.endswith("until it holds over several seeds of the window sampling, each with its "
                         "interval.")


def test_an_effect_needs_the_interval_over_prefixes_and_the_one_over_seeds_to_agree():
    pooled_only = _row(48, (1.2, 1.05, 1.35), (0.02, 0.01, 0.03), over_seeds=(1.2, 0.95, 1.45), above=2)
    text = describe_exposure_bias(_results(_row(8, (1.0, 0.9, 1.1), (0.0, -0.01, 0.01), (1.0, 0.9, 1.1)),
                                           pooled_only, seeds=range(5)))
    assert "no length shows a measurable effect" in text and "worsens" not in text
    assert "over the 5 seeds, mean 1.200, 95% CI 0.950-1.450; the interval of 2 seed(s) of 5" in text
    assert "over 500 prefixes" in text
    assert text.endswith("these data show neither.")


def test_growth_with_the_prefix_length_is_claimed_only_when_the_intervals_do_not_touch():
    def results(last_low):
        return _results(_row(8, (1.1, 1.02, 1.18), (0.01, 0.001, 0.02), (1.1, 1.01, 1.2)),
                        _row(48, (1.4, last_low, 1.6), (0.03, 0.01, 0.05), (1.4, 1.1, 1.7)),
                        seeds=range(10))
    grows = describe_exposure_bias(results(1.25))
    assert "measurably worsens what follows at every length measured" in grows
    assert "grows with its length, which is what errors compounding predicts" in grows
    touching = describe_exposure_bias(results(1.15))
    assert "do not show that the effect grows" in touching and "predicts" not in touching


def test_effects_in_both_directions_are_reported_as_such():
    text = describe_exposure_bias(_results(_row(8, (0.8, 0.7, 0.9), (-0.01, -0.02, -0.005), (0.8, 0.7, 0.9)),
                                           _row(16, (1.5, 1.2, 1.9), (0.03, 0.01, 0.04), (1.5, 1.2, 1.8)),
                                           seeds=range(3)))
    assert "not one-directional" in text and "hurts at L = 16 and helps at L = 8" in text


def test_the_committed_results_are_described_as_what_their_seeds_are():
    results = load_exposure_bias()
    seeds = results.get("seeds", [results.get("seed")])
    text = describe_exposure_bias(results)
    if len(seeds) == 1:    # one draw: said to be one, and to need repeating
        assert f"In one draw of windows (seed {seeds[0]}), over {results['n_prefixes']}" in text
        assert text.endswith("until it holds over several seeds of the window sampling, each "
                             "with its interval.")
    else:
        assert f"Over {len(seeds)} seeds of the window sampling, {results['n_prefixes']}" in text
        assert "one draw" not in text and len(results["per_seed"]) == len(seeds)


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


def _script():
    spec = importlib.util.spec_from_file_location("lm_eb", ROOT / "scripts" / "lm_exposure_bias.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_the_first_row_of_the_committed_results_is_what_the_script_computes():
    """The whole run takes many minutes; the first seed's first prefix length depends only on
    that seed, so it is recomputed here and must equal the committed numbers (12 digits)."""
    script, committed = _script(), load_exposure_bias()
    seeds = committed.get("seeds", [committed.get("seed")])
    settings = dict(script.SETTINGS, prefix_lengths=script.SETTINGS["prefix_lengths"][:1],
                    seeds=seeds[:1])
    row = script.run(**settings)["per_seed"][0]["rows"][0]
    assert committed["n_prefixes"] == script.SETTINGS["n_prefixes"]
    first = committed["per_seed"][0] if "per_seed" in committed else committed
    for key, value in first["rows"][0].items():
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


def test_seeds_run_apart_and_pooled_from_their_kept_numbers_give_the_same_results(tmp_path):
    script = _script()
    settings = dict(prefix_lengths=[8], n_prefixes=12, continuation_length=4)
    together = script.run(**settings, seeds=[0, 1, 2])
    for seed in (0, 1, 2):
        script.run(**settings, seeds=[seed], raw_dir=tmp_path)
    assert len(list(tmp_path.glob("seed*.npz"))) == 3
    assert script.run(**settings, seeds=[0, 1, 2], raw_dir=tmp_path) == together
    # the pooled row and the intervals over seeds follow from the seeds' rows
    row, each = together["rows"][0], [entry["rows"][0] for entry in together["per_seed"]]
    assert row["ratio_kl_over_seeds"] == pytest.approx(list(seeds_ci([r["ratio_kl"][0] for r in each])))
    assert row["seeds_ratio_above_1"] == sum(r["ratio_kl"][1] > 1 for r in each)
    assert row["kl_data_prefix"][0] == pytest.approx(np.mean([r["kl_data_prefix"][0] for r in each]))


def test_the_plot_of_several_seeds_shows_each_seed_and_the_interval_over_seeds():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tfcourse.lm_measure import plot_exposure_bias

    def row(L, r):
        return {"prefix_length": L, "ratio_kl": [r, r - 0.1, r + 0.1],
                "ratio_kl_over_seeds": [r, r - 0.2, r + 0.2], "kl_data_prefix": [0.05, 0.04, 0.06],
                "kl_model_prefix": [0.05 * r, 0.04, 0.07]}
    results = {"n_prefixes": 10, "seeds": [0, 1, 2], "continuation_length": 4,
               "rows": [row(8, 1.0), row(16, 1.1)],
               "per_seed": [{"seed": s, "rows": [row(8, 1.0 + s / 10), row(16, 1.1)]} for s in range(3)]}
    ax = plot_exposure_bias(results)
    try:
        ys = [np.ravel(line.get_ydata()).tolist() for line in ax.get_lines()]
        assert [1.0, 1.1] in ys and [1.0, 1.1, 1.1, 1.1, 1.2, 1.1] in ys   # pooled; each seed
        assert any(len(y) == 2 and np.allclose(y, [1.2, 1.3]) for y in ys)   # over-seeds caps
        assert ax.get_title() == "3 seeds x 10 prefixes"
    finally:
        plt.close(ax.figure)

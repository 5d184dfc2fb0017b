"""tfcourse/exposure_logs.py: intervals, paired differences and the verdict sentences say no
more than their 95% intervals, on synthetic runs whose answer is known."""
import numpy as np
import pytest

from tfcourse import exposure_logs as el

REGIMES = ["teacher forcing", "always sampling"]


def _run(recovery_late=0.0, gap_late=0.1, noise=0.01, seed=0):
    """A synthetic log: 5 seeds, T=8, K=2 corrupted positions."""
    rng = np.random.default_rng(seed)
    S, T = 5, 8
    recovery = np.full((2, S, 2, T), np.nan)
    recovery[:, :, :, :5] = recovery_late + noise * rng.normal(size=(2, S, 2, 5))
    recovery[:, :, :, 0] = 0.6 + noise * rng.normal(size=(2, S, 2))
    tf_acc = np.full((2, S, T), 0.95)
    fr_acc = tf_acc - np.r_[np.full(4, 0.02), np.full(4, gap_late)] + noise * rng.normal(size=(2, S, T))
    return {"regimes": REGIMES, "seeds": np.arange(S), "recovery": recovery,
            "tf_acc": tf_acc, "fr_acc": fr_acc, "count": np.full((2, S, T), 200),
            "fr_exact": np.array([[0.5, 0.52, 0.49, 0.51, 0.5], [0.3, 0.31, 0.29, 0.33, 0.3]]),
            "val_loss": np.array([[[2.0, 0.5, 0.05]] * S, [[2.0, 1.0, 0.5]] * S]),
            "eval_steps": np.array([0, 100, 200]), "loss_level": np.array(0.1),
            "plateaued": np.ones((2, S), dtype=bool), "corrupt_at": np.array([1, 3]),
            "stopped_at": np.full((2, S), 200)}


def test_the_interval_is_students_t_with_n_minus_one_degrees_of_freedom():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    mean, half = el.interval(values)
    assert mean == 3.0
    assert half == pytest.approx(2.776 * np.std(values, ddof=1) / np.sqrt(5))
    assert np.isnan(el.interval([1.0])[1])
    assert el.t_quantile(1000) == pytest.approx(1.962, abs=1e-3)


def test_a_difference_is_clear_only_when_its_interval_excludes_zero():
    assert el.is_clear(0.1, 0.05) and el.is_clear(-0.1, 0.05)
    assert not el.is_clear(0.04, 0.05) and not el.is_clear(0.1, np.nan)


def test_steps_to_level_is_the_first_evaluation_below_the_level_or_nan():
    steps = el.steps_to_level(_run())
    assert np.all(steps[0] == 200) and np.all(np.isnan(steps[1]))


def test_recovery_verdict_names_self_recovery_only_when_the_late_excess_is_zero():
    assert "self-recovery" in el.recovery_verdict(_run(recovery_late=0.0))
    assert "does not shrink" in el.recovery_verdict(_run(recovery_late=0.8))
    assert "partial self-recovery" in el.recovery_verdict(_run(recovery_late=0.2))
    assert "cannot tell" in el.recovery_verdict(_run(recovery_late=0.5, noise=0.3))
    no_damage = _run(recovery_late=0.0)
    no_damage["recovery"][:, :, :, 0] = np.array([0.1, -0.1, 0.05, -0.05, 0.0])[:, None]
    assert "no damage to recover from" in el.recovery_verdict(no_damage)
    assert "not testable here" in el.hypotheses(no_damage)


def test_hypotheses_mark_each_claim_from_its_interval():
    lines = el.hypotheses(_run(recovery_late=0.0, gap_late=0.3)).splitlines()
    assert len(lines) == 4   # always sampling, teacher forcing faster, accumulation, recovery
    assert lines[0].startswith("- **Bengio et al.: always sampling is worse") and lines[0].endswith("supported.")
    assert "errors accumulate" in lines[2] and lines[2].endswith("supported.")
    assert "recover" in lines[3] and "supported (the later excess" in lines[3]
    assert "not shown" in el.hypotheses(_run(gap_late=0.02)).splitlines()[2]


def test_accumulation_verdict_follows_the_gap_growth():
    assert "accumulate" in el.accumulation_verdict(_run(gap_late=0.2))
    assert "no accumulation shown" in el.accumulation_verdict(_run(gap_late=0.02, noise=0.05))


def test_ordering_verdict_averages_positions_before_comparing():
    assert "always sampling:" in el.ordering_verdict(_run(), "fr_acc")


def test_ordering_verdict_compares_paired_by_seed():
    text = el.ordering_verdict(_run())
    assert "always sampling: -0.198" in text and "worse than teacher forcing" in text


def test_the_final_validation_loss_is_where_each_run_stopped():
    run = _run()
    run["val_loss"][1, 0, 2] = np.nan                   # stopped after its second evaluation
    final = el.final_val_loss(run)
    assert final[1, 0] == 1.0 and final[1, 1] == 0.5 and final[0, 0] == 0.05


def test_the_summary_table_has_a_row_per_regime_with_intervals():
    run = _run()
    run.update(tf_exact=run["fr_exact"])
    table = el.summary_table(run)
    assert table.count("\n") == 3 and "±" in table and "0 of 5 runs reached it" in table


def test_the_sd_interval_matches_the_chi_square_quantiles_for_four_degrees_of_freedom():
    sd, low, high = el.sd_interval(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert sd == pytest.approx(np.sqrt(2.5))
    # Exact chi-square(4) quantiles 0.484 and 11.143: sd * sqrt(4 / q).
    assert low == pytest.approx(sd * np.sqrt(4 / 11.143), rel=0.01)
    assert high == pytest.approx(sd * np.sqrt(4 / 0.484), rel=0.05)
    with pytest.raises(ValueError, match="values: expected at least two numbers"):
        el.sd_interval([1.0])


def test_training_verdict_calls_a_regime_slower_or_more_spread_only_past_the_intervals():
    run = _run()
    run["val_loss"] = np.array([[[2.0, 0.5, 0.05]] * 5, [[2.0, 1.0, 0.5]] * 5], dtype=float)
    assert ("reached the level (val loss <= 0.1) in 0 of 5 runs, teacher forcing in 5 of 5 "
            "(Fisher's exact test p = 0.008: slower)") in el.training_verdict(run)
    run["val_loss"][1, :, 2] = 0.05
    run["val_loss"][1, :, 1] = [0.5, 0.5, 0.5, 0.05, 0.5]   # one seed faster: not clear
    assert "± " in el.training_verdict(run) and "(not distinguishable)" in el.training_verdict(run)
    run["val_loss"][0, :, 2] += [0.0, 0.001, 0.002, 0.001, 0.0]
    run["val_loss"][1, :, 2] += [0.0, 0.3, 0.6, 0.2, 0.1]
    assert "spreads more than teacher forcing" in el.training_verdict(run)
    run["val_loss"][1, :, 2] = run["val_loss"][0, :, 2] + [0.0, 0.002, 0.0, 0.001, 0.003]
    assert "spread not distinguishable" in el.training_verdict(run)


def test_the_f_quantile_matches_the_printed_tables():
    assert el.f_quantile(0.975, 4, 4) == pytest.approx(9.6045, abs=1e-4)
    assert el.f_quantile(0.95, 3, 10) == pytest.approx(3.7083, abs=1e-4)
    assert el.f_quantile(0.975, 1, 1) == pytest.approx(647.79, abs=1e-2)
    assert el.f_quantile(0.025, 4, 6) == pytest.approx(1 / el.f_quantile(0.975, 6, 4))
    with pytest.raises(ValueError, match="p, df1, df2"):
        el.f_quantile(1.0, 4, 4)


def test_two_spreads_differ_when_their_ratio_interval_excludes_one_though_their_own_overlap():
    b = np.array([0.0, 0.01, 0.02, 0.03, 0.04])
    a = 4 * b[::-1]
    ratio, low, high = el.sd_ratio_interval(a, b)
    assert ratio == pytest.approx(4.0)
    # the two sds' own 95% intervals overlap, yet the ratio's excludes 1
    assert el.sd_interval(a)[1] < el.sd_interval(b)[2] and low > 1
    assert low == pytest.approx(4.0 / np.sqrt(9.6045), rel=1e-4)
    assert high == pytest.approx(4.0 * np.sqrt(9.6045), rel=1e-4)


def test_training_verdict_compares_relative_spreads_so_a_tenfold_level_alone_is_not_spread():
    run = _run()
    run["val_loss"] = np.array([[[2.0, 0.5, 0.05]] * 5, [[2.0, 1.0, 0.5]] * 5], dtype=float)
    wobble = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    run["val_loss"][0, :, 2] = 0.05 * wobble
    run["val_loss"][1, :, 2] = 0.5 * wobble[::-1]       # ten times the level, same relative sd
    text = el.training_verdict(run)
    assert "ratio of the two sds 1.00" in text and "spread not distinguishable" in text


def test_fisher_exact_matches_hand_counted_tables():
    assert el.fisher_exact(0, 5, 5, 5) == pytest.approx(2 / 252)      # the two extreme tables
    assert el.fisher_exact(2, 5, 5, 5) == pytest.approx(42 / 252)     # tables 21, 105, 105, 21 of 252
    assert el.fisher_exact(3, 5, 3, 5) == pytest.approx(1.0)


def test_teacher_forcing_trains_faster_is_supported_by_counts_when_the_others_never_reach_it():
    line = el.hypotheses(_run()).splitlines()[1]
    assert "trains faster" in line and "slower than teacher forcing: always sampling;" in line
    run = _run()
    run["val_loss"][1, :2, 2] = 0.05                       # 2 of 5 reach it: p = 0.167
    assert "not distinguishable: always sampling." in el.hypotheses(run).splitlines()[1]


def test_the_summary_table_clips_intervals_to_the_possible_range_and_says_so():
    run = _run()
    run.update(tf_exact=run["fr_exact"], max_steps=np.array(200))
    run["fr_exact"] = np.array([[0.0, 1.0, 1.0, 0.0, 1.0], [0.3, 0.31, 0.29, 0.33, 0.3]])
    table = el.summary_table(run)
    assert "0.600 (0.000 to 1.000)*" in table and "possible range" in table
    assert "± 0.000" not in table.splitlines()[2].split("|")[2]
    assert "possible range" not in el.summary_table({**_run(), "tf_exact": _run()["fr_exact"]})


def test_outcomes_that_all_agree_get_the_exact_binomial_bound_not_a_zero_width_interval():
    mean, half = el.interval(np.zeros(200), indicator=True)
    assert mean == 0 and half == pytest.approx(1 - 0.025 ** (1 / 200)) and 0.018 < half < 0.019
    assert el.interval(np.zeros(200))[1] == 0          # a plain t-interval says 0: hence the flag
    values = np.r_[np.ones(10), np.zeros(190)]          # not all equal: the t-interval as before
    assert el.interval(values, indicator=True)[1] == el.interval(values)[1]
    columns = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, np.nan]])
    assert el.interval(columns, indicator=True)[1][0] == pytest.approx(1 - 0.025 ** (1 / 3))

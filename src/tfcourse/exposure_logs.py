"""Read, summarise and plot the logged exposure-bias experiment
(03_free_running_and_exposure_bias, 05_training_with_teacher_forcing).

    from tfcourse.exposure_logs import load_run, interval, summary_table
    run = load_run()                       # the course's logged run, in data/experiments/
    print(summary_table(run))

The log is written by `python -m tfcourse.exposure_bias` (see that module for what is measured);
the course's own is made in the course repository, for instructors, with
`--backend solutions`, and reproduced on a subset by tests/test_exposure_bias.py. R is the
number of regimes, S of seeds, m of evaluations, T the output length, K the number of corrupted
positions. Every summary is a mean over seeds with a
95% t-interval: seeds are the repetitions, the test split is the same for all of them.
"""
import math
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from tfcourse.paths import data_dir
from tfcourse.reproduce import recorded
from tfcourse.validate import _describe

REMAKE = ("run your own with `python -m tfcourse.exposure_bias --backend given --out my_run.npz` "
          "and load_run('my_run.npz'); the course's own is made in the course repository, for "
          "instructors, by `python -m tfcourse.exposure_bias --backend solutions "
          "--out data/experiments/exposure_bias_keysum.npz`")
FIELDS = ("regimes", "seeds", "eval_steps", "loss", "sampling_prob", "val_loss", "val_fr_token",
          "val_fr_exact", "count", "tf_acc", "tf_nll", "fr_acc", "fr_nll", "tf_exact", "fr_exact",
          "recovery", "corrupt_at", "plateaued", "stopped_at", "loss_level", "max_steps",
          "schedule_steps")
# Two-sided 95% quantiles of Student's t for 1 .. 30 degrees of freedom.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def load_run(path=None):
    """The logged run as a dict of arrays (regimes a list of str), and the versions that made it
    under 'environment' (from the .versions.json beside the .npz; {} if there is none)."""
    path = Path(data_dir() / "experiments" / "exposure_bias_keysum.npz" if path is None else path)
    if not path.is_file():
        raise ValueError(f"path: no logged run at {path}; {REMAKE}")
    with np.load(path) as stored:
        out = {key: stored[key] for key in stored.files}
    missing = [key for key in FIELDS if key not in out]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}; {REMAKE}")
    out["regimes"] = [str(name) for name in out["regimes"]]
    out["environment"] = recorded(path)
    return out


def t_quantile(df):
    """The 0.975 quantile of Student's t with df degrees of freedom (table, then expansion)."""
    if df < 1:
        return math.nan
    if df <= len(T975):
        return T975[df - 1]
    z = 1.959964
    return z + (z ** 3 + z) / (4 * df)


def interval(values, axis=0, indicator=False):
    """Mean and half-width of the 95% t-interval along `axis`, ignoring NaN; half-width NaN
    with fewer than two values.

    indicator: the values are 0/1 outcomes (or paired differences of them, -1/0/1). Where all n
    of them are equal the t-interval has width 0, which claims a certainty n outcomes cannot
    give: the half-width is then the exact (Clopper-Pearson) 95% bound on the rate of the
    outcome never seen, 1 - 0.025 ** (1 / n) (about 3.7 / n)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError(f"values: expected at least one value, got {_describe(values)}")
    n = np.sum(~np.isnan(values), axis=axis)
    with np.errstate(all="ignore"), _quiet():
        mean = np.nanmean(values, axis=axis)
        sd = np.nanstd(values, axis=axis, ddof=1)
        half = np.vectorize(t_quantile)(n - 1) * sd / np.sqrt(n)
        if indicator:
            half = np.where(sd == 0, 1.0 - 0.025 ** (1.0 / n), half)
    return mean, np.where(n >= 2, half, np.nan)


class _quiet:
    def __enter__(self):
        import warnings
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def regime_index(run, regime):
    if regime not in run["regimes"]:
        raise ValueError(f"regime: expected one of {', '.join(map(repr, run['regimes']))}, "
                         f"got {regime!r}")
    return run["regimes"].index(regime)


def per_seed(run, field, regime):
    """The field's values for one regime, one row per seed (S, ...)."""
    return np.asarray(run[field])[regime_index(run, regime)]


def difference(run, field, a, b):
    """Paired by seed (same initial model, same batches): mean and CI of field[a] - field[b],
    each seed's value averaged over positions first if the field has them."""
    diff = per_seed(run, field, a) - per_seed(run, field, b)
    return interval(diff.reshape(len(diff), -1).mean(axis=1))


def is_clear(mean, half):
    """True when the 95% interval excludes zero (a difference the data support)."""
    return bool(np.isfinite(half) and abs(mean) > half)


def fmt(mean, half, digits=3):
    """'0.912 ± 0.004' (mean ± half-width of the 95% interval)."""
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def final_val_loss(run):
    """(R, S): the validation loss of each run's measured model: of its best weights where the
    run kept them (`best_step` in the log), else where it stopped (the log is NaN after)."""
    val = np.asarray(run["val_loss"])
    if "best_step" in run:
        steps = np.asarray(run["eval_steps"])
        return np.take_along_axis(val, np.searchsorted(steps, run["best_step"])[..., None],
                                  axis=-1)[..., 0]
    last = val.shape[-1] - 1 - np.argmax(~np.isnan(val[..., ::-1]), axis=-1)
    return np.take_along_axis(val, last[..., None], axis=-1)[..., 0]


def steps_to_level(run):
    """(R, S): the first evaluation step at which the validation loss is <= loss_level (NaN if
    never)."""
    below = np.asarray(run["val_loss"]) <= float(run["loss_level"])
    first = np.argmax(below, axis=-1)
    return np.where(below.any(axis=-1), np.asarray(run["eval_steps"])[first], np.nan)


def gap_by_half(run, regime):
    """Per seed, the teacher-forced minus free-running accuracy averaged over the first and over
    the second half of the positions (S, 2): accumulation makes the second larger."""
    gap = per_seed(run, "tf_acc", regime) - per_seed(run, "fr_acc", regime)
    half = gap.shape[-1] // 2
    return np.stack([gap[:, :half].mean(axis=1), gap[:, half:].mean(axis=1)], axis=1)


def summary_table(run):
    """A Markdown table, one row per regime, each cell mean ± 95% half-width over seeds; an
    interval that runs past the quantity's possible range is printed clipped to it, marked *,
    with a footnote."""
    steps = steps_to_level(run)
    clipped = []

    def cell(values, low, high, digits=3):
        mean, half = interval(values)
        if np.isfinite(half) and (mean - half < low or mean + half > high):
            clipped.append(True)
            return (f"{mean:.{digits}f} ({max(mean - half, low):.{digits}f} to "
                    f"{min(mean + half, high):.{digits}f})*")
        return fmt(mean, half, digits)
    cap = float(run["max_steps"]) if "max_steps" in run else math.inf
    rows = [f"| regime | free-running exact match | free-running token acc. | teacher-forced "
            f"token acc. | val loss of the measured model (nats/token) | sd of its log across "
            f"seeds | "
            f"steps to val loss {float(run['loss_level']):g} | steps trained | runs on a plateau |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r, name in enumerate(run["regimes"]):
        fr = np.asarray(run["fr_acc"])[r].mean(axis=-1)
        tf = np.asarray(run["tf_acc"])[r].mean(axis=-1)
        final = final_val_loss(run)[r]
        reached = np.isfinite(steps[r])
        step_text = (cell(steps[r], 0, cap, 0) if reached.all() else
                     f"{int(reached.sum())} of {len(reached)} runs reached it")
        rows.append(f"| {name} | {cell(np.asarray(run['fr_exact'])[r], 0, 1)} | "
                    f"{cell(fr, 0, 1)} | {cell(tf, 0, 1)} | {cell(final, 0, math.inf)} | "
                    f"{np.std(np.log(final), ddof=1):.3f} | {step_text} | "
                    f"{cell(np.asarray(run['stopped_at'])[r], 0, cap, 0)} | "
                    f"{int(np.sum(run['plateaued'][r]))} of {len(final)} |")
    if clipped:
        rows.append("\n\\* the mean ± 95% t half-width runs past the possible range (0 to 1 for rates, "
                    "0 and up for losses, 0 to the step cap for steps); shown is the mean and the interval "
                    "clipped to that range.")
    return "\n".join(rows)


def _band(ax, x, values, label, color, style="-"):
    mean, half = interval(values)
    ax.plot(x, mean, style, color=color, label=label)
    ax.fill_between(x, mean - np.nan_to_num(half), mean + np.nan_to_num(half), color=color,
                    alpha=0.2, linewidth=0)


def plot_recovery(run, regime="teacher forcing", max_offset=None):
    """One curve per corrupted position k: the excess error at k+d against d, mean over seeds
    with its 95% band. Returns the figure."""
    curves = per_seed(run, "recovery", regime)          # (S, K, T)
    T = curves.shape[-1]
    max_offset = max_offset or T
    fig, ax = plt.subplots(figsize=(8, 4))
    for j, k in enumerate(np.asarray(run["corrupt_at"])):
        n_d = min(T - int(k) - 1, max_offset)
        _band(ax, np.arange(1, n_d + 1), curves[:, j, :n_d], f"corrupted at k={int(k)}", f"C{j}")
    ax.axhline(0, color="grey", linewidth=0.8)
    n_seq = int(np.asarray(run["count"])[0, 0, 0])
    ax.set_title(f"{regime}: extra error rate d steps after one wrong fed token "
                 f"({len(run['seeds'])} seeds x {n_seq} test sequences, 95% bands)", fontsize=10)
    ax.set_xlabel("d (position k+d)")
    ax.set_ylabel("error rate, corrupted - clean")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_gap(run, regimes=None):
    """Two panels against position: accuracy and NLL, teacher-forced (dashed) vs free running
    (solid), mean over seeds with 95% bands. The test split has the same sequences at every
    position (fixed-length outputs): the count is in the title."""
    regimes = regimes or run["regimes"]
    fig, axes = plt.subplots(1, 2, figsize=(15, 4))
    T = np.asarray(run["tf_acc"]).shape[-1]
    x = np.arange(T)
    for c, name in enumerate(regimes):
        for field, ax in (("acc", axes[0]), ("nll", axes[1])):
            _band(ax, x, per_seed(run, "fr_" + field, name), f"{name}, free running", f"C{c}")
            _band(ax, x, per_seed(run, "tf_" + field, name), f"{name}, teacher-forced", f"C{c}",
                  "--")
    counts = np.unique(np.asarray(run["count"]))
    n_text = f"n = {int(counts[0])}" if len(counts) == 1 else f"n = {int(counts.min())}..{int(counts.max())}"
    for ax, what in zip(axes, ("token accuracy", "NLL of the true token (nats)")):
        ax.set_title(f"{what} by output position ({n_text} test sequences at every position, "
                     f"{len(run['seeds'])} seeds)", fontsize=9)
        ax.set_xlabel("output position t")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_training(run, regimes=None):
    """Validation loss (teacher-forced NLL) against training step, mean with 95% band over
    seeds, log scale; the dotted line is the loss level steps_to_level counts to."""
    regimes = regimes or run["regimes"]
    fig, ax = plt.subplots(figsize=(9, 4))
    for name in regimes:
        _band(ax, np.asarray(run["eval_steps"]), per_seed(run, "val_loss", name), name,
              f"C{run['regimes'].index(name)}")
    ax.axhline(float(run["loss_level"]), color="grey", linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("validation loss (nats/token)")
    ax.set_title(f"validation loss, {len(run['seeds'])} seeds per regime (95% bands)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


class RecoveryModel(NamedTuple):
    """The logged run's teacher-forced model of its first seed: decoder params (the contract's
    dict, GRU), the test split's context vectors (N, H) and target ids (N, T)."""
    params: dict
    contexts: np.ndarray
    target_ids: np.ndarray


def recovery_model(run):
    """The teacher-forced model the run kept (first seed), to measure on in
    03_free_running_and_exposure_bias."""
    params = {key[len("tf_model_"):]: np.asarray(value) for key, value in run.items()
              if key.startswith("tf_model_")}
    if not params or "tf_test_context" not in run:
        raise ValueError(f"run: holds no teacher-forced model; {REMAKE}")
    return RecoveryModel(params, np.asarray(run["tf_test_context"]),
                         np.asarray(run["tf_test_target"]))


# ----------------------------------------------------------------------------- verdicts

def recovery_numbers(run, regime="teacher forcing", late=3):
    """Per seed, the excess error one step after the corrupted token and `late` or more steps
    after it (each averaged over the corrupted positions): two (mean, half) intervals."""
    curves = per_seed(run, "recovery", regime)          # (S, K, T)
    with _quiet():
        first = curves[:, :, 0].mean(axis=1)
        later = np.nanmean(curves[:, :, late - 1:].reshape(len(curves), -1), axis=1)
    return interval(first), interval(later)


def recovery_verdict(run, regime="teacher forcing", late=3):
    """A sentence on He et al.'s self-recovery vs lasting damage, from the recovery curves."""
    (m1, h1), (m3, h3) = recovery_numbers(run, regime, late)
    head = (f"{regime}: one wrong fed token raises the error rate of the next step by "
            f"{fmt(m1, h1)} and of the steps {late} or more after it by {fmt(m3, h3)} "
            f"(mean over {len(run['seeds'])} seeds, 95% interval).")
    if not (is_clear(m1, h1) and m1 > 0):
        return head + (" Even the next step's excess is within its interval of zero: these "
                       "seeds show no damage to recover from.")
    if not is_clear(m3, h3):
        return head + (" The later excess is not distinguishable from zero: consistent with "
                       "the model recovering once it is fed the truth again (He et al.'s "
                       "self-recovery).")
    shrink = interval(_late_minus_first(run, regime, late))
    if m3 > 0 and is_clear(*shrink) and shrink[0] < 0:
        return head + (" The damage shrinks but does not vanish: partial self-recovery, and "
                       "one wrong input still costs later steps.")
    if m3 > 0 and not is_clear(*shrink):
        return head + (" One wrong input still costs later steps; these seeds cannot tell "
                       "whether the cost shrinks.")
    return head + " The damage does not shrink: one wrong input keeps costing later steps."


def _late_minus_first(run, regime, late):
    """Per seed, the late excess minus the first-step excess (negative: the damage shrinks)."""
    curves = per_seed(run, "recovery", regime)
    with _quiet():
        first = curves[:, :, 0].mean(axis=1)
        later = np.nanmean(curves[:, :, late - 1:].reshape(len(curves), -1), axis=1)
    return later - first


def accumulation_verdict(run, regime="teacher forcing"):
    """A sentence on Arora et al.'s error accumulation: does the teacher-forced minus
    free-running accuracy gap grow from the first to the second half of the output?"""
    halves = gap_by_half(run, regime)
    (m1, h1), (m2, h2) = interval(halves[:, 0]), interval(halves[:, 1])
    md, hd = interval(halves[:, 1] - halves[:, 0])
    head = (f"{regime}: teacher-forced minus free-running token accuracy is {fmt(m1, h1)} over "
            f"the first half of the positions and {fmt(m2, h2)} over the second half "
            f"(growth {fmt(md, hd)}).")
    if is_clear(md, hd) and md > 0:
        return head + " The gap grows along the output: errors accumulate (Arora et al.)."
    if is_clear(md, hd):
        return head + " The gap shrinks along the output: no accumulation in this model."
    return head + " The growth is within its interval of zero: no accumulation shown."


def ordering_verdict(run, field="fr_exact", reference="teacher forcing"):
    """Bengio et al.'s ordering tested: for each regime, its free-running score minus the
    reference regime's, paired by seed, and whether the interval excludes zero."""
    lines = []
    for name in run["regimes"]:
        if name == reference:
            continue
        m, h = difference(run, field, name, reference)
        word = ("better than" if m > 0 else "worse than") if is_clear(m, h) else \
            "not distinguishable from"
        lines.append(f"- {name}: {fmt(m, h)} ({word} {reference})")
    return "\n".join(lines)


def sd_interval(values):
    """The sample standard deviation of `values` and its 95% interval (chi-square with n-1
    degrees of freedom, quantiles by the Wilson-Hilferty approximation)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values: expected at least two numbers in a row, got {_describe(values)}")
    df, z = len(values) - 1, 1.959964
    quantile = lambda sign: df * (1 - 2 / (9 * df) + sign * z * math.sqrt(2 / (9 * df))) ** 3  # noqa: E731
    sd = float(np.std(values, ddof=1))
    return sd, sd * math.sqrt(df / quantile(1)), sd * math.sqrt(df / max(quantile(-1), 1e-12))


def beta_cdf(x, a, b):
    """The regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz)."""
    if x <= 0 or x >= 1:
        return float(x >= 1)
    if x > (a + 1) / (a + b + 2):                      # the fraction converges fast only here
        return 1 - beta_cdf(1 - x, b, a)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x)) / a
    tiny, c, d = 1e-300, 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    out = d
    for m in range(1, 500):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            out *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return front * out


def f_quantile(p, df1, df2):
    """The p quantile of Fisher's F with (df1, df2) degrees of freedom: F = (df2/df1) x/(1-x)
    with x ~ Beta(df1/2, df2/2), x found by bisection of the incomplete beta."""
    if not (0 < p < 1 and df1 >= 1 and df2 >= 1):
        raise ValueError(f"p, df1, df2: expected 0 < p < 1 and df >= 1, got {p}, {df1}, {df2}")
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if beta_cdf(mid, df1 / 2, df2 / 2) < p else (low, mid)
    x = (low + high) / 2
    return df2 / df1 * x / (1 - x)


def sd_ratio_interval(a, b):
    """The ratio sd(a) / sd(b) of two independent samples and its 95% interval (F with
    (n_a - 1, n_b - 1) degrees of freedom; assumes each sample is normal)."""
    a, b = (np.asarray(v, dtype=float) for v in (a, b))
    if a.ndim != 1 or b.ndim != 1 or min(len(a), len(b)) < 2:
        raise ValueError(f"a, b: expected at least two numbers in a row each, got "
                         f"{_describe(a)} and {_describe(b)}")
    df_a, df_b = len(a) - 1, len(b) - 1
    with np.errstate(all="ignore"):                   # a sample of equal values: NaN or inf
        var_ratio = float(np.var(a, ddof=1) / np.var(b, ddof=1))
    return (math.sqrt(var_ratio), math.sqrt(var_ratio / f_quantile(0.975, df_a, df_b)),
            math.sqrt(var_ratio / f_quantile(0.025, df_a, df_b)))


def fisher_exact(hits_a, n_a, hits_b, n_b):
    """Two-sided p-value of Fisher's exact test that two groups share one hit rate: the chance,
    with the margins fixed, of a table no more likely than the one seen."""
    total, hits = n_a + n_b, hits_a + hits_b
    prob = [math.comb(hits, k) * math.comb(total - hits, n_a - k) / math.comb(total, n_a)
            for k in range(max(0, hits - n_b), min(hits, n_a) + 1)]
    seen = math.comb(hits, hits_a) * math.comb(total - hits, n_a - hits_a) / math.comb(total, n_a)
    return min(1.0, sum(p for p in prob if p <= seen * (1 + 1e-9)))


def speed_comparison(run, regime, reference="teacher forcing"):
    """(sentence, word) on how fast `regime` reaches val loss <= loss_level against `reference`:
    paired steps where every run of both reached it, else the counts that did (runs that never
    reach it are censored, and fewer reaching it is itself evidence: Fisher's exact test).
    word is 'slower', 'faster' or 'not distinguishable'."""
    steps = steps_to_level(run)
    r, ref = regime_index(run, regime), regime_index(run, reference)
    if np.isfinite(steps[r]).all() and np.isfinite(steps[ref]).all():
        m, h = interval(steps[r] - steps[ref])
        word = _word(m, h, "slower", "faster")
        return f"steps to the level minus {reference}'s {fmt(m, h, 0)} ({word})", word
    hit, hit_ref, n = int(np.isfinite(steps[r]).sum()), int(np.isfinite(steps[ref]).sum()), steps.shape[1]
    p = fisher_exact(hit, n, hit_ref, n)
    word = "not distinguishable" if p >= 0.05 else ("slower" if hit < hit_ref else "faster")
    return (f"reached the level (val loss <= {float(run['loss_level']):g}) in {hit} of {n} runs, "
            f"{reference} in {hit_ref} of {n} (Fisher's exact test p = {p:.3f}: {word})"), word


def training_verdict(run, reference="teacher forcing"):
    """Bengio et al.'s training claims tested, one line per regime against `reference`: steps
    to the loss level (paired by seed, where every run reached it) and the spread across seeds
    of the measured model's validation loss. The losses of two regimes can differ in level many
    times over, so the spread compared is the sd of the LOG loss (a relative spread, about the
    coefficient of variation), and it differs only where the 95% F interval of the ratio of the
    two sds excludes 1."""
    final = final_val_loss(run)
    ref = regime_index(run, reference)
    lines = []
    for r, name in enumerate(run["regimes"]):
        if r == ref:
            continue
        speed = speed_comparison(run, name, reference)[0]
        ratio, low, high = sd_ratio_interval(np.log(final[r]), np.log(final[ref]))
        spread = (f"spreads more than {reference}" if low > 1 else
                  f"spreads less than {reference}" if high < 1 else "spread not distinguishable")
        lines.append(f"- {name}: {speed}; measured model's validation loss, geometric mean over "
                     f"seeds {math.exp(np.log(final[r]).mean()):.3f} ({reference}: "
                     f"{math.exp(np.log(final[ref]).mean()):.3f}), sd of its log "
                     f"{np.std(np.log(final[r]), ddof=1):.3f} ({reference}: "
                     f"{np.std(np.log(final[ref]), ddof=1):.3f}); ratio of the two sds "
                     f"{ratio:.2f} (95% F interval {low:.2f} to {high:.2f}): {spread}")
    return "\n".join(lines)


def _word(mean, half, above, below, neither="not distinguishable"):
    return neither if not is_clear(mean, half) else (above if mean > 0 else below)


def hypotheses(run, reference="teacher forcing"):
    """The three papers' claims as a Markdown list, each marked supported, contradicted or not
    shown by this run's 95% intervals (paired by seed), with the numbers behind the mark."""
    lines = []
    if "always sampling" in run["regimes"]:
        m, h = difference(run, "fr_exact", "always sampling", reference)
        mark = _word(m, h, "contradicted (it is better)", "supported", "not shown")
        lines.append(f"- **Bengio et al.: always sampling is worse than teacher forcing** "
                     f"(free-running exact match, always sampling minus {reference}): "
                     f"{fmt(m, h)}: {mark}.")
    for name in [r for r in run["regimes"] if r.startswith("scheduled")]:
        m, h = difference(run, "fr_exact", name, reference)
        mark = _word(m, h, "supported", "contradicted (it is worse)", "not shown")
        lines.append(f"- **Bengio et al.: {name} beats teacher forcing** (free-running exact "
                     f"match, difference): {fmt(m, h)}: {mark}.")
    words = {name: speed_comparison(run, name, reference)
             for name in run["regimes"] if name != reference}
    by = lambda w: ", ".join(n for n, (_, word) in words.items() if word == w) or "none"  # noqa: E731
    lines.append(f"- **Bengio et al.: teacher forcing trains faster** (steps to validation loss "
                 f"<= {float(run['loss_level']):g}, or where some runs never got there, how many "
                 f"did): slower than {reference}: {by('slower')}; faster: {by('faster')}; not "
                 f"distinguishable: {by('not distinguishable')}.")
    halves = gap_by_half(run, reference)
    md, hd = interval(halves[:, 1] - halves[:, 0])
    lines.append(f"- **Arora et al.: errors accumulate** (for {reference}, growth of the "
                 f"teacher-forced minus free-running token accuracy from the first to the second "
                 f"half of the output): {fmt(md, hd)}: "
                 f"{_word(md, hd, 'supported', 'contradicted (the gap shrinks)', 'not shown')}.")
    (m1, h1), (m3, h3) = recovery_numbers(run, reference)
    shrink = interval(_late_minus_first(run, reference, 3))
    if not (is_clear(m1, h1) and m1 > 0):
        mark = "not testable here (a wrong input does not clearly cost even the next step)"
    elif not is_clear(m3, h3):
        mark = "supported (the later excess is within its interval of zero)"
    elif m3 > 0 and is_clear(*shrink) and shrink[0] < 0:
        mark = "partly supported (the damage shrinks but does not vanish)"
    else:
        mark = "not supported (one wrong input keeps costing later steps)"
    lines.append(f"- **He et al.: models recover from a wrong input** (for {reference}, excess "
                 f"error one step after one wrong fed token {fmt(m1, h1)}, three or more steps "
                 f"after it {fmt(m3, h3)}): {mark}.")
    return "\n".join(lines)

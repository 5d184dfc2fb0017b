"""Measurements of 07_teacher_forcing_in_language_models: the cost of a new token, and exposure
bias in a language model.

    times = time_per_new_token(gpt_forward_cached, params, lengths)   # KV cache vs recompute, live
    results = load_exposure_bias()                # data/experiments/lm_exposure_bias.json
    print(describe_exposure_bias(results))        # sentences that say no more than the intervals

Exposure bias is measured with the protocol of He et al. (2021), "Exposure bias versus
self-recovery: are distortions really incremental for autoregressive text generation?"
(EMNLP 2021): continue a prefix of length L taken from the data
(M|D) and a prefix of the same length that the model wrote itself (M|M), and compare how far
the model's next-token distributions along the continuation are from the data's, here
exactly, since the corpus's source is known (tfcourse.char_corpus). Their ratio is EB-M(L):
above 1 means the model does worse after its own prefix, i.e. errors compound.
Student-safe: no graded function is computed here.
"""
import json
import math
import time
from contextlib import nullcontext

import numpy as np

from tfcourse.blas import blas_threads, one_blas_thread
from tfcourse.exposure_logs import interval
from tfcourse.paths import data_dir

RESULTS = "lm_exposure_bias.json"


# ----------------------------------------------------------------------------- cost per token

def time_per_new_token(forward_cached, params, lengths=(1, 16, 63), rounds=15, number=5, seed=0,
                       one_thread=True):
    """Seconds to get the logits of ONE new token after a prefix of each length: with a KV cache
    (feed the new token only) and without (run the whole prefix + token again).

    Each of `rounds` rounds times `number` calls each way, one way right after the other, so
    that a busy moment of the machine slows both; BLAS runs on one thread (tfcourse.blas),
    because for matrices this small the threads' start-up, not the work, decides the time
    (`one_thread=False` leaves BLAS as it is, to see that).
    forward_cached is the model's `(ids, params, cache=None) -> (logits, cache)`
    (gpt_forward_cached of tiny_gpt.py, released with the notebook). Returns {"T": prefix
    lengths (n,), "KV cache": s per call (n, rounds), "recompute the prefix": (n, rounds),
    "blas_threads": the BLAS threads while timing (1 when pinned), None where unknown}."""
    V, P = params["wte"].shape[0], params["wpe"].shape[0]
    for T in lengths:
        if T + 1 > P:
            raise ValueError(f"lengths: the model reads at most P={P} positions, got {T} + 1")
    ids = np.random.default_rng(seed).integers(0, V, size=max(lengths) + 1)
    cached, full = np.zeros((2, len(lengths), rounds))
    with (one_blas_thread() if one_thread else nullcontext(blas_threads())) as threads:
        # one thread does all the work: its CPU time leaves out the moments other programs ran
        clock = time.thread_time if threads == 1 else time.perf_counter
        for i, T in enumerate(lengths):
            _, cache = forward_cached(ids[:T], params)
            for r in range(rounds):
                cached[i, r] = _mean_time(lambda: forward_cached(ids[T:T + 1], params, cache),
                                          number, clock)
                full[i, r] = _mean_time(lambda: forward_cached(ids[:T + 1], params)[0][-1],
                                        number, clock)
    return {"T": np.array(lengths), "KV cache": cached, "recompute the prefix": full,
            "blas_threads": threads,
            "clock": "this thread's CPU time" if threads == 1 else "wall-clock time"}


def _mean_time(fn, number, clock):
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def median_ci(values):
    """Median and a distribution-free 95% interval for it: order statistics j and n + 1 - j,
    j the largest rank with P(Binomial(n, 1/2) < j) <= 2.5% (n >= 6; e.g. 4th and 12th of 15)."""
    values = np.sort(np.asarray(values, dtype=float))
    n = len(values)
    below = np.cumsum([math.comb(n, k) / 2 ** n for k in range(n + 1)])   # P(X <= k)
    j = int(np.sum(below <= 0.025))                                      # ranks 1..j excluded
    if j < 1:
        raise ValueError(f"values: a 95% interval for a median needs at least 6 values, got {n}")
    return float(np.median(values)), float(values[j - 1]), float(values[n - j])


def work_per_new_token(params, lengths):
    """What each way feeds the model for one new token after a prefix of T: positions, and the
    multiply-adds of tiny_gpt.py's matrix products (its attention scores every key it holds,
    masked ones too). Deterministic. Returns {"T", "positions": {way: (n,)}, "multiply_adds":
    {way: (n,)}} with ways "KV cache" and "recompute the prefix"."""
    V, D = params["wte"].shape
    n_layer = sum(1 for name in params if name.endswith(".attn.W_qkv"))
    T = np.asarray(lengths)

    def macs(n_new, n_keys):   # per block: qkv 3D^2, W_o D^2, MLP 8D^2; attention 2 * keys * D
        return n_layer * (12 * D * D * n_new + 2 * D * n_new * n_keys) + D * V * n_new
    return {"T": T, "positions": {"KV cache": np.ones_like(T), "recompute the prefix": T + 1},
            "multiply_adds": {"KV cache": macs(1, T + 1), "recompute the prefix": macs(T + 1, T + 1)}}


def token_time_rows(times):
    """Per prefix length: the median ms per new token each way, and the median ratio
    (recompute / cache, paired by round) with its 95% interval: [(T, ms_cache, ms_full,
    (ratio, low, high))]."""
    rows = []
    for i, T in enumerate(times["T"]):
        c, f = times["KV cache"][i], times["recompute the prefix"][i]
        rows.append((int(T), 1e3 * np.median(c), 1e3 * np.median(f), median_ci(f / c)))
    return rows


def format_token_times(times, work):
    """A table: per prefix length, the median ms each way, the median time ratio with its 95%
    interval, and the work each way (positions fed, thousands of multiply-adds)."""
    lines = [f"{'prefix':>6}{'KV cache':>10}{'recompute':>11}{'time ratio [95% CI]':>22}"
             f"{'positions fed':>15}{'k multiply-adds':>19}",
             f"{'':>6}{'(ms)':>10}{'(ms)':>11}{'':>22}{'cache : full':>15}{'cache : full':>19}"]
    for i, (T, c, f, (r, lo, hi)) in enumerate(token_time_rows(times)):
        fed = f"1 : {work['positions']['recompute the prefix'][i]}"
        macs = f"{work['multiply_adds']['KV cache'][i] / 1e3:.0f} : " \
               f"{work['multiply_adds']['recompute the prefix'][i] / 1e3:.0f}"
        lines.append(f"{T:>6}{c:>10.3f}{f:>11.3f}{f'{r:.1f} [{lo:.1f}, {hi:.1f}]':>22}{fed:>15}"
                     f"{macs:>19}")
    return "\n".join(lines)


def describe_token_times(times, work):
    """A sentence that says what the timing shows and no more (the 95% interval of the median
    ratio at the longest prefix, for this run), beside the work, which is exact."""
    T, c, f, (r, lo, hi) = token_time_rows(times)[-1]
    i = len(times["T"]) - 1
    full, cache = (work["multiply_adds"][way][i] for way in ("recompute the prefix", "KV cache"))
    rounds = times["KV cache"].shape[1]
    threads = times["blas_threads"]
    pinned = (f"one BLAS thread, {times['clock']}" if threads == 1 else
              f"{threads} BLAS threads: the times vary more" if threads else
              "BLAS threads unknown (no OpenBLAS found): the times may vary more")
    return (f"After a prefix of {T}, recomputing the prefix took {r:.1f} times as long as the "
            f"KV cache in this run (median ratio of {rounds} rounds, 95% interval {lo:.1f} to "
            f"{hi:.1f}; {pinned}): a statement about this run on this machine. Exact on any "
            f"machine: recomputing feeds {T + 1} positions instead of 1, {full / 1e3:.0f} "
            f"thousand multiply-adds instead of {cache / 1e3:.0f} thousand "
            f"({full / cache:.0f} times the work).")


def plot_token_times(times, ax):
    """Median ms per new token against the prefix length, each way, with 95% intervals."""
    for name in ("KV cache", "recompute the prefix"):
        ci = np.array([median_ci(1e3 * row) for row in times[name]])
        ax.errorbar(times["T"], ci[:, 0], yerr=[ci[:, 0] - ci[:, 1], ci[:, 2] - ci[:, 0]],
                    fmt="o-", capsize=3, label=name)
    ax.set_xlabel("prefix length")
    ax.set_ylabel("ms per new token (median, 95% CI)")
    ax.legend()
    return ax


# ----------------------------------------------------------------------------- exposure bias

def mean_ci(values, z=1.96):
    """Mean and its normal-approximation 95% interval (n is in the hundreds here)."""
    values = np.asarray(values, dtype=float)
    half = z * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(values.mean() - half), float(values.mean() + half)


def seeds_ci(values):
    """Mean over seeds and its Student-t 95% interval (a handful of seeds: t, not normal)."""
    mean, half = interval(values)
    return float(mean), float(mean - half), float(mean + half)


def ratio_ci(model_prefix, data_prefix, n_boot=2000, seed=0):
    """mean(model_prefix) / mean(data_prefix), paired by prefix, with a 95% bootstrap interval."""
    a, b = np.asarray(model_prefix, float), np.asarray(data_prefix, float)
    idx = np.random.default_rng(seed).integers(0, len(a), size=(n_boot, len(a)))
    boot = a[idx].mean(axis=1) / b[idx].mean(axis=1)
    return float(a.mean() / b.mean()), float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def load_exposure_bias(path=None):
    path = data_dir() / "experiments" / RESULTS if path is None else path
    return json.loads(open(path).read())


def _compare(low, high):
    """'higher' or 'lower' for an interval of (model - data) that excludes 0; None if it includes 0."""
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return None


def _side(interval):
    """+1 if a (value, low, high) interval of EB-M lies above 1, -1 below, 0 if it includes 1."""
    return 1 if interval[1] > 1 else -1 if interval[2] < 1 else 0


def _verdict(row):
    """Where this length's evidence points: +1 / -1 when the interval over all prefixes and,
    with several seeds, the interval over seeds both lie on that side of 1, else 0."""
    sides = {_side(row["ratio_kl"])}
    if "ratio_kl_over_seeds" in row:
        sides.add(_side(row["ratio_kl_over_seeds"]))
    return sides.pop() if len(sides) == 1 else 0


def describe_exposure_bias(results):
    """Sentences for the notebook, each bounded by its intervals (no claim past a 95% CI).

    With several seeds (results["seeds"]), a length shows an effect only when the interval over
    all prefixes and the interval over seeds agree; one seed is one draw, and said to be."""
    seeds = results.get("seeds", [results.get("seed")])
    n, S = results["n_prefixes"], len(seeds)
    lines = []
    for row in results["rows"]:
        L = row["prefix_length"]
        d_mean, d_lo, d_hi = row["diff_kl"]
        r, r_lo, r_hi = row["ratio_kl"]
        text = f"L = {L:2d}: EB-M = {r:.3f} (95% CI {r_lo:.3f}-{r_hi:.3f} over {S * n} prefixes"
        if "ratio_kl_over_seeds" in row:
            m, lo, hi = row["ratio_kl_over_seeds"]
            text += (f"; over the {S} seeds, mean {m:.3f}, 95% CI {lo:.3f}-{hi:.3f}; the interval "
                     f"of {row['seeds_ratio_above_1']} seed(s) of {S} lies above 1, of "
                     f"{row['seeds_ratio_below_1']} below")
        way = _compare(d_lo, d_hi)
        if way is None:
            text += (f"); paired gap (own minus data prefix) {d_mean:+.4f} nats per token, "
                     f"95% CI [{d_lo:+.4f}, {d_hi:+.4f}], which includes 0.")
        elif _verdict(row) == 0:    # the gap alone is no effect while EB-M's intervals include 1
            text += (f"); paired gap (own minus data prefix) {d_mean:+.4f} nats per token, "
                     f"95% CI [{d_lo:+.4f}, {d_hi:+.4f}]: this interval alone misses 0, and is "
                     f"not counted as an effect (see below).")
        else:
            text += (f"); the continuation is {'further from' if way == 'higher' else 'closer to'} "
                     f"the data after the model's own prefix, paired gap {d_mean:+.4f} nats per "
                     f"token, 95% CI [{d_lo:+.4f}, {d_hi:+.4f}].")
        lines.append(text)
    rows = results["rows"]
    verdicts = {row["prefix_length"]: _verdict(row) for row in rows}
    above = [L for L, v in verdicts.items() if v > 0]
    below = [L for L, v in verdicts.items() if v < 0]
    k, listed = len(rows), (lambda lengths: ", ".join(map(str, lengths)))  # noqa: E731
    where = (f"Over {S} seeds of the window sampling, {n} prefixes each," if S > 1 else
             f"In one draw of windows (seed {seeds[0]}), over {n} prefixes per length,")
    both = " (the interval over all prefixes and the one over seeds agree)" if S > 1 else ""
    if not above and not below:
        widest = max(max(ci[2] - 1, 1 - ci[1]) for row in rows
                     for ci in (row["ratio_kl"], row.get("ratio_kl_over_seeds", row["ratio_kl"])))
        gap_only = [row["prefix_length"] for row in rows if _compare(*row["diff_kl"][1:]) is not None]
        lines.append(f"{where} no length shows a measurable effect of the model's own prefix: "
                     f"the intervals of EB-M include 1. An effect smaller than the intervals "
                     f"(up to about {widest:.0%}) is not ruled out."
                     + (f" The paired gap's interval alone misses 0 at L = {listed(gap_only)}: "
                        f"with {k} lengths and two intervals each, at least one such miss "
                        f"happens by chance with probability at most {_chance_miss(2 * k):.0%} "
                        f"(the union bound), so it is not counted as an effect."
                        if gap_only else ""))
    elif below and above:
        lines.append(f"{where} the effect is not one-directional: the model's own prefix hurts "
                     f"at L = {listed(above)} and helps at L = {listed(below)}{both}.")
    else:
        side, worse = (above, "worsens") if above else (below, "improves")
        rest = [row["prefix_length"] for row in rows if row["prefix_length"] not in side]
        at = "every length measured" if not rest else f"L = {listed(side)}"
        head = (f"the model's own prefix measurably {worse} what follows at {at}" if S > 1 else
                f"the interval of EB-M lies {'above' if above else 'below'} 1 at {at}")
        lines.append(f"{where} {head}{both}"
                     + (f"; at L = {listed(rest)} the intervals include 1" if rest else "")
                     + f". With {k} lengths at 95%, at least one would miss 1 by chance with "
                     f"probability at most {_chance_miss(k):.0%} (the union bound) even with no "
                     f"effect anywhere.")
    lines.append(_compounding(rows, above) if S > 1 else
                 "This is one draw of windows, not a measurement repeated over seeds: another "
                 "draw of the windows may not show the same, so no sentence above is a finding "
                 "until it holds over several seeds of the window sampling, each with its "
                 "interval.")
    return "\n".join(lines)


def _chance_miss(m):
    """An upper bound on the chance that at least one of m 95% intervals misses its true value.

    The union bound, m * 5% (at most 1), holds however the intervals depend on each other;
    1 - 0.95 ** m assumes they are independent, which intervals on the same prefixes are not."""
    return min(1.0, m * 0.05)


def _compounding(rows, above):
    """What the data say about "errors compound": EB-M above 1 AND growing with the prefix."""
    first, last = rows[0], rows[-1]
    grows = last["ratio_kl"][1] > first["ratio_kl"][2]     # the intervals do not even touch
    if not above:
        return ("Errors compounding would show as EB-M above 1 that grows with L; these data "
                "show neither.")
    if grows:
        return (f"EB-M's interval at L = {last['prefix_length']} lies wholly above the one at "
                f"L = {first['prefix_length']}: within these lengths the effect of the model's "
                f"own prefix grows with its length, which is what errors compounding predicts.")
    return (f"The intervals at L = {first['prefix_length']} and L = {last['prefix_length']} "
            f"overlap, so these data do not show that the effect grows with the prefix's length "
            f"(errors compounding); they do not rule it out either.")


def plot_exposure_bias(results, ax=None):
    """EB-M(L) with its paired bootstrap 95% interval over all prefixes, per prefix length, and
    with several seeds each seed's EB-M and the t interval over seeds: what the claim rests on.

    Without `ax`, a second panel shows the per-token KL after data vs own prefixes, each with its
    own interval; those two intervals may overlap where the paired ratio's does not (the same
    prefix's noise cancels in the pairing), so the claim is read from the first panel.
    Returns the axes of the ratio."""
    import matplotlib.pyplot as plt

    levels = None
    if ax is None:
        _, (ax, levels) = plt.subplots(1, 2, figsize=(11, 3.5))
    rows = results["rows"]
    L = np.array([row["prefix_length"] for row in rows])
    ratio = np.array([row["ratio_kl"][0] for row in rows])
    err = np.array([[row["ratio_kl"][0] - row["ratio_kl"][1], row["ratio_kl"][2] - row["ratio_kl"][0]]
                    for row in rows]).T
    seeds = results.get("seeds", [results.get("seed")])
    ax.errorbar(L, ratio, yerr=err, fmt="o-", capsize=3,
                label=f"EB-M over all {len(seeds) * results['n_prefixes']} prefixes")
    ax.axhline(1.0, color="gray", linestyle="--", linewidth=1, label="no effect (EB-M = 1)")
    if "per_seed" in results:
        each = np.array([[row["ratio_kl"][0] for row in entry["rows"]] for entry in results["per_seed"]])
        ax.plot(np.repeat(L[None, :] + 1.2, len(each), axis=0).ravel(), each.ravel(), ".",
                color="gray", alpha=0.5, label="EB-M of each seed")
        over = np.array([row["ratio_kl_over_seeds"] for row in rows])
        ax.errorbar(L + 1.2, over[:, 0], yerr=[over[:, 0] - over[:, 1], over[:, 2] - over[:, 0]],
                    fmt="s", capsize=3, label=f"mean over {len(seeds)} seeds (t 95% CI)")
    ax.set_xlabel("prefix length L")
    ax.set_ylabel("EB-M (paired, 95% CI)")
    ax.set_title(f"{len(seeds)} seeds x {results['n_prefixes']} prefixes" if len(seeds) > 1 else
                 f"One draw of {results['n_prefixes']} prefixes (seed {seeds[0]})")
    ax.legend(fontsize=8)
    if levels is not None:
        for key, label, shift in (("kl_data_prefix", "data prefix (M|D)", -0.4),
                                  ("kl_model_prefix", "model's own prefix (M|M)", 0.4)):
            mean = np.array([row[key][0] for row in rows])
            spread = np.array([[row[key][0] - row[key][1], row[key][2] - row[key][0]]
                               for row in rows]).T
            levels.errorbar(L + shift, mean, yerr=spread, fmt="o-", capsize=3, label=label)
        levels.set_xlabel("prefix length L")
        levels.set_ylabel("KL(data || model) per token")
        levels.set_title(f"Each alone, {results['continuation_length']} tokens, 95% CIs (unpaired)")
        levels.legend()
        ax.figure.tight_layout()
    return ax

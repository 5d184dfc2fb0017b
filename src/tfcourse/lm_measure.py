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
import time

import numpy as np

from tfcourse.paths import data_dir

RESULTS = "lm_exposure_bias.json"


# ----------------------------------------------------------------------------- cost per token

def time_per_new_token(forward_cached, params, lengths=(8, 16, 32, 63), repeats=20, seed=0):
    """Seconds to get the logits of ONE new token after a prefix of each length: with a KV cache
    (feed the new token only) and without (run the whole prefix + token again). The best of
    `repeats` runs. forward_cached is the model's `(ids, params, cache=None) -> (logits, cache)`
    (gpt_forward_cached of tiny_gpt.py, released with the notebook). Returns {"T": prefix lengths,
    "KV cache": s, "recompute the prefix": s}."""
    V, P = params["wte"].shape[0], params["wpe"].shape[0]
    ids = np.random.default_rng(seed).integers(0, V, size=max(lengths) + 1)
    cached, full = [], []
    for T in lengths:
        if T + 1 > P:
            raise ValueError(f"lengths: the model reads at most P={P} positions, got {T} + 1")
        _, cache = forward_cached(ids[:T], params)
        cached.append(_best(lambda: forward_cached(ids[T:T + 1], params, cache), repeats))
        full.append(_best(lambda: forward_cached(ids[:T + 1], params)[0][-1], repeats))
    return {"T": np.array(lengths), "KV cache": np.array(cached),
            "recompute the prefix": np.array(full)}


def _best(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def format_token_times(times):
    lines = [f"{'prefix':>7}{'KV cache (ms)':>16}{'recompute (ms)':>17}{'ratio':>8}"]
    for i, T in enumerate(times["T"]):
        c, f = times["KV cache"][i], times["recompute the prefix"][i]
        lines.append(f"{T:>7}{1e3 * c:>16.3f}{1e3 * f:>17.3f}{f / c:>8.1f}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- exposure bias

def mean_ci(values, z=1.96):
    """Mean and its normal-approximation 95% interval (n is in the hundreds here)."""
    values = np.asarray(values, dtype=float)
    half = z * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(values.mean() - half), float(values.mean() + half)


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
    """'higher', 'lower' or 'no detectable difference' for an interval of (model - data)."""
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return None


def describe_exposure_bias(results):
    """Sentences for the notebook, each bounded by its interval (no claim past a 95% CI)."""
    lines = []
    for row in results["rows"]:
        L = row["prefix_length"]
        d_mean, d_lo, d_hi = row["diff_kl"]
        r, r_lo, r_hi = row["ratio_kl"]
        way = _compare(d_lo, d_hi)
        if way is None:
            verdict = (f"no detectable difference: the gap (own minus data prefix) is "
                       f"{d_mean:+.4f} nats per token, 95% CI [{d_lo:+.4f}, {d_hi:+.4f}], which "
                       f"includes 0")
        else:
            verdict = (f"the continuation is further from the data after the model's own prefix "
                       f"by {d_mean:+.4f} nats per token, 95% CI [{d_lo:+.4f}, {d_hi:+.4f}]"
                       if way == "higher" else
                       f"the continuation is closer to the data after the model's own prefix, "
                       f"by {-d_mean:.4f} nats per token, 95% CI [{-d_hi:.4f}, {-d_lo:.4f}]")
        lines.append(f"L = {L:2d}: EB-M = {r:.3f} (95% CI {r_lo:.3f}-{r_hi:.3f}); {verdict}.")
    rows = results["rows"]
    above = [row["prefix_length"] for row in rows if row["ratio_kl"][1] > 1]
    below = [row["prefix_length"] for row in rows if row["ratio_kl"][2] < 1]
    n, k = results["n_prefixes"], len(rows)
    chance = 1 - 0.95 ** k
    listed = lambda lengths: ", ".join(map(str, lengths))  # noqa: E731
    draw = ("one draw of windows" if results.get("seed") is None else
            f"one draw of windows (seed {results['seed']})")
    over = f"In {draw}, over {n} prefixes per length"
    if not above and not below:
        lines.append(f"{over}, every interval includes EB-M = 1: these data "
                     f"show no measurable effect of the model's own prefix (an effect smaller "
                     f"than the intervals is not ruled out).")
    elif below and not above:
        lines.append(f"{over}, the model does measurably better after its "
                     f"own prefix at L = {listed(below)}; elsewhere the intervals include 1.")
    elif above and not below and len(above) == k:
        lines.append(f"{over}, the model's own prefix measurably worsens what follows at every "
                     f"length measured.")
    elif above and not below:
        others = [row["prefix_length"] for row in rows if row["prefix_length"] not in above]
        lines.append(f"{over}, the interval of EB-M lies above 1 at L = {listed(above)} only; "
                     f"at the other lengths the intervals include 1. With {k} intervals at 95%, "
                     f"at least one would miss 1 by chance with probability up to {chance:.0%} "
                     f"even with no effect anywhere. The honest reading: no measurable effect of "
                     f"the model's own prefix at L = {listed(others)}, and at L = {listed(above)} "
                     f"a hint, not yet an effect and not proof that errors grow with L.")
    else:
        lines.append(f"{over}, the effect is not one-directional: the model's own prefix hurts "
                     f"at L = {listed(above)} and helps at L = {listed(below)}.")
    lines.append("This is one draw of windows, not a measurement repeated over seeds: another "
                 "draw of the windows may not show the same, so no sentence above is a finding "
                 "until it holds over several seeds of the window sampling, each with its "
                 "interval.")
    return "\n".join(lines)


def plot_exposure_bias(results, ax=None):
    """EB-M(L) with its paired bootstrap 95% interval per prefix length: what the claim rests on.

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
    ax.errorbar(L, ratio, yerr=err, fmt="o-", capsize=3, label="EB-M = mean M|M / mean M|D")
    ax.axhline(1.0, color="gray", linestyle="--", linewidth=1, label="no effect (EB-M = 1)")
    ax.set_xlabel("prefix length L")
    ax.set_ylabel("EB-M (paired, bootstrap 95% CI)")
    ax.set_title(f"One draw of {results['n_prefixes']} prefixes (seed {results['seed']})")
    ax.legend()
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

#!/usr/bin/env python3
"""Measure exposure bias in notebook 07's tiny GPT with He et al. (2021)'s protocol.

    python scripts/lm_exposure_bias.py            # write data/experiments/lm_exposure_bias.json
    python scripts/lm_exposure_bias.py --check    # recompute, exit 1 if the file differs
    python scripts/lm_exposure_bias.py --seeds 7 8 --out /tmp/eb.json   # other draws of windows

For each prefix length L, N held-out windows of the validation text give two prefixes each:
the data's first L characters (M|D), and the model's own: the first ORDER + 1 data characters
followed by L - ORDER - 1 characters the model sampled (temperature 1) (M|M). From each prefix
the model samples a continuation of C characters (temperature 1, the reference `generate`
with its KV cache). At every continuation position we know both next-character distributions:
the model's (one teacher-forced pass over prefix + continuation) and the data's (the corpus's
source, tfcourse.char_corpus, which is exact). The per-token deviation is KL(P_data || P_model),
averaged over the continuation; EB-M(L) = mean over windows of M|M / mean of M|D (ratio of
means, paired bootstrap 95% interval), and the paired difference with a normal 95% interval.
Also recorded: the oracle NLL (-log P_data) of the continuation's characters.

Repeated over seeds: each seed draws its own N windows (and its own samples), so one seed is one
draw of the measurement. Per seed and length the file keeps the intervals over its N prefixes
(`per_seed`); per length, `rows` pools the prefixes of all seeds (intervals over S * N
prefixes, independent windows) and adds intervals over seeds: the seeds' EB-M and paired
difference, mean and Student-t 95% interval over the S seeds, and how many seeds' own interval
lies above or below 1.

Deterministic: seeded, one BLAS thread. About 50 s of CPU per seed (6 seeds took 5 min of CPU
here); with --raw-dir, run each seed as its own process, then all seeds at once to pool them.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solutions.lm import generate  # noqa: E402
from tfcourse.char_corpus import ORDER, char_source, load_corpus  # noqa: E402
from solutions.tiny_gpt import gpt_forward  # noqa: E402
from tfcourse.gpt import load_gpt  # noqa: E402
from tfcourse.lm_measure import RESULTS, mean_ci, ratio_ci, seeds_ci  # noqa: E402
from tfcourse.reproduce import made_by, record  # noqa: E402

OUT = ROOT / "data" / "experiments" / RESULTS
SETTINGS = dict(prefix_lengths=[8, 16, 32, 48], n_prefixes=1000, continuation_length=16,
                seeds=list(range(8)))
MADE_BY = "python scripts/lm_exposure_bias.py"


def deviations(params, source, prefixes, continuation_length, rng):
    """(KL per window, oracle NLL per window) of a sampled continuation of each prefix (N, L)."""
    L = prefixes.shape[1]
    cont = generate(params, prefixes, continuation_length, temperature=1.0, rng=rng)
    seq = np.concatenate([prefixes, cont], axis=1)
    logits = gpt_forward(seq[:, :-1], params)[:, L - 1:, :]       # rows that chose cont
    logp_model = logits - logits.max(-1, keepdims=True)
    logp_model -= np.log(np.exp(logp_model).sum(-1, keepdims=True))
    p_data = np.stack([source.next_probs(seq[:, :L + c]) for c in range(continuation_length)], 1)
    kl = np.sum(p_data * (np.log(p_data) - logp_model), axis=-1)   # (N, C)
    oracle_nll = -np.log(np.take_along_axis(p_data, cont[..., None], -1)[..., 0])
    return kl.mean(axis=1), oracle_nll.mean(axis=1)


def measure_seed(params, source, val, prefix_lengths, n_prefixes, continuation_length, seed):
    """One draw of windows: {L: (kl_m, kl_d, nll_m, nll_d, prefix NLLs)} per window, seeded."""
    rng = np.random.default_rng(seed)
    P = params["wpe"].shape[0]
    raw = {}
    for L in prefix_lengths:
        if L + continuation_length > P + 1:
            raise ValueError(f"prefix_lengths: L + continuation must fit the model's {P} positions")
        starts = rng.integers(0, len(val) - L, size=n_prefixes)
        data_prefix = np.stack([val[s:s + L] for s in starts])
        prompt = data_prefix[:, :ORDER + 1]
        own = generate(params, prompt, L - ORDER - 1, temperature=1.0, rng=rng)
        model_prefix = np.concatenate([prompt, own], axis=1)
        kl_d, nll_d = deviations(params, source, data_prefix, continuation_length, rng)
        kl_m, nll_m = deviations(params, source, model_prefix, continuation_length, rng)
        raw[L] = {"kl_m": kl_m, "kl_d": kl_d, "nll_m": nll_m, "nll_d": nll_d,
                  "own": source.nll(model_prefix).mean(axis=1),
                  "data": source.nll(data_prefix).mean(axis=1)}
    return raw


def summarize(L, kl_m, kl_d, nll_m, nll_d, own, data):
    """The intervals over the windows given (one seed's, or all seeds' pooled)."""
    return {"prefix_length": L,
            "kl_data_prefix": mean_ci(kl_d), "kl_model_prefix": mean_ci(kl_m),
            "diff_kl": mean_ci(kl_m - kl_d), "ratio_kl": ratio_ci(kl_m, kl_d, seed=L),
            "oracle_nll_data_prefix": mean_ci(nll_d), "oracle_nll_model_prefix": mean_ci(nll_m),
            "oracle_nll_of_own_prefix": mean_ci(own), "oracle_nll_of_data_prefix": mean_ci(data)}


def _rounded(row):
    return {k: (np.round(v, 12).tolist() if k != "prefix_length" else v) for k, v in row.items()}


def run(prefix_lengths, n_prefixes, continuation_length, seeds, progress=None, raw_dir=None):
    """The results over `seeds`. raw_dir: a folder that keeps each seed's per-window numbers
    (seed<k>.npz, for these settings), so that seeds can run as separate processes and one
    last run pools them; a seed found there is read, not recomputed."""
    params, _ = load_gpt()
    source = char_source()
    val = source.encode(load_corpus("val"))
    draws = []
    for seed in seeds:
        path = None if raw_dir is None else Path(raw_dir) / (
            f"seed{seed}_L{'-'.join(map(str, prefix_lengths))}_N{n_prefixes}_C{continuation_length}.npz")
        if path is not None and path.is_file():
            with np.load(path) as stored:
                draws.append({L: {key.split(":")[1]: stored[key] for key in stored.files
                                  if key.startswith(f"{L}:")} for L in prefix_lengths})
        else:
            draws.append(measure_seed(params, source, val, prefix_lengths, n_prefixes,
                                      continuation_length, seed))
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(path, **{f"{L}:{key}": value for L, raw in draws[-1].items()
                                  for key, value in raw.items()})
        if progress:
            progress(seed)
    per_seed = [{"seed": seed, "rows": [_rounded(summarize(L, **raw[L])) for L in prefix_lengths]}
                for seed, raw in zip(seeds, draws)]
    rows = []
    for i, L in enumerate(prefix_lengths):
        pooled = {key: np.concatenate([raw[L][key] for raw in draws]) for key in draws[0][L]}
        row = summarize(L, **pooled)
        seed_rows = [entry["rows"][i] for entry in per_seed]
        row["ratio_kl_over_seeds"] = seeds_ci([r["ratio_kl"][0] for r in seed_rows])
        row["diff_kl_over_seeds"] = seeds_ci([r["diff_kl"][0] for r in seed_rows])
        row["seeds_ratio_above_1"] = sum(r["ratio_kl"][1] > 1 for r in seed_rows)
        row["seeds_ratio_below_1"] = sum(r["ratio_kl"][2] < 1 for r in seed_rows)
        rows.append(_rounded(row))
    return {"generated_by": made_by(MADE_BY), "protocol": "He et al. 2021, "
            "EB-M with f = KL(P_data || P_model) per token, exact P_data",
            "prefix_lengths": list(prefix_lengths), "n_prefixes": n_prefixes,
            "continuation_length": continuation_length, "seeds": list(seeds),
            "rows": rows, "per_seed": per_seed}


def render(results):
    return json.dumps(results, indent=1, sort_keys=True) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="recompute and compare, write nothing")
    parser.add_argument("--seeds", type=int, nargs="+", default=SETTINGS["seeds"],
                        help="seeds of the window sampling, one draw of N windows each")
    parser.add_argument("--raw-dir", type=Path, help="keep (and reuse) each seed's per-window "
                        "numbers here: run seeds as parallel processes, then all of them at once")
    args = parser.parse_args(argv)
    settings = dict(SETTINGS, seeds=args.seeds)
    text = render(run(**settings, raw_dir=args.raw_dir,
                      progress=lambda seed: print(f"seed {seed} done", file=sys.stderr, flush=True)))
    if args.check:
        if not args.out.is_file() or args.out.read_text() != text:
            print(f"{args.out} is not what the script computes now; rerun it")
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    record(args.out, MADE_BY)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Measure exposure bias in notebook 07's tiny GPT with He et al. (2021)'s protocol.

    python scripts/lm_exposure_bias.py            # write data/experiments/lm_exposure_bias.json
    python scripts/lm_exposure_bias.py --check    # recompute, exit 1 if the file differs

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

Deterministic: seeded, one BLAS thread. A minute or two on one free core.
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
from tfcourse.lm_measure import RESULTS, mean_ci, ratio_ci  # noqa: E402
from tfcourse.reproduce import made_by, record  # noqa: E402

OUT = ROOT / "data" / "experiments" / RESULTS
SETTINGS = dict(prefix_lengths=[8, 16, 32, 48], n_prefixes=1000, continuation_length=16, seed=0)
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


def run(prefix_lengths, n_prefixes, continuation_length, seed):
    params, _ = load_gpt()
    source = char_source()
    val = source.encode(load_corpus("val"))
    rng = np.random.default_rng(seed)
    P = params["wpe"].shape[0]
    rows = []
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
        rows.append({"prefix_length": L,
                     "kl_data_prefix": mean_ci(kl_d), "kl_model_prefix": mean_ci(kl_m),
                     "diff_kl": mean_ci(kl_m - kl_d), "ratio_kl": ratio_ci(kl_m, kl_d, seed=L),
                     "oracle_nll_data_prefix": mean_ci(nll_d),
                     "oracle_nll_model_prefix": mean_ci(nll_m),
                     "oracle_nll_of_own_prefix": mean_ci(source.nll(model_prefix).mean(axis=1)),
                     "oracle_nll_of_data_prefix": mean_ci(source.nll(data_prefix).mean(axis=1))})
    return {"generated_by": made_by(MADE_BY), "protocol": "He et al. 2021, "
            "EB-M with f = KL(P_data || P_model) per token, exact P_data",
            "prefix_lengths": list(prefix_lengths), "n_prefixes": n_prefixes,
            "continuation_length": continuation_length, "seed": seed,
            "rows": [{k: (np.round(v, 12).tolist() if k != "prefix_length" else v)
                      for k, v in row.items()} for row in rows]}


def render(results):
    return json.dumps(results, indent=1, sort_keys=True) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="recompute and compare, write nothing")
    args = parser.parse_args(argv)
    text = render(run(**SETTINGS))
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

#!/usr/bin/env python3
"""Run the exposure-bias experiment of notebook 05 and print its table (seeded, reproducible).

    python scripts/exposure_bias.py                  # the notebook's settings, one seed
    python scripts/exposure_bias.py --seeds 0 1 2    # several seeds: mean and spread per regime
    python scripts/exposure_bias.py --steps 2000     # a longer run than the notebook can afford

Trains the same GRU encoder-decoder (solutions/experiment.py SETTINGS) under teacher forcing,
always sampling, uniform sampling_prob 0.5 and scheduled sampling with each of the three
decays, and reports the free-running exact match and token accuracy on the test split.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only add overhead
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solutions.experiment import SETTINGS, run, table  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[SETTINGS["seed"]])
    parser.add_argument("--steps", type=int, default=SETTINGS["n_steps"])
    parser.add_argument("--task", default=SETTINGS["task"])
    parser.add_argument("--quiet", action="store_true", help="no per-step progress lines")
    args = parser.parse_args(argv)
    settings = dict(SETTINGS, n_steps=args.steps, task=args.task)
    started = time.perf_counter()
    per_seed = []
    for seed in args.seeds:
        settings["seed"] = seed
        print(f"== seed {seed}: {settings}", flush=True)
        results = run(**settings, print_fn=None if args.quiet else print)
        print(table(results), flush=True)
        per_seed.append(results)
    if len(per_seed) > 1:
        print(f"\nover seeds {args.seeds}: test exact match, mean (min .. max)")
        for name in per_seed[0]:
            values = np.array([r[name].test_exact for r in per_seed])
            print(f"  {name:28s} {values.mean():.3f} ({values.min():.3f} .. {values.max():.3f})")
    print(f"total {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()

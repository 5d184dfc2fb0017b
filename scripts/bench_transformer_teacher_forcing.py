#!/usr/bin/env python3
"""Print how much slower step-by-step decoding is than one teacher-forced pass, as T grows.

    .venv/bin/python scripts/bench_transformer_teacher_forcing.py [--lengths 8 16 ...] [--repeats 5]

Three ways to get the T logits of the reference one-block decoder (solutions/transformer.py),
fed the true inputs: one causal pass over the whole sequence (training with teacher forcing);
T passes, each recomputing the whole prefix (generation without a cache); T passes of one
row each with a KV cache (generation as libraries do it). All three give the same logits
(tests/test_transformer.py); this script prints what they cost.
"""
import argparse
import os
import sys

# One BLAS thread, set before numpy loads: the figures then measure the algorithms, not how
# OpenBLAS threads fight other processes for the cores (with 2 threads on a busy 2-core machine
# single runs were 40x slower at random). Override by setting the variable yourself.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from solutions import (transformer_decoder_forward, transformer_decoder_kv_cache,  # noqa: E402
                       transformer_decoder_step_by_step)
from tfcourse.transformer_bench import format_times, time_decoding  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--V", type=int, default=32)
    parser.add_argument("--D", type=int, default=32)
    args = parser.parse_args(argv)
    decoders = {"one pass": transformer_decoder_forward,
                "step by step": transformer_decoder_step_by_step,
                "KV cache": transformer_decoder_kv_cache}
    times = time_decoding(decoders, args.lengths, V=args.V, D=args.D, repeats=args.repeats)
    print(f"One-block decoder, V={args.V}, D={args.D}, d_k=d_v=16, best of {args.repeats} runs, "
          f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(format_times(times, "one pass"))
    # Fit time ~ T^p on the longer half of the lengths to show the growth rate.
    half = len(times["T"]) // 2
    for name in decoders:
        p = np.polyfit(np.log(times["T"][half:]), np.log(times[name][half:]), 1)[0]
        print(f"{name}: time grows like T^{p:.2f} over T = {times['T'][half]}..{times['T'][-1]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Time one new token of notebook 07's tiny GPT with a KV cache against recomputing the prefix.

    python scripts/bench_kv_cache.py [--rounds 41] [--reruns 6]

Prints, for prefixes of growing length, the work each way (positions fed, multiply-adds: exact)
and the time: the median of `rounds` paired rounds each way and the median time ratio with its
95% interval (tfcourse.lm_measure), BLAS pinned to one thread (tfcourse.blas). Then it reruns the
notebook's own measurement (15 rounds) `reruns` times with BLAS pinned and as it comes, and
prints the median ratio at the longest prefix of each rerun: how much the pinning matters.
Figures only; no test times anything.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solutions.tiny_gpt import gpt_forward_cached  # noqa: E402
from tfcourse.blas import blas_threads  # noqa: E402
from tfcourse.gpt import load_gpt  # noqa: E402
from tfcourse.lm_measure import (format_token_times, time_per_new_token, token_time_rows,  # noqa: E402
                                 work_per_new_token)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--reruns", type=int, default=6)
    args = parser.parse_args(argv)
    params, _ = load_gpt()
    lengths = (1, 4, 8, 16, 32, 63)
    times = time_per_new_token(gpt_forward_cached, params, lengths, rounds=args.rounds)
    print(f"{args.rounds} rounds, BLAS threads while timing: {times['blas_threads']}")
    print(format_token_times(times, work_per_new_token(params, lengths)))
    print(f"\nthe notebook's measurement (15 rounds), rerun {args.reruns} times; median ratio "
          f"[95% CI] after a prefix of 63 (BLAS threads by default here: {blas_threads()})")
    for one_thread in (True, False):
        ratios = [token_time_rows(time_per_new_token(gpt_forward_cached, params, (1, 16, 63),
                                                     one_thread=one_thread))[-1][3]
                  for _ in range(args.reruns)]
        shown = ", ".join(f"{r:.1f} [{lo:.1f}, {hi:.1f}]" for r, lo, hi in ratios)
        print(f"{'one BLAS thread' if one_thread else 'BLAS as it comes':>17}: {shown}")


if __name__ == "__main__":
    main()

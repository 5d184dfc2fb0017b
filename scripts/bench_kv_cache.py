#!/usr/bin/env python3
"""Time one new token of notebook 07's tiny GPT with a KV cache against recomputing the prefix.

    python scripts/bench_kv_cache.py

Prints, for prefixes of growing length, the best of 50 runs of each way to get the next
token's logits (tfcourse.lm_measure.time_per_new_token) and their ratio. One BLAS thread.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solutions.tiny_gpt import gpt_forward_cached  # noqa: E402
from tfcourse.gpt import load_gpt  # noqa: E402
from tfcourse.lm_measure import format_token_times, time_per_new_token  # noqa: E402


def main():
    params, _ = load_gpt()
    print(format_token_times(time_per_new_token(gpt_forward_cached, params, lengths=(1, 4, 8, 16, 32, 63), repeats=50)))


if __name__ == "__main__":
    main()

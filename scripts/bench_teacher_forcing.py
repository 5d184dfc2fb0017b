#!/usr/bin/env python3
"""Print what hoisting the input projection out of the loop saves a teacher-forced decoder.

    .venv/bin/python scripts/bench_teacher_forcing.py [--lengths 10 50 200 1000] [--repeats 11]

With teacher forcing every input [start, target_seq[:-1]] is known before the first step, so
all T input projections x_t @ W_x + b are one (T, D) @ (D, G*H) matrix product and only the
recurrence h_{t-1} -> h_t runs step by step. Three ways to get the same T logits:

    hoisted      one product, then the loop over notebook 05's cells (solutions/backprop.py),
                 as solutions.seq2seq.decoder_forward_teacher_forcing_cache runs them
    step loop    solutions.decoder_forward_teacher_forcing, notebook 02's reference: a plain
                 loop calling the public rnn_step / lstm_step / gru_step each step, as a
                 student writes it (each call also validates its arguments)
    cell loop    the same loop over the unvalidated cell code, projecting one row per step:
                 the hoist alone, without the per-call validation

The script checks that the three agree before timing. Times are the median of --repeats runs,
the three variants taking turns within each run.
"""
import argparse
import os
import sys
import time

# One BLAS thread, set before numpy loads, so the figures measure the algorithms rather than
# how OpenBLAS threads compete with other processes for a small machine's cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from solutions import decoder_forward_teacher_forcing  # noqa: E402
from solutions.backprop import cell_forward, input_projection  # noqa: E402
from tfcourse.contract import check_decoder_params  # noqa: E402
from tfcourse.params import random_decoder_params  # noqa: E402

CELL_TYPES = ("rnn", "lstm", "gru")


def _cells(h0, inputs, xw_of, params, cell_type):
    """Run the cell over the inputs, xw_of(t) giving step t's input projection; return logits."""
    hidden = np.empty((len(inputs), len(h0)))
    state = (h0, np.zeros_like(h0)) if cell_type == "lstm" else h0
    for t, x in enumerate(inputs):
        hidden[t], state, _ = cell_forward(xw_of(t), x, state, params, cell_type)
    return hidden @ params["W_y"] + params["b_y"]


def hoisted(h0, target_seq, params, cell_type):
    """Teacher forcing with every input projection computed in one product before the loop."""
    params = check_decoder_params(params, cell_type)
    inputs = np.vstack([params["start"], target_seq[:-1]])
    xw = input_projection(inputs, params, cell_type)
    return _cells(h0, inputs, xw.__getitem__, params, cell_type)


def cell_loop(h0, target_seq, params, cell_type):
    """Teacher forcing with the unvalidated cell code, projecting one input row per step."""
    inputs = np.vstack([params["start"], target_seq[:-1]])
    return _cells(h0, inputs, lambda t: input_projection(inputs[t], params, cell_type), params,
                  cell_type)


VARIANTS = {"hoisted": hoisted, "step loop": decoder_forward_teacher_forcing,
            "cell loop": cell_loop}


def median_times(functions, args, repeats):
    """Median wall-clock seconds of `repeats` calls fn(*args), for each fn in `functions`.

    The functions take turns within each repeat, so a burst of load from other processes
    slows all of them alike instead of whichever happened to be running.
    """
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn(*args)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 50, 200, 1000])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--D", type=int, default=32, help="input (embedding) size")
    parser.add_argument("--H", type=int, default=64, help="hidden size")
    parser.add_argument("--V", type=int, default=32, help="vocabulary size")
    args = parser.parse_args(argv)

    print(f"Teacher-forced forward pass, D={args.D}, H={args.H}, V={args.V}, median of "
          f"{args.repeats} runs, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    header = (f"{'cell':>5} {'T':>6}" + "".join(f"{name + ' ms':>14}" for name in VARIANTS)
              + f"{'step loop/hoisted':>19}{'cell loop/hoisted':>19}")
    print(header)
    rng = np.random.default_rng(0)
    for cell_type in CELL_TYPES:
        params = random_decoder_params(cell_type, args.D, args.H, args.V, rng=rng)
        for T in args.lengths:
            h0 = rng.uniform(-1, 1, args.H)
            target_seq = params["embedding"][rng.integers(args.V, size=T)]
            call = (h0, target_seq, params, cell_type)
            want = decoder_forward_teacher_forcing(*call)
            for name, fn in VARIANTS.items():
                if not np.allclose(fn(*call), want, rtol=0, atol=1e-10):
                    sys.exit(f"{name} disagrees with the reference decoder ({cell_type}, T={T})")
            ms = {name: 1e3 * t for name, t in median_times(VARIANTS, call, args.repeats).items()}
            print(f"{cell_type:>5} {T:>6}" + "".join(f"{ms[name]:>14.3f}" for name in VARIANTS)
                  + f"{ms['step loop'] / ms['hoisted']:>18.1f}x"
                  + f"{ms['cell loop'] / ms['hoisted']:>18.1f}x")


if __name__ == "__main__":
    main()

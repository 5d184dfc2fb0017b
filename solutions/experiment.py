"""The exposure-bias experiment: one seq2seq model trained under six input regimes.

    (a) teacher forcing            sampling_prob = 0 throughout
    (b) always sampling            sampling_prob = 1 (free running during training)
    (c) uniform sampling           sampling_prob = 0.5 throughout
    (d) scheduled sampling         sampling_prob = 1 - eps_i, eps_i one of Bengio et al.'s
                                   three decays (linear, exponential, inverse sigmoid),
                                   each tuned to pass eps = 0.5 halfway through training

Every regime starts from the same initial parameters and sees the same batches in the
same order (same seeds); only the decoder's inputs differ. Evaluation is always greedy
free running, the way the model is used.
"""
import math
import time
from typing import NamedTuple

import numpy as np

from solutions.schedules import exponential_schedule, inverse_sigmoid_schedule, linear_schedule
from solutions.training import (accuracy, init_model, predict, teacher_forced_accuracy, train)
from tfcourse.datasets import batch_pairs, load_task, load_vocab

# Sizes that train each regime in a few seconds on one CPU core (see scripts/exposure_bias.py).
SETTINGS = dict(task="reverse", cell_type="gru", D=16, H=64, n_steps=700, lr=0.02, batch_size=32,
                eval_every=50, seed=0)


def schedules(n_steps):
    """The three decays of eps_i (probability of the true token), each 0.5 at n_steps / 2."""
    half = n_steps / 2
    k_sigmoid = _inverse_sigmoid_k(half)
    return {
        "linear": lambda i: linear_schedule(i, 1.0, 1.0 / n_steps, 0.0),
        "exponential": lambda i: exponential_schedule(i, 0.5 ** (1.0 / half)),
        "inverse sigmoid": lambda i: inverse_sigmoid_schedule(i, k_sigmoid),
    }


def _inverse_sigmoid_k(half):
    """The k >= 1 with k / (k + exp(half / k)) = 0.5, i.e. k ln k = half (by bisection)."""
    low, high = 1.0, max(2.0, half)
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if mid * math.log(mid) < half else (low, mid)
    return (low + high) / 2


def regimes(n_steps):
    """Regime name -> sampling_prob (a number, or a function of the step i)."""
    out = {"teacher forcing": 0.0, "always sampling": 1.0, "uniform 0.5": 0.5}
    for name, eps in schedules(n_steps).items():
        out[f"scheduled ({name})"] = (lambda e: lambda i: 1.0 - e(i))(eps)
    return out


class Result(NamedTuple):
    """One regime's outcome: its training Log, and on the test set free-running exact match,
    free-running token accuracy, teacher-forced token accuracy, and free-running accuracy by
    output position (T,)."""
    log: object
    test_exact: float
    test_token: float
    test_token_teacher: float
    test_by_position: np.ndarray
    seconds: float


def load_splits(task):
    """The task's train, val and test Batches (padded ids and masks) and its Vocab."""
    vocab = load_vocab(task)
    return {split: batch_pairs(load_task(task, split), vocab)
            for split in ("train", "val", "test")}, vocab


def run(task, cell_type, D, H, n_steps, lr, batch_size, eval_every, seed, only=None,
        print_fn=print):
    """Train one model per regime (or those named in `only`); return {name: Result}."""
    data, vocab = load_splits(task)
    results = {}
    for name, sampling_prob in regimes(n_steps).items():
        if only is not None and name not in only:
            continue
        if print_fn is not None:
            print_fn(f"-- {name}")
        started = time.perf_counter()
        model = init_model(cell_type, len(vocab), D, H, rng=seed)
        log = train(model, data["train"], data["val"], cell_type, n_steps, sampling_prob,
                    batch_size=batch_size, lr=lr, seed=seed, eval_every=eval_every,
                    log_every=max(n_steps // 4, 1), print_fn=print_fn)
        test = data["test"]
        exact, token, by_position = accuracy(predict(model, test, cell_type), test.target,
                                             test.target_mask)
        _, token_teacher, _ = teacher_forced_accuracy(model, test, cell_type)
        results[name] = Result(log, exact, token, token_teacher, by_position,
                               time.perf_counter() - started)
    return results


def table(results):
    """A Markdown table of the results, one row per regime."""
    rows = ["| regime | final train loss | val exact (free running) | test exact | "
            "test token acc. (free running) | test token acc. (teacher forced) |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name, r in results.items():
        rows.append(f"| {name} | {np.mean(r.log.loss[-50:]):.3f} | {r.log.val_exact[-1]:.3f} | "
                    f"{r.test_exact:.3f} | {r.test_token:.3f} | {r.test_token_teacher:.3f} |")
    return "\n".join(rows)

"""The exposure-bias experiment of 03_free_running_and_exposure_bias and
05_training_with_teacher_forcing, as a command you can run yourself.

    python -m tfcourse.exposure_bias --backend PATH --seeds 0 --steps 1000 --out my_run.npz

Trains a GRU encoder-decoder on the `keysum` task (20 output digits, each the previous one plus
a key digit) under six input regimes, several seeds each, each run until its validation loss
plateaus (the criterion is plateaued(); --steps is the cap, and a run that reaches it says so in
the log's `plateaued`), and measures every trained model three ways on the test split:
  1. the recovery curve: teacher-forced, one fed token corrupted at position k, the error rate at
     k+1, k+2, ... minus the uncorrupted run's (the causal "I am learning" test);
  2. the exposure-bias gap: accuracy and NLL at each position, teacher-forced vs free running,
     with the number of sequences behind each position;
  3. the training claims: validation loss curves, the step at which each run first reaches a
     loss level, and their spread across seeds.
It writes the logs to an .npz file (read it with tfcourse.exposure_logs) and the command and the
numpy/BLAS/Python versions that made it to a .versions.json file beside it.

The backend. Everything the experiment computes that is an exercise of the course (the loss,
the decoders, the backward pass, the schedules, the recovery curve) comes from the backend
module named by --backend, never from this file: a path to a .py file is your own module (in
the folder of 05_training_with_teacher_forcing: `from given import *` and your
masked_cross_entropy, decoder_forward_teacher_forcing_cache and
decoder_backward_teacher_forcing); `given` is the given.py of the folder you run in, which no
release ships complete (the loss is an exercise); `solutions` works only in the course
repository, for instructors (it made the logged run).
A backend may also define the batched decoder_forward_sampling_cache and greedy_decode, which
make training faster; without them, the sampling regimes replay each sequence's coins
(one rng.random() per step t >= 1, as the contract says) to recover the tokens it fed.

The model is a GRU decoder whose initial state is tanh(sum of a learned vector per (source
position, source token)): a bag-of-positions encoder with a one-line gradient, so that no
recurrent backward pass other than the backend's is needed.
"""
import argparse
import importlib
import importlib.util
import math
import sys
import time
from pathlib import Path

import numpy as np

from tfcourse import reproduce
from tfcourse.datasets import PAD, batch_pairs, load_task, load_vocab
from tfcourse.params import random_decoder_params
from tfcourse.training import Adam

# Training stops on the plateau criterion, not after a fixed budget: every eval_every steps the
# validation loss is measured; the step size halves when the best of the last `patience`
# evaluations is not LR_MIN_GAIN (relative) below the best before; the run stops, at
# schedule_steps or later, when plateaued() holds over the last plateau_window evaluations, or at
# max_steps, and then says it hit the cap (the log's `plateaued` is False). lr 0.04 with a fixed
# 4000-step budget diverged; 0.02 with a linear decay did not plateau in 4000 steps (measured in
# the course repository).
SETTINGS = dict(task="keysum", D=16, H=64, max_steps=10000, schedule_steps=4000, lr=0.01,
                batch_size=32, eval_every=100, patience=5, plateau_window=10, loss_level=0.1,
                corrupt_at=(1, 5, 11, 17))
SEEDS = (0, 1, 2, 3, 4)
REGIMES = ("teacher forcing", "always sampling", "uniform 0.5", "scheduled (linear)",
           "scheduled (exponential)", "scheduled (inverse sigmoid)")
REQUIRED = ("masked_cross_entropy", "decoder_forward_teacher_forcing_cache",
            "decoder_backward_teacher_forcing",
            "decoder_forward_scheduled_sampling", "decoder_forward_free_running",
            "linear_schedule", "exponential_schedule", "inverse_sigmoid_schedule")
# Optional: without recovery_curve the recovery curves are logged as NaN (and the run says so).
FAST = ("decoder_forward_sampling_cache", "greedy_decode")
OPTIONAL = FAST + ("recovery_curve",)
BACKENDS = {"solutions": ("solutions", "solutions.seq2seq")}
# A run has plateaued when the best validation loss of its last plateau_window evaluations is
# within PLATEAU_REL (relative) + PLATEAU_ABS (nats) of its best before them.
PLATEAU_REL, PLATEAU_ABS = 0.05, 0.002
LR_MIN_GAIN, LR_FACTOR = 0.01, 0.5
CELL = "gru"


# ----------------------------------------------------------------------------- backend

class Backend:
    """The course functions the experiment calls, looked up in modules in order."""

    def __init__(self, spec, modules):
        self.spec = spec
        missing = []
        for name in REQUIRED + OPTIONAL:
            found = next((getattr(m, name) for m in modules if hasattr(m, name)), None)
            setattr(self, name, found)
            if found is None and name in REQUIRED:
                missing.append(name)
        if missing:
            raise ValueError(f"backend: {spec!r} lacks {', '.join(missing)}; expected a module "
                             f"defining {', '.join(REQUIRED)} (run in the folder of a release that "
                             f"ships them in given.py, or pass your own .py file)")
        self.fast = all(getattr(self, name) is not None for name in FAST)


def load_backend(spec):
    """A Backend from 'solutions', 'given' (given.py of the working directory) or a .py path."""
    if not isinstance(spec, str):
        raise ValueError(f"backend: expected a module name or a .py path, got {spec!r}")
    if spec.endswith(".py"):
        path = Path(spec).resolve()
        if not path.is_file():
            raise ValueError(f"backend: no file {path}")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return Backend(spec, [module])
    if spec not in BACKENDS:
        sys.path.insert(0, str(Path.cwd()))
    try:
        modules = [importlib.import_module(name) for name in BACKENDS.get(spec, (spec,))]
    except ImportError as error:
        raise ValueError(f"backend: cannot import {spec!r} ({error}); pass the path of a .py file "
                         f"of your own that defines them") from None
    return Backend(spec, modules)


# ----------------------------------------------------------------------------- model

def init_model(V, S, D, H, rng):
    """Random parameters: encoder E (S*V, H), b (H,); a GRU decoder in the contract's layout."""
    encoder = {"E": rng.normal(scale=1.0 / math.sqrt(S), size=(S * V, H)), "b": np.zeros(H)}
    return {"encoder": encoder, "decoder": random_decoder_params(CELL, D, H, V, rng)}


def encode(encoder, source, source_mask):
    """Context vectors (B, H) = tanh(b + sum over real positions j of E[j*V + source[:, j]]),
    and the rows used (B, S) for the gradient."""
    V = encoder["E"].shape[0] // source.shape[1]
    rows = np.arange(source.shape[1]) * V + source
    pre = encoder["b"] + np.sum(encoder["E"][rows] * source_mask[..., None], axis=1)
    return np.tanh(pre), rows


def encoder_grads(encoder, rows, source_mask, context, dcontext):
    dpre = dcontext * (1.0 - context ** 2)
    dE = np.zeros_like(encoder["E"])
    np.add.at(dE, rows[source_mask], np.repeat(dpre, source_mask.sum(axis=1), axis=0))
    return {"E": dE, "b": dpre.sum(axis=0)}


def sampling_forward(backend, context, target, dec, sampling_prob, rng):
    """Scheduled-sampling forward with a cache: (logits, cache, fed_ids (B, T-1))."""
    if backend.fast:
        return backend.decoder_forward_sampling_cache(context, target, dec, sampling_prob, CELL, rng)
    B, T = target.shape
    fed = np.empty((B, T - 1), dtype=np.int64)
    for i in range(B):
        seed = int(rng.integers(2 ** 63))
        logits = backend.decoder_forward_scheduled_sampling(
            context[i], dec["embedding"][target[i]], dec, sampling_prob, CELL,
            np.random.default_rng(seed))
        coins = np.random.default_rng(seed).random(T - 1)  # the same draws, replayed
        fed[i] = np.where(coins < sampling_prob, np.argmax(logits[:-1], axis=1), target[i, :-1])
    inputs = np.concatenate([fed, target[:, -1:]], axis=1)  # the last row is never fed
    logits, cache = backend.decoder_forward_teacher_forcing_cache(context, dec["embedding"][inputs],
                                                                  dec, CELL)
    return logits, cache, fed


def train_step(backend, model, batch, sampling_prob, rng):
    """Loss and gradients of one batch; the fed tokens' embedding rows collect their gradient."""
    context, rows = encode(model["encoder"], batch.source, batch.source_mask)
    dec = model["decoder"]
    if sampling_prob == 0.0:
        fed = batch.target[:, :-1]
        logits, cache = backend.decoder_forward_teacher_forcing_cache(
            context, dec["embedding"][batch.target], dec, CELL)
    else:
        logits, cache, fed = sampling_forward(backend, context, batch.target, dec, sampling_prob,
                                              rng)
    loss, dlogits = backend.masked_cross_entropy(logits, batch.target, batch.target_mask)
    dcontext, dfed, ddec = backend.decoder_backward_teacher_forcing(dlogits, cache)
    ddec = {key: np.array(value, dtype=np.float64) for key, value in ddec.items()}
    np.add.at(ddec["embedding"], fed, dfed[:, :-1])
    return loss, {"encoder": encoder_grads(model["encoder"], rows, batch.source_mask, context,
                                           dcontext), "decoder": ddec}


def free_running_logits(backend, context, dec, T):
    if backend.fast:
        return backend.greedy_decode(context, dec, T, CELL)[1]
    return np.stack([backend.decoder_forward_free_running(c, dec, T, CELL) for c in context])


def teacher_forced_logits(backend, context, target, dec):
    return backend.decoder_forward_teacher_forcing_cache(context, dec["embedding"][target], dec,
                                                         CELL)[0]


# ----------------------------------------------------------------------------- measurements

def per_position(backend, logits, target, mask):
    """Accuracy (T,) and mean NLL (T,) at each position over the sequences that reach it.

    The NLL at position t is the backend's masked cross-entropy with only position t counted:
    the course computes no loss of its own, since the loss is an exercise (a tfcourse function
    that scored tokens would answer it)."""
    n = np.maximum(mask.sum(axis=0), 1)
    correct = (logits.argmax(axis=-1) == target) & mask
    at = np.arange(target.shape[1])
    nll = [backend.masked_cross_entropy(logits, target, mask & (at == t))[0] for t in at]
    return correct.sum(axis=0) / n, np.array(nll)


def exact_match(logits, target, mask):
    return float(np.mean(np.all((logits.argmax(axis=-1) == target) | ~mask, axis=1)))


def corrupting_ids(true_ids, V, n_special, rng):
    """For each true token (N,), a different non-special token drawn uniformly."""
    n = V - n_special
    return n_special + (true_ids - n_special + rng.integers(1, n, size=len(true_ids))) % n


def measure(backend, model, split, corrupt_at, seed):
    """The test-split measurements of one trained model (a dict of arrays)."""
    dec = model["decoder"]
    context, _ = encode(model["encoder"], split.source, split.source_mask)
    target, mask = split.target, split.target_mask
    T, V = target.shape[1], dec["W_y"].shape[1]
    tf = teacher_forced_logits(backend, context, target, dec)
    fr = free_running_logits(backend, context, dec, T)
    out = {"count": mask.sum(axis=0)}
    out["tf_acc"], out["tf_nll"] = per_position(backend, tf, target, mask)
    out["fr_acc"], out["fr_nll"] = per_position(backend, fr, target, mask)
    out["tf_exact"], out["fr_exact"] = exact_match(tf, target, mask), exact_match(fr, target, mask)
    rng = np.random.default_rng([seed, 2])
    recovery = np.full((len(corrupt_at), T), np.nan)
    for j, k in enumerate(corrupt_at if backend.recovery_curve is not None else ()):
        wrong = corrupting_ids(target[:, k], V, 3, rng)
        curve = backend.recovery_curve(context, target, dec, k, wrong, CELL)
        recovery[j, :len(curve)] = curve
    out["recovery"] = recovery   # row j, column d-1: excess error at position corrupt_at[j] + d
    return out


def plateaued(val_loss, window):
    """The plateau criterion (PLATEAU_*) on one run's validation-loss curve (NaN after a run
    stopped is ignored): the best of the last `window` evaluations is neither lower nor higher
    than the best before them by more than the tolerance; False while there are not more than
    `window` evaluations."""
    val_loss = np.asarray(val_loss, dtype=float)
    val_loss = val_loss[~np.isnan(val_loss)]
    if len(val_loss) <= window:
        return False
    before, late = np.min(val_loss[:-window]), np.min(val_loss[-window:])
    # Symmetric: a loss that rose above its earlier best (a divergence) is not a plateau either.
    return bool(abs(before - late) <= PLATEAU_REL * before + PLATEAU_ABS)


class StepSize:
    """Reduce-on-plateau: the step size times LR_FACTOR whenever `patience` evaluations in a row
    did not bring the best validation loss LR_MIN_GAIN (relative) lower."""

    def __init__(self, lr, patience):
        self.lr, self.patience, self.best, self.waited = lr, patience, math.inf, 0

    def update(self, val_loss):
        if val_loss < self.best * (1 - LR_MIN_GAIN):
            self.best, self.waited = val_loss, 0
            return self.lr
        self.best = min(self.best, val_loss)
        self.waited += 1
        if self.waited >= self.patience:
            self.lr, self.waited = self.lr * LR_FACTOR, 0
        return self.lr


# ----------------------------------------------------------------------------- training

def schedules(backend, n_steps):
    """Regime name -> sampling_prob (the probability of feeding the model's own token) at step i.
    Each schedule's eps_i (probability of the true token) passes 0.5 at n_steps / 2 (the linear
    one reaches 0 at n_steps and stays there)."""
    half = n_steps / 2
    k_sigmoid = _inverse_sigmoid_k(half)
    return {
        "teacher forcing": lambda i: 0.0,
        "always sampling": lambda i: 1.0,
        "uniform 0.5": lambda i: 0.5,
        "scheduled (linear)": lambda i: 1.0 - backend.linear_schedule(i, 1.0, 1.0 / n_steps, 0.0),
        "scheduled (exponential)": lambda i: 1.0 - backend.exponential_schedule(i, 0.5 ** (1 / half)),
        "scheduled (inverse sigmoid)": lambda i: 1.0 - backend.inverse_sigmoid_schedule(i, k_sigmoid),
    }


def _inverse_sigmoid_k(half):
    """The k >= 1 with k / (k + exp(half / k)) = 0.5, i.e. k ln k = half (by bisection)."""
    low, high = 1.0, max(2.0, half)
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if mid * math.log(mid) < half else (low, mid)
    return (low + high) / 2


def load_data(task):
    vocab = load_vocab(task)
    return {split: batch_pairs(load_task(task, split), vocab) for split in ("train", "val", "test")}, vocab


def train_one(backend, data, vocab, regime, seed, settings, progress=None):
    """Train one model under one regime from seed's initial parameters and batch order, until
    the validation loss plateaus (not before schedule_steps) or max_steps; return the weights of
    its best validation loss (early stopping's usual choice: Adam's loss can spike just before
    the stop) and the log. The log's per-step and per-evaluation arrays are NaN-padded to
    max_steps; `stopped_at` is the last step, `best_step` the step of the weights returned."""
    s = settings
    rng = np.random.default_rng([seed, 0])
    model = init_model(len(vocab), data["train"].source.shape[1], s["D"], s["H"], rng)
    optimizer = Adam(model, lr=s["lr"])
    step_size = StepSize(s["lr"], s["patience"])
    prob = schedules(backend, s["schedule_steps"])[regime]
    order_rng, coin_rng = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 3])
    train, val = data["train"], data["val"]
    n = len(train.source)
    order = np.empty(0, dtype=np.int64)
    log = {"loss": [], "sampling_prob": [], "val_loss": [], "val_fr_token": [], "val_fr_exact": [],
           "lr": []}
    best_loss, best_step, best = math.inf, 0, model
    for i in range(s["max_steps"] + 1):
        if i % s["eval_every"] == 0 or i == s["max_steps"]:
            context, _ = encode(model["encoder"], val.source, val.source_mask)
            tf = teacher_forced_logits(backend, context, val.target, model["decoder"])
            log["val_loss"].append(backend.masked_cross_entropy(tf, val.target, val.target_mask)[0])
            fr = free_running_logits(backend, context, model["decoder"], val.target.shape[1])
            correct = (np.argmax(fr, axis=-1) == val.target) & val.target_mask
            log["val_fr_token"].append(correct.sum() / val.target_mask.sum())
            log["val_fr_exact"].append(exact_match(fr, val.target, val.target_mask))
            if log["val_loss"][-1] < best_loss:   # early stopping keeps the best weights
                best_loss, best_step, best = log["val_loss"][-1], i, _copy(model)
            optimizer.lr = step_size.update(log["val_loss"][-1])
            log["lr"].append(optimizer.lr)
            if progress:
                progress(i)
            if i >= s["schedule_steps"] and plateaued(log["val_loss"], s["plateau_window"]):
                break
        if i == s["max_steps"]:
            break
        if len(order) < s["batch_size"]:   # a fresh permutation each epoch
            order = order_rng.permutation(n)
        rows, order = order[:s["batch_size"]], order[s["batch_size"]:]
        batch = type(train)(*(a[rows] for a in train))
        p = float(prob(i))
        loss, grads = train_step(backend, model, batch, p, coin_rng)
        optimizer.step(model, grads)
        log["loss"].append(loss)
        log["sampling_prob"].append(p)
    n_evals = len(_eval_steps(s["max_steps"], s["eval_every"]))
    out = {key: _pad(value, s["max_steps"] if key in ("loss", "sampling_prob") else n_evals)
           for key, value in log.items()}
    out["stopped_at"], out["best_step"] = np.array(i), np.array(best_step)
    return best, out


def _copy(model):
    return {part: {key: np.array(value) for key, value in params.items()}
            for part, params in model.items()}


def _pad(values, length):
    out = np.full(length, np.nan)
    out[:len(values)] = values
    return out


def run_experiment(backend, settings=None, seeds=SEEDS, regimes=REGIMES, print_fn=print):
    """Train every (regime, seed); return the log as a dict of arrays shaped (R, S, ...)."""
    s = dict(SETTINGS, **(settings or {}))
    data, vocab = load_data(s["task"])
    logs, kept, started, cpu = {}, {}, time.perf_counter(), time.process_time()
    total = len(regimes) * len(seeds)
    for r, regime in enumerate(regimes):
        for j, seed in enumerate(seeds):
            done = r * len(seeds) + j

            def progress(i, done=done, regime=regime, seed=seed):
                if print_fn is not None:
                    _bar(print_fn, (done + i / s["max_steps"]) / total,
                         f"{regime}, seed {seed}, step {i} (at most {s['max_steps']})", started)
            model, log = train_one(backend, data, vocab, regime, seed, s, progress)
            log.update(measure(backend, model, data["test"], s["corrupt_at"], seed))
            log["plateaued"] = plateaued(log["val_loss"], s["plateau_window"])
            if regime == "teacher forcing" and j == 0:   # 03_free_running_... measures on it
                kept.update({f"tf_model_{key}": value for key, value in model["decoder"].items()})
                kept["tf_test_context"] = encode(model["encoder"], data["test"].source,
                                                 data["test"].source_mask)[0]
                kept["tf_test_target"] = data["test"].target
            for key, value in log.items():
                logs.setdefault(key, []).append(value)
    if print_fn is not None:
        _bar(print_fn, 1.0, f"{total} runs done", started)
    out = {key: np.array(value).reshape((len(regimes), len(seeds)) + np.shape(value[0]))
           for key, value in logs.items()}
    out.update(kept)
    out.update(regimes=np.array(regimes), seeds=np.array(seeds),
               eval_steps=_eval_steps(s["max_steps"], s["eval_every"]), seconds=time.perf_counter() - started,
               cpu_seconds=time.process_time() - cpu)
    out.update({key: np.array(value) for key, value in s.items()})
    return out


def _eval_steps(n_steps, every):
    return np.array(sorted(set(range(0, n_steps, every)) | {n_steps}))


def _bar(print_fn, fraction, what, started, width=30):
    filled = int(round(width * fraction))
    print_fn(f"[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}%  {what}  "
             f"{time.perf_counter() - started:6.0f}s")


# ----------------------------------------------------------------------------- files

def save(log, path):
    """Write the log to path (.npz) and, beside it, the command and the versions that made it
    (<name>.versions.json, as tfcourse.reproduce records every trained artifact's)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **log)
    reproduce.record(path, "python -m tfcourse.exposure_bias " + " ".join(sys.argv[1:]))
    return path


def merge(paths):
    """One log from runs of one setting over different regimes and/or seeds (e.g. one process
    per regime and seed, run side by side): every (regime, seed) must be in exactly one part.
    Regimes come out in REGIMES order, seeds sorted; the kept teacher-forced model is the
    smallest seed's, as in a single run."""
    parts = []
    for path in paths:
        with np.load(path) as stored:
            parts.append({key: stored[key] for key in stored.files})
    first = parts[0]
    for part in parts[1:]:
        differ = [key for key in SETTINGS if not np.array_equal(part[key], first[key])]
        if differ:
            raise ValueError(f"paths: the parts differ in {', '.join(differ)}; merge runs of one "
                             f"setting")
    regimes = [r for r in REGIMES if any(r in p["regimes"] for p in parts)]
    seeds = sorted({int(s) for p in parts for s in p["seeds"]})
    where = {}
    for n, part in enumerate(parts):
        for i, regime in enumerate(part["regimes"]):
            for j, seed in enumerate(part["seeds"]):
                if (str(regime), int(seed)) in where:
                    raise ValueError(f"paths: {regime!r}, seed {seed} is in two parts")
                where[(str(regime), int(seed))] = (n, i, j)
    missing = [(r, s) for r in regimes for s in seeds if (r, s) not in where]
    if missing:
        raise ValueError(f"paths: no part holds {missing[0][0]!r}, seed {missing[0][1]}")
    shape = lambda p: (len(p["regimes"]), len(p["seeds"]))  # noqa: E731
    kept = lambda key: key.startswith(("tf_model_", "tf_test_"))  # noqa: E731  the kept model
    out = {key: value for key, value in first.items() if not kept(key)}
    for key, value in first.items():
        if np.ndim(value) >= 2 and value.shape[:2] == shape(first) and key != "regimes":
            out[key] = np.array([[parts[where[(r, s)][0]][key][where[(r, s)][1:]] for s in seeds]
                                 for r in regimes])
    if "teacher forcing" in regimes:
        tf_part = parts[where[("teacher forcing", seeds[0])][0]]
        out.update({key: value for key, value in tf_part.items() if kept(key)})
    out.update(regimes=np.array(regimes), seeds=np.array(seeds),
               seconds=np.array(max(float(p["seconds"]) for p in parts)))  # run side by side
    if all("cpu_seconds" in p for p in parts):
        out["cpu_seconds"] = np.array(sum(float(p["cpu_seconds"]) for p in parts))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--backend", default="given",
                        help="a .py file of your own (e.g. `from given import *` and your functions), "
                             "'given' (given.py here) or 'solutions' (the repository)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=REGIMES,
                        metavar="REGIME", help=f"any of: {', '.join(map(repr, REGIMES))}")
    parser.add_argument("--steps", type=int, default=SETTINGS["max_steps"],
                        help="the cap: a run stops earlier when its validation loss plateaus")
    parser.add_argument("--out", default="exposure_bias_run.npz")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--merge", nargs="+", metavar="PART",
                        help="join the .npz logs of runs over different regimes into --out")
    args = parser.parse_args(argv)
    if args.merge:
        print(f"wrote {save(merge(args.merge), args.out)}")
        return 0
    if args.steps < SETTINGS["eval_every"]:
        parser.error(f"--steps: expected at least {SETTINGS['eval_every']}, got {args.steps}")
    try:
        backend = load_backend(args.backend)
    except ValueError as error:      # the student's setting, not the course's code: say it only
        parser.exit(2, f"{parser.prog}: {error}\n")
    if backend.recovery_curve is None:
        print(f"{args.backend!r} defines no recovery_curve: the recovery curves are logged as NaN")
    # Fewer steps than the schedules' length: the schedules shrink to fit (and training runs to
    # the end of them before it may stop).
    settings = dict(max_steps=args.steps, schedule_steps=min(args.steps, SETTINGS["schedule_steps"]))
    log = run_experiment(backend, settings, args.seeds, args.regimes,
              None if args.quiet else (lambda text: print(text, flush=True)))
    print(f"wrote {save(log, args.out)} ({float(log['seconds']):.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

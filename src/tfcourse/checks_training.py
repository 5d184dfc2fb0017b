"""Checks behind the test cells of 05_training_with_teacher_forcing (backprop through time).

    from tfcourse.checks_training import check, check_gradients
    check_gradients("gru_step_backward", gru_step_forward, gru_step_backward)   # needs no reference
    check("gru_step_backward", gru_step_backward)        # the public reference cases

Two kinds of check. `check_gradients` compares a backward pass with centred finite differences
of the student's own forward pass (tfcourse.gradcheck): any correct pair passes, whatever the
reference says. `check` (public cases in data/reference/<name>.json, written in the course
repository, for instructors, by `python scripts/make_reference_logits.py`) and `check_hidden`
(cases packed into the test cell by the instructor's build) compare every output with the
reference and name the first one that differs: which gradient, by how much, and a hint for
the usual slip behind it.
Student-safe: nothing here imports or contains a solution.
"""
import time

import numpy as np

from tfcourse.caches import DecoderCache, GRUCache
# load_reference and unpack are how the grader's judge reads the cases of a test cell's check.
from tfcourse.checks import (CheckFailed, _hints, call, differ, load_reference,  # noqa: F401
                             mutants_matching, pack, properties_then_cases, unpack,
                             visible_and_hidden)
from tfcourse.checks import decode as _decode_plain
from tfcourse.checks import encode as _encode_plain
from tfcourse.gradcheck import numerical_gradient, relative_error
from tfcourse.params import random_decoder_params

__all__ = ["check", "check_hidden", "check_cases", "check_gradients", "CheckFailed", "pack", "unpack"]

RTOL, ATOL = 1e-6, 1e-9
GRAD_TOL = 1e-7
# No sentence of its own: every mistake's sentence is stored with its outputs (diagnoses).
MISTAKES = {}
# The names of each graded function's results, in order.
RESULTS = {
    "gru_step_forward": ("h_next", "cache"),
    "gru_step_backward": ("dx", "dh_prev", "dparams"),
    "decoder_forward_teacher_forcing_cache": ("logits", "cache"),
    "decoder_backward_teacher_forcing": ("dcontext_vector", "dtarget_seq", "dparams"),
    "masked_cross_entropy": ("loss", "dlogits"),
}
# Where a result first differs -> the slip that usually causes it.
HINTS = {
    ("masked_cross_entropy", "loss"): "the mean is over the real tokens only: sum the negative "
                                      "log-probabilities of the targets where the mask is True and "
                                      "divide by how many are True, not by B*T.",
    ("masked_cross_entropy", "dlogits"): "the gradient is the softmax minus the one-hot target, "
                                         "divided by the number of real tokens, and zero at every "
                                         "padded position (all of its V entries).",
    ("gru_step_forward", "cache.h_n"): "h_n is h_prev @ W_hn + b_hn, the hidden-side candidate "
                                       "term *before* r multiplies it.",
    ("gru_step_forward", "cache.n"): "n = tanh(x W_xn + b_xn + r * (h_prev W_hn + b_hn)).",
    ("gru_step_backward", "dh_prev"): "h_prev reaches h_next three ways: through W_h (all three "
                                      "gates' hidden-side terms) and directly, as z * h_prev. "
                                      "Did you add dh_next * z?",
    ("gru_step_backward", "dparams['b_h']"): "b_h sits inside the hidden-side term: its n block "
                                             "is scaled by r (d b_hn = dn_pre * r), unlike b_xn.",
    ("gru_step_backward", "dparams['W_h']"): "the n block of dW_h gets the candidate's gradient "
                                             "times r, since r multiplies h_prev @ W_hn + b_hn.",
    ("gru_step_backward", "dx"): "dx = d(xw) @ W_x.T, with d(xw) the three gate blocks' "
                                 "pre-activation gradients side by side (r, z, n).",
    ("decoder_backward_teacher_forcing", "dcontext_vector"):
        "the context is h_0: its gradient is what flows out of step 0's h_prev, after every "
        "later step's gradient has been carried back to it.",
    ("decoder_backward_teacher_forcing", "dtarget_seq"):
        "step t consumed target_seq[t-1]: dtarget_seq[t-1] is step t's dx, and the last row "
        "(never fed) gets zero.",
    ("decoder_backward_teacher_forcing", "dparams['start']"): "start is step 0's input: its "
                                                             "gradient is step 0's dx (summed "
                                                             "over a batch).",
    ("decoder_backward_teacher_forcing", "dparams['W_h']"):
        "dh at step t is dlogits[t] @ W_y.T plus the dh_prev carried back from step t+1; "
        "and every step's dW_h adds up.",
}


# What to add to a result's hint when it is nan or inf (and only then).
NOT_FINITE = {("masked_cross_entropy", "loss"): "A nan or inf: subtract each row's largest "
                                                "logit before the exp."}


# ----------------------------------------------------------------------------- encoding

def encode(value):
    """tfcourse.checks.encode, plus the caches of tfcourse.caches, lists and strings."""
    if isinstance(value, np.ndarray) and value.dtype == bool:  # a mask stays a mask
        return {"array": value.tolist(), "dtype": "bool"}
    if isinstance(value, (GRUCache, DecoderCache)):
        return {"cache": type(value).__name__, "fields": {k: encode(v) for k, v in value._asdict().items()}}
    if isinstance(value, list):
        return {"list": [encode(v) for v in value]}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    return _encode_plain(value)


def decode(data):
    """Invert encode."""
    if isinstance(data, dict) and "cache" in data:
        kind = {"GRUCache": GRUCache, "DecoderCache": DecoderCache}[data["cache"]]
        return kind(**{k: decode(v) for k, v in data["fields"].items()})
    if isinstance(data, dict) and "list" in data:
        return [decode(v) for v in data["list"]]
    if isinstance(data, dict) and "tuple" in data:
        return tuple(decode(v) for v in data["tuple"])
    if isinstance(data, dict) and "dict" in data:
        return {k: decode(v) for k, v in data["dict"].items()}
    return _decode_plain(data)


# ----------------------------------------------------------------------------- comparing

def _leaves(value, path):
    """Flatten a result into {path: array} (tuples, dicts, caches, lists of step caches)."""
    if isinstance(value, (GRUCache, DecoderCache)) or hasattr(value, "_fields"):
        out = {}
        for field in value._fields:
            if field not in ("params", "cell_type"):
                out.update(_leaves(getattr(value, field), f"{path}.{field}"))
        return out
    if isinstance(value, dict):
        out = {}
        for key in value:
            out.update(_leaves(value[key], f"{path}[{key!r}]"))
        return out
    if isinstance(value, (list, tuple)):
        out = {}
        for i, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{i}]"))
        return out
    return {path: value}


def _structure(name, got):
    """Why `got` is not the kind of result `name` returns (None if it is)."""
    parts = RESULTS[name]
    if not isinstance(got, tuple) or len(got) != len(parts):
        n = len(got) if isinstance(got, (tuple, list)) else None
        return (f"{name} returned {type(got).__name__}{'' if n is None else f' of length {n}'}; "
                f"it must return the tuple ({', '.join(parts)}).")
    return None


def _arrays(name, result):
    """A result (or the first parts of one) as {path: float64 array}, as compare() reads it."""
    return {path: np.asarray(v, dtype=np.float64)
            for part, value in zip(RESULTS[name], result)
            for path, v in _leaves(value, part).items()}


def _normalised(name, got):
    """The student's result as {path: float64 array}, as compare() reads it."""
    if _structure(name, got):
        raise CheckFailed(_structure(name, got))
    try:
        return _arrays(name, got)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name}: a result is not an array of numbers") from None


def _wanted(name, output, expected):
    """A mistake's stored output as {path: float64 array}. A forward's is stored without its
    cache (the cache holds every parameter), and, where the output is the reference's, with
    what its cache holds otherwise: {path: array, or None for an array the reference's cache
    has and the mistake's lacks}; the mistake's cache is the reference's with those changes."""
    output = decode(output)
    if RESULTS[name][-1] != "cache":
        return _arrays(name, output)
    want = _arrays(name, output[:1])
    if len(output) > 1:
        cache = _leaves(decode(expected)[1], "cache")
        cache.update(output[1])
        want.update((k, np.asarray(v, dtype=np.float64)) for k, v in cache.items() if v is not None)
    return want


def _resolved(name, case):
    """The case with its expected result and each mistake's output as {path: array}."""
    expected = decode(case["expected"])
    return dict(case, expected=_arrays(name, expected), mistakes={
        m: None if out is None else _wanted(name, out, expected)
        for m, out in case.get("mistakes", {}).items()})


def _cache_paths(arrays):
    return {k for k in arrays if k.startswith("cache.")}


def _matches(got, want):
    """Whether the normalised answer `got` is `want` (_resolved; a nan where it has a nan: a
    loss that overflowed is the mistake that overflows). Where `want` holds a cache, `got`'s
    holds the same arrays: a cache of one step is not the cache of T steps."""
    if _cache_paths(want) and _cache_paths(got) != _cache_paths(want):
        return False
    return want.keys() <= got.keys() and all(
        got[k].shape == want[k].shape and np.allclose(got[k], want[k], rtol=RTOL, atol=ATOL,
                                                      equal_nan=True) for k in want)


def matching_mutants(name, cases, results):
    """The mistakes (ids) that reproduce the answer on every case it answered
    (tfcourse.checks.mutants_matching): matched on behaviour, never on one case. An answer
    with a slip in each of several results or gradients is named array by array."""
    return mutants_matching([_resolved(name, c) for c in cases if not c.get("timed")],
                            [r for c, r in zip(cases, results) if not c.get("timed")],
                            lambda got: _normalised(name, got), _matches, lambda arrays: arrays)


def case_args(name, case):
    """A case's (args, kwargs), decoded: its arguments are written out."""
    return [decode(a) for a in case.get("args", [])], {}


def compare(name, case, got, hidden=False, matched=None):
    """Return None if `got` matches the case's expected result, else what is wrong.

    `hidden`: name the part that differs, never a number derived from the expected values.
    `matched`: the mistakes matching the answer on all of the function's cases
    (matching_mutants); by default, those matching it on this case."""
    problem = _compare(name, case, got, hidden)
    if problem is None or case.get("timed"):
        return problem
    if matched is None:
        try:
            mine = _normalised(name, got)
        except CheckFailed:
            return problem
        matched = [m for m, want in _resolved(name, case)["mistakes"].items()
                   if want is not None and _matches(mine, want)]
    if matched:  # the name says what is wrong; a field's usual slip may be another mistake
        problem = _compare(name, case, got, hidden, hint=False)
    return problem + _hints(matched, case.get("diagnoses"), MISTAKES)


def _compare(name, case, got, hidden, hint=True):
    expected = decode(case["expected"])
    parts = RESULTS[name]
    if _structure(name, got):
        return _structure(name, got)
    for part, want, have in zip(parts, expected, got):   # the structure first, then the values
        if part == "cache" and not hasattr(have, "_fields"):
            return (f"the cache is a {type(have).__name__}; return the "
                    f"{type(want).__name__} of tfcourse.caches, filled in.")
        if part == "dparams" and not isinstance(have, dict):
            return f"dparams is a {type(have).__name__}; return a dict with one gradient per key."
        if part == "cache" and _steps_problem(want, have):
            return _steps_problem(want, have)
    for part, want, have in zip(parts, expected, got):
        want_leaves, have_leaves = _leaves(want, part), _leaves(have, part)
        for path, w in want_leaves.items():
            if path not in have_leaves:
                return f"{path} is missing from what you returned."
            try:
                h = np.asarray(have_leaves[path], dtype=np.float64)
            except (TypeError, ValueError):
                return f"{path} is a {type(have_leaves[path]).__name__}, not an array of numbers."
            w = np.asarray(w, dtype=np.float64)
            if h.shape != w.shape:
                return f"{path} has shape {h.shape}; expected {w.shape}."
            if np.allclose(h, w, rtol=RTOL, atol=ATOL):
                continue
            message = f"{path} {differ(path)} from the reference"
            if hidden:
                message += "."
            else:
                worst = np.unravel_index(np.argmax(np.abs(h - w)), w.shape) if w.ndim else ()
                message += (f": max |difference| {float(np.max(np.abs(h - w))):.3g}"
                            + (f", at index {tuple(int(i) for i in worst)}" if w.ndim else "")
                            + f" (yours {h[worst]:.6g}, expected {w[worst]:.6g}).")
            usual = HINTS.get((name, path)) if hint else None
            if usual and (name, path) in NOT_FINITE and not np.all(np.isfinite(h)):
                usual += " " + NOT_FINITE[(name, path)]
            return message + (f"\n  hint: {usual}" if usual else "")
    return None


def _steps_problem(want, have):
    """Why the list of step caches in `have` is not one per step, as in `want` (None if it is):
    said before the values, since every step after the first missing one would differ."""
    steps = getattr(want, "steps", None)
    if not isinstance(steps, list) or "steps" not in getattr(have, "_fields", ()):
        return None
    mine = have.steps
    if not isinstance(mine, (list, tuple)):
        return f"cache.steps is a {type(mine).__name__}; make it a list of the step caches."
    if len(mine) != len(steps):
        return (f"cache.steps holds {len(mine)} step cache{'s' * (len(mine) != 1)} for "
                f"{len(steps)} step{'s' * (len(steps) != 1)}: it must hold one per step (append "
                f"each step's cache inside the loop).")
    return None


def _call_case(name, func, case):
    """(args, kwargs, result) of `func` on the case, and how long the call took (kwargs)."""
    args, _ = case_args(name, case)
    start = time.perf_counter()
    got = call(name, func, args, {})
    return args, {"seconds": time.perf_counter() - start}, got


def run_case(name, func, case, what="public", matched=None, called=None):
    """None if `func` gets the case right (in time, for a timed case), else what is wrong.
    `called`: (args, {"seconds": ...}, result) of a call already made on this case."""
    args, timing, got = called or _call_case(name, func, case)
    problem = compare(name, case, got, what == "hidden", matched)
    if problem is None and case.get("timed"):
        problem = too_slow(name, func, args, timing["seconds"])
    return problem


check_cases = properties_then_cases(RESULTS, run_case, None, matching_mutants, _call_case)
check, check_hidden = visible_and_hidden(check_cases)


# ----------------------------------------------------------------------------- analytic, not numeric

# A hidden case marked "timed" is sized so that the skill and the shortcut take very different
# times: the analytic backward costs a few forward passes, centred differences two forward
# passes per parameter (thousands here). The budget is counted in units of forward-sized
# matrix work measured in the same kernel just before, so it means the same on any machine.
BUDGET_UNITS = 1000


def _unit_seconds(cache):
    """Best-of-5 seconds of matrix work the size of one forward pass over `cache` (a GRUCache
    or a DecoderCache): the products of every step's input and state with W_x and W_h, and
    with W_y for a decoder, with no meaning of their own."""
    p = cache.params
    if isinstance(cache, GRUCache):
        xs, hs = cache.x[..., None, :], cache.h_prev[..., None, :]
    else:
        xs, hs = cache.inputs, cache.hidden

    def work():
        for t in range(xs.shape[-2]):
            np.sin(xs[..., t, :] @ p["W_x"]) * np.cos(hs[..., t, :] @ p["W_h"])
        if "W_y" in p:
            hs @ p["W_y"]

    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _n_params(cache):
    return sum(np.size(v) for v in cache.params.values())


def too_slow(name, func, args, seconds):
    """None if a timed case's `seconds` fit the budget, else the message. A call that missed
    it by less than 20 times (a busy machine, not finite differences) gets two more tries."""
    cache = args[-1]
    unit = _unit_seconds(cache)
    for _ in range(2):
        if not BUDGET_UNITS * unit < seconds < 20 * BUDGET_UNITS * unit:
            break
        start = time.perf_counter()
        call(name, func, args, {})
        seconds = min(seconds, time.perf_counter() - start)
    if seconds <= BUDGET_UNITS * unit:
        return None
    return (f"{name} took {seconds:.3g} s on a case with {_n_params(cache)} parameters: "
            f"{seconds / unit:.0f} times the matrix work of one forward pass on it, where the "
            f"analytic backward pass needs a few (allowed: {BUDGET_UNITS}). Finite differences "
            f"need two forward passes per parameter: they check a gradient, they do not compute "
            f"one. Apply the chain rule to what the cache holds.")


# ----------------------------------------------------------------------------- gradient checks

def _gru_case(seed, B, D=3, H=4, T=5, V=6):
    rng = np.random.default_rng(seed)
    params = random_decoder_params("gru", D, H, V, rng)
    lead = () if B is None else (B,)
    return rng, params, lead, D, H, T, V


def _named_on_public(name, backward):
    """The names of the mistakes that reproduce `backward` on the public reference cases,
    as the visible check gives them, when it fails one of them (else ""): a gradient check
    says that a backward is wrong, these say what."""
    try:
        cases = load_reference(name)["cases"]
    except FileNotFoundError:
        return ""
    results, failing = [], False
    for case in cases:
        try:
            got = _call_case(name, backward, case)[2]
        except CheckFailed:
            results.append(None)
            continue
        results.append(got)
        failing = failing or _compare(name, case, got, False) is not None
    if not failing:
        return ""
    return _hints(matching_mutants(name, cases, results), cases[0].get("diagnoses"), MISTAKES)


def check_gradients(name, forward, backward, seeds=(0, 1), tol=GRAD_TOL):
    """Compare `backward` with centred differences of `forward` (float64, tiny sizes).

    name: 'gru_step_backward' (forward = gru_step_forward) or 'decoder_backward_teacher_forcing'
    (forward = decoder_forward_teacher_forcing_cache, GRU). The loss is sum(output * g) for a
    random g, so its gradient with respect to the output is g. Prints each relative error;
    raises CheckFailed naming the first argument whose error exceeds tol, and, where `backward`
    fails a public reference case too, the mistakes that reproduce it there (as `check` does).
    """
    __tracebackhide__ = True
    for seed, B in zip(seeds, (None, 2)):
        rng, params, lead, D, H, T, V = _gru_case(seed, B)
        if name == "gru_step_backward":
            inputs = {"x": rng.normal(size=lead + (D,)), "h_prev": rng.normal(size=lead + (H,))}
            params = {k: params[k] for k in ("W_x", "W_h", "b_x", "b_h")}
            g = rng.normal(size=lead + (H,))
            run = lambda: forward(inputs["x"], inputs["h_prev"], params)  # noqa: E731
        elif name == "decoder_backward_teacher_forcing":
            inputs = {"context_vector": rng.normal(size=lead + (H,)),
                      "target_seq": rng.normal(size=lead + (T, D))}
            g = rng.normal(size=lead + (T, V))
            run = lambda: forward(inputs["context_vector"], inputs["target_seq"], params, "gru")  # noqa: E731
        else:
            raise ValueError(f"name: expected 'gru_step_backward' or "
                             f"'decoder_backward_teacher_forcing', got {name!r}")
        out = call(forward.__name__, run, [], {})
        grads = call(name, backward, [g, out[1]], {})
        if not isinstance(grads, tuple) or len(grads) != len(inputs) + 1:
            raise CheckFailed(f"{name} returned {type(grads).__name__}; it must return "
                              f"({', '.join(RESULTS[name])}).")
        analytic = dict(zip(inputs, grads[:-1]))
        analytic.update({f"dparams[{k!r}]": grads[-1].get(k) for k in params}
                        if isinstance(grads[-1], dict) else {})
        targets = dict(inputs, **{f"dparams[{k!r}]": params[k] for k in params})
        label = "one example" if B is None else f"a batch of B={B}"
        errors = []
        for key, value in targets.items():
            numeric = numerical_gradient(lambda: float(np.sum(run()[0] * g)), value)
            mine = analytic.get(key)
            if mine is None or np.shape(mine) != numeric.shape:
                raise CheckFailed(f"{name} ({label}): the gradient for {key} has shape "
                                  f"{np.shape(mine) if mine is not None else None}; expected "
                                  f"{numeric.shape}." + _named_on_public(name, backward))
            err = relative_error(mine, numeric)
            errors.append(f"{key} {err:.1e}")
            if not err <= tol:
                raise CheckFailed(f"{name} ({label}): relative error {err:.2e} for {key} (allowed "
                                  f"{tol:.0e}): your backward disagrees with finite differences of "
                                  f"your forward." + _named_on_public(name, backward))
        print(f"\u2714 {name}, {label}: " + ", ".join(errors))

"""Checks behind the test cells of 07_teacher_forcing_in_language_models.

    from tfcourse.checks_lm import check
    check("causal_lm_loss", causal_lm_loss)        # a visible test cell

Same machinery as tfcourse.checks_transformer: public cases in data/reference/<name>.json,
hidden cases packed into the test cell by the build (`check_hidden`), a CheckFailed that says
what is wrong, and the name of a known mistake when the answer equals what that mistake
computes (the files hold the mistakes' outputs, never their code). In the course repository,
for instructors: `python scripts/make_reference_logits.py` writes the public cases, and
autograder/mutations/named.py defines the mistakes (mutants of the reference).

Before the reference cases, property checks that need no reference: the loss is one number,
finite on huge logits, blind to the last position's logits and to the first label; generation
returns max_new_tokens integer ids and is seeded by the rng it is given. The relations of the
notebook (one pass equals the per-step losses; the encoder-decoder and decoder-only forms give
the same loss) are checked on the student's own function. Student-safe: no solution here.
"""
import copy
import os
import sys
from contextlib import contextmanager

import numpy as np

# load_reference and unpack are how the grader's judge reads the cases of a test cell's check.
from tfcourse.checks import (CheckFailed, _draws, _hints, call, load_reference,  # noqa: F401
                             mutants_matching, noting_warnings, pack, time_first,
                             properties_then_cases, unpack, visible_and_hidden)
from tfcourse.checks_transformer import _array, _close, _first_difference, decode, encode
from tfcourse.gpt import random_gpt_params

__all__ = ["check", "check_hidden", "check_cases", "CheckFailed", "pack", "unpack",
           "check_loss_equals_step_losses", "check_two_forms_agree"]

RTOL, ATOL = 1e-6, 1e-9

SIGNATURES = {
    "causal_lm_loss": "causal_lm_loss(logits, labels, ignore_index=-100)",
    "generate": "generate(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None)",
}
KINDS = {"causal_lm_loss": "scalar", "generate": "ids"}

MISTAKES = {
    # causal_lm_loss
    "no_shift": "you scored label t with the logits of position t. In a causal LM the labels are "
                "the inputs themselves, so position t's logits predict label t + 1: pair "
                "logits[..., :-1, :] with labels[..., 1:].",
    "reversed_shift": "you scored label t with the logits of position t + 1 (logits[..., 1:, :] "
                      "with labels[..., :-1]): the shift goes the wrong way. Position t's logits "
                      "have read tokens 0..t and predict the NEXT one: pair logits[..., :-1, :] "
                      "with labels[..., 1:].",
    "counts_ignored": "you divided by every pair, ignored ones included. The mean runs over the "
                      "counted pairs only (labels[..., 1:] != ignore_index).",
    "mean_of_means": "you averaged each sequence's mean loss. PyTorch's mean runs over all counted "
                     "tokens of the batch at once: sum every counted pair's loss, divide by "
                     "their number.",
    "summed": "you returned the sum of the losses; return their mean over the counted pairs.",
    "hardcoded_minus_100": "you ignored -100 instead of the ignore_index you were given.",
    # generate
    "cache_lag": "your cache is one token behind: after choosing a token, feed THAT token "
                 "(the one just chosen) to gpt_forward_cached with the cache, not the one before.",
    "cache_reset": "you fed each new token without the cache (or with a fresh one): the model "
                   "then sees a single token at position 0. Pass the cache returned by the "
                   "previous call.",
    "prompt_first_row": "the first new token came from the prompt's first position. The "
                        "prediction for the next token is in the LAST row: logits[..., -1, :].",
    "no_temperature": "your samples ignore the temperature: divide the logits by it before the "
                      "softmax.",
    "times_temperature": "you multiplied the logits by the temperature; divide them by it "
                         "(a high temperature flattens the distribution).",
}


# ----------------------------------------------------------------------------- cases

def make_args(name, spec):
    """Build a graded function's (args, kwargs) from a spec of sizes and seeds."""
    rng = np.random.default_rng(spec["seed"])
    batch = () if spec.get("B") is None else (spec["B"],)
    if name == "causal_lm_loss":
        T, V, ignore = spec["T"], spec["V"], spec.get("ignore_index", -100)
        # `shift` moves every logit up alike (no softmax changes): only np.exp of a raw logit
        # can overflow on it, while a large `scale` makes probabilities underflow too
        logits = rng.normal(size=batch + (T, V)) * spec.get("scale", 2.0) + spec.get("shift", 0.0)
        labels = rng.integers(0, V, size=batch + (T,))
        for row, keep in zip(labels.reshape(-1, T), spec.get("lengths", [T] * (batch[0] if batch else 1))):
            row[keep:] = ignore   # padding at the end of each sequence
        kwargs = {} if "ignore_index" not in spec else {"ignore_index": ignore}
        return (logits, labels), kwargs
    if name == "generate":
        params = random_gpt_params(spec["V"], spec.get("D", 8), spec.get("n_head", 2),
                                   spec.get("n_layer", 1), spec.get("P", 16), rng,
                                   spec.get("scale", 0.5))
        prompt = rng.integers(0, spec["V"], size=batch + (spec["prompt_len"],))
        return (params, prompt, spec["max_new_tokens"]), {
            "temperature": spec["temperature"], "rng": np.random.default_rng(spec["rng_seed"])}
    raise ValueError(f"name: expected a graded function of 07_teacher_forcing_in_language_models, "
                     f"got {name!r}")


def case_args(name, case):
    """A case's (args, kwargs), fresh each call (generators start from their seed)."""
    if "spec" in case:
        return make_args(name, case["spec"])
    return ([decode(a) for a in case["args"]],
            {k: decode(v) for k, v in case.get("kwargs", {}).items()})


# ----------------------------------------------------------------------------- properties

def _loss(func, logits, labels, **kwargs):
    value = call("causal_lm_loss", func, (logits, labels), kwargs)
    arr = _array("causal_lm_loss", value)
    if arr.size != 1:
        raise CheckFailed(f"causal_lm_loss returned an array of shape {arr.shape}; it must return "
                          f"one number, the mean over the counted pairs.")
    return float(arr.reshape(()))


def _loss_properties(func):
    (logits, labels), _ = make_args("causal_lm_loss", {"seed": 5, "T": 6, "V": 7, "B": 2,
                                                       "lengths": [6, 4]})
    loss = _loss(func, logits, labels)
    if not np.isfinite(loss) or loss <= 0:
        raise CheckFailed(f"causal_lm_loss returned {loss} on random logits; a cross-entropy is a "
                          f"positive finite number.")
    last = logits.copy()
    last[:, -1, :] += np.random.default_rng(0).normal(size=last[:, -1, :].shape) * 5
    if not np.isclose(_loss(func, last, labels), loss, rtol=RTOL, atol=ATOL):
        raise CheckFailed("your loss changed when only the LAST position's logits changed. That "
                          "position predicts the token after the sequence, which is not there: "
                          f"it scores nothing. {_sentence(_shift_mistake(func))}")
    first = labels.copy()
    first[:, 0] = (first[:, 0] + 1) % 7
    if not np.isclose(_loss(func, logits, first), loss, rtol=RTOL, atol=ATOL):
        raise CheckFailed("your loss changed when only the FIRST label changed. No position "
                          f"predicts the first token. {_sentence(_shift_mistake(func))}")
    huge = _loss(func, logits * 1e4, labels)
    if not np.isfinite(huge):
        shifted = _loss(func, logits + 1e4, labels)
        raise CheckFailed(f"your loss is {huge} on logits of size 1e4"
                          + (f" and {shifted} on the same logits plus 1e4" if not
                             np.isfinite(shifted) else "") + f": {_overflow(np.isfinite(shifted))}")


OVERFLOWED = ("np.exp of a large logit overflowed to inf: adding 1e4 to every logit changes no "
              "softmax, yet it broke your loss, so you took np.exp of the logits as they are. "
              "Subtract each row's maximum first: the log-softmax is z - max - "
              "log(sum(exp(z - max))) (log-sum-exp).")
UNDERFLOWED = ("a probability underflowed to 0 and its log is -inf (your np.exp did not "
               "overflow: adding 1e4 to every logit leaves your loss finite). Subtracting each "
               "row's maximum is not enough if you then take the log of a softmax: compute the "
               "log-softmax directly, z - max - log(sum(exp(z - max))) (log-sum-exp), and never "
               "np.log of a probability.")


def _overflow(shift_finite):
    """Why a loss is not finite on large logits, from whether a constant shift of 1e4 broke it."""
    return UNDERFLOWED if shift_finite else OVERFLOWED


def _sentence(message):
    """A mistake's message (written to follow "Known mistake: ") as a sentence of its own."""
    return message[:1].upper() + message[1:]


def _shift_mistake(func, V=5):
    """Which wrong pairing of logits and labels the loss uses, from which rows and labels matter.

    On three positions the right pairs are (row 0, label 1), (row 1, label 2); no shift also
    scores row 2 and label 0; a reversed shift scores rows 1, 2 with labels 0, 1."""
    logits = np.random.default_rng(1).normal(size=(3, V))
    labels = np.array([1, 2, 3])
    loss = _loss(func, logits, labels)

    def matters(row=None, label=None):
        z, y = logits.copy(), labels.copy()
        if row is not None:
            z[row] += np.arange(V) * 3.0
        if label is not None:
            y[label] = 0
        return not np.isclose(_loss(func, z, y), loss, rtol=RTOL, atol=ATOL)
    if not matters(row=0) and matters(row=2) and matters(label=0) and not matters(label=2):
        return MISTAKES["reversed_shift"]
    return MISTAKES["no_shift"]


def _generate_properties(func):
    args, kwargs = make_args("generate", {"seed": 6, "V": 9, "prompt_len": 3, "max_new_tokens": 5,
                                          "temperature": 0.0, "rng_seed": 0})
    new = _array("generate", call("generate", func, args, kwargs))
    if new.shape != (5,):
        extra = (" It looks like the prompt followed by the new tokens: return only the new ones."
                 if new.shape == (8,) else "")
        raise CheckFailed(f"generate with a prompt of shape (3,) and max_new_tokens=5 returned "
                          f"shape {new.shape}; expected (5,), the new tokens.{extra}")
    if new.dtype.kind not in "iu":
        raise CheckFailed(f"generate returned dtype {new.dtype}; token ids must be integers.")
    with _positions_fed() as fed:
        call("generate", func, args, kwargs)
    if not fed:
        raise CheckFailed("your generate never ran the model's gpt_forward_cached (from "
                          "tiny_gpt.py, beside the notebook). This check counts the positions "
                          "each call of it feeds, to see that the KV cache is used, so generate "
                          "must run the model through gpt_forward_cached (directly or through "
                          "gpt_forward), in the calling thread, not a copy of the model.")
    _check_cache_used(fed, prompt_len=3, max_new_tokens=5)
    sampled = dict(kwargs, temperature=1.0)
    runs = [_array("generate", call("generate", func, args, dict(sampled, rng=np.random.default_rng(3))))
            for _ in range(2)]
    if not np.array_equal(runs[0], runs[1]):
        raise CheckFailed("generate gave different tokens for two generators with the same seed: "
                          "draw from the rng you are given (rng.random() or rng.choice), never "
                          "from np.random.")


def _check_cache_used(fed, prompt_len, max_new_tokens):
    """CheckFailed unless the calls in `fed` (positions fed per model call) use the KV cache."""
    problem = _cache_problem(fed, prompt_len, max_new_tokens)
    if problem:
        raise CheckFailed(problem)


def _cache_problem(fed, prompt_len, max_new_tokens):
    """What is wrong with the calls in `fed` (positions fed per model call), None if they use
    the KV cache.

    With the cache the prompt is fed once, then one position per call: the tokens chosen, all
    but the last (prompt_len + max_new_tokens - 1 positions) or the last too (one more, one
    wasted call, still linear cost). A call after the first that feeds more than one position
    is the growing sequence fed again, the quadratic cost the cache removes."""
    least = prompt_len + max_new_tokens - 1
    said = (f"with a prompt of {prompt_len} token{'s' if prompt_len != 1 else ''} and "
            f"max_new_tokens={max_new_tokens} your "
            f"generate fed {sum(fed)} positions to the model, in calls of {fed}")
    if any(n > 1 for n in fed[1:]):
        return (f"{said}: a call after the first fed more than one position. With the KV cache "
                f"it feeds the prompt once ({prompt_len}) and then only the token just chosen, "
                f"one per call: {least} in all, or {least + 1} if it also feeds the last token "
                f"chosen. You ran the whole growing sequence again at each step, which is "
                f"correct text at quadratic cost: call gpt_forward_cached(new[..., n:n + 1], "
                f"params, cache) with the cache the previous call returned.")
    if sum(fed) > least + 1:
        return (f"{said}. With the KV cache it feeds the prompt once ({prompt_len}) and then "
                f"only the token just chosen, one per step: {least} in all, or {least + 1} if "
                f"it also feeds the last token chosen. Call the model once per new token, with "
                f"the cache the previous call returned.")
    return None


MODEL = ("gpt_forward_cached", "tiny_gpt.py")   # the model's one way in: (function, file)


def _is_model(code):
    return code.co_name == MODEL[0] and os.path.basename(code.co_filename) == MODEL[1]


@contextmanager
def _positions_fed():
    """Record how many positions each call of the model feeds while the block runs.

    Every forward pass of tiny_gpt.py, gpt_forward's included, runs the code of its
    gpt_forward_cached; a profiler sees each run of that code whatever name or object reached it
    (an alias, the module's attribute, a default argument, a closure). Yields the list of the
    lengths fed (new_ids.shape[-1]) by each call, in order; CheckFailed if the block removed the
    profiler while the block ran."""
    fed, previous = [], sys.getprofile()

    def profiler(frame, event, arg):
        if event == "call" and _is_model(frame.f_code):
            try:    # the model validates its ids after this; a bad one still counts as fed
                shape = np.shape(frame.f_locals.get(frame.f_code.co_varnames[0]))
            except Exception:
                shape = ()
            fed.append(int(shape[-1]) if shape else 1)
    sys.setprofile(profiler)
    try:
        yield fed
        if sys.getprofile() is not profiler:
            raise CheckFailed("your generate changed the profiler (sys.setprofile) while it ran; "
                              "the check counts the positions fed to the model through it. "
                              "Leave sys.setprofile alone.")
    finally:
        sys.setprofile(previous)


PROPERTIES = {"causal_lm_loss": _loss_properties, "generate": _generate_properties}


# ----------------------------------------------------------------------------- comparing

def _matches(kind, got, output):
    want = np.asarray(decode(output))
    if kind == "ids":
        return got.shape == want.shape and np.array_equal(got, want)
    return _close(got.astype(np.float64), want.astype(np.float64))


def _normalised(name, got):
    """The student's result as compare() compares it."""
    got = _array(name, got)
    return got.reshape(()) if KINDS[name] != "ids" and got.size == 1 else got


def matching_mutants(name, cases, results):
    """The mistakes (ids) that reproduce the answer on every case it answered
    (tfcourse.checks.matching_mutants): matched on behaviour, never on one case."""
    kind = KINDS[name]
    return mutants_matching(cases, results, lambda got: _normalised(name, got),
                            lambda got, output: _matches(kind, got, output), None,
                            (lambda v: time_first(decode(v), -1)) if kind == "ids" else None)


def compare(name, case, got, hidden=False, matched=None):
    """Return None if `got` matches the case's expected result, else what is wrong.

    `matched`: the mistakes matching the answer on all of the function's cases
    (matching_mutants); by default, those matching it on this case.

    `hidden`: the message names the known mistake it matches but no number derived from the
    expected output (not the expected loss, not the expected tokens, not where they differ)."""
    kind = KINDS[name]
    expected = np.asarray(decode(case["expected"]))
    got = _array(name, got)
    advice = ""  # where the first wrong token points, said only when no known mistake is named
    if kind == "ids":
        if got.shape == expected.shape and np.array_equal(got, expected):
            return None if got.dtype.kind in "iu" else f"returned dtype {got.dtype}: return integer ids."
        if got.shape != expected.shape:
            report = f"expected shape {expected.shape}, got {got.shape}."
        elif hidden:
            report = "your tokens differ from the reference."
        else:
            wrong = np.argwhere(got != expected)
            n = int(wrong[:, -1].min())        # the earliest new token wrong in any sequence
            rows = sorted({int(w[0]) for w in wrong if w[-1] == n}) if got.ndim == 2 else []
            report = (f"expected {expected.tolist()}, got {got.tolist()}: the first new token "
                      f"that differs is number {n}" + (
                          f" of sequence{'s' if len(rows) > 1 else ''} "
                          f"{', '.join(map(str, rows))}" if rows else "") + ".")
            advice = " " + _first_difference_means(n)
    else:
        if got.size == 1 and _close(got.reshape(()).astype(np.float64), expected.astype(np.float64)):
            return None
        if got.size != 1:
            report = f"expected one number, got an array of shape {got.shape}."
        elif hidden:
            report = f"your loss {float(got.reshape(())):.10g} differs from the reference."
        else:
            report = f"expected {float(expected):.10g}, got {float(got.reshape(())):.10g}."
        if got.size == 1 and not np.isfinite(got.astype(np.float64)).all():
            report += " " + _not_finite(case.get("spec", {}))
        got = got.reshape(()) if got.size == 1 else got
    if matched is None:
        matched = [m for m, out in case.get("mistakes", {}).items()
                   if out is not None and _matches(kind, got, out)]
    return report + ("" if matched else advice) + _hints(matched, case.get("diagnoses"), MISTAKES)


def _not_finite(spec):
    """Why a loss is not finite on a case, from how its logits were made (make_args)."""
    if spec.get("shift"):
        return (f"This case's logits are moderate numbers plus {spec['shift']:g}, which changes "
                f"no softmax: np.exp of a raw logit overflowed to inf. Subtract each row's "
                f"maximum before np.exp: the log-softmax is z - max - log(sum(exp(z - max))) "
                f"(log-sum-exp).")
    if spec.get("scale", 0) >= 1e3:
        return (f"On logits of size {spec['scale']:g} a probability underflows to 0 and its log "
                f"is -inf: compute the log-softmax directly, z - max - log(sum(exp(z - max))) "
                f"(log-sum-exp), never np.log of a probability.")
    return "A cross-entropy is a finite number: look for a log of 0 or an exp that overflowed."


def _first_difference_means(n):
    """What the position of the first wrong new token usually points at."""
    if n == 0:
        return ("The very first new token comes from the prompt's pass alone: check which row "
                "of its logits you use (the last, logits[..., -1, :]) and how you turn it into a "
                "token (argmax at temperature 0, else softmax(logits / temperature) and rng).")
    return (f"The {n} token{'s' if n > 1 else ''} before it match, so the prompt's pass and the "
            f"choice of a token are right and the loop goes wrong: after choosing a token, feed "
            f"THAT token (new[..., n:n + 1]) to gpt_forward_cached, with the cache the previous "
            f"call returned.")


def observed_call(name, func, args, kwargs):
    """(result, what the checks see of the call besides it) of call(name, func, args, kwargs).

    For generate: {"fed": the positions each model call fed (_positions_fed, the notebook's
    own profiler), "draws": how many numbers it drew from rng (None: not a count of
    rng.random() calls)}; for the loss, None. The grader's harness calls this in the kernel and
    judges what it reports with observed_problem, as check() does in the notebook."""
    if name != "generate":
        return call(name, func, args, kwargs), None
    rng = kwargs.get("rng")
    start = copy.deepcopy(rng) if isinstance(rng, np.random.Generator) else None
    with _positions_fed() as fed:
        value = call(name, func, args, kwargs)
    want = int(np.prod(np.shape(args[1])[:-1], dtype=int)) * int(args[2])
    draws = None if start is None else _draws(start, rng, 4 * want + 8)
    return value, {"fed": list(fed), "draws": draws}


def observed_problem(name, case, seen):
    """What is wrong with how the answer ran on `case` (observed_call's report), None if
    nothing: generate must use the KV cache and draw from rng what the contract says."""
    if name != "generate":
        return None
    if not isinstance(seen, dict) or not isinstance(seen.get("fed"), (list, tuple)):
        return ("the grader could not see how generate ran on this case (the notebook's "
                "profiler gave no count of the positions fed to the model).")
    spec = case["spec"]
    fed = [int(n) for n in seen["fed"]]
    if not fed:
        return ("your generate never ran the model's gpt_forward_cached (from tiny_gpt.py): "
                "the check counts the positions each call of it feeds, to see that the KV cache "
                "is used.")
    problem = _cache_problem(fed, spec["prompt_len"], spec["max_new_tokens"])
    if problem:
        return problem[:1].upper() + problem[1:]
    draws = seen.get("draws")
    drew = _drew(spec, None if draws is None else int(draws))
    return f"Your tokens are right, but {drew}" if drew else None


def _call_case(name, func, case):
    args, kwargs = case_args(name, case)
    return (args, kwargs) + observed_call(name, func, args, kwargs)


@noting_warnings
def run_case(name, func, case, hidden=False, matched=None, called=None):
    """Run one case; return None if the answer is right, else the message saying why not.
    `called`: (args, kwargs, result, what observed_call saw) of a call already made on it."""
    _args, _kwargs, got, seen = called or _call_case(name, func, case)
    problem = compare(name, case, got, hidden, matched)
    if problem:
        note = observed_note(name, case, seen)
        return problem + (f"\n  {note}" if note else "")
    return observed_problem(name, case, seen)


def observed_note(name, case, seen):
    """What follows a wrong result's message (the judge says it too): how many numbers
    generate drew from rng when that is not the contract's count, else ""."""
    if name != "generate":
        return ""
    draws = seen.get("draws") if isinstance(seen, dict) else None
    drew = _drew(case["spec"], None if draws is None else int(draws))
    return drew[:1].upper() + drew[1:] if drew else ""


def _drew(spec, n):
    """What the answer drew from rng (n numbers, None if unknown) when that is not the
    contract's count, as a clause ("your function drew ..."); "" when it is."""
    want = 0 if spec["temperature"] == 0 else (spec.get("B") or 1) * spec["max_new_tokens"]
    if n == want:
        return ""
    drawn = "an unknown number of numbers" if n is None else f"{n} number{'' if n == 1 else 's'}"
    rule = ("greedy decoding (temperature 0) draws nothing: it takes the argmax and leaves rng "
            "as it was" if want == 0 else
            "one rng.random() per sequence per new token (rng.random(B) with a batch)")
    return f"your function drew {drawn} from rng; the reference draws {want}: {rule}."


check_cases = properties_then_cases(
    KINDS, lambda name, func, case, what, matched=None, called=None: run_case(
        name, func, case, what == "hidden", matched, called),
    PROPERTIES, matching_mutants, _call_case)
check, check_hidden = visible_and_hidden(check_cases)


# ----------------------------------------------------------------------------- the relations

def _padded_batch(V=11, T=9, lengths=(9, 6, 2), seed=8):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, V, size=(len(lengths), T))
    real = np.arange(T)[None, :] < np.array(lengths)[:, None]
    return np.where(real, ids, 0), real


def check_loss_equals_step_losses(causal_lm_loss, gpt_forward, V=11):
    """Your one-pass loss equals the per-step losses of step-by-step decoding, summed and divided
    by the number of counted tokens (each per-step loss also computed by your function).
    gpt_forward(input_ids, params) -> logits is the model's one pass (tiny_gpt.py)."""
    __tracebackhide__ = True
    params = random_gpt_params(V, D=8, n_head=2, n_layer=2, P=16, rng=9)
    ids, real = _padded_batch(V)
    labels = np.where(real, ids, -100)
    one_pass = _loss(causal_lm_loss, gpt_forward(ids, params), labels)
    steps = [[] for _ in range(ids.shape[0])]                     # per-step losses, by sequence
    for b in range(ids.shape[0]):
        for t in range(ids.shape[1] - 1):
            if labels[b, t + 1] == -100:
                continue
            step = gpt_forward(ids[b, :t + 1], params)[-1]          # decoder run on the prefix
            # a two-position input whose only pair is (step's logits, label t + 1)
            steps[b].append(_loss(causal_lm_loss, np.stack([step, np.zeros(V)]),
                                  np.array([ids[b, t], labels[b, t + 1]])))
    total, count = sum(map(sum, steps)), sum(map(len, steps))
    if not np.isclose(one_pass, total / count, rtol=RTOL, atol=ATOL):
        raise CheckFailed(f"one pass gives {one_pass:.10g}, but the {count} per-step losses of "
                          f"step-by-step decoding fed the true prefix sum to {total:.10g}, "
                          f"{total / count:.10g} per counted token. "
                          f"{_relation_mistake(causal_lm_loss, V, one_pass, steps, labels[..., 1:].size)}"
                          if np.isfinite(one_pass) else f"one pass gives {one_pass}.")
    print(f"\u2714 one pass: {one_pass:.6f} = sum of {count} per-step losses / {count} "
          f"= {total / count:.6f}")


def _relation_mistake(causal_lm_loss, V, one_pass, steps, n_pairs):
    """Name the mistake that breaks one pass = per-step losses, from what the numbers show."""
    sure = np.zeros((2, V))
    sure[0, 3] = 50.0                        # position 0 is certain that label 1 is token 3
    if _loss(causal_lm_loss, sure, np.array([1, 3])) > 1.0:   # ~0 when label 1 is scored
        return _sentence(_shift_mistake(causal_lm_loss))
    if np.isclose(one_pass, sum(map(sum, steps)), rtol=RTOL, atol=ATOL):
        return _sentence(MISTAKES["summed"])
    if np.isclose(one_pass, np.mean([np.mean(s) for s in steps if s]), rtol=RTOL, atol=ATOL):
        return _sentence(MISTAKES["mean_of_means"])
    if np.isclose(one_pass, sum(map(sum, steps)) / n_pairs, rtol=RTOL, atol=ATOL):
        return _sentence(MISTAKES["counts_ignored"])
    return ("Check which pairs you count (position t's logits and label t + 1, ignored labels "
            "left out) and that you divide the sum by their number.")


def check_two_forms_agree(causal_lm_loss, shift_right, gpt_forward, start_token_id=1, V=11):
    """The encoder-decoder form (inputs shift_right(labels), logits t score label t) and the
    decoder-only form (labels = input_ids, the shift inside the loss) give the same loss."""
    __tracebackhide__ = True
    params = random_gpt_params(V, D=8, n_head=2, n_layer=2, P=16, rng=10)
    ids, real = _padded_batch(V, T=8, lengths=(8, 5, 3))
    targets = np.where(real, ids, -100)                           # y_0 .. y_{T-1}, padded
    # encoder-decoder form: the inputs are the labels shifted right, no shift in the loss
    inputs = shift_right(targets, start_token_id, 0)
    ed_logits = gpt_forward(inputs, params)
    # row t scores label t; each row's loss on its own (your function on a two-position input
    # whose only pair is that row and its label), then the mean over the counted rows
    rows = [[_loss(causal_lm_loss, np.stack([ed_logits[b, t], np.zeros(V)]), np.array([0, ids[b, t]]))
             for t in np.flatnonzero(real[b])] for b in range(len(ids))]    # by sequence
    ed_loss = sum(map(sum, rows)) / sum(map(len, rows))
    # decoder-only form: one sequence [start, y_0 .. y_{T-1}], labels = input_ids
    full = np.concatenate([np.full((len(ids), 1), start_token_id), np.where(real, ids, 0)], axis=1)
    labels = np.concatenate([np.full((len(ids), 1), start_token_id), targets], axis=1)
    do_loss = _loss(causal_lm_loss, gpt_forward(full, params), labels)
    if not np.isclose(do_loss, ed_loss, rtol=RTOL, atol=ATOL):
        raise CheckFailed(f"on the same data the decoder-only form gives {do_loss:.10g} with your "
                          f"causal_lm_loss, the encoder-decoder form {ed_loss:.10g} (each of its "
                          f"rows scored alone by your function). "
                          f"{_relation_mistake(causal_lm_loss, V, do_loss, rows, labels[..., 1:].size)}"
                          if np.isfinite(do_loss) else f"the decoder-only form gives {do_loss}.")
    print(f"\u2714 encoder-decoder form {ed_loss:.6f} = decoder-only form {do_loss:.6f}")

"""Checks behind the test cells of 06_teacher_forcing_in_transformers.

    from tfcourse.checks_transformer import check
    check("causal_mask", causal_mask)        # a visible test cell

Same machinery as tfcourse.checks (the recurrent notebooks): public cases in
data/reference/<name>.json (written in the course repository, for instructors, by
`python scripts/make_reference_logits.py`), hidden cases packed into the test cell by the
instructor's build (`check_hidden`), a CheckFailed whose message says what is wrong in the
student's terms, and the name of a known mistake when the answer equals what that mistake
computes (the files hold mistakes' outputs, never their code).

Before the reference cases, `check` runs property checks that any correct answer passes and
that need no reference at all: the mask never lets t see t+1, rows of attention weights sum
to 1 and give the future exactly 0, a decoder's row t does not move when later inputs change,
logits are not probabilities. Student-safe: nothing here imports or contains a solution.
"""
import numpy as np

from tfcourse.caches import KVCache
# load_reference and unpack are how the grader's judge reads the cases of a test cell's check.
from tfcourse.checks import (CheckFailed, _draws, _hints, call, load_reference,  # noqa: F401
                             mutants_matching, noting_warnings, pack, time_first,
                             properties_then_cases, unpack, visible_and_hidden)
from tfcourse.checks import decode as _decode_float
from tfcourse.checks import encode as _encode_float
from tfcourse.transformer_params import random_transformer_params

__all__ = ["check", "check_hidden", "check_cases", "CheckFailed", "pack", "unpack"]

RTOL, ATOL = 1e-6, 1e-9

SIGNATURES = {
    "shift_right": "shift_right(labels, start_token_id, pad_token_id, ignore_index=-100)",
    "causal_mask": "causal_mask(T)",
    "causal_self_attention": "causal_self_attention(x, W_q, W_k, W_v, W_o=None)",
    "positional_encoding": "positional_encoding(T, D)",
    "transformer_decoder_forward": "transformer_decoder_forward(input_ids, params)",
    "transformer_decoder_step": "transformer_decoder_step(token_ids, cache, params)",
    "transformer_scheduled_sampling_two_pass":
        "transformer_scheduled_sampling_two_pass(input_ids, params, sampling_prob, rng, predictions)",
}
# What each returns: token ids (exact), a boolean mask (exact), (out, weights), real arrays, or
# one decoding step's (logits, (keys, values)).
KINDS = {"shift_right": "ids", "causal_mask": "mask", "causal_self_attention": "attention",
         "positional_encoding": "array", "transformer_decoder_forward": "logits",
         "transformer_decoder_step": "step",
         "transformer_scheduled_sampling_two_pass": "logits"}

OVERFLOW = "Subtract each row's maximum before np.exp (exp of a large score overflows)."

MISTAKES = {
    # shift_right
    "no_replace": "shift_right did not replace ignore_index with pad_token_id: -100 is not a "
                  "token the decoder can embed. After shifting, set every ignore_index to the pad id.",
    "shifted_left": "you shifted left (input t = label t+1). Teacher forcing feeds the previous "
                    "token: input t = label t-1, and input 0 = the start token.",
    "hardcoded_minus_100": "you replaced -100 instead of the ignore_index you were given.",
    # causal_mask
    "inverted": "your mask is inverted: True must mean 'may attend', which holds for j <= t.",
    "strict": "the mask hides position t from itself: a position attends to itself and its past "
              "(the diagonal is True): a lower-triangular boolean matrix, diagonal included.",
    "sees_next": "the mask lets position t see t+1: it keeps one diagonal above the main one. "
                 "Position t may see j <= t only.",
    "additive": "you returned an additive mask (0 and -inf). Return booleans, True = may attend; "
                "the attention function turns them into -inf scores.",
    # attention
    "unscaled": "you did not scale the scores: divide q @ k.T by sqrt(d_k).",
    "no_mask": "your attention has no causal mask: every position sees the whole sequence.",
    "mask_after_softmax": "you zeroed the future after the softmax, so rows no longer sum to 1. "
                          "Mask the scores (set them to -inf) before the softmax.",
    "softmax_axis": "your softmax runs over the wrong axis (columns sum to 1): use axis=-1, "
                    "over the keys of each query.",
    # positional encoding
    "pe_swapped": "sin and cos are swapped: even columns 2i hold sin, odd columns 2i+1 hold cos.",
    "pe_exponent": "the frequencies are off: columns 2i and 2i+1 share one frequency, "
                   "1 / 10000^(2i/D); use the even index 2i, not the column index.",
    "pe_halves": "you put all sines first and all cosines after: interleave them, sin in even "
                 "columns, cos in odd columns.",
    # decoder
    "no_pe": "your logits match a decoder without positional encoding: add "
             "positional_encoding(T, D) to the token embeddings.",
    "no_residual": "your logits match a decoder without the residual connection: "
                   "h = x + attention output (after W_o).",
    "decoder_unscaled": "your logits match attention without the 1/sqrt(d_k) scale.",
    "probabilities": "you returned probabilities (a softmax): return the logits h @ W_y + b_y.",
    "decoder_no_mask": "your decoder attends to the future: use the causal mask.",
    # one decoding step with a KV cache
    "step_position_0": "every step added the positional encoding of position 0. Step t decodes "
                       "position t = the number of positions already in the cache.",
    "step_old_keys_only": "the new query attended over the cached keys and values only: "
                          "append position t's own key and value first, then attend over all.",
    "step_cache_not_updated": "your logits are right but the cache you returned does not hold "
                              "position t's key and value: the next step needs them.",
    "step_masked": "your step kept only the first cached position's weight: the cache holds "
                   "only the past, so the new position attends over all of it, unmasked.",
    # two-pass scheduled sampling
    "coin_at_0": "you drew a coin for position 0 too. Draw one coin per position t = 1 .. T-1, "
                 "in order; position 0 keeps the start token.",
    "same_position": "you fed position t the prediction made AT position t. The model's guess "
                     "of input t comes from position t-1, whose logits score label t-1.",
    "first_pass": "you returned the first (teacher-forced) pass: run the decoder again on "
                  "the mixed inputs and return those logits.",
}


# ----------------------------------------------------------------------------- cases

def encode(value):
    """tfcourse.checks.encode, keeping integer and boolean arrays exact."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biu":
        return {"int_array": value.astype(np.int64).tolist(), "bool": value.dtype == bool}
    return _encode_float(value)


def decode(data):
    """Invert encode."""
    if isinstance(data, dict) and "int_array" in data:
        return np.array(data["int_array"], dtype=bool if data.get("bool") else np.int64)
    return _decode_float(data)


def make_args(name, spec):
    """Build a graded function's (args, kwargs) from a spec of sizes and seeds."""
    rng = np.random.default_rng(spec["seed"])
    batch = () if spec.get("B") is None else (spec["B"],)
    if name == "causal_self_attention":
        T, D, d_k, d_v, D_out = spec["T"], spec["D"], spec["d_k"], spec["d_v"], spec.get("D_out")
        x = rng.normal(size=batch + (T, D)) * spec.get("scale", 1.0)
        Ws = [rng.normal(size=s) / np.sqrt(D) for s in ((D, d_k), (D, d_k), (D, d_v))]
        W_o = None if D_out is None else rng.normal(size=(d_v, D_out))
        return (x, *Ws, W_o), {}
    V, T = spec["V"], spec.get("T", 1)
    params = random_transformer_params(V, spec["D"], spec["d_k"], spec["d_v"], rng, spec.get("scale"))
    ids = rng.integers(0, V, size=batch + (T,))
    ids[..., 0] = spec.get("start", 1)
    if name == "transformer_decoder_forward":
        return (ids, params), {}
    if name == "transformer_decoder_step":
        # A cache of t random past positions: the step must attend over what it is given,
        # which no pass over a whole sequence of ids can reproduce.
        t, d_k, d_v = spec["t"], spec["d_k"], spec["d_v"]
        token = rng.integers(0, V, size=batch) if batch else int(rng.integers(0, V))
        cache = None if t == 0 else KVCache(rng.normal(size=batch + (t, d_k)),
                                            rng.normal(size=batch + (t, d_v)))
        return (token, cache, params), {}
    if name == "transformer_scheduled_sampling_two_pass":
        return (ids, params, spec["sampling_prob"]), {
            "rng": np.random.default_rng(spec["rng_seed"]),
            "predictions": spec.get("predictions", "greedy")}
    raise ValueError(f"name: expected a graded function of 06_teacher_forcing_in_transformers "
                     f"with a spec, got {name!r}")


def case_args(name, case):
    """A case's (args, kwargs), fresh each call (generators start from their seed)."""
    if "spec" in case:
        return make_args(name, case["spec"])
    return ([decode(a) for a in case["args"]],
            {k: decode(v) for k, v in case.get("kwargs", {}).items()})


# ----------------------------------------------------------------------------- properties

def _array(name, value, what="its result"):
    try:
        arr = np.asarray(value)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise CheckFailed(f"{name} returned {type(value).__name__} for {what}; expected a numpy "
                          f"array of numbers.")
    return arr


def _pair(name, value):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{name} returned {type(value).__name__}; it must return the pair "
                          f"(out, weights).")
    return _array(name, value[0], "out"), _array(name, value[1], "weights")


def _mask_properties(causal_mask):
    for T in (2, 3, 4, 5, 1):  # T = 1 last: there an inverted or a strict mask is all False
        mask = _array("causal_mask", call("causal_mask", causal_mask, (T,), {}))
        if mask.shape != (T, T):
            raise CheckFailed(f"causal_mask({T}) returned shape {mask.shape}; expected ({T}, {T}).")
        if mask.dtype != bool:
            hint = MISTAKES["additive"] if np.any(np.isinf(mask)) else (
                "return booleans (True = may attend): a lower-triangular boolean matrix.")
            raise CheckFailed(f"causal_mask({T}) returned dtype {mask.dtype}: {hint}")
        t, j = np.indices((T, T))
        if T > 1 and np.array_equal(mask, j > t):
            raise CheckFailed(f"causal_mask({T}): {MISTAKES['inverted']}")
        seen = np.argwhere(mask & (j > t))
        if len(seen):
            a, b = seen[0]
            hint = f" {MISTAKES['sees_next']}" if np.array_equal(mask, j <= t + 1) else ""
            raise CheckFailed(f"the mask lets position {a} see position {b}, its future "
                              f"(causal_mask({T})[{a}, {b}] is True).{hint}")
        if not np.all(np.diag(mask)):
            raise CheckFailed(f"causal_mask({T}): {MISTAKES['strict']}")


def _attention_properties(attention):
    for batch, D_out in (((), None), ((2,), 7)):
        args, _ = make_args("causal_self_attention", {"seed": 0, "T": 6, "D": 6, "d_k": 4,
                                                      "d_v": 3, "D_out": D_out, "B": (batch or [None])[0]})
        out, weights = _pair("causal_self_attention",
                             call("causal_self_attention", attention, args, {}))
        shape = f"x of shape {args[0].shape}" + (" and W_o" if D_out else " and W_o=None")
        if out.shape != batch + (6, D_out or 3):
            raise CheckFailed(f"for {shape}, out should have shape {batch + (6, D_out or 3)}, "
                              f"got {out.shape}.")
        if weights.shape != batch + (6, 6):
            raise CheckFailed(f"for {shape}, weights should have shape {batch + (6, 6)}, got "
                              f"{weights.shape}.")
        w = weights.reshape((-1, 6, 6)).astype(np.float64)
        future = np.triu(np.ones((6, 6), dtype=bool), k=1)
        sums = w.sum(axis=-1)
        if np.any(np.abs(sums - 1) > 1e-9):
            hint = (MISTAKES["softmax_axis"] if np.allclose(w.sum(axis=-2), 1) else
                    MISTAKES["mask_after_softmax"] if np.all(w[:, future] == 0) else "")
            raise CheckFailed(f"rows of attention weights do not sum to 1 (row sums of the first "
                              f"example: {np.round(sums[0], 4).tolist()}). {hint}")
        seen = np.argwhere((w != 0) & future)
        if len(seen):
            n, a, b = seen[0]
            raise CheckFailed(f"the mask lets position {a} see position {b}: weight "
                              f"{w[n, a, b]:.3g} on the future, expected exactly 0 (set masked "
                              f"scores to -inf before the softmax).")
    args, _ = make_args("causal_self_attention", {"seed": 1, "T": 5, "D": 6, "d_k": 4, "d_v": 3,
                                                  "scale": 1e4})
    out, weights = _pair("causal_self_attention", call("causal_self_attention", attention, args, {}))
    if not (np.all(np.isfinite(out)) and np.all(np.isfinite(weights))):
        raise CheckFailed(f"your softmax overflowed on large scores (nan or inf in the "
                          f"result). {OVERFLOW}")


def _decoder_properties(name, decoder):
    """Logits, not probabilities; row t must not move when only inputs after t change."""
    args, _ = make_args(name, {"seed": 3, "V": 9, "D": 6, "d_k": 4, "d_v": 5, "T": 6})
    ids, params = args
    logits = _array(name, call(name, decoder, args, {})).astype(np.float64)
    if logits.shape != (6, 9):
        raise CheckFailed(f"{name} on input_ids of shape (T,) = (6,) with V = 9 returned shape "
                          f"{logits.shape}; expected (T, V) = (6, 9).")
    if np.all(logits >= 0) and np.allclose(logits.sum(axis=-1), 1):
        raise CheckFailed(f"{name}: {MISTAKES['probabilities']}")
    for t in range(5):
        changed = ids.copy()
        changed[t + 1:] = (changed[t + 1:] + 1) % 9
        again = _array(name, call(name, decoder, (changed, params), {})).astype(np.float64)
        if again.shape == logits.shape and not np.allclose(again[:t + 1], logits[:t + 1],
                                                           rtol=RTOL, atol=ATOL):
            raise CheckFailed(f"{name}: row {t} of your logits changed when only inputs "
                              f"{t + 1}.. changed, so position {t} sees its future. "
                              f"{MISTAKES['decoder_no_mask']}")


PROPERTIES = {"causal_mask": _mask_properties, "causal_self_attention": _attention_properties,
              "transformer_decoder_forward": lambda f: _decoder_properties(
                  "transformer_decoder_forward", f)}


# ----------------------------------------------------------------------------- comparing

def _close(a, b):
    # NaN equals NaN: a reference result is finite, so only a mistake's output (a mask that
    # hides a whole row) can hold NaN, and an answer computing the same NaN is that mistake
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _step_result(name, value):
    """(logits, keys, values) of one decoding step's (logits, KVCache(keys, values))."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2
            and isinstance(value[1], (tuple, list)) and len(value[1]) == 2):
        raise CheckFailed(f"{name} returned {type(value).__name__}; it must return the pair "
                          f"(logits, cache), cache = KVCache(keys, values).")
    return (_array(name, value[0], "logits").astype(np.float64),
            _array(name, value[1][0], "cache.keys").astype(np.float64),
            _array(name, value[1][1], "cache.values").astype(np.float64))


def _matches(kind, got, output):
    out = decode(output)
    if kind == "step":  # JSON keeps no shape for an empty cache: (B, 0, d_k) comes back (B, 0)
        return all(g.size == 0 if np.size(e) == 0 else _close(g, np.asarray(e))
                   for g, e in zip(got, (out[0], *out[1])))
    if kind == "attention":
        return _close(got[0], np.asarray(out[0])) and _close(got[1], np.asarray(out[1]))
    if kind in ("ids", "mask"):
        out = np.asarray(out)
        return got.shape == out.shape and np.array_equal(got, out)
    return _close(got.astype(np.float64), np.asarray(out, dtype=np.float64))


def _normalised(name, got):
    """The student's result as compare() compares it."""
    kind = KINDS[name]
    if kind == "attention":
        return tuple(g.astype(np.float64) for g in _pair(name, got))
    if kind == "step":
        return _step_result(name, got)
    got = _array(name, got)
    return got if kind in ("ids", "mask") else got.astype(np.float64)


def matching_mutants(name, cases, results):
    """The mistakes (ids) that reproduce the answer on every case it answered
    (tfcourse.checks.matching_mutants): matched on behaviour, never on one case."""
    kind = KINDS[name]
    return mutants_matching(cases, results, lambda got: _normalised(name, got),
                            lambda got, output: _matches(kind, got, output), _PARTS.get(kind),
                            (lambda v: time_first(decode(v))) if kind == "logits" else None)


def _parts(names):
    """{part: array} of an answer as _normalised gives it, or of a stored output (nested as
    the function returns it: (logits, (keys, values)))."""
    def split(value):
        value = decode(value)
        flat = (value[0], *value[1]) if len(value) == 2 and len(names) == 3 else value
        return {n: np.asarray(v, dtype=np.float64) for n, v in zip(names, flat)}
    return split


# Functions that return several arrays are named part by part (mutants_matching's `parts`).
_PARTS = {"attention": _parts(("out", "weights")),
          "step": _parts(("logits", "cache.keys", "cache.values"))}


def _first_difference(got, want, hidden=False):
    """Where `got` first differs from `want`; for a hidden case (`hidden`) only where, never the
    expected value or how many entries differ."""
    if got.shape != want.shape:
        return f"expected shape {want.shape}, got {got.shape}."
    if not np.all(np.isfinite(got)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        return f"your result contains NaN or infinity at {index}."
    bad = np.argwhere(~np.isclose(got, want, rtol=RTOL, atol=ATOL))
    index = tuple(int(i) for i in bad[0])
    where = (f"row (position) {index[-2]}" if got.ndim >= 2 else f"index {index}")
    if hidden:
        return f"the first entry that differs from the reference is at {index}, {where}."
    return (f"{len(bad)} of {got.size} entries differ; the first is at {index}, {where}: "
            f"got {got[index]:.6g}, expected {want[index]:.6g}.")


def compare(name, case, got, hidden=False, matched=None):
    """Return None if `got` matches the case's expected result, else what is wrong.

    `matched`: the mistakes matching the answer on all of the function's cases
    (matching_mutants); by default, those matching it on this case.

    `hidden`: the message says where the answer first differs (and the known mistake it
    matches) but no number derived from the expected output; for token ids and masks, whose
    values a student could guess one by one, not even where."""
    kind = KINDS[name]
    expected = decode(case["expected"])
    if kind == "attention":
        got = _pair(name, got)
        out_ok, w_ok = (_close(g.astype(np.float64), np.asarray(e)) for g, e in zip(got, expected))
        if out_ok and w_ok:
            return None
        report = " ".join(f"{part}: {_first_difference(g.astype(np.float64), np.asarray(e), hidden)}"
                          for g, e, ok, part in zip(got, expected, (out_ok, w_ok), ("out", "weights"))
                          if not ok)
        if not all(np.all(np.isfinite(np.asarray(g, dtype=np.float64))) for g in got):
            report += f" {OVERFLOW}"
    elif kind == "step":
        got = _step_result(name, got)
        parts = zip(("logits", "cache.keys", "cache.values"), got, (expected[0], *expected[1]))
        report = " ".join(f"{part}: {_first_difference(g, np.asarray(e), hidden)}"
                          for part, g, e in parts if not _close(g, np.asarray(e)))
        if not report:
            return None
    elif kind in ("ids", "mask"):
        got, expected = _array(name, got), np.asarray(expected)
        if got.shape == expected.shape and np.array_equal(got, expected):
            if kind == "mask" and got.dtype != bool:
                return f"returned dtype {got.dtype}; return a boolean array."
            if kind == "ids" and got.dtype.kind not in "iu":
                return (f"the values are right but the dtype is {got.dtype}: token ids must be "
                        f"integers, since they index the embedding's rows.")
            return None
        if hidden:
            report = (f"expected shape {expected.shape}, got {got.shape}."
                      if got.shape != expected.shape else
                      f"your {'token ids differ' if kind == 'ids' else 'mask differs'} from the "
                      f"reference.")
        else:
            report = (f"expected {expected.astype(int).tolist() if kind == 'ids' else expected.tolist()}"
                      f", got {got.tolist()}.")
        if kind == "ids" and got.shape == expected.shape and not np.issubdtype(got.dtype, np.integer):
            report += " Token ids must be integers."
    else:
        got = _array(name, got).astype(np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if _close(got, expected):
            return None
        report = _first_difference(got, expected, hidden)
    if matched is None:
        matched = [m for m, out in case.get("mistakes", {}).items()
                   if out is not None and _matches(kind, got, out)]
    return report + _hints(matched, case.get("diagnoses"), MISTAKES)


def _call_case(name, func, case):
    args, kwargs = case_args(name, case)
    return args, kwargs, call(name, func, args, kwargs)


@noting_warnings
def run_case(name, func, case, hidden=False, matched=None, called=None):
    """Run one case; return None if the answer is right, else the message saying why not.
    `called`: (args, kwargs, result) of a call already made on this case."""
    args, kwargs, got = called or _call_case(name, func, case)
    problem = compare(name, case, got, hidden, matched)
    if problem and isinstance(kwargs.get("rng"), np.random.Generator):
        problem += _draw_report(args[0], kwargs, case["spec"]["rng_seed"])
    return problem


def _draw_report(input_ids, kwargs, seed):
    """Say how many numbers the answer drew from rng when that is not the contract's count."""
    coins = input_ids.size - input_ids.size // input_ids.shape[-1]  # (T-1) per sequence
    want = coins * (2 if kwargs.get("predictions") == "sample" else 1)
    n = _draws(seed, kwargs["rng"], 4 * want + 8)
    if n == want:
        return ""
    drawn = "an unknown number of numbers" if n is None else f"{n} number{'' if n == 1 else 's'}"
    return (f"\n  Your function drew {drawn} from rng; the reference draws {want}: one "
            f"rng.random() per position t = 1 .. T-1 of each sequence"
            + (", then as many for the sampled tokens" if want != coins else "")
            + ", from the rng it is given (never np.random.*).")


check_cases = properties_then_cases(
    KINDS, lambda name, func, case, what, matched=None, called=None: run_case(
        name, func, case, what == "hidden", matched, called),
    PROPERTIES, matching_mutants, _call_case)
check, check_hidden = visible_and_hidden(check_cases)


def check_one_pass_equals_step_by_step(forward, step, lengths=(1, 4, 9), V=11):
    """Your two decoders must agree: T calls of `step`, fed the true inputs one position at a
    time with the cache each call returns, give the rows of one teacher-forced pass."""
    __tracebackhide__ = True
    params = random_transformer_params(V, 8, 4, 4, rng=7)
    for T in lengths:
        ids = np.random.default_rng(T).integers(0, V, size=T)
        one = _array("transformer_decoder_forward", call("transformer_decoder_forward", forward,
                                                         (ids, params), {})).astype(np.float64)
        cache, rows = None, []
        for t in range(T):
            logits, keys, values = _step_result("transformer_decoder_step", call(
                "transformer_decoder_step", step, (int(ids[t]), cache, params), {}))
            if logits.shape != (V,):
                raise CheckFailed(f"transformer_decoder_step returned logits of shape "
                                  f"{logits.shape} for one token; expected (V,) = ({V},).")
            rows.append(logits)
            cache = KVCache(keys, values)
        steps = np.stack(rows)
        if not _close(steps, one):
            raise CheckFailed(f"for T = {T}, step by step differs from one pass: "
                              f"{_first_difference(steps, one)}")
    print(f"\u2714 one teacher-forced pass equals step-by-step decoding for T in {list(lengths)}.")

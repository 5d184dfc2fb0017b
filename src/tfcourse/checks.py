"""Checks behind the notebooks' test cells: compare an answer with the reference, say what is wrong.

    from tfcourse.checks import check
    check("rnn_step", rnn_step)        # a notebook's visible test cell

`check` runs a graded function on the public reference cases in data/reference/<name>.json
(written in the course repository, for instructors, by scripts/make_reference_logits.py) and
raises CheckFailed with a message in the student's terms: the function raised (and its
message), returned None, returned the wrong shape (expected vs got), or which step's logits
first differ and by how much. When the answer equals what a known mistake computes (the
reference files store those outputs too, never the mistaken code), the message names the
mistake and says how to fix it.

`check_cases` is the same comparison on cases given inline; the hidden tests that the
instructor's build adds to the graded notebooks call it. A correct answer prints one line to
stdout and nothing to stderr: nbgrader scores a test cell 0 if it writes to stderr, so a
warning raised inside the student's code (an overflow in exp, say) is caught and fails the case
with a message saying which warning and how to avoid it (the grader's harness calls the same
`call`, so it fails there too).
"""
import base64
import contextlib
import copy
import functools
import inspect
import json
import math
import re
import textwrap
import traceback
import warnings
import zlib

import numpy as np

from tfcourse.params import random_decoder_params

# Two answers agree when every entry does to within these (np.allclose's meaning); loose enough
# for any order of floating-point operations, tight enough that every known mistake differs.
RTOL, ATOL = 1e-6, 1e-9

SIGNATURES = {
    "rnn_step": "rnn_step(x, h_prev, params)",
    "lstm_step": "lstm_step(x, h_prev, c_prev, params)",
    "gru_step": "gru_step(x, h_prev, params)",
    "decoder_forward_teacher_forcing":
        "decoder_forward_teacher_forcing(context_vector, target_seq, decoder_params, cell_type)",
    "decoder_forward_free_running":
        "decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type)",
    "decoder_forward_scheduled_sampling":
        "decoder_forward_scheduled_sampling(context_vector, target_seq, decoder_params, "
        "sampling_prob, cell_type, rng)",
    "linear_schedule": "linear_schedule(i, k, c, eps_min)",
    "exponential_schedule": "exponential_schedule(i, k)",
    "inverse_sigmoid_schedule": "inverse_sigmoid_schedule(i, k)",
    "recovery_curve":
        "recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type)",
}
# What each graded function returns: logits per step, a state, an (h, c) pair, or a number.
KINDS = {"rnn_step": "state", "gru_step": "state", "lstm_step": "pair",
         "decoder_forward_teacher_forcing": "logits", "decoder_forward_free_running": "logits",
         "decoder_forward_scheduled_sampling": "logits", "linear_schedule": "number",
         "exponential_schedule": "number", "inverse_sigmoid_schedule": "number",
         "recovery_curve": "curve"}

_FIX_START = ("x_0 = decoder_params['start'] at step 0, and x_t = target_seq[t-1] for t >= 1")
# The known mistakes that the reference files hold outputs for: id -> what to tell the student.
MISTAKES = {
    # cells
    "no_bias": "you left out the bias b: the pre-activation is x @ W_x + h_prev @ W_h + b.",
    "no_tanh": "you returned the pre-activation: apply np.tanh to x @ W_x + h_prev @ W_h + b.",
    "ignored_h_prev": "you ignored h_prev: the new state needs h_prev @ W_h as well as x @ W_x.",
    "returned_h_prev": "you returned h_prev unchanged: the hidden state was never updated.",
    "gates_ifog": "your LSTM gate blocks are in the order i, f, o, g (CS231n's order). This "
                  "course uses PyTorch's order i, f, g, o: a[..., 2H:3H] is the candidate g "
                  "(tanh) and a[..., 3H:] the output gate o (sigmoid).",
    "gates_fiog": "your LSTM gate blocks start with the forget gate. The order is i, f, g, o: "
                  "input gate first (a[..., :H]), then forget (a[..., H:2H]).",
    "sigmoid_candidate": "you squashed the LSTM candidate g with a sigmoid; g uses tanh "
                         "(only i, f and o are sigmoids).",
    "h_without_tanh": "you set h_next = o * c_next; the LSTM's output is o * tanh(c_next).",
    "returned_c_h": "you returned (c_next, h_next); lstm_step returns (h_next, c_next).",
    "reset_before_matmul": "your GRU applies the reset gate to h_prev before the matrix product, "
                           "(r * h_prev) @ W_hn (Cho et al. 2014). PyTorch's GRUCell applies it "
                           "after: n = tanh(x W_xn + b_xn + r * (h_prev W_hn + b_hn)).",
    "update_swapped": "your GRU mixes with z the other way round; PyTorch's GRUCell has "
                      "h_next = (1 - z) * n + z * h_prev (z = 1 keeps the old state).",
    "no_hidden_bias": "your GRU leaves out b_h, the hidden-side bias: each gate adds "
                      "h_prev @ W_h + b_h (and r multiplies h_prev @ W_hn + b_hn).",
    # decoders
    "fed_prediction": "your decoder fed its own prediction (argmax of the previous logits), "
                      "which is free running. Teacher forcing feeds the true previous token: "
                      + _FIX_START + ".",
    "fed_current_target": "you fed target_seq[t] at step t, the very token step t must predict "
                          "(inputs shifted by one). Step t consumes the previous token: "
                          + _FIX_START + ".",
    "wrapped_start": "at step 0 you fed target_seq[t-1] = target_seq[-1], which Python wraps "
                     "round to the LAST row. Step 0 has no previous token: "
                     "feed decoder_params['start'].",
    "zero_start": "you fed a zero vector at step 0; the start input is decoder_params['start'].",
    "missing_first_step": "you skipped the start token: your decoder never ran step 0 "
                          "(input decoder_params['start']), so it returned one row too few "
                          "and every row is one step early.",
    "probabilities": "you returned probabilities (a softmax); return the logits "
                     "h_t @ W_y + b_y themselves.",
    "no_state_update": "you never updated the hidden state: every step started again from "
                       "context_vector. Carry h (and c for an LSTM) from one step to the next.",
    "zero_context": "you started from a zero hidden state; h_0 is context_vector.",
    "hidden_states": "you returned the hidden states h_t; the logits are h_t @ W_y + b_y.",
    "lstm_c_from_context": "you started the LSTM's cell state from context_vector; "
                           "c_0 is zeros (only h_0 = context_vector).",
    "fed_start_every_step": "you fed decoder_params['start'] at every step; from step 1 on, "
                            "feed embedding[argmax(logits[t-1])], the model's previous guess.",
    "logits_before_step": "your logits at step t come from the state before step t's update "
                          "(row 0 scores context_vector). Update the state first, then "
                          "logits_t = h_t @ W_y + b_y.",
    "coin_at_step_0": "you drew a coin at step 0 as well. Step 0 always feeds the start "
                      "input and draws nothing: one rng.random() per step t = 1 .. T-1, in order.",
    "inverted_coin": "your coin is the wrong way round: feed the model's prediction when "
                     "u < sampling_prob (sampling_prob is the probability of feeding the "
                     "model's own token), the true token otherwise.",
    "per_sequence_coin": "you flipped one coin for the whole sequence. Scheduled sampling "
                         "(Bengio et al. 2015) flips one coin per step t = 1 .. T-1.",
    "always_teacher_forcing": "your decoder always fed the true token: sampling_prob had no "
                              "effect. Feed the model's prediction when rng.random() < "
                              "sampling_prob.",
    "always_free_running": "your decoder always fed its own prediction: sampling_prob had "
                           "no effect. Feed it only when rng.random() < sampling_prob.",
    # schedules
    "returned_sampling_prob": "you returned 1 - eps_i, the probability of feeding the model's "
                              "token. The schedule returns eps_i, the probability of feeding "
                              "the TRUE token.",
    "min_instead_of_max": "you used min where the linear schedule has max: "
                          "eps_i = max(eps_min, k - c*i) never drops below eps_min.",
    "k_times_i": "you computed k * i; the exponential schedule is eps_i = k ** i.",
    "exp_sign_flipped": "the exponent has the wrong sign: eps_i = k / (k + exp(i / k)) "
                        "starts near 1 and decays to 0.",
}


# nbgrader validate cuts an error line at 83 characters ("..."): the verdict is wrapped to fit.
RENDER_WIDTH = 82


class CheckFailed(AssertionError):
    """A test cell's verdict: what is wrong with the answer, in the student's terms.

    IPython shows it as the verdict alone, without a traceback (`_render_traceback_`): the
    frames would be the course's checking code, which tells a student nothing and pushes the
    verdict below the fold. The same lines reach JupyterLab, nbgrader's Validate and the
    feedback, which all show the kernel's error output.
    """

    def _render_traceback_(self):
        lines = f"{type(self).__name__}: {self}".splitlines()
        wrapped = [part for line in lines for part in textwrap.wrap(
            line, RENDER_WIDTH, subsequent_indent=line[:len(line) - len(line.lstrip())],
            break_long_words=False, break_on_hyphens=False) or [""]]
        name = type(self).__name__
        return [f"\x1b[0;31m{name}\x1b[0m{wrapped[0][len(name):]}", *wrapped[1:]]


# ----------------------------------------------------------------------------- cases

def encode(value):
    """Encode a case's argument or result as JSON-able data (see decode)."""
    if isinstance(value, np.random.Generator):
        raise TypeError("encode a generator as {'rng_seed': n}")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":   # token ids stay ints
            return {"array": value.tolist(), "dtype": "int64"}
        return {"array": value.tolist()}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def decode(data):
    """Invert encode: arrays, tuples, dicts, {'rng_seed': n} -> a fresh Generator, scalars."""
    if isinstance(data, dict):
        if "array" in data:
            return np.array(data["array"], dtype=data.get("dtype", np.float64))
        if "tuple" in data:
            return tuple(decode(v) for v in data["tuple"])
        if "dict" in data:
            return {k: decode(v) for k, v in data["dict"].items()}
        if "rng_seed" in data:
            return np.random.default_rng(data["rng_seed"])
    return data


def make_args(name, spec):
    """Build a graded function's arguments from a small spec (sizes and a seed).

    Hidden tests store specs, not arrays: the same spec always gives the same arguments.
    Returns (args, kwargs).
    """
    rng = np.random.default_rng(spec["seed"])
    cell = spec.get("cell_type", "rnn")
    D, H = spec.get("D", 3), spec.get("H", 4)
    if name in ("rnn_step", "lstm_step", "gru_step"):
        batch = () if spec.get("B") is None else (spec["B"],)
        params = {k: v for k, v in random_decoder_params(cell, D, H, 2, rng).items()
                  if k in ("W_x", "W_h", "b", "b_x", "b_h")}
        x, h = rng.normal(size=batch + (D,)), rng.normal(size=batch + (H,))
        if name == "lstm_step":
            return (x, h, rng.normal(size=batch + (H,)), params), {}
        return (x, h, params), {}
    V, T = spec["V"], spec["T"]
    params = random_decoder_params(cell, D, H, V, rng, scale=spec.get("scale"))
    context = rng.normal(size=H)
    target_seq = params["embedding"][rng.integers(0, V, size=T)]
    if name == "decoder_forward_teacher_forcing":
        return (context, target_seq, params), {"cell_type": cell}
    if name == "decoder_forward_free_running":
        return (context, params, T), {"cell_type": cell}
    if name == "decoder_forward_scheduled_sampling":
        seed = spec["rng_seed"]
        coins = seed if spec.get("rng_as") == "int" else np.random.default_rng(seed)
        return (context, target_seq, params, spec["sampling_prob"]), {"cell_type": cell,
                                                                       "rng": coins}
    raise ValueError(f"name: expected a graded function with array arguments, got {name!r}")


def case_args(name, case):
    """A case's (args, kwargs), fresh each call (generators start from their seed)."""
    if "spec" in case:
        return make_args(name, case["spec"])
    return ([decode(a) for a in case["args"]],
            {k: decode(v) for k, v in case.get("kwargs", {}).items()})


def pack(obj):
    """Compress JSON-able data into an ASCII string (hidden tests embed their cases so)."""
    raw = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def unpack(text):
    """Invert pack."""
    return json.loads(zlib.decompress(base64.b64decode("".join(text.split()))))


def load_reference(name):
    """The public reference cases of graded function `name` (from data/reference/)."""
    from tfcourse.paths import data_dir  # deferred: only visible checks need the data folder
    path = data_dir() / "reference" / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no reference data for {name!r} at {path}: this data/ folder is "
                                f"incomplete; get the course's data/ folder again (in the course "
                                f"repository, for instructors, `python "
                                f"scripts/make_reference_logits.py` writes it)")
    reference = json.loads(path.read_text())
    for case in reference["cases"]:  # each case names its mistakes with the file's sentences
        case.setdefault("diagnoses", reference.get("diagnoses", {}))
    return reference


# ----------------------------------------------------------------------------- running

def _describe_args(args, kwargs):
    def one(v):
        if isinstance(v, np.ndarray):
            return f"array{v.shape}"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {one(x)}" for k, x in v.items()) + "}"
        if isinstance(v, np.random.Generator):
            return "a numpy Generator"
        return repr(v)
    return ", ".join([one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])


def call(name, func, args, kwargs):
    """Call the student's function; turn any failure into a CheckFailed saying what happened."""
    if not callable(func):
        raise CheckFailed(f"{name} is not a function (got {type(func).__name__}); run the cell "
                          f"that defines it.")
    before = copy.deepcopy((args, kwargs))
    try:
        # numpy's floating-point errors as warnings (not underflow: rounding to 0 is no error)
        with warnings.catch_warnings(record=True) as warned, np.errstate(
                over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            result = func(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(_not_implemented(name)) from None
    except Exception as error:
        raise CheckFailed(f"{name} raised {type(error).__name__}: {error}"
                          f"{_where_in_cell(error, name)}"
                          f"\n  called as {name}({_describe_args(args, kwargs)})") from None
    failing = [w for w in warned if not issubclass(w.category, _VERSION_WARNINGS)]
    if failing:
        message = str(failing[0].message).splitlines()
        report = warning_report(name, failing[0].category.__name__,
                                message[0][:200] if message else "")
        if not _COLLECTING:
            raise CheckFailed(report)
        _COLLECTING[-1].append(report)
    if result is None:
        raise CheckFailed(f"{name} returned None: did you forget `return`?")
    changed = _changed_input(before, (args, kwargs), _parameter_names(func))
    if changed:
        raise CheckFailed(f"{name} modified its input {changed} in place; compute new arrays "
                          f"instead (the caller's arrays must stay as they were).")
    return result


_COLLECTING = []  # the lists of warnings_collected() blocks, innermost last


@contextlib.contextmanager
def warnings_collected():
    """Within this block `call` does not raise on a warning: it appends the report to the list
    this yields and returns the result, so that a wrong result is still diagnosed (an overflow
    that makes a NaN is a known mistake) and the warning fails a case whose result is right."""
    found = []
    _COLLECTING.append(found)
    try:
        yield found
    finally:
        _COLLECTING.pop()


def noting_warnings(run_case):
    """A module's run_case that, called on its own (not from judge_cases, which collects
    warnings itself), says a warning after what is wrong with the result, as judge_cases does."""
    @functools.wraps(run_case)
    def noted(*args, **kwargs):
        with warnings_collected() as warned:
            problem = run_case(*args, **kwargs)
        if not warned:
            return problem
        return f"{problem}\n  {warned[0]}" if problem else warned[0]
    return noted


# Warnings about the library version, not the answer: whether they appear depends on the
# installed numpy, and a grade must not.
_VERSION_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
# numpy's own floating-point messages (np.errstate): the only warning text a hidden case's
# verdict repeats, since it names the operation and nothing of the case's inputs.
NUMPY_WARNING = r"(overflow|divide by zero|invalid value) encountered in \w+"
_WARNING_FIX = {
    "overflow": "a number grew past the float range (exp of a large argument?): compute the "
                "value in a form that cannot overflow, e.g. with exp of a negative argument "
                "only, or return the limit before computing what would overflow.",
    "divide by zero": "a division by zero (or log of 0): keep the denominator away from 0.",
    "invalid value": "an operation gave NaN (inf - inf, 0 * inf, 0/0 or the like): find "
                     "which, and compute the value in a form that avoids it.",
}


def warning_report(name, category, text):
    """Why a call that warned fails: which warning (`category`, its message `text`), and how to
    avoid it."""
    known = re.fullmatch(NUMPY_WARNING, text)
    fix = (_WARNING_FIX[known[1]] if known else
           "find the line that warns (call the function yourself on these arguments) and "
           "change it so it does not.")
    return (f"{name} raised a {category} while it ran ({text}). A warning in a test cell costs "
            f"the cell's points under nbgrader: {fix}")


def _not_implemented(name):
    return (f"{name} is not implemented yet: replace `raise NotImplementedError()` with your "
            f"code, run that cell, then this one.")


def _is_stub(func):
    """True for nbgrader's unanswered stub: a body that names nothing but NotImplementedError."""
    code = getattr(func, "__code__", None)
    return code is not None and code.co_names == ("NotImplementedError",)


def graded_here(name, func, hidden_cases):
    """A hidden test cell as the student has it: say what runs here at grading, run nothing.

    The visible test cell above already ran the public cases; repeating them here would only
    print the same verdict twice. This fails while `func` is still the unanswered stub, so that
    `nbgrader validate --invert` sees every graded cell of an unanswered notebook fail."""
    __tracebackhide__ = True
    if not callable(func):
        raise CheckFailed(f"{name} is not a function (got {type(func).__name__}); run the cell "
                          f"that defines it.")
    if _is_stub(func):
        raise CheckFailed(_not_implemented(name))
    print(f"{name}: {hidden_cases} hidden cases run in this cell when your notebook is graded "
          f"(the test cell above ran the public ones).")


def _where_in_cell(error, name=None):
    """Where in the student's notebook `error` was raised, as lines of the message, or "".

    The innermost frame of code a notebook cell defined (IPython files cells under
    .../ipykernel_<pid>/ or <ipython-input-...>), since the traceback itself is not shown.
    When that frame is in another function than the graded one, `name` (a helper of the
    student's, often right, which the graded function called with wrong arguments), the line
    of `name` that made the call is cited too: the bug is as likely there."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "ipykernel_" in f.filename or f.filename.startswith("<ipython-input")]
    if not frames:
        return ""

    def line(frame):
        code = f": {frame.line.strip()}" if frame.line else ""
        return f"line {frame.lineno} of the cell that defines {frame.name}{code}"
    out = f"\n  at {line(frames[-1])}"
    caller = next((f for f in reversed(frames) if f.name == name), None)
    if name and frames[-1].name != name and caller is not None:
        out += (f"\n  called from {line(caller)} (check what it passes, not only "
                f"{frames[-1].name})")
    return out


def _parameter_names(func):
    """The names of func's positional parameters, in order ([] if Python cannot tell)."""
    try:
        return [p.name for p in inspect.signature(func).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _changed_input(before, after, names=()):
    """Which input the call changed ("target_ids (argument 2)", "params['W_y'] (argument 2)"),
    or None;
    `names`: the function's positional parameters, naming the arguments."""
    b_args, b_kwargs = before
    a_args, a_kwargs = after
    for i, (b, a) in enumerate(zip(b_args, a_args)):
        where = _differs(b, a, names[i] if i < len(names) else f"argument {i + 1}")
        if where and i < len(names):
            return f"{where} (argument {i + 1})"
        if where:
            return where
    for k in b_kwargs:
        where = _differs(b_kwargs[k], a_kwargs[k], k)
        if where:
            return where
    return None


def _differs(b, a, where):
    if isinstance(b, np.ndarray):
        return None if np.array_equal(b, a) else where
    if isinstance(b, dict):
        for k in b:
            sub = _differs(b[k], a[k], f"{where}[{k!r}]")
            if sub:
                return sub
    return None


def _as_real_array(name, value, what):
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(np.float64, copy=False)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} returned {type(value).__name__} for {what}; expected a numpy "
                          f"array of numbers.") from None
    return arr


def _close(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _maxdiff(a, b):
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _normalise(kind, name, value):
    """The student's result as comparable arrays (a tuple of two for an LSTM step)."""
    if kind == "pair":
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            got = (f"a {type(value).__name__} of length {len(value)}"
                   if isinstance(value, (tuple, list)) else type(value).__name__)
            raise CheckFailed(f"{name} returned {got}; it must return the pair "
                              f"(h_next, c_next).")
        return tuple(_as_real_array(name, v, part) for v, part in zip(value, ("h_next", "c_next")))
    if kind == "number":
        if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0:
            raise CheckFailed(f"{name} returned {type(value).__name__} "
                              f"{np.shape(value) if np.ndim(value) else value!r}; "
                              f"it must return one number, eps_i.")
        return _as_real_array(name, value, "eps_i")
    return _as_real_array(name, value, "its result")


def _matches(kind, got, output):
    if output is None:  # the mistake raised on this case
        return False
    out = decode(output)
    if kind == "pair":
        return _close(got[0], np.asarray(out[0])) and _close(got[1], np.asarray(out[1]))
    out = np.asarray(out, dtype=np.float64)
    if out.size == 0:  # JSON keeps no shape for an empty array: (0, V) comes back as (0,)
        return got.size == 0
    return _close(got, out)


def _matching_mistakes(kind, got, mistakes):
    return [mistake for mistake, output in mistakes.items() if _matches(kind, got, output)]


_ABSENT = object()


def matching_mutants(name, cases, results):
    """The mistakes (ids) that reproduce the student's answer on every case it answered.

    `results[k]` is the student's result on `cases[k]`, or None where the call failed. A case
    stores the output of each mistake that computes something else than the reference there
    (None where the mistake raised); a mistake absent from a case computes the reference's
    answer on it. Matching is on behaviour: any code that computes what a mistake computes on
    all cases gets that mistake's name, however it is written. An LSTM step's (h_next, c_next)
    with one slip in each is named part by part (mutants_matching's `parts`)."""
    kind = KINDS[name]
    return mutants_matching(cases, results, lambda got: _normalise(kind, name, got),
                            lambda got, output: _matches(kind, got, output),
                            _pair_parts if kind == "pair" else None,
                            time_first if kind == "logits" else None)


def time_first(value, axis=-2):
    """A decoder's logits (.., T, V) (or, axis=-1, token ids (.., T)) with the time axis first."""
    return np.moveaxis(np.asarray(decode(value), dtype=np.float64), axis, 0)


def _pair_parts(value):
    """An LSTM step's answer or stored output as {part: array}."""
    return {part: np.asarray(v, dtype=np.float64)
            for part, v in zip(("h_next", "c_next"), decode(value))}


class Matched(list):
    """The mistakes (ids) an answer matches. `parts[id]`, where set, are the parts of the answer
    that mistake reproduces when no mistake reproduces all of it (mutants_matching)."""

    def __init__(self, ids=(), parts=None):
        super().__init__(ids)
        self.parts = dict(parts or {})


def mutants_matching(cases, results, normalise, matches, parts=None, steps=None):
    """matching_mutants for any family of checks: `normalise(result)` makes a result
    comparable (raising CheckFailed when it cannot be: then nothing matches), `matches(got,
    output)` says whether it equals a stored output (None: the mistake raised there).

    `parts(value)`, for a function that returns several parts, splits a normalised answer, a
    stored output or an expected result into {part name: array} (a part a stored output lacks
    is one it does not record). When no mistake reproduces the whole answer, an answer with a
    slip in each of several parts is named part by part (_named_by_parts). `steps(value)`, for
    a decoder, gives its result with the time axis first: an answer whose first wrong steps
    are exactly one mistake's is named for those steps (_named_by_steps)."""
    answered = []
    for case, got in zip(cases, results):
        if got is not None:
            try:
                answered.append((case, normalise(got)))
            except CheckFailed:
                return []
    ids = dict.fromkeys(m for case in cases for m in case.get("mistakes", {}))
    found = []
    for mistake in ids:
        for case, got in answered:
            output = case.get("mistakes", {}).get(mistake, _ABSENT)
            if not (matches(got, case["expected"]) if output is _ABSENT
                    else output is not None and matches(got, output)):
                break
        else:
            if answered:
                found.append(mistake)
    if found or not answered or (parts is None and steps is None):
        return found
    if steps is not None:
        rows = [(case, _steps(steps, got), _steps(steps, case["expected"]))
                for case, got in answered]
        if any(got is None or expected is None for _, got, expected in rows):
            return found
        return _named_by_steps(rows, ids, lambda out: _steps(steps, out))
    return _named_by_parts([(case, parts(got), parts(case["expected"])) for case, got in answered],
                           ids, parts)


def _same_part(a, b):
    if a.size == 0 or b.size == 0:  # JSON keeps no shape for an empty array
        return a.size == b.size
    return _close(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def _named_by_parts(rows, ids, parts):
    """When no mistake reproduces the whole answer: the mistakes that each reproduce one or
    more of its wrong parts exactly on every case, if together they account for every wrong
    part; else none. A Matched whose `parts` say which parts each reproduces. `rows`: (case,
    the answer's parts, the expected parts) of every case answered.

    A mistake that changes a part the answer has right is not named (one that changes the loss
    and the gradient is never named from the loss when the gradient is right: the answer did
    not make that mistake). Where a wrong part is no mistake's, nothing is named: two slips in
    one part can pass for a third mistake. Where one mistake reproduces a strict subset of the
    parts another reproduces, only the larger explanation is kept."""
    order = list(rows[0][2])

    def right(part, own=None):
        return all(part in a and _same_part(a[part], (e if own is None else o)[part])
                   for (_, a, e), o in zip(rows, own or rows))
    wrong = [p for p in order if not right(p)]
    if len(order) < 2 or not wrong:
        return Matched()
    matched = {}
    for mistake in ids:
        outputs = [case.get("mistakes", {}).get(mistake, _ABSENT) for case, _, _ in rows]
        if any(out is None for out in outputs):
            continue
        own = [e if out is _ABSENT else parts(out) for out, (_, _, e) in zip(outputs, rows)]
        changed = [p for p in order if any(p in o and not _same_part(o[p], e[p])
                                           for o, (_, _, e) in zip(own, rows))]
        if all(all(p in o for o in own) for p in changed) and not any(
                p not in wrong for p in changed):
            reproduced = {p for p in changed if right(p, own)}
            if reproduced:
                matched[mistake] = reproduced
    if not set(wrong) <= set().union(*matched.values()):
        return Matched()
    kept = [m for m, c in matched.items() if not any(c < other for other in matched.values())]
    return Matched(kept, {m: tuple(p for p in order if p in matched[m]) for m in kept})


def _steps(steps, value):
    """steps(value), or None for a value without a time axis where steps expects one."""
    try:
        return steps(value)
    except (TypeError, ValueError, IndexError):  # numpy's AxisError is both of the last two
        return None


def _first(a, b):
    """The first step (axis 0) at which a and b differ: len(a) if none, -1 for other shapes."""
    if a is None or b is None or a.shape != b.shape:
        return -1
    return next((t for t in range(len(a)) if not _same_part(a[t], b[t])), len(a))


def _named_by_steps(rows, ids, steps):
    """When no mistake reproduces the whole answer of a decoder: the mistakes whose steps the
    answer reproduces from the first wrong step on, up to a later step, on every case: a
    Matched whose `parts` say so; else an empty one. `rows`: (case, the answer's steps, the
    expected steps) of every case answered, the time axis first.

    A mistake is named only where, on every case, its first step that differs from the
    reference is the answer's first wrong step (none on a case the answer has right) and the
    answer is that mistake's at that step: it changes nothing the answer has right, and it
    explains how the answer starts to go wrong; the steps after, where the answer leaves it,
    are a second slip's. One step is not enough, on any case: a zero initial state with logits
    taken before the update scores b_y at step 0, as dropping h @ W_y does, and then leaves it.
    The answer must follow the mistake for two steps or more on some case. Of several, those
    whose steps the answer follows longest (summed over the cases) are kept."""
    matched = {}
    for mistake in ids:
        reach, longest = 0, 0
        for case, got, expected in rows:
            out = case.get("mistakes", {}).get(mistake, _ABSENT)
            if out is None:
                break
            own = expected if out is _ABSENT else steps(out)
            wrong, mine, left = _first(got, expected), _first(own, expected), _first(got, own)
            if wrong < 0 or mine != wrong or left < 0 or (wrong < len(got) and left <= wrong):
                break
            reach += left - wrong if wrong < len(got) else 0
            longest = max(longest, left - wrong if wrong < len(got) else 0)
        else:
            if reach and longest >= 2:
                matched[mistake] = reach
    best = max(matched.values(), default=0)
    return Matched([m for m, r in matched.items() if r == best],
                   {m: ("steps",) for m, r in matched.items() if r == best})


def _hints(found, texts=None, known=None):
    """What to tell the student about the mistakes `found`: each sentence once (`texts`, the
    case's sentences by mistake id, else `known`'s, else this module's MISTAKES). Mistakes
    matched on parts of the answer (Matched.parts) are told part by part."""
    texts, known = texts or {}, MISTAKES if known is None else known

    def sentence(m):
        return texts.get(m) or known.get(m, m)
    by_parts = getattr(found, "parts", {})
    if by_parts and set(by_parts.values()) == {("steps",)}:
        said = list(dict.fromkeys(sentence(m) for m in found))
        out = ("\n  No one known mistake computes all of your steps, but from your first wrong "
               "step on they are exactly what " + ("this mistake computes" if len(said) == 1 else
                                                   "one of these mistakes computes") +
               ", up to a later step where they leave it: you made it and at least one more.")
        return out + "".join(f"\n  - {s}" for s in said)
    if by_parts:
        groups = {}
        for m in found:
            groups.setdefault(by_parts[m], []).append(sentence(m))
        out = ("\n  No one known mistake computes your whole answer, but each wrong part of it is "
               "exactly what one computes: you made more than one.")
        for where, said in groups.items():
            said = list(dict.fromkeys(said))
            names = " and ".join(where)
            verb = "is" if len(where) == 1 else "are"
            if len(said) == 1:
                out += f"\n  - your {names} {verb} what this mistake computes: {said[0]}"
            else:
                out += (f"\n  - your {names} {verb} what one of these mistakes computes:" +
                        "".join(f"\n    - {s}" for s in said))
        return out
    sentences = list(dict.fromkeys(sentence(m) for m in found))
    if len(sentences) > 1:
        return ("\n  Your answer is what one of these mistakes computes:" +
                "".join(f"\n  - {s}" for s in sentences))
    return "".join(f"\n  Known mistake: {s}" for s in sentences)


def _logits_report(name, got, expected, case, hidden=False, named=False):
    """What differs between the student's logits and the reference's, step by step.

    For a hidden case (`hidden`) it says which step first differs and nothing measured against
    the reference values (no difference, no count): the feedback must not teach the answer.
    Where a known mistake is `named`, it says where and not what to look at: the name says
    what (the logits transposed differ from step 0 without any step's input being wrong)."""
    T, V = expected.shape
    if got.shape != expected.shape:
        extra = ""
        if got.ndim == 2 and got.shape[0] == T and case.get("H") == got.shape[1]:
            extra = " (that is (T, H): hidden states, not logits?)"
        return (f"expected logits of shape (T, V) = {expected.shape}, got {got.shape}{extra}.")
    if not np.all(np.isfinite(got)):
        t = int(np.argwhere(~np.isfinite(got))[0][0])
        return f"your logits contain NaN or infinity, first at step {t}."
    rows = [t for t in range(T) if not np.allclose(got[t], expected[t], rtol=RTOL, atol=ATOL)]
    t = rows[0]
    where = f"steps 0-{t - 1} match" if t > 1 else "step 0 matches"
    if hidden:
        text = ("the logits differ from the very first step, step 0." if t == 0 else
                f"step {t} is the first whose logits differ from the reference; {where}.")
    elif t == 0:
        text = (f"the logits differ from the very first step, step 0 (max |yours - reference| "
                f"= {_maxdiff(got[t], expected[t]):.3g}); {len(rows)} of {T} steps differ.")
    else:
        text = (f"step {t} is the first whose logits differ from the reference (max |yours - "
                f"reference| = {_maxdiff(got[t], expected[t]):.3g}); {where}; {len(rows)} of {T} "
                f"steps differ.")
    if named:
        return text
    if t == 0:
        text += (" At step 0 check: input x_0 = decoder_params['start'], initial state h_0 = "
                 "context_vector (c_0 = zeros for an LSTM), the cell's equations, and "
                 "logits = h @ W_y + b_y.")
    elif name != "decoder_forward_free_running":
        text += (" Step 0 is right, so your cell and output layer work: look at the input "
                 f"you feed at step {t}.")
    return text


def _curve_report(got, expected, hidden=False):
    if got.shape != expected.shape:
        return f"expected a curve of shape (T-k-1,) = {expected.shape}, got {got.shape}."
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    d = int(np.argmax(bad)) + 1
    values = "" if hidden else f": expected {expected[d - 1]:.6g}, got {got[d - 1]:.6g}"
    return (f"entry {d - 1} (offset d = {d} after the corrupted position) is the first that "
            f"differs{values}; {int(bad.sum())} of {len(bad)} entries differ.")


def differ(subject):
    """'differs' or 'differ', agreeing with `subject`: a name or words whose last word is
    plural (logits, weights, cache.keys, token ids; not loss) take 'differ'."""
    words = re.findall(r"[A-Za-z]+", subject)
    last = words[-1] if words else ""
    return "differ" if last.endswith("s") and not last.endswith("ss") else "differs"


def _state_report(got, expected, label, hidden=False):
    if got.shape != expected.shape:
        return f"{label}: expected shape {expected.shape}, got {got.shape}."
    if not np.all(np.isfinite(got)):
        return f"{label} contains NaN or infinity."
    if hidden:
        return f"{label} {differ(label)} from the reference."
    index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    unit = (f"hidden unit {index[-1]}" + (f" of example {index[0]}" if got.ndim == 2 else ""))
    return (f"{label} {differ(label)} from the reference (max |yours - reference| = "
            f"{_maxdiff(got, expected):.3g}, at {unit}).")


def compare(name, case, got, hidden=False, matched=None):
    """Return None if `got` (the student's result) matches the case, else what is wrong.

    `hidden`: the case is a hidden one, so the message names the part, step or shape that is
    wrong and the known mistake the answer matches, but no number derived from the expected
    output (a student who reads it and resubmits must not learn the hidden answer).
    `matched`: the mistakes matching the answer on all of the function's cases
    (matching_mutants); by default, those matching it on this case."""
    kind = KINDS[name]
    expected = decode(case["expected"])
    got = _normalise(kind, name, got)
    mistakes = case.get("mistakes", {})
    found = None
    if kind == "pair":
        h_ok, c_ok = (_close(g, np.asarray(e)) for g, e in zip(got, expected))
        if h_ok and c_ok:
            return None
        report = " ".join(_state_report(g, e, part, hidden) for g, e, ok, part in
                          zip(got, expected, (h_ok, c_ok), ("h_next", "c_next")) if not ok)
    else:
        expected = np.asarray(expected, dtype=np.float64)
        if _close(got, expected):
            return None
        if kind == "logits":
            found = _matching_mistakes(kind, got, mistakes) if matched is None else matched
            report = _logits_report(name, got, expected, case.get("sizes") or case.get("spec", {}),
                                    hidden, named=bool(found))
        elif kind == "number" and hidden:
            report = f"your eps_i = {float(got):.10g} is not the schedule's value for these arguments."
        elif kind == "number":
            report = f"expected eps_i = {float(expected):.10g}, got {float(got):.10g}."
        elif kind == "curve":
            report = _curve_report(got, expected, hidden)
        else:
            report = _state_report(got, expected, "h_next", hidden)
    if found is None:
        found = _matching_mistakes(kind, got, mistakes) if matched is None else matched
    return report + _hints(found, case.get("diagnoses"))


def _draws(seed, rng_after, limit):
    """How many rng.random() calls take Generator(seed) to rng_after's state, or None."""
    probe = np.random.default_rng(seed)
    target = rng_after.bit_generator.state
    for n in range(limit + 1):
        if probe.bit_generator.state == target:
            return n
        probe.random()
    return None


@noting_warnings
def run_case(name, func, case, hidden=False, matched=None, called=None):
    """Run one case; return None if the answer is right, else the message saying why not.
    `called`: (args, kwargs, result) of a call already made on this case."""
    args, kwargs, got = called or _call_case(name, func, case)
    problem = compare(name, case, got, hidden, matched)
    rng = kwargs.get("rng")
    if isinstance(rng, np.random.Generator):  # checked on a right result too (sampling_prob 0, 1)
        seed = case["spec"]["rng_seed"] if "spec" in case else case["kwargs"]["rng"]["rng_seed"]
        note = _draw_note(len(args[1]), _draws(seed, rng, 4 * len(args[1]) + 4))
        if note:
            problem = f"{problem}\n  {note}" if problem else note
    return problem


def _draw_note(steps, n):
    """What to say of `n` draws (None: not a count of rng.random() calls) for T = `steps`."""
    if n == steps - 1:
        return None
    drawn = "an unknown number of numbers" if n is None else f"{n} number{'' if n == 1 else 's'}"
    return (f"Your function drew {drawn} from rng; the contract draws exactly T-1 = {steps - 1}: "
            f"one rng.random() per step t = 1 .. T-1 (even when sampling_prob is 0 or 1, so that "
            f"every later draw from the same rng stays in step), from the rng it is given "
            f"(never np.random.*).")


def observed_call(name, func, args, kwargs):
    """(result, what the check sees of the call besides it): for scheduled sampling with a
    Generator, {"draws": how many rng.random() calls it made, or None}; else None. The grader's
    harness calls this in the kernel and judges the report with observed_problem."""
    rng = kwargs.get("rng")
    start = copy.deepcopy(rng) if isinstance(rng, np.random.Generator) else None
    value = call(name, func, args, kwargs)
    if start is None:
        return value, None
    return value, {"draws": _draws(start, rng, 4 * len(args[1]) + 4)}


def observed_problem(name, case, seen):
    """What is wrong with the draws observed_call saw on `case` (as run_case says it), None if
    nothing. T comes from the case, never from the kernel's report."""
    spec = case.get("spec", {})
    generator = (spec.get("rng_as") != "int" if "rng_seed" in spec else
                 isinstance(case.get("kwargs", {}).get("rng"), dict))
    if not generator:
        return None
    steps = spec["T"] if "T" in spec else len(case["args"][1]["array"])
    if not isinstance(seen, dict) or "draws" not in seen:
        return ("the grader could not see how many numbers your function drew from rng (the "
                "check's count of rng.random() calls is missing).")
    draws = seen["draws"]
    return _draw_note(steps, None if draws is None else int(draws))


observed_note = observed_problem  # said after what is wrong with the result, as run_case does


def _call_case(name, func, case):
    args, kwargs = case_args(name, case)
    return args, kwargs, call(name, func, args, kwargs)


def raise_first_failure(name, cases, what, problem_of):
    """Raise CheckFailed naming the first case for which problem_of(case) returns a problem."""
    __tracebackhide__ = True
    for number, case in enumerate(cases, 1):
        problem = problem_of(case)
        if problem:
            raise CheckFailed(f"{name}, {what} case {number} of {len(cases)} "
                              f"({case['label']}):\n  {problem}")


def check_cases(name, func, cases, what="public"):
    """Run every case; raise CheckFailed naming the first failing one, else print a summary.
    A failure names the mistakes that reproduce the answer on all the cases (not just the
    failing one)."""
    __tracebackhide__ = True
    if name not in KINDS:
        raise ValueError(f"name: expected one of {', '.join(KINDS)}, got {name!r}")
    judge_cases(name, cases, what, lambda case: _call_case(name, func, case),
                lambda case, called, matched: run_case(name, func, case, what == "hidden",
                                                       matched, called),
                lambda results: matching_mutants(name, cases, results))
    print(f"\u2714 {name} matches the reference on all {len(cases)} {what} cases.")


def judge_cases(name, cases, what, call_case, problem, matching):
    """Call every case, then raise CheckFailed naming the first failing one. `call_case(case)`
    gives (args, kwargs, result) or raises CheckFailed; `problem(case, called, matched)` says
    what is wrong (None if nothing), naming the mistakes `matched`; `matching(results)` gives
    the mistakes that reproduce the answer on all the cases, asked once, for a failing answer."""
    __tracebackhide__ = True
    calls, warned = [], {}
    for case in cases:
        with warnings_collected() as warned[id(case)]:
            try:
                calls.append(call_case(case))
            except CheckFailed as failed:
                calls.append(failed)
    outcome = {id(case): c for case, c in zip(cases, calls)}
    matched = []

    def problem_of(case):
        called = outcome[id(case)]
        if isinstance(called, CheckFailed):
            raise called
        warning = "".join(f"\n  {w}" for w in warned[id(case)][:1])
        if problem(case, called, []) is None:
            return warning.strip() or None   # a right result that warned still fails
        if not matched:  # only a failing answer is matched, over all the cases
            matched.append(matching([None if isinstance(c, CheckFailed) else c[2]
                                     for c in calls]))
        return problem(case, called, matched[0]) + warning
    raise_first_failure(name, cases, what, problem_of)


def visible_and_hidden(check_cases):
    """(check, check_hidden) of a checks module whose check_cases(name, func, cases, what) runs
    the cases: the same two test-cell entry points in every notebook."""

    def check(name, func):
        """A visible test: run `func` on the public reference cases of `name`
        (data/reference/<name>.json)."""
        __tracebackhide__ = True
        check_cases(name, func, load_reference(name)["cases"], "public")

    def check_hidden(name, func, packed):
        """A hidden test: run `func` on cases packed into the test cell by the instructor's build."""
        __tracebackhide__ = True
        check_cases(name, func, unpack(packed), "hidden")

    return check, check_hidden


check, check_hidden = visible_and_hidden(check_cases)


def properties_then_cases(kinds, run_case, properties=None, matching=None, call_case=None):
    """check_cases(name, func, cases, what) of a checks module: the property checks of `name`
    in `properties` first (any right answer passes them), then every case, raising CheckFailed
    at the first for which run_case(name, func, case, what) returns a problem, else printing
    one line. With `matching(name, cases, results)` (the module's matching_mutants), every case
    is called first (`call_case(name, func, case)` -> (args, kwargs, result)) and a failure
    names the mistakes that reproduce the answer on all of them: run_case then takes the
    keywords `matched` and `called` (judge_cases)."""

    def check_cases(name, func, cases, what="public"):
        """Run the property checks, then every case; raise CheckFailed naming the first
        failure, else print a summary."""
        __tracebackhide__ = True
        if name not in kinds:
            raise ValueError(f"name: expected one of {', '.join(kinds)}, got {name!r}")
        if name in (properties or {}):
            with warnings_collected() as warned:  # the property's own diagnosis comes first
                properties[name](func)
            if warned:
                raise CheckFailed(warned[0])
        if matching is None:
            raise_first_failure(name, cases, what, lambda case: run_case(name, func, case, what))
        else:
            judge_cases(name, cases, what, lambda case: call_case(name, func, case),
                        lambda case, called, matched: run_case(name, func, case, what,
                                                               matched=matched, called=called),
                        lambda results: matching(name, cases, results))
        print(f"\u2714 {name} matches the reference on all {len(cases)} {what} cases.")

    return check_cases


def argmax_gap(logits):
    """Smallest gap, over steps, between the best and second-best logit (inf for V = 1)."""
    z = np.sort(np.asarray(logits, dtype=np.float64), axis=-1)
    return math.inf if z.shape[-1] < 2 else float(np.min(z[..., -1] - z[..., -2]))

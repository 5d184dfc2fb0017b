"""The test cases of every graded function: public ones (data/reference/) and hidden ones.

A case is a spec (sizes, cell type, seeds) that tfcourse.checks.make_args turns into
arguments, plus the reference solution's result computed here. Public cases are written out
with their arrays by scripts/make_reference_logits.py, together with the output of every known
mistake (autograder/mistakes.py) on the same arguments. Hidden cases never leave the
instructor's side: the build packs them into the hidden-test region of each test cell.
"""
import numpy as np

import solutions
from autograder.mutations import OPERATORS, case_key, catalogue, rounded
from tfcourse.checks import argmax_gap, case_args, decode, encode
from tfcourse.params import random_decoder_params

CELLS = ("rnn", "lstm", "gru")
DECODERS = ("decoder_forward_teacher_forcing", "decoder_forward_free_running",
            "decoder_forward_scheduled_sampling")
SCHEDULES = ("linear_schedule", "exponential_schedule", "inverse_sigmoid_schedule")
# An argmax closer than this to a tie could flip under a different order of float operations;
# cases whose fed predictions depend on one are rejected.
MIN_GAP = 1e-6


def _cell_specs(cell, seeds):
    return [{"label": f"one example, D=3, H=4", "spec": {"cell_type": cell, "D": 3, "H": 4,
                                                         "seed": seeds[0]}},
            {"label": f"a batch of B=2, D=3, H=4", "spec": {"cell_type": cell, "D": 3, "H": 4,
                                                            "B": 2, "seed": seeds[1]}}]


def _decoder_spec(cell, seed, D=3, H=4, V=6, T=5, **extra):
    label = f"cell_type={cell!r}, D={D}, H={H}, V={V}, T={T}" + "".join(
        f", {k}={v!r}" for k, v in extra.items() if k not in ("rng_seed",))
    if "rng_seed" in extra:
        label += f", rng=" + ("seed " if extra.get("rng_as") == "int" else "default_rng(") + \
            f"{extra['rng_seed']}" + ("" if extra.get("rng_as") == "int" else ")")
    return {"label": label, "spec": {"cell_type": cell, "D": D, "H": H, "V": V, "T": T,
                                     "seed": seed, **extra}}


def _schedule(label, *calls):
    return [{"label": f"{label}({', '.join(map(repr, args))})", "args": list(args)}
            for args in calls]


def _recovery_case(label, cell, seed, N, T, k, pad, D=3, H=5, V=6, noise=0.25, longest=None):
    """A recovery_curve case with its arguments written out. The targets are mostly what the
    decoder itself generates (free running), so the clean run is mostly right and a corrupted
    input shows in the steps after it; a `noise` fraction of them is replaced at random, so
    the clean run makes errors too. The decoder never guesses PAD (b_y[0] is very low).
    `longest` (< T): no sequence is longer, so the curve's last entries are NaN."""
    rng = np.random.default_rng(seed)
    params = random_decoder_params(cell, D, H, V, rng, scale=1.0)
    params["b_y"][0] = -30.0
    contexts = rng.normal(size=(N, H))
    target_ids = np.stack([np.argmax(solutions.decoder_forward_free_running(c, params, T, cell), 1)
                           for c in contexts])
    noisy = rng.random((N, T)) < noise
    target_ids[noisy] = rng.integers(1, V, size=int(noisy.sum()))
    if pad:   # the first sequence keeps every position (or `longest`): no entry is NaN before
        lengths = rng.integers(1, (longest or T) + 1, size=(N, 1))
        lengths[0] = longest or T
        target_ids[np.arange(T) >= lengths] = 0
    wrong_ids = 1 + (np.maximum(target_ids[:, k], 1) - 1 + rng.integers(1, V - 1, size=N)) % (V - 1)
    args = (contexts, target_ids.astype(np.int64), params, k, wrong_ids.astype(np.int64), cell)
    return {"label": label + f" ({cell}, N={N}, T={T}, k={k}" + (", with PAD" if pad else "")
            + (f", no sequence longer than {longest})" if longest else ")"),
            "args": [encode(a) for a in args]}


# ----------------------------------------------------------------------------- public cases

VISIBLE = {
    "rnn_step": _cell_specs("rnn", (1, 2)),
    "lstm_step": _cell_specs("lstm", (3, 4)),
    "gru_step": _cell_specs("gru", (5, 6)),
    "decoder_forward_teacher_forcing": [_decoder_spec(c, 10 + i) for i, c in enumerate(CELLS)],
    "decoder_forward_free_running": [_decoder_spec(c, 20 + i, T=6) for i, c in enumerate(CELLS)],
    "decoder_forward_scheduled_sampling": [
        _decoder_spec(c, 30 + i, T=6, sampling_prob=0.5, rng_seed=s)
        for i, (c, s) in enumerate(zip(CELLS, (2, 3, 5)))]
    + [_decoder_spec("gru", 33, T=6, sampling_prob=0.5, rng_seed=1, rng_as="int")]
    # at 0 and 1 the coin's outcome is sure, but it is still drawn (the count is checked)
    + [_decoder_spec("rnn", 34, T=5, sampling_prob=0.0, rng_seed=7),
       _decoder_spec("lstm", 35, T=5, sampling_prob=1.0, rng_seed=8)],
    "linear_schedule": _schedule("linear_schedule", (0, 1.0, 0.01, 0.1), (30, 1.0, 0.01, 0.1),
                                 (500, 1.0, 0.01, 0.1), (20, 0.9, 0.02, 0.0)),
    "exponential_schedule": _schedule("exponential_schedule", (0, 0.99), (1, 0.99),
                                      (100, 0.99), (1000, 0.995)),
    "inverse_sigmoid_schedule": _schedule("inverse_sigmoid_schedule", (0, 100.0), (300, 100.0),
                                          (900, 100.0), (5, 1.0), (100000, 50.0)),
    "recovery_curve": [_recovery_case("random decoder", *args) for args in (
        ("rnn", 50, 12, 6, 1, False), ("gru", 51, 16, 7, 2, True), ("lstm", 52, 16, 8, 0, True))]
        # positions no sequence reaches: the curve is NaN there (nothing was measured)
        + [_recovery_case("random decoder", "gru", 53, 10, 10, 2, True, longest=7)],
}

# ----------------------------------------------------------------------------- hidden cases


def _hidden_cells(cell):
    sizes = [(1, 1, None), (2, 5, None), (5, 2, 3), (4, 4, 1), (6, 3, 7), (3, 7, 2)]
    return [{"label": f"hidden case {n}", "spec": {"cell_type": cell, "D": D, "H": H, "B": B,
                                                   "seed": 100 + 10 * n}}
            for n, (D, H, B) in enumerate(sizes, 1)]


def _hidden_decoders(name, extra=lambda n: {}):
    sizes = [(1, 1, 2, 1), (2, 3, 5, 1), (4, 2, 3, 7), (3, 5, 4, 6), (5, 3, 8, 4), (2, 6, 5, 9)]
    return [{"label": f"hidden case {n} ({cell}, T={T})",
             "spec": {"cell_type": cell, "D": D, "H": H, "V": V, "T": T,
                      "seed": 200 + 7 * n + 31 * c, **extra(n)}}
            for c, cell in enumerate(CELLS) for n, (D, H, V, T) in enumerate(sizes, 1)]


def _sampling(n):
    # 0 and 1 at T = 1 and again at T > 1 with a generator, whose draws are counted
    probs = (0.0, 1.0, 0.3, 0.0, 1.0, 0.8)
    return {"sampling_prob": probs[n - 1], "rng_seed": 40 + n,
            "rng_as": "int" if n % 3 == 0 else "generator"}


def _hidden(label, *calls):
    return [{"label": f"hidden case {label}({', '.join(map(repr, a))})", "args": list(a)}
            for a in calls]


HIDDEN = {
    "rnn_step": _hidden_cells("rnn"),
    "lstm_step": _hidden_cells("lstm"),
    "gru_step": _hidden_cells("gru"),
    "decoder_forward_teacher_forcing": _hidden_decoders("tf"),
    "decoder_forward_free_running": _hidden_decoders("fr"),
    "decoder_forward_scheduled_sampling": _hidden_decoders("ss", _sampling),
    "linear_schedule": _hidden("linear_schedule", (0, 1.0, 0.001, 0.05), (2000, 1.0, 0.001, 0.05),
                               (950, 1.0, 0.001, 0.05), (7, 0.5, 0.0, 0.5), (3.5, 0.8, 0.1, 0.2),
                               (10 ** 6, 1.0, 1e-4, 0.0)),
    "exponential_schedule": _hidden("exponential_schedule", (0, 0.5), (3, 0.5), (250, 0.999),
                                    (10 ** 5, 0.9999), (10 ** 6, 0.9), (2.5, 0.3)),
    "inverse_sigmoid_schedule": _hidden("inverse_sigmoid_schedule", (0, 1.0), (1, 1.0),
                                        (50, 10.0), (1000, 250.0), (10 ** 6, 100.0),
                                        (10 ** 9, 3.0), (12.5, 2.5)),
    "recovery_curve": [_recovery_case(f"hidden case {n}", *args) for n, args in enumerate((
                           ("rnn", 60, 1, 2, 0, False), ("gru", 61, 6, 3, 1, True),
                           ("lstm", 62, 12, 9, 6, True), ("gru", 63, 24, 12, 4, True),
                           ("rnn", 64, 20, 6, 3, False), ("gru", 65, 30, 10, 0, True)), 1)]
                      + [_recovery_case("hidden case 7", "lstm", 66, 8, 9, 1, True, longest=6)],
}


# ----------------------------------------------------------------------------- computing them

def reference_result(name, case):
    """The reference solution's result on `case` (arguments rebuilt from its spec or args)."""
    args, kwargs = _args(name, case)
    return getattr(solutions, name)(*args, **kwargs)


def _args(name, case):
    if "spec" in case:
        return case_args(name, case)
    return [decode(a) for a in case["args"]], {}


def _check_ties(name, case, expected):
    if name == "recovery_curve":
        expected = _recovery_logits(case)
    if (name in DECODERS[1:] or name == "recovery_curve") and argmax_gap(expected) < MIN_GAP:
        raise ValueError(f"{name} case {case['label']!r}: two logits are within {MIN_GAP} of a "
                         f"tie; pick another seed")


def _recovery_logits(case):
    """Every logit the reference computes on a recovery_curve case (clean and corrupted runs)."""
    (contexts, target_ids, params, k, wrong_ids, cell_type), _ = _args("recovery_curve", case)
    out = []
    for i in range(len(target_ids)):
        corrupted = target_ids[i].copy()
        corrupted[k] = wrong_ids[i]
        for fed in (target_ids[i], corrupted):
            out.append(solutions.decoder_forward_teacher_forcing(
                contexts[i], params["embedding"][fed], params, cell_type))
    return np.concatenate(out)


def with_expected(name, case):
    """`case` plus the reference result (encoded) and the sizes a message may need."""
    expected = reference_result(name, case)
    _check_ties(name, case, expected)
    out = dict(case, expected=encode(expected))
    return out


def mutants(name):
    """The mutants (autograder/mutations) a wrong answer of `name` is matched against: those
    that compute something else than the reference on a public or hidden case (none for a
    function no operator rewrites: its wrong answers are reported, not named)."""
    if name not in OPERATORS:
        return ()
    return catalogue(name, VISIBLE[name] + HIDDEN[name], _args, reference_result)[0]


def with_mistakes(name, case, texts=False):
    """`case` plus each mutant's output on it (9 digits; None where it raised), where that
    output is not the right answer; with `texts`, the sentences naming those mutants too."""
    expected = reference_result(name, case)
    mistakes = {}
    for mutant, out in zip(mutants(name), _mutant_outputs(name, case)):
        if out is None or not _same(out, expected):
            mistakes[mutant.id] = None if out is None else encode(rounded(_as_result(out)))
    out = dict(case, mistakes=mistakes)
    if texts:
        out["diagnoses"] = {m.id: m.text for m in mutants(name) if m.id in mistakes}
    return out


def _mutant_outputs(name, case):
    if name not in OPERATORS:
        return []
    _, by_case = catalogue(name, VISIBLE[name] + HIDDEN[name], _args, reference_result)
    return by_case[case_key(case)]


def _as_result(value):
    if isinstance(value, tuple):
        return tuple(np.asarray(v, dtype=float) for v in value)
    return np.asarray(value, dtype=float) if np.ndim(value) else float(value)


def _same(a, b):
    if isinstance(b, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def explicit(name, case):
    """`case` with its arguments written out as arrays instead of a spec (for data/)."""
    args, kwargs = _args(name, case)
    out = {k: v for k, v in case.items() if k != "spec"}
    spec = case.get("spec", {})
    if "rng_seed" in spec and spec.get("rng_as") != "int":
        kwargs = dict(kwargs, rng={"rng_seed": spec["rng_seed"]})
        out["kwargs"] = {k: (v if k == "rng" else encode(v)) for k, v in kwargs.items()}
    else:
        out["kwargs"] = {k: encode(v) for k, v in kwargs.items()}
    out["args"] = [encode(a) for a in args]
    if spec:
        out["sizes"] = {k: spec[k] for k in ("D", "H", "V", "T", "B") if spec.get(k) is not None}
    return out


def public_reference(name):
    """The JSON-able content of data/reference/<name>.json."""
    cases = [explicit(name, with_mistakes(name, with_expected(name, c))) for c in VISIBLE[name]]
    return {"function": name,
            "diagnoses": {m.id: m.text for m in mutants(name)},
            "tolerance": {"rtol": 1e-6, "atol": 1e-9},
            "cases": cases}


def hidden_cases(name):
    """The hidden cases of `name`, each with its expected result, ready to pack."""
    return [with_mistakes(name, with_expected(name, c), texts=True) for c in HIDDEN[name]]

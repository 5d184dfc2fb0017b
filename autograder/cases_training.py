"""Notebook 05's test cases (backpropagation through time): public ones and hidden ones.

`python scripts/make_reference_logits.py` writes the public ones to data/reference/.

A case is a spec (sizes and a seed); its arguments are made here with the reference forward
passes (a backward's cache must come from a real forward), then written out explicitly with
the reference result, encoded by tfcourse.checks_training. Public cases go to data/reference/;
hidden ones never leave the instructor's side (the build packs them into the test cells).
"""

import numpy as np

import solutions
from autograder import mutations
from tfcourse.checks_training import RESULTS, _leaves, encode
from tfcourse.params import random_decoder_params

GRU_KEYS = ("W_x", "W_h", "b_x", "b_h")


def make_args(name, spec):
    """The arguments of graded function `name` for a spec {D, H, B, T, V, seed}."""
    rng = np.random.default_rng(spec["seed"])
    if name == "masked_cross_entropy":
        return _loss_args(rng, **{k: v for k, v in spec.items() if k != "seed"})
    D, H, V, T, B = spec["D"], spec["H"], spec.get("V", 5), spec.get("T", 4), spec.get("B")
    lead = () if B is None else (B,)
    params = random_decoder_params("gru", D, H, V, rng)
    if name in ("gru_step_forward", "gru_step_backward"):
        cell = {k: params[k] for k in GRU_KEYS}
        x, h = rng.normal(size=lead + (D,)), rng.normal(size=lead + (H,))
        if name == "gru_step_forward":
            return [x, h, cell]
        _, cache = solutions.gru_step_forward(x, h, cell)
        return [rng.normal(size=lead + (H,)), cache]
    context, target_seq = rng.normal(size=lead + (H,)), rng.normal(size=lead + (T, D))
    if name == "decoder_forward_teacher_forcing_cache":
        return [context, target_seq, params, "gru"]
    _, cache = solutions.decoder_forward_teacher_forcing_cache(context, target_seq, params, "gru")
    return [rng.normal(size=lead + (T, V)), cache]


def _loss_args(rng, B, T, V, scale=1.0):
    """Logits (B, T, V) times `scale` (1000: exp overflows unless the max is taken out first),
    targets padded with PAD (0) after each row's random length (at least 1), and the mask."""
    logits = scale * rng.normal(size=(B, T, V))
    lengths = rng.integers(1, T + 1, size=B)
    mask = np.arange(T) < lengths[:, None]
    target_ids = np.where(mask, rng.integers(1, V, size=(B, T)), 0)
    return [logits, target_ids, mask]


def _spec(label, **spec):
    return {"label": label, "spec": spec}


# A GRU step takes no V or T (the hidden cases share their specs with the decoders'): a label
# lists only the sizes of the arrays its function takes.
_NOT_TAKEN = {"gru_step_forward": ("V", "T"), "gru_step_backward": ("V", "T")}


def _sizes(name=None, **spec):
    return ", ".join(f"{k}={v}" for k, v in spec.items() if k != "seed" and v is not None
                     and k not in _NOT_TAKEN.get(name, ()))


VISIBLE = {
    name: [_spec(_sizes(**s), **s) for s in specs] for name, specs in {
        "masked_cross_entropy": [dict(B=2, T=4, V=5, seed=11), dict(B=3, T=3, V=6, scale=1000.0,
                                                                      seed=12)],
        "gru_step_forward": [dict(D=3, H=4, seed=1), dict(D=3, H=4, B=2, seed=2)],
        "gru_step_backward": [dict(D=3, H=4, seed=3), dict(D=3, H=4, B=2, seed=4)],
        "decoder_forward_teacher_forcing_cache": [dict(D=3, H=4, V=5, T=4, seed=5),
                                                  dict(D=3, H=4, V=5, T=4, B=2, seed=6)],
        "decoder_backward_teacher_forcing": [dict(D=3, H=4, V=5, T=4, seed=7),
                                             dict(D=3, H=4, V=5, T=4, B=2, seed=8)],
    }.items()}

_HIDDEN_SIZES = [dict(D=1, H=1, V=2, T=1), dict(D=2, H=5, V=3, T=2, B=3), dict(D=4, H=2, V=6, T=6),
                 dict(D=3, H=3, V=4, T=5, B=1), dict(D=5, H=4, V=7, T=3, B=4)]
HIDDEN = {name: [_spec(f"hidden case {n} ({_sizes(name, **s)})", **s, seed=500 + 10 * n + k)
                 for n, s in enumerate(_HIDDEN_SIZES, 1)]
          for k, name in enumerate(RESULTS) if name != "masked_cross_entropy"}
HIDDEN["masked_cross_entropy"] = [
    _spec(f"hidden case {n} ({_sizes(**s)})", **s, seed=600 + n) for n, s in enumerate(
        [dict(B=1, T=1, V=2), dict(B=4, T=6, V=7), dict(B=5, T=3, V=4, scale=500.0),
         dict(B=2, T=8, V=3, scale=-800.0)], 1)]
# Sized so that finite differences of the forward (two passes per parameter, ~130k and ~60k
# of them, over a batch) need more than 50 times the grader's limit (judge.TIMED_SECONDS), while
# the analytic pass takes milliseconds: scripts/timed_cases.py measures both.
TIMED = {"gru_step_backward": dict(D=128, H=128, B=128),
         "decoder_backward_teacher_forcing": dict(D=48, H=48, V=32, T=4, B=192)}
for _name, _s in TIMED.items():
    HIDDEN[_name].append(dict(_spec(f"hidden case {len(HIDDEN[_name]) + 1} ({_sizes(**_s)}), "
                                    f"timed", **_s, seed=700), timed=True))


def case_args(name, case):
    return make_args(name, case["spec"]), {}


def reference_result(name, case):
    return getattr(solutions, name)(*make_args(name, case["spec"]))


def _matched_cases(name):
    """The cases a wrong answer is matched on: all but the timed ones (their mutants' outputs
    would be megabytes; the grader times those outside the sandbox)."""
    return [c for c in VISIBLE[name] + HIDDEN[name] if not c.get("timed")]


def catalogue(name):
    """The mutants a wrong answer of `name` is matched against and their outputs by case
    (autograder/mutations: each runs once per case, at build time)."""
    return mutations.catalogue(name, _matched_cases(name), case_args, reference_result)


def mutants(name):
    return catalogue(name)[0]


def _stored(name, result, expected):
    """What is stored of a mutant's result: a forward's first result without its cache (the
    cache holds every parameter: megabytes over the mutants), and, where that output is the
    reference's, the arrays its cache holds otherwise (_cache_changes): there the cache alone
    names the mistake (tfcourse.checks_training._wanted reads it back)."""
    if RESULTS[name][-1] != "cache":
        return result
    if not mutations._same(result[:1], expected[:1]):
        return result[:1]
    return result[:1] + (_cache_changes(result[1], expected[1]),)


def _cache_changes(cache, reference):
    """{path: array} of the arrays of `cache` that differ from the `reference` cache's (paths
    as the checks read a result), and None for each the reference has and `cache` lacks."""
    mine, theirs = _leaves(cache, "cache"), _leaves(reference, "cache")
    changes = {path: mutations.rounded(np.asarray(value, dtype=float))
               for path, value in mine.items()
               if path not in theirs or not mutations._same(value, theirs[path])}
    return dict(changes, **{path: None for path in theirs if path not in mine})


def explicit(name, case, texts=False):
    """The case with its arguments and the reference result written out (encoded), and, but
    on a timed case, the outputs of the mutants that compute something else there; with
    `texts`, their sentences too."""
    args = make_args(name, case["spec"])
    expected = getattr(solutions, name)(*args)
    out = {"label": case["label"], "args": [encode(a) for a in args], "expected": encode(expected)}
    if case.get("timed"):
        return dict(out, timed=True)
    kept, by_case = catalogue(name)
    found = {}
    for mutant, got in zip(kept, by_case[mutations.case_key(case)]):
        if got is None or not mutations._same(got, expected):
            found[mutant.id] = None if got is None else encode(_stored(name, got, expected))
    out["mistakes"] = found
    if texts:
        out["diagnoses"] = {m.id: m.text for m in kept if m.id in found}
    return out


def public_reference(name):
    return {"function": name, "diagnoses": {m.id: m.text for m in mutants(name)},
            "tolerance": {"rtol": 1e-6, "atol": 1e-9},
            "cases": [explicit(name, c) for c in VISIBLE[name]]}


def hidden_cases(name):
    """The hidden cases of `name`, arguments, expected results and the mutants' outputs and
    sentences written out, ready to pack."""
    return [explicit(name, c, texts=True) for c in HIDDEN[name]]

"""Test cases of notebook 06's graded functions: public ones (data/reference/) and hidden ones.

`python scripts/make_reference_logits.py` writes the public ones to data/reference/.

The same layout as autograder/cases.py (notebooks 01-05): a case is explicit arguments or a
spec (sizes and seeds) that tfcourse.checks_transformer.make_args turns into arguments; the
reference solution's result and each known mistake's output (autograder/mistakes_transformer.py)
are stored beside it. Hidden cases never leave the instructor's side: the build packs them
into the hidden-test region of each test cell.
"""

import numpy as np

import solutions
from autograder.case_tools import CaseTools
from tfcourse.checks_transformer import case_args, encode

# A first-pass argmax (or a sampled token's cumulative probability) closer than this to a tie
# could flip under another order of float operations; such cases are rejected.
MIN_GAP = 1e-6


def _shift(labels, start, pad, ignore=-100):
    labels = np.array(labels)
    return {"label": f"labels={labels.tolist()}, start_token_id={start}, pad_token_id={pad}, "
                     f"ignore_index={ignore}",
            "args": [encode(labels), start, pad, ignore]}


def _calls(name, *values):
    return [{"label": f"{name}({', '.join(map(repr, v))})", "args": list(v)} for v in values]


def _spec(**spec):
    label = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k not in ("seed",))
    return {"label": label, "spec": spec}


def _decoders(seeds, sizes):
    return [_spec(V=V, D=D, d_k=d_k, d_v=d_v, T=T, B=B, seed=s)
            for s, (V, D, d_k, d_v, T, B) in zip(seeds, sizes)]


VISIBLE = {
    "shift_right": [_shift([5, 6, 7, 8], 1, 0), _shift([5, 6, -100, -100], 1, 0),
                    _shift([[5, -100, 7], [8, 9, 10]], 2, 3), _shift([9], 4, 0),
                    _shift([5, -1, -100, 8], 2, 0, -1),
                    _shift([4, 2, 5], 2, 0, 2)],   # start == ignore_index: replaced too
    "causal_mask": _calls("causal_mask", (1,), (2,), (4,)),
    "causal_self_attention": [_spec(T=4, D=5, d_k=3, d_v=2, seed=1),
                              _spec(T=5, D=4, d_k=3, d_v=3, D_out=4, B=2, seed=2),
                              _spec(T=1, D=3, d_k=2, d_v=2, seed=3),
                              _spec(T=1, D=3, d_k=2, d_v=2, D_out=3, B=3, seed=4),
                              _spec(T=5, D=6, d_k=4, d_v=3, seed=5, scale=1e4)],  # huge scores
    "positional_encoding": _calls("positional_encoding", (6, 8), (5, 7), (1, 4), (3, 1)),
    "transformer_decoder_forward": _decoders((10, 11, 14, 15), [
        (7, 6, 4, 4, 5, None), (7, 6, 4, 3, 6, 2), (5, 4, 3, 3, 1, None), (5, 4, 3, 3, 1, 3)]),
    "transformer_decoder_step": [_spec(V=7, D=6, d_k=4, d_v=4, t=3, seed=12),
                                 _spec(V=8, D=4, d_k=3, d_v=5, t=0, B=2, seed=13),
                                 _spec(V=8, D=4, d_k=3, d_v=5, t=2, B=2, seed=14)],
    "transformer_scheduled_sampling_two_pass": [
        _spec(V=7, D=6, d_k=4, d_v=4, T=8, sampling_prob=0.5, rng_seed=3, predictions="greedy",
              seed=20, scale=1.5),
        _spec(V=7, D=6, d_k=4, d_v=4, T=8, sampling_prob=0.5, rng_seed=4, predictions="sample",
              seed=21, scale=1.5),
        # the cell's comment promises sampling_prob = 0 (teacher forcing exactly)
        _spec(V=7, D=6, d_k=4, d_v=4, T=6, sampling_prob=0.0, rng_seed=5, predictions="greedy",
              seed=22, scale=1.5),
        # a batch: the coins are rng.random((B, T-1)), drawn row by row
        _spec(V=7, D=6, d_k=4, d_v=4, T=6, B=3, sampling_prob=0.5, rng_seed=6,
              predictions="greedy", seed=23, scale=1.5),
        _spec(V=7, D=6, d_k=4, d_v=4, T=1, B=2, sampling_prob=1.0, rng_seed=7,
              predictions="greedy", seed=24, scale=1.5)],
}

HIDDEN = {
    "shift_right": [_shift([3, 4], 0, 0), _shift([[-100, 4, 5]], 1, 0),
                    _shift([[1, 2, 3, 4], [5, 6, -100, -100], [-100] * 4], 2, 0),
                    _shift([7, 7, 7, 7, 7], 3, 1, 7), _shift([10, -100], 5, 9),
                    _shift(np.arange(12).reshape(3, 4), 1, 0, 3),
                    _shift([[6, 1, 1], [1, 8, 9]], 1, 5, 1)],
    "causal_mask": _calls("causal_mask", (2,), (3,), (7,), (13,)),
    "causal_self_attention": [_spec(T=1, D=3, d_k=2, d_v=2, seed=101),
                              _spec(T=6, D=2, d_k=5, d_v=1, seed=102),
                              _spec(T=3, D=4, d_k=4, d_v=4, D_out=2, B=3, seed=103),
                              _spec(T=9, D=5, d_k=3, d_v=6, D_out=5, seed=104, scale=30.0)],
    "positional_encoding": _calls("positional_encoding", (1, 1), (4, 2), (9, 3), (30, 16), (50, 5)),
    "transformer_decoder_forward": _decoders(range(110, 115), [
        (2, 1, 1, 1, 1, None), (5, 3, 2, 2, 4, None), (9, 8, 4, 8, 12, None),
        (6, 5, 3, 2, 7, 3), (12, 4, 6, 3, 20, None)]),
    "transformer_decoder_step": [
        _spec(V=V, D=D, d_k=d_k, d_v=d_v, t=t, B=B, seed=120 + n)
        for n, (V, D, d_k, d_v, t, B) in enumerate([
            (2, 1, 1, 1, 0, None), (5, 3, 2, 2, 1, None), (9, 8, 4, 8, 9, 2),
            (6, 5, 3, 2, 6, None), (7, 4, 3, 3, 0, 3), (12, 6, 4, 5, 30, None)])],
    "transformer_scheduled_sampling_two_pass": [
        _spec(V=6, D=5, d_k=3, d_v=3, T=6, sampling_prob=p, rng_seed=40 + n, predictions=how,
              seed=130 + n, scale=1.5, **({"B": 2} if n % 2 else {}))
        for n, (p, how) in enumerate([(0.0, "greedy"), (1.0, "greedy"), (0.3, "greedy"),
                                      (0.8, "sample"), (1.0, "sample"), (0.5, "greedy")])],
}


# ----------------------------------------------------------------------------- computing them

def _check_ties(name, case):
    """Reject a two-pass case whose fed predictions sit on a knife edge."""
    if name != "transformer_scheduled_sampling_two_pass":
        return
    (ids, params, _), kwargs = case_args(name, case)
    first = solutions.transformer_decoder_forward(ids, params)
    top = np.sort(first, axis=-1)
    gap = float(np.min(top[..., -1] - top[..., -2]))
    if kwargs["predictions"] == "sample":
        rng = kwargs["rng"]
        rng.random(ids.shape[:-1] + (ids.shape[-1] - 1,))
        r = rng.random(ids.shape[:-1] + (ids.shape[-1] - 1,))
        e = np.exp(first - first.max(-1, keepdims=True))
        cdf = np.cumsum(e / e.sum(-1, keepdims=True), axis=-1)[..., :-1, :]
        gap = float(np.min(np.abs(cdf - r[..., None])))
    if gap < MIN_GAP:
        raise ValueError(f"{name} case {case['label']!r}: a fed prediction is within {MIN_GAP} "
                         f"of a tie; pick another seed")


_tools = CaseTools(case_args, encode, VISIBLE, HIDDEN, _check_ties)
reference_result, with_expected, mutants = (_tools.reference_result, _tools.with_expected,
                                            _tools.mutants)
with_mistakes, public_reference, hidden_cases = (_tools.with_mistakes, _tools.public_reference,
                                                 _tools.hidden_cases)

"""Test cases of notebook 07's graded functions: public ones (data/reference/) and hidden ones.

`python scripts/make_reference_logits.py` writes the public ones to data/reference/. The same
layout as autograder/cases_transformer.py: a case is a spec (sizes and seeds) that
tfcourse.checks_lm.make_args turns into arguments; the reference solution's result and each
known mistake's output (autograder/mistakes_lm.py) are stored beside it. Hidden cases never
leave the instructor's side: the build packs them into the hidden-test region of a test cell.
"""
import numpy as np

import solutions
from autograder.case_tools import CaseTools
from autograder.cases_transformer import MIN_GAP
from tfcourse.checks_lm import case_args, encode
from solutions.tiny_gpt import gpt_forward


def _spec(**spec):
    label = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k not in ("seed",))
    return {"label": label, "spec": spec}


def _loss(T, V, seed, B=None, lengths=None, **more):
    return _spec(T=T, V=V, B=B, seed=seed, **({"lengths": lengths} if lengths else {}), **more)


def _gen(V, prompt_len, max_new_tokens, temperature, seed, rng_seed, B=None, **more):
    return _spec(V=V, prompt_len=prompt_len, max_new_tokens=max_new_tokens,
                 temperature=temperature, B=B, seed=seed, rng_seed=rng_seed, **more)


VISIBLE = {
    "causal_lm_loss": [_loss(5, 4, 1), _loss(6, 5, 2, B=3, lengths=[6, 4, 2]),
                       _loss(2, 3, 3), _loss(4, 6, 4, B=2, lengths=[4, 3], ignore_index=-1),
                       _loss(3, 4, 5, B=2, lengths=[3, 1]),
                       # large logits: the log-softmax must not overflow (a shift of 1e4 breaks
                       # np.exp of raw logits only), nor take the log of an underflowed softmax
                       _loss(4, 5, 6, B=2, lengths=[4, 3], shift=1e4),
                       _loss(3, 6, 7, B=2, lengths=[3, 2], scale=1e4)],
    "generate": [_gen(7, 3, 6, 0.0, 11, 0), _gen(7, 1, 1, 0.0, 12, 0),
                 _gen(7, 4, 5, 1.0, 13, 1), _gen(7, 2, 4, 0.5, 14, 2, B=3),
                 _gen(7, 3, 4, 2.0, 15, 3, B=2, n_layer=2)],
}

HIDDEN = {
    "causal_lm_loss": [_loss(2, 2, 101), _loss(9, 7, 102, B=4, lengths=[9, 9, 3, 5]),
                       _loss(7, 5, 103, scale=40.0), _loss(5, 3, 104, B=2, lengths=[5, 2],
                                                          ignore_index=0),
                       _loss(12, 30, 105, B=1), _loss(6, 4, 106, B=3, lengths=[2, 6, 4],
                                                      ignore_index=-7),
                       _loss(5, 6, 107, B=3, lengths=[5, 4, 2], shift=3e4),
                       _loss(6, 5, 108, B=2, lengths=[6, 3], scale=1e5)],
    "generate": [_gen(5, 1, 3, 0.0, 111, 0), _gen(9, 5, 8, 0.0, 112, 0, B=2, n_layer=2),
                 _gen(6, 2, 6, 1.0, 113, 4), _gen(6, 3, 5, 0.7, 114, 5, B=4),
                 _gen(8, 6, 10, 1.5, 115, 6, n_layer=2, D=12, n_head=3),
                 _gen(4, 2, 1, 1.0, 116, 7, B=3)],
}


# ----------------------------------------------------------------------------- computing them

def _check_ties(name, case):
    """Reject a generate case whose chosen tokens sit on a knife edge (another order of float
    operations could pick another token)."""
    if name != "generate":
        return
    (params, prompt, _), kwargs = case_args(name, case)
    new = reference_result(name, case)
    logits = gpt_forward(np.concatenate([prompt, new], axis=-1), params)
    rows = logits[..., prompt.shape[-1] - 1:-1, :]          # the rows each new token came from
    T = kwargs["temperature"]
    if T == 0:
        top = np.sort(rows, axis=-1)
        gap = float(np.min(top[..., -1] - top[..., -2]))
    else:
        r = np.stack([kwargs["rng"].random(prompt.shape[:-1]) for _ in range(new.shape[-1])], -1)
        scaled = rows / T
        e = np.exp(scaled - scaled.max(-1, keepdims=True))
        cdf = np.cumsum(e / e.sum(-1, keepdims=True), axis=-1)
        gap = float(np.min(np.abs(cdf - r[..., None])))
    if gap < MIN_GAP:
        raise ValueError(f"{name} case {case['label']!r}: a chosen token is within {MIN_GAP} "
                         f"of a tie; pick another seed")


_tools = CaseTools(case_args, encode, VISIBLE, HIDDEN, _check_ties)
reference_result, public_reference, hidden_cases, mutants = (
    _tools.reference_result, _tools.public_reference, _tools.hidden_cases, _tools.mutants)

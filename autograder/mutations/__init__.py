"""Name the mistake: every graded function's mutants, their outputs, and what matches what.

    singles("rnn_step")            # every single mutation of the reference rnn_step (Mutants)
    catalogue("rnn_step")          # the ones that compute something else on the course's cases
    outputs(mutant, cases)         # its results on cases (None where it raised)

A mutant is a reference solution with one change (engine.py), made by an operator that names
the change in the student's terms (operators.py). A decoder built on a mutated cell step is a
mutant of the decoder (`composed`). The hand-written catalogue of known mistakes is a handful
of these operators: KNOWN gives the sentence it always had to the mutation that computes it.

Instructor side only: scripts/make_reference_logits.py stores the catalogue's outputs on the
public cases in data/reference/ (with the sentences), the build packs their outputs on the
hidden cases beside those cases; tfcourse.checks.matching_mutants names, from outputs alone,
every mutant that reproduces a student's answer on all cases. scripts/diagnosis_rate.py
measures how often that names the mutation that made an answer.
"""
import functools
import json

import numpy as np

import solutions
from autograder.mutations import named, operators
from autograder.mutations.engine import (Mutant, compile_tree, double, family_mutant,
                                         family_sites, helpers_of, mutants_of, source_tree)

CELLS = {"rnn": "rnn_step", "lstm": "lstm_step", "gru": "gru_step"}
DECODERS = ("decoder_forward_teacher_forcing", "decoder_forward_free_running",
            "decoder_forward_scheduled_sampling")
OPERATORS = {**{cell: operators.CELL_OPERATORS for cell in CELLS.values()},
             **{d: operators.DECODER_OPERATORS for d in DECODERS},
             **{s: operators.SCHEDULE_OPERATORS for s in ("linear_schedule",
                                                           "exponential_schedule",
                                                           "inverse_sigmoid_schedule")},
             "recovery_curve": operators.RECOVERY_OPERATORS}
# Notebooks 06-07: a graded function and the reference helpers it calls are one family; the
# named rewrites of any member (named.py) are mutants of the graded function.
FAMILY_MODULES = ("solutions.transformer", "solutions.transformer_sampling", "solutions.lm",
                  "solutions.backprop", "solutions.seq2seq", "solutions.training")
NAMED = (named.TRANSFORMER, named.LM, named.BACKPROP, named.LOSS, named.CACHE)
# general operators on a family member: notebook 05's GRU cell is a cell; a forward that
# returns logits (.., T, V) may return them with its axes in the wrong order
MEMBER_OPERATORS = {"gru_cell_gates": operators.CELL_OPERATORS,
                    **{f: (operators.AxesSwapped(batched=True),) for f in (
                        "decoder_forward_teacher_forcing_cache", "transformer_decoder_forward",
                        "transformer_scheduled_sampling_two_pass")},
                    "positional_encoding": (operators.AxesSwapped(what="pe"),)}
FAMILY_GRADED = ("gru_step_forward", "gru_step_backward", "decoder_forward_teacher_forcing_cache",
                 "decoder_backward_teacher_forcing", "masked_cross_entropy",
                 "shift_right", "causal_mask", "causal_self_attention", "positional_encoding",
                 "transformer_decoder_forward", "transformer_decoder_step",
                 "transformer_scheduled_sampling_two_pass", "causal_lm_loss", "generate")
FUNCTIONS = tuple(OPERATORS) + FAMILY_GRADED


@functools.lru_cache(maxsize=None)
def family(name):
    """{member name: function} of graded function `name`, itself first."""
    return helpers_of(getattr(solutions, name), FAMILY_MODULES)


@functools.lru_cache(maxsize=None)
def _family_sites(name):
    members = family(name)
    ops = {m: MEMBER_OPERATORS.get(m, ()) + tuple(op for op in NAMED if m in op.table)
           for m in members}
    return {id_: (member, site) for id_, member, site in family_sites(name, members, ops)}

# The hand-written catalogue's mistakes as mutations: (function, operator, site) -> its
# sentence's id in tfcourse.checks.MISTAKES; a family mutant's id -> its sentence's id.
KNOWN = {("rnn_step", "term_dropped", "b"): "no_bias",
         ("rnn_step", "activation", "tanh>identity@h_next"): "no_tanh",
         ("rnn_step", "term_dropped", "h_prev @ W_h"): "ignored_h_prev",
         ("rnn_step", "returned_input", "h_prev"): "returned_h_prev",
         ("lstm_step", "blocks_permuted", "ifog"): "gates_ifog",
         ("lstm_step", "blocks_permuted", "figo"): "gates_fiog",
         ("lstm_step", "activation", "tanh>sigmoid@g"): "sigmoid_candidate",
         ("lstm_step", "activation", "tanh>identity@c_next"): "h_without_tanh",
         ("lstm_step", "tuple_reversed", "reversed"): "returned_c_h",
         ("gru_step", "names_swapped", "h_prev<>n@h_next#"): "update_swapped",
         ("gru_step", "term_dropped", "b_h"): "no_hidden_bias",
         # notebook 05's GRU cell (gru_cell_gates returns h_next first, "the result")
         ("gru_cell_gates", "names_swapped", "h_prev<>n@the result#"): "update_swapped",
         ("gru_cell_gates", "term_dropped", "b_h"): "no_hidden_bias",
         # notebook 06's decoder says so in its own words (tfcourse.checks_transformer.MISTAKES)
         "transformer_decoder_forward:attend:transformer:unscaled": "decoder_unscaled",
         "transformer_decoder_forward:_causal_self_attention:transformer:no_mask":
             "decoder_no_mask"}


def _known_text(function, operator, site, text):
    """The catalogue's sentence for `operator` at `site` of `function` (KNOWN), else `text`:
    one sentence for one mistake, whichever notebook's cell makes it."""
    from tfcourse.checks import MISTAKES
    for (known, op, key), hint in ((k, v) for k, v in KNOWN.items() if isinstance(k, tuple)):
        if known == function and op == operator and site.startswith(key) and (
                site == key or key.endswith("#")):
            return MISTAKES[hint]
    return text


@functools.lru_cache(maxsize=None)
def singles(name):
    """Every single mutation of graded function `name`, cell mutations composed into decoders."""
    if name in FAMILY_GRADED:
        from tfcourse.checks_transformer import MISTAKES
        return tuple(Mutant(id_, name, id_.split(":")[-2],
                            MISTAKES[KNOWN[id_]] if id_ in KNOWN else _known_text(
                                member, id_.split(":")[-2], site.key, site.text),
                            family_mutant(family(name), [(member, site)]))
                     for id_, (member, site) in _family_sites(name).items())
    func = getattr(solutions, name)
    out = mutants_of(func, OPERATORS[name], name)
    for m in out:
        m.text = _known_text(m.function, *m.id.split(":", 2)[1:], m.text)
    if name in DECODERS:
        out += [composed(name, cell, m) for cell in CELLS.values() for m in singles(cell)]
    return tuple(out)


def composed(name, cell, mutant):
    """Decoder `name` running the cell mutant in place of the reference `cell` step."""
    func = getattr(solutions, name)
    impl = compile_tree(func, source_tree(func), {cell: mutant.impl})
    return Mutant(f"{name}:{mutant.id}", name, mutant.operator,
                  f"your decoder's {cell} is wrong: {mutant.text}", impl,
                  cell_type=cell.removesuffix("_step"))


def doubles(name, count, seed=0):
    """Up to `count` double mutations of `name`, (Mutant, (first id, second id)), drawn with
    `seed` from all pairs of single mutations (a decoder's pair may be one cell mutation and one
    of the decoder's own)."""
    rng = np.random.default_rng(seed)
    pool = singles(name)
    out, tried = [], set()
    while len(out) < count and len(tried) < len(pool) * (len(pool) - 1) // 2:
        a, b = sorted(rng.choice(len(pool), 2, replace=False))
        if (a, b) in tried:
            continue
        tried.add((a, b))
        first, second = pool[a], pool[b]
        impl = _pair(name, first, second)
        if impl is not None:
            out.append(Mutant(f"{first.id} + {second.id}", name, "double",
                              f"{first.text} / {second.text}", impl, (first.id, second.id)))
    return out


def _pair(name, first, second):
    if name in FAMILY_GRADED:
        sites = _family_sites(name)
        return family_mutant(family(name), [sites[first.id], sites[second.id]])
    func = getattr(solutions, name)
    cell_of = {m.id: (cell, m) for cell in (CELLS.values() if name in DECODERS else ())
               for m in singles(cell)}
    own = [m for m in (first, second) if m.id.count(":") == 2]
    cells = [cell_of[m.id.split(":", 1)[1]] for m in (first, second) if m not in own]
    if len(cells) == 2:
        (c1, m1), (c2, m2) = cells
        if c1 == c2:
            return None  # two changes of one cell: a double of the cell, not of the decoder
        return compile_tree(func, source_tree(func), {c1: m1.impl, c2: m2.impl})
    overrides = {cells[0][0]: cells[0][1].impl} if cells else {}
    if len(own) == 2:
        return double(func, OPERATORS[name], own[0].id, own[1].id, name)
    if overrides and own:
        return double(func, OPERATORS[name], own[0].id, None, name, overrides)
    return None


def outputs(impl, name, cases, case_args):
    """`impl`'s results on `cases` (None where it raised), like a student's answer."""
    out = []
    for case in cases:
        args, kwargs = case_args(name, case)
        try:
            with np.errstate(all="ignore"):
                out.append(impl(*args, **kwargs))
        except Exception:
            out.append(None)
    return out


_CATALOGUES = {}


def case_key(case):
    return json.dumps({k: case.get(k) for k in ("spec", "args", "label")}, sort_keys=True,
                      default=str)


def catalogue(name, cases, case_args, reference):
    """The single mutants of `name` that compute something else than `reference` (a function
    of a case) on at least one of `cases`, and run on at least one: the mutants a student's
    answer is matched against, and {case_key: their outputs} (each mutant runs once per case).
    Equivalent mutants (right on every case) are left out."""
    if name not in _CATALOGUES:
        expected = [reference(name, case) for case in cases]
        kept, got = [], []
        for mutant in singles(name):
            # a decoder on a mutated lstm_step computes the reference's answer for a gru
            out = [e if mutant.cell_type and case.get("spec", {}).get("cell_type") not in (
                       None, mutant.cell_type) else outputs(mutant.impl, name, [case], case_args)[0]
                   for case, e in zip(cases, expected)]
            if any(g is not None for g in out) and not all(
                    g is not None and _same(g, e) for g, e in zip(out, expected)):
                kept.append(mutant)
                got.append(out)
        by_case = {case_key(c): [out[k] for out in got] for k, c in enumerate(cases)}
        _CATALOGUES[name] = (tuple(kept), by_case)
    return _CATALOGUES[name]


def _same(a, b):
    from autograder.case_tools import as_result, same
    try:
        return same(as_result(a), as_result(b))
    except (TypeError, ValueError):
        pass
    try:  # gradients in a dict, a cache among the results: compare every array they hold
        x, y = _arrays(a), _arrays(b)
        return len(x) == len(y) and all(same(u, v) for u, v in zip(x, y))
    except (TypeError, ValueError):
        return False


def _arrays(value):
    """Every array a result holds, in a fixed order (dicts by key; a cache's params skipped)."""
    if isinstance(value, dict):
        return [a for k in sorted(value) for a in _arrays(value[k])]
    if hasattr(value, "_fields"):
        return [a for f in value._fields if f not in ("params", "cell_type")
                for a in _arrays(getattr(value, f))]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays(v)]
    return [np.asarray(value, dtype=float)]


def rounded(value):
    """A mutant's output to 9 significant digits: the files stay small, and an answer that
    computes the same thing still matches it to the checks' tolerance (rtol 1e-6)."""
    if isinstance(value, tuple):
        return tuple(rounded(v) for v in value)
    array = np.asarray(value, dtype=float)
    out = np.array([float(f"{v:.9g}") for v in array.ravel()]).reshape(array.shape)
    return out if array.ndim else float(out)

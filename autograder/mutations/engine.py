"""Mutants: a reference solution with one change, made by rewriting its source tree.

    for mutant in mutants_of(solutions.rnn_step):     # every single mutation of rnn_step
        mutant.impl(x, h_prev, params)                # runs like a student's wrong answer

A mutation is an operator (operators.py) applied at one site of the function's syntax tree:
the operator finds its sites, rewrites a copy of the tree there, and says in the student's
terms what the rewritten code does wrong and how to fix it. The tree is compiled in the
reference module's own namespace, so a decoder mutant still calls the module's cell steps;
`overrides` replaces names in that namespace, which is how a decoder built on a mutated cell
step becomes a mutant of the decoder (composed()).

Instructor side only: nothing here or in a mutant's code reaches a student; data/ holds the
mutants' outputs on the public cases and the sentences that name them.
"""
import ast
import copy
import math
import inspect
import textwrap
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Site:
    """One place an operator can change: `key` (unique within the function and operator),
    the sentence naming the mistake, the node's position in nodes(fdef), and
    `rewrite(fdef, node)`, which changes a copy of the tree in place at that node's copy."""
    key: str
    text: str
    index: int
    rewrite: object


@dataclass
class Mutant:
    id: str            # "<function>:<operator>:<site key>", or parts joined by " + "
    function: str      # the graded function it is a mutant of
    operator: str      # the operator's id (a composed mutant: the cell's operator)
    text: str          # what the answer does wrong and the fix, in the student's terms
    impl: object       # a callable with the graded function's signature
    parts: tuple = field(default=())   # ids of the single mutations it combines (doubles)
    cell_type: str = None  # a decoder on a mutated cell: the only cell type it changes


# Names a rewritten tree may call besides the module's own; none is a name of solutions/.
def _relu(a):
    return np.maximum(a, 0.0)


def _identity(a):
    return a


def _softmax(a):
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


def _at(seq, i):
    """seq[i] with Python's wrap-around for a negative i but the last row past the end: a loop
    that reads one step late reads past the end only where its value is never used."""
    return seq[min(i, len(seq) - 1)]


def _legacy(seed):
    """numpy's legacy generator as np.random.seed(seed) leaves it (a Generator is no seed)."""
    return np.random.RandomState(seed)


def _sample(logits, rng):
    """A token drawn from softmax(logits) with one rng.random() (first cumulative prob > r)."""
    cdf = np.cumsum(_softmax(np.asarray(logits, dtype=float)), axis=-1)
    r = rng.random(np.shape(logits)[:-1])
    return np.minimum((cdf <= np.asarray(r)[..., None]).sum(axis=-1), np.shape(logits)[-1] - 1)


def _axes(value, way):
    """`value` with two axes swapped: the last two ("time_vocab": (.., T, V) -> (.., V, T)),
    or batch and time ("batch_time": (B, T, V) -> (T, B, V); unchanged without a batch)."""
    value = np.asarray(value)
    if way == "time_vocab":
        return np.swapaxes(value, -1, -2)
    return np.swapaxes(value, -3, -2) if value.ndim >= 3 else value


def _bias_mean(dparams, lead):
    """dparams with the cell's bias gradients averaged over the batch (leading axes `lead`)
    where they are summed: a step's backward that takes .mean(axis=0) of the rows."""
    n = int(np.prod(lead)) if len(lead) else 1
    return {k: v / n if k in ("b", "b_x", "b_h") else v for k, v in dparams.items()}


HELPERS = {"_mut_bias_mean": _bias_mean, "_mut_axes": _axes, "_mut_legacy": _legacy, "_mut_sample": _sample, "_mut_floor": math.floor, "_mut_relu": _relu, "_mut_identity": _identity, "_mut_softmax": _softmax,
           "_mut_sigmoid": _sigmoid, "_mut_tanh": np.tanh, "_mut_at": _at}


def source_tree(func):
    """The FunctionDef of `func`, parsed from its source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise TypeError(f"{func.__name__}: expected a plain function definition")
    fdef.decorator_list = []
    return fdef


def compile_tree(func, fdef, overrides=None):
    """`fdef` compiled as a function in `func`'s module namespace (plus `overrides`)."""
    namespace = {**func.__globals__, **HELPERS, **(overrides or {})}
    _define(fdef, namespace)
    return namespace[fdef.name]


def _define(fdef, namespace):
    """Run the definition `fdef` in `namespace`."""
    for node in ast.walk(fdef):  # a row a mutant never writes reads as zeros, not as garbage
        if isinstance(node, ast.Attribute) and node.attr == "empty" and \
                isinstance(node.value, ast.Name) and node.value.id == "np":
            node.attr = "zeros"
    module = ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[]))
    exec(compile(module, f"<mutant of {fdef.name}>", "exec"), namespace)


def nodes(fdef):
    """Every node of `fdef` in a fixed order (a copy of the tree lists its copies in the same
    order, which is how a site found in the original is found again in the copy)."""
    return list(ast.walk(fdef))


def replace(root, old, new):
    """Put `new` where `old` is in `root`'s tree (same parent field, same list position)."""
    for parent in ast.walk(root):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                value[[i for i, v in enumerate(value) if v is old][0]] = new
                return
    raise ValueError("node not found")


def parents(fdef):
    return {child: parent for parent in ast.walk(fdef) for child in ast.iter_child_nodes(parent)}


def mutants_of(func, operators, name=None, overrides=None):
    """Every single mutation of `func` the operators find, as Mutants (code not yet run)."""
    name = name or func.__name__
    original = source_tree(func)
    out = []
    for operator in operators:
        for site in operator.sites(original, name):
            fdef = copy.deepcopy(original)
            site.rewrite(fdef, nodes(fdef)[site.index])
            out.append(Mutant(f"{name}:{operator.id}:{site.key}", name, operator.id, site.text,
                              compile_tree(func, fdef, overrides)))
    return out


def double(func, operators, first, second=None, name=None, overrides=None):
    """The mutant with single mutations `first` and `second` (ids of mutants_of; `second` may
    be None) in `func`'s namespace plus `overrides`, or None when the second's site is gone
    once the first has changed the tree."""
    name = name or func.__name__
    original = source_tree(func)
    sites = {f"{name}:{op.id}:{s.key}": s for op in operators for s in op.sites(original, name)}
    fdef = copy.deepcopy(original)
    where = nodes(fdef)
    chosen = [(sites[i], where[sites[i].index]) for i in (first, second) if i is not None]
    try:
        for site, node in chosen:
            site.rewrite(fdef, node)
    except (ValueError, IndexError, AttributeError, StopIteration):  # the first took the site
        return None
    return compile_tree(func, fdef, overrides)


def helpers_of(func, modules):
    """The functions `func` reaches by name, itself first, within `modules` (names of the
    reference modules whose code a mutant may change): its family."""
    out, todo = {}, [func]
    while todo:
        f = todo.pop()
        if f.__name__ in out:
            continue
        out[f.__name__] = f
        for node in ast.walk(source_tree(f)):
            g = f.__globals__.get(node.id) if isinstance(node, ast.Name) else None
            if inspect.isfunction(g) and g.__module__ in modules and g.__name__ not in out:
                todo.append(g)
    return out


def compile_family(family, trees):
    """The first function of `family` ({name: function}) with every member compiled into one
    namespace, `trees` ({name: FunctionDef}) in place of the members' own code: a graded
    function whose helper is a mutant is a mutant of the graded function."""
    namespace = {}
    for f in reversed(list(family.values())):
        namespace.update(f.__globals__)
    namespace.update(HELPERS)
    for name, f in family.items():
        _define(copy.deepcopy(trees.get(name) or source_tree(f)), namespace)
    return namespace[next(iter(family))]


def family_sites(graded, family, operators):
    """(mutant id, member, Site) of every single mutation of any member of `family` ({name:
    function}, `graded` first) made by `operators` ({member name: operators})."""
    for member, ops in operators.items():
        if member in family:
            for operator in ops:
                for site in operator.sites(source_tree(family[member]), member):
                    where = "" if member == graded else f"{member}:"
                    yield f"{graded}:{where}{operator.id}:{site.key}", member, site


def family_mutant(family, changes):
    """The first function of `family` with each (member, Site) of `changes` made, or None when
    a later change's site is gone once an earlier one has changed the tree."""
    trees, where = {}, {}
    for member in dict.fromkeys(member for member, _ in changes):
        trees[member] = source_tree(family[member])
        where[member] = nodes(trees[member])  # as the sites found them, before any change
    try:
        for member, site in changes:
            site.rewrite(trees[member], where[member][site.index])
    except (ValueError, IndexError, AttributeError, StopIteration):
        return None
    return compile_family(family, trees)

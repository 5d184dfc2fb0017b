"""Wrong answers written by a reviewer who had seen neither the mutation operators nor their
sentences: a held-out set for measuring how often a message names the mistake.

On 2026-11-30 two reviewers played students with only the release and wrote wrong answers of
their own, one file each: `<assignment>/<function>__<slug>.py`, the first line saying in words
what the mistake is. Reviewer 1 wrote 108 for notebooks 01, 02, 04, 05 and 06 and read the
messages of main at be71606; reviewer 2 wrote 31 for notebooks 03 and 07 at a67c4af. Each classed
what the visible check and the grader said (`reviewed.tsv`: NAMED, LOCATED, MISNAMED, UNHELPFUL,
NOT-DETECTED). Those classifications are the held-out figures; operators written since were
shaped after these answers, so a later measurement on them is no longer held out.

`names.tsv` says, for each answer, which sentences name its mistake (mutant ids or their
prefixes, or keys of the checks' MISTAKES, separated by ';'), judged by reading the answer
against the sentence; an answer without a row has no sentence that names it, and any name it
gets counts as misnamed.

Instructor side only, like autograder/mistakes.py: the files are wrong answers, not solutions,
but they are not for students to read as hints either.
"""
import ast
import csv
import importlib
import sys
import textwrap
import types
from pathlib import Path
from typing import Callable, NamedTuple

import solutions
from autograder.inline import split_function

HERE = Path(__file__).resolve().parent


class HeldOut(NamedTuple):
    """One wrong answer: its graded function, slug, the function itself, what the mistake is
    (the file's first line), the sentence ids that name it and the reviewer's classes."""
    function: str
    slug: str
    impl: Callable
    says: str
    names: tuple
    reviewed: dict


def _table(name):
    path = HERE / name
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def given_modules():
    """The modules a release ships beside the notebook: `given` (the reference's building
    blocks) and 07's `tiny_gpt`."""
    given = types.ModuleType("given")
    given.__dict__.update({n: getattr(solutions, n) for n in solutions.__all__})
    return {"given": given, "tiny_gpt": importlib.import_module("solutions.tiny_gpt")}


def define(source, function, filename="<answer>"):
    """The function `function` that `source` (a held-out file, or a notebook's cell) defines; the
    names a notebook's earlier cells define (the reference's building blocks) are in reach, as
    they are in the notebook."""
    namespace = {n: getattr(solutions, n) for n in solutions.__all__}
    shipped = given_modules()
    saved = {name: sys.modules.get(name) for name in shipped}
    sys.modules.update(shipped)
    try:
        exec(compile(source, filename, "exec"), namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module
    return namespace[function]


def held_out():
    """Every held-out wrong answer, by assignment and file name."""
    names = {(r["function"], r["slug"]): tuple(n.strip() for n in r["names"].split(";") if n.strip())
             for r in _table("names.tsv")}
    keys = ("visible", "grader", "reviewer", "at")
    reviewed = {(r["function"], r["slug"]): {k: r[k] for k in keys} for r in _table("reviewed.tsv")}
    answers = []
    for path in sorted(HERE.glob("*/*__*.py")):
        function, slug = path.stem.split("__", 1)
        says = path.read_text().splitlines()[0].lstrip("# ").strip()
        impl = define(path.read_text(), function, str(path))
        answers.append(HeldOut(function, slug, impl, says,
                               names.get((function, slug), ()), reviewed.get((function, slug), {})))
    return answers


def file_of(function, slug):
    """The file of the held-out answer `slug` of `function`."""
    found = sorted(HERE.glob(f"*/{function}__{slug}.py"))
    if len(found) != 1:
        raise LookupError(f"autograder/heldout: expected one file */{function}__{slug}.py, "
                          f"found {len(found)}")
    return found[0]


def stub_body(function, slug):
    """The answer as the body that replaces its function's stub in a notebook, as a student
    would write it there (autograder.sample_class.fill_stub): the file's imports and helpers,
    then the function's own body, indented by four spaces as inline.function_body renders one."""
    source = file_of(function, slug).read_text()
    lines = []
    for node in ast.parse(source).body:
        text = ast.get_source_segment(source, node)
        if isinstance(node, ast.FunctionDef) and node.name == function:
            lines += split_function(text)[2]
        else:
            lines += text.splitlines()
    return textwrap.indent("\n".join(lines), "    ")

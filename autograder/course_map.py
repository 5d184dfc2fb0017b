"""The course map: every notebook's id, title, what it teaches, and the files that make it.

One place answers "which notebook is that?" and "where is its X?":
- templates never write "notebook 04" by hand; they write `{{notebook:scheduled_sampling}}`
  and the build expands it from here (autograder/template.py refuses a hand-written one), so
  renumbering or inserting a notebook cannot leave a wrong cross-reference;
- each entry names the files holding its prose, reference solutions, checks (what a test
  cell prints), hidden cases and known mistakes; tests/test_course_map.py derives the same
  lists from the build and fails when this map and the repository disagree.

Placeholders (in any cell of a template):

    {{notebook:KEY}}          notebook 04        {{Notebook:KEY}}        Notebook 04
    {{notebooks:KEY1-KEY2}}   notebooks 02–05    {{Notebooks:KEY1-KEY2}} Notebooks 02–05
    {{title:KEY}}             Scheduled sampling (the title, as in the notebook's heading)
"""
import re
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = "autograder/templates"


@dataclass(frozen=True)
class Notebook:
    key: str             # what templates write in a placeholder; never changes with numbering
    id: str              # nbgrader assignment id = template stem = notebooks/<id>/<id>.ipynb
    title: str           # the notebook's first heading after "NN · "
    teaches: str
    solutions: tuple = ()     # solutions/ modules defining its graded functions
    checks: tuple = ()        # student-safe modules whose check(...) its test cells run
    hidden_cases: tuple = ()  # autograder/ modules holding its VISIBLE and HIDDEN cases
    mistakes: tuple = ()      # autograder/ modules writing its known mistakes on purpose
    planned: bool = False     # in the map before its template lands (tests skip its files)

    @property
    def number(self):
        return self.id[:2]

    @property
    def prose(self):
        return f"{TEMPLATES}/{self.id}.md"

    @property
    def files(self):
        """Every file of this notebook by role, repository-relative."""
        return {"prose": (self.prose,), "solutions": self.solutions, "checks": self.checks,
                "hidden_cases": self.hidden_cases, "mistakes": self.mistakes}


_CHECKS = ("src/tfcourse/checks.py",)
_CASES = ("autograder/cases.py",)
_MISTAKES = ("autograder/mistakes.py",)

NOTEBOOKS = (
    Notebook("cells", "01_recurrent_cells", "Recurrent cells: what one decoder step computes",
             "one step of an RNN, LSTM and GRU cell (PyTorch's equations), row vectors, batches",
             ("solutions/cells.py",), _CHECKS, _CASES, _MISTAKES),
    Notebook("teacher_forcing", "02_teacher_forcing", "Teacher forcing",
             "a decoder fed the true previous token; the one-step shift between inputs and "
             "targets; all input projections in one product",
             ("solutions/decoders.py",), _CHECKS, _CASES, _MISTAKES),
    Notebook("free_running", "03_free_running_and_exposure_bias",
             "Free running and exposure bias",
             "a decoder fed its own prediction, as at inference; teacher-forced vs free-running "
             "errors by position; the causal test: one corrupted fed token and what it costs",
             ("solutions/decoders.py", "solutions/exposure.py"), _CHECKS, _CASES, _MISTAKES),
    Notebook("scheduled_sampling", "04_scheduled_sampling", "Scheduled sampling",
             "moving from teacher forcing to free running during training; three decay "
             "schedules; per-token and per-sequence coins",
             ("solutions/decoders.py", "solutions/schedules.py"), _CHECKS, _CASES, _MISTAKES),
    Notebook("training", "05_training_with_teacher_forcing",
             "Training with teacher forcing: backpropagation through time",
             "backward passes of a GRU step and of the teacher-forced decoder; training "
             "regimes compared by their exposure bias",
             ("solutions/backprop.py", "solutions/seq2seq.py", "solutions/training.py"),
             ("src/tfcourse/checks_training.py",),
             ("autograder/cases_training.py",), ()),
    Notebook("transformers", "06_teacher_forcing_in_transformers",
             "Teacher forcing in transformers: shifted inputs and the causal mask",
             "shifted inputs and a causal mask give all T logits in one pass; generation "
             "needs T passes; two-pass scheduled sampling",
             ("solutions/transformer.py", "solutions/transformer_sampling.py"),
             ("src/tfcourse/checks_transformer.py",), ("autograder/cases_transformer.py",),
             ("autograder/mistakes_transformer.py",)),
    Notebook("language_models", "07_teacher_forcing_in_language_models",
             "Teacher forcing in GPT-style language models",
             "labels = input_ids and the shift inside the loss; a tiny trained GPT; generation "
             "is free running, with a KV cache; exposure bias in an LM, measured",
             ("solutions/lm.py",), ("src/tfcourse/checks_lm.py",), ("autograder/cases_lm.py",),
             ("autograder/mistakes_lm.py",)),
)


def by_key(key):
    for nb in NOTEBOOKS:
        if nb.key == key:
            return nb
    raise KeyError(f"no notebook with key {key!r} in autograder/course_map.py; the keys are "
                   f"{', '.join(nb.key for nb in NOTEBOOKS)}")


def by_id(assignment):
    for nb in NOTEBOOKS:
        if nb.id == assignment:
            return nb
    raise KeyError(f"no notebook {assignment!r} in autograder/course_map.py")


PLACEHOLDER = re.compile(r"\{\{(notebook|Notebook|notebooks|Notebooks|title):([a-z_]+)"
                         r"(?:-([a-z_]+))?\}\}")
# "notebook 04", "Notebooks 02–05", "notebooks 1-3": a reference the map did not write.
HAND_WRITTEN = re.compile(r"\b[Nn]otebooks?\s+\d+(?:\s*[–-]\s*\d+)?")


def _expand(match):
    word, first, last = match.groups()
    if word == "title":
        if last:
            raise KeyError(f"{match.group(0)}: a title takes one key")
        return by_key(first).title
    plural = word.endswith("s")
    if plural != bool(last):
        raise KeyError(f"{match.group(0)}: write {{{{notebook:KEY}}}} for one notebook and "
                       f"{{{{notebooks:FIRST-LAST}}}} for a range")
    numbers = by_key(first).number + (f"–{by_key(last).number}" if last else "")
    return f"{word} {numbers}"


def expand(text):
    """`text` with every placeholder replaced; KeyError names an unknown key or a hand-written
    reference (which would go stale when notebooks are renumbered)."""
    stale = HAND_WRITTEN.search(text)
    if stale:
        raise KeyError(f"hand-written reference {stale.group(0)!r}: write "
                       f"{{{{notebook:KEY}}}} (keys in autograder/course_map.py) instead")
    return PLACEHOLDER.sub(_expand, text)


# Outside the templates (docs/, data/ READMEs, README.md: plain Markdown that no build expands),
# a reference is written `notebook 05<!--nb:training-->`: the comment (invisible once rendered)
# holds the map's key, and `python -m autograder map --refresh` (and `build`) rewrites the number.
# tests/test_release_references.py fails on a number without its key, and on a stale number.
MARKED = re.compile(r"(\d+)<!--nb:([a-z_]+)-->")
_NUMBER = r"\d+(?:<!--nb:[a-z_]+-->)?"
_MARKDOWN_REF = re.compile(rf"\b[Nn]otebooks?\s+{_NUMBER}(?:\s*(?:[–-]|,|and|or)\s*{_NUMBER})*")
MARKDOWN = ("README.md", "docs/*.md", "data/**/README.md")


def markdown_files(root):
    """The hand-written Markdown files whose references `refresh` keeps true, under `root`."""
    return sorted({p for pattern in MARKDOWN for p in root.glob(pattern)})


def refresh(text):
    """`text` with the number of every `NN<!--nb:KEY-->` set from the map (KeyError: no KEY)."""
    return MARKED.sub(lambda m: f"{by_key(m.group(2)).number}<!--nb:{m.group(2)}-->", text)


def unmarked(text):
    """The hand-written references in Markdown text: "notebook NN" whose number has no key."""
    found = []
    for ref in _MARKDOWN_REF.finditer(text):
        for number in re.finditer(r"\d+", ref.group(0)):
            if not text.startswith("<!--nb:", ref.start() + number.end()):
                found.append(ref.group(0))
                break
    return found


def table():
    """The map as Markdown, for a newcomer: `python -m autograder map`."""
    rows = ["| notebook | teaches | prose | solutions | checks | hidden cases | mistakes |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for nb in NOTEBOOKS:
        cells = [", ".join(f"`{f}`" for f in files) or "—" for files in nb.files.values()]
        rows.append(f"| {nb.number} · {nb.title}{' (planned)' if nb.planned else ''} "
                    f"| {nb.teaches} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def refresh_markdown(root):
    """Rewrite the notebook numbers of `markdown_files(root)` from the map; the files changed."""
    changed = []
    for path in markdown_files(root):
        text = path.read_text()
        new = refresh(text)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


def main(argv):
    """`python -m autograder map`: print the course map as a Markdown table;
    `--refresh`: rewrite the notebook numbers in the repository's Markdown from the map."""
    import sys
    if argv == ["--refresh"]:
        root = Path(__file__).resolve().parents[1]
        for path in refresh_markdown(root):
            print(f"refreshed {path.relative_to(root)}")
        return 0
    if argv:
        print("usage: python -m autograder map [--refresh]", file=sys.stderr)
        return 2
    print(table())
    return 0

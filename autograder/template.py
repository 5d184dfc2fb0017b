"""Read a notebook template (autograder/templates/<id>.md): plain text, one cell after another.

A line starting with `%%` opens a cell; everything up to the next such line is its source
(leading and trailing blank lines dropped). The kinds:

    %% md                          a markdown cell
    %% code                        a code cell the student may edit
    %% solution FUNCTION           the graded exercise: a stub whose body holds the line
                                   `### SOLUTION`, where the build inlines solutions.FUNCTION
    %% test GRADE_ID POINTS        a visible test cell (locked, graded)
    %% hidden FUNCTION POINTS      a graded cell: comments saying what runs there at grading;
                                   the build adds a line failing on the unanswered stub and
                                   the hidden tests of FUNCTION

Lines starting with `%%#` are comments for template authors and never reach a notebook.
Cross-references are written `{{notebook:KEY}}` (see autograder/course_map.py), never by hand,
and a notebook's first heading is `# NN · TITLE` as the course map has it.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course_map

SOLUTION_MARK = "### SOLUTION"
KINDS = {"md": 0, "code": 0, "solution": 1, "test": 2, "hidden": 2}


@dataclass
class Cell:
    kind: str
    args: tuple
    source: str
    line: int = 0

    @property
    def function(self):
        return self.args[0] if self.kind in ("solution", "hidden") else None


@dataclass
class Template:
    assignment: str
    cells: list = field(default_factory=list)

    @property
    def graded_functions(self):
        return [c.function for c in self.cells if c.kind == "solution"]


class TemplateError(ValueError):
    pass


def parse(text, assignment="template"):
    """Parse a template's text into a Template; raise TemplateError naming the line."""
    template, current, lines = Template(assignment), None, []

    def close():
        if current is not None:
            source = "\n".join(lines).strip("\n")
            try:
                source = course_map.expand(source)
            except KeyError as error:
                raise TemplateError(f"{assignment}:{current[2]}: {error.args[0]}") from None
            template.cells.append(Cell(current[0], current[1], source, current[2]))

    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("%%#"):
            continue
        if line.startswith("%%"):
            close()
            parts = line[2:].split()
            if not parts or parts[0] not in KINDS or len(parts) - 1 != KINDS[parts[0]]:
                raise TemplateError(f"{assignment}:{number}: expected `%% md`, `%% code`, "
                                    f"`%% solution FUNCTION`, `%% test GRADE_ID POINTS` or "
                                    f"`%% hidden FUNCTION POINTS`, got {line!r}")
            if parts[0] in ("test", "hidden") and not re.fullmatch(r"\d+(\.\d+)?", parts[2]):
                raise TemplateError(f"{assignment}:{number}: POINTS must be a number, got "
                                    f"{parts[2]!r}")
            current, lines = (parts[0], tuple(parts[1:]), number), []
        elif current is None:
            if line.strip():
                raise TemplateError(f"{assignment}:{number}: text before the first `%%` cell")
        else:
            lines.append(line)
    close()
    _check(template)
    return template


def _check_heading(template):
    """A notebook the course map knows opens with `# NN · TITLE` from the map."""
    try:
        nb = course_map.by_id(template.assignment)
    except KeyError:
        return
    want = f"# {nb.number} · {nb.title}"
    first = next((c for c in template.cells if c.kind == "md"), None)
    if first is None or first.source.splitlines()[0] != want:
        raise TemplateError(f"{template.assignment}: the first markdown cell must open with "
                            f"{want!r} (autograder/course_map.py), got "
                            f"{first.source.splitlines()[0] if first else None!r}")


def _only_comments(source):
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    return bool(lines) and all(line.startswith("#") for line in lines)


def _check(template):
    _check_heading(template)
    ids = [c.args[0] if c.kind == "test" else f"{c.function}_hidden" if c.kind == "hidden"
           else c.function for c in template.cells if c.kind in ("solution", "test", "hidden")]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TemplateError(f"{template.assignment}: grade ids used twice: {duplicates}")
    for cell in template.cells:
        if cell.kind == "solution" and cell.source.count(SOLUTION_MARK) != 1:
            raise TemplateError(f"{template.assignment}:{cell.line}: a solution cell needs exactly "
                                f"one line `{SOLUTION_MARK}` where the reference body goes")
        if cell.kind == "hidden" and not _only_comments(cell.source):
            raise TemplateError(f"{template.assignment}:{cell.line}: a hidden cell holds only "
                                f"comments saying what runs there at grading (the build adds "
                                f"the code; the visible test cell runs the public cases once)")
        if cell.kind == "hidden" and cell.function not in template.graded_functions:
            raise TemplateError(f"{template.assignment}:{cell.line}: hidden tests for "
                                f"{cell.function!r}, which this notebook does not grade")


def load(path):
    path = Path(path)
    return parse(path.read_text(), path.stem)

"""The course map is true: its notebooks are the templates, its files are the ones the build uses,
and cross-references in the notebooks come from it."""
import inspect
import re
from pathlib import Path

import pytest

import solutions
from autograder import build, course_map, template
from autograder import mistakes, mistakes_lm, mistakes_transformer

ROOT = Path(__file__).resolve().parents[1]
MISTAKE_MODULES = (mistakes, mistakes_transformer, mistakes_lm)


def _rel(path):
    return Path(path).resolve().relative_to(ROOT).as_posix()


def derived_files(tpl):
    """The files of one notebook by role, found from the build itself (not from the map)."""
    graded = tpl.graded_functions
    backends = [build.hidden_backend(f) for f in graded]
    return {
        "prose": [_rel(build.TEMPLATES / f"{tpl.assignment}.md")],
        "solutions": sorted({_rel(inspect.getsourcefile(getattr(solutions, f))) for f in graded}),
        "checks": sorted({_rel(inspect.getsourcefile(__import__(c, fromlist=["_"])))
                          for _, c in backends}),
        "hidden_cases": sorted({_rel(inspect.getsourcefile(b)) for b, _ in backends}),
        "mistakes": sorted({_rel(inspect.getsourcefile(m)) for m in MISTAKE_MODULES
                            for f in graded if f in m.MISTAKES}),
    }


def test_every_template_is_in_the_map_and_every_built_notebook_has_a_template():
    built = set(build.assignments())
    mapped = {nb.id for nb in course_map.NOTEBOOKS if not nb.planned}
    planned = {nb.id for nb in course_map.NOTEBOOKS if nb.planned}
    assert built == mapped, "templates and course_map.NOTEBOOKS (planned=False) differ"
    assert not built & planned, "a template exists for a notebook the map calls planned"


def test_map_lists_in_release_order_with_unique_numbers_and_keys():
    ids = [nb.id for nb in course_map.NOTEBOOKS]
    assert ids == sorted(ids)
    assert len({nb.number for nb in course_map.NOTEBOOKS}) == len(ids)
    assert len({nb.key for nb in course_map.NOTEBOOKS}) == len(ids)


@pytest.mark.parametrize("assignment", build.assignments())
def test_map_names_the_files_the_build_uses(assignment):
    tpl = build.templates()[assignment]
    listed = {role: sorted(files) for role, files in course_map.by_id(assignment).files.items()}
    assert listed == derived_files(tpl)
    for files in listed.values():
        for f in files:
            assert (ROOT / f).is_file(), f


def test_placeholders_expand_to_numbers_from_the_map():
    text = ("{{Notebook:cells}} and {{notebook:scheduled_sampling}}'s coins; "
            "{{notebooks:teacher_forcing-training}}; {{title:free_running}}")
    assert course_map.expand(text) == ("Notebook 01 and notebook 04's coins; notebooks 02–05; "
                                       "Free running and exposure bias")


@pytest.mark.parametrize("text, says", [
    ("as in notebook 03", "hand-written reference 'notebook 03'"),
    ("Notebooks 02–04 ran", "'Notebooks 02–04'"),
    ("{{notebook:no_such}}", "no notebook with key 'no_such'"),
    ("{{notebook:cells-training}}", "for a range"),
    ("{{notebooks:cells}}", "for a range"),
])
def test_bad_references_are_refused_with_the_line(text, says):
    with pytest.raises(template.TemplateError, match=re.escape(says)) as error:
        template.parse(f"%% md\nfirst\n%% md\n{text}", "bad")
    assert "bad:3:" in str(error.value)


def test_a_notebook_heading_must_match_its_title_in_the_map():
    with pytest.raises(template.TemplateError, match="02 · Teacher forcing"):
        template.parse("%% md\n# 02 · Teacher-forcing\n", "02_teacher_forcing")


def test_no_generated_notebook_names_a_notebook_number_the_map_does_not_have():
    numbers = {nb.number for nb in course_map.NOTEBOOKS if not nb.planned}
    for path in (ROOT / "notebooks").glob("*/*.ipynb"):
        for ref in re.findall(r"[Nn]otebooks? (\d\d)(?:–(\d\d))?", path.read_text()):
            assert {n for n in ref if n} <= numbers, (path.name, ref)


def test_map_table_lists_every_notebook():
    rows = course_map.table().splitlines()[2:]
    assert [r.split(" · ")[0] for r in rows] == [f"| {nb.number}" for nb in course_map.NOTEBOOKS]


def test_the_build_refreshes_the_notebook_numbers_of_the_markdown(monkeypatch, tmp_path):
    refreshed = []
    monkeypatch.setattr(build, "build", lambda *args, **kwargs: [])
    monkeypatch.setattr(course_map, "refresh_markdown", lambda root: refreshed.append(root) or [])
    assert build.main(["--course", str(tmp_path / "c"), "--notebooks", str(tmp_path / "n")]) == 0
    assert refreshed == [ROOT]

"""What docs/USERS.md and the other instructor docs tell an instructor, checked the way issue 17
found them wrong: followed literally, each command is complete and each step is there."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "USERS.md", ROOT / "autograder" / "README.md",
        ROOT / "autograder" / "engine" / "GRADING.md"]


def instructors_section():
    text = (ROOT / "docs" / "USERS.md").read_text()
    return text.split("\n## Instructors\n", 1)[1].split("\n## ", 1)[0]


def test_the_instructors_section_opens_with_the_release_order():
    first = instructors_section().strip().split("\n\n", 1)[0]
    assert first.startswith("**Release the assignments in order"), first[:200]
    assert "refuses" in first and "due date" in first


def test_every_grading_command_in_the_docs_names_its_course():
    commands = [(doc.name, line) for doc in DOCS for line in doc.read_text().splitlines()
                for _ in re.findall(r"(?:tfcourse-grade|-m autograder grade) +(?:\$|SUBMITTED)", line)]
    assert commands, "no grading command found in the docs"
    for doc, line in commands:
        assert "--course" in line, (doc, line)


def test_the_instructors_term_table_has_every_step_with_the_venv_activated_first():
    section = instructors_section()
    table = section.split("| step | command |", 1)[1].split("\n\n", 1)[0]
    for step in ("release_assignment", "fetch_assignment", "submit", "collect", "tfcourse-grade",
                 "formgrader", "generate_feedback", "release_feedback", "fetch_feedback", "export"):
        assert step.lower() in table.lower(), step
    before = section.split("| step | command |", 1)[0]
    assert "activate" in before and "command not found" in before


def test_the_docs_say_which_score_is_the_one_of_record_and_keep_the_course_private():
    section = instructors_section()
    assert "score of record" in section.lower() and "nbgrader export" in section
    assert "chmod 700" in section

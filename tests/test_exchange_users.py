"""The instructor's term with real Linux users: an instructor and two students, each their own
account, passing files through nbgrader's exchange as docs/USERS.md gives it (no `--student`).

It proves what the accounts' permissions promise: a student cannot list the exchange's inbound
or feedback folders (so cannot find a classmate's submission or page), cannot read the
instructor's course (its source/ holds the answers; the build makes a new course folder
private), and the instructor collects, grades with tfcourse-grade as a normal user (bubblewrap
without root) and releases feedback that each student fetches as their own. Needs root (to make
the accounts, removed at the end); elsewhere it skips, and tests/test_browser.py's term runs the
same commands through the exchange with `--student`.
"""
import csv
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from autograder import build, sample_class

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
USERADD, USERDEL, RUNUSER = NEEDS = [shutil.which(t) for t in ("useradd", "userdel", "runuser")]
REACHABLE = all(os.stat(p).st_mode & 0o001 for p in [*ROOT.parents, *Path(sys.executable).parents])
pytestmark = [pytest.mark.skipif(
    os.geteuid() != 0 or not all(NEEDS),
    reason="making Linux accounts needs root and useradd/userdel/runuser; without them the "
           "term runs through the exchange with --student (tests/test_browser.py)"),
    pytest.mark.skipif(not REACHABLE, reason=f"the students' accounts run this clone's venv, but "
                       f"a folder above {ROOT} or {sys.executable} is closed to other users")]
ANSWERS = {"alice": "reference", "bob": "wrong"}  # student -> the sample answers they submit


def run_as(user, *command, cwd, check=True):
    """`command` as the Linux account `user`, with that account's own HOME and no root left."""
    env = {"HOME": str(user.home), "USER": user.name, "LOGNAME": user.name, "LANG": "C.UTF-8",
           "PATH": f"{BIN}:/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    proc = subprocess.run([RUNUSER, "-u", user.name, "--", *map(str, command)], cwd=cwd,
                          env=env, capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, f"{user.name}: {command}\n{proc.stdout}\n{proc.stderr}"
    return proc


def can_read(user, path, cwd):
    """Whether `user` can list (a folder) or read (a file) `path`: 'yes' or the error's name."""
    code = ("import os, sys; p = sys.argv[1]\ntry:\n    os.listdir(p) if os.path.isdir(p) else "
            "open(p, 'rb').read(1)\n    print('yes')\nexcept OSError as e:\n    print(type(e).__name__)")
    return run_as(user, BIN / "python", "-c", code, path, cwd=cwd).stdout.strip()


@pytest.fixture(scope="module")
def accounts():
    """An instructor and two students, each a Linux account with a home of its own."""
    tag = secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix="tfcourse-accounts-"))
    base.chmod(0o755)
    made = {}
    try:
        for role in ("instructor", *ANSWERS):
            name = f"tfc{tag}{role[:5]}"
            subprocess.run([USERADD, "--create-home", "--home-dir", str(base / name),
                            "--shell", "/usr/sbin/nologin", "--user-group", name],
                           check=True, capture_output=True)
            made[role] = SimpleNamespace(name=name, home=base / name)
        # pyenv's Pythons keep libpython under /root (0700): another account cannot start them
        probe = run_as(made["instructor"], BIN / "python", "-c", "import numpy", cwd=base,
                       check=False)
        if probe.returncode != 0:
            pytest.skip(f"another account cannot run this venv's Python ({BIN / 'python'}): "
                        f"{probe.stderr.strip()[-300:]}")
        yield base, made
    finally:
        for user in made.values():
            subprocess.run([USERDEL, "--remove", user.name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def term(accounts):
    base, users = accounts
    teacher = users["instructor"]
    exchange = base / "exchange"  # docs/USERS.md: mkdir -p it, then chmod 777
    exchange.mkdir()
    exchange.chmod(0o777)
    on = f"--Exchange.root={exchange}"
    course = teacher.home / "teacher-forcing"
    run_as(teacher, BIN / "python", "-c", "import sys; from autograder import build; "
           "build.build(sys.argv[1], notebooks=None)", course, cwd=ROOT)
    assignment = sorted(p.name for p in (course / "release").iterdir())[0]
    nbgrader = [BIN / "nbgrader"]
    run_as(teacher, *nbgrader, "release_assignment", assignment, on, cwd=course)
    for role, answers in ANSWERS.items():
        student = users[role]
        as_student = (f"--course={build.COURSE_ID}", on)
        run_as(student, *nbgrader, "fetch_assignment", assignment, *as_student, cwd=student.home)
        mine = student.home / assignment / f"{assignment}.ipynb"  # their work, in what they fetched
        nbformat.write(sample_class.submission(mine, answers, build.given_names(
            assignment, build.ownership(build.templates()))), mine)
        run_as(student, *nbgrader, "submit", assignment, *as_student, cwd=student.home)
    run_as(teacher, *nbgrader, "collect", assignment, on, cwd=course)
    graded = run_as(teacher, BIN / "tfcourse-grade", course / "submitted", "--out",
                    course / "graded", "--course", course, cwd=teacher.home)
    run_as(teacher, *nbgrader, "generate_feedback", assignment, cwd=course)
    run_as(teacher, *nbgrader, "release_feedback", assignment, on, cwd=course)
    for role in ANSWERS:
        student = users[role]
        run_as(student, *nbgrader, "fetch_feedback", assignment, f"--course={build.COURSE_ID}",
               on, cwd=student.home)
    run_as(teacher, *nbgrader, "export", cwd=course)
    export = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())
              if r["assignment"] == assignment}
    return SimpleNamespace(users=users, exchange=exchange / build.COURSE_ID, course=course,
                           assignment=assignment, export=export, graded=graded)



def test_students_cannot_find_each_others_submissions_or_feedback_in_the_exchange(term):
    alice, bob = term.users["alice"], term.users["bob"]
    for folder in ("inbound", "feedback"):
        assert can_read(bob, term.exchange / folder, bob.home) == "PermissionError", folder
    # the instructor can: that is how collect finds them
    assert can_read(term.users["instructor"], term.exchange / "inbound", bob.home) == "yes"
    submissions = os.listdir(term.exchange / "inbound")
    assert sorted(name.split("+")[0] for name in submissions) == sorted([alice.name, bob.name])
    outbound = term.exchange / "outbound" / term.assignment
    assert can_read(bob, outbound, bob.home) == "yes"  # the release is everyone's


def test_students_cannot_read_the_instructors_course(term):
    bob = term.users["bob"]
    assert term.course.stat().st_mode & 0o077 == 0, oct(term.course.stat().st_mode)
    for path in (term.course, term.course / "source" / term.assignment / f"{term.assignment}.ipynb",
                 term.course / "gradebook.db", term.course / "submitted"):
        assert can_read(bob, path, bob.home) == "PermissionError", path


def test_the_instructor_grades_as_a_normal_user_and_each_student_fetches_only_their_page(term):
    expected = sample_class.expected_scores([term.assignment])
    for role, answers in ANSWERS.items():
        user = term.users[role]
        row = term.export[user.name]
        assert float(row["raw_score"]) == sum(expected[answers][term.assignment].values()), row
        assert row["timestamp"], row
        pages = list((user.home / term.assignment / "feedback").rglob("*.html"))
        assert len(pages) == 1, pages
        assert f"\u2014 {user.name}</title>" in pages[0].read_text()
        assert "Score of record" in pages[0].read_text()
    assert "no-sandbox" not in term.graded.stdout + term.graded.stderr

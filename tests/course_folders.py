"""Course folders for the tests: one made once per test run and shared by the xdist workers,
a private copy of it, and a snapshot to prove that a refused command wrote nothing (the built
course folders themselves are fixtures of tests/conftest.py)."""
import fcntl
import hashlib
import os
import shutil
from pathlib import Path


def shared_once(tmp_path_factory, name, make):
    """The folder `make(folder)` fills, made once per test run for all xdist workers.

    Each worker's temporary folder sits inside the run's own one: the first worker to take the
    lock makes the folder there, the others wait and reuse it. A worker that failed half-way
    leaves no 'done' mark, so the next one starts again from nothing."""
    run = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent
    shared = run / f"shared-{name}"
    shared.mkdir(exist_ok=True)
    folder = shared / name
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            if folder.exists():
                shutil.rmtree(folder)
            make(folder)
            (shared / "done").touch()
    return folder


def copy_of(folder, tmp_path_factory, name="course"):
    """A private copy of a shared course folder, to change at will."""
    return shutil.copytree(folder, tmp_path_factory.mktemp(name) / "course", symlinks=True)


def snapshot(folder):
    """Every file under `folder` with a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}

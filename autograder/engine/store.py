"""Results on disk: written atomically, keyed by a fingerprint of everything that decides them.

OUT/.results/<student>/<assignment>/<notebook>.json holds one notebook's result (and .ipynb the
executed notebook); a stored result counts only while its fingerprint matches, so an interrupted
run loses nothing and a changed submission, release or grader is graded again.
"""
import hashlib
import json
import os
import tempfile
from pathlib import Path


def atomic_write(path, data):
    """Write bytes or text to `path` so that readers see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fingerprint(unit, course):
    """What decides `unit`'s result: the course's grading spec, the unit's note, the file."""
    digest = hashlib.sha256(course.fingerprint(unit.assignment, unit.notebook).encode())
    digest.update(unit.note.encode())
    if unit.path:
        digest.update(Path(unit.path).read_bytes())
    return digest.hexdigest()


def result_path(out, unit):
    """Where `unit`'s result JSON lives under OUT (the executed notebook: .ipynb beside it)."""
    return Path(out) / ".results" / unit.student / unit.assignment / f"{unit.notebook}.json"


def stored_result(out, unit, course):
    """The stored result of `unit` if it is complete and of the same inputs, else None."""
    path = result_path(out, unit)
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return result if result.get("fingerprint") == fingerprint(unit, course) else None

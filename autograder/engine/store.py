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


def fingerprint(unit, course, content):
    """What decides `unit`'s result: the course's grading spec, the unit's note, and `content`,
    the submitted file's bytes as read once (or why it was refused)."""
    digest = hashlib.sha256(course.fingerprint(unit.assignment, unit.notebook).encode())
    digest.update(unit.note.encode())
    digest.update(content)
    return digest.hexdigest()


def result_path(out, unit):
    """Where `unit`'s result JSON lives under OUT (the executed notebook: .ipynb beside it)."""
    return Path(out) / ".results" / unit.student / unit.assignment / f"{unit.notebook}.json"


def stored_result(out, unit, course, content):
    """The stored result of `unit` if it is complete and of the same inputs, else None."""
    path = result_path(out, unit)
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    complete = (isinstance(result, dict) and isinstance(result.get("verdicts"), list)
                and isinstance(result.get("flags"), list) and isinstance(result.get("unit"), dict))
    return result if complete and result.get("fingerprint") == fingerprint(
        unit, course, content) else None

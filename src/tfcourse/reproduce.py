"""What a committed result was made with, and how a fresh run of its script is compared with it.

A long training run is bit-for-bit reproducible only on one numpy, one BLAS and one set of CPU
kernels: another build rounds a sum differently in the last bit, and training amplifies that
(measured for data/pretrained: Adam losses agree to 2e-16 for 50 steps, 4e-11 at step 100, 0.04
at step 200). So each script that commits a trained artifact records its environment beside it
(`<artifact>.versions.json`), and its `--check` compares a fresh run with the artifact

- bit for bit (to 1e-12) when it runs where the artifact was made (same environment());
- elsewhere on what survives the change: the first training steps and summary statistics
  within stated bands; the message then says which versions differed.

Two runs on one machine must be identical whatever the environment: fingerprint() tells.
problems() is that comparison for a dict of arrays.
"""
import ctypes
import hashlib
import json
import math
import platform
from pathlib import Path

import numpy as np

from tfcourse.blas import openblas_symbol
from tfcourse.pretrained import same_arrays


def _openblas_runtime():
    """'OpenBLAS 0.3.31.188.0 SkylakeX': the loaded library's version and the CPU kernels it
    picked at start-up (which decide its rounding), or None where that cannot be asked."""
    config, core = openblas_symbol("get_config"), openblas_symbol("get_corename")
    if config is None or core is None:
        return None
    config.restype = core.restype = ctypes.c_char_p
    return f"{' '.join(config().decode().split()[:2])} {core().decode()}"


def _numpy_simd():
    """The widest SIMD extension numpy dispatches to on this CPU (its exp, tanh... differ)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return "unknown"
    found = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    return found[-1] if found else "baseline"


def environment():
    """The versions a numeric result depends on: Python, numpy, numpy's SIMD level, the BLAS
    (version and kernels) and the machine, as a dict of strings."""
    blas = _openblas_runtime()
    if blas is None:
        build = getattr(np, "__config__", None)
        info = getattr(build, "CONFIG", {}).get("Build Dependencies", {}).get("blas", {})
        blas = f"{info.get('name', 'unknown')} {info.get('version', '')}".strip()
    return {"python": platform.python_version(), "numpy": np.__version__,
            "numpy SIMD": _numpy_simd(), "BLAS": blas, "machine": platform.machine()}


def versions_path(artifact):
    """Where the environment that made `artifact` is recorded: <name>.versions.json beside a
    file <name>.<ext>, versions.json inside a folder of files made together."""
    artifact = Path(artifact)
    if not artifact.suffix:
        return artifact / "versions.json"
    return artifact.with_name(artifact.name.rsplit(".", 1)[0] + ".versions.json")


# Data files name the command that made them, and a student reads them in their data/ folder.
FOR_INSTRUCTORS = "in the course repository, for instructors"
STUDENT_PACKAGE = "tfcourse."


def made_by(command):
    """The provenance a data file records for `command`, as a student reads it: a command of
    the installed tfcourse package, which a student has too, as it is; any other marked as
    the course repository's ('in the course repository, for instructors: ' before it)."""
    words = command.split()
    if words[1:2] == ["-m"] and words[2].startswith(STUDENT_PACKAGE):
        return command
    return f"{FOR_INSTRUCTORS}: {command}"


def record(artifact, command):
    """Write the environment() that made `artifact` beside it, with made_by(`command`)."""
    text = json.dumps({"made by": made_by(command), **environment()}, indent=1, sort_keys=True)
    versions_path(artifact).write_text(text + "\n")


def recorded(artifact):
    """The environment recorded beside `artifact` (without 'made by'); {} if none was."""
    path = versions_path(artifact)
    if not path.is_file():
        return {}
    stored = json.loads(path.read_text())
    return {key: value for key, value in stored.items() if key != "made by"}


def differences(was, now=None):
    """A sentence naming what differs between the recorded environment `was` and `now`
    (default: this one), e.g. 'numpy 2.4.6 then, 2.5.5 here; BLAS ...'; '' if nothing does."""
    now = environment() if now is None else now
    if not was:
        return "no environment was recorded beside the artifact"
    return "; ".join(f"{key} {was.get(key, '?')} then, {now[key]} here"
                     for key in now if was.get(key) != now[key])


def fingerprint(arrays):
    """A sha256 of a dict of arrays (keys, dtypes, shapes, bytes): equal only if bit-identical."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def outside_bands(stored, fresh, bands):
    """The lines 'name: stored S, fresh F, differ by D > band B' for each statistic of
    `bands` (name -> largest allowed absolute difference) that `fresh` moved too far."""
    return [f"{name}: stored {stored[name]:.4g}, fresh {fresh[name]:.4g}, differ by "
            f"{abs(stored[name] - fresh[name]):.3g} > band {band}"
            for name, band in bands.items() if not abs(stored[name] - fresh[name]) <= band]


def json_differences(stored, fresh, tol=1e-12, where=""):
    """Where two JSON values differ, as 'path: stored vs fresh' lines: floats by more than
    `tol` times max(1, |stored|), anything else at all (structure, ints, strings)."""
    if isinstance(stored, float) or isinstance(fresh, float):
        numbers = isinstance(stored, (int, float)) and isinstance(fresh, (int, float))
        if numbers and (stored == fresh or stored != stored and fresh != fresh  # inf, nan
                        or math.isfinite(stored) and abs(stored - fresh) <= tol * max(1.0, abs(stored))):
            return []
        return [f"{where or 'value'}: {stored!r} vs {fresh!r}"]
    if isinstance(stored, dict) and isinstance(fresh, dict) and stored.keys() == fresh.keys():
        return [line for key in stored
                for line in json_differences(stored[key], fresh[key], tol, f"{where}.{key}")]
    if isinstance(stored, list) and isinstance(fresh, list) and len(stored) == len(fresh):
        return [line for i, (a, b) in enumerate(zip(stored, fresh))
                for line in json_differences(a, b, tol, f"{where}[{i}]")]
    return [] if stored == fresh else [f"{where or 'value'}: {str(stored)[:80]} vs {str(fresh)[:80]}"]


def problems(stored, fresh, recorded_env, trained, losses, summary, bands, exact_steps=50,
             loss_atol=1e-9):
    """Why the committed arrays `stored`, made in `recorded_env`, are not what a fresh run made
    here (`fresh`): [] if they are. In the recorded environment every number to 1e-12.
    Elsewhere, keys not in `trained` (settings, data) exactly, the first `exact_steps` entries
    along the last axis of the `losses` array to `loss_atol`, and the statistics `summary(arrays)`
    returns within `bands` (see outside_bands)."""
    if sorted(stored) != sorted(fresh):
        return [f"fields differ: {', '.join(sorted(set(stored) ^ set(fresh)))}"]
    if recorded_env and not differences(recorded_env):
        return [] if same_arrays(stored, fresh) else [
            "a fresh run differs by more than 1e-12 in the environment the file was made in: "
            "the script, its data or the code it runs changed"]
    out = [f"{key} differs" for key in sorted(fresh)
           if key not in trained and not np.array_equal(stored[key], fresh[key])]
    first = (..., slice(0, exact_steps))
    gap = np.max(np.abs(stored[losses][first] - fresh[losses][first]))
    if not gap <= loss_atol:
        out.append(f"the first {exact_steps} training losses differ by {gap:.3g} > {loss_atol}")
    return out + outside_bands(summary(stored), summary(fresh), bands)


def check_file(path, fresh, problems_of):
    """A script's --check of one artifact: print the fresh run's fingerprint, compare the file
    at `path` with the fresh arrays by problems_of(stored, fresh, recorded environment), print
    'reproduced' or 'DIFFERS' with the reasons and the versions that differ; True if reproduced."""
    print(f"fresh run: fingerprint {fingerprint(fresh)}")
    with np.load(path) as stored:
        found = problems_of(dict(stored), fresh, recorded(path))
    made = differences(recorded(path)) or "the one recorded"
    if found:
        print(f"{path}: DIFFERS from a fresh run.\n  " + "\n  ".join(found) + f"\n  environment: {made}")
    else:
        print(f"{path}: reproduced (environment: {made})")
    return not found

"""The scripts that make committed artifacts, as modules, and their --check run twice at once."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script(script):
    """scripts/<script> imported as a module (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(Path(script).stem, ROOT / "scripts" / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_twice(script, *args):
    """Start `python scripts/<script> --check *args` twice in fresh processes (one BLAS thread,
    as the script sets it; two cores), assert both exit 0 and print the same fingerprints;
    return the first one's stdout."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    runs = [subprocess.Popen([sys.executable, str(ROOT / "scripts" / script), "--check", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             cwd=ROOT) for _ in range(2)]
    outs = [(*run.communicate(), run.returncode) for run in runs]
    for stdout, stderr, code in outs:
        assert code == 0, stdout[-2000:] + stderr[-2000:]
    fingerprints = [re.findall(r"fingerprint (\w+)", stdout) for stdout, _, _ in outs]
    assert fingerprints[0] and fingerprints[0] == fingerprints[1], "two runs here differ"
    return outs[0][0]

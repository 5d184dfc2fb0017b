"""Run a notebook top to bottom with nbclient, in its own folder, as Jupyter would."""
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path, timeout=120, allow_errors=False):
    """Execute the notebook at `path`; return (notebook with outputs, seconds taken)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def stderr_outputs(nb):
    """(cell index, text) of every stream output a notebook wrote to stderr."""
    return [(i, out.get("text", "")) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("name") == "stderr"]


def error_outputs(nb):
    """(cell index, ename, evalue) of every error a notebook raised."""
    return [(i, out["ename"], out["evalue"]) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" for out in cell.get("outputs", [])
            if out.get("output_type") == "error"]

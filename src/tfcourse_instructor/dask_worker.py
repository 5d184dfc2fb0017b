"""Dask preload for a worker that grades the course's notebooks (`grade --scheduler`).

    dask worker tcp://HOST:8786 --nthreads 1 --preload tfcourse_instructor.dask_worker

The grader lives in the course repository, for instructors (autograder/): in the clone this
package is installed from in editable mode (`pip install -e CLONE[cluster]`), never installed
itself; this puts the clone on the worker's path. The worker checks itself when its first
task arrives and refuses to grade, naming the reason, without bubblewrap or with another course
or environment than the client's (autograder/engine/cluster.py); at start it says at once what
it can already tell.
"""
import logging
import sys
from pathlib import Path

CLONE = Path(__file__).resolve().parents[2]


def dask_setup(worker):
    """Called by `dask worker --preload` before the worker starts."""
    if not (CLONE / "autograder" / "engine" / "cluster.py").is_file():
        raise RuntimeError(f"{Path(__file__).parent} is not installed from a clone of the course "
                           f"(pip install -e CLONE[cluster]): this worker cannot grade")
    if str(CLONE) not in sys.path:
        sys.path.insert(0, str(CLONE))
    from autograder.engine import cluster
    why = cluster.refusal(cluster.environment(), False, worker.state.nthreads)
    if why:
        logging.getLogger("distributed.worker").warning(
            "this worker will refuse to grade: %s", why)

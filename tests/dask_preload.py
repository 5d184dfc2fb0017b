"""A Dask worker preload of tests/test_cluster.py (`dask worker --preload THIS_FILE`): grading
the student `worker_killer` ends the worker process, as a notebook that made its grading
process run out of memory would, and grading `worker_staller` never ends. A worker gives up on
a notebook after 3 x its --timeout (no grace). Every worker the nanny restarts loads it again."""
import os
import time


def dask_setup(worker):
    from autograder.engine import grade
    grade_unit = grade.grade_unit
    grade.WORKER_GRACE = 0

    def killing_grade_unit(unit, *args, **kwargs):
        if unit.student == "worker_killer":
            os._exit(9)
        while unit.student == "worker_staller":
            time.sleep(1)
        return grade_unit(unit, *args, **kwargs)

    grade.grade_unit = killing_grade_unit

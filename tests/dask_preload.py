"""A Dask worker preload of tests/test_cluster.py (`dask worker --preload THIS_FILE`): grading
the student `worker_killer` ends the worker process, as a notebook that made its grading
process run out of memory would. Every worker the nanny restarts loads it again."""
import os


def dask_setup(worker):
    from autograder.engine import grade
    grade_unit = grade.grade_unit

    def killing_grade_unit(unit, *args, **kwargs):
        if unit.student == "worker_killer":
            os._exit(9)
        return grade_unit(unit, *args, **kwargs)

    grade.grade_unit = killing_grade_unit

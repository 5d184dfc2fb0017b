"""A step of the grader's own work runs under a time and a memory limit and never hangs it."""
import time

from autograder.engine.bounded import bounded


def _echo(text):
    return text * 2


def _forever():
    while True:
        pass


def _hog():
    hog = bytearray(4 << 30)
    return str(len(hog))


def _fail():
    raise RuntimeError("a bug in the step")


def test_the_result_comes_back():
    assert bounded(_echo, "ab\u00e9") == "ab\u00e9ab\u00e9"


def test_a_step_that_never_ends_is_killed_at_its_time_limit():
    start = time.monotonic()
    assert bounded(_forever, seconds=0.5) is None
    assert time.monotonic() - start < 5


def test_a_step_over_its_memory_limit_fails_without_harming_the_caller():
    assert bounded(_hog, memory=256 << 20) is None
    assert bounded(_echo, "still here") == "still herestill here"


def test_a_failing_step_gives_none():
    assert bounded(_fail) is None

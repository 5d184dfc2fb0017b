"""The three decay schedules of scheduled sampling (Bengio et al., 2015): values, shape, ranges."""
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions import exponential_schedule, inverse_sigmoid_schedule, linear_schedule

PROPERTY = settings(deadline=None, max_examples=60)
ITERATION = st.floats(0, 1e6)


@pytest.mark.parametrize("args,want", [
    ((0, 1.0, 0.1, 0.05), 1.0),
    ((5, 1.0, 0.1, 0.05), 0.5),
    ((9, 1.0, 0.1, 0.05), 0.1),
    ((10, 1.0, 0.1, 0.05), 0.05),    # k - c*i = 0 is below eps_min
    ((10**6, 1.0, 0.1, 0.05), 0.05),
    ((3, 0.8, 0.0, 0.2), 0.8),       # c = 0: constant
    ((2.5, 0.9, 0.2, 0.0), 0.4),     # i need not be an integer
])
def test_linear_schedule_values(args, want):
    assert linear_schedule(*args) == pytest.approx(want, abs=1e-15)


@pytest.mark.parametrize("args,want", [
    ((0, 0.9), 1.0), ((1, 0.9), 0.9), ((2, 0.9), 0.81), ((10, 0.5), 2.0**-10),
    ((0.5, 0.25), 0.5),
])
def test_exponential_schedule_values(args, want):
    assert exponential_schedule(*args) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("args,want", [
    ((0, 1.0), 0.5),                          # k / (k + e^0)
    ((0, 10.0), 10 / 11),
    ((10 * math.log(10), 10.0), 0.5),         # e^(i/k) = k
    ((100, 10.0), 10 / (10 + math.exp(10))),
    ((1000, 100.0), 100 / (100 + math.exp(10))),
    ((50, 1.0), 1 / (1 + math.exp(50))),
])
def test_inverse_sigmoid_schedule_values(args, want):
    assert inverse_sigmoid_schedule(*args) == pytest.approx(want, rel=1e-12)


SCHEDULES = {
    "linear": (lambda i, a: linear_schedule(i, *a),
               st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)).map(
                   lambda t: (t[0], t[1], t[2] * t[0]))),  # k, c, eps_min <= k
    "exponential": (exponential_schedule, st.floats(1e-6, 1 - 1e-6)),
    "inverse_sigmoid": (inverse_sigmoid_schedule, st.floats(1, 1e4)),
}


def call(name, i, args):
    function, _ = SCHEDULES[name]
    return function(i, args)


@pytest.mark.parametrize("name", SCHEDULES)
@PROPERTY
@given(data=st.data(), i=ITERATION, j=ITERATION)
def test_schedules_never_increase_with_i_and_stay_probabilities(name, data, i, j):
    args = data.draw(SCHEDULES[name][1])
    lo, hi = sorted((i, j))
    early, late = call(name, lo, args), call(name, hi, args)
    assert 0.0 <= late <= early <= 1.0
    assert isinstance(early, float)


@PROPERTY
@given(i=ITERATION, k=st.floats(0, 1), c=st.floats(0, 1), share=st.floats(0, 1))
def test_linear_schedule_stays_between_eps_min_and_k(i, k, c, share):
    eps_min = share * k
    assert eps_min <= linear_schedule(i, k, c, eps_min) <= k


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("i", [1e6, 1e300, 1.7e308, 10**300])
@pytest.mark.parametrize("k", [1.0, 3.0, 1e300])
def test_inverse_sigmoid_does_not_overflow_or_warn_for_huge_i(i, k):
    value = inverse_sigmoid_schedule(i, k)
    assert 0.0 <= value <= 1.0 and math.isfinite(value)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("i", [1e300, 1.7e308])
def test_other_schedules_do_not_overflow_or_warn_for_huge_i(i):
    assert exponential_schedule(i, 0.999) == 0.0
    assert linear_schedule(i, 1.0, 1e10, 0.05) == 0.05


RANGE_ERRORS = [
    # (call, argument named, what the message must say was given)
    (lambda: linear_schedule(-1, 1.0, 0.1, 0.0), "i", "-1"),
    (lambda: linear_schedule(0, -0.1, 0.1, 0.0), "k", "-0.1"),
    (lambda: linear_schedule(0, 1.5, 0.1, 0.0), "k", "1.5"),
    (lambda: linear_schedule(0, 1.0, -0.1, 0.0), "c", "-0.1"),
    (lambda: linear_schedule(0, 1.0, 0.1, -0.1), "eps_min", "-0.1"),
    (lambda: linear_schedule(0, 0.5, 0.1, 0.6), "eps_min", "0.6"),  # above k
    (lambda: exponential_schedule(-0.5, 0.9), "i", "-0.5"),
    (lambda: exponential_schedule(1, 0.0), "k", "0.0"),
    (lambda: exponential_schedule(1, 1.0), "k", "1.0"),
    (lambda: exponential_schedule(1, -0.5), "k", "-0.5"),
    (lambda: exponential_schedule(1, 2.0), "k", "2.0"),
    (lambda: inverse_sigmoid_schedule(-3, 5.0), "i", "-3"),
    (lambda: inverse_sigmoid_schedule(3, 0.5), "k", "0.5"),
    (lambda: inverse_sigmoid_schedule(3, 0), "k", "0"),
    (lambda: inverse_sigmoid_schedule(3, -2.0), "k", "-2.0"),
]


@pytest.mark.parametrize("bad,name,given", RANGE_ERRORS)
def test_every_argument_outside_its_range_is_a_named_value_error(bad, name, given):
    with pytest.raises(ValueError) as error:
        bad()
    message = str(error.value)
    assert message.startswith(f"{name}: expected a number in ")
    assert re.search(r"[\[(].*, .*[\])]", message)  # the interval it had to be in
    assert message.endswith(f"got {'int' if '.' not in given else 'float'} {given}")


VALID_ARGS = {linear_schedule: (1, 0.5, 0.1, 0.0), exponential_schedule: (1, 0.5),
              inverse_sigmoid_schedule: (1, 2.0)}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "1", None, True,
                                 [1.0], 10**400])
@pytest.mark.parametrize("schedule,position,name", [
    (linear_schedule, 0, "i"), (linear_schedule, 1, "k"), (linear_schedule, 2, "c"),
    (linear_schedule, 3, "eps_min"), (exponential_schedule, 0, "i"),
    (exponential_schedule, 1, "k"), (inverse_sigmoid_schedule, 0, "i"),
    (inverse_sigmoid_schedule, 1, "k")])
def test_every_argument_that_is_not_a_finite_number_is_a_named_value_error(
        bad, schedule, position, name):
    args = list(VALID_ARGS[schedule])
    args[position] = bad
    with pytest.raises(ValueError, match=rf"^{name}: expected a finite real number, got "
                                         rf"{type(bad).__name__} "):
        schedule(*args)

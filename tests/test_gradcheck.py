"""tfcourse.gradcheck: finite differences are accurate, leave x as it was, and catch a wrong gradient."""
import numpy as np
import pytest

from tfcourse.gradcheck import check_gradient, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function_is_accurate_and_restores_x():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    before = x.copy()
    grad = numerical_gradient(lambda: np.sum(np.sin(x) * x), x)
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_relative_error_is_zero_for_equal_arrays_and_scale_free():
    a = np.array([1.0, -2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, a * (1 + 1e-9)) == pytest.approx(relative_error(1e6 * a, 1e6 * a * (1 + 1e-9)))
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_check_gradient_passes_a_right_gradient_and_names_a_wrong_one():
    x = np.array([1.0, 2.0, 3.0])
    assert check_gradient("x", 2 * x, lambda: np.sum(x ** 2), x) <= 1e-9
    with pytest.raises(AssertionError, match=r"x: relative error .* > 1e-07; worst at index \(2,\)"):
        check_gradient("x", 2 * x + np.array([0, 0, 1e-3]), lambda: np.sum(x ** 2), x)
    with pytest.raises(AssertionError, match=r"x: gradient has shape \(2,\), expected \(3,\)"):
        check_gradient("x", np.zeros(2), lambda: np.sum(x ** 2), x)


def test_x_must_be_a_float64_array_it_can_perturb():
    with pytest.raises(ValueError, match="x: expected a float64 numpy array"):
        numerical_gradient(lambda: 0.0, np.arange(3))
    with pytest.raises(ValueError, match="x: expected a float64 numpy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])

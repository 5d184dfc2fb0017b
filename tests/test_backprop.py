"""solutions/backprop.py: every step backward equals finite differences and PyTorch's autograd."""
import numpy as np
import pytest

from solutions.backprop import (GRUCache, LSTMCache, RNNCache, gru_step_backward,
                                gru_step_forward, lstm_step_backward, lstm_step_forward,
                                rnn_step_backward, rnn_step_forward)
from solutions.cells import gru_step, lstm_step, rnn_step
from tests.torch_reference import WHY
from tfcourse.gradcheck import check_gradient
from tfcourse.params import random_cell_params

CELLS = ("rnn", "lstm", "gru")
FORWARD = {"rnn": rnn_step_forward, "lstm": lstm_step_forward, "gru": gru_step_forward}
BACKWARD = {"rnn": rnn_step_backward, "lstm": lstm_step_backward, "gru": gru_step_backward}
PLAIN = {"rnn": rnn_step, "lstm": lstm_step, "gru": gru_step}
TOL = 1e-7


def _case(cell_type, lead, seed=0, D=3, H=4):
    rng = np.random.default_rng(seed)
    params = random_cell_params(cell_type, D, H, rng)
    states = [rng.normal(size=lead + (H,)) for _ in range(2 if cell_type == "lstm" else 1)]
    douts = [rng.normal(size=lead + (H,)) for _ in states]
    return rng.normal(size=lead + (D,)), states, params, douts


def _loss(cell_type, x, states, params, douts):
    """A scalar whose gradient with respect to the step's outputs is douts."""
    outs = FORWARD[cell_type](x, *states, params)[:-1]
    return sum(np.sum(out * d) for out, d in zip(outs, douts))


@pytest.mark.parametrize("lead", [(), (2,)], ids=["one", "batch"])
@pytest.mark.parametrize("cell_type", CELLS)
def test_step_backward_matches_centred_differences(cell_type, lead):
    x, states, params, douts = _case(cell_type, lead)
    cache = FORWARD[cell_type](x, *states, params)[-1]
    grads = BACKWARD[cell_type](*douts, cache)
    *dinputs, dparams = grads
    loss = lambda: _loss(cell_type, x, states, params, douts)  # noqa: E731
    for name, value, analytic in zip(["x", "h_prev", "c_prev"], [x, *states], dinputs):
        assert check_gradient(name, analytic, loss, value) <= TOL
    assert sorted(dparams) == sorted(params)
    for key in params:
        assert check_gradient(key, dparams[key], loss, params[key]) <= TOL


@pytest.mark.parametrize("cell_type", CELLS)
def test_backward_returns_gradients_in_the_forwards_argument_order_and_shapes(cell_type):
    x, states, params, douts = _case(cell_type, (5,), D=2, H=3)
    cache = FORWARD[cell_type](x, *states, params)[-1]
    *dinputs, dparams = BACKWARD[cell_type](*douts, cache)
    assert [d.shape for d in dinputs] == [x.shape] + [s.shape for s in states]
    assert {k: v.shape for k, v in dparams.items()} == {k: v.shape for k, v in params.items()}


@pytest.mark.parametrize("lead", [(), (3,)], ids=["one", "batch"])
@pytest.mark.parametrize("cell_type", CELLS)
def test_forward_with_cache_returns_exactly_what_the_plain_step_returns(cell_type, lead):
    x, states, params, _ = _case(cell_type, lead, seed=1)
    plain = PLAIN[cell_type](x, *states, params)
    cached = FORWARD[cell_type](x, *states, params)[:-1]
    for a, b in zip(plain if cell_type == "lstm" else (plain,), cached):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell_type", CELLS)
def test_forward_and_backward_never_modify_their_inputs(cell_type):
    x, states, params, douts = _case(cell_type, (2,), seed=2)
    before = [a.copy() for a in [x, *states, *douts, *params.values()]]
    cache = FORWARD[cell_type](x, *states, params)[-1]
    BACKWARD[cell_type](*douts, cache)
    for a, b in zip(before, [x, *states, *douts, *params.values()]):
        np.testing.assert_array_equal(a, b)


def test_caches_are_the_documented_named_tuples():
    x, states, params, _ = _case("gru", ())
    assert isinstance(gru_step_forward(x, *states, params)[-1], GRUCache)
    assert GRUCache._fields == ("x", "h_prev", "r", "z", "n", "h_n", "params")
    assert LSTMCache._fields == ("x", "h_prev", "c_prev", "i", "f", "g", "o", "c_next", "params")
    assert RNNCache._fields == ("x", "h_prev", "h_next", "params")


def test_a_gradient_of_the_wrong_shape_is_a_named_value_error():
    x, states, params, _ = _case("gru", (2,))
    _, cache = gru_step_forward(x, *states, params)
    with pytest.raises(ValueError, match=r"dh_next: expected shape \(B=2, H=4\), got \(2, 5\)"):
        gru_step_backward(np.zeros((2, 5)), cache)


def test_a_cache_of_another_cell_is_a_named_value_error():
    x, states, params, _ = _case("rnn", ())
    _, cache = rnn_step_forward(x, *states, params)
    with pytest.raises(ValueError, match="cache: expected the GRUCache .* got RNNCache"):
        gru_step_backward(np.zeros(4), cache)


@pytest.mark.parametrize("cell_type", CELLS)
def test_step_backward_equals_pytorch_autograd(cell_type):
    """The independent check: PyTorch's cells, with the contract's weight mapping, backpropagated."""
    torch = pytest.importorskip("torch", reason=WHY)
    x, states, params, douts = _case(cell_type, (3,), seed=5, D=4, H=5)
    module = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[cell_type]
    cell = module(4, 5, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(params["W_x"].T))
        cell.weight_hh.copy_(torch.from_numpy(params["W_h"].T))
        if cell_type == "gru":
            cell.bias_ih.copy_(torch.from_numpy(params["b_x"]))
            cell.bias_hh.copy_(torch.from_numpy(params["b_h"]))
        else:  # b = bias_ih + bias_hh: put it all in bias_ih
            cell.bias_ih.copy_(torch.from_numpy(params["b"]))
            cell.bias_hh.zero_()
    tx = torch.tensor(x, requires_grad=True)
    tstates = [torch.tensor(s, requires_grad=True) for s in states]
    outs = cell(tx, tuple(tstates)) if cell_type == "lstm" else (cell(tx, tstates[0]),)
    sum((o * torch.from_numpy(d)).sum() for o, d in zip(outs, douts)).backward()

    cache = FORWARD[cell_type](x, *states, params)[-1]
    *dinputs, dparams = BACKWARD[cell_type](*douts, cache)
    for ours, theirs in zip(dinputs, [tx, *tstates]):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dparams["W_x"], cell.weight_ih.grad.numpy().T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dparams["W_h"], cell.weight_hh.grad.numpy().T, rtol=1e-10, atol=1e-12)
    bias = {"b_x": cell.bias_ih, "b_h": cell.bias_hh} if cell_type == "gru" else {"b": cell.bias_ih}
    for key, tensor in bias.items():
        np.testing.assert_allclose(dparams[key], tensor.grad.numpy(), rtol=1e-10, atol=1e-12)

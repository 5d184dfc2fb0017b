"""solutions/seq2seq.py: cached passes equal the contract's decoders; BPTT equals finite
differences and PyTorch's autograd; the encoder ignores padding."""
import numpy as np
import pytest

from solutions import decoder_forward_free_running, decoder_forward_teacher_forcing
from solutions.seq2seq import (DecoderCache, decoder_backward_teacher_forcing,
                               decoder_forward_sampling_cache, decoder_forward_teacher_forcing_cache,
                               encoder_backward, encoder_forward_cache, greedy_decode)
from tests.torch_reference import WHY
from tfcourse.gradcheck import check_gradient
from tfcourse.params import random_cell_params, random_decoder_params

CELLS = ("rnn", "lstm", "gru")
TOL = 1e-7


def _decoder_case(cell_type, lead, T=4, D=3, H=4, V=5, seed=0):
    rng = np.random.default_rng(seed)
    params = random_decoder_params(cell_type, D, H, V, rng)
    return (rng.normal(size=lead + (H,)), rng.normal(size=lead + (T, D)), params,
            rng.normal(size=lead + (T, V)))


@pytest.mark.parametrize("cell_type", CELLS)
def test_cached_teacher_forcing_equals_the_contract_decoder_row_by_row(cell_type):
    h0, target_seq, params, _ = _decoder_case(cell_type, (3,))
    logits, cache = decoder_forward_teacher_forcing_cache(h0, target_seq, params, cell_type)
    assert isinstance(cache, DecoderCache) and len(cache.steps) == 4
    for b in range(3):
        np.testing.assert_allclose(logits[b], decoder_forward_teacher_forcing(
            h0[b], target_seq[b], params, cell_type), rtol=1e-12, atol=1e-12)
    single, _ = decoder_forward_teacher_forcing_cache(h0[0], target_seq[0], params, cell_type)
    np.testing.assert_allclose(single, decoder_forward_teacher_forcing(h0[0], target_seq[0], params,
                                                                       cell_type),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lead", [(), (2,)], ids=["one", "batch"])
@pytest.mark.parametrize("cell_type", CELLS)
def test_bptt_matches_centred_differences_for_every_argument(cell_type, lead):
    h0, target_seq, params, dlogits = _decoder_case(cell_type, lead)
    _, cache = decoder_forward_teacher_forcing_cache(h0, target_seq, params, cell_type)
    dh0, dtarget, dparams = decoder_backward_teacher_forcing(dlogits, cache)

    def loss():
        return np.sum(decoder_forward_teacher_forcing_cache(h0, target_seq, params, cell_type)[0]
                      * dlogits)
    assert check_gradient("context_vector", dh0, loss, h0) <= TOL
    assert check_gradient("target_seq", dtarget, loss, target_seq) <= TOL
    assert sorted(dparams) == sorted(params)
    for key in params:
        assert check_gradient(key, dparams[key], loss, params[key]) <= TOL


def test_the_last_target_row_and_the_embedding_get_no_gradient_under_teacher_forcing():
    h0, target_seq, params, dlogits = _decoder_case("gru", ())
    _, cache = decoder_forward_teacher_forcing_cache(h0, target_seq, params, "gru")
    _, dtarget, dparams = decoder_backward_teacher_forcing(dlogits, cache)
    assert np.all(dtarget[-1] == 0) and np.all(dparams["embedding"] == 0)


@pytest.mark.parametrize("cell_type", CELLS)
def test_bptt_equals_pytorch_autograd_through_the_unrolled_cells(cell_type):
    torch = pytest.importorskip("torch", reason=WHY)
    h0, target_seq, params, dlogits = _decoder_case(cell_type, (2,), T=5, seed=3)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    th0, ttarget = torch.tensor(h0, requires_grad=True), torch.tensor(target_seq, requires_grad=True)
    H = h0.shape[-1]
    h, c = th0, torch.zeros_like(th0)
    inputs = [t["start"].expand(2, -1)] + [ttarget[:, i] for i in range(4)]
    logits = []
    for x in inputs:   # the contract's equations, written again in torch
        if cell_type == "gru":
            xw, hw = x @ t["W_x"] + t["b_x"], h @ t["W_h"] + t["b_h"]
            r = torch.sigmoid(xw[:, :H] + hw[:, :H])
            z = torch.sigmoid(xw[:, H:2 * H] + hw[:, H:2 * H])
            n = torch.tanh(xw[:, 2 * H:] + r * hw[:, 2 * H:])
            h = (1 - z) * n + z * h
        elif cell_type == "lstm":
            a = x @ t["W_x"] + h @ t["W_h"] + t["b"]
            i, f, g, o = a.split(H, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            h = torch.tanh(x @ t["W_x"] + h @ t["W_h"] + t["b"])
        logits.append(h @ t["W_y"] + t["b_y"])
    (torch.stack(logits, 1) * torch.from_numpy(dlogits)).sum().backward()

    _, cache = decoder_forward_teacher_forcing_cache(h0, target_seq, params, cell_type)
    dh0, dtarget, dparams = decoder_backward_teacher_forcing(dlogits, cache)
    np.testing.assert_allclose(dh0, th0.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dtarget, ttarget.grad.numpy(), rtol=1e-10, atol=1e-12)
    for key in params:
        theirs = t[key].grad.numpy() if t[key].grad is not None else np.zeros_like(params[key])
        np.testing.assert_allclose(dparams[key], theirs, rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("cell_type", CELLS)
def test_sampling_forward_is_teacher_forcing_at_0_and_free_running_at_1(cell_type):
    h0, _, params, _ = _decoder_case(cell_type, (3,), T=6)
    ids = np.random.default_rng(1).integers(0, 5, size=(3, 6))
    logits0, _, fed0 = decoder_forward_sampling_cache(h0, ids, params, 0.0, cell_type, rng=0)
    expected, _ = decoder_forward_teacher_forcing_cache(h0, params["embedding"][ids], params,
                                                        cell_type)
    np.testing.assert_allclose(logits0, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(fed0, ids[:, :-1])
    logits1, _, fed1 = decoder_forward_sampling_cache(h0, ids, params, 1.0, cell_type, rng=0)
    for b in range(3):
        np.testing.assert_allclose(logits1[b], decoder_forward_free_running(h0[b], params, 6,
                                                                            cell_type),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(fed1, np.argmax(logits1, axis=-1)[:, :-1])


def test_each_sequence_draws_its_own_coin_per_step_before_the_loop():
    h0, _, params, _ = _decoder_case("gru", (4,), T=7)
    ids = np.random.default_rng(2).integers(0, 5, size=(4, 7))
    logits, _, fed = decoder_forward_sampling_cache(h0, ids, params, 0.5, "gru", rng=11)
    coins = np.random.default_rng(11).random((4, 6)) < 0.5
    assert 0 < coins.sum() < coins.size  # the case mixes both kinds of input
    np.testing.assert_array_equal(fed, np.where(coins, np.argmax(logits, -1)[:, :-1], ids[:, :-1]))


def test_greedy_decode_is_batched_free_running():
    h0, _, params, _ = _decoder_case("lstm", (3,))
    ids, logits = greedy_decode(h0, params, 5, "lstm")
    for b in range(3):
        np.testing.assert_allclose(logits[b], decoder_forward_free_running(h0[b], params, 5, "lstm"),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ids, np.argmax(logits, axis=-1))


def _encoder_case(cell_type, seed=0):
    rng = np.random.default_rng(seed)
    params = random_cell_params(cell_type, 3, 4, rng)
    params["embedding"] = rng.normal(size=(6, 3))
    ids = rng.integers(1, 6, size=(3, 5))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    return ids * mask, mask, params, rng.normal(size=(3, 4))


@pytest.mark.parametrize("cell_type", CELLS)
def test_the_encoder_context_ignores_padding(cell_type):
    ids, mask, params, _ = _encoder_case(cell_type)
    context, _ = encoder_forward_cache(ids, mask, params, cell_type)
    for b in range(3):
        n = int(mask[b].sum())
        alone, _ = encoder_forward_cache(ids[b:b + 1, :n], mask[b:b + 1, :n], params, cell_type)
        np.testing.assert_allclose(context[b], alone[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell_type", CELLS)
def test_encoder_bptt_matches_centred_differences(cell_type):
    ids, mask, params, dcontext = _encoder_case(cell_type)
    _, cache = encoder_forward_cache(ids, mask, params, cell_type)
    dparams = encoder_backward(dcontext, cache)

    def loss():
        return np.sum(encoder_forward_cache(ids, mask, params, cell_type)[0] * dcontext)
    for key in params:
        assert check_gradient(key, dparams[key], loss, params[key]) <= TOL
    assert np.all(dparams["embedding"][0] == 0)  # PAD appears only at padded steps


def test_a_foreign_cache_or_misshaped_gradient_is_a_named_value_error():
    h0, target_seq, params, dlogits = _decoder_case("gru", (2,))
    _, cache = decoder_forward_teacher_forcing_cache(h0, target_seq, params, "gru")
    with pytest.raises(ValueError, match="cache: expected the DecoderCache"):
        decoder_backward_teacher_forcing(dlogits, cache._asdict())
    with pytest.raises(ValueError, match=r"dlogits: expected shape \(B=2, T=4, V=5\), got \(2, 4, 6\)"):
        decoder_backward_teacher_forcing(np.zeros((2, 4, 6)), cache)


def test_out_of_range_token_ids_are_a_named_value_error():
    h0, _, params, _ = _decoder_case("rnn", (2,))
    with pytest.raises(ValueError, match=r"target_ids: expected an int array .* ids in \[0, 5\)"):
        decoder_forward_sampling_cache(h0, np.full((2, 3), 5), params, 0.5, "rnn", rng=0)

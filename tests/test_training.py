"""solutions/training.py: the loss, the whole model's gradient end to end, Adam, the metrics and
the training loop."""
import numpy as np
import pytest

from solutions.training import (Adam, accuracy, init_model, loss_and_grads, masked_cross_entropy,
                                train)
from tests.torch_reference import WHY
from tfcourse.datasets import EOS, PAD, SOS, Batch
from tfcourse.gradcheck import check_gradient

CELLS = ("rnn", "lstm", "gru")


def _batch(seed=0, B=3, S=5, T=4, V=7):
    rng = np.random.default_rng(seed)
    source_mask = np.arange(S)[None, :] < rng.integers(2, S + 1, size=(B, 1))
    target_mask = np.arange(T)[None, :] < np.array([[T], [2], [3]])[:B]
    source = np.where(source_mask, rng.integers(3, V, size=(B, S)), PAD)
    target = np.where(target_mask, rng.integers(3, V, size=(B, T)), PAD)
    target[np.arange(B), target_mask.sum(1) - 1] = EOS
    return Batch(source, source_mask, target, target_mask)


def test_masked_cross_entropy_equals_torch_with_padding_ignored():
    torch = pytest.importorskip("torch", reason=WHY)
    batch = _batch()
    logits = np.random.default_rng(1).normal(size=batch.target.shape + (7,)) * 3
    loss, dlogits = masked_cross_entropy(logits, batch.target, batch.target_mask)
    t = torch.tensor(logits, requires_grad=True)
    ignore = np.where(batch.target_mask, batch.target, -100)
    expected = torch.nn.functional.cross_entropy(t.reshape(-1, 7), torch.from_numpy(ignore).reshape(-1))
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(dlogits, t.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert np.all(dlogits[~batch.target_mask] == 0)


def test_masked_cross_entropy_is_finite_for_huge_logits():
    batch = _batch()
    logits = np.zeros(batch.target.shape + (7,))
    logits[..., 0] = 1e4
    loss, dlogits = masked_cross_entropy(logits, batch.target, batch.target_mask)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    assert loss == pytest.approx(1e4, rel=1e-9)


@pytest.mark.parametrize("sampling_prob", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("cell_type", CELLS)
def test_the_whole_models_gradient_matches_centred_differences(cell_type, sampling_prob):
    """End to end: encoder, decoder (any mix of fed tokens), loss; fed tokens held fixed."""
    batch = _batch(seed=2)
    model = init_model(cell_type, V=7, D=3, H=4, rng=5)
    loss, grads = loss_and_grads(model, batch, cell_type, sampling_prob, rng=9)

    def f():
        return loss_and_grads(model, batch, cell_type, sampling_prob, rng=9)[0]
    for part in model:
        for key in model[part]:
            assert check_gradient(f"{part}.{key}", grads[part][key], f, model[part][key]) <= 1e-7


def test_the_start_input_is_the_sos_embedding_and_trains_with_it():
    batch = _batch()
    model = init_model("gru", V=7, D=3, H=4, rng=0)
    assert "start" not in model["decoder"]
    _, grads = loss_and_grads(model, batch, "gru")
    assert np.any(grads["decoder"]["embedding"][SOS] != 0)   # SOS is fed (as start) at step 0


def test_adam_takes_the_same_steps_as_torch():
    torch = pytest.importorskip("torch", reason=WHY)
    rng = np.random.default_rng(0)
    model = {"p": {"w": rng.normal(size=(3, 2))}}
    tw = torch.tensor(model["p"]["w"].copy(), requires_grad=True)
    ours, theirs = Adam(model, lr=0.1, clip=None), torch.optim.Adam([tw], lr=0.1)
    for _ in range(5):
        g = rng.normal(size=(3, 2))
        ours.step(model, {"p": {"w": g}})
        tw.grad = torch.from_numpy(g.copy())
        theirs.step()
    np.testing.assert_allclose(model["p"]["w"], tw.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_adam_clips_the_global_gradient_norm():
    model = {"p": {"w": np.zeros(2)}}
    opt = Adam(model, lr=1.0, clip=1.0)
    opt.step(model, {"p": {"w": np.array([30.0, 40.0])}})
    np.testing.assert_allclose(opt.m["p"]["w"], 0.1 * np.array([0.6, 0.8]))


def test_accuracy_counts_real_tokens_and_ignores_what_follows_eos():
    target = np.array([[5, 6, EOS], [5, EOS, PAD]])
    mask = target != PAD
    pred = np.array([[5, 6, EOS], [4, EOS, 6]])
    exact, token, by_position = accuracy(pred, target, mask)
    assert exact == 0.5 and token == pytest.approx(4 / 5)
    np.testing.assert_allclose(by_position, [0.5, 1.0, 1.0])


def test_training_is_reproducible_and_lowers_the_loss():
    batch = _batch(seed=4, B=3)
    data = Batch(*(np.concatenate([a] * 8) for a in batch))
    logs = []
    for _ in range(2):
        model = init_model("gru", V=7, D=4, H=8, rng=0)
        logs.append(train(model, data, batch, "gru", 60, sampling_prob=lambda i: 0.3,
                          batch_size=6, lr=0.05, seed=1, eval_every=30, print_fn=None))
    np.testing.assert_array_equal(logs[0].loss, logs[1].loss)
    np.testing.assert_array_equal(logs[0].val_exact, logs[1].val_exact)
    assert logs[0].loss[-10:].mean() < 0.5 * logs[0].loss[:10].mean()
    assert list(logs[0].eval_steps) == [0, 30, 60] and np.all(logs[0].sampling_prob == 0.3)

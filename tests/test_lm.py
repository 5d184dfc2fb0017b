"""solutions.lm: causal_lm_loss is PyTorch's cross-entropy on the shifted pairs; generate with
its KV cache equals recomputing the prefix, greedy and sampled, and follows the rng rules."""
import numpy as np
import pytest

from solutions import causal_lm_loss, generate
from tests.torch_reference import needs_torch, torch
from solutions.tiny_gpt import gpt_forward
from tfcourse.gpt import random_gpt_params


def _torch_loss(logits, labels, ignore_index):
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(
        torch.as_tensor(logits[..., :-1, :]).reshape(-1, V),
        torch.as_tensor(labels[..., 1:]).reshape(-1), ignore_index=ignore_index).item()


@needs_torch
@pytest.mark.parametrize("shape, ignore_index, lengths", [
    ((6, 5), -100, None), ((3, 7, 4), -100, [7, 3, 1]), ((2, 5, 6), -1, [5, 2]),
    ((4, 9, 30), 0, [9, 9, 4, 6])])
def test_causal_lm_loss_equals_torch_cross_entropy_on_the_shifted_pairs(shape, ignore_index, lengths):
    rng = np.random.default_rng(len(shape) + shape[-1])
    logits = rng.normal(size=shape) * 3
    labels = rng.integers(1, shape[-1], size=shape[:-1])
    for row, n in zip(labels.reshape(-1, shape[-2]), lengths or [shape[-2]]):
        row[n:] = ignore_index
    before = logits.copy(), labels.copy()
    assert causal_lm_loss(logits, labels, ignore_index) == pytest.approx(
        _torch_loss(logits, labels, ignore_index), rel=1e-12)
    np.testing.assert_array_equal(before[0], logits)
    np.testing.assert_array_equal(before[1], labels)


def test_one_sequence_is_a_batch_of_one_and_huge_logits_stay_finite():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(5, 4)) * 1e4, rng.integers(0, 4, size=5)
    assert causal_lm_loss(logits, labels) == causal_lm_loss(logits[None], labels[None])
    assert np.isfinite(causal_lm_loss(logits, labels))


@pytest.mark.parametrize("labels, words", [
    (np.array([3, -100, -100]), "labels: no label after the first position"),
    (np.array([0, 1]), r"labels: expected integer ids of shape \(3,\)"),
    (np.array([0, 1, 7]), r"labels: expected ids in \[0, V=4\) or ignore_index=-100, got 7")])
def test_bad_labels_are_named(labels, words):
    with pytest.raises(ValueError, match=words):
        causal_lm_loss(np.zeros((3, 4)), labels)


def _generate_without_cache(params, prompt, n, temperature, rng):
    """An independent loop: run the model on the whole sequence for every new token."""
    rng = np.random.default_rng(rng)
    seq = list(prompt)
    for _ in range(n):
        row = gpt_forward(np.array(seq), params)[-1]
        if temperature == 0:
            seq.append(int(np.argmax(row)))
        else:
            p = np.exp(row / temperature - (row / temperature).max())
            seq.append(int(rng.choice(len(p), p=p / p.sum())))
    return np.array(seq[len(prompt):])


@pytest.mark.parametrize("temperature", [0.0, 0.7, 1.0, 3.0])
def test_generate_with_its_cache_equals_recomputing_the_prefix(temperature):
    params = random_gpt_params(11, D=12, n_head=3, n_layer=2, P=20, rng=4)
    prompt = np.array([1, 5, 2])
    got = generate(params, prompt, 12, temperature, rng=7)
    assert got.dtype == np.int64 and got.shape == (12,)
    np.testing.assert_array_equal(got, _generate_without_cache(params, prompt, 12, temperature, 7))


def test_a_batch_draws_one_number_per_sequence_per_token_and_greedy_draws_none():
    params = random_gpt_params(7, rng=5)
    prompts = np.array([[1, 2], [3, 4], [5, 6]])
    rng = np.random.default_rng(0)
    generate(params, prompts, 4, 1.0, rng)
    probe = np.random.default_rng(0)
    probe.random(12)
    assert rng.bit_generator.state == probe.bit_generator.state
    rng = np.random.default_rng(0)
    greedy = generate(params, prompts, 4, 0.0, rng)
    assert rng.bit_generator.state == np.random.default_rng(0).bit_generator.state
    np.testing.assert_array_equal(greedy, np.stack([generate(params, p, 4) for p in prompts]))


@pytest.mark.parametrize("kwargs, words", [
    ({"max_new_tokens": 0}, "max_new_tokens"), ({"temperature": -1.0}, "temperature"),
    ({"prompt_ids": np.array([0.5])}, "prompt_ids: expected integer ids")])
def test_bad_generate_arguments_are_named(kwargs, words):
    args = dict(params=random_gpt_params(5, rng=0), prompt_ids=np.array([1]), max_new_tokens=2)
    with pytest.raises(ValueError, match=words):
        generate(**{**args, **kwargs})

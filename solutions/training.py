"""Reference training of a small seq2seq model in numpy: loss, gradients, Adam, the loop.

B is the batch size, S the source length, T the target length, V the vocabulary size,
H the hidden size, D the embedding size. A model is a dict {"encoder": ..., "decoder": ...}:
the encoder's cell parameters plus its own `embedding` (V, D), and the decoder's parameters
under the decoder contract's keys. Batches are tfcourse.datasets.Batch tuples (padded ids
and masks); the target ends in EOS and carries no SOS (the decoder starts from `start`).
"""
import time
from typing import NamedTuple

import numpy as np

from solutions.seq2seq import (decoder_backward_teacher_forcing, decoder_forward_sampling_cache,
                               decoder_forward_teacher_forcing_cache, encoder_backward,
                               encoder_forward_cache, greedy_decode)
from tfcourse.datasets import SOS
from tfcourse.training import Adam, accuracy  # noqa: F401 (re-exported)
from tfcourse.params import random_cell_params, random_decoder_params
from tfcourse.validate import as_float_array, make_rng


def masked_cross_entropy(logits, target_ids, mask):
    """Mean cross-entropy over the real (unmasked) tokens, and its gradient.

    logits (B, T, V); target_ids (B, T) int; mask (B, T) bool, True at real tokens. Returns
    (loss, dlogits): loss a float, the mean of -log softmax(logits)[target] over the real
    tokens; dlogits (B, T, V), zero at padded positions. The log-sum-exp subtracts each row's
    largest logit first, so that no exp overflows.
    """
    logits = as_float_array("logits", logits, (("B", None), ("T", None), ("V", None)))
    target_ids, mask = np.asarray(target_ids), np.asarray(mask, dtype=bool)
    if target_ids.shape != logits.shape[:2] or mask.shape != logits.shape[:2]:
        raise ValueError(f"target_ids, mask: expected shape {logits.shape[:2]} (the logits' B, T), "
                         f"got {target_ids.shape} and {mask.shape}")
    n_real = max(int(np.count_nonzero(mask)), 1)
    # Shift by each row's max, then normalise: the same arithmetic, to the last bit, as the
    # run logged in data/experiments was trained with (its reproduction test holds at 1e-12).
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    chosen = np.take_along_axis(log_p, target_ids[..., None], axis=-1)[..., 0]
    loss = -np.sum(np.where(mask, chosen, 0.0)) / n_real
    dlogits = np.exp(log_p)
    rows, steps = np.indices(target_ids.shape)
    dlogits[rows, steps, target_ids] -= 1.0
    return float(loss), dlogits * (mask[..., None] / n_real)


def init_model(cell_type, V, D, H, rng=None):
    """Random parameters of an encoder-decoder (PyTorch's default uniform init, N(0,1) embeddings).

    The decoder's start input is the embedding of SOS, so the model stores no `start` key:
    decoder_params(model) adds it.
    """
    rng = make_rng(rng)
    encoder = random_cell_params(cell_type, D, H, rng)
    encoder["embedding"] = rng.normal(size=(V, D))
    decoder = random_decoder_params(cell_type, D, H, V, rng)
    del decoder["start"]
    return {"encoder": encoder, "decoder": decoder}


def decoder_params(model):
    """The model's decoder parameters under the contract's keys: start = embedding[SOS]."""
    return dict(model["decoder"], start=model["decoder"]["embedding"][SOS])


def loss_and_grads(model, batch, cell_type, sampling_prob=0.0, rng=None,
                   decoder_backward=decoder_backward_teacher_forcing):
    """Forward and backward pass of the whole model on one batch.

    sampling_prob: the probability of feeding the model's own token at each decoder step
    t >= 1 (0: teacher forcing, 1: free running during training). decoder_backward is the
    BPTT function to use (the reference by default; a student's has the same signature).
    Returns (loss, grads), grads shaped like the model.
    """
    context, enc_cache = encoder_forward_cache(batch.source, batch.source_mask, model["encoder"],
                                               cell_type)
    dec = decoder_params(model)
    if sampling_prob == 0.0:   # every input is known: the hoisted teacher-forced pass
        fed_ids = batch.target[:, :-1]
        logits, cache = decoder_forward_teacher_forcing_cache(context, dec["embedding"][batch.target],
                                                              dec, cell_type)
    else:
        logits, cache, fed_ids = decoder_forward_sampling_cache(context, batch.target, dec,
                                                                sampling_prob, cell_type, rng)
    loss, dlogits = masked_cross_entropy(logits, batch.target, batch.target_mask)
    dcontext, dfed, ddec = decoder_backward(dlogits, cache)
    # The fed tokens' rows of the table get the inputs' gradients (the choice is a constant).
    ddec = dict(ddec)
    ddec["embedding"] = ddec["embedding"].copy()
    np.add.at(ddec["embedding"], fed_ids, dfed[:, :-1])
    ddec["embedding"][SOS] += ddec.pop("start")
    return loss, {"encoder": encoder_backward(dcontext, enc_cache), "decoder": ddec}


def predict(model, batch, cell_type, seq_len=None):
    """Greedy free-running predictions (B, seq_len) for a batch (seq_len: the target's T)."""
    context, _ = encoder_forward_cache(batch.source, batch.source_mask, model["encoder"], cell_type)
    ids, _ = greedy_decode(context, decoder_params(model), seq_len or batch.target.shape[1], cell_type)
    return ids


def teacher_forced_accuracy(model, batch, cell_type):
    """Per-position accuracy of the teacher-forced argmax (the model fed the true prefix)."""
    context, _ = encoder_forward_cache(batch.source, batch.source_mask, model["encoder"], cell_type)
    dec = decoder_params(model)
    logits, _ = decoder_forward_teacher_forcing_cache(context, dec["embedding"][batch.target],
                                                      dec, cell_type)
    return accuracy(np.argmax(logits, axis=-1), batch.target, batch.target_mask)


class Log(NamedTuple):
    """What train() records: steps (n,), loss (n,) the training loss at those steps,
    eval_steps (m,), val_exact (m,) free-running exact match, sampling_prob (n,)."""
    steps: np.ndarray
    loss: np.ndarray
    eval_steps: np.ndarray
    val_exact: np.ndarray
    sampling_prob: np.ndarray


def batches(train, batch_size, rng):
    """Yield shuffled Batch slices of a Batch forever, one epoch after another."""
    n = len(train.source)
    while True:
        order = rng.permutation(n)
        for i in range(0, n - batch_size + 1, batch_size):
            idx = order[i:i + batch_size]
            yield trim_batch(type(train)(*(a[idx] for a in train)))


def trim_batch(batch):
    """Drop the columns that are padding in every row (the loop then runs fewer steps)."""
    S = int(batch.source_mask.any(axis=0).sum())
    T = int(batch.target_mask.any(axis=0).sum())
    return type(batch)(batch.source[:, :S], batch.source_mask[:, :S],
                       batch.target[:, :T], batch.target_mask[:, :T])


def train(model, train_batch, val_batch, cell_type, n_steps, sampling_prob=0.0, batch_size=32,
          lr=1e-2, seed=0, eval_every=50, log_every=None, print_fn=print,
          decoder_backward=decoder_backward_teacher_forcing):
    """Train `model` in place for n_steps Adam steps; return a Log.

    sampling_prob: a number, or a function of the step i returning one (a schedule's
    1 - eps_i). Validation exact match (free running) is measured every eval_every steps.
    log_every: print a one-line progress report that often (None: at each evaluation).
    """
    # Batches and coins come from separate generators, so that every regime sees the same
    # batches in the same order whatever its sampling_prob (teacher forcing draws no coins).
    coin_rng = np.random.default_rng([seed, 1])
    optimizer = Adam(model, lr=lr)
    stream = batches(train_batch, batch_size, np.random.default_rng(seed))
    steps, losses, probs, eval_steps, val_exact = [], [], [], [], []
    log_every = log_every or eval_every
    started = time.perf_counter()
    for i in range(n_steps + 1):
        if i % eval_every == 0 or i == n_steps:
            exact, _, _ = accuracy(predict(model, val_batch, cell_type), val_batch.target,
                                   val_batch.target_mask)
            eval_steps.append(i)
            val_exact.append(exact)
        if i == n_steps:
            break
        p = sampling_prob(i) if callable(sampling_prob) else sampling_prob
        loss, grads = loss_and_grads(model, next(stream), cell_type, p, coin_rng, decoder_backward)
        optimizer.step(model, grads)
        steps.append(i)
        losses.append(loss)
        probs.append(p)
        if print_fn is not None and (i + 1) % log_every == 0:
            print_fn(f"step {i + 1:5d}/{n_steps}  loss {np.mean(losses[-log_every:]):.3f}  "
                     f"sampling_prob {p:.2f}  val exact {val_exact[-1]:.3f}  "
                     f"{time.perf_counter() - started:5.1f}s")
    return Log(*(np.asarray(a) for a in (steps, losses, eval_steps, val_exact, probs)))


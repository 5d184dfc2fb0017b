"""Training helpers for 05_training_with_teacher_forcing: Adam, accuracy, and a loop that fits
a decoder with the forward, backward and loss functions you pass in.

B is the batch size, T the number of steps, V the vocabulary size, H the hidden size, D the
embedding size. Student-safe: no graded function is computed here; `fit_decoder` calls the
forward, backward and loss functions it is given (yours, in the notebook): the masked
cross-entropy is an exercise of the notebook that trains, not a helper.
"""
import time

import numpy as np

from tfcourse.validate import as_float_array, check_real


class Adam:
    """Adam (Kingma and Ba, 2015) over a dict (or dict of dicts) of arrays, updated in place.

    lr the step size; beta1, beta2 the moment decays; eps keeps the division finite;
    clip: the gradients' global norm is scaled down to at most this (None: no clipping).
    """

    def __init__(self, model, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, clip=5.0):
        self.lr = check_real("lr", lr, 0.0, low_open=True)
        self.beta1 = check_real("beta1", beta1, 0.0, 1.0, high_open=True)
        self.beta2 = check_real("beta2", beta2, 0.0, 1.0, high_open=True)
        self.eps, self.clip, self.t = eps, clip, 0
        self.m = _map(np.zeros_like, model)
        self.v = _map(np.zeros_like, model)

    def step(self, model, grads):
        """Move every parameter of `model` one Adam step along `grads` (same nesting)."""
        self.t += 1
        scale = 1.0
        if self.clip is not None:
            norm = np.sqrt(sum(np.sum(g * g) for _, g in _leaves(grads)))
            scale = min(1.0, self.clip / max(norm, 1e-12))
        for path, param in _leaves(model):
            g = _get(grads, path) * scale
            m, v = _get(self.m, path), _get(self.v, path)
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _map(fn, tree):
    """The same nesting of dicts, with fn applied to every array."""
    return {k: _map(fn, v) if isinstance(v, dict) else fn(v) for k, v in tree.items()}


def _leaves(tree, path=()):
    """(path, array) for every array of a nesting of dicts, in order."""
    out = []
    for key, value in tree.items():
        out += _leaves(value, path + (key,)) if isinstance(value, dict) else [(path + (key,), value)]
    return out


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def accuracy(pred_ids, target_ids, mask):
    """Exact-match and per-token accuracy of predictions against padded targets.

    pred_ids, target_ids (B, T) int; mask (B, T) bool. A sequence matches when every real
    target token (EOS included) is predicted; what follows EOS is ignored. Returns
    (exact_match, token_accuracy, by_position): by_position (T,) is the accuracy at each
    position over the sequences that reach it (NaN where none does).
    """
    correct = (pred_ids == target_ids) & mask
    exact = float(np.mean(np.all(correct | ~mask, axis=1)))
    token = float(correct.sum() / max(mask.sum(), 1))
    reach = mask.sum(axis=0)
    # np.maximum keeps the division defined; positions no target reaches become NaN.
    by_position = np.where(reach > 0, correct.sum(axis=0) / np.maximum(reach, 1), np.nan)
    return exact, token, by_position


def fit_decoder(forward, backward, loss, decoder_params, contexts, target_ids, n_steps=300,
                batch_size=32, lr=0.01, seed=0, log_every=50, print_fn=print):
    """Train a decoder with teacher forcing on fixed context vectors, using the given functions.

    forward: decoder_forward_teacher_forcing_cache(context_vector, target_seq, decoder_params,
    cell_type) -> (logits, cache), called on batches with cell_type 'gru'; backward:
    decoder_backward_teacher_forcing(dlogits, cache) -> (dcontext_vector, dtarget_seq, dparams);
    loss: masked_cross_entropy(logits, target_ids, mask) -> (loss, dlogits), mask True at the
    real tokens.
    decoder_params: the contract's dict, updated in place by Adam; contexts (N, H);
    target_ids (N, T) int, PAD (0) after EOS, which the loss ignores. Each target row is fed
    through `embedding`, so the rows of the fed tokens collect dtarget_seq. Prints a compact
    log every log_every steps; returns the training losses (n_steps,).
    """
    contexts = as_float_array("contexts", contexts, (("N", None), ("H", None)))
    target_ids = np.asarray(target_ids)
    if target_ids.ndim != 2 or len(target_ids) != len(contexts) \
            or not np.issubdtype(target_ids.dtype, np.integer):
        raise ValueError(f"target_ids: expected an int array (N={len(contexts)}, T), got "
                         f"{target_ids.dtype} array of shape {target_ids.shape}")
    for name, func in (("forward", forward), ("backward", backward), ("loss", loss)):
        if not callable(func):
            raise ValueError(f"{name}: expected a function, got {type(func).__name__}")
    rng = np.random.default_rng(seed)
    optimizer = Adam(decoder_params, lr=lr)
    losses, started = [], time.perf_counter()
    for step in range(n_steps):
        rows = rng.choice(len(contexts), size=min(batch_size, len(contexts)), replace=False)
        ids = target_ids[rows]
        logits, cache = forward(contexts[rows], decoder_params["embedding"][ids], decoder_params, "gru")
        value, dlogits = loss(logits, ids, ids != 0)
        _, dtarget_seq, dparams = backward(dlogits, cache)
        grads = {key: np.array(value, dtype=np.float64) for key, value in dparams.items()}
        # Row t of target_seq was embedding[ids[:, t]]: its gradient goes to that row of the table.
        np.add.at(grads["embedding"], ids, dtarget_seq)
        optimizer.step(decoder_params, grads)
        losses.append(float(value))
        if print_fn is not None and ((step + 1) % log_every == 0 or step + 1 == n_steps):
            print_fn(f"step {step + 1:4d}/{n_steps}  loss {np.mean(losses[-log_every:]):.3f}  "
                     f"({time.perf_counter() - started:.1f}s)")
    return np.array(losses)

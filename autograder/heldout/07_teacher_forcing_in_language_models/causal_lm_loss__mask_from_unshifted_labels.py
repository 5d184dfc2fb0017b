# Mistake: builds the ignore mask from the unshifted labels (labels[..., :-1], the inputs) instead of the labels that are scored (labels[..., 1:]).
import numpy as np

def causal_lm_loss(logits, labels, ignore_index=-100):
    z = np.asarray(logits, dtype=float)[..., :-1, :]
    labels = np.asarray(labels)
    y = labels[..., 1:]
    m = z.max(axis=-1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    mask = labels[..., :-1] != ignore_index
    safe = np.clip(np.where(y == ignore_index, 0, y), 0, z.shape[-1] - 1)
    nll = -np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    return float(nll[mask].sum() / mask.sum())

# Mistake: averages each sequence's mean loss over the batch (mean of per-sequence means) instead of the mean over all counted pairs of the batch.
import numpy as np

def causal_lm_loss(logits, labels, ignore_index=-100):
    z = np.asarray(logits, dtype=float)[..., :-1, :]
    y = np.asarray(labels)[..., 1:]
    m = z.max(axis=-1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    mask = y != ignore_index
    nll = -np.take_along_axis(logp, np.where(mask, y, 0)[..., None], axis=-1)[..., 0]
    nll = np.where(mask, nll, 0.0)
    if nll.ndim == 1:
        return float(nll.sum() / mask.sum())
    per_seq = nll.sum(-1) / mask.sum(-1)
    return float(per_seq.mean())

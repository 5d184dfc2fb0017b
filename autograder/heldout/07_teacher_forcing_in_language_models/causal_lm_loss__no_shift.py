# Mistake: forgets the shift: pairs logits[..., t, :] with labels[..., t] (each row scores its own input token).
import numpy as np

def causal_lm_loss(logits, labels, ignore_index=-100):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(labels)
    m = z.max(axis=-1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    mask = y != ignore_index
    nll = -np.take_along_axis(logp, np.where(mask, y, 0)[..., None], axis=-1)[..., 0]
    return float(nll[mask].sum() / mask.sum())

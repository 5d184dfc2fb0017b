# Mistake: the loss is masked, but the gradient is not: padded positions get p - onehot / N too.
import numpy as np

def masked_cross_entropy(logits, target_ids, mask):
    m = logits.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))
    logp = logits - lse
    N = mask.sum()
    nll = -np.take_along_axis(logp, target_ids[..., None], axis=-1)[..., 0]
    loss = float((nll * mask).sum() / N)
    p = np.exp(logp)
    onehot = np.zeros_like(p)
    np.put_along_axis(onehot, target_ids[..., None], 1.0, axis=-1)
    dlogits = (p - onehot) / N
    return loss, dlogits

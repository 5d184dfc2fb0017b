# Mistake: off by one in the output layer: dW_y uses the state BEFORE each step (h_t, the cached h_prev) instead of h_{t+1}.
import numpy as np

def decoder_backward_teacher_forcing(dlogits, cache):
    inputs, steps, hidden, params, cell_type = cache
    T = len(steps)
    H = hidden.shape[-1]
    V = dlogits.shape[-1]
    dparams = {k: np.zeros_like(v) for k, v in params.items()}
    hprev = np.stack([s.h_prev for s in steps], axis=-2)
    dparams["W_y"] = hprev.reshape(-1, H).T @ dlogits.reshape(-1, V)
    dparams["b_y"] = dlogits.reshape(-1, V).sum(0)
    dh_hidden = dlogits @ params["W_y"].T
    dinputs = np.zeros_like(inputs)
    dh_carry = np.zeros_like(hidden[..., 0, :])
    for t in reversed(range(T)):
        dh = dh_hidden[..., t, :] + dh_carry
        dx, dh_carry, dp = gru_step_backward(dh, steps[t])
        for k in dp:
            dparams[k] += dp[k]
        dinputs[..., t, :] = dx
    dtarget = np.zeros_like(inputs)
    dtarget[..., :-1, :] = dinputs[..., 1:, :]
    dstart = dinputs[..., 0, :]
    dparams["start"] = dstart.reshape(-1, dstart.shape[-1]).sum(0)
    return dh_carry, dtarget, dparams

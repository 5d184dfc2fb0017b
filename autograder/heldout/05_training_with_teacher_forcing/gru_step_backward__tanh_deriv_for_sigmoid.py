# Mistake: uses tanh's derivative for the sigmoid gates: dz_pre = dz*(1-z**2), dr_pre = dr*(1-r**2).
import numpy as np

def gru_step_backward(dh_next, cache):
    x, h_prev, r, z, n, h_n, params = cache
    dn = dh_next * (1 - z)
    dz = dh_next * (h_prev - n)
    dn_pre = dn * (1 - n ** 2)
    dz_pre = dz * (1 - z ** 2)
    dr = dn_pre * h_n
    dr_pre = dr * (1 - r ** 2)
    dxw = np.concatenate([dr_pre, dz_pre, dn_pre], axis=-1)
    dhw = np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=-1)
    dx = dxw @ params["W_x"].T
    dh_prev = dhw @ params["W_h"].T + dh_next * z
    D, H = x.shape[-1], h_prev.shape[-1]
    x2, h2 = x.reshape(-1, D), h_prev.reshape(-1, H)
    dxw2, dhw2 = dxw.reshape(-1, 3 * H), dhw.reshape(-1, 3 * H)
    dparams = {"W_x": x2.T @ dxw2, "W_h": h2.T @ dhw2,
               "b_x": dxw2.sum(0), "b_h": dhw2.sum(0)}
    return dx, dh_prev, dparams

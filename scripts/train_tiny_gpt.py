#!/usr/bin/env python3
"""Train notebook 07's tiny GPT with PyTorch, with teacher forcing, on data/charlm/train.txt.

    python scripts/train_tiny_gpt.py              # write data/pretrained/tiny_gpt.npz
    python scripts/train_tiny_gpt.py --steps 20 --out /tmp/x.npz   # a quick try

PyTorch is a test dependency only: students load the weights with tfcourse.gpt.load_gpt and
run them with the course's numpy forward (solutions/tiny_gpt.py, released with notebook 07).
`TinyGPT` below is the same model (pre-norm blocks, multi-head causal attention, GELU-tanh MLP, tied embeddings);
tests/test_gpt.py loads the saved weights into it and proves both give the same logits in
float64. Training is teacher forcing exactly as GPT-2's: the inputs are a window of text, the
labels the same window, and the loss scores position t's logits against token t + 1.

Seeded, one thread; about a minute on one core. The weights are stored as float32 (small);
both implementations compute in float64 from those values.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tfcourse.char_corpus import char_source, load_corpus  # noqa: E402
from tfcourse.reproduce import record  # noqa: E402

OUT = ROOT / "data" / "pretrained" / "tiny_gpt.npz"
SETTINGS = dict(D=48, n_head=4, n_layer=2, P=64, batch_size=32, steps=1500, lr=3e-3, seed=0)


class Block(nn.Module):
    def __init__(self, D, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln_1, self.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.attn_out = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc, self.proj = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(D, dim=-1)
        q, k, v = (t.view(B, T, self.n_head, D // self.n_head).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_out(out.transpose(1, 2).reshape(B, T, D))
        return x + self.proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


class TinyGPT(nn.Module):
    def __init__(self, V, D, n_head, n_layer, P):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(P, D)
        self.blocks = nn.ModuleList(Block(D, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(D)
        nn.init.normal_(self.wte.weight, std=0.1)
        nn.init.normal_(self.wpe.weight, std=0.02)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[-1]))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T   # tied embeddings: no separate output layer


def parameter_refs(model):
    """{(tfcourse.gpt name, stored transposed?): the torch Parameter}; Linear weights are
    (out, in), the course's row-vector matrices (in, out)."""
    refs = {("wte", False): model.wte.weight, ("wpe", False): model.wpe.weight,
            ("ln_f.g", False): model.ln_f.weight, ("ln_f.b", False): model.ln_f.bias}
    for i, b in enumerate(model.blocks):
        for name, tensor, transposed in [
                ("ln_1.g", b.ln_1.weight, False), ("ln_1.b", b.ln_1.bias, False),
                ("attn.W_qkv", b.qkv.weight, True), ("attn.b_qkv", b.qkv.bias, False),
                ("attn.W_o", b.attn_out.weight, True), ("attn.b_o", b.attn_out.bias, False),
                ("ln_2.g", b.ln_2.weight, False), ("ln_2.b", b.ln_2.bias, False),
                ("mlp.W_fc", b.fc.weight, True), ("mlp.b_fc", b.fc.bias, False),
                ("mlp.W_proj", b.proj.weight, True), ("mlp.b_proj", b.proj.bias, False)]:
            refs[(f"h{i}.{name}", transposed)] = tensor
    return refs


def to_numpy_params(model):
    """The model's weights under tfcourse.gpt's names, as numpy arrays."""
    return {name: (t.T if transposed else t).detach().cpu().numpy()
            for (name, transposed), t in parameter_refs(model).items()}


def from_numpy_params(params, dtype=torch.float64):
    """A TinyGPT holding `params` (tfcourse.gpt's layout), computing in `dtype`."""
    V, D = params["wte"].shape
    n_layer = sum(1 for k in params if k.endswith(".attn.W_qkv"))
    model = TinyGPT(V, D, int(params["n_head"]), n_layer, params["wpe"].shape[0]).to(dtype)
    with torch.no_grad():
        for (name, transposed), tensor in parameter_refs(model).items():
            value = torch.as_tensor(np.asarray(params[name], dtype=np.float64), dtype=dtype)
            tensor.copy_(value.T if transposed else value)
    return model.eval()


def batches(ids, P, batch_size, rng):
    """Random windows of P + 1 tokens: the model reads the first P... and is scored on them all."""
    starts = rng.integers(0, len(ids) - P, size=batch_size)
    return torch.as_tensor(np.stack([ids[s:s + P] for s in starts]))


def causal_lm_loss_torch(logits, labels):
    """Hugging Face's causal-LM loss: position t's logits score label t + 1."""
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))


def train(D, n_head, n_layer, P, batch_size, steps, lr, seed, print_fn=print):
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    source = char_source()
    train_ids = source.encode(load_corpus("train"))
    val_ids = source.encode(load_corpus("val"))
    model = TinyGPT(len(source), D, n_head, n_layer, P)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * s / steps)))
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for step in range(steps):
        ids = batches(train_ids, P, batch_size, rng)
        loss = causal_lm_loss_torch(model(ids), ids)   # labels = input_ids: the shift is in the loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == steps - 1:
            print_fn(f"step {step:5d}  train loss {loss.item():.4f}  ({time.perf_counter() - start:.0f} s)")
    model.eval()
    with torch.no_grad():
        windows = torch.as_tensor(val_ids[:len(val_ids) // P * P].reshape(-1, P))
        val_loss = causal_lm_loss_torch(model(windows), windows).item()
    print_fn(f"held-out loss {val_loss:.4f} nats/char; the source's own: "
             f"{source.nll(val_ids).mean():.4f}")
    return model, val_loss


def save(model, path, settings, val_loss):
    arrays = {f"param:{k}": v.astype(np.float32) for k, v in to_numpy_params(model).items()}
    np.savez_compressed(path, **arrays, chars=np.array(char_source().chars),
                        n_head=np.array(settings["n_head"]), val_loss=np.array(val_loss),
                        **{k: np.array(v) for k, v in settings.items() if k != "n_head"})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--steps", type=int, default=SETTINGS["steps"])
    args = parser.parse_args(argv)
    settings = dict(SETTINGS, steps=args.steps)
    model, val_loss = train(**settings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(model, args.out, settings, val_loss)
    record(args.out, f"python scripts/train_tiny_gpt.py (torch {torch.__version__})")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

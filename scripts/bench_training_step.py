#!/usr/bin/env python3
"""Print the time of one training step of the numpy seq2seq model vs the same model in PyTorch.

    .venv/bin/python scripts/bench_training_step.py [--task keysum] [--batch 32] [--H 64] [--repeats 30]

One step = encoder and teacher-forced decoder forward, masked cross-entropy, backward, Adam
update, on one batch of the task (by default the task and sizes of the exposure-bias experiment,
tfcourse.exposure_bias.SETTINGS, that notebooks 03 and 05 read). Timed:

    numpy            solutions.training.loss_and_grads + Adam.step (the course's model)
    torch nn.GRU     the same model written the way a PyTorch user would: nn.GRU over a packed
                     source, nn.GRU over the whole teacher-forced target, fused kernels
    torch GRUCell    the same model stepped in Python with nn.GRUCell, as numpy does

All three start from the same parameters; the script checks that their losses and
gradients agree (float64) before timing, so the figures compare the same computation.
Times are medians of --repeats steps, the variants taking turns; both libraries use one
thread (set before they load), so the ratio measures the code, not thread contention.
The goal: numpy / torch nn.GRU <= 1.5.
"""
import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from solutions.training import SOS, Adam, init_model, loss_and_grads, trim_batch  # noqa: E402
from tfcourse.exposure_bias import SETTINGS, load_data  # noqa: E402

torch.set_num_threads(1)


class TorchSeq2Seq(torch.nn.Module):
    """The course's GRU encoder-decoder in PyTorch, initialised from a numpy model."""

    def __init__(self, model):
        super().__init__()
        enc, dec = model["encoder"], model["decoder"]
        V, D = enc["embedding"].shape
        H = enc["W_h"].shape[0]
        t = lambda a: torch.nn.Parameter(torch.tensor(a.copy()))  # noqa: E731
        self.enc_embedding, self.dec_embedding = t(enc["embedding"]), t(dec["embedding"])
        self.encoder = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
        self.decoder = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
        for gru, p in ((self.encoder, enc), (self.decoder, dec)):
            gru.weight_ih_l0, gru.weight_hh_l0 = t(p["W_x"].T), t(p["W_h"].T)
            gru.bias_ih_l0, gru.bias_hh_l0 = t(p["b_x"]), t(p["b_h"])
        self.out = torch.nn.Linear(H, V, dtype=torch.float64)
        self.out.weight, self.out.bias = t(dec["W_y"].T), t(dec["b_y"])
        # GRUCell views sharing the GRUs' parameters, for the stepped variant.
        self.enc_cell, self.dec_cell = (_shared_cell(gru, D, H) for gru in (self.encoder, self.decoder))

    def loss(self, source, lengths, target, target_mask):
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            self.enc_embedding[source], lengths, batch_first=True, enforce_sorted=False)
        _, context = self.encoder(packed)
        start = self.dec_embedding[SOS].expand(len(target), 1, -1)
        inputs = torch.cat([start, self.dec_embedding[target[:, :-1]]], dim=1)
        hidden, _ = self.decoder(inputs, context)
        logits = self.out(hidden)
        ignore = torch.where(target_mask, target, torch.full_like(target, -100))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 ignore.reshape(-1))

    def loss_cells(self, source, source_mask, target, target_mask):
        """The same loss stepped with GRUCell in Python (masked encoder updates)."""
        enc_cell, dec_cell = self.enc_cell, self.dec_cell
        x = self.enc_embedding[source]
        h = torch.zeros(len(source), self.encoder.hidden_size, dtype=torch.float64)
        for s in range(source.shape[1]):
            h = torch.where(source_mask[:, s, None], enc_cell(x[:, s], h), h)
        inputs = torch.cat([self.dec_embedding[SOS].expand(len(target), 1, -1),
                            self.dec_embedding[target[:, :-1]]], dim=1)
        hidden = []
        for t in range(target.shape[1]):
            h = dec_cell(inputs[:, t], h)
            hidden.append(h)
        logits = self.out(torch.stack(hidden, 1))
        ignore = torch.where(target_mask, target, torch.full_like(target, -100))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 ignore.reshape(-1))


def _shared_cell(gru, D, H):
    """A GRUCell whose parameters are a one-layer nn.GRU's own (gradients land on the GRU)."""
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    cell.weight_ih, cell.weight_hh = gru.weight_ih_l0, gru.weight_hh_l0
    cell.bias_ih, cell.bias_hh = gru.bias_ih_l0, gru.bias_hh_l0
    return cell


def check_same(model, torch_model, batch, tensors):
    """Assert the three implementations agree on the loss and the gradients."""
    loss, grads = loss_and_grads(model, batch, "gru")
    for fn, args in ((torch_model.loss, tensors["packed"]), (torch_model.loss_cells, tensors["cells"])):
        torch_model.zero_grad()
        theirs = fn(*args)
        theirs.backward()
        assert abs(theirs.item() - loss) < 1e-10, (theirs.item(), loss)
        np.testing.assert_allclose(torch_model.decoder.weight_hh_l0.grad.numpy().T,
                                   grads["decoder"]["W_h"], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(torch_model.encoder.weight_ih_l0.grad.numpy().T,
                                   grads["encoder"]["W_x"], rtol=1e-8, atol=1e-12)
        dembedding = grads["decoder"]["embedding"]
        np.testing.assert_allclose(torch_model.dec_embedding.grad.numpy(), dembedding,
                                   rtol=1e-8, atol=1e-12)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default=SETTINGS["task"])
    parser.add_argument("--batch", type=int, default=SETTINGS["batch_size"])
    parser.add_argument("--H", type=int, default=SETTINGS["H"])
    parser.add_argument("--D", type=int, default=SETTINGS["D"])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)

    data, vocab = load_data(args.task)
    train = data["train"]
    batch = trim_batch(type(train)(*(a[:args.batch] for a in train)))
    model = init_model("gru", len(vocab), args.D, args.H, rng=0)
    torch_model = TorchSeq2Seq(model)
    source, target = torch.from_numpy(batch.source), torch.from_numpy(batch.target)
    tensors = {"packed": (source, torch.from_numpy(batch.source_mask.sum(1)), target,
                          torch.from_numpy(batch.target_mask)),
               "cells": (source, torch.from_numpy(batch.source_mask), target,
                         torch.from_numpy(batch.target_mask))}
    check_same(model, torch_model, batch, tensors)

    optimizer = Adam(model, lr=1e-3)
    torch_opt = torch.optim.Adam(torch_model.parameters(), lr=1e-3)

    def numpy_step():
        _, grads = loss_and_grads(model, batch, "gru")
        optimizer.step(model, grads)

    def torch_step(fn, args_):
        def step():
            torch_opt.zero_grad()
            fn(*args_).backward()
            torch_opt.step()
        return step

    variants = {"numpy": numpy_step,
                "torch nn.GRU": torch_step(torch_model.loss, tensors["packed"]),
                "torch GRUCell": torch_step(torch_model.loss_cells, tensors["cells"])}
    times = {name: [] for name in variants}
    for name, fn in variants.items():   # warm up
        fn()
    for _ in range(args.repeats):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    median = {name: float(np.median(t)) for name, t in times.items()}
    print(f"one training step (forward, backward, Adam), task {args.task}, GRU, B={batch.source.shape[0]}, "
          f"S={batch.source.shape[1]}, T={batch.target.shape[1]}, D={args.D}, H={args.H}, V={len(vocab)}, "
          f"float64, 1 thread, median of {args.repeats}:")
    for name, t in median.items():
        print(f"  {name:14s} {t * 1e3:8.2f} ms")
    print(f"  ratio numpy / torch nn.GRU:  {median['numpy'] / median['torch nn.GRU']:.2f}x  (goal <= 1.5x)")
    print(f"  ratio numpy / torch GRUCell: {median['numpy'] / median['torch GRUCell']:.2f}x")


if __name__ == "__main__":
    main()

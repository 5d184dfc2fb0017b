#!/usr/bin/env python3
"""Train the small encoder-decoders that notebooks load from data/pretrained/ (seeded, deterministic).

    python scripts/make_pretrained.py                     # every model in MODELS
    python scripts/make_pretrained.py --check             # retrain, compare with the files (exit 1 if not)

Each model is trained with teacher forcing only, briefly: long enough that its teacher-forced
accuracy is decent, short enough that its free-running accuracy still falls off along the
output (the exposure bias notebook 03 shows). Each writes data/pretrained/<task>_<cell>.npz:

    decoder parameters under the decoder contract's keys (W_x, W_h, b or b_x/b_h, W_y, b_y,
    embedding, start = embedding[SOS]); val_context (N, H), the encoder's context vector of
    each validation source; val_target_ids (N, T) int64, the validation targets (EOS, then
    PAD); task, cell_type and vocab (the token list) as 0-d/1-d string arrays; and the
    training settings. Load it with tfcourse.pretrained.load_pretrained(task, cell_type).

Deterministic: one seed, one BLAS thread (a multi-threaded BLAS may sum in another order).
tests/test_make_pretrained.py reruns the training and compares with the committed files.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: same sums every run
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `solutions` lives in the repo, not in the installed package

from solutions.seq2seq import encoder_forward_cache  # noqa: E402
from solutions.training import decoder_params, init_model, train  # noqa: E402
from tfcourse.datasets import batch_pairs, load_task, load_vocab  # noqa: E402
from tfcourse.pretrained import same_arrays  # noqa: E402

# (task, cell_type) -> training settings. Chosen so that the GRU reaches about 95% token
# accuracy under teacher forcing on the validation set in about ten seconds of training.
MODELS = {
    ("dates", "gru"): dict(D=16, H=64, n_steps=1000, lr=0.02, batch_size=32, seed=3),
}
OUT = ROOT / "data" / "pretrained"


def build(task, cell_type, D, H, n_steps, lr, batch_size, seed, data_root=None, print_fn=print):
    """Train one model; return the dict of arrays its .npz file holds."""
    vocab = load_vocab(task, data_root)
    train_batch = batch_pairs(load_task(task, "train", data_root), vocab)
    val_batch = batch_pairs(load_task(task, "val", data_root), vocab)
    model = init_model(cell_type, len(vocab), D, H, rng=seed)
    train(model, train_batch, val_batch, cell_type, n_steps, batch_size=batch_size, lr=lr,
          seed=seed, eval_every=max(n_steps // 5, 1), print_fn=print_fn)
    context, _ = encoder_forward_cache(val_batch.source, val_batch.source_mask, model["encoder"],
                                       cell_type)
    arrays = {key: np.array(value) for key, value in decoder_params(model).items()}
    arrays.update(val_context=context, val_target_ids=val_batch.target.astype(np.int64),
                  task=np.array(task), cell_type=np.array(cell_type),
                  vocab=np.array(vocab.tokens), D=np.array(D), H=np.array(H),
                  n_steps=np.array(n_steps), lr=np.array(lr), batch_size=np.array(batch_size),
                  seed=np.array(seed))
    return arrays


def path_of(task, cell_type, out=OUT):
    """Where the model of `task` and `cell_type` is stored."""
    return Path(out) / f"{task}_{cell_type}.npz"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default data/pretrained)")
    parser.add_argument("--check", action="store_true",
                        help="retrain and compare with the existing files instead of writing")
    args = parser.parse_args(argv)
    failed = []
    for (task, cell_type), settings in MODELS.items():
        print(f"== {task} {cell_type} {settings}", flush=True)
        arrays = build(task, cell_type, **settings)
        path = path_of(task, cell_type, args.out)
        if args.check:
            with np.load(path) as stored:
                same = same_arrays(dict(stored), arrays)
            print(f"{path}: {'reproduced' if same else 'DIFFERS'}")
            failed += [] if same else [path]
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(path, **arrays)
            print(f"wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

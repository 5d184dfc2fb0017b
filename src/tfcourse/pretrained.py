"""Load a small trained encoder-decoder from data/pretrained/.

The models are made in the course repository, for instructors, by scripts/make_pretrained.py.

    from tfcourse.pretrained import load_pretrained
    decoder_params, val_context, val_target_ids, vocab = load_pretrained("dates", "gru")

N is the number of validation pairs, T the target length (EOS included), H the hidden size,
V the vocabulary size, D the embedding size. The model was trained with teacher forcing
only; its encoder has already run: val_context[i] is the context vector (the decoder's h_0)
of the i-th validation source, so the decoders of the course can be run on it directly:

    target_seq = decoder_params["embedding"][val_target_ids[i]]      # (T, D)
    decoder_forward_teacher_forcing(val_context[i], target_seq, decoder_params, "gru")
"""
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tfcourse.datasets import Vocab
from tfcourse.paths import TASKS, data_dir
from tfcourse.validate import CELL_TYPES, _describe

DECODER_KEYS = {"rnn": ("W_x", "W_h", "b"), "lstm": ("W_x", "W_h", "b"),
                "gru": ("W_x", "W_h", "b_x", "b_h")}
OUTPUT_KEYS = ("W_y", "b_y", "embedding", "start")
REMAKE = ("get the course's data/ folder again (in the course repository, for instructors, "
          "`python scripts/make_pretrained.py` remakes it)")


class Pretrained(NamedTuple):
    """A trained model's decoder and validation data.

    decoder_params: dict under the decoder contract's keys (start = embedding[SOS]);
    val_context (N, H) float64; val_target_ids (N, T) int64, each row ending in EOS then
    PAD; vocab: the task's tfcourse.datasets.Vocab (vocab.decode(ids) gives the text).
    """
    decoder_params: dict
    val_context: np.ndarray
    val_target_ids: np.ndarray
    vocab: Vocab


def read_npz(path, remake):
    """Return the arrays of the .npz file at `path` (no pickles); a damaged file is a ValueError
    ending with `remake`, which says how to get it again."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile):
        raise ValueError(f"{path}: not a readable .npz file of arrays (damaged or replaced); "
                         f"{remake}") from None


def same_arrays(stored, fresh, atol=1e-12):
    """True if both hold the same keys, floats within atol (another CPU's BLAS kernels may
    round differently in the last bit), everything else equal."""
    if sorted(stored) != sorted(fresh):
        return False
    return all(np.allclose(stored[k], v, rtol=0, atol=atol) if v.dtype.kind == "f"
               else np.array_equal(stored[k], v) for k, v in fresh.items())


def available(root=None):
    """Return the (task, cell_type) pairs that have a file in data/pretrained/, sorted."""
    folder = Path(data_dir() if root is None else root) / "pretrained"
    pairs = (path.stem.rsplit("_", 1) for path in folder.glob("*_*.npz"))
    return sorted((task, cell) for task, cell in pairs if task in TASKS and cell in CELL_TYPES)


def load_pretrained(task="dates", cell_type="gru", root=None):
    """Return the Pretrained (decoder_params, val_context, val_target_ids, vocab) of a model.

    task: one of tfcourse.paths.TASKS; cell_type: 'rnn', 'lstm' or 'gru'; root: the data
    folder (None: tfcourse.paths.data_dir()). Raises ValueError for an unknown task or cell
    type, or a model that was not made, naming the ones that exist.
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(map(repr, TASKS))}, got {_describe(task)}")
    if not isinstance(cell_type, str) or cell_type not in CELL_TYPES:
        raise ValueError(f"cell_type: expected one of {', '.join(map(repr, CELL_TYPES))}, "
                         f"got {_describe(cell_type)}")
    root = Path(data_dir() if root is None else root)
    path = root / "pretrained" / f"{task}_{cell_type}.npz"
    if not path.is_file():
        have = ", ".join(f"({t!r}, {c!r})" for t, c in available(root)) or "none"
        raise ValueError(f"task, cell_type: no pretrained model {path.name} in {path.parent}; "
                         f"available: {have}; {REMAKE}")
    arrays = read_npz(path, REMAKE)
    keys = DECODER_KEYS[cell_type] + OUTPUT_KEYS + ("val_context", "val_target_ids", "vocab")
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}; {REMAKE}")
    params = {key: arrays[key].astype(np.float64) for key in DECODER_KEYS[cell_type] + OUTPUT_KEYS}
    vocab = Vocab([str(token) for token in arrays["vocab"]])
    return Pretrained(params, arrays["val_context"].astype(np.float64),
                      arrays["val_target_ids"].astype(np.int64), vocab)

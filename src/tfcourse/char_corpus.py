"""The toy corpus of 07_teacher_forcing_in_language_models: text drawn from a known source, so
every claim can be checked.

    source = char_source()                  # the process that writes the text (seeded, fixed)
    text = load_corpus("train")             # data/charlm/train.txt, drawn from it
    source.next_probs(ids)                  # P_data(next char | any history), exactly

V is the number of characters. The source is an order-3 character Markov chain: the next
character depends on the last three only. Its transition table is estimated (add-alpha
smoothing) from a seeded text of short English-like sentences made by a small grammar, so
samples look like words, and every character keeps a small probability after any context.
Because the source is known, the course can score any text, including text a model wrote,
under the true data distribution: the "oracle" of He et al. (2021) is exact here.

`python -m tfcourse.char_corpus --out data` rewrites data/charlm/ byte for byte;
in the course repository, for instructors, tests/test_char_corpus.py checks that the committed
files are what this module writes.
Student-safe: no graded function is computed here.
"""
import argparse
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from tfcourse.paths import data_dir
from tfcourse.reproduce import made_by

ORDER = 3           # characters of context the source looks at
ALPHA = 0.02        # add-alpha smoothing of the transition counts
SEED = 2021
SIZES = {"train": 60000, "val": 12000}   # characters per split
FOLDER = "charlm"

_WORDS = {
    "det": ["the", "a", "one", "my", "her"],
    "noun": ["cat", "dog", "bird", "fish", "man", "girl", "boat", "tree", "house", "king"],
    "verb": ["sees", "likes", "finds", "makes", "takes", "hears", "wants", "loves"],
    "adj": ["big", "old", "red", "small", "good", "happy"],
}


def _sentence(rng):
    """One sentence of the grammar: det [adj] noun verb det [adj] noun ."""
    def pick(kind):
        words = _WORDS[kind]
        return words[rng.integers(len(words))]

    def phrase():
        return [pick("det")] + ([pick("adj")] if rng.random() < 0.4 else []) + [pick("noun")]

    return " ".join(phrase() + [pick("verb")] + phrase()) + "."


class CharSource:
    """An order-ORDER character Markov chain: `table[context]` is P(next char | last chars).

    chars: the vocabulary (a string, id = index); table: (V,)*ORDER + (V,) probabilities.
    """

    def __init__(self, chars, table):
        self.chars = chars
        self.table = table
        self.index = {c: i for i, c in enumerate(chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.chars[i] for i in np.asarray(ids).ravel())

    def next_probs(self, ids):
        """P_data(next | history) for ids (..., T) with T >= ORDER: an array (..., V)."""
        ids = np.asarray(ids)
        if ids.shape[-1] < ORDER:
            raise ValueError(f"ids: expected at least {ORDER} characters of history, got shape "
                             f"{ids.shape}")
        return self.table[tuple(ids[..., -ORDER + k] for k in range(ORDER))]

    def sample(self, length, rng, start):
        """Draw `length` characters after the context `start` (a string of ORDER characters)."""
        ids = list(self.encode(start))
        cdf = np.cumsum(self.table, axis=-1)
        for r in rng.random(length):
            row = cdf[tuple(ids[-ORDER:])]
            ids.append(min(int(np.searchsorted(row, r, side="right")), len(self.chars) - 1))
        return self.decode(ids[ORDER:])

    def nll(self, ids):
        """-log P_data of ids[..., t] given ids[..., :t] for t >= ORDER: an array (..., T - ORDER)."""
        ids = np.asarray(ids)
        T = ids.shape[-1]
        ctx = tuple(ids[..., k:T - ORDER + k] for k in range(ORDER))
        return -np.log(self.table[ctx + (ids[..., ORDER:],)])


@lru_cache(maxsize=1)
def char_source():
    """The corpus's source, rebuilt deterministically from SEED (cached)."""
    rng = np.random.default_rng(SEED)
    text = " ".join(_sentence(rng) for _ in range(4000)) + " "
    chars = "".join(sorted(set(text)))
    source = CharSource(chars, None)
    ids = source.encode(text)
    V = len(chars)
    counts = np.zeros((V,) * (ORDER + 1))
    np.add.at(counts, tuple(ids[k:len(ids) - ORDER + k] for k in range(ORDER + 1)), 1.0)
    counts += ALPHA
    source.table = counts / counts.sum(axis=-1, keepdims=True)
    return source


def make_corpus():
    """{split: text} drawn from the source, seeded; the start context is 'the'."""
    source = char_source()
    rng = np.random.default_rng(SEED + 1)
    return {split: source.sample(n, rng, "the") for split, n in SIZES.items()}


def load_corpus(split, root=None):
    """The text of data/charlm/<split>.txt."""
    root = Path(root) if root is not None else data_dir()
    return (root / FOLDER / f"{split}.txt").read_text()


def write_corpus(out):
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    source = char_source()
    for split, text in make_corpus().items():
        (folder / f"{split}.txt").write_text(text)
    meta = {"chars": source.chars, "order": ORDER, "alpha": ALPHA, "seed": SEED, "sizes": SIZES,
            "generated_by": made_by("python -m tfcourse.char_corpus --out data")}
    (folder / "vocab.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the data/ folder to write into")
    args = parser.parse_args(argv)
    print(f"wrote {write_corpus(args.out)}")


if __name__ == "__main__":
    main()

"""Toy seq2seq tasks where exposure bias can show: date normalisation, digit reversal, 3-digit addition.

Regenerate every file under data/ (deterministic, no network, about a second):

    python -m tfcourse.datasets --out data

    dates     "Thursday 3 May 1979" -> "1979-05-03"   (five surface formats, DATE_STYLES)
    reverse   "40213"               -> "31204"        (3 to 10 digits)
    addition  "123+489"             -> "612"          (addends 100 to 999)
    keysum    "3170"                -> "341145..." (20)  (running sum mod 10 of the repeated key)

Tokens are characters. Each task has one vocabulary, shared by source and target: ids 0, 1, 2
are PAD, SOS, EOS, then the task's characters in code-point order. B is the batch size, L a
sequence's length, T the longest length in a batch.

    vocab = load_vocab("dates")
    pairs = load_task("dates", "train")          # [("12th of May 2045", "2045-05-12"), ...]
    ids = vocab.encode("1979-05-03")             # (11,) int64: 10 characters, then EOS
    vocab.decode(ids)                            # "1979-05-03"
    b = batch_pairs(pairs[:32], vocab)           # b.source (B, T) int64, b.source_mask (B, T) bool, ...
"""
import argparse
import json
import random
import sys
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tfcourse.paths import TASKS, data_dir
from tfcourse.validate import _describe, check_count

PAD, SOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<sos>", "<eos>")
SEED = 2015
SPLITS = {"train": 2000, "val": 200, "test": 200}
HEADER = "source\ttarget"
REGENERATE = "python -m tfcourse.datasets --out data"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DATE_STYLES = ("lowercase", "month_first", "numeric", "ordinal", "weekday")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)
REVERSE_LENGTHS = (3, 10)
KEYSUM_KEY, KEYSUM_OUT = 4, 20
DIGITS = "0123456789"


# ----------------------------------------------------------------------------- vocabulary

class Vocab:
    """A character-level vocabulary: `tokens[i]` is the token of id i; ids 0, 1, 2 are PAD, SOS, EOS."""

    def __init__(self, tokens):
        if not isinstance(tokens, (list, tuple)) or tuple(tokens[:3]) != SPECIALS:
            raise ValueError(f"tokens: expected a list starting with {list(SPECIALS)}, "
                             f"got {_describe(tokens)}")
        chars = tokens[3:]
        if not all(isinstance(c, str) and len(c) == 1 for c in chars) or len(set(chars)) < len(chars):
            raise ValueError(f"tokens: expected distinct single characters after the special "
                             f"tokens, got {list(chars)!r}"[:300])
        self.tokens = tuple(tokens)
        self._ids = {c: i for i, c in enumerate(self.tokens) if i >= len(SPECIALS)}

    @classmethod
    def from_chars(cls, chars):
        """Build the vocabulary of the characters in `chars`: specials, then code-point order."""
        return cls(SPECIALS + tuple(sorted(set(chars))))

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return isinstance(other, Vocab) and self.tokens == other.tokens

    def __repr__(self):
        return f"Vocab(V={len(self)}, chars={''.join(self.tokens[3:])!r})"

    def encode(self, text, add_sos=False, add_eos=True):
        """Return the ids of the characters of `text`: (L,) int64 with L = len(text) + add_sos + add_eos."""
        if not isinstance(text, str):
            raise ValueError(f"text: expected a str, got {_describe(text)}")
        for name, flag in (("add_sos", add_sos), ("add_eos", add_eos)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name}: expected True or False, got {_describe(flag)}")
        unknown = [(i, c) for i, c in enumerate(text) if c not in self._ids]
        if unknown:
            i, c = unknown[0]
            raise ValueError(f"text: expected only the characters {''.join(self.tokens[3:])!r}, "
                             f"got {c!r} at index {i} of {text!r}")
        ids = [SOS] * add_sos + [self._ids[c] for c in text] + [EOS] * add_eos
        return np.array(ids, dtype=np.int64)

    def decode(self, ids):
        """Return the text of the ids (L,): stop at the first EOS, skip PAD and SOS."""
        arr = _id_array("ids", ids)
        if arr.size and arr.max() >= len(self):
            i = int(np.argmax(arr >= len(self)))
            raise ValueError(f"ids: expected ids in [0, {len(self)}), got {arr[i]} at index {i}")
        chars = []
        for i in arr:
            if i == EOS:
                break
            if i >= len(SPECIALS):
                chars.append(self.tokens[i])
        return "".join(chars)


def _id_array(name, ids):
    """Return `ids` as a (L,) int64 array of non-negative ids, or raise ValueError."""
    arr = np.asarray(ids) if isinstance(ids, (list, tuple, np.ndarray)) else None
    if arr is not None and arr.size == 0 and arr.ndim == 1:
        return arr.astype(np.int64)
    if arr is None or arr.ndim != 1 or arr.dtype.kind not in "iu":
        hint = " (encode text first with vocab.encode)" if isinstance(ids, str) else ""
        raise ValueError(f"{name}: expected a 1-D sequence of int token ids, got {_describe(ids)}{hint}")
    if arr.size and arr.min() < 0:
        i = int(np.argmax(arr < 0))
        raise ValueError(f"{name}: expected non-negative ids, got {arr[i]} at index {i}")
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------- batching

class Batch(NamedTuple):
    """Padded source and target ids (B, S) and (B, T) int64, with masks True at real tokens."""
    source: np.ndarray
    source_mask: np.ndarray
    target: np.ndarray
    target_mask: np.ndarray


def batch(sequences, pad_id=PAD, length=None):
    """Pad B id sequences to one length T (the longest, or `length`).

    Returns ids (B, T) int64, padded with `pad_id` at the end, and mask (B, T) bool,
    True where ids holds a real token and False at padding.
    """
    if isinstance(sequences, (str, bytes)) or not isinstance(sequences, (list, tuple, np.ndarray)) \
            or len(sequences) == 0:
        raise ValueError(f"sequences: expected a non-empty list of id sequences, got {_describe(sequences)}")
    rows = [_id_array(f"sequences[{i}]", seq) for i, seq in enumerate(sequences)]
    pad_id = check_count("pad_id", pad_id, minimum=0)
    longest = max(len(row) for row in rows)
    if length is None:
        length = longest
    elif isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < longest:
        raise ValueError(f"length: expected None or an integer >= {longest} (the longest sequence), "
                         f"got {_describe(length)}")
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=bool)
    for b, row in enumerate(rows):
        ids[b, :len(row)] = row
        mask[b, :len(row)] = True
    return ids, mask


def batch_pairs(pairs, vocab):
    """Encode and pad (source, target) text pairs into a Batch; every sequence ends in EOS.

    Targets carry no SOS: the decoder's step-0 input is its start vector, so teacher forcing
    feeds [start, y_0, ..., y_{T-2}] and scores [y_0, ..., y_{T-1}].
    """
    if not isinstance(vocab, Vocab):
        raise ValueError(f"vocab: expected a Vocab (see load_vocab), got {_describe(vocab)}")
    if not isinstance(pairs, (list, tuple)) or not pairs or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in pairs):
        raise ValueError(f"pairs: expected a non-empty list of (source, target) str pairs, "
                         f"got {_describe(pairs)}")
    source, source_mask = batch([vocab.encode(s) for s, _ in pairs])
    target, target_mask = batch([vocab.encode(t) for _, t in pairs])
    return Batch(source, source_mask, target, target_mask)


# ----------------------------------------------------------------------------- generators

def _pick(rng, n):
    """Return a uniform int in [0, n) using only rng.random(), whose stream Python keeps across versions."""
    return int(rng.random() * n)


def _ordinal(n):
    return f"{n}th" if 11 <= n % 100 <= 13 else f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def format_date(day, style):
    """Write the datetime.date `day` in one of DATE_STYLES; 3 May 1979 becomes
    lowercase "3 may 1979", month_first "May 3, 1979", numeric "03/05/1979", ordinal "3rd of May 1979",
    weekday "Thursday 3 May 1979"."""
    if not isinstance(day, date):
        raise ValueError(f"day: expected a datetime.date, got {_describe(day)}")
    month = MONTHS[day.month - 1]
    styles = {"lowercase": f"{day.day} {month.lower()} {day.year}",
              "month_first": f"{month} {day.day}, {day.year}",
              "numeric": f"{day.day:02d}/{day.month:02d}/{day.year}",
              "ordinal": f"{_ordinal(day.day)} of {month} {day.year}",
              "weekday": f"{WEEKDAYS[day.weekday()]} {day.day} {month} {day.year}"}
    if not isinstance(style, str) or style not in styles:
        raise ValueError(f"style: expected one of {', '.join(map(repr, DATE_STYLES))}, got {style!r}")
    return styles[style]


def _date_example(rng):
    day = date.fromordinal(FIRST_DAY.toordinal() + _pick(rng, (LAST_DAY - FIRST_DAY).days + 1))
    return day, format_date(day, DATE_STYLES[_pick(rng, len(DATE_STYLES))]), day.isoformat()


def _reverse_example(rng):
    low, high = REVERSE_LENGTHS
    digits = "".join(DIGITS[_pick(rng, 10)] for _ in range(low + _pick(rng, high - low + 1)))
    return digits, digits, digits[::-1]


def _addition_example(rng):
    a, b = 100 + _pick(rng, 900), 100 + _pick(rng, 900)
    return (min(a, b), max(a, b)), f"{a}+{b}", str(a + b)  # a+b and b+a share a key


def keysum_target(key, length=KEYSUM_OUT):
    """The running sum mod 10 of `key` repeated: y_t = (y_{t-1} + key[t mod len(key)]) mod 10,
    y_-1 = 0. Every output digit is the previous one plus a key digit: it depends on the prefix."""
    out, total = [], 0
    for t in range(length):
        total = (total + int(key[t % len(key)])) % 10
        out.append(str(total))
    return "".join(out)


def _keysum_example(rng):
    key = "".join(DIGITS[_pick(rng, 10)] for _ in range(KEYSUM_KEY))
    return key, key, keysum_target(key)


class _Task(NamedTuple):
    example: object  # rng -> (key, source, target); a key is drawn into one split only
    chars: str       # every character a source or target can hold
    about: str


_TASKS = {
    "dates": _Task(_date_example, "".join(MONTHS + WEEKDAYS) + "".join(MONTHS).lower()
                   + "ofstndrh" + DIGITS + " ,-/",
                   f"Normalise a date written in one of {len(DATE_STYLES)} styles to ISO "
                   f"YYYY-MM-DD. Days are uniform over {FIRST_DAY} .. {LAST_DAY}, styles uniform; "
                   f"weekday names are correct (datetime.date.weekday)."),
    "reverse": _Task(_reverse_example, DIGITS,
                     f"Reverse a string of {REVERSE_LENGTHS[0]} to {REVERSE_LENGTHS[1]} digits "
                     f"(length uniform, digits uniform)."),
    "addition": _Task(_addition_example, DIGITS + "+",
                      "Add two 3-digit numbers (uniform over 100 .. 999) and write the sum in decimal. "
                      "a+b and b+a are one item: at most one of them is drawn."),
    "keysum": _Task(_keysum_example, DIGITS,
                    f"From a key of {KEYSUM_KEY} digits, write {KEYSUM_OUT} digits: the running sum "
                    f"mod 10 of the key repeated, y_t = (y_(t-1) + key[t mod {KEYSUM_KEY}]) mod 10 "
                    f"(`3170` -> `{keysum_target('3170')}`). Each output digit depends on the one "
                    f"before, so a model may learn to read its own previous output."),
}


def _check_task(name):
    if not isinstance(name, str) or name not in _TASKS:
        raise ValueError(f"name: expected one of {', '.join(map(repr, TASKS))}, got {name!r}")
    return _TASKS[name]


def task_vocab(name):
    """Return the Vocab of task `name` built from its alphabet (what vocab.json holds)."""
    return Vocab.from_chars(_check_task(name).chars)


def generate_task(name, seed=SEED):
    """Return {split: [(source, target), ...]} for task `name`, sized by SPLITS.

    Examples come from random.Random(seed) one at a time; an example whose key (the date, the
    digit string, the unordered pair of addends) was drawn before is skipped, so no item is in two
    splits. The first SPLITS["train"] examples go to train, the next to val, then to test.
    """
    task = _check_task(name)
    rng = random.Random(check_count("seed", seed, minimum=0))
    seen, pairs = set(), []
    while len(pairs) < sum(SPLITS.values()):
        key, source, target = task.example(rng)
        if key not in seen:
            seen.add(key)
            pairs.append((source, target))
    splits, start = {}, 0
    for split, size in SPLITS.items():
        splits[split], start = pairs[start:start + size], start + size
    return splits


# ----------------------------------------------------------------------------- files

def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))  # bytes: the same LF files on every platform


def write_all(out):
    """Write every task's splits and vocab.json, and README.md, under the folder `out`.

    Returns the list of Paths written. Other folders in `out` (e.g. reference/) are left alone.
    """
    out, written = Path(out), []
    tasks = {name: generate_task(name) for name in TASKS}
    for name, splits in tasks.items():
        for split, pairs in splits.items():
            written.append(out / name / f"{split}.tsv")
            _write(written[-1], HEADER + "\n" + "".join(f"{s}\t{t}\n" for s, t in pairs))
        written.append(out / name / "vocab.json")
        _write(written[-1], json.dumps(list(task_vocab(name).tokens), indent=0) + "\n")
    written.append(out / "README.md")
    _write(written[-1], _readme(tasks))
    return written


def _task_file(name, filename, root):
    _check_task(name)
    path = Path(data_dir() if root is None else root) / name / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; regenerate the toy data with `{REGENERATE}` "
                                f"in the repo root")
    return path


def load_task(name, split, root=None):
    """Return the (source, target) str pairs of `split` ("train", "val" or "test") of task `name`.

    `root` is the data folder; None means tfcourse.paths.data_dir().
    """
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split: expected one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    path = _task_file(name, f"{split}.tsv", root)
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines[0] != HEADER or lines[-1] != "" or any(line.count("\t") != 1 for line in lines[1:-1]):
        raise ValueError(f"{path}: expected a header {HEADER!r}, then one source<TAB>target pair "
                         f"a line; the file is damaged, regenerate it with `{REGENERATE}`")
    return [tuple(line.split("\t")) for line in lines[1:-1]]


def load_vocab(name, root=None):
    """Return the Vocab of task `name` read from its vocab.json (`root` as in load_task)."""
    return Vocab(json.loads(_task_file(name, "vocab.json", root).read_text(encoding="utf-8")))


def _span(texts):
    lengths = [len(text) for text in texts]
    return f"{min(lengths)}" if min(lengths) == max(lengths) else f"{min(lengths)} to {max(lengths)}"


def _readme(tasks):
    """Describe the data in `tasks` ({name: {split: pairs}}), every number taken from the code."""
    example_day = date(1979, 5, 3)
    lines = [
        "# Toy data", "",
        f"Generated by `{REGENERATE}` (the module `tfcourse.datasets`); do not edit by hand:",
        "in the course repository, for instructors, `tests/test_datasets.py` regenerates every",
        "file and fails if one byte differs.",
        "Other folders here (e.g. `reference/`) are made by other commands and left alone by this one.", "",
        "Three character-level seq2seq tasks, small enough to commit and to train on a laptop CPU,",
        "where a free-running decoder's early mistakes can compound (exposure bias).", "",
        "## Files", "",
        f"Each task folder holds `train.tsv`, `val.tsv` and `test.tsv` "
        f"({', '.join(f'{n} {s}' for s, n in SPLITS.items())} pairs) and `vocab.json`.",
        f"A `.tsv` file is UTF-8 with LF line ends: the header `{HEADER.replace(chr(9), '<TAB>')}`, then one",
        "`source<TAB>target` pair a line. No item (a date, a digit string, an unordered pair of",
        "addends) is in two splits.", "",
        "## Vocabulary", "",
        "One vocabulary per task, shared by source and target. `vocab.json` is the list of tokens;",
        f"a token's id is its position. Ids {PAD}, {SOS}, {EOS} are {', '.join(SPECIALS)} (PAD, SOS, EOS), "
        "then the task's",
        "characters in code-point order. `tfcourse.datasets.Vocab.encode` appends EOS to every sequence.", "",
        "## Seed", "",
        f"Each task is drawn from `random.Random({SEED})`, using only `random()`, whose sequence Python",
        "guarantees across versions: the files are the same on every machine.", "",
        "## Tasks",
    ]
    for name in TASKS:
        train, vocab = tasks[name]["train"], task_vocab(name)
        lines += ["", f"### {name}", "", _TASKS[name].about, "",
                  f"- vocabulary: V = {len(vocab)}, characters `{''.join(vocab.tokens[3:])}`",
                  f"- characters per sequence in train (before EOS): source {_span(s for s, _ in train)}, "
                  f"target {_span(t for _, t in train)}",
                  "- first train pairs: " + ", ".join(f"`{s}` -> `{t}`" for s, t in train[:3])]
        if name == "dates":
            lines.append("- styles: " + ", ".join(f"{style} `{format_date(example_day, style)}`"
                                                   for style in DATE_STYLES))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tfcourse.datasets", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="data", help="the data folder to write into (default: data)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

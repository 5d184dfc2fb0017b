"""Tests of tfcourse.datasets: the committed toy data, its vocabularies, encoding and batching."""
import re
import subprocess
import sys
from datetime import date

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tfcourse import datasets
from tfcourse.datasets import (EOS, PAD, SOS, SPECIALS, SPLITS, Vocab, batch, batch_pairs,
                               format_date, generate_task, load_task, load_vocab, task_vocab, write_all)
from tfcourse.paths import REPO_DATA, TASKS

# The test's own tables, so the dates are checked against something the generator did not write.
MONTHS = "january february march april may june july august september october november december".split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
DATE_PATTERNS = {
    "lowercase": r"(?P<d>\d{1,2}) (?P<m>[a-z]+) (?P<y>\d{4})",
    "month_first": r"(?P<m>[A-Z][a-z]+) (?P<d>\d{1,2}), (?P<y>\d{4})",
    "numeric": r"(?P<d>\d\d)/(?P<mm>\d\d)/(?P<y>\d{4})",
    "ordinal": r"(?P<d>\d{1,2})(?P<suffix>st|nd|rd|th) of (?P<m>[A-Z][a-z]+) (?P<y>\d{4})",
    "weekday": r"(?P<w>[A-Z][a-z]+) (?P<d>\d{1,2}) (?P<m>[A-Z][a-z]+) (?P<y>\d{4})",
}


def all_pairs(name):
    return {split: load_task(name, split, root=REPO_DATA) for split in SPLITS}


def test_regenerating_gives_byte_identical_files(tmp_path):
    written = write_all(tmp_path)
    for path in written:
        committed = REPO_DATA / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), \
            f"{committed} differs from a fresh generation; run `{datasets.REGENERATE}` and commit"
    for name in TASKS:
        assert sorted(p.name for p in (REPO_DATA / name).iterdir()) == \
            sorted(p.name for p in (tmp_path / name).iterdir()), f"stray files in data/{name}"


def test_the_documented_command_writes_the_data(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tfcourse.datasets", "--out", str(tmp_path)],
                            capture_output=True, text=True, check=True)
    assert (tmp_path / "dates" / "train.tsv").read_bytes() == (REPO_DATA / "dates" / "train.tsv").read_bytes()
    assert str(tmp_path / "README.md") in result.stdout


def test_write_all_leaves_other_folders_alone(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "logits.npz").write_bytes(b"keep me")
    write_all(tmp_path)
    assert (tmp_path / "reference" / "logits.npz").read_bytes() == b"keep me"


def test_task_names_match_the_folders_paths_looks_for():
    assert tuple(datasets._TASKS) == TASKS


@pytest.mark.parametrize("name", TASKS)
def test_splits_have_the_documented_sizes_and_match_the_generator(name):
    pairs = all_pairs(name)
    assert {split: len(p) for split, p in pairs.items()} == SPLITS
    assert pairs == generate_task(name)


@pytest.mark.parametrize("name", TASKS)
def test_no_source_is_repeated_within_or_across_splits(name):
    sources = [s for pairs in all_pairs(name).values() for s, _ in pairs]
    assert len(set(sources)) == len(sources)


def test_no_date_is_in_two_splits():
    targets = [t for pairs in all_pairs("dates").values() for _, t in pairs]
    assert len(set(targets)) == len(targets)


def test_no_pair_of_addends_is_in_two_splits_in_either_order():
    unordered = [tuple(sorted(s.split("+"))) for pairs in all_pairs("addition").values() for s, _ in pairs]
    assert len(set(unordered)) == len(unordered)


def test_a_different_seed_gives_different_data():
    assert generate_task("reverse", seed=1) != generate_task("reverse")
    assert generate_task("reverse", seed=1) == generate_task("reverse", seed=1)


@pytest.mark.parametrize("split", SPLITS)
def test_every_date_source_names_its_target_day_with_the_right_weekday_and_month(split):
    styles_seen = set()
    for source, target in load_task("dates", split, root=REPO_DATA):
        day = date.fromisoformat(target)
        assert target == f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
        style, match = next((style, m) for style, pattern in DATE_PATTERNS.items()
                            if (m := re.fullmatch(pattern, source)))
        styles_seen.add(style)
        fields = match.groupdict()
        assert (int(fields["d"]), int(fields["y"])) == (day.day, day.year), source
        month = int(fields["mm"]) if "mm" in fields else MONTHS.index(fields["m"].lower()) + 1
        assert month == day.month, source
        if style == "lowercase":
            assert fields["m"] == MONTHS[day.month - 1], source
        if "w" in fields:
            assert fields["w"].lower() == WEEKDAYS[day.weekday()], source
        if "suffix" in fields:
            assert fields["suffix"] == {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd",
                                        31: "st"}.get(day.day, "th"), source
    assert styles_seen == set(DATE_PATTERNS)


def test_format_date_writes_the_five_styles():
    day = date(1979, 5, 3)
    assert [format_date(day, style) for style in datasets.DATE_STYLES] == [
        "3 may 1979", "May 3, 1979", "03/05/1979", "3rd of May 1979", "Thursday 3 May 1979"]
    assert [format_date(date(2000, 1, d), "ordinal") for d in (1, 2, 11, 12, 13, 22, 31)] == [
        f"{d} of January 2000" for d in ("1st", "2nd", "11th", "12th", "13th", "22nd", "31st")]
    assert format_date(date(1900, 2, 28), "weekday") == "Wednesday 28 February 1900"


def test_reverse_targets_are_the_reversed_sources():
    lengths = set()
    for pairs in all_pairs("reverse").values():
        for source, target in pairs:
            assert source.isdigit() and target == "".join(reversed(source))
            lengths.add(len(source))
    assert lengths == set(range(3, 11))


def test_addition_targets_are_the_sums():
    for pairs in all_pairs("addition").values():
        for source, target in pairs:
            a, b = source.split("+")
            assert len(a) == len(b) == 3 and int(target) == int(a) + int(b), source
            assert target == str(int(target))  # no leading zeros


def test_keysum_targets_add_the_next_key_digit_to_the_previous_output_digit():
    for pairs in all_pairs("keysum").values():
        for key, target in pairs:
            assert len(key) == 4 and key.isdigit() and len(target) == 20, key
            digits = [0] + [int(c) for c in target]
            for t in range(20):
                assert digits[t + 1] == (digits[t] + int(key[t % 4])) % 10, (key, t)


@pytest.mark.parametrize("name", TASKS)
def test_vocab_file_reserves_pad_sos_eos_then_sorted_characters(name):
    vocab = load_vocab(name, root=REPO_DATA)
    assert vocab == task_vocab(name)
    assert (PAD, SOS, EOS) == (0, 1, 2) and vocab.tokens[:3] == SPECIALS
    chars = vocab.tokens[3:]
    assert list(chars) == sorted(set(chars))


@pytest.mark.parametrize("name", TASKS)
def test_every_vocab_character_is_used_in_train_and_every_data_character_is_in_the_vocab(name):
    vocab = load_vocab(name, root=REPO_DATA)
    train_chars = {c for s, t in load_task(name, "train", root=REPO_DATA) for c in s + t}
    data_chars = {c for pairs in all_pairs(name).values() for s, t in pairs for c in s + t}
    assert train_chars == data_chars == set(vocab.tokens[3:])


@pytest.mark.parametrize("name", TASKS)
def test_encode_then_decode_gives_back_every_text(name):
    vocab = load_vocab(name, root=REPO_DATA)
    for pairs in all_pairs(name).values():
        for text in (text for pair in pairs for text in pair):
            ids = vocab.encode(text)
            assert ids.dtype == np.int64 and ids.shape == (len(text) + 1,) and ids[-1] == EOS
            assert vocab.decode(ids) == text
            assert vocab.decode(vocab.encode(text, add_sos=True, add_eos=False)) == text


@given(st.text(alphabet="".join(task_vocab("dates").tokens[3:]), max_size=30))
def test_round_trip_holds_for_any_text_of_the_alphabet(text):
    vocab = task_vocab("dates")
    assert vocab.decode(vocab.encode(text, add_sos=True)) == text


def test_encode_gives_the_documented_ids():
    vocab = task_vocab("reverse")  # "0" is id 3, ..., "9" is id 12
    assert vocab.encode("0129", add_sos=True).tolist() == [SOS, 3, 4, 5, 12, EOS]
    assert vocab.encode("90", add_eos=False).tolist() == [12, 3]
    assert vocab.encode("").tolist() == [EOS]


def test_decode_stops_at_eos_and_skips_pad_and_sos():
    vocab = task_vocab("reverse")
    assert vocab.decode([SOS, 3, PAD, 4, EOS, 5]) == "01"
    assert vocab.decode(np.array([4, 5], dtype=np.int32)) == "12"
    assert vocab.decode([]) == ""


def test_batch_pads_at_the_end_and_masks_the_padding():
    rows = [np.array([5, 6, 7]), [8]]
    ids, mask = batch(rows)
    assert ids.dtype == np.int64 and mask.dtype == bool
    assert ids.tolist() == [[5, 6, 7], [8, PAD, PAD]]
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert rows[0].tolist() == [5, 6, 7]  # inputs untouched
    ids, mask = batch([[5], [6, 7]], pad_id=9, length=4)
    assert ids.tolist() == [[5, 9, 9, 9], [6, 7, 9, 9]]
    assert mask.sum(axis=1).tolist() == [1, 2]


def test_batch_pairs_encodes_pads_and_decodes_back():
    vocab = task_vocab("addition")
    pairs = [("123+489", "612"), ("999+999", "1998")]
    b = batch_pairs(pairs, vocab)
    assert b.source.shape == b.source_mask.shape == (2, 8)
    assert b.target.shape == b.target_mask.shape == (2, 5)
    assert b.target_mask.sum(axis=1).tolist() == [4, 5]
    assert b.target[0, 3] == EOS and b.target[0, 4] == PAD
    assert [(vocab.decode(s), vocab.decode(t)) for s, t in zip(b.source, b.target)] == pairs


VOCAB = task_vocab("reverse")
BAD_INPUTS = [
    (lambda: Vocab(["a"]), r"tokens: expected a list starting with \['<pad>', '<sos>', '<eos>'\], got list \['a'\]"),
    (lambda: Vocab(list(SPECIALS) + ["ab"]), r"tokens: expected distinct single characters .*, got \['ab'\]"),
    (lambda: Vocab(list(SPECIALS) + ["a", "a"]), r"tokens: expected distinct single characters .*, got \['a', 'a'\]"),
    (lambda: VOCAB.encode(5), r"text: expected a str, got int 5"),
    (lambda: VOCAB.encode("12x"), r"text: expected only the characters '0123456789', got 'x' at index 2 of '12x'"),
    (lambda: VOCAB.encode("1", add_sos=1), r"add_sos: expected True or False, got int 1"),
    (lambda: VOCAB.encode("1", add_eos="yes"), r"add_eos: expected True or False, got str 'yes'"),
    (lambda: VOCAB.decode("123"), r"ids: expected a 1-D sequence of int token ids, got str '123' \(encode text first"),
    (lambda: VOCAB.decode([[3, 4]]), r"ids: expected a 1-D sequence of int token ids, got list \[\[3, 4\]\]"),
    (lambda: VOCAB.decode([3.0]), r"ids: expected a 1-D sequence of int token ids, got list \[3.0\]"),
    (lambda: VOCAB.decode([3, -1]), r"ids: expected non-negative ids, got -1 at index 1"),
    (lambda: VOCAB.decode([3, 13]), r"ids: expected ids in \[0, 13\), got 13 at index 1"),
    (lambda: batch([]), r"sequences: expected a non-empty list of id sequences, got list \[\]"),
    (lambda: batch("345"), r"sequences: expected a non-empty list of id sequences, got str '345'"),
    (lambda: batch([[3], "ab"]), r"sequences\[1\]: expected a 1-D sequence of int token ids, got str 'ab'"),
    (lambda: batch([[3, -2]]), r"sequences\[0\]: expected non-negative ids, got -2 at index 1"),
    (lambda: batch([[3]], pad_id=-1), r"pad_id: expected an integer >= 0, got int -1"),
    (lambda: batch([[3, 4]], length=1), r"length: expected None or an integer >= 2 \(the longest sequence\), got int 1"),
    (lambda: batch([[3]], length=2.0), r"length: expected None or an integer >= 1 .*, got float 2.0"),
    (lambda: batch_pairs([("1", "1")], "reverse"), r"vocab: expected a Vocab \(see load_vocab\), got str 'reverse'"),
    (lambda: batch_pairs([], VOCAB), r"pairs: expected a non-empty list of \(source, target\) str pairs, got list \[\]"),
    (lambda: batch_pairs([("1", 2)], VOCAB), r"pairs: expected .* str pairs, got list \[\('1', 2\)\]"),
    (lambda: format_date("1979-05-03", "lowercase"), r"day: expected a datetime.date, got str '1979-05-03'"),
    (lambda: format_date(date(1979, 5, 3), "iso"), r"style: expected one of 'lowercase', 'month_first', 'numeric', 'ordinal', 'weekday', got 'iso'"),
    (lambda: generate_task("date"), r"name: expected one of 'dates', 'reverse', 'addition', 'keysum', got 'date'"),
    (lambda: generate_task("dates", seed=-1), r"seed: expected an integer >= 0, got int -1"),
    (lambda: task_vocab(["dates"]), r"name: expected one of .*, got \['dates'\]"),
    (lambda: task_vocab(None), r"name: expected one of 'dates', 'reverse', 'addition', 'keysum', got None"),
    (lambda: load_task("dates", "training"), r"split: expected one of 'train', 'val', 'test', got 'training'"),
    (lambda: format_date(date(1979, 5, 3), ["weekday"]), r"style: expected one of .*, got \['weekday'\]"),
    (lambda: load_task("dates", ["train"]), r"split: expected one of .*, got \['train'\]"),
    (lambda: load_task("nope", "train"), r"name: expected one of .*, got 'nope'"),
    (lambda: load_vocab("nope"), r"name: expected one of .*, got 'nope'"),
]


@pytest.mark.parametrize("call, message", BAD_INPUTS, ids=[m.split(":")[0] + str(i) for i, (_, m) in
                                                           enumerate(BAD_INPUTS)])
def test_bad_arguments_raise_value_error_naming_argument_expectation_and_value(call, message):
    with pytest.raises(ValueError, match="^" + message):
        call()


def test_a_missing_file_says_how_to_regenerate(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"dates/train.tsv is missing; regenerate the toy "
                                                r"data with `python -m tfcourse.datasets --out data`"):
        load_task("dates", "train", root=tmp_path)


def test_a_damaged_file_is_reported_with_its_path(tmp_path):
    write_all(tmp_path)
    path = tmp_path / "reverse" / "val.tsv"
    path.write_text("source\ttarget\n123\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": expected a header"):
        load_task("reverse", "val", root=tmp_path)


def test_load_task_finds_the_data_through_tfcourse_data(tmp_path, monkeypatch):
    write_all(tmp_path)
    (tmp_path / "addition" / "test.tsv").write_text("source\ttarget\n1+1\t2\n", encoding="utf-8")
    monkeypatch.setenv("TFCOURSE_DATA", str(tmp_path))
    assert load_task("addition", "test") == [("1+1", "2")]
    assert load_vocab("addition") == task_vocab("addition")

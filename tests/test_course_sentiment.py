"""Unit tests of the course's sentiment data set (course.data.sentiment): sizes, balance, determinism, no leak."""

from __future__ import annotations

from collections import Counter

import pytest

from course.data import sentiment
from course.data.sentiment import LABELS, normalise, sentiment_splits


def test_labels():
    assert LABELS == ("negative", "positive")


def test_size_and_balance_of_the_whole_set():
    examples = sentiment.examples()
    assert len(examples) >= 400
    counts = Counter(label for _, label in examples)
    assert set(counts) == {0, 1}
    assert abs(counts[0] - counts[1]) <= 0.05 * len(examples)


def test_texts_are_clean_sentences():
    for text, label in sentiment.examples():
        assert isinstance(text, str) and text == text.strip() and "  " not in text
        assert text[0].isupper() and text[-1] in ".!?", text
        assert label in (0, 1)


def test_no_duplicate_in_the_whole_set():
    keys = [normalise(text) for text, _ in sentiment.examples()]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_splits_sizes_balance_and_labels(seed):
    splits = sentiment_splits(seed)
    total = len(sentiment.examples())
    sizes = [len(part) for part in splits]
    assert sum(sizes) == total
    assert sizes == [len(part) for part in sentiment_splits(0)]  # fixed sizes, whatever the seed
    assert sizes[0] == pytest.approx(0.6 * total, abs=2)
    assert sizes[1] == pytest.approx(0.2 * total, abs=2) and sizes[2] == pytest.approx(0.2 * total, abs=2)
    for part in splits:
        counts = Counter(label for _, label in part)
        assert set(counts) <= {0, 1}
        assert abs(counts[0] - counts[1]) <= 2


@pytest.mark.parametrize("seed", [0, 3])
def test_no_duplicate_within_or_across_splits(seed):
    splits = sentiment_splits(seed)
    keys = [normalise(text) for part in splits for text, _ in part]
    assert len(keys) == len(set(keys))
    train, valid, test = ({normalise(text) for text, _ in part} for part in splits)
    assert not train & valid and not train & test and not valid & test
    assert train | valid | test == {normalise(text) for text, _ in sentiment.examples()}


def test_labels_follow_the_text():
    label_of = dict(sentiment.examples())
    for part in sentiment_splits(5):
        for text, label in part:
            assert label_of[text] == label


def test_deterministic_and_seed_dependent():
    assert sentiment_splits(0) == sentiment_splits(0)
    assert sentiment_splits(0).train != sentiment_splits(1).train
    assert sentiment_splits() == sentiment_splits(seed=0)


def test_splits_interleave_labels():
    labels = [label for _, label in sentiment_splits(0).train]
    changes = sum(a != b for a, b in zip(labels, labels[1:]))
    assert changes > len(labels) // 4

"""The stories the course's language models are pre-trained on (course.data.stories): deterministic, varied,
grammatical in the ways a generator can check, and split without overlap."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from course.data import stories as generator
from course.data.translation import NOUNS


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return generator.stories(2000, seed=0)


def test_stories_are_deterministic_and_distinct(texts):
    assert generator.stories(50, seed=0) == texts[:50]
    assert generator.stories(50, seed=1) != texts[:50]
    assert len(set(texts)) == len(texts)
    with pytest.raises(ValueError, match="n must be >= 0"):
        generator.stories(-1)


def test_the_vocabulary_is_not_trivially_templated(texts):
    words = Counter(re.findall(r"[A-Za-z]+", " ".join(texts)))
    assert len(words) > 700, f"only {len(words)} different words"
    lengths = [len(text.split()) for text in texts]
    assert min(lengths) < 35 < max(lengths)  # short and long texts
    first_sentences = Counter(text.split(". ")[0] for text in texts)
    assert first_sentences.most_common(1)[0][1] < 0.01 * len(texts)
    assert {noun.english for noun in NOUNS} <= set(words), "every noun of the translation grammar occurs"


def test_articles_capitals_and_punctuation(texts):
    joined = " ".join(texts)
    assert not re.search(r"\ba [aeiou]", joined), "'a' before a vowel"
    assert not re.search(r"\ban [^aeiou\s]", joined), "'an' before a consonant"
    for text in texts[:300]:
        for sentence in re.split(r'(?<=[.!?]) (?=[A-Z"])', text):
            assert sentence[0].isupper() or sentence[0] == '"', sentence
        assert text.endswith((".", '"')) and text.count('"') % 2 == 0, text


@pytest.mark.parametrize(
    ("noun", "plural"),
    [
        ("fox", "foxes"),
        ("cherry", "cherries"),
        ("key", "keys"),
        ("mouse", "mice"),
        ("bench", "benches"),
        ("cat", "cats"),
    ],
)
def test_plural(noun, plural):
    assert generator.plural(noun) == plural


def test_splits_are_disjoint():
    splits = generator.story_splits(n_train=300, n_valid=30, n_test=30, seed=2)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (300, 30, 30)
    assert not (
        set(splits.train) & set(splits.valid)
        or set(splits.train) & set(splits.test)
        or set(splits.valid) & set(splits.test)
    )

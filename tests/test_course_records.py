"""Unit tests of course.data.records: sentence -> JSON record pairs for causal-LM fine-tuning."""

from __future__ import annotations

import doctest
import json
import random

import pytest

from course.data import records
from course.data.translation import _sentence


def test_pairs_are_deterministic_distinct_and_valid_json():
    pairs = records.record_pairs(300, seed=4)
    assert pairs == records.record_pairs(300, seed=4)
    assert pairs != records.record_pairs(300, seed=5)
    assert len({prompt for prompt, _ in pairs}) == 300
    for prompt, completion in pairs:
        record = json.loads(completion)
        assert tuple(record) == records.DEFAULT_FIELDS
        assert record["form"] in ("statement", "negation", "question")
        assert completion == json.dumps(record)
    both = records.record_pairs(300, seed=4, fields=("form", "tense"))
    assert [p for p, _ in both] == [p for p, _ in pairs]
    assert all(tuple(json.loads(c)) == records.FIELDS for _, c in both)  # keys in the order of FIELDS


def test_record_of_agrees_with_the_grammar():
    """The record read from the words equals the tense and form the grammar drew (private API, test only)."""
    rng = random.Random(1)
    for _ in range(3000):
        sentence = _sentence(rng)
        assert records.record_of(sentence.english()) == {"tense": sentence.tense, "form": sentence.form}


def test_splits_are_disjoint():
    splits = records.record_splits(n_train=300, n_test=50, seed=2)
    assert len(splits.train) == 300 and len(splits.test) == 50
    assert not {p for p, _ in splits.train} & {p for p, _ in splits.test}


def test_exclude_fields_and_negative_n():
    first = records.record_pairs(5, seed=0)
    excluded = records.record_pairs(20, seed=0, exclude={p for p, _ in first})
    assert len(excluded) == 20 and not {p for p, _ in excluded} & {p for p, _ in first}
    with pytest.raises(ValueError):
        records.record_pairs(-1)
    with pytest.raises(ValueError):
        records.record_pairs(3, fields=("subject",))


def test_docstring_examples():
    assert doctest.testmod(records).failed == 0

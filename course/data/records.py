"""Prompt → completion pairs for fine-tuning a causal language model: an English sentence → a JSON record.

The sentences come from the course's English grammar (:func:`course.data.translation.english_sentences`);
the record gives the form of the sentence (and, on request, its tense), as one line of JSON::

    >>> record_pairs(1, seed=0)[0]
    ('my good girl eats some oranges .', '{"form": "statement"}')
    >>> record_pairs(1, seed=0, fields=("tense", "form"))[0][1]
    '{"tense": "present", "form": "statement"}'

Both fields follow from the words of the sentence (:func:`record_of`): ``"did"`` or a past verb form makes
it past, a final ``"?"`` a question, ``"not"`` a negation. The completion is a function of the prompt, and
:func:`record_splits` gives train and test lists with no sentence in both. This module holds data only,
never the answer to an exercise (no tokenization, no labels).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from course.data.translation import VERBS, english_sentences

FIELDS = ("tense", "form")  # the fields record_of knows, in the order of the JSON
DEFAULT_FIELDS = ("form",)  # lesson 17: a task the course's GPT learns in under two hundred steps
PAST_FORMS = frozenset(verb.english[2] for verb in VERBS)  # "saw", "ate", ...: never a base or -s form


def record_of(sentence: str) -> dict[str, str]:
    """The record of a grammar sentence: ``{"tense": "present" or "past", "form": ...}``.

    ``form`` is ``"question"`` (the sentence ends with ``"?"``), ``"negation"`` (it contains ``"not"``) or
    ``"statement"``; the tense is past when the sentence contains ``"did"`` or the past form of a verb.
    """
    words = sentence.split()
    tense = "past" if "did" in words or PAST_FORMS.intersection(words) else "present"
    form = "question" if words[-1] == "?" else ("negation" if "not" in words else "statement")
    return {"tense": tense, "form": form}


def record_pairs(n: int, seed: int = 0, exclude: set[str] | frozenset = frozenset(),
                 fields: tuple[str, ...] = DEFAULT_FIELDS) -> list[tuple[str, str]]:
    """``n`` distinct ``(sentence, json_record)`` pairs, deterministic from ``seed``; no sentence in ``exclude``.

    The record holds ``fields`` (some of :data:`FIELDS`); the JSON is ``json.dumps(record)`` with the keys in
    the order of :data:`FIELDS` (one line, ``", "`` and ``": "`` separators), so equal records are equal strings.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not fields or set(fields) - set(FIELDS):
        raise ValueError(f"fields must be a non-empty subset of {FIELDS}, got {fields}")
    # The sentences of one seed come in a fixed order, so n + len(exclude) of them hold n not excluded.
    candidates = english_sentences(n + len(exclude), seed)
    sentences = [sentence for sentence in candidates if sentence not in exclude][:n]
    records = [record_of(sentence) for sentence in sentences]
    return [(sentence, json.dumps({key: record[key] for key in FIELDS if key in fields}))
            for sentence, record in zip(sentences, records)]


@dataclass
class RecordSplits:
    """Train and test ``(sentence, json_record)`` pairs; no sentence is in both."""

    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    seed: int = 0


def record_splits(n_train: int = 2000, n_test: int = 200, seed: int = 0,
                  fields: tuple[str, ...] = DEFAULT_FIELDS) -> RecordSplits:
    """Disjoint train and test pairs from :func:`record_pairs`, deterministic from ``seed``."""
    pairs = record_pairs(n_train + n_test, seed, fields=fields)
    return RecordSplits(pairs[:n_train], pairs[n_train:], seed)

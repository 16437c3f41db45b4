"""The course's own data: generators and small data sets, deterministic from a seed, fully offline.

- :mod:`course.data.translation` — an English → French sentence generator (about a hundred English words,
  agreement, elision, negation, questions, two tenses) with a compositional train / valid / test split;
- :mod:`course.data.vocabulary` — a word-level tokenizer and vocabulary for it.

This package holds data and the tools to read it, never the answer to an exercise (no collate function, no
metric, no training loop: those are what the lessons ask learners to write).
"""

from __future__ import annotations

from course.data.translation import (
    Pair,
    TranslationSplits,
    english_sentences,
    long_pairs,
    sample_pairs,
    translation_splits,
)
from course.data.vocabulary import Vocabulary, detokenize, tokenize

__all__ = [
    "Pair",
    "TranslationSplits",
    "Vocabulary",
    "detokenize",
    "english_sentences",
    "long_pairs",
    "sample_pairs",
    "tokenize",
    "translation_splits",
]

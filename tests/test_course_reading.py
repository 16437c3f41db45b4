"""Unit tests of the reading-comprehension generator (course.data.reading)."""

from __future__ import annotations

from course.data.reading import QAExample, reading_examples, reading_splits


def test_answers_are_exact_spans_of_their_context():
    splits = reading_splits(seed=3)
    for example in splits.train + splits.valid + splits.test:
        assert example.context[example.answer_start:example.answer_end] == example.answer
        assert example.answer and example.answer == example.answer.strip()


def test_sizes_and_no_context_in_two_splits():
    splits = reading_splits(seed=0, n_train=20, n_valid=5, n_test=7)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (80, 20, 28)
    contexts = [{example.context for example in split} for split in (splits.train, splits.valid, splits.test)]
    assert [len(c) for c in contexts] == [20, 5, 7]
    assert not (contexts[0] & contexts[1] or contexts[0] & contexts[2] or contexts[1] & contexts[2])


def test_deterministic_from_the_seed():
    assert reading_splits(seed=1).test == reading_splits(seed=1).test
    assert reading_splits(seed=1).test != reading_splits(seed=2).test


def test_questions_are_distinct_within_a_context_and_text_is_mixed():
    groups = reading_examples(50, seed=0)
    for group in groups:
        assert len({example.question for example in group}) == len(group) == 4
        assert all(isinstance(example, QAExample) for example in group)
    answers = [example.answer for group in groups for example in group]
    assert any("," in answer for answer in answers)       # head counts with a thousands separator
    assert any("-" in answer for answer in answers)       # hyphenated places
    assert any(answer[0].isupper() for answer in answers)  # names keep their case
    assert not any(" a a" in group[0].context or " a e" in group[0].context for group in groups)

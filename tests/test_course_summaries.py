"""Unit tests of course.data.summaries: the hand-written documents and reference summaries of lesson 18."""

from __future__ import annotations

import pytest

from course.data import summaries
from course.data.summaries import SummaryExample, split_sentences, summary_examples


def test_twenty_examples_with_unique_titles_documents_and_summaries():
    examples = summary_examples()
    assert 15 <= len(examples) <= 25
    for field in ("title", "document", "summary"):
        values = [getattr(example, field) for example in examples]
        assert len(values) == len(set(values)), f"duplicate {field}"


def test_no_sentence_repeated_across_documents():
    sentences = [sentence for example in summary_examples() for sentence in example.sentences()]
    assert len(sentences) == len(set(sentences))


@pytest.mark.parametrize("example", summary_examples(), ids=lambda example: example.title)
def test_each_summary_is_shorter_than_its_document_and_not_a_copied_sentence(example: SummaryExample):
    assert len(example.summary.split()) < len(example.document.split())
    assert len(example.summary.split()) <= 25
    sentences = example.sentences()
    assert 4 <= len(sentences) <= 6
    assert example.summary not in sentences, "a reference that copies one sentence would favour extraction"
    assert all(sentence[-1] in ".!?" for sentence in sentences)
    assert example.summary[-1] == "."
    assert "  " not in example.document and example.document == example.document.strip()


def test_summary_examples_returns_a_new_list_in_a_fixed_order():
    first, second = summary_examples(), summary_examples()
    assert first == second and first is not second
    first.pop()
    assert len(summary_examples()) == len(summaries.SUMMARY_EXAMPLES)


def test_split_sentences():
    assert split_sentences("It rained. Did it? Yes! Fine") == ["It rained.", "Did it?", "Yes!", "Fine"]
    assert split_sentences("Costs 2.5 pounds. Done.") == ["Costs 2.5 pounds.", "Done."]
    assert split_sentences("") == []
    assert "".join(split_sentences(summary_examples()[0].document)).replace(" ", "") == (
        summary_examples()[0].document.replace(" ", ""))

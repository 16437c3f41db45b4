"""Unit tests of the BIO-tagged sentences (course.data.entities)."""

from __future__ import annotations

from course.data.entities import ENTITY_TAGS, entity_splits, french_sentences


def _valid_bio(tags) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def test_tags_are_valid_bio_and_aligned_with_words():
    splits = entity_splits(seed=0, n_train=50, n_valid=10, n_test=20)
    for sentence in splits.train + splits.valid + splits.test:
        assert len(sentence.words) == len(sentence.tags)
        assert set(sentence.tags) <= set(ENTITY_TAGS)
        assert _valid_bio(sentence.tags)
        assert sentence.text == " ".join(sentence.words)


def test_sizes_distinct_sentences_and_held_out_names():
    splits = entity_splits(seed=0)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (400, 100, 200)
    texts = [s.text for s in splits.train + splits.valid + splits.test]
    assert len(texts) == len(set(texts))

    def entity_words(sentences):
        return {w for s in sentences for w, t in zip(s.words, s.tags) if t[2:] in ("PER", "LOC")}
    assert not entity_words(splits.train) & entity_words(splits.test)


def test_deterministic_and_every_type_present():
    assert entity_splits(seed=4).train == entity_splits(seed=4).train
    assert entity_splits(seed=4).train != entity_splits(seed=5).train
    tags = {t for s in entity_splits(seed=0).train for t in s.tags}
    assert tags == set(ENTITY_TAGS)


def test_french_sentences():
    sentences = french_sentences()
    assert len(sentences) >= 25
    for sentence in sentences:
        assert len(sentence.words) == len(sentence.tags) and _valid_bio(sentence.tags)
        assert all("[" not in word and "]" not in word for word in sentence.words)
    kinds = {t[2:] for s in sentences for t in s.tags if t != "O"}
    assert kinds == {"PER", "LOC", "ORG"}
    first = sentences[0]
    assert first.words[:2] == ("Marie", "Dupont") and first.tags[:2] == ("B-PER", "I-PER")

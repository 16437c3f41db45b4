"""Unit tests of the course's data generator (course.data): agreement, elision, determinism, the split."""

from __future__ import annotations

import pytest

import course.data as data
from course.data import translation as grammar


def french_of(subject, verb, objects=(), tense="present", form="statement") -> str:
    return grammar.Sentence(subject, verb, tuple(objects), tense, form).french()


def english_of(subject, verb, objects=(), tense="present", form="statement") -> str:
    return grammar.Sentence(subject, verb, tuple(objects), tense, form).english()


NOUN = {noun.english: noun for noun in grammar.NOUNS}
ADJECTIVE = {adjective.english: adjective for adjective in grammar.ADJECTIVES}
VERB = {verb.english[0]: verb for verb in grammar.VERBS}


def phrase(noun, determiner="the", plural=False, adjective=None, number=None):
    return grammar.NounPhrase(NOUN[noun], plural, determiner, number, ADJECTIVE[adjective] if adjective else None)


@pytest.mark.parametrize(("noun_phrase", "french"), [
    (phrase("car", adjective="black"), "la voiture noire"),
    (phrase("car", plural=True, adjective="black"), "les voitures noires"),
    (phrase("cat", plural=True, adjective="white"), "les chats blancs"),
    (phrase("mouse", "a", adjective="white"), "une souris blanche"),
    (phrase("girl", "my", plural=True, adjective="small"), "mes petites filles"),
    (phrase("horse", "number", plural=True, adjective="good", number="three"), "trois bons chevaux"),
    (phrase("boy", "a", adjective="happy"), "un garçon heureux"),
    (phrase("woman", "the", plural=True, adjective="happy"), "les femmes heureuses"),
])
def test_agreement_of_articles_and_adjectives(noun_phrase, french):
    assert " ".join(noun_phrase.french()) == french


def test_adjective_position():
    assert phrase("cat", adjective="black").french() == ["le", "chat", "noir"]   # after the noun
    assert phrase("cat", adjective="small").french() == ["le", "petit", "chat"]  # before the noun
    assert phrase("cat", adjective="black").english() == ["the", "black", "cat"]


@pytest.mark.parametrize(("sentence", "french"), [
    (("I", VERB["like"], [phrase("man")]), "j'aime l'homme ."),
    (("I", VERB["like"], [phrase("tree", adjective="big")]), "j'aime le grand arbre ."),
    (("he", VERB["like"], [phrase("orange", "a")], "present", "negation"), "il n'aime pas d'orange ."),
    (("he", VERB["eat"], [phrase("apple", "a")], "present", "negation"), "il ne mange pas de pomme ."),
    (("she", VERB["see"], [phrase("bird", "some", plural=True)], "past", "question"),
     "est-ce qu'elle a vu des oiseaux ?"),
    (("we", VERB["see"], [phrase("picture", "my")], "past", "negation"), "nous n'avons pas vu mon image ."),
    ((phrase("child"), VERB["sleep"], [], "past", "statement"), "l'enfant a dormi ."),
    (("they", VERB["take"], [phrase("hat", "some", plural=True, adjective="small")]), "ils prennent de petits chapeaux ."),
    ((phrase("girl", "a"), VERB["follow"], [phrase("dog")], "present", "question"), "est-ce qu'une fille suit le chien ?"),
])
def test_elision_negation_and_questions(sentence, french):
    assert french_of(*sentence) == french


def test_english_side():
    assert english_of("he", VERB["eat"], [phrase("apple", "a")], "present", "negation") == "he does not eat an apple ."
    assert english_of("they", VERB["see"], [phrase("dog", "some", plural=True)], "past", "negation") == (
        "they did not see any dogs .")
    assert english_of(phrase("mouse", plural=True), VERB["run"], [], "present", "question") == "do the mice run ?"
    assert english_of("I", VERB["write"], [phrase("book", "my")], "past") == "I wrote my book ."


def test_every_english_sentence_has_one_translation():
    """No English sentence of the grammar is ambiguous (e.g. "they read" is present or past): else a model
    could not know which French sentence the data expects."""
    import random

    rng = random.Random(0)
    translations: dict[str, set[str]] = {}
    for _ in range(30000):
        sentence = grammar._sentence(rng)
        translations.setdefault(sentence.english(), set()).add(sentence.french())
    ambiguous = {english: french for english, french in translations.items() if len(french) > 1}
    assert not ambiguous, f"English sentences with several translations: {list(ambiguous.items())[:3]}"


def test_no_colour_for_people():
    people = [noun for noun in grammar.NOUNS if "person" in noun.kinds]
    for adjective in ("red", "black", "white", "green", "blue"):
        assert not any(grammar._adjective_fits(ADJECTIVE[adjective], noun) for noun in people)


def test_deterministic_from_the_seed():
    assert data.sample_pairs(50, seed=3) == data.sample_pairs(50, seed=3)
    assert data.sample_pairs(50, seed=3) != data.sample_pairs(50, seed=4)
    assert data.translation_splits(300, 50, 50, seed=1).test == data.translation_splits(300, 50, 50, seed=1).test
    assert data.english_sentences(5, seed=2) == [english for english, _ in data.sample_pairs(5, seed=2)]


def test_pairs_are_distinct():
    english = [pair[0] for pair in data.sample_pairs(2000, seed=0)]
    assert len(set(english)) == len(english)


@pytest.fixture(scope="module")
def splits():
    return data.translation_splits(seed=0)


def test_split_is_compositional(splits):
    singular = {form: noun.english for noun in grammar.NOUNS for form in (noun.english, noun.english_plural)}
    adjectives = set(ADJECTIVE)

    def combinations(pairs):
        """Adjective-noun combinations read off the English text alone (independently of the generator)."""
        found = set()
        for english, _ in pairs:
            words = english.split()
            found |= {(a, singular[n]) for a, n in zip(words, words[1:]) if a in adjectives and n in singular}
        return found

    held_out = splits.held_out
    assert held_out and held_out <= set(grammar.all_combinations())
    assert not combinations(splits.train) & held_out, "a held-out combination occurs in training"
    assert not combinations(splits.valid) & held_out, "a held-out combination occurs in validation"
    for english, _ in splits.test:
        sentence_combinations = combinations([(english, "")])
        assert sentence_combinations & held_out, f"test sentence without a held-out combination: {english}"


def test_no_sentence_in_two_splits(splits):
    train, valid, test = ({english for english, _ in part} for part in (splits.train, splits.valid, splits.test))
    assert len(train) == len(splits.train) and len(valid) == len(splits.valid) and len(test) == len(splits.test)
    assert not train & valid and not train & test and not valid & test
    french = [french for part in (splits.train, splits.valid, splits.test) for _, french in part]
    assert len(set(french)) == len(french)


def test_every_test_word_is_seen_in_training(splits):
    train_words = {word for english, french in splits.train for word in english.split() + data.tokenize(french)}
    test_words = {word for english, french in splits.test for word in english.split() + data.tokenize(french)}
    assert test_words <= train_words, f"unseen test words: {sorted(test_words - train_words)}"


def test_long_pairs_are_longer_than_any_training_sentence(splits):
    lengths = [(len(english.split()), len(data.tokenize(french))) for english, french in data.sample_pairs(20000, 7)]
    assert max(english for english, _ in lengths) == grammar.MAX_ENGLISH_WORDS
    assert max(french for _, french in lengths) == grammar.MAX_FRENCH_TOKENS
    train_words = {word for english, french in splits.train for word in english.split() + data.tokenize(french)}
    long = data.long_pairs(200, seed=0, exclude=splits.held_out)
    assert len({english for english, _ in long}) == 200
    for english, french in long:
        assert len(english.split()) > grammar.MAX_ENGLISH_WORDS
        assert len(data.tokenize(french)) > grammar.MAX_FRENCH_TOKENS
        assert sum(english.count(mark) for mark in ".?") == 2 == sum(french.count(mark) for mark in ".?")
        assert set(english.split() + data.tokenize(french)) <= train_words, "long pairs use only known words"
    held = {f"{adjective} {noun}" for adjective, noun in splits.held_out}
    assert not any(pair in english for english, _ in long for pair in held)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be"):
        data.sample_pairs(-1)


# --- tokenize / Vocabulary ---------------------------------------------------------------------------------

def test_tokenize_splits_elisions_and_detokenize_inverts_it():
    text = "est-ce qu'il n'aime pas l'homme ?"
    assert data.tokenize(text) == ["est-ce", "qu'", "il", "n'", "aime", "pas", "l'", "homme", "?"]
    assert data.detokenize(data.tokenize(text)) == text
    for _, french in data.sample_pairs(300, seed=1):
        assert data.detokenize(data.tokenize(french)) == french


def test_vocabulary_round_trip_and_specials():
    pairs = data.sample_pairs(500, seed=0)
    vocab = data.Vocabulary.from_texts(french for _, french in pairs)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    french = pairs[0][1]
    ids = vocab.encode(french, bos=True, eos=True)
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id
    assert vocab.decode(ids + [vocab.pad_id, 17]) == french  # stops at <eos>
    assert vocab.encode("zzz") == [vocab.unk_id]
    assert len(vocab) == len(set(vocab.itos))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.decode([len(vocab)])
    with pytest.raises(ValueError, match="start with the special tokens"):
        data.Vocabulary(["a", "b"])


def test_vocabulary_decodes_tensors():
    torch = pytest.importorskip("torch")
    vocab = data.Vocabulary.from_texts(["le chat ."])
    assert vocab.decode(torch.tensor(vocab.encode("le chat .", bos=True))) == "le chat ."

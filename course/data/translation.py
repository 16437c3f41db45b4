"""An English → French sentence generator: the course's own translation data, deterministic from a seed.

About a hundred English words. Every sentence has a subject (a pronoun or a noun phrase), a verb in the
present or the past, and, for transitive verbs, an object. It is a statement, a negation or a yes/no question.
Noun phrases have a determiner (*the*, *a*, *some*, *my*, *two* … *five*) and sometimes an adjective. The
French side follows the rules a learner of French meets first:

- gender and number agreement of articles, possessives and adjectives (*la voiture noire*, *les voitures
  noires*, *mes petites filles*);
- adjective position: most adjectives follow the noun (*le chat noir*), a few precede it (*le petit chat*);
- elision before a vowel or a mute h: *l'homme*, *l'arbre* (but *le grand arbre*), *j'aime*, *n'aime pas*,
  *est-ce qu'il*, *pas d'orange*; *ma* becomes *mon* before a vowel (*mon image*);
- negation *ne … pas*, where the indefinite articles *un / une / des* of the object become *de / d'*
  (*il ne mange pas de pomme*), and *des* becomes *de* before an adjective that precedes the noun
  (*de petits chats*);
- the present and the passé composé (*il a vu*), and questions with *est-ce que*.

Examples::

    >>> from course.data import sample_pairs
    >>> for english, french in sample_pairs(3, seed=0):
    ...     print(english, "->", french)

:func:`translation_splits` makes a **compositional** split: the test set holds adjective–noun combinations
that never occur in the training or validation sets, although every one of its words does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from course.data.vocabulary import tokenize

Pair = tuple[str, str]

VOWELS = tuple("aeiouéèêàâîôû")
MUTE_H = {"homme", "hommes"}
ELIDABLE = {"le": "l'", "la": "l'", "de": "d'", "ne": "n'", "je": "j'", "que": "qu'"}


@dataclass(frozen=True)
class Noun:
    english: str
    english_plural: str
    french: str
    french_plural: str
    gender: str  # "m" or "f"
    kinds: frozenset[str]  # "animate", "thing", "food", "readable"


@dataclass(frozen=True)
class Adjective:
    english: str
    forms: tuple[str, str, str, str]  # masculine singular, feminine singular, masculine plural, feminine plural
    before_noun: bool = False
    fits: str = "any"  # the nouns it may describe: "any", "animate", or "nonhuman" (animals and things)

    def french(self, gender: str, plural: bool) -> str:
        return self.forms[(gender == "f") + 2 * plural]


@dataclass(frozen=True)
class Verb:
    english: tuple[str, str, str]  # base, third person singular, past
    present: tuple[str, str, str, str, str]  # je, tu, il/elle, nous, ils
    participle: str
    objects: str | None  # the kind of noun it takes as object, None for an intransitive verb
    subjects: str = "animate"  # the kind of noun it takes as subject


def _noun(english, french, gender, kinds, english_plural=None, french_plural=None):
    return Noun(english, english_plural or english + "s", french, french_plural or french + "s", gender,
                frozenset(kinds.split()))


NOUNS = (
    _noun("cat", "chat", "m", "animate animal"),
    _noun("dog", "chien", "m", "animate animal"),
    _noun("bird", "oiseau", "m", "animate animal", french_plural="oiseaux"),
    _noun("horse", "cheval", "m", "animate animal", french_plural="chevaux"),
    _noun("mouse", "souris", "f", "animate animal", english_plural="mice", french_plural="souris"),
    _noun("boy", "garçon", "m", "animate person"),
    _noun("girl", "fille", "f", "animate person"),
    _noun("man", "homme", "m", "animate person", english_plural="men"),
    _noun("woman", "femme", "f", "animate person", english_plural="women"),
    _noun("child", "enfant", "m", "animate person", english_plural="children"),
    _noun("friend", "ami", "m", "animate person"),
    _noun("student", "étudiant", "m", "animate person"),
    _noun("teacher", "professeur", "m", "animate person"),
    _noun("apple", "pomme", "f", "thing food"),
    _noun("orange", "orange", "f", "thing food"),
    _noun("cake", "gâteau", "m", "thing food", french_plural="gâteaux"),
    _noun("book", "livre", "m", "thing readable"),
    _noun("letter", "lettre", "f", "thing readable"),
    _noun("picture", "image", "f", "thing"),
    _noun("house", "maison", "f", "thing"),
    _noun("car", "voiture", "f", "thing"),
    _noun("tree", "arbre", "m", "thing"),
    _noun("flower", "fleur", "f", "thing"),
    _noun("table", "table", "f", "thing"),
    _noun("hat", "chapeau", "m", "thing", french_plural="chapeaux"),
)

ADJECTIVES = (
    # Colours describe animals and things only: the grammar never gives people a colour.
    Adjective("red", ("rouge", "rouge", "rouges", "rouges"), fits="nonhuman"),
    Adjective("black", ("noir", "noire", "noirs", "noires"), fits="nonhuman"),
    Adjective("white", ("blanc", "blanche", "blancs", "blanches"), fits="nonhuman"),
    Adjective("green", ("vert", "verte", "verts", "vertes"), fits="nonhuman"),
    Adjective("blue", ("bleu", "bleue", "bleus", "bleues"), fits="nonhuman"),
    Adjective("happy", ("heureux", "heureuse", "heureux", "heureuses"), fits="animate"),
    Adjective("tired", ("fatigué", "fatiguée", "fatigués", "fatiguées"), fits="animate"),
    Adjective("small", ("petit", "petite", "petits", "petites"), before_noun=True),
    Adjective("big", ("grand", "grande", "grands", "grandes"), before_noun=True),
    Adjective("good", ("bon", "bonne", "bons", "bonnes"), before_noun=True),
    Adjective("pretty", ("joli", "jolie", "jolis", "jolies"), before_noun=True, fits="nonhuman"),
    Adjective("young", ("jeune", "jeune", "jeunes", "jeunes"), before_noun=True, fits="animate"),
)

VERBS = (
    Verb(("see", "sees", "saw"), ("vois", "vois", "voit", "voyons", "voient"), "vu", "any"),
    Verb(("like", "likes", "liked"), ("aime", "aimes", "aime", "aimons", "aiment"), "aimé", "any"),
    Verb(("find", "finds", "found"), ("trouve", "trouves", "trouve", "trouvons", "trouvent"), "trouvé", "any"),
    Verb(("watch", "watches", "watched"), ("regarde", "regardes", "regarde", "regardons", "regardent"),
         "regardé", "any"),
    Verb(("hear", "hears", "heard"), ("entends", "entends", "entend", "entendons", "entendent"), "entendu",
         "animate"),
    Verb(("follow", "follows", "followed"), ("suis", "suis", "suit", "suivons", "suivent"), "suivi", "animate"),
    Verb(("eat", "eats", "ate"), ("mange", "manges", "mange", "mangeons", "mangent"), "mangé", "food"),
    Verb(("take", "takes", "took"), ("prends", "prends", "prend", "prenons", "prennent"), "pris", "thing"),
    # "write", not "read": "they read" would be present or past, an English sentence with two translations.
    Verb(("write", "writes", "wrote"), ("écris", "écris", "écrit", "écrivons", "écrivent"), "écrit", "readable",
         "person"),
    Verb(("draw", "draws", "drew"), ("dessine", "dessines", "dessine", "dessinons", "dessinent"), "dessiné",
         "any", "person"),
    Verb(("sleep", "sleeps", "slept"), ("dors", "dors", "dort", "dormons", "dorment"), "dormi", None),
    Verb(("run", "runs", "ran"), ("cours", "cours", "court", "courons", "courent"), "couru", None),
)
AVOIR = ("ai", "as", "a", "avons", "ont")

# English pronoun -> (French pronoun, person index into Verb.present, English takes the -s form)
PRONOUNS = {
    "I": ("je", 0, False), "you": ("tu", 1, False), "he": ("il", 2, True), "she": ("elle", 2, True),
    "we": ("nous", 3, False), "they": ("ils", 4, False),
}
NUMBERS = {"two": "deux", "three": "trois", "four": "quatre", "five": "cinq"}
DETERMINERS = ("the", "a", "some", "my", "number")


def _starts_with_vowel(word: str) -> bool:
    return word.startswith(VOWELS) or word in MUTE_H


def _elide(words: list[str]) -> str:
    """Join French words, eliding le/la/de/ne/je/que before a vowel or a mute h."""
    out: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in ELIDABLE and _starts_with_vowel(following):
            out.append(ELIDABLE[word] + following)
            words[index + 1] = ""  # consumed
        elif word:
            out.append(word)
    return " ".join(out)


def _adjective_fits(adjective: Adjective, noun: Noun) -> bool:
    if adjective.fits == "animate":
        return "animate" in noun.kinds
    if adjective.fits == "nonhuman":
        return "person" not in noun.kinds
    return True


@dataclass(frozen=True)
class NounPhrase:
    noun: Noun
    plural: bool
    determiner: str  # one of DETERMINERS
    number: str | None = None  # English number word when determiner == "number"
    adjective: Adjective | None = None

    def english(self, negated_object: bool = False) -> list[str]:
        noun = self.noun.english_plural if self.plural else self.noun.english
        words = ([self.adjective.english] if self.adjective else []) + [noun]
        if self.determiner == "a":
            determiner = "an" if words[0].startswith(tuple("aeiou")) else "a"
        elif self.determiner == "some":
            determiner = "any" if negated_object else "some"  # he does not see any dogs
        else:
            determiner = {"the": "the", "my": "my"}.get(self.determiner, self.number)
        return [determiner, *words]

    def french(self, negated_object: bool = False) -> list[str]:
        gender, plural = self.noun.gender, self.plural
        noun = self.noun.french_plural if plural else self.noun.french
        if self.adjective is None:
            words = [noun]
        elif self.adjective.before_noun:
            words = [self.adjective.french(gender, plural), noun]
        else:
            words = [noun, self.adjective.french(gender, plural)]
        if self.determiner == "the":
            determiner = "les" if plural else ("la" if gender == "f" else "le")
        elif self.determiner in ("a", "some"):
            if negated_object:
                determiner = "de"  # il ne voit pas de chien / d'oiseau
            elif plural:
                determiner = "de" if self.adjective and self.adjective.before_noun else "des"
            else:
                determiner = "une" if gender == "f" else "un"
        elif self.determiner == "my":
            if plural:
                determiner = "mes"
            else:
                determiner = "ma" if gender == "f" and not _starts_with_vowel(words[0]) else "mon"
        else:
            determiner = NUMBERS[self.number]
        return [determiner, *words]

    def combination(self) -> tuple[str, str] | None:
        """The (adjective, noun) English combination of this phrase, if it has an adjective."""
        return (self.adjective.english, self.noun.english) if self.adjective else None


@dataclass(frozen=True)
class Sentence:
    subject: NounPhrase | str  # a noun phrase or an English pronoun
    verb: Verb
    objects: tuple[NounPhrase, ...]
    tense: str  # "present" or "past"
    form: str  # "statement", "negation" or "question"

    def combinations(self) -> set[tuple[str, str]]:
        phrases = [self.subject, *self.objects] if isinstance(self.subject, NounPhrase) else list(self.objects)
        return {phrase.combination() for phrase in phrases if phrase.combination()}

    def _person(self) -> tuple[int, bool]:
        """(index into Verb.present, English takes the third-person -s)."""
        if isinstance(self.subject, str):
            _, person, third = PRONOUNS[self.subject]
            return person, third
        return (4, False) if self.subject.plural else (2, True)

    def _object_words(self, language: str) -> list[str]:
        words: list[str] = []
        for index, phrase in enumerate(self.objects):
            if index:
                words.append("and" if language == "en" else "et")
            if language == "en":
                words += phrase.english(negated_object=self.form == "negation")
            else:
                words += phrase.french(negated_object=self.form == "negation")
        return words

    def english(self) -> str:
        person, third = self._person()
        subject = [self.subject] if isinstance(self.subject, str) else self.subject.english()
        base, third_form, past = self.verb.english
        auxiliary = "did" if self.tense == "past" else ("does" if third else "do")
        if self.form == "question":
            words = [auxiliary, *subject, base]
        elif self.form == "negation":
            words = [*subject, auxiliary, "not", base]
        else:
            words = [*subject, past if self.tense == "past" else (third_form if third else base)]
        words += self._object_words("en")
        words.append("?" if self.form == "question" else ".")
        return " ".join(words)

    def french(self) -> str:
        person, _ = self._person()
        subject = [PRONOUNS[self.subject][0]] if isinstance(self.subject, str) else self.subject.french()
        if self.tense == "past":
            verb = [AVOIR[person], self.verb.participle]
        else:
            verb = [self.verb.present[person]]
        if self.form == "negation":
            verb = ["ne", verb[0], "pas", *verb[1:]]
        words = [*subject, *verb, *self._object_words("fr")]
        if self.form == "question":
            words = ["est-ce", "que", *words, "?"]
        else:
            words.append(".")
        return _elide(words)


def _noun_phrase(rng: random.Random, kind: str, adjective_rate: float = 0.5,
                 combination: tuple[str, str] | None = None) -> NounPhrase:
    """A random noun phrase whose noun has ``kind`` (or a given (adjective, noun) combination)."""
    if combination:
        adjective = next(a for a in ADJECTIVES if a.english == combination[0])
        noun = next(n for n in NOUNS if n.english == combination[1])
    else:
        noun = rng.choice([n for n in NOUNS if kind == "any" or kind in n.kinds])
        fitting = [a for a in ADJECTIVES if _adjective_fits(a, noun)]
        adjective = rng.choice(fitting) if rng.random() < adjective_rate else None
    determiner = rng.choice(DETERMINERS)
    if determiner == "a":
        plural = False
    elif determiner in ("some", "number"):
        plural = True
    else:
        plural = rng.random() < 0.4
    number = rng.choice(list(NUMBERS)) if determiner == "number" else None
    return NounPhrase(noun, plural, determiner, number, adjective)


def _sentence(rng: random.Random, objects: int = 1, force: tuple[str, str] | None = None,
              forms: tuple[str, ...] = ("statement", "statement", "negation", "question"),
              adjective_rate: float = 0.5) -> Sentence:
    """A random sentence; ``force`` puts the given (adjective, noun) combination in it."""
    force_noun = next((n for n in NOUNS if force and n.english == force[1]), None)
    verbs = [v for v in VERBS if v.objects or objects == 1]
    force_subject = False
    if force_noun:
        # The forced combination goes in the subject or in the object, wherever the verb allows it.
        force_subject = "animate" in force_noun.kinds and rng.random() < 0.5
        if force_subject:
            verbs = [v for v in verbs if v.subjects in force_noun.kinds]
        else:
            verbs = [v for v in verbs if v.objects and (v.objects == "any" or v.objects in force_noun.kinds)]
    verb = rng.choice(verbs)
    if force_subject:
        subject: NounPhrase | str = _noun_phrase(rng, verb.subjects, combination=force)
    elif rng.random() < 0.3:
        subject = rng.choice(list(PRONOUNS))
    else:
        subject = _noun_phrase(rng, verb.subjects, adjective_rate)
    phrases = []
    if verb.objects:
        for index in range(objects):
            forced_here = force if (force_noun and not force_subject and index == 0) else None
            phrases.append(_noun_phrase(rng, verb.objects, adjective_rate, combination=forced_here))
    return Sentence(subject, verb, tuple(phrases), rng.choice(("present", "past")), rng.choice(forms))


def _distinct_pairs(make, n: int, exclude: set[str] = frozenset(), max_tries: int = 200) -> list[Pair]:
    """``n`` distinct (english, french) pairs from ``make()``, none whose English is in ``exclude``."""
    pairs: list[Pair] = []
    seen = set(exclude)
    tries = 0
    while len(pairs) < n:
        sentence = make()
        english = sentence.english()
        if english in seen:
            tries += 1
            if tries > max_tries * n:
                raise ValueError(f"could not find {n} distinct sentences; ask for fewer")
            continue
        seen.add(english)
        pairs.append((english, sentence.french()))
    return pairs


def sample_pairs(n: int, seed: int = 0) -> list[Pair]:
    """``n`` distinct random (english, french) sentence pairs, the same for the same seed.

    >>> sample_pairs(2, seed=3)  # doctest: +SKIP
    [('the girls did not eat an apple .', "les filles n'ont pas mangé de pomme ."), ...]
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    return _distinct_pairs(lambda: _sentence(rng), n)


def english_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct English sentences of the grammar (text for a language model), deterministic."""
    return [english for english, _ in sample_pairs(n, seed)]


# The longest single sentences (checked by the unit tests): 11 French tokens, 10 English words.
MAX_FRENCH_TOKENS, MAX_ENGLISH_WORDS = 11, 10


def long_pairs(n: int, seed: int = 0, exclude: set[tuple[str, str]] | frozenset = frozenset()) -> list[Pair]:
    """``n`` pairs of two sentences in a row ("the cat sleeps . did she see a dog ?"), each pair longer than any
    single sentence of :func:`sample_pairs` or :func:`translation_splits` (more than ``MAX_FRENCH_TOKENS``
    French tokens and ``MAX_ENGLISH_WORDS`` English words).

    Every word and every sentence pattern is one the grammar makes; only the length is new. Pass the
    ``held_out`` combinations of a split as ``exclude`` so that nothing but the length differs from training.
    For showing what a model trained on single sentences does *not* learn.
    """
    rng = random.Random(seed)

    def single() -> Sentence:
        while True:
            sentence = _sentence(rng)
            if not sentence.combinations() & set(exclude):
                return sentence

    def make() -> tuple[str, str]:
        while True:
            first, second = single(), single()
            english, french = f"{first.english()} {second.english()}", f"{first.french()} {second.french()}"
            if len(tokenize(french)) > MAX_FRENCH_TOKENS and len(english.split()) > MAX_ENGLISH_WORDS:
                return english, french

    pairs: list[Pair] = []
    seen: set[str] = set()
    while len(pairs) < n:
        english, french = make()
        if english not in seen:
            seen.add(english)
            pairs.append((english, french))
    return pairs


@dataclass
class TranslationSplits:
    """A compositional split: ``test`` holds the ``held_out`` adjective–noun combinations, ``train`` and
    ``valid`` never do; no sentence is in two splits; every word of ``test`` occurs in ``train``."""

    train: list[Pair]
    valid: list[Pair]
    test: list[Pair]
    held_out: set[tuple[str, str]] = field(default_factory=set)
    seed: int = 0


def all_combinations() -> list[tuple[str, str]]:
    """Every (adjective, noun) English combination the grammar can produce, in a fixed order."""
    return [(a.english, n.english) for a in ADJECTIVES for n in NOUNS if _adjective_fits(a, n)]


def translation_splits(n_train: int = 6000, n_valid: int = 500, n_test: int = 500, seed: int = 0,
                       held_out_fraction: float = 0.15) -> TranslationSplits:
    """Train, validation and compositional test sets, deterministic from ``seed``.

    A fraction ``held_out_fraction`` of all adjective–noun combinations (for example *red horse*) is kept
    for the test set: every test sentence contains at least one of them, no train or validation sentence
    contains any. The validation set comes from the training distribution (new sentences, known
    combinations). Each adjective and each noun of a held-out combination still occurs in training with
    other partners, so the test measures whether the model *combines* what it knows.
    """
    rng = random.Random(seed)
    combinations = all_combinations()
    count = max(1, round(held_out_fraction * len(combinations)))
    while True:  # re-draw until every adjective and noun keeps partners in training
        held_out = set(rng.sample(combinations, count))
        kept = [c for c in combinations if c not in held_out]
        if {a for a, _ in kept} == {a for a, _ in combinations} and {n for _, n in kept} == {
                n for _, n in combinations}:
            break

    def known_only() -> Sentence:
        while True:
            sentence = _sentence(rng)
            if not sentence.combinations() & held_out:
                return sentence

    ordered_held_out = sorted(held_out)
    train = _distinct_pairs(known_only, n_train)
    valid = _distinct_pairs(known_only, n_valid, exclude={english for english, _ in train})
    test = _distinct_pairs(lambda: _sentence(rng, force=rng.choice(ordered_held_out)), n_test,
                           exclude={english for english, _ in train + valid})
    return TranslationSplits(train, valid, test, held_out, seed)

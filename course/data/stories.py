"""Short English stories and descriptions: the course's pre-training text for its small language models.

The stories reuse the nouns, adjectives and verbs of the translation grammar (:mod:`course.data.translation`)
and add several hundred more words: names, animals, places, things, feelings, weather, dialogue. A story is
an opening, a few events drawn from a pool of sentence patterns (with dialogue in quotes), and an ending;
a description is a few sentences about a place. Everything is deterministic from a seed.

Examples::

    >>> from course.data.stories import stories
    >>> print(stories(1, seed=0)[0])  # doctest: +SKIP
    One cold morning, Nora walked to the old harbour. ...

:func:`story_splits` gives disjoint train / validation / test lists (no text in two splits).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from course.data.translation import ADJECTIVES as GRAMMAR_ADJECTIVES
from course.data.translation import NOUNS as GRAMMAR_NOUNS

# name -> "he" or "she"
NAMES = {
    **dict.fromkeys(
        """Anna Clara Emma Julia Lena Lucy Maya Nora Olivia Rosa Sara Zoe Alice Bella Chloe Daisy
        Ella Fiona Grace Hannah Iris Jane Kate Laura Mia Nina Paula Ruby Sophie Tara Una Vera Wendy Amelia Eva
        Helen Ivy Lily Martha Molly""".split(),
        "she",
    ),
    **dict.fromkeys(
        """Ben Carl David Felix Hugo Jack Leo Max Noah Oscar Paul Sam Tom Victor Adam Arthur Charlie
        Daniel Eric Frank George Harry Isaac James Kevin Liam Mark Oliver Peter Ryan Simon Theo Walter Alex
        Bruno Colin Dennis Edgar Fred Henry""".split(),
        "he",
    ),
}

ANIMALS = (
    "cat dog bird horse mouse fox rabbit bear owl duck frog goat sheep wolf turtle squirrel hen cow "
    "pig lion tiger deer donkey hedgehog badger crow swan goose beaver otter mole snail bee"
).split()
PEOPLE = (
    "boy girl man woman child friend student teacher baker farmer fisherman sailor doctor painter "
    "king queen prince princess knight wizard giant neighbour grandmother grandfather"
).split()
IRREGULAR_PLURALS = {
    "mouse": "mice",
    "man": "men",
    "woman": "women",
    "child": "children",
    "sheep": "sheep",
    "deer": "deer",
    "goose": "geese",
    "wolf": "wolves",
    "knife": "knives",
    "leaf": "leaves",
    "fisherman": "fishermen",
    "shelf": "shelves",
    "loaf": "loaves",
    "princess": "princesses",
    "fox": "foxes",
    "box": "boxes",
    "glass": "glasses",
    "peach": "peaches",
    "dish": "dishes",
    "bench": "benches",
    "brush": "brushes",
    "watch": "watches",
    "cherry": "cherries",
    "strawberry": "strawberries",
    "berry": "berries",
    "puppy": "puppies",
    "key": "keys",
}

THINGS = (
    "apple orange cake book letter picture house car tree flower table hat key box ball kite lamp map shell "
    "stone coin ring basket bottle umbrella blanket bicycle boat clock cup spoon knife feather candle "
    "drum guitar violin scarf glove boot bag bucket ladder rope net leaf pebble mirror bell whistle "
    "pencil notebook envelope button bench brush watch glass dish"
).split()
FOODS = (
    "apple orange cake bread cheese soup pie cookie carrot potato tomato peach pear plum cherry strawberry "
    "banana honey jam milk tea egg berry pancake sandwich"
).split()
COUNTABLE_FOODS = tuple(
    food for food in FOODS if food not in ("bread", "cheese", "soup", "honey", "jam", "milk", "tea")
)
SOUPS = ("carrot", "potato", "tomato", "pea", "onion", "pumpkin", "bean", "mushroom", "fish", "chicken")
PLACES = (
    "garden forest river village market school kitchen beach hill park library farm lake bridge station "
    "museum harbour field mountain cave island street bakery castle meadow orchard valley pond attic "
    "cellar square playground lighthouse barn workshop"
).split()
PLACE_ADJECTIVES = (
    "quiet busy old small big dark bright sunny cold warm noisy empty crowded peaceful strange "
    "beautiful muddy green windy foggy"
).split()
ADJECTIVES = sorted(
    {a.english for a in GRAMMAR_ADJECTIVES}
    | set(
        """old tiny huge shiny quiet brave curious sleepy hungry strange golden wooden broken heavy soft
        bright dark warm cold yellow purple brown grey silver round square long short clever kind shy lazy
        funny gentle noisy fluffy striped spotted rusty dusty magic secret lost little wild""".split()
    )
)
ANIMATE_ADJECTIVES = (
    "happy tired brave curious sleepy hungry clever kind shy lazy funny gentle noisy fluffy "
    "striped spotted little young wild old small big"
).split()
THING_ADJECTIVES = (
    "red black white green blue yellow purple brown grey silver golden wooden broken heavy "
    "soft shiny round square long short old tiny huge rusty dusty magic secret lost small big "
    "pretty strange little"
).split()
FEELINGS = (
    "happy sad surprised scared proud tired excited worried calm angry curious lonely hopeful "
    "grateful nervous"
).split()
TIMES = (
    "One morning",
    "One evening",
    "Last winter",
    "Last summer",
    "On a rainy day",
    "Every Sunday",
    "Late at night",
    "After school",
    "In the spring",
    "Early one morning",
    "On a cold afternoon",
    "Long ago",
    "Yesterday",
    "On Monday",
    "On Saturday",
    "One autumn day",
    "At dawn",
    "At noon",
    "During the holidays",
    "Before breakfast",
)
WEATHER = (
    "The sun was shining",
    "It was raining",
    "The wind was cold",
    "Snow covered the roofs",
    "The sky was grey",
    "A soft rain was falling",
    "The air smelled of flowers",
    "It was very hot",
    "Thick fog hid the hills",
    "The stars were bright",
    "A storm was coming",
    "The morning was clear",
    "Leaves were falling from the trees",
    "The ground was white with frost",
)
WENT = ("walked", "ran", "went", "hurried", "cycled", "wandered", "drove", "sailed", "climbed")
FOUND_VERBS = ("found", "saw", "noticed", "discovered", "spotted")
LOCATIONS = (
    "under the {thing}",
    "behind the {place_thing}",
    "near the {place_thing}",
    "on the {thing}",
    "next to the {place_thing}",
    "inside an old {container}",
    "at the bottom of the {water}",
    "in the middle of the road",
    "between two {plural_thing}",
    "on top of the {place_thing}",
)
PLACE_THINGS = (
    "tree",
    "wall",
    "gate",
    "fence",
    "door",
    "window",
    "bench",
    "bridge",
    "fountain",
    "rock",
    "well",
    "stairs",
    "barn",
    "shed",
    "hedge",
)
CONTAINERS = ("box", "basket", "bag", "bucket", "bottle", "drawer", "chest", "boot")
WATERS = ("pond", "river", "lake", "well", "sea")
ACTIONS_WITH = (
    "put it in {his} bag",
    "showed it to {friend}",
    "carried it home",
    "cleaned it carefully",
    "held it up to the light",
    "wrapped it in a scarf",
    "gave it to {his} {relative}",
    "hid it under {his} bed",
    "put it back where it was",
    "took a picture of it",
)
RELATIVES = ("mother", "father", "sister", "brother", "aunt", "uncle", "grandmother", "grandfather", "cousin")
JOINT_ACTIONS = (
    "painted",
    "fixed",
    "cleaned",
    "opened",
    "carried",
    "measured",
    "counted",
    "decorated",
    "studied",
    "buried",
    "repaired",
    "sold",
    "shared",
)
PROBLEMS = (
    "broken",
    "too heavy",
    "locked",
    "wet",
    "stuck",
    "too small",
    "empty",
    "covered in mud",
    "very old",
    "full of sand",
)
FIXES = (
    "asked {friend} for help",
    "found a better idea",
    "tried again",
    "waited until the next day",
    "went to see the {person}",
    "used a long {tool}",
    "read an old book about it",
    "sat down to think",
)
TOOLS = ("rope", "stick", "ladder", "hammer", "spoon", "key", "brush")
SAID = ("said", "asked", "whispered", "shouted", "called", "replied", "answered", "laughed")
GREETINGS = ("Hello", "Good morning", "Look", "Hey", "Come here", "Wait", "Listen", "Good evening")
QUESTIONS = (
    "What is this",
    "Where did you find it",
    "Can you help me",
    "Is it yours",
    "Do you want to come",
    "What should we do",
    "Have you seen my {thing}",
    "Who left this here",
    "Why is it so {adjective}",
    "Shall we go to the {place}",
    "Can I keep it",
    "Is it magic",
)
ANSWERS = (
    "I do not know",
    "Let us find out",
    "Of course",
    "Not today",
    "Maybe tomorrow",
    "It belongs to the {person}",
    "I saw it in the {place}",
    "We can try",
    "Be careful",
    "It is a secret",
    "Follow me",
    "That is wonderful",
)
REACTIONS = ("smiled", "laughed", "nodded", "frowned", "shrugged", "clapped", "sighed", "jumped with joy")
EVENING_ACTIONS = (
    "ate a bowl of {food} soup",
    "told {his} family everything",
    "wrote a long letter",
    "drew a picture of the {thing}",
    "read a book by the fire",
    "fell asleep at once",
    "looked at the stars",
    "drank a cup of warm milk",
    "played the {instrument}",
)
INSTRUMENTS = ("guitar", "violin", "drum", "piano", "flute")
ENDINGS = (
    "In the end, {name} felt {feeling}.",
    "From that day on, {name} and {friend} were best friends.",
    "That evening, {he} went home and {evening_action}.",
    "{name} never forgot that {time_noun}.",
    "It was the best {time_noun} of {his} life.",
    "The next morning, the {thing} was gone.",
    "Since then, {name} visits the {place} every {weekday}.",
    "And that is how the {thing} came to the {place}.",
)
TIME_NOUNS = ("day", "morning", "evening", "summer", "winter", "afternoon", "week")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "many", "a few", "several")
DESCRIPTION_VERBS = (
    "sleeping",
    "playing",
    "singing",
    "eating",
    "waiting",
    "resting",
    "running",
    "hiding",
    "dancing",
    "talking",
    "reading",
    "working",
)

FOOD_ADJECTIVES = ("fresh", "sweet", "warm", "big", "small")
AFTER_EATING = ("looked around", "waited", "listened", "sang a song", "counted the clouds")
DESCRIPTION_TIMES = ("today", "tonight", "this morning", "in winter", "in summer")

# Every noun of the translation grammar appears in the stories too.
_GRAMMAR_NOUNS = tuple(noun.english for noun in GRAMMAR_NOUNS)


def plural(noun: str) -> str:
    """English plural of a story noun (irregular ones listed, else -s / -es / -ies)."""
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def article(word: str) -> str:
    """``a`` or ``an`` before ``word``."""
    return "an" if word[0] in "aeiou" else "a"


@dataclass
class _Cast:
    name: str
    he: str
    friend: str
    place: str
    thing: str
    creature: str

    @property
    def his(self) -> str:
        return "his" if self.he == "he" else "her"


def _fill(rng: random.Random, template: str, cast: _Cast) -> str:
    """Fill the {slots} of ``template`` from the cast or at random."""
    values = {
        "name": cast.name,
        "friend": cast.friend,
        "he": cast.he,
        "He": cast.he.capitalize(),
        "his": cast.his,
        "His": cast.his.capitalize(),
        "place": cast.place,
        "thing": cast.thing,
        "place_thing": rng.choice(PLACE_THINGS),
        "container": rng.choice(CONTAINERS),
        "water": rng.choice(WATERS),
        "plural_thing": plural(rng.choice(THINGS)),
        "relative": rng.choice(RELATIVES),
        "person": rng.choice(PEOPLE),
        "tool": rng.choice(TOOLS),
        "food": rng.choice(SOUPS),
        "instrument": rng.choice(INSTRUMENTS),
        "feeling": rng.choice(FEELINGS),
        "time_noun": rng.choice(TIME_NOUNS),
        "weekday": rng.choice(WEEKDAYS),
        "adjective": rng.choice(THING_ADJECTIVES),
        "evening_action": "",
        "location": "",
    }
    if "{evening_action}" in template:
        values["evening_action"] = _fill(rng, rng.choice(EVENING_ACTIONS), cast)
    if "{location}" in template:
        values["location"] = _fill(rng, rng.choice(LOCATIONS), cast)
    return template.format(**values)


def _noun_phrase(
    rng: random.Random, noun: str, adjectives: tuple[str, ...] | list[str], rate: float = 0.6
) -> str:
    words = ([rng.choice(adjectives)] if rng.random() < rate else []) + [noun]
    return f"{article(words[0])} {' '.join(words)}"


def _opening(rng: random.Random, cast: _Cast) -> list[str]:
    place_adjective = rng.choice(PLACE_ADJECTIVES)
    choice = rng.randrange(5)
    if choice == 0:
        return [f"{rng.choice(TIMES)}, {cast.name} {rng.choice(WENT)} to the {place_adjective} {cast.place}."]
    if choice == 1:
        creature = _noun_phrase(rng, cast.creature, ANIMATE_ADJECTIVES, 0.8)
        return [
            f"Once upon a time, there was {creature} called {cast.name}.",
            f"{cast.he.capitalize()} lived near the {place_adjective} {cast.place}.",
        ]
    if choice == 2:
        loves = plural(rng.choice(THINGS + list(COUNTABLE_FOODS)))
        return [
            f"{cast.name} was {_noun_phrase(rng, cast.creature, ANIMATE_ADJECTIVES, 0.9)} who loved {loves}.",
            f"{rng.choice(TIMES)}, {cast.he} went to the {cast.place} with {cast.friend}.",
        ]
    if choice == 3:
        return [f"{rng.choice(WEATHER)} when {cast.name} arrived at the {cast.place}."]
    return [
        f"{rng.choice(TIMES)}, {cast.name} and {cast.friend} decided to visit the {place_adjective} "
        f"{cast.place}.",
        f"{rng.choice(WEATHER)}.",
    ]


def _events(rng: random.Random, cast: _Cast) -> list[str]:
    thing = _noun_phrase(rng, cast.thing, THING_ADJECTIVES)
    he, He = cast.he, cast.he.capitalize()
    pool = [
        lambda: [
            f"Suddenly, {he} {rng.choice(FOUND_VERBS)} {thing} {_fill(rng, rng.choice(LOCATIONS), cast)}.",
            f"{He} {_fill(rng, rng.choice(ACTIONS_WITH), cast)}.",
        ],
        lambda: [
            f"There were {rng.choice(NUMBERS)} {plural(rng.choice(ANIMALS))} "
            f"{_fill(rng, rng.choice(LOCATIONS), cast)}."
        ],
        lambda: [
            f'"{rng.choice(GREETINGS)}, {cast.friend}!" {rng.choice(SAID[:5])} {cast.name}. '
            f'"{_fill(rng, rng.choice(QUESTIONS), cast)}?"',
            f'{cast.friend} {rng.choice(REACTIONS)} and said, "{_fill(rng, rng.choice(ANSWERS), cast)}."',
        ],
        lambda: [f"Together they {rng.choice(JOINT_ACTIONS)} the {cast.thing}."],
        lambda: [
            f"But the {cast.thing} was {rng.choice(PROBLEMS)}, so {he} {_fill(rng, rng.choice(FIXES), cast)}."
        ],
        lambda: [
            f"{cast.name} met {cast.friend}, who was carrying "
            f"{_noun_phrase(rng, rng.choice(THINGS + list(COUNTABLE_FOODS)), THING_ADJECTIVES)}."
        ],
        lambda: [
            f"The {cast.place} was {rng.choice(PLACE_ADJECTIVES)} and full of "
            f"{plural(rng.choice(THINGS + ANIMALS + list(_GRAMMAR_NOUNS)))}."
        ],
        lambda: [f"{He} felt {rng.choice(FEELINGS)} and a little {rng.choice(FEELINGS)}."],
        lambda: [
            f"{He} ate {_noun_phrase(rng, rng.choice(COUNTABLE_FOODS), FOOD_ADJECTIVES)} "
            f"and {rng.choice(AFTER_EATING)}."
        ],
        lambda: [f"{rng.choice(WEATHER)}, but {he} did not want to go home."],
        lambda: [
            f"{He} {rng.choice(('heard', 'saw', 'followed', 'watched'))} "
            f"{_noun_phrase(rng, rng.choice(ANIMALS), ANIMATE_ADJECTIVES)} "
            f"near the {rng.choice(PLACE_THINGS)}."
        ],
    ]
    sentences: list[str] = []
    for index in rng.sample(range(len(pool)), rng.randint(2, 4)):
        sentences += pool[index]()
    return sentences


def story(rng: random.Random) -> str:
    """One story: an opening, two to four events (some with dialogue) and an ending."""
    name = rng.choice(list(NAMES))
    friend = rng.choice([other for other in NAMES if other != name])
    creature = rng.choice(ANIMALS + PEOPLE if rng.random() < 0.5 else PEOPLE)
    cast = _Cast(
        name,
        NAMES[name],
        friend,
        rng.choice(PLACES),
        rng.choice(THINGS + list(_GRAMMAR_NOUNS[13:])),
        creature,
    )
    sentences = _opening(rng, cast) + _events(rng, cast) + [_fill(rng, rng.choice(ENDINGS), cast)]
    return " ".join(sentences)


def description(rng: random.Random) -> str:
    """A short description of a place: what is there and what the animals and people are doing."""
    place = rng.choice(PLACES)
    sentences = [
        f"The {place} is {rng.choice(PLACE_ADJECTIVES)} {rng.choice(DESCRIPTION_TIMES)}."
    ]
    for _ in range(rng.randint(2, 4)):
        kind = rng.random()
        if kind < 0.4:
            creature = rng.choice(ANIMALS + PEOPLE)
            count = rng.choice(NUMBERS)
            adjective = rng.choice(ANIMATE_ADJECTIVES)
            sentences.append(
                f"{count.capitalize()} {adjective} {plural(creature)} are "
                f"{rng.choice(DESCRIPTION_VERBS)} {rng.choice(('near', 'behind', 'under', 'next to'))} "
                f"the {rng.choice(PLACE_THINGS)}."
            )
        elif kind < 0.7:
            thing = rng.choice(THINGS)
            sentences.append(
                f"There is {_noun_phrase(rng, thing, THING_ADJECTIVES, 0.9)} on the "
                f"{rng.choice(('table', 'bench', 'ground', 'grass', 'shelf', 'roof', 'wall'))}."
            )
        else:
            name = rng.choice(list(NAMES))
            sentences.append(
                f"{name} is {rng.choice(DESCRIPTION_VERBS)} with "
                f"{'his' if NAMES[name] == 'he' else 'her'} {rng.choice(RELATIVES)}."
            )
    return " ".join(sentences)


def stories(n: int, seed: int = 0, description_rate: float = 0.2) -> list[str]:
    """``n`` distinct texts, about four in five stories and one in five place descriptions, deterministic."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < n:
        text = description(rng) if rng.random() < description_rate else story(rng)
        if text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


@dataclass
class StorySplits:
    """Disjoint train / validation / test texts from :func:`stories`."""

    train: list[str]
    valid: list[str]
    test: list[str]
    seed: int = 0


def story_splits(n_train: int = 20000, n_valid: int = 500, n_test: int = 500, seed: int = 0) -> StorySplits:
    """Train, validation and test texts, no text in two splits, deterministic from ``seed``."""
    texts = stories(n_train + n_valid + n_test, seed)
    return StorySplits(texts[:n_train], texts[n_train : n_train + n_valid], texts[n_train + n_valid :], seed)

"""A word-level tokenizer and vocabulary for the course's generated sentences.

French elision (``l'``, ``d'``, ``n'``, ``j'``, ``qu'``) is written attached to the next word and split off as
a token of its own, so that ``l'homme`` and ``le chat`` share the article's meaning without a separate token
for every elided word. Punctuation is already separated by spaces in the generated text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


def tokenize(text: str) -> list[str]:
    """Split a generated sentence into words, with elided articles as tokens of their own.

    >>> tokenize("l'homme n'aime pas le chat .")
    ["l'", 'homme', "n'", 'aime', 'pas', 'le', 'chat', '.']
    """
    tokens = []
    for word in text.split():
        while "'" in word[:-1]:
            head, word = word.split("'", 1)
            tokens.append(head + "'")
        tokens.append(word)
    return tokens


def detokenize(tokens: Iterable[str]) -> str:
    """Inverse of :func:`tokenize`: join with spaces, except after an elided word (``l'`` + ``homme``)."""
    text = ""
    for token in tokens:
        text += token if (not text or text.endswith("'")) else " " + token
    return text


class Vocabulary:
    """A word-level vocabulary with the four special tokens first: ``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2,
    ``<unk>`` = 3; the other tokens follow in order of decreasing frequency (ties alphabetical)."""

    def __init__(self, tokens: Sequence[str]):
        if list(tokens[: len(SPECIALS)]) != list(SPECIALS):
            raise ValueError(f"a vocabulary must start with the special tokens {SPECIALS}, got {list(tokens[:4])}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary cannot hold the same token twice")
        self.itos: list[str] = list(tokens)
        self.stoi: dict[str, int] = {token: index for index, token in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = range(len(SPECIALS))

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_count: int = 1) -> Vocabulary:
        """Build the vocabulary of the tokens of ``texts`` that occur at least ``min_count`` times."""
        counts = Counter(token for text in texts for token in tokenize(text))
        kept = sorted((token for token, count in counts.items() if count >= min_count and token not in SPECIALS),
                      key=lambda token: (-counts[token], token))
        return cls([*SPECIALS, *kept])

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens: {', '.join(self.itos[:8])}, ...)"

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        """Token ids of ``text`` (unknown words -> ``<unk>``), optionally framed by ``<bos>`` / ``<eos>``."""
        ids = [self.stoi.get(token, self.unk_id) for token in tokenize(text)]
        return [self.bos_id] * bos + ids + [self.eos_id] * eos

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``: stops at the first ``<eos>``, skips ``<pad>`` and ``<bos>``, re-joins elisions.

        Accepts a list of ints or a 1-D tensor of ids."""
        tokens = []
        for index in ids:
            index = int(index)
            if index == self.eos_id:
                break
            if index in (self.pad_id, self.bos_id):
                continue
            if not 0 <= index < len(self.itos):
                raise ValueError(f"id {index} is outside the vocabulary (0 .. {len(self.itos) - 1})")
            tokens.append(self.itos[index])
        return detokenize(tokens)

# ---
# jupyter:
#   course:
#     title: "Preparing text: tokenization and embeddings"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 10 · Preparing text: tokenization and embeddings
# {{COLAB_BADGE}}
#
# A Transformer never sees letters: it sees a list of integers, and the first thing it does is replace each
# integer by a learned vector. This lesson covers the whole path from a raw string to those vectors.
#
# **You will be able to:**
# - explain the trade-offs between word, character and subword tokenization, and train a BPE tokenizer
#   yourself, both by hand and with the `tokenizers` library;
# - read the output of a real WordPiece tokenizer (MiniLM's): `##` pieces, special tokens, `token_type_ids`;
# - build a padded batch with the right `attention_mask`, on the right side, with correct truncation;
# - explain why `pad_token = eos_token` can teach a GPT-style model never to stop, and fix it;
# - show that an embedding layer is a lookup table (one-hot × matrix) and explore MiniLM's embedding space.
#
# **Prerequisites:** lessons 01–09 (lesson 09 introduced padding masks). **Time:** about 90 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import json
import re
from collections import Counter

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

import course

course.set_seed(0)
tokenizer, model = course.load_minilm()  # MiniLM: BERT WordPiece tokenizer + 6-layer encoder (hidden 384)

# %% [markdown]
# ## 1. Words, characters or something in between?
#
# A tokenizer maps a string to a sequence of **tokens**, and each token to an integer **id** in a fixed
# vocabulary of size $V$. The model's first layer is a table with $V$ rows, so the choice of tokens decides
# both what the model can represent and how long its inputs are. We need some text to play with; here are a
# few paragraphs written for this course (nothing is downloaded).

# %%
COURSE_TEXT = """\
A language model never sees letters. Before a Transformer can read a sentence, the text is cut into tokens, \
and every token is replaced by a number from a fixed vocabulary. The model learns one vector for each number, \
and everything it knows about words is stored in those vectors and in the layers that mix them.

The simplest tokenizer splits text on spaces. It is easy to understand, but the vocabulary grows with every \
new word, and a word that was never seen in training becomes an unknown token. The opposite choice is to use \
single characters: the vocabulary is tiny and nothing is unknown, but sentences become very long and each \
token carries little meaning.

Subword tokenizers sit between the two. Frequent words stay whole, while rare words are split into smaller \
pieces that the model has seen many times. Byte pair encoding starts from characters and repeatedly merges \
the most frequent pair of adjacent symbols. After a few thousand merges, common words such as the, model and \
token are single symbols, and a new word like tokenization is built from known pieces.

Hello! Hello again. The tokenizer that we train here reads only this short text, so its vocabulary is small. \
Hello from the course: the same recipe, run on billions of words, gives the tokenizers of BERT, GPT-2 and \
most modern models.

Padding makes every sentence in a batch the same length, and the attention mask tells the model which tokens \
are real. Truncation cuts sentences that are too long for the model. Special tokens mark the start of a \
sequence, the boundary between two sentences, or the end of a text.

Embeddings turn token ids into vectors. An embedding layer is a lookup table with one row per token of the \
vocabulary. Tokens that are used in similar contexts end up with similar rows, so the nearest neighbours of \
a word in the embedding table are often words with related meanings.
"""
paragraphs = [p for p in COURSE_TEXT.split("\n\n") if p.strip()]
print(f"{len(paragraphs)} paragraphs, {len(COURSE_TEXT.split())} words, {len(COURSE_TEXT)} characters")

# %% [markdown]
# **Word-level**: split on spaces and punctuation, one id per distinct word. **Character-level**: one id per
# distinct character. Let us build both vocabularies from the course text and tokenize a new sentence.

# %%
def word_split(text: str) -> list[str]:
    """Lower-case words and single punctuation marks: a typical word-level tokenizer."""
    return re.findall(r"\w+|[^\w\s]", text.lower())


word_vocab = sorted(set(word_split(COURSE_TEXT)))
char_vocab = sorted(set(COURSE_TEXT.lower()))
new_sentence = "Tokenizers split unusual words into reusable pieces."

new_words = word_split(new_sentence)
unknown = [w for w in new_words if w not in word_vocab]
print(f"word vocabulary: {len(word_vocab)} entries; character vocabulary: {len(char_vocab)} entries")
print(f"word-level : {len(new_words)} tokens, unknown (would become [UNK]): {unknown}")
print(f"char-level : {len(new_sentence)} tokens, unknown: {[c for c in new_sentence.lower() if c not in char_vocab]}")

# %% [markdown]
# Two failures, in opposite directions:
#
# | | vocabulary size | sequence length | unknown words |
# |---|---|---|---|
# | word-level | huge (every inflection: *token, tokens, tokenizer, tokenization*) and still incomplete | short | many: each becomes `[UNK]`, its meaning lost |
# | character-level | tiny (~100) | very long: attention costs $O(n^2)$ in the length | none |
# | **subword** | chosen (30 k for BERT, 50 k for GPT-2) | moderate | none or almost none |
#
# Subword tokenizers keep frequent words whole and split rare words into frequent pieces:
# *tokenization* → *token* + *ization*. The model sees the shared piece *token* in many words and can
# compose meanings it never saw as a whole.
#
# **Takeaway:** subwords trade a fixed, moderate vocabulary for sequences that stay short and no unknown words.

# %% [markdown]
# ## 2. Byte pair encoding, by hand
#
# **Byte pair encoding** (BPE, Sennrich, Haddow & Birch, 2016, adapted from a 1994 compression algorithm by
# Gage) *learns* its vocabulary from a corpus:
#
# 1. Split the corpus into words and count them: `{word: frequency}`. Write each word as a tuple of symbols,
#    starting with single characters.
# 2. Count every pair of **adjacent** symbols, each occurrence weighted by the frequency of its word.
# 3. Merge the most frequent pair into one new symbol, everywhere it occurs. Record the merge.
# 4. Repeat from 2 until the vocabulary has the size you want.
#
# The classic toy corpus from the paper: *low* ×5, *lower* ×2, *newest* ×6, *widest* ×3.
# The pair `('e', 's')` occurs in *newest* (6 times) and *widest* (3 times): count 9. So does `('s', 't')`.
# `('w', 'e')` occurs in *lower* and *newest*: 2 + 6 = 8. A tie between two pairs of count 9 must be broken
# by a fixed rule, or two runs could learn different vocabularies. We use: **highest count first; among equal
# counts, the smallest pair in Python's tuple ordering** (`('e', 's') < ('s', 't')`, because `'e' < 's'`).
# So the first merge is `('e', 's')` → `'es'`, and *newest* becomes `('n', 'e', 'w', 'es', 't')`.
#
# Two subtleties matter:
# - In *aaa* = `('a', 'a', 'a')`, the pair `('a', 'a')` occurs at **two** positions (0–1 and 1–2): count both.
#   But merging works left to right and a symbol can be used once, so `('a', 'a', 'a')` becomes `('aa', 'a')`,
#   never `('aa', 'aa')`.
# - Merge **symbols**, not substrings: merging `('b', 'c')` must leave `('ab', 'c')` untouched, even though
#   the string `"abc"` contains `"bc"`.
#
# One simplification, said plainly: Sennrich et al. append an **end-of-word marker** `</w>` to the last
# character of every word (`('l', 'o', 'w</w>')`), so that a piece at the end of a word (*est</w>* in
# *newest*) is a different symbol from the same letters inside a word (*est* in *estimate*), and decoding
# knows where words end. Our toy version leaves the marker out to keep the tuples short: its merges can
# therefore glue the end of one word's pieces exactly like its middle. Real tokenizers keep word boundaries
# in some form: `</w>` (the original BPE), `##` on continuation pieces (WordPiece, section 4) or a leading
# space marker (byte-level BPE, section 5).

# %%
toy_corpus = "low " * 5 + "lower " * 2 + "newest " * 6 + "widest " * 3
toy_word_freqs = {tuple(word): count for word, count in Counter(toy_corpus.split()).items()}
toy_word_freqs  # {word as a tuple of symbols: frequency}

# %% [markdown]
# ### Exercise 10.1 (a) — one BPE training step (4 points)
#
# Exercise 10.1 has two parts: (a) learns one merge, (b) below encodes a new word with the learned merges.
#
# Write `bpe_train_step(word_freqs)` where `word_freqs: dict[tuple[str, ...], int]` maps each word (a tuple of
# symbols) to its frequency. Return `(best_pair, new_word_freqs)`:
# - `best_pair: tuple[str, str]` — the adjacent pair with the highest count, where each occurrence counts
#   the word's frequency (*aaa* with frequency 3 gives `('a', 'a')` a count of 6). Ties: the smallest pair in
#   Python's tuple ordering (`min` over the tied pairs).
# - `new_word_freqs: dict[tuple[str, ...], int]` — a **new** dict in which every occurrence of `best_pair` is
#   replaced by the single symbol `best_pair[0] + best_pair[1]`, scanning each word left to right without
#   overlaps. Frequencies are unchanged (if two words become identical, add their frequencies).
#
# You may assume that at least one word has two or more symbols. Plain Python: `collections.Counter` is fine;
# do not call the `tokenizers` library.

# %% nbgrader={"solution": true, "grade_id": "ex10_1a"}
def bpe_train_step(word_freqs: dict[tuple[str, ...], int]) -> tuple[tuple[str, str], dict[tuple[str, ...], int]]:
    """Learn one BPE merge.

    Args:
        word_freqs: {word as a tuple of symbols: frequency}, e.g. {("l", "o", "w"): 5, ...}.

    Returns:
        (best_pair, new_word_freqs): the most frequent adjacent pair (ties: smallest pair) and a new dict in
        which that pair is merged into one symbol everywhere, left to right, without overlaps.
    """
    ### BEGIN SOLUTION
    pair_counts = Counter()
    for word, freq in word_freqs.items():
        for pair in zip(word, word[1:]):
            pair_counts[pair] += freq
    best_pair = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))

    new_word_freqs = {}
    for word, freq in word_freqs.items():
        merged, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best_pair:
                merged.append(word[i] + word[i + 1])
                i += 2
            else:
                merged.append(word[i])
                i += 1
        merged = tuple(merged)
        new_word_freqs[merged] = new_word_freqs.get(merged, 0) + freq
    return best_pair, new_word_freqs
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex10_1a_test_a", "points": 2}
# Self-check (visible): which pair is merged. The first merge of the toy corpus was worked out in the text.
pair, _ = bpe_train_step(toy_word_freqs)
assert pair == ("e", "s"), (
    f"first merge of the toy corpus should be ('e', 's') (count 9, tied with ('s', 't') and smaller), got {pair}"
)
pair, _ = bpe_train_step({("x", "y"): 10, ("a", "b"): 1, ("a", "b", "c"): 1})
assert pair == ("x", "y"), (
    f"got {pair}: ('x', 'y') occurs in a word of frequency 10, ('a', 'b') in two words of frequency 1 "
    "(count 2). Weight each pair occurrence by its word's frequency."
)
print("Self-check passed.")
### BEGIN HIDDEN TESTS
import random as _random
import re as _re

pair, _ = bpe_train_step({("z", "y"): 2, ("c", "d"): 2})
assert pair == ("c", "d"), (
    f"tie between ('z', 'y') and ('c', 'd') (count 2 each): the rule picks the smallest pair, ('c', 'd'); "
    f"got {pair}. `max(counts, key=counts.get)` returns the first one inserted, which depends on dict order."
)
pair, _ = bpe_train_step({("b", "a"): 3, ("a", "b"): 3, ("a", "c"): 3})
assert pair == ("a", "b"), f"tie of three pairs with count 3: the smallest is ('a', 'b'), got {pair}"
pair, _ = bpe_train_step({("a", "a", "a"): 3, ("b", "c"): 5})
assert pair == ("a", "a"), (
    f"got {pair}: ('a', 'a') occurs at two positions of 'aaa' (frequency 3), so its count is 6 > 5. "
    "Count every adjacent position, not each distinct pair once per word."
)
pair, _ = bpe_train_step({("l", "o", "w"): 5, ("l", "o", "w", "e", "r"): 2, ("n", "e", "w", "e", "r"): 6})
assert pair == ("e", "r"), (
    f"('e', 'r') and ('w', 'e') both have count 2 + 6 = 8; the tie goes to the smaller pair ('e', 'r'); got {pair}"
)


def _reference_bpe_step(word_freqs):
    """Independent reference: counts by dict, merge by regex on space-joined symbols (Sennrich et al.)."""
    counts = {}
    for word, freq in word_freqs.items():
        for k in range(len(word) - 1):
            counts[(word[k], word[k + 1])] = counts.get((word[k], word[k + 1]), 0) + freq
    best = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    pattern = _re.compile(r"(?<!\S)" + _re.escape(best[0] + " " + best[1]) + r"(?!\S)")
    merged = {}
    for word, freq in word_freqs.items():
        key = tuple(pattern.sub(best[0] + best[1], " ".join(word)).split(" "))
        merged[key] = merged.get(key, 0) + freq
    return best, merged


# Several merges in a row on random corpora; the corpus is advanced with the reference merge, so only the
# choice of the pair is graded here (the merge itself is graded by the next cell).
for corpus_name, corpus in [("toy corpus", toy_word_freqs)] + [
    (f"random corpus {seed}", {tuple(_random.Random(seed * 100 + n).choice("aabc")
                                     for _ in range(_random.Random(seed * 1000 + n).randint(1, 7))):
                               _random.Random(seed * 7 + n).randint(1, 6) for n in range(12)})
    for seed in range(4)
]:
    reference = dict(corpus)
    for step in range(10):
        if not any(len(word) > 1 for word in reference):
            break
        got_pair, _ = bpe_train_step(dict(reference))
        expected_pair, reference = _reference_bpe_step(reference)
        assert got_pair == expected_pair, (
            f"{corpus_name}, merge {step + 1}: expected pair {expected_pair}, got {got_pair}"
        )
# The caller's dict (and its tuples) must not change: build a new dict.
from course.checks import call_checking_inputs

call_checking_inputs(bpe_train_step, {("a", "b", "c"): 2, ("a", "b"): 3, ("b", "c"): 1})
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex10_1a_test_b", "points": 2}
# Self-check (visible): how the chosen pair is merged.
pair, merged_freqs = bpe_train_step(toy_word_freqs)
assert pair == ("e", "s"), (
    f"your function chose {pair} instead of ('e', 's') on the toy corpus: fix the choice of the pair first "
    "(the cell above checks it); this cell checks the merge"
)
expected = {("l", "o", "w"): 5, ("l", "o", "w", "e", "r"): 2, ("n", "e", "w", "es", "t"): 6,
            ("w", "i", "d", "es", "t"): 3}
assert merged_freqs == expected, f"after merging ('e', 's') the corpus should be\n{expected}\ngot\n{merged_freqs}"
assert toy_word_freqs[("n", "e", "w", "e", "s", "t")] == 6, "do not modify the input dict; build a new one"
_, merged_freqs = bpe_train_step({("a", "a", "a"): 1})
assert merged_freqs == {("aa", "a"): 1}, (
    f"('a', 'a', 'a') with the merge ('a', 'a') becomes ('aa', 'a'): left to right, no overlaps; got {merged_freqs}"
)
pair, merged_freqs = bpe_train_step({("b", "c"): 5, ("x", "b", "c"): 5, ("ab", "c"): 1})
assert pair == ("b", "c"), (
    f"('b', 'c') occurs in two words (count 10, or 2 unweighted) and should be chosen, got {pair}: fix the choice "
    "of the pair first (the cell above checks it)"
)
assert merged_freqs == {("bc",): 5, ("x", "bc"): 5, ("ab", "c"): 1}, (
    f"merging ('b', 'c') must give {{('bc',): 5, ('x', 'bc'): 5, ('ab', 'c'): 1}}, got {merged_freqs}. The word "
    "('ab', 'c') contains the letters 'bc' but not the SYMBOLS 'b', 'c': compare symbols, not substrings."
)
print("Self-check passed.")
### BEGIN HIDDEN TESTS
import random as _random  # each test cell stands alone
import re as _re  # noqa: F811


def _reference_merge(word_freqs, pair):
    """Independent reference: merge ``pair`` by regex on space-joined symbols (Sennrich et al.)."""
    pattern = _re.compile(r"(?<!\S)" + _re.escape(pair[0] + " " + pair[1]) + r"(?!\S)")
    merged = {}
    for word, freq in word_freqs.items():
        key = tuple(pattern.sub(pair[0] + pair[1], " ".join(word)).split(" "))
        merged[key] = merged.get(key, 0) + freq
    return merged


_, merged_freqs = bpe_train_step({("a", "a", "a"): 1, ("a", "a", "a", "a"): 2})
assert merged_freqs == {("aa", "a"): 1, ("aa", "aa"): 2}, (
    f"merging ('a', 'a') left to right without overlaps turns aaa into ('aa', 'a') and aaaa into ('aa', 'aa'); "
    f"got {merged_freqs}. After a merge at position i, continue scanning at i + 2."
)
_, merged_freqs = bpe_train_step({("x", "y", "z"): 4, ("x", "y"): 3, ("xy",): 2})
assert merged_freqs == {("xy", "z"): 4, ("xy",): 5}, (
    f"('x', 'y') merged becomes ('xy',), the same word as the existing ('xy',): their frequencies must be added "
    f"(3 + 2 = 5); got {merged_freqs}"
)
# Several merges in a row on random corpora: each result must be the input with YOUR chosen pair merged
# (whether that pair was the right choice is graded by the cell above).
for corpus_name, corpus in [("toy corpus", toy_word_freqs)] + [
    (f"random corpus {seed}", {tuple(_random.Random(seed * 100 + n).choice("aabc")
                                     for _ in range(_random.Random(seed * 1000 + n).randint(1, 7))):
                               _random.Random(seed * 7 + n).randint(1, 6) for n in range(12)})
    for seed in range(4)
]:
    state = dict(corpus)
    for step in range(10):
        if not any(len(word) > 1 for word in state):
            break
        before = dict(state)
        got_pair, state = bpe_train_step(dict(before))
        expected_state = _reference_merge(before, got_pair)
        assert state == expected_state, (
            f"{corpus_name}, merge {step + 1} of {got_pair}: expected corpus\n{expected_state}\ngot\n{state}"
        )
### END HIDDEN TESTS

# %% [markdown]
# With one step written, training is a loop. (This cell and the next use your functions; they print a hint
# until the exercises are done.)

# %%
def bpe_train(word_freqs: dict[tuple[str, ...], int], num_merges: int) -> list[tuple[str, str]]:
    """Run up to ``num_merges`` BPE steps; return the merges in the order they were learned."""
    merges = []
    for _ in range(num_merges):
        if not any(len(word) > 1 for word in word_freqs):
            break  # every word is a single symbol: nothing left to merge
        best_pair, word_freqs = bpe_train_step(word_freqs)
        merges.append(best_pair)
    return merges


try:
    toy_merges = bpe_train(toy_word_freqs, num_merges=10)
    for rank, (left, right) in enumerate(toy_merges, start=1):
        print(f"merge {rank:2d}: {left!r:8} + {right!r:6} -> {left + right!r}")
except NotImplementedError:
    print("Complete Exercise 10.1 (a) to see the merges learned on the toy corpus.")

# %% [markdown]
# The merges are the tokenizer: the vocabulary is the set of characters plus one new symbol per merge.
# To **encode** a new word, split it into characters and replay the merges **in the order they were
# learned** — each merge, everywhere in the word (left to right, no overlaps), then the next merge. Order
# matters: with merges `[('b', 'c'), ('a', 'b')]`, the word *abc* becomes `['a', 'bc']`; applying
# `('a', 'b')` first would give `['ab', 'c']`, a segmentation the tokenizer never produces.
# (Production tokenizers do the same faster, by repeatedly merging the adjacent pair with the lowest rank.)
#
# ### Exercise 10.1 (b) — encode a word with learned merges (2 points)
#
# Write `bpe_encode(word, merges)` where `word: str` and `merges: list[tuple[str, str]]` (in learned order).
# Return the list of symbols (`list[str]`) obtained by starting from the characters of `word` and applying
# every merge in order, each one everywhere in the word, left to right and without overlaps. Characters
# that no merge touches stay single symbols. Do not call `bpe_train_step` or the `tokenizers` library.

# %% nbgrader={"solution": true, "grade_id": "ex10_1b"}
def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    """Split ``word`` into BPE symbols by replaying ``merges`` in learned order.

    Args:
        word: the word to encode, e.g. "lowest".
        merges: learned merges, first learned first, e.g. [("e", "s"), ("es", "t"), ...].

    Returns:
        The symbols, e.g. ["low", "est"]; "".join(symbols) == word.
    """
    ### BEGIN SOLUTION
    symbols = list(word)
    for left, right in merges:
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == left and symbols[i + 1] == right:
                merged.append(left + right)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex10_1b_test", "points": 2}
# Self-check (visible): the first seven merges learned on the toy corpus (printed above).
merges_for_test = [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("ew", "est"), ("n", "ewest")]
assert bpe_encode("lowest", merges_for_test) == ["low", "est"], bpe_encode("lowest", merges_for_test)
assert bpe_encode("newer", merges_for_test) == ["n", "ew", "e", "r"], bpe_encode("newer", merges_for_test)
assert bpe_encode("newest", merges_for_test) == ["newest"], bpe_encode("newest", merges_for_test)
assert bpe_encode("xyz", merges_for_test) == ["x", "y", "z"], "characters that no merge touches stay single"
got = bpe_encode("abc", [("b", "c"), ("a", "b")])
assert got == ["a", "bc"], (
    f"with merges [('b', 'c'), ('a', 'b')], 'abc' must become ['a', 'bc'], got {got}: ('b', 'c') was learned "
    "first, so it is applied first. Apply the merges one after the other in learned order, not whichever known "
    "pair you meet first in the word."
)
print("Self-check passed.")
### BEGIN HIDDEN TESTS
import random as _random  # each test cell stands alone
import re as _re  # noqa: F811

got = bpe_encode("abc", [("b", "c"), ("a", "b")])
assert got == ["a", "bc"], (
    f"with merges [('b', 'c'), ('a', 'b')], 'abc' must become ['a', 'bc']: ('b', 'c') was learned first, "
    f"so it is applied first. Got {got}: apply the merges in learned order, not the first pair you meet."
)
got = bpe_encode("aaa", [("a", "a")])
assert got == ["aa", "a"], f"'aaa' with the merge ('a', 'a') gives ['aa', 'a'] (no overlaps); got {got}"
got = bpe_encode("aaaa", [("a", "a")])
assert got == ["aa", "aa"], f"'aaaa' with the merge ('a', 'a') gives ['aa', 'aa'] (every occurrence); got {got}"
got = bpe_encode("aaaa", [("a", "a"), ("aa", "aa")])
assert got == ["aaaa"], f"'aaaa' with merges ('a', 'a') then ('aa', 'aa') gives ['aaaa']; got {got}"
got = bpe_encode("abab", [("a", "b"), ("b", "a")])
assert got == ["ab", "ab"], f"'abab' with merges ('a', 'b') then ('b', 'a') gives ['ab', 'ab']; got {got}"
assert bpe_encode("", merges_for_test) == [], "the empty word has no symbols"


def _reference_encode(word, merges):
    text = " ".join(word)
    for left, right in merges:
        text = _re.sub(r"(?<!\S)" + _re.escape(left + " " + right) + r"(?!\S)", left + right, text)
    return text.split(" ") if text else []


for seed in range(30):
    rng = _random.Random(seed)
    symbols = list("abc")
    random_merges = []
    for _ in range(rng.randint(1, 8)):
        pair = (rng.choice(symbols), rng.choice(symbols))
        random_merges.append(pair)
        symbols.append(pair[0] + pair[1])
    for _ in range(5):
        word = "".join(rng.choice("abc") for _ in range(rng.randint(1, 9)))
        expected = _reference_encode(word, random_merges)
        got = bpe_encode(word, random_merges)
        assert got == expected, f"bpe_encode({word!r}, {random_merges}) should be {expected}, got {got}"
# The caller's merge list must not change (no merges.pop(0) or merges.sort()).
from course.checks import call_checking_inputs

call_checking_inputs(bpe_encode, "abcab", [("b", "c"), ("a", "b"), ("a", "bc")])
### END HIDDEN TESTS

# %%
try:
    for word in ["lowest", "newer", "wider", "slow"]:
        print(f"{word:8} -> {bpe_encode(word, toy_merges)}")
except (NotImplementedError, NameError):
    print("Complete both parts of Exercise 10.1 to encode new words with the toy merges.")

# %% [markdown]
# *lowest* never occurred in the corpus, yet it is encoded as two known pieces, *low* + *est*. That is the
# point of subwords.
#
# **Takeaway:** BPE training is "count weighted adjacent pairs, merge the winner, repeat"; encoding replays the
# merges in the order they were learned.

# %% [markdown]
# ## 3. A real BPE tokenizer with the `tokenizers` library
#
# Hugging Face's `tokenizers` library (written in Rust) implements the same algorithm, plus the plumbing:
# a **normalizer** (lower-casing, Unicode clean-up), a **pre-tokenizer** (split into words before BPE, so that
# merges never cross a space), the **model** (BPE merges and vocabulary), and a **post-processor** (special
# tokens). Let us train one on the course text.

# %%
def train_bpe(texts: list[str], vocab_size: int) -> Tokenizer:
    """A BPE tokenizer trained on ``texts``: whitespace/punctuation pre-tokenizer, [UNK] for unseen characters."""
    bpe_tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe_tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], show_progress=False)
    bpe_tokenizer.train_from_iterator(texts, trainer=trainer)
    return bpe_tokenizer


course_bpe = train_bpe(paragraphs, vocab_size=300)
learned_merges = json.loads(course_bpe.to_str())["model"]["merges"]
print(f"vocabulary: {course_bpe.get_vocab_size()} tokens, {len(learned_merges)} merges")
print("first 12 merges:", [" + ".join(merge) for merge in learned_merges[:12]])
course.show_tokens(course_bpe, "Tokenizers split unusual words into reusable pieces.")

# %% [markdown]
# Frequent words of the course text (*the*, *token*, *model*) are single tokens; *unusual* and *reusable*
# never occurred and are built from pieces. How much the vocabulary compresses the text depends on its size:
# the figure counts tokens per word on the course text and on sentences it never saw.

# %%
held_out = ["Tokenizers split unusual words into reusable pieces.",
            "The attention mask tells every layer which positions hold real tokens.",
            "A small vocabulary gives long sequences; a large one gives short sequences."]
vocab_sizes = [60, 100, 150, 200, 300, 450, 600]
tokens_per_word = {"course text (training)": [], "unseen sentences": []}
for vocab_size in vocab_sizes:
    sized_bpe = train_bpe(paragraphs, vocab_size)
    for name, texts in [("course text (training)", paragraphs), ("unseen sentences", held_out)]:
        n_tokens = sum(len(sized_bpe.encode(text).ids) for text in texts)
        n_words = sum(len(word_split(text)) for text in texts)
        tokens_per_word[name].append(n_tokens / n_words)
course.plot_curves(vocab_sizes, tokens_per_word, xlabel="vocabulary size (characters + merges)",
                   ylabel="tokens per word", title="BPE: a bigger vocabulary gives shorter sequences")
plt.show()

# %% [markdown]
# On its own training text the tokenizer approaches one token per word; on unseen text it stays higher,
# because new words must be assembled from pieces. Real tokenizers train on billions of words so that the
# two curves are close.
#
# **Takeaway:** the vocabulary size is a knob between sequence length and table size; `tokenizers` trains
# one in milliseconds.

# %% [markdown]
# ## 4. WordPiece: MiniLM's real tokenizer
#
# BERT and MiniLM use **WordPiece** (Schuster & Nakajima, 2012; Wu et al., 2016). Training is close to BPE
# (it merges the pair that most increases the corpus likelihood, $\frac{\text{count}(ab)}{\text{count}(a)
# \,\text{count}(b)}$, rather than the most frequent pair), and encoding is **greedy longest match** from the
# left. A piece that continues a word is written with a `##` prefix, so *##ization* and *ization* (at the
# start of a word) are different tokens. MiniLM's vocabulary is **uncased**: the normalizer lower-cases and
# strips accents first.
#
# A third family works the other way round. The **Unigram** language-model tokenizer (Kudo, 2018) starts
# from a large vocabulary and *removes* the pieces whose removal lowers the corpus likelihood least; to encode,
# it picks the most probable segmentation (and can sample others, a regulariser called subword
# regularisation). **SentencePiece** (Kudo & Richardson, 2018) is a library that trains BPE or Unigram on raw
# text, spaces included (written `▁`), with no language-specific pre-tokenizer; T5, ALBERT, XLNet and LLaMA's
# first tokenizer use it.

# %%
for text in ["Tokenization turns unbelievably long words into subwords.", "Naïve café, COVID-19!", "🤗"]:
    display(course.show_tokens(tokenizer, text))  # noqa: F821  (display is a notebook built-in)

# %%
print(f"vocabulary size: {tokenizer.vocab_size}")
pieces = tokenizer.tokenize("unbelievably")
print(pieces, "->", tokenizer.convert_tokens_to_string(pieces))
print("decode(ids):", tokenizer.decode(tokenizer("Tokenization turns words into subwords.")["input_ids"]))

# %% [markdown]
# Three things to notice: *Tokenization* became *token* + *##ization*; the emoji, whose character is not in
# the vocabulary, became `[UNK]` (its meaning is gone); and `decode` glues `##` pieces back but cannot undo the
# lower-casing and the accent stripping.
#
# **Takeaway:** in WordPiece `##` marks a continuation piece; an uncased vocabulary loses case and accents, and
# characters outside the vocabulary become `[UNK]`.

# %% [markdown]
# ## 5. Special tokens and byte-level BPE
#
# Models need markers that no text produces. BERT-family tokenizers add them for you:
#
# | token | MiniLM id | meaning |
# |---|---|---|
# | `[CLS]` | 101 | first token; its final vector is used for classification |
# | `[SEP]` | 102 | end of a sentence, boundary in a sentence pair |
# | `[PAD]` | 0 | filler for padding, ignored through the attention mask |
# | `[MASK]` | 103 | the hidden token in masked-language-model pre-training |
# | `[UNK]` | 100 | anything not in the vocabulary |

# %%
pair_encoding = tokenizer("How are you?", "Fine, thanks.")
print(tokenizer.convert_ids_to_tokens(pair_encoding["input_ids"]))
print("token_type_ids:", pair_encoding["token_type_ids"])  # 0 = first sentence, 1 = second
print({name: tokenizer.convert_tokens_to_ids(name) for name in ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"]})

# %% [markdown]
# **GPT-2** works differently (Radford et al., 2019). Its vocabulary (50 257 tokens) has **one** special token,
# `<|endoftext|>` (id 50 256), used as beginning, end and separator of documents — and **no padding token**.
# Its BPE is **byte-level**: text is first turned into UTF-8 bytes, each of the 256 bytes mapped to a printable
# character, so every string can be encoded and there is no `[UNK]`. Spaces are not thrown away: a space is
# glued to the *next* word and shown as `Ġ`. So `"Hello"` and `" Hello"` are **different tokens**.
#
# No GPT-2 tokenizer can be downloaded here, so we train a byte-level BPE of the same design on the course
# text: the `ByteLevel` pre-tokenizer with `add_prefix_space=False` (GPT-2's setting) and `<|endoftext|>` as
# its special token.

# %%
byte_bpe = Tokenizer(models.BPE())
byte_bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
byte_bpe.decoder = decoders.ByteLevel()
byte_trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["<|endoftext|>"], show_progress=False,
                                   initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # all 256 bytes
byte_bpe.train_from_iterator(paragraphs, trainer=byte_trainer)
eos_id = byte_bpe.token_to_id("<|endoftext|>")
print(f"byte-level BPE: {byte_bpe.get_vocab_size()} tokens, <|endoftext|> has id {eos_id}")
for text in ["Hello", " Hello", "model", " model", "Hello 🤗"]:
    display(course.show_tokens(byte_bpe, text))  # noqa: F821

# %% [markdown]
# `"Hello"` and `" Hello"` get different ids, and `"model"` without its space falls apart into four pieces,
# because in the training text *model* almost always followed a space. In practice: a prompt that ends with a
# space, or a word at the very start of a text, is tokenized differently from the same word in the middle of
# a sentence. The emoji did not become `[UNK]`: it became its four UTF-8 bytes.
#
# **Takeaway:** special tokens are part of the input format the model was trained with; byte-level BPE has no
# unknown tokens but makes the leading space part of the word.

# %% [markdown]
# ## 6. Padding, truncation and the attention mask
#
# A batch is a rectangular tensor, but sentences have different lengths. **Padding** appends (or prepends)
# `[PAD]` tokens up to a common length; **truncation** cuts sequences longer than the model's limit (512 for
# MiniLM); the **attention mask** is 1 for real tokens and 0 for padding, so that attention ignores the pad
# positions (lesson 09 built the corresponding masks).

# %%
sentences = ["Tokens become vectors.", "Padding makes every sentence in a batch the same length.", "Hi!"]
batch = tokenizer(sentences, padding=True, return_tensors="pt")
print(batch["input_ids"])       # (batch=3, seq_len)
print(batch["attention_mask"])  # (batch=3, seq_len): 1 = real token, 0 = padding
course.plot_mask(batch["attention_mask"].bool(), convention="allowed", ylabel="sentence", xlabel="position",
                 title="attention_mask of a right-padded batch")
plt.show()

# %% [markdown]
# Why the mask matters: encode the short sentence alone, then inside the padded batch. With the mask, its
# token vectors are the same; without it, the real tokens also attend to the `[PAD]` positions and change.

# %%
with torch.no_grad():
    alone = model(**tokenizer(sentences[2:], return_tensors="pt")).last_hidden_state[0]  # (4, 384)
    in_batch = model(**batch).last_hidden_state[2, : alone.shape[0]]                     # same 4 tokens
    no_mask = model(input_ids=batch["input_ids"]).last_hidden_state[2, : alone.shape[0]]
print(f"max |difference| with the mask   : {(alone - in_batch).abs().max():.2e}")
print(f"max |difference| without the mask: {(alone - no_mask).abs().max():.2e}")

# %% [markdown]
# **Which side?** Encoders do not care (BERT pads on the right). Decoders that **generate** must pad on the
# **left**: the next token is predicted from the last position, which must be a real token, not `[PAD]`.
# Truncation normally keeps the **first** tokens, and a tokenizer called with `truncation=True` keeps its
# special tokens (`[SEP]` stays last).

# %%
print(tokenizer(sentences, padding=True, padding_side="left")["input_ids"][2])  # left padding
print(tokenizer.convert_ids_to_tokens(tokenizer(sentences[1], truncation=True, max_length=6)["input_ids"]))

# %% [markdown]
# ### Exercise 10.2 — pad a batch (3 points)
#
# Write `pad_batch(sequences, pad_id, side="right", max_length=None)`:
# - `sequences: list[list[int]]` — token ids of each sequence (any lengths, possibly different);
# - if `max_length` is `None`, pad every sequence to the length of the longest one; otherwise **truncate**
#   each sequence to its first `max_length` ids and pad every sequence to exactly `max_length`;
# - `side="right"` puts the padding after the tokens, `side="left"` before them (truncation always keeps the
#   first ids, as Hugging Face tokenizers do by default);
# - return `(input_ids, attention_mask)`, two `torch.long` tensors of shape `(batch, length)`; `attention_mask`
#   is 1 at real tokens and 0 at padding.
#
# Do not call a tokenizer's padding. Your result must match MiniLM's tokenizer
# (`tokenizer(texts, padding=True)` or `padding="max_length", truncation=True, max_length=...` with
# `add_special_tokens=False`).

# %% nbgrader={"solution": true, "grade_id": "ex10_2"}
def pad_batch(sequences: list[list[int]], pad_id: int, side: str = "right",
              max_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad (and optionally truncate) token id sequences into a rectangular batch.

    Args:
        sequences: token ids of each sequence.
        pad_id: id used for padding.
        side: "right" (pad after the tokens) or "left" (pad before them).
        max_length: if given, keep the first max_length ids of each sequence and pad all to max_length.

    Returns:
        (input_ids, attention_mask): torch.long tensors of shape (batch, length); mask 1 = real, 0 = padding.
    """
    ### BEGIN SOLUTION
    if max_length is not None:
        sequences = [list(seq)[:max_length] for seq in sequences]
    length = max_length if max_length is not None else max(len(seq) for seq in sequences)
    input_ids, attention_mask = [], []
    for seq in sequences:
        padding = [pad_id] * (length - len(seq))
        real = [1] * len(seq)
        zeros = [0] * len(padding)
        if side == "right":
            input_ids.append(list(seq) + padding)
            attention_mask.append(real + zeros)
        else:
            input_ids.append(padding + list(seq))
            attention_mask.append(zeros + real)
    return torch.tensor(input_ids, dtype=torch.long), torch.tensor(attention_mask, dtype=torch.long)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex10_2_test_a", "points": 2}
# Self-check (visible): against MiniLM's tokenizer, right and left padding.
texts_for_test = ["Tokens become vectors.", "Padding makes every sentence the same length.", "Hi!"]
unpadded = tokenizer(texts_for_test)["input_ids"]
for padding_side in ["right", "left"]:
    expected = tokenizer(texts_for_test, padding=True, padding_side=padding_side, return_tensors="pt")
    ids, mask = pad_batch(unpadded, tokenizer.pad_token_id, side=padding_side)
    assert isinstance(ids, torch.Tensor) and isinstance(mask, torch.Tensor), "return two tensors"
    assert ids.shape == expected["input_ids"].shape, (
        f"input_ids should have shape (batch, longest) = {tuple(expected['input_ids'].shape)}, got {tuple(ids.shape)}"
    )
    assert torch.equal(ids, expected["input_ids"]), f"side={padding_side!r}: expected\n{expected['input_ids']}\ngot\n{ids}"
    assert torch.equal(mask, expected["attention_mask"]), (
        f"side={padding_side!r}: attention_mask should be 1 at real tokens and 0 at padding: expected\n"
        f"{expected['attention_mask']}\ngot\n{mask}"
    )
print("Self-check passed.")
### BEGIN HIDDEN TESTS
ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=99)
assert ids.tolist() == [[5, 6, 7], [8, 99, 99]], f"right padding with pad_id=99: expected [[5, 6, 7], [8, 99, 99]], got {ids.tolist()}"
assert mask.tolist() == [[1, 1, 1], [1, 0, 0]], (
    f"attention_mask must be 1 on real tokens, 0 on padding: expected [[1, 1, 1], [1, 0, 0]], got {mask.tolist()}"
)
ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=99, side="left")
assert ids.tolist() == [[5, 6, 7], [99, 99, 8]], (
    f"side='left' puts the padding before the tokens: expected [[5, 6, 7], [99, 99, 8]], got {ids.tolist()}"
)
assert mask.tolist() == [[1, 1, 1], [0, 0, 1]], f"left padding mask: expected [[1, 1, 1], [0, 0, 1]], got {mask.tolist()}"
assert ids.dtype == torch.long and mask.dtype == torch.long, (
    f"both tensors must be torch.long (as tokenizers return them), got {ids.dtype} and {mask.dtype}"
)
# A REAL token whose id equals pad_id (GPT-2 with pad_token = eos_token: the real <|endoftext|>): the mask
# must come from the lengths, not from comparing ids with pad_id. The caller's lists must not be padded in
# place (seq.extend / seq.insert). An empty sequence gives a row of padding.
from course.checks import call_checking_inputs

ids, mask = call_checking_inputs(pad_batch, [[5, 0, 7, 0], [0], []], 0, "right")
assert ids.tolist() == [[5, 0, 7, 0], [0, 0, 0, 0], [0, 0, 0, 0]], f"got ids {ids.tolist()}"
assert mask.tolist() == [[1, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]], (
    "the real tokens with id 0 (= pad_id, like GPT-2's <|endoftext|> when pad_token = eos_token) must get "
    f"attention_mask 1: build the mask from each sequence's length, not from ids != pad_id; got {mask.tolist()}"
)
ids, mask = call_checking_inputs(pad_batch, [[0, 6], [9, 0, 0]], 0, "left")
assert mask.tolist() == [[0, 1, 1], [1, 1, 1]], (
    f"left padding with real tokens equal to pad_id: expected mask [[0, 1, 1], [1, 1, 1]], got {mask.tolist()}"
)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex10_2_test_b", "points": 1}
# Self-check (visible): truncation with max_length.
ids, mask = pad_batch([[1, 2, 3, 4, 5], [6, 7]], pad_id=0, max_length=4)
assert ids.tolist() == [[1, 2, 3, 4], [6, 7, 0, 0]], f"expected [[1, 2, 3, 4], [6, 7, 0, 0]], got {ids.tolist()}"
assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]], f"expected [[1, 1, 1, 1], [1, 1, 0, 0]], got {mask.tolist()}"
print("Self-check passed.")
### BEGIN HIDDEN TESTS
ids, mask = pad_batch([[1, 2, 3], [4]], pad_id=0, max_length=3)
assert ids.tolist() == [[1, 2, 3], [4, 0, 0]], (
    f"a sequence of exactly max_length=3 ids must be kept whole (off-by-one?): expected [[1, 2, 3], [4, 0, 0]], "
    f"got {ids.tolist()}"
)
ids, mask = pad_batch([[1, 2], [3]], pad_id=0, max_length=5)
assert ids.shape == (2, 5), (
    f"with max_length=5, every sequence is padded to exactly 5 even if all are shorter; got shape {tuple(ids.shape)}"
)
ids, mask = pad_batch([[1, 2, 3, 4, 5], [6, 7]], pad_id=0, side="left", max_length=3)
assert ids.tolist() == [[1, 2, 3], [0, 6, 7]] and mask.tolist() == [[1, 1, 1], [0, 1, 1]], (
    f"left padding with max_length=3 keeps the FIRST 3 ids and pads on the left: expected ids [[1, 2, 3], [0, 6, 7]] "
    f"and mask [[1, 1, 1], [0, 1, 1]], got {ids.tolist()} and {mask.tolist()}"
)
raw = tokenizer(texts_for_test, add_special_tokens=False)["input_ids"]
for length in [1, 3, 5, 8, 20]:
    for padding_side in ["right", "left"]:
        expected = tokenizer(texts_for_test, add_special_tokens=False, padding="max_length", truncation=True,
                             max_length=length, padding_side=padding_side, return_tensors="pt")
        ids, mask = pad_batch(raw, tokenizer.pad_token_id, side=padding_side, max_length=length)
        assert torch.equal(ids, expected["input_ids"]) and torch.equal(mask, expected["attention_mask"]), (
            f"max_length={length}, side={padding_side!r}: expected ids\n{expected['input_ids']}\nand mask\n"
            f"{expected['attention_mask']}\ngot\n{ids}\n{mask}"
        )
### END HIDDEN TESTS

# %% [markdown]
# **Takeaway:** `input_ids` and `attention_mask` travel together; pad on the right for encoders and training,
# on the left for batched generation.

# %% [markdown]
# ## 7. The GPT-2 padding trap: `pad_token = eos_token`
#
# GPT-2's tokenizer has no pad token, so `tokenizer(texts, padding=True)` raises an error. The usual fix is
# one line, `tokenizer.pad_token = tokenizer.eos_token`: padding now uses `<|endoftext|>`, and batching works.
# The trap comes next. To fine-tune a causal language model, the labels are the input ids (shifted inside the
# model), with `-100` at positions the loss must ignore. If the pad positions are found **by token id**,
#
# ```python
# labels = input_ids.clone()
# labels[labels == tokenizer.pad_token_id] = -100     # what DataCollatorForLanguageModeling(mlm=False) does
# ```
#
# then the **real** `<|endoftext|>` that ends each example is masked too, because it has the same id as the
# padding. The model is never asked to predict the end of a text, so it **never learns to stop**.
#
# Let us see it with our byte-level tokenizer, configured like GPT-2: `<|endoftext|>` appended to every text
# and used as the pad token.

# %%
gpt_style = Tokenizer.from_str(byte_bpe.to_str())  # a copy of the byte-level BPE of section 5
gpt_style.post_processor = processors.TemplateProcessing(
    single="$A <|endoftext|>", special_tokens=[("<|endoftext|>", eos_id)])  # append EOS to every text
gpt_style.enable_padding(pad_id=eos_id, pad_token="<|endoftext|>")    # pad_token = eos_token

stories = ["The cat sat on the mat.", "A dog ran.", "Birds sing in the morning.", "The dog sat.",
           "A cat ran to the dog."]
encodings = gpt_style.encode_batch(stories)
input_ids = torch.tensor([encoding.ids for encoding in encodings])                 # (5, seq_len)
attention_mask = torch.tensor([encoding.attention_mask for encoding in encodings])  # (5, seq_len)

labels_by_id = input_ids.clone()
labels_by_id[input_ids == eos_id] = -100        # the trap: EOS masked together with the padding
labels_by_mask = input_ids.clone()
labels_by_mask[attention_mask == 0] = -100      # the fix: mask only what the attention mask calls padding

print("tokens      :", encodings[1].tokens)
print("input_ids   :", input_ids[1].tolist())
print("mask by id  :", labels_by_id[1].tolist())
print("mask by mask:", labels_by_mask[1].tolist())

# %% [markdown]
# In the second row the first `<|endoftext|>` (id 0) is a real token: the attention mask says 1 there. Masking
# by id throws it away with the padding. To see the consequence, train the smallest possible language model —
# a **bigram** model, an `nn.Embedding(V, V)` whose row $t$ holds the logits of the token that follows $t$
# (with $V$ limited to the token ids that occur in the stories; the next cell prints how many) —
# with each set of labels, then generate greedily.

# %%
vocab_in_use = torch.unique(input_ids)  # the few token ids that occur in the stories, sorted
to_small = torch.full((byte_bpe.get_vocab_size(),), -100)
to_small[vocab_in_use] = torch.arange(len(vocab_in_use))  # token id -> row of the small model (-100 stays -100)
print(f"{len(vocab_in_use)} distinct token ids occur in the stories: the bigram table is "
      f"{len(vocab_in_use)} × {len(vocab_in_use)}")


def train_bigram(input_ids: torch.Tensor, labels: torch.Tensor, steps: int = 100) -> nn.Embedding:
    """Fit next-token logits ``table[current] -> next`` with cross-entropy; labels equal to -100 are ignored.

    The table has one row and one column per token id in ``vocab_in_use`` (a tiny model trains fast).
    """
    torch.manual_seed(0)
    n_tokens = len(vocab_in_use)
    table = nn.Embedding(n_tokens, n_tokens)
    optimizer = torch.optim.Adam(table.parameters(), lr=0.2)
    inputs, targets = to_small[input_ids], torch.where(labels == -100, -100, to_small[labels.clamp(min=0)])
    for _ in range(steps):
        logits = table(inputs[:, :-1])  # (batch, seq_len - 1, n_tokens): predict position t + 1 from t
        loss = F.cross_entropy(logits.reshape(-1, n_tokens), targets[:, 1:].reshape(-1), ignore_index=-100)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return table


def generate(table: nn.Embedding, prompt: str, max_new_tokens: int = 12) -> str:
    """Greedy generation with a bigram table; stops at <|endoftext|>."""
    ids = byte_bpe.encode(prompt).ids
    for _ in range(max_new_tokens):
        next_id = int(vocab_in_use[table.weight[to_small[ids[-1]]].argmax()])
        ids.append(next_id)
        if next_id == eos_id:
            break
    return byte_bpe.decode(ids, skip_special_tokens=False)


full_stop, eos_row = to_small[byte_bpe.token_to_id(".")], to_small[eos_id]
for name, labels in [("labels masked by id  ", labels_by_id), ("labels masked by mask", labels_by_mask)]:
    bigram = train_bigram(input_ids, labels)
    p_eos = F.softmax(bigram.weight[full_stop].detach(), dim=-1)[eos_row]
    print(f"{name}: P(<|endoftext|> after '.') = {p_eos:.3f}   generate('The dog') -> "
          f"{generate(bigram, 'The dog')!r}")
print(f"(a uniform row would give 1/{len(vocab_in_use)} = {1 / len(vocab_in_use):.3f})")

# %% [markdown]
# Trained with labels masked by id, the model never saw a single target after a full stop (in these stories a
# `.` is always followed by `<|endoftext|>`, and every one of those labels was `-100`). Its row for `.` is still
# the random initialisation, so $P(\text{end})$ is whatever that initialisation gives (the small value printed
# above, of the order of the uniform $1/V$), and generation rambles on until `max_new_tokens`.
# Trained with labels masked by the attention mask, it stops right after the full stop. A pretrained GPT-2
# fine-tuned with masked EOS labels drifts the same way: the longer it trains, the less its answers end.
#
# **Fixes** (any one): build the labels from the `attention_mask` (or from the known sequence lengths); or
# add a **dedicated** pad token, `tokenizer.add_special_tokens({"pad_token": "<|pad|>"})` followed by
# `model.resize_token_embeddings(len(tokenizer))`; the pad id then never equals a real token.
#
# **Takeaway:** padding is an input-side convenience; which positions the loss ignores must come from the
# attention mask, never from a token id that real text also uses.

# %% [markdown]
# ### Exercise 10.3 — quiz: what does the model learn? (1 point)
#
# A GPT-2 model is fine-tuned on short answers. Each training example ends with `<|endoftext|>`; the batches are
# right-padded with `tokenizer.pad_token = tokenizer.eos_token`, and `labels[labels == tokenizer.pad_token_id]
# = -100`. What happens at generation time?
#
# - **a)** The model rarely produces `<|endoftext|>`, so generation tends to run on until `max_new_tokens`.
# - **b)** Training fails with an error, because the pad id equals the id of the end-of-text token.
# - **c)** The model stops too early, because it learned to predict padding after every token.
# - **d)** Nothing changes: the attention mask already tells the model which tokens are padding.
#
# Set `answer_10_3` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex10_3"}
### BEGIN SOLUTION
answer_10_3 = "a"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex10_3_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_10_3", answer_10_3, (
    "quiz1:eyJrZXkiOiAiOTBiZWU0ZGI3YjNmYmMzZGRkMWIzZDVlOTg0Y2U0OWFlZTk3OWM5MjRmMDQ2ZmM5NjMwOGVhNWM2NG"
    "YzNGZhNSIsICJuYW1lIjogImFuc3dlcl8xMF8zIiwgIm9wdGlvbnMiOiB7ImEiOiAiNGN4TTVRWktQa2hTcFVINktZblAwU3"
    "p4dWU4aGwzeGpSLzY2UHhBcmFxa3J2a1k1U2IxaDlmS1BHa0tGcmFRcUFEMEJ4RTZvdFk3bGZMaW5Fbm16UUQra2lXVklMRl"
    "dKVzV0cGdCZEJZck1heDgxQ1lXZ1g2Y2F1Rys4TGZPVVpDWUtCUDQ3OE96R2g1KzI5YisvMnlxWTVFV0FZSVZ5NlJZNlZaNV"
    "V6NXNxTlRvcWFQSWt3cEZnbWE5MGEyYVBSSTFCQzZyRHVNUU5rNXFuVEo4TklVMXRVQ2xUVCtHUWtZRkZ4VGgyUmZoZitHQj"
    "ZtTHdDelF2dzVCUXBUVFFERTBVMExPWkk2IiwgImIiOiAiWmVGT2dEeTdnN0Z4VXFGZ1pQTk1RRTU4MDBmeTNobEtvTnc2Wn"
    "NnTXA0S2gvenZER0lkNHNLRXN4SkZVb0hORGtPVWJMOHVKeVFieXFxSFQ0QzcwckdQVFcwUUNRazRpTUZsZkoxUU9XQ2s5VT"
    "lzS2dEOU83ZitzL3kxMmx5ZUl3eXlPaXBBRDFBWFA0Wk5mdDl0QUJMS01TNlpWd0w0UVIza2RRbzFjQjZVVDMweE5QN3pVLy"
    "9QOVpYbC9PS3cwZ1FBUEJnYTF6QWtGU0RvUWpkRGM2U2tFTnZTRlpmYzJnL2dWSitJbFl2UERrUGc9IiwgImMiOiAicVhoeU"
    "NRUFI5dUNadnlBQTRxc0V1UnJudjlhRUJLdHJUU25IY3FWOXBVWm94VlJmTG1Td2ZRZnE5Mkg4TUJGNGJCZllMRWovYWJiaz"
    "RjNlZoSkowWGZod0wxSHZERFluRUpBSmpUZWtCYWJ1SUoyV3V4aituc0NjQUx5VnBOdnNBMFJQMlNGTFY5TmZDcWFsWjNBUl"
    "h3UEtWNitOQWJrY1hIRzIrMlpyeUZjYUJ0a3E3WXZ6QldMZDZDS0h1NGRHZXAzRjVmWW52ZG5YVS9DRnZVTUhOTG9KREJsN0"
    "FhdmlUVHpPU1lyN2VnPT0iLCAiZCI6ICJMSnBvUTNvb2o2K0ZpVmNVRW50Q0hWMUhpcHNQbG5nZ3Q5SUREQnVGcVFmMW5kNy"
    "9GZWR2V1oxdWF0QVNoVEo1Z2dKTUJoQm5URjN0WGFvcHBnU0ZoTXlERWRFdTZoMlNQdVlLMjhMMVZWUXB1VDFCZEpDRDcvcn"
    "JOQlVOWGphSkdBbkFjeTRSZmRRdmFGSmRUcmdWUkNUb29VbjRLd3Qra3FHSFRYM3NkUVcxZ3dNR01YVFVtaklrRFBzV2g3NE"
    "ZOdXdzWVlISWpTY0s2a3ZGN1A3dWthZDVCUDhOZW1DUlIrV1FBNi9Cd05TRzhEYkdzcTA9In0sICJzYWx0IjogIjUwMDZkZm"
    "Y3ZmJhNGQzMGYifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_10_3", answer_10_3, "a", {
    "a": "The real <|endoftext|> has the pad id, so labels == pad_token_id turns its label into -100 too: the "
         "model is never trained to end a text, and at generation it runs on. Mask labels by attention_mask.",
    "b": "Nothing checks that the pad id differs from the EOS id: training runs without any error or warning. "
         "That is what makes the bug dangerous; its effect only shows at generation time.",
    "c": "Padding is never a target: every label equal to the pad id becomes -100 and is ignored by the loss. "
         "The problem is the opposite: the real end-of-text token is ignored as well.",
    "d": "The attention mask decides which positions are attended to, not which labels the loss uses; the "
         "labels were masked by token id, which also hides the real <|endoftext|> from the loss.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Embeddings: a lookup table
#
# After tokenization, the model turns each id into a vector with `nn.Embedding(V, d)`: a learnable matrix
# $W \in \mathbb{R}^{V \times d}$, and the vector of token $i$ is simply row $i$. Written as linear algebra,
# with $\mathbf{e}_i$ the one-hot vector of $i$ (length $V$, a single 1 at position $i$):
#
# $$\text{embed}(i) = \mathbf{e}_i^\top W = W_{i,:}.$$
#
# The lookup is the efficient way to compute that product: a one-hot matrix of shape `(batch, seq_len, V)` with
# $V = 30\,522$ would be huge and almost all zeros. Seeing it as a product explains the gradient too: only the
# rows of tokens present in the batch receive a gradient.

# %%
embedding = nn.Embedding(num_embeddings=5, embedding_dim=3)  # V = 5 tokens, d = 3
token_ids = torch.tensor([[2, 0, 2]])                         # (batch=1, seq_len=3)
print(embedding(token_ids).shape)                             # (1, 3, 3): one d-vector per token
print(torch.equal(embedding(token_ids)[0, 0], embedding.weight[2]))  # row 2 of the table

# %% [markdown]
# ### Exercise 10.4 — embedding lookup as one-hot × matrix (2 points)
#
# Write `one_hot_embed(ids, weight)` where `ids` is a `torch.long` tensor of any shape `(...)` with values in
# `[0, V)` and `weight` is a float tensor of shape `(V, d)`. Return a tensor of shape `(..., d)` with the same
# dtype as `weight`, computed as a one-hot encoding of `ids` (use `F.one_hot`) multiplied by `weight`. Do not
# index `weight` with `ids`, and do not call `F.embedding` or `nn.Embedding`: the result must still be equal
# to them, and gradients must flow to `weight`.

# %% nbgrader={"solution": true, "grade_id": "ex10_4"}
def one_hot_embed(ids: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Embedding lookup written as a matrix product.

    Args:
        ids: (...) torch.long token ids in [0, V).
        weight: (V, d) embedding matrix.

    Returns:
        (..., d) embeddings, same dtype as weight; equal to F.embedding(ids, weight).
    """
    ### BEGIN SOLUTION
    one_hot = F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype)  # (..., V)
    return one_hot @ weight                                                  # (..., d)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex10_4_test", "points": 2}
# Self-check (visible): against F.embedding.
torch.manual_seed(0)
weight_for_test = torch.randn(10, 4, dtype=torch.float64)   # V = 10, d = 4, float64
ids_for_test = torch.tensor([[0, 3, 1], [2, 2, 5]])          # (2, 3); the largest id, 5, is below V - 1 = 9
try:
    result = one_hot_embed(ids_for_test, weight_for_test)
except NotImplementedError:
    raise
except RuntimeError as error:
    raise AssertionError(
        "one_hot_embed failed for ids that do not reach V - 1 and a float64 weight. The one-hot must be "
        "V = weight.shape[0] wide (F.one_hot guesses ids.max() + 1 unless you pass num_classes) and have "
        f"weight's dtype. (error: {error})"
    ) from error
assert result.shape == (2, 3, 4), f"expected shape (2, 3, 4) = ids.shape + (d,), got {tuple(result.shape)}"
assert result.dtype == torch.float64, f"the result must have weight's dtype (float64), got {result.dtype}"
torch.testing.assert_close(result, F.embedding(ids_for_test, weight_for_test), atol=1e-12, rtol=0,
                           msg="one-hot @ weight should equal F.embedding(ids, weight)")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
torch.manual_seed(1)
weight_big = torch.randn(50, 6)
ids_small = torch.tensor([[3, 1, 4], [1, 5, 9]])  # max id 9 < V - 1 = 49
try:
    result = one_hot_embed(ids_small, weight_big)
except RuntimeError as error:
    raise AssertionError(
        "one_hot_embed failed when the ids do not use the whole vocabulary. F.one_hot(ids) guesses "
        "num_classes = ids.max() + 1; pass num_classes=weight.shape[0] so the one-hot width is V. "
        f"(error: {error})"
    ) from error
assert result.shape == (2, 3, 6), f"expected shape (2, 3, 6), got {tuple(result.shape)}"
torch.testing.assert_close(result, F.embedding(ids_small, weight_big), atol=1e-6, rtol=0,
                           msg="one-hot @ weight should equal F.embedding(ids, weight)")
for shape in [(7,), (3, 4), (2, 3, 5)]:
    weight_64 = torch.randn(20, 8, dtype=torch.float64)
    ids_random = torch.randint(0, 20, shape)
    try:
        result = one_hot_embed(ids_random, weight_64)
    except RuntimeError as error:
        raise AssertionError(
            f"one_hot_embed failed for a float64 weight: cast the one-hot to weight.dtype, not to float32 "
            f"(error: {error})"
        ) from error
    assert result.dtype == torch.float64, f"the result must have weight's dtype (float64), got {result.dtype}"
    torch.testing.assert_close(result, F.embedding(ids_random, weight_64), atol=1e-12, rtol=0,
                               msg=f"ids of shape {shape}: result differs from F.embedding")
weight_grad = torch.randn(12, 3, requires_grad=True)
ids_grad = torch.tensor([[0, 4, 4, 7]])
one_hot_embed(ids_grad, weight_grad).sum().backward()
expected_grad = torch.zeros(12, 3)
expected_grad[0] += 1
expected_grad[4] += 2
expected_grad[7] += 1
assert weight_grad.grad is not None, "no gradient reached weight: do not detach it or convert to numpy"
torch.testing.assert_close(weight_grad.grad, expected_grad, atol=1e-6, rtol=0,
                           msg="the gradient of each row should count how often its token appears (row 4: twice)")
# The rules: build a one-hot with F.one_hot and multiply; no F.embedding / nn.Embedding.
# The rules: build a one-hot with F.one_hot and multiply; no F.embedding / nn.Embedding / weight[ids].
from course.checks import forbidden

_one_hot_calls = []
_saved_one_hot = F.one_hot


def _counting_one_hot(*args, **kwargs):
    _one_hot_calls.append(1)
    return _saved_one_hot(*args, **kwargs)


weight_rules = torch.randn(6, 3)
F.one_hot = _counting_one_hot
try:
    with forbidden("torch.nn.functional.embedding", "torch.nn.Embedding", "torch.embedding", namespace=globals(),
                   reason="Compute F.one_hot(ids, num_classes=V).to(weight.dtype) @ weight"):
        result = one_hot_embed(torch.tensor([[1, 4]]), weight_rules)
finally:
    F.one_hot = _saved_one_hot
assert _one_hot_calls, (
    "one_hot_embed never called F.one_hot: the exercise is to write the lookup as a one-hot matrix times weight, "
    "not to index weight[ids]")
torch.testing.assert_close(result, weight_rules[torch.tensor([[1, 4]])], atol=1e-6, rtol=0,
                           msg="one-hot @ weight should equal the rows of weight")
### END HIDDEN TESTS

# %% [markdown]
# ### Nearest neighbours in MiniLM's embedding table
#
# MiniLM's input embeddings are `model.embeddings.word_embeddings`, a $30\,522 \times 384$ table learned during
# pre-training. These vectors come **before** any attention layer, so they carry no context — yet tokens used
# in similar contexts have ended up with similar rows. We measure that with cosine similarity,
# $\cos(\mathbf{u}, \mathbf{v}) = \frac{\mathbf{u} \cdot \mathbf{v}}{\|\mathbf{u}\| \|\mathbf{v}\|}$, computed for
# one word against all 30 522 rows at once by normalising the rows first.

# %%
embedding_table = model.embeddings.word_embeddings.weight.detach()  # (30522, 384)
unit_rows = F.normalize(embedding_table, dim=-1)                    # each row scaled to length 1


def nearest_tokens(token: str, k: int = 6) -> list[tuple[str, float]]:
    """The k tokens whose input embeddings have the highest cosine similarity with ``token``'s (itself excluded)."""
    token_id = tokenizer.convert_tokens_to_ids(token)
    similarities = unit_rows @ unit_rows[token_id]  # (30522,)
    values, indices = similarities.topk(k + 1)
    return [(tokenizer.convert_ids_to_tokens(int(i)), round(float(v), 2))
            for v, i in zip(values, indices) if int(i) != token_id][:k]


for word in ["king", "paris", "happy", "running", "three", "##ing"]:
    print(f"{word:8} -> {nearest_tokens(word)}")

# %%
words_to_compare = ["king", "queen", "prince", "dog", "cat", "puppy", "paris", "london", "france", "three", "four"]
word_ids = tokenizer.convert_tokens_to_ids(words_to_compare)
similarity = unit_rows[word_ids] @ unit_rows[word_ids].T  # (11, 11)
fig, ax = plt.subplots(figsize=(6.5, 5.5))
image = ax.imshow(similarity, cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(len(words_to_compare)), words_to_compare, rotation=45, ha="right")
ax.set_yticks(range(len(words_to_compare)), words_to_compare)
ax.set_xlabel("token")
ax.set_ylabel("token")
ax.set_title("Cosine similarity of MiniLM input embeddings")
fig.colorbar(image, ax=ax, label="cosine similarity")
plt.show()

# %% [markdown]
# Royalty, animals, places and numbers form visible blocks. The neighbours are a mix of meaning (*king* →
# *queen*) and form (*running* → *run*, *##ing* → *##ed*): the table has learned which tokens are
# interchangeable in context. The contextual vectors produced by the layers (lessons 01, 06 and 16) are far
# richer.
#
# **Takeaway:** an embedding layer is a one-hot × matrix product implemented as a row lookup; its rows are
# learned so that tokens used alike end up close.

# %% [markdown]
# ## Common mistakes
#
# **1. Padding with the EOS token and masking labels by id.** `pad_token = eos_token` plus
# `labels[labels == pad_token_id] = -100` hides every real end-of-text from the loss (section 7): the model never
# learns to stop. Fix: mask labels with `attention_mask == 0`, or add a dedicated pad token.
#
# **2. Ignoring the leading space of byte-level BPE.** `"Hello"` and `" Hello"` are different tokens (section 5).
# A prompt ending with `"Answer: "` makes the model predict a token *without* the space it usually carries.
# Fix: end prompts without a trailing space, and compare tokens, not strings.
#
# **3. Truncating ids by hand after adding special tokens.**

# %%
ids_with_specials = tokenizer(sentences[1])["input_ids"]
print("by hand  :", tokenizer.convert_ids_to_tokens(ids_with_specials[:6]))  # wrong: [SEP] is gone
print("tokenizer:", tokenizer.convert_ids_to_tokens(tokenizer(sentences[1], truncation=True, max_length=6)["input_ids"]))

# %% [markdown]
# The hand-truncated sequence has lost its `[SEP]`, a format the model never saw in training. Fix: let the
# tokenizer truncate (`truncation=True, max_length=...`), or truncate first and add special tokens after.
#
# **4. Right padding for batched generation.** A decoder predicts the next token from the last position; with
# right padding that position is `[PAD]` for the shorter prompts. Fix: `padding_side="left"` for generation,
# and pass the `attention_mask` so that the left pads are ignored.
#
# **5. `F.one_hot(ids)` without `num_classes`.** The width is guessed as `ids.max() + 1`, so it changes with the
# batch and no longer matches the `(V, d)` matrix:

# %%
small_ids = torch.tensor([0, 3, 1])
print("guessed width:", F.one_hot(small_ids).shape, "  with num_classes=10:", F.one_hot(small_ids, num_classes=10).shape)

# %% [markdown]
# **6. Mixing a tokenizer and a model that were not trained together.** Ids are positions in one specific table:
# id 2088 is *world* for MiniLM and something unrelated for another vocabulary. Always load both from the same
# checkpoint.

# %% [markdown]
# ## Summary
#
# - Subword tokenizers keep frequent words whole and split rare ones into known pieces: fixed vocabulary,
#   short sequences, no unknown words.
# - BPE learns merges by repeatedly merging the most frequent adjacent pair (weighted by word frequency, with a
#   fixed tie-break); encoding replays the merges in learned order. WordPiece marks continuations with `##`;
#   byte-level BPE glues the leading space to the word (`Ġ`) and never needs `[UNK]`.
# - Special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `<|endoftext|>`) are part of the model's input format.
# - A batch is `input_ids` plus `attention_mask`; pad right for encoders and training, left for generation;
#   mask labels by the attention mask, never by a token id that real text also uses.
# - An embedding layer is one-hot × matrix, computed as a row lookup; neighbouring rows mean related tokens.
#
# ## Going further
#
# - R. Sennrich, B. Haddow, A. Birch (2016), *Neural Machine Translation of Rare Words with Subword Units* — BPE
#   for NLP. P. Gage (1994), *A New Algorithm for Data Compression* — the original byte pair encoding.
# - M. Schuster, K. Nakajima (2012), *Japanese and Korean Voice Search* — WordPiece; Y. Wu et al. (2016),
#   *Google's Neural Machine Translation System* — WordPiece at scale; J. Devlin et al. (2019), *BERT*.
# - A. Radford et al. (2019), *Language Models are Unsupervised Multitask Learners* — GPT-2 and byte-level BPE.
# - T. Kudo (2018), *Subword Regularization* (the unigram tokenizer); T. Kudo, J. Richardson (2018),
#   *SentencePiece*.
# - Hugging Face documentation: the `tokenizers` library (https://huggingface.co/docs/tokenizers), "Padding and
#   truncation" in the Transformers docs (https://huggingface.co/docs/transformers/pad_truncation), and chapter 6
#   of the Hugging Face LLM course (https://huggingface.co/learn/llm-course/chapter6).

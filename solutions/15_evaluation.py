# ---
# jupyter:
#   course:
#     title: "Evaluating a model"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 15 · Evaluating a model
# {{COLAB_BADGE}}
#
# A training loop prints a loss that goes down. That number says how well the model fits the data it is
# fed; it does not say whether the model translates, nor whether it will translate sentences it has never
# seen. This lesson measures quality **honestly**: with the right metric, computed the standard way, on
# data the model never saw.
#
# **You will be able to:**
# - turn a mean per-token cross-entropy into a perplexity, ignoring padding, and explain why it is not the
#   mean of per-sentence perplexities;
# - explain why token accuracy and exact match disagree, and what an n-gram metric adds;
# - compute corpus BLEU by hand so that it matches `sacrebleu` exactly, and explain why a sentence-level
#   BLEU (sacrebleu's, or a textbook's home-made one) is a different number; use chrF and ROUGE from their
#   libraries;
# - split a data set without leaking duplicates between training and test, and measure the leak a random
#   split causes;
# - read a training curve: the running training loss (averaged over the epoch, with dropout) against the
#   validation loss.
#
# **Prerequisites:** lessons 10 (tokens and vocabularies), 13 (training loop, dropout, cross-entropy with
# `ignore_index`) and 14 (the translation task). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, sacrebleu and rouge-score).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import math
import random
from collections import Counter

import matplotlib.pyplot as plt
import sacrebleu
import torch
import torch.nn as nn
import torch.nn.functional as F
from rouge_score import rouge_scorer
from rouge_score import tokenizers as rouge_tokenizers
from tqdm.auto import tqdm

import course
import course.data as data

course.set_seed(0)
torch.set_num_threads(1)  # the models of this lesson are tiny: one thread is faster than two

# %% [markdown]
# ## 0. Something to evaluate
#
# We use the course's English → French data (lesson 14): a training set, a validation set drawn from the
# same distribution, and a **compositional** test set whose adjective–noun combinations never occur in
# training.

# %%
splits = data.translation_splits(seed=0)
print(f"train {len(splits.train)}, valid {len(splits.valid)}, test {len(splits.test)} sentence pairs")
for english, french in splits.valid[:3]:
    print(f"  {english:45s} -> {french}")

# %% [markdown]
# No lesson trains a big model here: to have real outputs to score, we build two cheap translators
# ourselves, and one artificial "system".
#
# 1. **Word for word.** For every English word $e$ and French token $f$ we count in how many training pairs
#    they occur together, and keep for $e$ the $f$ with the highest *Dice coefficient*
#    $2\,\#(e, f) / (\#e + \#f)$. Translating then replaces each English word by its French partner, in
#    English order. It gets most words right, the order of colour adjectives wrong ("rouge pomme"), and the
#    agreement wrong (one French form per English adjective).
# 2. **Word for word, French adjective order.** The same, after moving the adjectives that follow the noun
#    in French (colours, *happy*, *tired*) behind their noun.
# 3. **Noisy references.** The reference translations with 10 % of their tokens replaced by random French
#    tokens: nearly right everywhere, yet often wrong somewhere in the sentence.

# %%
english_count, french_count, pair_count = Counter(), Counter(), Counter()
for english, french in splits.train:
    english_words, french_tokens = set(english.split()), set(data.tokenize(french))
    english_count.update(english_words)
    french_count.update(french_tokens)
    pair_count.update((e, f) for e in english_words for f in french_tokens)

dictionary, best_dice = {}, {}
for (e, f), together in sorted(pair_count.items()):  # sorted: ties go to the same token in every run
    dice = 2 * together / (english_count[e] + french_count[f])
    if dice > best_dice.get(e, 0.0):
        dictionary[e], best_dice[e] = f, dice
MIN_DICE = 0.3  # English words with no clear French partner (auxiliaries such as "do") are dropped


def word_for_word(english: str) -> list[str]:
    """French tokens, one per English word that has a partner, in English order."""
    return [dictionary[word] for word in english.split() if best_dice.get(word, 0.0) >= MIN_DICE]


FRENCH_AFTER_NOUN = {"red", "black", "white", "green", "blue", "happy", "tired"}


def french_adjective_order(english: str) -> str:
    """Move every adjective that follows its noun in French behind the next English word (its noun)."""
    words, index = english.split(), 0
    while index < len(words) - 1:
        if words[index] in FRENCH_AFTER_NOUN:
            words[index], words[index + 1] = words[index + 1], words[index]
            index += 2
        else:
            index += 1
    return " ".join(words)


french_vocab = data.Vocabulary.from_texts(french for _, french in splits.train)
noise_rng = random.Random(0)


def add_noise(tokens: list[str], rate: float = 0.1) -> list[str]:
    """A copy of ``tokens`` with each token replaced, with probability ``rate``, by a random French token."""
    return [noise_rng.choice(french_vocab.itos[4:]) if noise_rng.random() < rate else token for token in tokens]


references = [data.tokenize(french) for _, french in splits.valid]          # list of token lists
systems = {
    "word for word": [word_for_word(english) for english, _ in splits.valid],
    "+ French adjective order": [word_for_word(french_adjective_order(english)) for english, _ in splits.valid],
    "noisy references": [add_noise(reference) for reference in references],
}
for index in (0, 1):
    print("reference:", " ".join(references[index]))
    for name, outputs in systems.items():
        print(f"  {name:25s} {' '.join(outputs[index])}")

# %% [markdown]
# **Takeaway:** to compare metrics we need outputs with *different kinds* of errors: wrong order, wrong
# forms, missing words, random substitutions.

# %% [markdown]
# ## 1. Loss and perplexity
#
# A model that predicts the next token gives the true token $y_t$ a probability $p(y_t \mid y_{<t})$. Its
# **cross-entropy** on that token is $\ell_t = -\ln p(y_t \mid y_{<t})$, in **nats** because PyTorch's
# `F.cross_entropy` uses the natural logarithm. The loss of a corpus is the mean over all its real tokens,
# $L = \frac{1}{T} \sum_t \ell_t$ — padding excluded, which is what `ignore_index` does.
#
# The **perplexity** is $\exp(L)$, the inverse of the geometric mean of the probabilities the model gave the
# true tokens. It reads as "the model is as unsure as if it picked uniformly among PPL tokens": a model that
# spreads its probability uniformly over a vocabulary of $V$ tokens has $L = \ln V$ and perplexity $V$; a
# perfect model has perplexity 1. It is the loss on a scale people can picture, and nothing more: it is
# still measured in "tokens", so perplexities of models with different tokenizers are not comparable.
#
# To have losses to look at, we train a tiny next-token model on the French side of 1 500 training pairs:
# it reads the two previous tokens and predicts the next one (a neural trigram model), with dropout.
# `N_TRAIN_SENTENCES` and `EPOCHS` are yours to raise; the run takes a few seconds.

# %%
CONTEXT = 2  # the model reads the two previous tokens


def padded_ids(pairs: list[tuple[str, str]]) -> torch.Tensor:
    """French sides as one id tensor (n, CONTEXT + max_len + 1): CONTEXT x <bos>, the tokens, <eos>, <pad>s."""
    rows = [[french_vocab.bos_id] * CONTEXT + french_vocab.encode(french, eos=True) for _, french in pairs]
    width = max(len(row) for row in rows)
    return torch.tensor([row + [french_vocab.pad_id] * (width - len(row)) for row in rows])


def contexts_and_targets(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each target position, the CONTEXT tokens before it: (n, seq_len, CONTEXT) and targets (n, seq_len)."""
    return ids.unfold(1, CONTEXT, 1)[:, :-1], ids[:, CONTEXT:]


class TinyFrenchLM(nn.Module):
    """Predicts the next French token from the CONTEXT previous ones."""

    def __init__(self, vocab_size: int, d_embed: int = 32, d_hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_embed)
        self.mlp = nn.Sequential(nn.Dropout(dropout), nn.Linear(CONTEXT * d_embed, d_hidden), nn.ReLU(),
                                 nn.Dropout(dropout), nn.Linear(d_hidden, vocab_size))

    def forward(self, contexts: torch.Tensor) -> torch.Tensor:  # (..., CONTEXT) -> (..., vocab_size)
        return self.mlp(self.embed(contexts).flatten(-2))


def token_losses(model: nn.Module, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token cross-entropies in nats (n, seq_len), 0 at padding, and the mask of real tokens (n, seq_len)."""
    contexts, targets = contexts_and_targets(ids)
    model.eval()
    with torch.no_grad():
        logits = model(contexts)                                                  # (n, seq_len, vocab)
    losses = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=french_vocab.pad_id, reduction="none")
    return losses, targets != french_vocab.pad_id


def mean_loss(model: nn.Module, ids: torch.Tensor) -> float:
    """The mean per-token loss over the real tokens, as the library computes it (eval mode, no dropout)."""
    contexts, targets = contexts_and_targets(ids)
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(contexts).transpose(1, 2), targets, ignore_index=french_vocab.pad_id).item()


# %%
N_TRAIN_SENTENCES, EPOCHS, BATCH_SIZE = 1500, 10, 128
lm_train_ids = padded_ids(splits.train[:N_TRAIN_SENTENCES])
lm_valid_ids, lm_test_ids = padded_ids(splits.valid), padded_ids(splits.test)
contexts, targets = contexts_and_targets(lm_train_ids)
real = targets != french_vocab.pad_id
train_contexts, train_targets = contexts[real], targets[real]                     # (N, CONTEXT), (N,)

language_model = TinyFrenchLM(len(french_vocab))
optimizer = torch.optim.AdamW(language_model.parameters(), lr=3e-3)
history = {"running": [], "train_eval": [], "valid": []}
for epoch in tqdm(range(EPOCHS), desc="epochs"):
    language_model.train()                                                         # dropout on
    order, total = torch.randperm(len(train_targets)), 0.0
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        loss = F.cross_entropy(language_model(train_contexts[batch]), train_targets[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    history["running"].append(total / len(order))             # what a progress bar shows: mean over the epoch
    history["train_eval"].append(mean_loss(language_model, lm_train_ids))   # end of epoch, eval mode
    history["valid"].append(mean_loss(language_model, lm_valid_ids))        # end of epoch, eval mode
print(f"{len(train_targets)} training tokens; after {EPOCHS} epochs: validation loss {history['valid'][-1]:.3f} "
      f"nats per token; uniform guess over {len(french_vocab)} tokens: ln V = {math.log(len(french_vocab)):.3f}")

# %% [markdown]
# Section 5 reads the three curves recorded in `history`. For now we want the per-token losses of the
# validation set, in one padded batch: a `(sentences, positions)` tensor of losses and a mask of the real
# tokens.

# %%
valid_losses, valid_mask = token_losses(language_model, lm_valid_ids)
print("losses", tuple(valid_losses.shape), "mask", tuple(valid_mask.shape),
      f"-> {int(valid_mask.sum())} real tokens out of {valid_mask.numel()} positions")
print("sentence 0, losses:", valid_losses[0].numpy().round(2))
print("sentence 0, mask:  ", valid_mask[0].int().numpy())

# %% [markdown]
# ### Exercise 15.1 — Perplexity (2 points)
#
# Write `perplexity(loss, mask=None)`.
#
# - `loss`: per-token cross-entropies **in nats**, a float tensor of any shape (typically
#   `(batch, seq_len)`, from `F.cross_entropy(..., reduction="none")`); or a Python float / 0-dim tensor that
#   is already a mean per-token loss.
# - `mask`: `None` (every entry counts) or a bool tensor of the same shape as `loss`, `True` for the tokens
#   that count and `False` at padding. The losses at padding can hold any finite number (a large one, say).
# - Return a Python `float`: $\exp$ of the mean loss over **all the counted tokens of the corpus** — every
#   token weighs the same, whichever sentence it is in.
# - Raise a `ValueError` when no token counts (an empty corpus has no perplexity; do not return `nan`).
# - Do not modify `loss` or `mask`. Convert with `torch.as_tensor(loss)`: `torch.tensor(a_tensor)` prints a
#   warning, and a warning in a grade cell costs its points.

# %% nbgrader={"solution": true, "grade_id": "ex15_1"}
def perplexity(loss, mask=None) -> float:
    """Perplexity exp(mean per-token cross-entropy) over the counted tokens.

    Args:
        loss: per-token cross-entropies in nats, a tensor of any shape (e.g. (batch, seq_len)), or a float /
            0-dim tensor that is already a mean per-token loss.
        mask: None, or a bool tensor shaped like ``loss``: True for tokens that count, False for padding.

    Returns:
        A Python float.
    """
    ### BEGIN SOLUTION
    loss = torch.as_tensor(loss, dtype=torch.float64)
    counted = loss if mask is None else loss[mask]
    if counted.numel() == 0:
        raise ValueError("no token counts: the perplexity of an empty corpus is undefined")
    return math.exp(counted.mean().item())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex15_1_test", "points": 2}
# Self-check: no warning, a mean loss in nats, a uniform model, and padding that must not count.
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("error")  # a warning printed in a grade cell costs its points: make it an error here
    try:
        perplexity(torch.full((2, 3), 1.0), torch.ones(2, 3, dtype=torch.bool))
    except Warning as warning:
        raise AssertionError(f"perplexity printed a warning: {warning}. Convert with torch.as_tensor(loss), "
                             "not torch.tensor(loss)") from None
assert math.isclose(perplexity(2.0), math.exp(2.0), rel_tol=1e-6), (
    f"perplexity(2.0) should be e^2 = {math.exp(2):.4f}, got {perplexity(2.0)}: the loss is in NATS, so the "
    "perplexity is exp(loss), not 2**loss")
uniform_losses = torch.full((3, 4), math.log(50.0))  # a model uniform over 50 tokens
assert math.isclose(perplexity(uniform_losses), 50.0, rel_tol=1e-5), "a uniform model over V tokens has perplexity V"
padded_losses = torch.tensor([[1.0, 2.0, 3.0], [4.0, 30.0, 30.0]])
padded_mask = torch.tensor([[True, True, True], [True, False, False]])
expected = math.exp((1 + 2 + 3 + 4) / 4)
assert math.isclose(perplexity(padded_losses, padded_mask), expected, rel_tol=1e-5), (
    f"expected exp(mean of the 4 real tokens) = {expected:.4f}, got {perplexity(padded_losses, padded_mask):.4f}; "
    "average over the tokens where mask is True, all sentences pooled")
assert isinstance(perplexity(padded_losses, padded_mask), float), (
    "perplexity must return a Python float (math.exp or .item()), not a tensor")
# Your function must not change its inputs, and an empty corpus is an error, not nan.
from course.checks import call_checking_inputs

call_checking_inputs(perplexity, torch.tensor([[1.0, 2.0], [3.0, 40.0]]), torch.tensor([[True, True], [True, False]]))
try:
    empty_result = perplexity(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.bool))
except ValueError:
    pass
else:
    raise AssertionError(f"with every mask entry False, raise ValueError (you returned {empty_result})")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

# Against the library: exp of F.cross_entropy's mean over non-ignored targets, on ragged sentences.
torch.manual_seed(15)
logits_hidden = torch.randn(5, 9, 30, dtype=torch.float64) * 2
targets_hidden = torch.randint(0, 30, (5, 9))
for row, length in enumerate([9, 1, 4, 7, 2]):
    targets_hidden[row, length:] = -100
mask_hidden = targets_hidden != -100
losses_hidden = F.cross_entropy(logits_hidden.transpose(1, 2), targets_hidden, ignore_index=-100, reduction="none")
library = math.exp(F.cross_entropy(logits_hidden.transpose(1, 2), targets_hidden, ignore_index=-100).item())
losses_hidden[~mask_hidden] = 25.0  # whatever sits at the padding must not count
mine = call_checking_inputs(perplexity, losses_hidden, mask_hidden)
assert isinstance(mine, float), (
    f"perplexity must return a Python float (math.exp or .item()), got {type(mine).__name__}")
per_sentence_losses = losses_hidden.masked_fill(~mask_hidden, 0).sum(1) / mask_hidden.sum(1)
mean_of_sentence_ppl = per_sentence_losses.exp().mean().item()
assert not math.isclose(mine, mean_of_sentence_ppl, rel_tol=1e-3), (
    "you averaged per-sentence perplexities: the perplexity of a corpus is exp of the mean over ALL its "
    "tokens (each token weighs the same), not the mean of the sentences' perplexities")
assert not math.isclose(mine, per_sentence_losses.mean().exp().item(), rel_tol=1e-3), (
    "you averaged per-sentence mean losses: a 1-token sentence then weighs as much as a 9-token one; "
    "pool the tokens of all sentences")
assert not math.isclose(mine, 2 ** math.log(library), rel_tol=1e-3), (
    "2 ** loss is the perplexity of a loss in bits; F.cross_entropy gives nats, so use exp")
assert math.isclose(mine, library, rel_tol=1e-6), (
    f"expected {library:.4f} = exp(F.cross_entropy(..., ignore_index=-100)), got {mine:.4f}; "
    "are the padded positions (mask False) excluded?")
# Extra leading axes, a 0-dim tensor, float64, no mask.
losses_3d = torch.rand(2, 3, 4) * 3
mask_3d = torch.rand(2, 3, 4) > 0.3
assert math.isclose(float(perplexity(losses_3d, mask_3d)), math.exp(losses_3d[mask_3d].mean().item()), rel_tol=1e-5)
assert math.isclose(float(perplexity(torch.tensor(1.5, dtype=torch.float64))), math.exp(1.5), rel_tol=1e-9), (
    "compute in the input's precision: a float64 loss must not be cast to float32 (.float())")
assert math.isclose(float(perplexity(losses_3d)), math.exp(losses_3d.mean().item()), rel_tol=1e-5)
# Nothing counts: an explicit error, not nan.
try:
    result = perplexity(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.bool))
except ValueError:
    pass
else:
    raise AssertionError(f"with every mask entry False, raise ValueError (you returned {result})")
### END HIDDEN TESTS

# %% [markdown]
# The perplexity of our tiny model on training, validation and compositional test sentences, next to that
# of a uniform guess (this cell uses your function):

# %%
try:
    for name, ids in ((f"train (its own {N_TRAIN_SENTENCES} sentences)", lm_train_ids), ("validation", lm_valid_ids),
                      ("test (unseen combinations)", lm_test_ids)):
        print(f"{name:32s} perplexity {perplexity(*token_losses(language_model, ids)):6.2f}")
    print(f"{'uniform over the vocabulary':32s} perplexity {len(french_vocab):6d}")
except NotImplementedError:
    print("Complete Exercise 15.1 to see the perplexities.")

# %% [markdown]
# At each step the model hesitates, on average, as much as between a few equally likely tokens (the
# perplexity printed above), not among all of them. It is best on the sentences it trained on, and worst on the
# test set: an adjective it never saw after a given noun surprises it. Keep that order in mind for section 4.
#
# The perplexity of a corpus is **not** the mean of the perplexities of its sentences, for two reasons:
# $\exp$ is convex, so a mean of exponentials exceeds the exponential of the mean (Jensen's inequality);
# and a mean over sentences weighs a 4-token sentence as much as a 12-token one, where the corpus mean
# weighs every token the same:

# %%
sentence_losses = valid_losses.sum(dim=1) / valid_mask.sum(dim=1)                  # (n,) mean per sentence
corpus_loss = valid_losses[valid_mask].mean()
print(f"exp(mean over all tokens)          {corpus_loss.exp().item():6.3f}   <- the perplexity")
print(f"mean of per-sentence perplexities  {sentence_losses.exp().mean().item():6.3f}")

# %% [markdown]
# **Takeaway:** perplexity $= \exp(\text{mean per-token loss in nats})$ over the real tokens of the whole
# corpus; $V$ for a uniform guess, 1 for a perfect model.

# %% [markdown]
# ## 2. Token accuracy versus exact match
#
# Two simple scores for generated text:
#
# - **exact match**: the fraction of outputs identical to their reference, token for token;
# - **token accuracy**: the fraction of reference tokens that the output has *at the same position*.
#
# During training, token accuracy is measured with teacher forcing (the model sees the true prefix at each
# step), which is why a training log can show a high token accuracy for a model that rarely produces a
# whole correct sentence on its own. Here we measure both on generated outputs.

# %%
def exact_match(outputs: list[list[str]], references: list[list[str]]) -> float:
    """Fraction of outputs equal to their reference."""
    return sum(output == reference for output, reference in zip(outputs, references)) / len(references)


def token_accuracy(outputs: list[list[str]], references: list[list[str]]) -> float:
    """Fraction of reference tokens found at the same position in the output."""
    hits = sum(sum(o == r for o, r in zip(output, reference)) for output, reference in zip(outputs, references))
    return hits / sum(len(reference) for reference in references)


for name, outputs in systems.items():
    print(f"{name:25s} exact match {exact_match(outputs, references):6.1%}   "
          f"token accuracy {token_accuracy(outputs, references):6.1%}")

# %% [markdown]
# The noisy references get most tokens right and yet fewer than half of the sentences: one wrong token in
# a sentence is enough to lose it. Exact match is the honest score for "is this output usable as it is?",
# but it says nothing about *how far* a wrong output is. Token accuracy is position-bound, which makes it
# brittle in another way: one dropped word shifts every later token.

# %%
reference_example = data.tokenize("le petit chat n'aime pas la pomme rouge .")
variants = {
    "identical": list(reference_example),
    "one wrong form (rouges)": [*reference_example[:-2], "rouges", "."],
    "adjective order swapped": [*reference_example[:-3], "rouge", "pomme", "."],
    "first adjective dropped": [reference_example[0], *reference_example[2:]],
}
for name, output in variants.items():
    print(f"{name:26s} exact {exact_match([output], [reference_example]):4.0%}   "
          f"token accuracy {token_accuracy([output], [reference_example]):4.0%}   {' '.join(output)}")

# %% [markdown]
# Dropping one word costs more token accuracy than a wrong form, although the rest of the sentence is
# intact. We want a score that gives credit for correct pieces *wherever* they are: n-gram overlap.
#
# **Takeaway:** exact match is strict and uninformative about near misses; token accuracy is
# position-bound. Report exact match when whole outputs must be right, and an n-gram metric to see progress.

# %% [markdown]
# ## 3. BLEU, by hand
#
# BLEU (Papineni et al., 2002) counts how many of the output's **n-grams** (runs of $n$ tokens,
# $n = 1..4$) also occur in the reference, and penalises outputs that are too short.
#
# **Clipped counts.** An output "le le le le" against "le chat" would have unigram precision 4/4 if every
# "le" counted. BLEU *clips* the count of each n-gram at the number of times it occurs in the reference:
# $\min(\text{count}_\text{output}(g), \text{count}_\text{reference}(g))$, so that output scores 1/4.
#
# **Corpus level.** BLEU is defined on a whole test set. For each order $n$, the clipped matches and the
# output n-gram counts are **summed over all sentences** before dividing:
#
# $$p_n = \frac{\sum_{\text{sentences}} \sum_{g \in \text{n-grams}} \min\big(\text{count}_\text{out}(g),
#   \text{count}_\text{ref}(g)\big)}{\sum_{\text{sentences}} \sum_{g \in \text{n-grams}} \text{count}_\text{out}(g)}.$$
#
# **Brevity penalty.** Precision alone rewards outputs that say little ("le ." is all correct). With
# $c$ the total length of the outputs and $r$ the total length of the references, both summed over the
# corpus,
#
# $$\text{BP} = \begin{cases} 1 & c > r \\ e^{\,1 - r/c} & c \le r \end{cases}, \qquad
#   \text{BLEU} = 100 \cdot \text{BP} \cdot \exp\Big(\frac{1}{N} \sum_{n=1}^{N} \ln p_n\Big),$$
#
# with uniform weights $1/N$ and $N = 4$: the geometric mean of the four precisions. If any $p_n$ is 0, the
# geometric mean is 0 and so is BLEU (unless one *smooths*, see below).
#
# **The reference implementation** is `sacrebleu` (Post, 2018), which also prints a *signature* saying how
# the number was computed. Our text is already tokenized (lesson 10's `data.tokenize`), so we give
# sacrebleu space-joined tokens and ask it not to tokenize again (`tokenize="none"`), not to smooth
# (`smooth_method="none"`), and not to warn about text that looks tokenized (`force=True`):

# %%
def sacrebleu_corpus(outputs: list[list[str]], references: list[list[str]], max_order: int = 4):
    """sacrebleu's corpus BLEU on already-tokenized text: no re-tokenization, no smoothing."""
    metric = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none", force=True, max_ngram_order=max_order)
    return metric.corpus_score([" ".join(tokens) for tokens in outputs],
                               [[" ".join(tokens) for tokens in references]]), metric.get_signature()


for name, outputs in systems.items():
    score, signature = sacrebleu_corpus(outputs, references)
    print(f"{name:25s} {score}")
print("signature:", signature)

# %% [markdown]
# Read a line as: BLEU, then $p_1/p_2/p_3/p_4$ in percent, the brevity penalty, the ratio $c/r$ and the two
# lengths. (The shortcut `sacrebleu.corpus_bleu(output_strings, [reference_strings], tokenize="none",
# smooth_method="none", force=True)`, on the space-joined tokens, computes the same thing with $N = 4$; the
# `BLEU` class also lets us change $N$.) The word-for-word outputs are too short (auxiliaries dropped), so
# they pay a brevity penalty.
#
# ### Exercise 15.2 — Corpus BLEU (4 points)
#
# Write `bleu(candidates, references, max_order=4)`.
#
# - `candidates`: a list of outputs, each a list of tokens (`list[list[str]]`); `references`: a list of the
#   same length, **one** reference (a list of tokens) per candidate. The text is already tokenized: do not
#   lower-case it, split it or tokenize it again.
# - For each order $n = 1, \dots,$ `max_order`: clipped matches and candidate n-gram counts summed over the
#   corpus, $p_n$ their ratio; brevity penalty from the **summed** lengths $c$ and $r$; uniform weights
#   $1/$`max_order`; return a Python `float` on the **0–100** scale, as in the formula above.
# - If a precision is 0 (no clipped match of some order anywhere in the corpus, including when the candidates
#   hold no n-gram of that order at all, or when every candidate is empty), return `0.0`: no smoothing.
# - Raise a `ValueError` if the two lists have different lengths (`zip` would silently drop sentences).
# - Do not modify the inputs, and do not call `sacrebleu` or `nltk`: count the n-grams yourself
#   (`collections.Counter` helps).
#
# Your result must equal `sacrebleu_corpus(candidates, references, max_order)[0].score` (to $10^{-6}$).

# %% nbgrader={"solution": true, "grade_id": "ex15_2"}
def bleu(candidates: list[list[str]], references: list[list[str]], max_order: int = 4) -> float:
    """Corpus BLEU on tokenized text, one reference per candidate, no smoothing, on the 0-100 scale.

    Args:
        candidates: list of token lists, the system outputs.
        references: list of token lists, one reference per candidate.
        max_order: the largest n-gram order N (uniform weights 1/N).

    Returns:
        100 * BP * exp(mean_n log p_n) as a float; 0.0 if some p_n is 0.
    """
    ### BEGIN SOLUTION
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    matches, totals = [0] * max_order, [0] * max_order
    candidate_length = reference_length = 0
    for candidate, reference in zip(candidates, references):
        candidate_length += len(candidate)
        reference_length += len(reference)
        for n in range(1, max_order + 1):
            candidate_ngrams = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            reference_ngrams = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, reference_ngrams[gram]) for gram, count in candidate_ngrams.items())
            totals[n - 1] += sum(candidate_ngrams.values())
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    if candidate_length > reference_length:
        brevity_penalty = 1.0
    else:
        brevity_penalty = math.exp(1 - reference_length / candidate_length)
    return 100.0 * brevity_penalty * math.exp(log_precision)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex15_2_test", "points": 4}
# Self-check 1: a two-sentence corpus computed by hand (max_order=2).
hand_candidates = [["le", "le", "chat"], ["il", "dort", "."]]
hand_references = [["le", "chat", "dort", "."], ["il", "dort", "."]]
# p1 = (1 clipped "le" + "chat" + 3) / 6 = 5/6;  p2 = (0 + 1 + 2) / (2 + 2) = 3/4;  c = 6, r = 7: BP = e^(1 - 7/6)
hand_value = 100 * math.exp(1 - 7 / 6) * math.sqrt(5 / 6 * 3 / 4)
hand_result = bleu(hand_candidates, hand_references, max_order=2)
assert math.isclose(hand_result, hand_value, abs_tol=1e-6), (
    f"expected {hand_value:.4f}, got {hand_result:.4f}. Check: counts clipped by the reference ('le' counts "
    "once), counts and lengths SUMMED over the corpus before dividing, BP = exp(1 - r/c) with the summed "
    "lengths, geometric mean of p1 and p2, and the 0-100 scale")
# Self-check 2: the lesson's three systems, against sacrebleu (on copies, checking that bleu leaves them alone).
from course.checks import call_checking_inputs

for name, outputs in systems.items():
    expected = sacrebleu_corpus(outputs, references)[0].score
    result = call_checking_inputs(bleu, [list(o) for o in outputs], [list(r) for r in references])
    assert math.isclose(result, expected, abs_tol=1e-6), (
        f"{name}: sacrebleu gives {expected:.4f}, you give {result:.4f}")
# Self-check 3: BP = 1 when the candidates are longer; a zero precision gives 0.0 (no smoothing, no log(0)).
assert math.isclose(bleu([["le", "chat", "dort", "bien", "."]], [["le", "chat", "."]], 1), 60.0, abs_tol=1e-6), (
    "candidates LONGER than the references get BP = 1: exp(1 - r/c) would be a bonus above 1")
assert bleu([["il", "dort"]], [["il", "mange"]], 2) == 0.0, "no bigram matches anywhere: p2 = 0, so BLEU = 0.0"
print("Self-check passed: your BLEU matches the hand computation and sacrebleu.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs, forbidden

# Random corpora over a tiny vocabulary (many repeated n-grams, lengths 0..9), every max_order.
rng_hidden = random.Random(1502)
words_hidden = ["le", "chat", "noir", "dort", "."]
cases_hidden = []
for trial in range(30):
    size = rng_hidden.randint(1, 6)
    cands = [[rng_hidden.choice(words_hidden) for _ in range(rng_hidden.randint(0, 9))] for _ in range(size)]
    refs = [[rng_hidden.choice(words_hidden) for _ in range(rng_hidden.randint(1, 9))] for _ in range(size)]
    for order in (1, 2, 3, 4):
        cases_hidden.append((cands, refs, order, sacrebleu_corpus(cands, refs, order)[0].score))
with forbidden("sacrebleu.metrics.bleu.BLEU._compute_segment_statistics", "sacrebleu.metrics.bleu.BLEU.compute_bleu",
               "sacrebleu.metrics.helpers.extract_all_word_ngrams", "sacrebleu.metrics.bleu.extract_all_word_ngrams",
               "nltk.translate.bleu_score.corpus_bleu", "nltk.translate.bleu_score.sentence_bleu",
               "nltk.translate.bleu_score.modified_precision", namespace=globals(),
               reason="count clipped n-grams with collections.Counter"):
    for cands, refs, order, expected in cases_hidden:
        result = call_checking_inputs(bleu, cands, refs, order)
        assert isinstance(result, (float, int)) and not isinstance(result, bool), (
            f"bleu must return a Python float, got {type(result).__name__}")
        assert math.isclose(result, expected, abs_tol=1e-6), (
            f"max_order={order}: sacrebleu gives {expected:.4f}, you give {result:.4f} on "
            f"candidates={cands}, references={refs}")
# Tokens are compared as they are: no lower-casing, no re-tokenization.
assert math.isclose(bleu([["Le", "chat", "dort"]], [["le", "chat", "dort"]], 1), 100 * 2 / 3, abs_tol=1e-6), (
    "the text is already tokenized: compare tokens as they are ('Le' is not 'le')")
# Clipping, alone: unigram precision of "le x 7" against a reference with two "le" is 2/7.
assert math.isclose(bleu([["le"] * 7], [["le", "chat", "voit", "le", "chien", "noir", "."]], 1), 100 * 2 / 7,
                    abs_tol=1e-6), "clip each n-gram count at its count in the reference: 7 x 'le' match only 2"
# Brevity penalty: corpus lengths, not per sentence; exp(1 - r/c) only when c <= r.
short_long = [["le", "chat"], ["le", "chat", "noir", "dort", "bien", "."]]
short_long_refs = [["le", "chat", "dort"], ["le", "chat", "noir", "dort", "."]]
expected = sacrebleu_corpus(short_long, short_long_refs, 1)[0].score  # c = 8 = r: BP = 1
assert math.isclose(bleu(short_long, short_long_refs, 1), expected, abs_tol=1e-6), (
    "the brevity penalty uses the lengths summed over the corpus (here c = r = 8, so BP = 1), "
    "not one penalty per sentence")
assert math.isclose(bleu([["le", "chat"]], [["le", "chat", "dort", "bien"]], 2), 100 * math.exp(1 - 4 / 2),
                    abs_tol=1e-6), "a candidate of 2 tokens against 4: BP = exp(1 - r/c) = exp(-1)"
assert math.isclose(bleu([["le", "chat", "dort", "bien"]], [["le", "chat"]], 1), 50.0, abs_tol=1e-6), (
    "a candidate LONGER than the reference gets BP = 1 (precision already punishes the extra tokens)")
# Corpus level, not a mean of sentence scores.
corpus_cands = [["le", "chat", "noir", "dort", "."], ["il", "dort", "."]]
corpus_refs = [["le", "chat", "noir", "dort", "."], ["elle", "dort", "bien", "."]]
expected = sacrebleu_corpus(corpus_cands, corpus_refs, 2)[0].score
assert math.isclose(bleu(corpus_cands, corpus_refs, 2), expected, abs_tol=1e-6), (
    f"expected corpus BLEU {expected:.4f}: sum the matches and counts over ALL sentences, then divide once "
    "(averaging per-sentence BLEU gives another number)")
# A zero precision gives 0.0 (no smoothing, no log(0) error); so do empty candidates.
assert bleu([["le", "chien"]], [["le", "chat"]], 2) == 0.0, "no bigram matches: p2 = 0, so BLEU = 0.0"
assert bleu([["le", "chat"]], [["le", "chat"]], 4) == 0.0, "no 3-gram in the candidates: p3 is 0/0, BLEU = 0.0"
assert bleu([[], []], [["le", "chat"], ["il"]], 1) == 0.0, "empty candidates: BLEU = 0.0 (no division by zero)"
try:
    bleu([["le"]], [["le"], ["chat"]])
except ValueError:
    pass
else:
    raise AssertionError("1 candidate for 2 references must raise ValueError, not silently drop a sentence")
### END HIDDEN TESTS

# %% [markdown]
# ### Sentence-level BLEU is a different number
#
# BLEU was designed for a corpus. People also compute it per sentence and average, which is a **different
# metric**: the mean of ratios is not the ratio of sums, and a short sentence without a single matching
# 4-gram scores 0, so sentence-level BLEU needs smoothing. `sacrebleu.sentence_bleu` smooths by default
# (`smooth_method="exp"`) and shortens the geometric mean to the orders the sentence has
# (`use_effective_order=True`).
#
# Textbooks add their own variants. *Dive into Deep Learning* (Zhang, Lipton, Li, Smola, 2023), in its
# sequence-to-sequence chapter, scores one sentence as
# $\exp\big(\min(0, 1 - \tfrac{\text{len}_\text{label}}{\text{len}_\text{pred}})\big) \prod_{n=1}^{k} p_n^{1/2^n}$,
# with weights $1/2, 1/4, \dots$ instead of uniform ones and $k = 2$ in its examples. Two choices raise its
# numbers: $k = 2$ leaves out the 3- and 4-gram precisions, the lowest ones, and the weights sum to less
# than 1, so the precisions are raised to smaller powers. (With $k = 4$ and no smoothing it goes the other
# way: a sentence of four tokens or more without a matching 4-gram scores 0.) We reproduce it below, with
# $k = 2$ and $k = 4$, and put all the numbers side by side (your `bleu` provides the first column).

# %%
def textbook_sentence_bleu(prediction: list[str], label: list[str], k: int = 2) -> float:
    """The per-sentence BLEU of Dive into Deep Learning: weights 1/2^n, n = 1..k, clipped counts, 0-1 scale."""
    if not prediction:
        return 0.0
    score = math.exp(min(0.0, 1 - len(label) / len(prediction)))
    for n in range(1, min(k, len(prediction)) + 1):
        label_ngrams = Counter(tuple(label[i:i + n]) for i in range(len(label) - n + 1))
        prediction_ngrams = Counter(tuple(prediction[i:i + n]) for i in range(len(prediction) - n + 1))
        matches = sum(min(count, label_ngrams[gram]) for gram, count in prediction_ngrams.items())
        score *= (matches / (len(prediction) - n + 1)) ** (0.5 ** n)
    return score


def mean_sentence_bleu(outputs: list[list[str]], references: list[list[str]]) -> float:
    """sacrebleu's sentence BLEU (exp smoothing, effective order), averaged over the sentences."""
    return sum(sacrebleu.sentence_bleu(" ".join(o), [" ".join(r)], tokenize="none").score
               for o, r in zip(outputs, references)) / len(references)


def chrf(outputs: list[list[str]], references: list[list[str]]) -> float:
    """sacrebleu's corpus chrF on the detokenized text."""
    return sacrebleu.corpus_chrf([data.detokenize(o) for o in outputs],
                                 [[data.detokenize(r) for r in references]]).score


try:
    print(f"{'system':25s} {'corpus BLEU':>11s} {'mean sent. BLEU':>15s} {'textbook k=2':>12s} "
          f"{'textbook k=4':>12s} {'chrF':>6s} {'exact':>6s} {'tok.acc':>7s}")
    for name, outputs in systems.items():
        textbook = {k: 100 * sum(textbook_sentence_bleu(o, r, k) for o, r in zip(outputs, references))
                    / len(references) for k in (2, 4)}
        print(f"{name:25s} {bleu(outputs, references):11.1f} {mean_sentence_bleu(outputs, references):15.1f} "
              f"{textbook[2]:12.1f} {textbook[4]:12.1f} {chrf(outputs, references):6.1f} "
              f"{exact_match(outputs, references):6.1%} {token_accuracy(outputs, references):7.1%}")
except NotImplementedError:
    print("Complete Exercise 15.2 to see the table.")

# %% [markdown]
# Four columns called "BLEU", and they disagree — by a wide margin for the textbook variant with $k = 2$.
# None of them is wrong; they are different metrics. A BLEU figure means something only with its
# definition: corpus level, tokenization, smoothing, n-gram order — exactly what sacrebleu's signature
# records.
#
# The table also shows what each metric rewards. Putting the colour adjectives after their noun raises
# BLEU clearly (more correct bigrams and trigrams), while exact match stays low: most outputs are closer
# but still not right, because agreement and auxiliaries are still wrong, and exact match gives no credit
# for "closer". The noisy references have far higher BLEU and exact match than either translator, as they
# should.
#
# **Takeaway:** report corpus BLEU from sacrebleu with its signature; an average of sentence scores, or a
# home-made formula, is another number.

# %% [markdown]
# ### chrF: credit for near misses
#
# BLEU treats "rouges" and "rouge" as two unrelated tokens. **chrF** (Popović, 2015) computes an F-score
# over **character** n-grams (up to 6, recall weighted twice as much as precision, $\beta = 2$), so a
# wrong ending costs a little and a wrong word costs a lot. It works on the detokenized text (spaces are
# ignored). On one sentence:

# %%
reference_sentence = "le chat noir mange une pomme rouge ."
for output_sentence in ("le chat noire mange une pomme rouge .", "le chat vert mange une pomme rouge ."):
    sentence_score = sacrebleu.sentence_bleu(output_sentence, [reference_sentence], tokenize="none").score
    character_score = sacrebleu.sentence_chrf(output_sentence, [reference_sentence]).score
    print(f"{output_sentence:40s} sentence BLEU {sentence_score:5.1f}   chrF {character_score:5.1f}")

# %% [markdown]
# Both outputs have one wrong token, so BLEU gives them the same score; chrF sees that *noire* is almost
# *noir*. chrF tends to agree better with human judgements than BLEU, especially for languages with many
# word forms, and translation papers now often report both.
#
# **Takeaway:** chrF (`sacrebleu.corpus_chrf`) rewards partly correct words; use it next to BLEU.

# %% [markdown]
# ### ROUGE: the summarisation metrics
#
# Summaries are scored with **ROUGE** (Lin, 2004), which is recall-oriented: how much of the reference does
# the output cover? ROUGE-1 and ROUGE-2 count unigram and bigram overlap; ROUGE-L uses the longest common
# subsequence (in order, not necessarily contiguous). Each comes as precision, recall and F-measure. We use
# the `rouge-score` package (Google's reimplementation of the original Perl script); lesson 18 writes
# ROUGE-1 and ROUGE-L by hand.

# %%
scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
reference_summary = "the girl ate a red apple in the garden ."
candidate_summaries = {
    "short": "the girl ate .",
    "long": "the young girl saw a dog , then she ate a red apple and a cake in the big garden .",
    "scrambled": "in the garden a red apple ate the girl .",
}
for name, summary in candidate_summaries.items():
    scores = scorer.score(reference_summary, summary)  # score(target, prediction)
    print(f"{name:9s} " + "   ".join(f"{kind} P {s.precision:.2f} R {s.recall:.2f} F {s.fmeasure:.2f}"
                                      for kind, s in scores.items()))

# %% [markdown]
# The short summary is precise but covers little; the long one covers everything and is padded; the
# F-measure balances the two. The scrambled one has perfect ROUGE-1 — every word is there — but lower
# ROUGE-2 and ROUGE-L, which see order.
#
# Careful with other languages: `rouge-score`'s default tokenizer lower-cases and treats every character
# outside `a-z0-9` as a separator, so French accented words are cut into pieces ("préféré" becomes "pr",
# "f", "r"). Pass your own tokenizer (any object with a `tokenize(text)` method):

# %%
default_tokenizer = rouge_tokenizers.DefaultTokenizer(use_stemmer=False)  # what RougeScorer uses by default
print("default tokenizer:", default_tokenizer.tokenize("l'étudiant fatigué a préféré ."))


class CourseTokenizer:
    """rouge-score wants an object with a tokenize(text) -> list[str] method."""

    def tokenize(self, text: str) -> list[str]:
        return data.tokenize(text)


french_scorer = rouge_scorer.RougeScorer(["rouge1"], tokenizer=CourseTokenizer())
print("course tokenizer: ", CourseTokenizer().tokenize("l'étudiant fatigué a préféré ."))
pair = ("la fille fatiguée a mangé .", "la fille fatigué a mangé .")  # (reference, output): agreement error
for name, rouge_1 in (("default", scorer.score(*pair)["rouge1"]), ("course", french_scorer.score(*pair)["rouge1"])):
    print(f"ROUGE-1 of the output, {name:7s} tokenizer: precision {rouge_1.precision:.2f}, recall {rouge_1.recall:.2f}")

# %% [markdown]
# With the default tokenizer "fatigué" becomes "fatigu" and "fatiguée" becomes "fatigu" + "e": the
# agreement error vanishes from the precision and survives only as a stray "e" in the recall. The course
# tokenizer keeps the two words apart, and both scores see the error.
#
# **Takeaway:** ROUGE measures coverage of a reference summary (recall) as well as precision; check what
# the tokenizer does to your language.

# %% [markdown]
# ## 4. Splits and leakage through duplicates
#
# The test set estimates how the model does on data it has **never seen**. That holds only if no test
# example is also in the training data. Real data sets are full of duplicates — scraped pages, templated
# prompts, the same question asked twice — and a random split of *records* puts copies of the same prompt
# on both sides.
#
# Here is such a data set: 248 prompt/response records, but only 127 distinct prompts.

# %%
distinct_pairs = data.sample_pairs(127, seed=15)
duplicate_rng = random.Random(15)
copies = Counter(range(len(distinct_pairs)))                  # one copy of each prompt ...
for _ in range(121):
    copies[duplicate_rng.randrange(len(distinct_pairs))] += 1  # ... and 121 extra copies
leaky_records = [{"prompt": english, "response": french}
                 for index, (english, french) in enumerate(distinct_pairs) for _ in range(copies[index])]
duplicate_rng.shuffle(leaky_records)
for record_id, record in enumerate(leaky_records):
    record["id"] = record_id                                   # every record has its own id
print(f"{len(leaky_records)} records, {len({record['prompt'] for record in leaky_records})} distinct prompts, "
      f"the most frequent prompt occurs {max(copies.values())} times")

# %% [markdown]
# A "model" that memorises its training set — a lookup table from prompt to response, no generalisation at
# all — is the perfect detector of leakage:

# %%
def memorise(train_records: list[dict]):
    """A 'model' that returns the training response of a prompt it has seen, and nothing otherwise."""
    table = {record["prompt"]: record["response"] for record in train_records}
    return lambda prompt: table.get(prompt, "")


def exact_match_rate(model, records: list[dict]) -> float:
    return sum(model(record["prompt"]) == record["response"] for record in records) / len(records)


shuffled = list(leaky_records)
random.Random(0).shuffle(shuffled)
cut_valid, cut_test = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
random_train, random_test = shuffled[:cut_valid], shuffled[cut_test:]
memoriser = memorise(random_train)
seen = sum(record["prompt"] in {r["prompt"] for r in random_train} for record in random_test)
print(f"random split of the records: {seen} of the {len(random_test)} test records have their prompt in train")
print(f"memoriser, exact match on its training set: {exact_match_rate(memoriser, random_train):.0%}")
print(f"memoriser, exact match on the test set:     {exact_match_rate(memoriser, random_test):.0%}")

# %% [markdown]
# A lookup table that cannot translate a single new sentence looks like a good translator on this test
# set. The fix is to split by **key** (here, the prompt): deduplicate, then assign each distinct prompt to
# exactly one split.
#
# ### Exercise 15.3 — A split without leakage (3 points)
#
# Write `dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0)`.
#
# - `records`: a list of records (any objects, here dicts); `key`: a function from a record to a hashable
#   key, for example `lambda record: record["prompt"]`.
# - **Deduplicate:** keep one record per key — the **first** one in `records` order — and drop the others.
# - **Split the distinct keys at random:** with $k$ distinct keys, the validation split gets
#   `round(valid_fraction * k)` of them, the test split `round(test_fraction * k)`, training the rest. No
#   key may occur in two splits.
# - Return `(train, valid, test)`, three lists of records (the record objects themselves, not copies).
# - **Deterministic from `seed`:** the same records and seed give the same three lists, in the same order,
#   in every run and on every machine; different seeds give different splits. Use a private generator,
#   `random.Random(seed)`, and leave the global random generators alone; do not rely on the iteration order
#   of a `set` (Python randomises string hashes in every new process).
# - Do not modify `records`.

# %% nbgrader={"solution": true, "grade_id": "ex15_3"}
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    """Deduplicate ``records`` by ``key`` and split the distinct keys into train / valid / test.

    Args:
        records: list of records.
        key: function record -> hashable key; records with equal keys are duplicates.
        valid_fraction, test_fraction: fractions of the distinct keys for validation and test.
        seed: seed of the private random generator.

    Returns:
        (train, valid, test): lists of records, one record (the first) per key, no key in two lists.
    """
    ### BEGIN SOLUTION
    first_record = {}
    for record in records:
        first_record.setdefault(key(record), record)    # dicts keep insertion order: deterministic
    keys = list(first_record)
    random.Random(seed).shuffle(keys)
    n_valid, n_test = round(valid_fraction * len(keys)), round(test_fraction * len(keys))
    valid_keys, test_keys = keys[:n_valid], keys[n_valid:n_valid + n_test]
    train_keys = keys[n_valid + n_test:]
    return tuple([first_record[k] for k in part] for part in (train_keys, valid_keys, test_keys))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex15_3_test", "points": 3}
# Self-check 1, on the leaky data set: one record per prompt, sizes, no prompt in two splits, same seed -> same split.
from course.checks import call_checking_inputs

by_prompt = lambda record: record["prompt"]  # noqa: E731
records_copy = [dict(record) for record in leaky_records]  # your function gets a copy, checked for changes
train_check, valid_check, test_check = call_checking_inputs(dedup_split, records_copy, by_prompt, 0.1, 0.1, seed=0)
sizes = (len(train_check), len(valid_check), len(test_check))
assert sizes == (101, 13, 13), f"127 distinct prompts -> (101, 13, 13) records after dedup, got {sizes}"
prompt_sets = [{by_prompt(record) for record in split} for split in (train_check, valid_check, test_check)]
assert sum(map(len, prompt_sets)) == 127, "each of the 127 prompts must occur exactly once (keep ONE record per prompt)"
assert not (prompt_sets[0] & prompt_sets[2]) and not (prompt_sets[0] & prompt_sets[1]) and not (
    prompt_sets[1] & prompt_sets[2]), "a prompt occurs in two splits: split the distinct KEYS, not the records"
again = dedup_split([dict(record) for record in leaky_records], by_prompt, 0.1, 0.1, seed=0)
assert [r["id"] for r in again[2]] == [r["id"] for r in test_check], "the same seed must give the same split"
# Self-check 2: first record kept, global generators untouched, hash order irrelevant, the seed matters.
first_record = {}
for record in records_copy:
    first_record.setdefault(by_prompt(record), record)
assert all(record is first_record[by_prompt(record)] for split in (train_check, valid_check, test_check)
           for record in split), "keep the FIRST record of each prompt (in `records` order), the object itself"
record_ids = lambda splits: [[record["id"] for record in split] for split in splits]  # noqa: E731
as_tuples = dedup_split(records_copy, lambda record: (record["prompt"],), 0.1, 0.1, seed=0)
assert record_ids(as_tuples) == record_ids((train_check, valid_check, test_check)), (
    "the same keys, wrapped in 1-tuples, gave another split: order the keys by first occurrence (a dict keeps "
    "insertion order), then shuffle them with random.Random(seed); not by hash(key), a set, or the key's text")
global_state = random.getstate()
other_seed = dedup_split(records_copy, by_prompt, 0.1, 0.1, seed=1)
assert random.getstate() == global_state, "dedup_split changed the global generator: use random.Random(seed)"
assert record_ids(other_seed)[2] != record_ids((train_check, valid_check, test_check))[2], (
    "seed=1 gave the same test split as seed=0: shuffle the keys with random.Random(seed)")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
import numpy as np

from course.checks import call_checking_inputs


class SaltedKey:
    """A key equal to another with the same value, but whose hash (so its place in a set) depends on a salt."""

    def __init__(self, value, salt):
        self.value, self.salt = value, salt

    def __eq__(self, other):
        return isinstance(other, SaltedKey) and self.value == other.value

    def __lt__(self, other):
        return self.value < other.value

    def __hash__(self):
        return hash((self.salt, self.value))

    def __repr__(self):  # the same text whatever the salt: only hash() differs
        return repr(self.value)

    __str__ = __repr__


hidden_rng = random.Random(153)
hidden_records = []
for index in range(90):
    prompt = f"prompt {hidden_rng.randrange(60)}"
    # Duplicated prompts come with DIFFERENT responses: removing identical records is not enough.
    hidden_records.append({"prompt": prompt, "response": f"answer {index}", "id": index})
distinct = list(dict.fromkeys(record["prompt"] for record in hidden_records))
first_of = {}
for record in hidden_records:
    first_of.setdefault(record["prompt"], record)
states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
train_h, valid_h, test_h = call_checking_inputs(dedup_split, hidden_records, by_prompt, 0.2, 0.3, seed=7)
assert random.getstate() == states[0] and np.array_equal(np.random.get_state()[1], states[1]) and torch.equal(
    torch.get_rng_state(), states[2]), (
    "dedup_split changed a global random generator (random.shuffle/seed, np.random, torch.randperm without a "
    "generator): use a private one, random.Random(seed)")
k = len(distinct)
expected_sizes = (k - round(0.2 * k) - round(0.3 * k), round(0.2 * k), round(0.3 * k))
actual_sizes = (len(train_h), len(valid_h), len(test_h))
assert actual_sizes == expected_sizes, (
    f"with {k} distinct keys, valid_fraction=0.2 and test_fraction=0.3, expected sizes (train, valid, test) = "
    f"{expected_sizes} (round(fraction * keys) for valid and test), got {actual_sizes}")
seen_keys = [record["prompt"] for split in (train_h, valid_h, test_h) for record in split]
assert len(seen_keys) == len(set(seen_keys)) == k, (
    "every distinct key must occur exactly once over the three splits: a prompt with two different responses is "
    "still ONE prompt (dedupe by the key, not by the whole record)")
assert all(record is first_of[record["prompt"]] for split in (train_h, valid_h, test_h) for record in split), (
    "keep the FIRST record of each key (in the order of `records`), the record object itself")
# Deterministic: twice the same; independent of hash order (salted keys); different seeds differ.
ids = lambda splits: [[record["id"] for record in split] for split in splits]  # noqa: E731
assert ids(dedup_split(hidden_records, by_prompt, 0.2, 0.3, seed=7)) == ids((train_h, valid_h, test_h)), (
    "two calls with the same seed gave different splits: use random.Random(seed), not the global generator")
salted = [ids(dedup_split(hidden_records, lambda record, s=salt: SaltedKey(record["prompt"], s), 0.2, 0.3, seed=7))
          for salt in (1, 2, 3)]
assert salted[0] == salted[1] == salted[2], (
    "the split depends on the hash order of the keys (a set, or hash(key)): in another Python process string "
    "hashes differ and so would your split. Order the keys by first occurrence (a dict keeps insertion order)")
test_sets = {tuple(sorted(ids(dedup_split(hidden_records, by_prompt, 0.1, 0.2, seed=s))[2])) for s in range(6)}
assert len(test_sets) > 1, "different seeds must give different splits: shuffle the keys with random.Random(seed)"
# Fractions of zero, and the whole set in one split.
train_z, valid_z, test_z = dedup_split(hidden_records, by_prompt, 0.0, 0.0, seed=1)
assert len(train_z) == k and not valid_z and not test_z, "with both fractions 0, every key goes to train"
### END HIDDEN TESTS

# %% [markdown]
# With a split by prompt, the memoriser's score falls to what it really is (this cell uses your function):

# %%
try:
    dedup_train, dedup_valid, dedup_test = dedup_split(leaky_records, by_prompt, 0.1, 0.1, seed=0)
    memoriser = memorise(dedup_train)
    print(f"dedup split: {len(dedup_train)} / {len(dedup_valid)} / {len(dedup_test)} records")
    print(f"memoriser, exact match on its training set: {exact_match_rate(memoriser, dedup_train):.0%}")
    print(f"memoriser, exact match on the test set:     {exact_match_rate(memoriser, dedup_test):.0%}")
except NotImplementedError:
    print("Complete Exercise 15.3 to see the memoriser on a split without leakage.")

# %% [markdown]
# Zero: the truth about a lookup table. The same leak inflates real models, only less visibly; large
# benchmarks have been found inside the pre-training data of language models, and "contamination" checks
# are now part of serious evaluations. Duplicates can also be *near* duplicates (case, spaces, punctuation):
# normalise the key before splitting (`" ".join(prompt.lower().split())` folds case and spacing; punctuation
# needs a rule of its own).
#
# **Takeaway:** deduplicate and split by the key that must not leak (the prompt, the source document, the
# speaker), deterministically from a seed.

# %% [markdown]
# ## 5. Reading the training curves
#
# **Evaluating on the training set says nothing about generalisation.** The memoriser above scores 100 % on
# its training set and 0 % on new prompts; our tiny language model also did best on its own sentences.
# A training-set score is an upper bound, not an estimate. Choose models and hyperparameters on the
# validation set, and look at the test set once, at the end — every look you use to decide something turns
# it into a validation set.
#
# Even the training loss needs care. The number a progress bar prints during an epoch is a **running
# average over the epoch**, computed
#
# - **with dropout on** (training mode): the network that produced it is a random thinned version of the
#   one you evaluate;
# - **while the weights change**: on average it describes the model of the *middle* of the epoch.
#
# The validation loss is measured at the **end** of the epoch, in **eval mode** (no dropout). Here are the
# three curves recorded during training; the running average is drawn at mid-epoch, where it belongs.

# %%
epochs = list(range(1, EPOCHS + 1))
_, axis = plt.subplots(figsize=(7, 4))
course.plot_curves([epoch - 0.5 for epoch in epochs], {"train, running mean (dropout on)": history["running"]},
                   xlabel="epoch", ylabel="cross-entropy (nats per token)", title="Reading training curves",
                   ax=axis)
course.plot_curves(epochs, {"train, end of epoch (eval mode)": history["train_eval"],
                            "validation, end of epoch (eval mode)": history["valid"]},
                   xlabel="epoch", ylabel="cross-entropy (nats per token)", title="Reading training curves",
                   ax=axis)
plt.show()
for epoch in (1, EPOCHS):
    print(f"epoch {epoch:2d}: running train {history['running'][epoch - 1]:.3f}   "
          f"train (eval) {history['train_eval'][epoch - 1]:.3f}   validation {history['valid'][epoch - 1]:.3f}")

# %% [markdown]
# In the first epoch the running training loss is far *above* the validation loss: it averages the
# untrained start of the epoch, with dropout. A validation loss below the training loss is therefore not a
# bug, nor a leak. Compare like with like: the training loss re-measured in eval mode at the end of the
# epoch sits below the validation loss, and the gap between those two is the generalisation gap. If the
# validation curve turns up while the training curve keeps falling, the model is overfitting: stop there
# (early stopping) or regularise.
#
# **Takeaway:** the running training loss mixes dropout and a moving model; compare the validation loss
# with the training loss measured the same way, at the same moment.

# %% [markdown]
# ## 6. Common mistakes
#
# - **Averaging sentence BLEU and calling it BLEU.** Section 3's table shows the gap. Report corpus BLEU.
# - **Comparing BLEU computed with different tokenizations.** The same outputs, scored on our tokens and on
#   the detokenized text with sacrebleu's standard `13a` tokenizer (which keeps "l'homme" in one piece):

# %%
baseline_outputs = systems["word for word"]
on_tokens = sacrebleu_corpus(baseline_outputs, references)[0].score
on_text = sacrebleu.corpus_bleu([data.detokenize(o) for o in baseline_outputs],
                                [[data.detokenize(r) for r in references]], smooth_method="none", force=True).score
print(f"BLEU on our tokens (tokenize='none'): {on_tokens:.2f}")
print(f"BLEU on detokenized text (13a):       {on_text:.2f}")

# %% [markdown]
#   Neither is wrong, but they are not comparable: always quote the signature.
# - **Perplexity from the wrong mean or the wrong base.** On the validation losses of section 1:

# %%
library_loss = mean_loss(language_model, lm_valid_ids)  # F.cross_entropy with ignore_index: real tokens only
print(f"exp(mean over real tokens) (right)         {math.exp(library_loss):7.3f}")
print(f"2 ** (same loss in nats) (wrong base)      {2 ** library_loss:7.3f}")
print(f"exp(mean over all positions, pads as 0)    {valid_losses.mean().exp().item():7.3f}")
print(f"mean of per-sentence perplexities          {sentence_losses.exp().mean().item():7.3f}")

# %% [markdown]
#   Counting the padding as free, perfectly predicted tokens makes the model look much better than it is.
# - **Splitting records before deduplicating them.** Section 4: a memoriser looked good on a random split.
#   Removing identical *records* does not help when duplicates differ in an id or a response field:

# %%
identical_removed = [dict(items) for items in dict.fromkeys(tuple(sorted(r.items())) for r in leaky_records)]
print(f"{len(leaky_records)} records, {len(identical_removed)} after removing identical records "
      f"(each has its own id), {len({r['prompt'] for r in leaky_records})} distinct prompts")

# %% [markdown]
# - **Reading the running training loss against the end-of-epoch validation loss** (section 5), and
#   concluding that the model "generalises better than it fits".
# - **Tuning on the test set.** Every decision taken by looking at test scores leaks the test set into the
#   model; keep it for the end.

# %% [markdown]
# ### Exercise 15.4 — Reading a training log (1 point)
#
# During the first epoch, your progress bar shows a training loss of 2.9; at the end of that epoch, the
# validation loss is 2.4. Dropout is 0.3. What is the most likely explanation?
#
# - (a) The validation set leaks into the training set, so the model has already seen its sentences.
# - (b) The model underfits: raise the learning rate until the training loss drops below validation.
# - (c) The validation loss must be wrong: a model never does better on new data than on its training data.
# - (d) The training figure averages an improving model, dropout on; validation uses the final one.
#
# Set `answer_15_4` to `"a"`, `"b"`, `"c"` or `"d"`. Run the grade cell below it: it tells you at once
# whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex15_4"}
### BEGIN SOLUTION
answer_15_4 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex15_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_15_4", answer_15_4, (
    "quiz1:eyJrZXkiOiAiZWZiMjc2NDA0MzU0YjI0NTY2M2E3N2IwZDU0OTc2OTNmMGM2YzU2MjM5NDlhYmI1NzAyZmI2NWNkNW"
    "QzNTI5YiIsICJuYW1lIjogImFuc3dlcl8xNV80IiwgIm9wdGlvbnMiOiB7ImEiOiAiMVdyWEc5bW4xSTJBdEYyZWRVWkJoWD"
    "hneWVyVkFmanhBYUkrc1Awdk9mdkZOY3M3TzArVUlKeWNBYzI2OGZNNjIycjRYdGIxSTZ5Zm8xRkNYL2F5bmpnTGNzQUNiS3"
    "k2a1NBUVgxakpTcUJiR0FNV2hWbVJTK3EvcWlBTDAvTk5zeVlEbVZPQ3ErWThveVV5bkdBTVFCTnRrNmdzQXBnZFZabDFuUF"
    "pvRHpsZVg3M0ttOEJDcmwxZDNuTFJHeUJobDVCZnJya3dkVkxNY0RUaDMwQWVFL016S2RtS0txWXk5ak9KR1NOYkE3ekYxOE"
    "Y1V3dIRmxXNVp5RjQxU3llUjNZNkpGZTlaZDVKMU5yc1JUaXo1MkVvZy9jLzF1MURVd01ST05SWFdZWnFUOTYyTmJzcWllT1"
    "NwYmIvQ0pwSmlES0w1VlZxV2I1bHJid1lNSUNsS2JJR0lNRmR4NkdUZi9FQTZBQVlBM3ZOMnh6b3oiLCAiYiI6ICJJcUxiaV"
    "NQSjRweFNQaElTdURGNDQzWDZFdnVpcTFzaU1CcHJOMHBsTUZ1cHBhMEVMdGhIN3NoS0ZFdXd2a3hXY1NlQXRZVU54UUNqYW"
    "JQTmZKLzlWaWRESmg3WnFickcrK1RURXNGbHNESnp0cUdvQjJ0VmlyVm1yT2ppSlhMenI1cmtKcU9wZDR3Y1Y5TFA5R0tlY3"
    "pFcmw2QVNFRmlMVFgzK0VMb3lyWWVyd1lwcFZ5L2QyamlnRHloRmdNeXpGTERtTFJ6akNCWmczSXgzNG9RdDYrUE4ra1RqSH"
    "ExcnM1NlVEcnZLaEIzYTVjZXNERnMwMmY4YkNBOTRMb3V1dHRaOGM2bjRtWkVZVWZzNkQyNk85aG54NVgxNGxoQXAyRVgrL1"
    "FLdEFoMVpwZ2ZlVllsQkNZZmFpMHN0cWcySTRjckx3ZlZNV0xNbjgzVEo5UmlMQ3o5R3RZSjhGZStUb2NjWFhGTT0iLCAiYy"
    "I6ICJnZ2E0b1FKR1U5bERqdCtKVUVYaVplT3NlSkRjZnQzU1hvS1E2dHRJNU5Yb1NOZERtcmoxQmRsZmYwSVcvcWEyZU1MaF"
    "c4VHE3bVNWdjdTRlIzSGMvdHhMQjNPKytRQW1VOVR4VWprVURmbGxST0dyYjFiNmJNeUkraiszRVNiL0xNM1BRQ2dLTkl2YX"
    "lhQklMejBVaGU0VGV4VjY3ZHd0YldoL1NTai8xbVpHQllPZU4zWjgxai9FbjF0dHJYdDBUZ1pmeGZhbS8ydmI3UDE2ajFDeW"
    "Jia21OV3dVM2NMczdFRkx0TG8zVVhGSExaUXViS2JDU3hZNjBsZk11aTI1NnV6bnRlb296eUs1Uzc5ZHFRYkhKNy9NR2szbl"
    "YxbWlpRzFFIiwgImQiOiAiUWFhLzh1Z29LRHdMV01XNGwrK3dUdTNKdkl2M1I2UVMrSW8zcFN5Y3UrQjhnYkgwODkwZDloST"
    "JTa0JtSU5oSlBXUUlSZDlEQm80bkZjanBrUHlQRkxDNVlQand4UjZuK1cvQ3FET0FSV3hCRWFkYmdNMWJGblUxR2h2em4vZD"
    "ZQZ2VDVTFrMEp5THZPQWhQMURXRW5LWXlITUQySXdpVk5rUHN6eDgzYllzTk9aUzE3T1dJMzJ4Z242QkdUY0h1bHVKRDRhRl"
    "NQdnBtaEpHUzRWWXpxMTIyL2dQSXNLbURqT1pDN0tyendadVl0YlQreDFBcFdpQ1ROWVVHUnJYNnhYTXRWTkM3TzVxTkVYOF"
    "pQTWh6M2lVd0kxWTdpZVBuVzg0bldmRVlmSDZOY0V1QWFmejJXdXdwZk4xeHJLN2ZuTmFWQnc9PSJ9LCAic2FsdCI6ICJjOW"
    "NkYzA4MTc3YzZhNTllIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_15_4", answer_15_4, "d", {
    "a": "A leak would make validation look good, but nothing here points to one: the running training loss "
         "is averaged over a whole epoch that started untrained, with dropout on, while validation measures the "
         "end-of-epoch model without dropout. That alone explains the gap (section 5).",
    "b": "The two numbers are not measured the same way, so their order says nothing about underfitting: the "
         "running loss averages a model that improved during the epoch, with dropout on. Compare validation "
         "with the training loss re-measured in eval mode at the end of the epoch.",
    "c": "It can, when the two are measured differently: the training figure averages the whole epoch (a worse "
         "model at its start) with dropout on; validation uses the final weights with dropout off. Section 5 "
         "shows exactly this.",
    "d": "Right: the progress bar averages the loss over the epoch, from an untrained start, with dropout "
         "thinning the network; validation scores the end-of-epoch model in eval mode. Compare it with the "
         "training loss re-measured the same way (section 5).",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Perplexity $= \exp$(mean per-token cross-entropy in nats) over the real tokens of the whole corpus; not
#   $2^{\text{loss}}$, not a mean of sentence perplexities, never with padding counted.
# - Exact match is strict, token accuracy is position-bound; n-gram metrics give partial credit.
# - Corpus BLEU: clipped n-gram counts summed over the corpus, geometric mean of $p_1..p_4$, brevity penalty
#   on the summed lengths. Your implementation matches sacrebleu; sentence-level and textbook BLEUs are
#   other numbers. chrF credits near-miss words; ROUGE measures a summary's coverage.
# - Deduplicate and split by key, deterministically: otherwise a memoriser looks like a model.
# - A training-set score says nothing about generalisation; the running training loss (dropout, moving
#   weights) is not comparable with an end-of-epoch validation loss.
#
# Next, lesson 16 loads pretrained models.
#
# ## Going further
#
# - Papineni, Roukos, Ward, Zhu (2002). *BLEU: a Method for Automatic Evaluation of Machine Translation.* ACL.
# - Post (2018). *A Call for Clarity in Reporting BLEU Scores.* WMT — the reason for sacrebleu's signature.
# - Chen, Cherry (2014). *A Systematic Comparison of Smoothing Techniques for Sentence-Level BLEU.* WMT.
# - Popović (2015). *chrF: character n-gram F-score for automatic MT evaluation.* WMT.
# - Lin (2004). *ROUGE: A Package for Automatic Evaluation of Summaries.* ACL workshop.
# - Zhang, Lipton, Li, Smola (2023). *Dive into Deep Learning*, the sequence-to-sequence chapter (its BLEU).
# - Lee et al. (2022). *Deduplicating Training Data Makes Language Models Better.* ACL.
# - Kapoor, Narayanan (2023). *Leakage and the Reproducibility Crisis in Machine-Learning-based Science.*
#   Patterns.
# - Documentation: [sacrebleu](https://github.com/mjpost/sacrebleu),
#   [rouge-score](https://pypi.org/project/rouge-score/).

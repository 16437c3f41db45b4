# ---
# jupyter:
#   course:
#     title: "Applications: translation and summarisation"
#     budget_seconds: 75
# ---

# %% [markdown]
# # Lesson 18 · Applications: translation and summarisation
# {{COLAB_BADGE}}
#
# Translation and summarisation are *sequence-to-sequence* tasks: an encoder reads the input, a decoder
# writes the output one token at a time. With a pretrained encoder-decoder, the whole application is
# `AutoModelForSeq2SeqLM.from_pretrained(...)` plus `model.generate(...)`. What deserves a lesson is what
# `generate` does between those two lines — greedy or beam search, the length penalty, when a hypothesis is
# finished — and how to score what comes out.
#
# **You will be able to:**
# - translate with `AutoModelForSeq2SeqLM.generate()`, greedily and with beam search (`num_beams`,
#   `length_penalty`, `early_stopping`, `num_return_sequences`), and read the beam scores it returns;
# - write beam search yourself, check it by brute force, and make it agree with `generate(num_beams=k)`;
# - say, with measurements, when beam search changes the output and why (greedy commits to the locally
#   best token; a beam scores whole sequences);
# - score translations with BLEU and chrF (`sacrebleu`), and compute ROUGE-1 and ROUGE-L by hand so that
#   they match `rouge-score`;
# - summarise with the same API online, and evaluate extractive summarisers against a lead baseline offline.
#
# **Prerequisites:** lessons 14 (the translation task), 15 (BLEU, chrF, ROUGE) and 16 (pretrained models,
# mean pooling). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers, sacrebleu, rouge-score and MiniLM).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import itertools
import math
from collections import Counter

import matplotlib.pyplot as plt
import sacrebleu
import torch
import torch.nn.functional as F
from rouge_score import rouge_scorer
from rouge_score import tokenizers as rouge_tokenizers
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
from transformers.utils import logging as transformers_logging

import course
import course.data as data
from course.data.summaries import summary_examples
from course.models import checkpoint_path

course.set_seed(0)
torch.set_num_threads(1)  # tiny models: one thread is as fast as two, and the numbers are reproducible
transformers_logging.disable_progress_bar()  # from_pretrained's progress bar writes to stderr
transformers_logging.set_verbosity_error()

# %% [markdown]
# ## 1. A pretrained translator, through `generate()`
#
# Online, a pretrained English → French model is two lines away. This is what you would run with internet
# access (it downloads about 300 MB; it is **not** run here):
#
# ```python
# from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
#
# tokenizer = AutoTokenizer.from_pretrained("Helsinki-NLP/opus-mt-en-fr")
# model = AutoModelForSeq2SeqLM.from_pretrained("Helsinki-NLP/opus-mt-en-fr")
# batch = tokenizer(["The black cat sleeps."], return_tensors="pt", padding=True)
# output_ids = model.generate(**batch, num_beams=4, max_new_tokens=64)
# print(tokenizer.decode(output_ids, skip_special_tokens=True))
# ```
#
# Tutorials written for transformers 4 use `pipeline("translation_en_to_fr")`: that pipeline (with
# `summarization` and `text2text-generation`) was **removed in transformers 5**. `generate()` is the API.
#
# Offline, the course ships its own English → French translator: a `MarianMTModel` — the same class as
# `opus-mt-en-fr` — with 1.5 M parameters, trained on the course's grammar (lesson 14's sentences). The code
# is the same; only the path differs.

# %%
translator_path = checkpoint_path("translator")
tokenizer = AutoTokenizer.from_pretrained(translator_path)
translator = AutoModelForSeq2SeqLM.from_pretrained(translator_path).eval()
print(type(translator).__name__, f"{sum(p.numel() for p in translator.parameters()):,} parameters")
print("generation defaults:", translator.generation_config.to_diff_dict())
START_ID = translator.generation_config.decoder_start_token_id
EOS_ID = translator.generation_config.eos_token_id

# The data it was trained on (lesson 14's generator, the split recorded in its manifest): the compositional
# test set holds adjective-noun combinations the model never saw.
splits = data.translation_splits(n_train=20000, n_valid=500, n_test=500, seed=0)


def translate(sentences: list[str], **generate_options) -> list[str]:
    """French translations of English ``sentences`` by the course's translator, one ``generate()`` call."""
    batch = tokenizer(sentences, return_tensors="pt", padding=True)
    with torch.no_grad():
        output_ids = translator.generate(**batch, **generate_options)          # (batch, out_len)
    return tokenizer.decode(output_ids, skip_special_tokens=True)


examples = [english for english, _ in splits.test[:3]]
for english, french in zip(examples, translate(examples)):
    print(f"  {english:45s} -> {french}")

# %% [markdown]
# `generate()` reads its settings from `translator.generation_config` (printed above: greedy,
# `max_new_tokens=48`, the decoder starts from token `decoder_start_token_id` and stops at `eos_token_id`);
# any argument you pass overrides them for that call. `tokenizer.decode` takes a batch of ids too
# (`batch_decode` was merged into it).
#
# **Takeaway:** a seq2seq application is `tokenizer(...)` → `model.generate(...)` → `tokenizer.decode(...)`;
# the pipelines that wrapped it are gone in transformers 5.

# %% [markdown]
# ## 2. Greedy search and beam search
#
# The decoder gives, at each step $t$, a distribution $p(y_t \mid y_{<t}, x)$ over the vocabulary. A
# translation $y = (y_1, \dots, y_T)$, ending with the end token, has the log-probability
#
# $$\log p(y \mid x) = \sum_{t=1}^{T} \log p(y_t \mid y_{<t}, x).$$
#
# We want the $y$ that maximises it; there are $V^T$ candidates, so we search.
#
# - **Greedy search** takes the most probable token at each step. It commits at once: a token that looks best
#   now can lead to a continuation where every next token is unlikely.
# - **Beam search** keeps the $k$ best *partial* sequences (the beams). At each step it extends each beam by
#   every token, scores the $k \cdot V$ candidates by their summed log-probability, and keeps the $k$ best. A
#   candidate that ends with the end token is a finished **hypothesis**; the search returns the best
#   finished hypotheses. With $k = 1$ it is greedy search.
#
# Longer sequences add more negative log-probabilities, so a raw sum favours short outputs. `generate()`
# therefore ranks finished hypotheses by
#
# $$\text{score}(y) = \frac{\sum_t \log p(y_t \mid y_{<t}, x)}{T^{\,\text{length\_penalty}}},$$
#
# with $T$ the number of generated tokens (the end token included, the decoder start token not).
# `length_penalty=1.0` (the default) divides by the length — a mean log-probability per token; `0.0` keeps
# the raw sum; values above 1 favour longer outputs further. `early_stopping` says when to stop: `True` as
# soon as $k$ hypotheses are finished, `False` (default) when a heuristic says no running beam can do
# better, `"never"` only when that is certain.
#
# `return_dict_in_generate=True, output_scores=True` makes `generate` return the score of each returned
# hypothesis (`sequences_scores`), and `num_return_sequences` (at most `num_beams`) returns several. We check
# the formula: rescoring each hypothesis with one forward pass (teacher forcing) must give the same number.

# %%
def sequence_log_probs(english: str, french_ids: torch.Tensor) -> torch.Tensor:
    """Per-token log-probabilities of generated ``french_ids`` (n, 1 + T, starting with the decoder start
    token, padded after the end token) given ``english``: (n, T), 0 after the end token."""
    targets = french_ids[:, 1:]                                                     # (n, T)
    source = tokenizer([english] * len(french_ids), return_tensors="pt")
    with torch.no_grad():
        logits = translator(**source, decoder_input_ids=french_ids[:, :-1]).logits  # (n, T, V)
    log_probs = logits.log_softmax(-1).gather(-1, targets[..., None])[..., 0]        # (n, T)
    after_end = (targets == EOS_ID).long().cumsum(-1) - (targets == EOS_ID).long() > 0
    return log_probs.masked_fill(after_end, 0.0)


sentence = splits.test[5][0]
source = tokenizer([sentence], return_tensors="pt")
for length_penalty in (1.0, 0.0):
    with torch.no_grad():
        beams = translator.generate(**source, num_beams=4, num_return_sequences=4, length_penalty=length_penalty,
                                    return_dict_in_generate=True, output_scores=True)
    token_log_probs = sequence_log_probs(sentence, beams.sequences)
    lengths = ((beams.sequences[:, 1:] == EOS_ID).long().cumsum(-1) == 0).sum(-1) + 1  # T, the end included
    rescored = token_log_probs.sum(-1) / lengths ** length_penalty
    print(f"{sentence!r}, num_beams=4, length_penalty={length_penalty}:")
    for ids, score, check in zip(beams.sequences, beams.sequences_scores, rescored):
        print(f"   {score.item():8.4f}  (sum of log-probs / T^lp = {check.item():8.4f})  "
              f"{tokenizer.decode(ids, skip_special_tokens=True)}")

# %% [markdown]
# The scores agree with the formula. The model is sure of its translation (a log-probability near 0); the
# other beams are the next best sequences, each with a low-probability token somewhere.
#
# ### Greedy against beam on held-out sentences
#
# Does the beam change anything? We translate the compositional test set (sentences with adjective-noun
# combinations the model never saw) both ways:

# %%
N_COMPARE = 200
test_english = [english for english, _ in splits.test[:N_COMPARE]]
test_french = [french for _, french in splits.test[:N_COMPARE]]
greedy_test = translate(test_english)
beam_test = translate(test_english, num_beams=4)
same = sum(g == b for g, b in zip(greedy_test, beam_test))
print(f"greedy and beam (k=4) identical on {same} of {N_COMPARE} held-out sentences")
print(f"exact match with the reference: greedy {sum(g == r for g, r in zip(greedy_test, test_french))}, "
      f"beam {sum(b == r for b, r in zip(beam_test, test_french))} of {N_COMPARE}")

# %% [markdown]
# On this grammar the translator is well trained: at almost every step one token takes nearly all the
# probability, so the greedy path *is* the best sequence and the beam finds nothing better. That is the normal
# situation for a confident model on in-domain input. Beam search earns its cost where the model hesitates:
# in section 3 you write it, and build a case where greedy loses.
#
# **Takeaway:** beam search ranks whole sequences by summed log-probability (divided by
# $T^{\text{length\_penalty}}$); on inputs where the model is confident it returns the greedy output.

# %% [markdown]
# ## 3. Beam search by hand
#
# ### Exercise 18.1 — Beam search (4 points)
#
# Write `beam_search(score_fn, start, vocab, beam_size, max_len, eos)`, with the rule that `generate()` uses
# (so that the two can be compared exactly):
#
# - A sequence is a tuple of tokens. `score_fn(prefix)` takes the prefix `(start, y_1, ..., y_t)` — always
#   beginning with `start` — and returns the log-probabilities of the next token: a sequence of floats (a
#   list, or a 1-D tensor) aligned with `vocab`, so that entry `i` is $\log p(\text{vocab}[i] \mid
#   \text{prefix})$. The score of a sequence is the **sum** of its tokens' log-probabilities (no length
#   penalty).
# - Start with one running beam, the empty sequence, score 0. At each of at most `max_len` steps, extend every
#   running beam by every token of `vocab` and rank all the candidates by score, best first. Then:
#   - each of the `beam_size` best candidates that **ends with `eos`**, or that has reached **`max_len`
#     tokens**, becomes a finished hypothesis;
#   - the running beams of the next step are the `beam_size` best candidates that do **not** end with `eos`
#     (so there are always `beam_size` of them, as in `generate`).
# - Return the `beam_size` best finished hypotheses, best first, as a list of `(tokens, score)` pairs:
#   `tokens` a tuple **without** `start` (with the final `eos` if it has one), `score` a Python float.
#
# Stopping early (when no running beam can beat the worst of `beam_size` finished hypotheses) is allowed —
# it gives the same result, because log-probabilities are $\le 0$ — but not required. Stopping as soon as
# `beam_size` hypotheses are finished is not: a running beam may still beat them. Do not call `generate`.

# %% nbgrader={"solution": true, "grade_id": "ex18_1"}
def beam_search(score_fn, start, vocab, beam_size: int, max_len: int, eos) -> list[tuple[tuple, float]]:
    """Beam search over sequences scored by summed log-probabilities.

    Args:
        score_fn: prefix (a tuple starting with ``start``) -> log-probabilities of the next token, aligned with
            ``vocab`` (a list of floats or a 1-D tensor).
        start: the token every prefix starts with (not part of the returned sequences).
        vocab: the tokens, in the order of ``score_fn``'s output.
        beam_size: k, the number of running beams and of returned hypotheses.
        max_len: the largest number of generated tokens (the end token included).
        eos: the end token.

    Returns:
        The ``beam_size`` best finished hypotheses, best first: ``[(tokens, score), ...]``, ``tokens`` a tuple
        without ``start``, ``score`` a float.
    """
    ### BEGIN SOLUTION
    running = [((), 0.0)]
    finished = []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            log_probs = score_fn((start, *tokens))
            for token, log_prob in zip(vocab, log_probs):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda candidate: candidate[1], reverse=True)
        for tokens, score in candidates[:beam_size]:
            if tokens[-1] == eos or step == max_len:
                finished.append((tokens, score))
        running = [candidate for candidate in candidates if candidate[0][-1] != eos][:beam_size]
    finished.sort(key=lambda hypothesis: hypothesis[1], reverse=True)
    return finished[:beam_size]
    ### END SOLUTION


# %% [markdown]
# A toy "language model" to test it on: three tokens `a`, `b` and the end token `</s>`. After `a`, the model
# hesitates between all three; after `b`, it is sure. Greedy takes `a` (0.55 > 0.45), then pays for it.

# %%
TOY_VOCAB = ["a", "b", "</s>"]
TOY_TABLE = {
    ("<s>",): [0.55, 0.45, 0.0],
    ("<s>", "a"): [0.3, 0.3, 0.4],
    ("<s>", "b"): [0.02, 0.02, 0.96],
}


def toy_scores(prefix: tuple) -> list[float]:
    """Log-probabilities of the next toy token after ``prefix``; unseen prefixes: uniform."""
    probabilities = TOY_TABLE.get(prefix, [1 / 3, 1 / 3, 1 / 3])
    return [math.log(p) if p > 0 else -math.inf for p in probabilities]


def brute_force(score_fn, start, vocab, max_len, eos) -> list[tuple[tuple, float]]:
    """Every complete sequence (ending with eos, or max_len long) with its summed log-probability, best first."""
    complete = []
    for length in range(1, max_len + 1):
        for tokens in itertools.product(vocab, repeat=length):
            if eos in tokens[:-1] or (tokens[-1] != eos and length < max_len):
                continue
            score = sum(score_fn((start, *tokens[:t]))[vocab.index(tokens[t])] for t in range(length))
            complete.append((tokens, float(score)))
    return sorted(complete, key=lambda item: item[1], reverse=True)


best = brute_force(toy_scores, "<s>", TOY_VOCAB, 3, "</s>")
print("brute force, best 3:", [(" ".join(tokens), round(score, 3)) for tokens, score in best[:3]])

# %% nbgrader={"grade": true, "grade_id": "ex18_1_test", "points": 4}
# Self-check 1: on the toy model, greedy (beam_size=1) loses, beam_size=2 finds the best sequence.
from course.checks import call_checking_inputs

greedy_result = call_checking_inputs(beam_search, toy_scores, "<s>", list(TOY_VOCAB), 1, 3, "</s>")
assert isinstance(greedy_result, list) and len(greedy_result) == 1, (
    f"with beam_size=1 return a list of ONE (tokens, score) pair, got {greedy_result!r}")
assert greedy_result[0][0] == ("a", "</s>"), (
    f"beam_size=1 is greedy search: 'a' (0.55), then '</s>' (0.4) -> ('a', '</s>'); got {greedy_result[0][0]}")
beam_result = beam_search(toy_scores, "<s>", list(TOY_VOCAB), 2, 3, "</s>")
assert [tokens for tokens, _ in beam_result] == [("b", "</s>"), ("a", "</s>")], (
    f"with beam_size=2 expected [('b', '</s>'), ('a', '</s>')] (log 0.45 + log 0.96 beats log 0.55 + log 0.4), "
    f"got {[tokens for tokens, _ in beam_result]}")
assert all(isinstance(score, float) for _, score in beam_result), "scores must be Python floats"
assert math.isclose(beam_result[0][1], math.log(0.45) + math.log(0.96), abs_tol=1e-9), (
    f"the score is the SUM of the log-probabilities: expected {math.log(0.45) + math.log(0.96):.4f}, "
    f"got {beam_result[0][1]:.4f}")
# Self-check 2: a beam wide enough to keep everything finds the brute-force ranking (scores; the best two
# sequences too — further down, several sequences tie and may come in any order).
wide = beam_search(toy_scores, "<s>", list(TOY_VOCAB), 27, 3, "</s>")
assert [tokens for tokens, _ in wide[:2]] == [tokens for tokens, _ in best[:2]], (
    f"with a beam wide enough to keep every prefix, the best 2 must be the brute-force best 2: "
    f"{[tokens for tokens, _ in best[:2]]}, got {[tokens for tokens, _ in wide[:2]]}")
assert [round(score, 9) for _, score in wide[:5]] == [round(score, 9) for _, score in best[:5]], (
    f"the best 5 scores must be the brute-force best 5: {[round(s, 4) for _, s in best[:5]]}, "
    f"got {[round(s, 4) for _, s in wide[:5]]}")
print("Self-check passed: greedy loses on the toy model, the beam and brute force agree.")
### BEGIN HIDDEN TESTS
import random

from course.checks import call_checking_inputs, forbidden

# Random toy models (several vocabularies, lengths, beam sizes): the top hypotheses with a full-width beam
# equal brute force; a narrower beam returns beam_size hypotheses, sorted, each scored correctly.
rng_hidden = random.Random(1801)
for trial in range(12):
    vocab_hidden = ["x", "y", "z", "END"][: rng_hidden.choice((3, 4))]
    table_hidden = {}

    def random_scores(prefix, table=table_hidden, size=len(vocab_hidden)):
        if prefix not in table:
            weights = [rng_hidden.random() ** 3 + 1e-3 for _ in range(size)]
            table[prefix] = [math.log(w / sum(weights)) for w in weights]
        return list(table[prefix])

    max_len_hidden = rng_hidden.choice((2, 3, 4))
    truth = brute_force(random_scores, "S", vocab_hidden, max_len_hidden, "END")
    full_width = len(vocab_hidden) ** max_len_hidden
    full = call_checking_inputs(beam_search, random_scores, "S", list(vocab_hidden), full_width, max_len_hidden, "END")
    assert [t for t, _ in full[:4]] == [t for t, _ in truth[:4]], (
        f"vocab {vocab_hidden}, max_len {max_len_hidden}, full-width beam: expected the brute-force best "
        f"{[t for t, _ in truth[:4]]}, got {[t for t, _ in full[:4]]}")
    for k in (1, 2, 3):
        result = beam_search(random_scores, "S", list(vocab_hidden), k, max_len_hidden, "END")
        assert len(result) == k, f"beam_size={k}: return exactly {k} hypotheses, got {len(result)}"
        scores = [s for _, s in result]
        assert scores == sorted(scores, reverse=True), "return the hypotheses best first"
        for tokens, score in result:
            assert isinstance(tokens, tuple), f"tokens must be a tuple, got {type(tokens).__name__}"
            assert tokens[0] != "S", "the returned tokens must not include the start token"
            assert tokens[-1] == "END" or len(tokens) == max_len_hidden, (
                f"{tokens}: a hypothesis ends with eos or has max_len tokens")
            assert "END" not in tokens[:-1], f"{tokens}: nothing may follow the end token"
            recomputed = sum(random_scores(("S", *tokens[:t]))[vocab_hidden.index(tokens[t])]
                             for t in range(len(tokens)))
            assert math.isclose(score, recomputed, abs_tol=1e-9), (
                f"{tokens}: score {score:.5f}, but the sum of its log-probabilities is {recomputed:.5f}")

# The finished-hypothesis rule of generate(): an eos candidate counts only if it is among the beam_size best
# candidates of its step; the running beams stay beam_size strong (the next non-eos candidates). Here ('END',)
# (0.2) is third at step 1, so it is NOT a hypothesis, although it beats every sequence the beam finishes later:
# step 2 keeps 'x x' (0.30) and 'y x' (0.21), step 3 finishes 'x x END' (0.21) and 'y x END' (0.147).
RULE_TABLE = {
    ("S",): [0.5, 0.3, 0.2],               # x, y, END
    ("S", "x"): [0.6, 0.3, 0.1],
    ("S", "y"): [0.7, 0.2, 0.1],
}


def rule_scores(prefix):
    return [math.log(p) for p in RULE_TABLE.get(prefix, [0.2, 0.1, 0.7])]


rule_result = beam_search(rule_scores, "S", ["x", "y", "END"], 2, 3, "END")
assert ("END",) not in [t for t, _ in rule_result], (
    "('END',) has score log 0.2, third of the first step's candidates: with beam_size=2 only the 2 best "
    "candidates of a step can become hypotheses (the rule of generate()), even if it scores better than "
    "the hypotheses found later")
assert [t for t, _ in rule_result] == [("x", "x", "END"), ("y", "x", "END")], (
    f"expected [('x', 'x', 'END'), ('y', 'x', 'END')], got {[t for t, _ in rule_result]}")
# Stopping as soon as beam_size hypotheses are finished (generate's early_stopping=True) is not the rule: at
# step 3, 'x x END' (0.14) finishes the second hypothesis, but the running beam 'x y x' (0.171) is better and
# finishes at step 4 as 'x y x END' (0.154), which must replace it.
PATIENT_TABLE = {
    ("S",): [0.4, 0.1, 0.5],
    ("S", "x"): [0.5, 0.45, 0.05],
    ("S", "x", "x"): [0.2, 0.1, 0.7],
    ("S", "x", "y"): [0.95, 0.03, 0.02],
    ("S", "x", "y", "x"): [0.05, 0.05, 0.9],
}


def patient_scores(prefix):
    return [math.log(p) for p in PATIENT_TABLE.get(prefix, [0.3, 0.3, 0.4])]


patient_result = [t for t, _ in beam_search(patient_scores, "S", ["x", "y", "END"], 2, 4, "END")]
assert patient_result == [("END",), ("x", "y", "x", "END")], (
    f"expected [('END',), ('x', 'y', 'x', 'END')], got {patient_result}: do not stop as soon as beam_size "
    "hypotheses are finished while a running beam still scores better than the worst of them")
# A finished hypothesis must not shrink the beam. Step 2 ranks 'x END' (0.30), 'y x' (0.20), 'x x' (0.18), ...:
# 'x END' finishes, and the running beams must be 'y x' AND 'x x' (the next non-eos candidate), whose
# 'x x END' (0.18) is the second best sequence. A beam that shrank to 'y x' alone would miss it.
SHRINK_TABLE = {
    ("S",): [0.6, 0.4, 0.0],
    ("S", "x"): [0.3, 0.2, 0.5],
    ("S", "y"): [0.5, 0.1, 0.4],
    ("S", "y", "x"): [0.5, 0.0, 0.5],
}


def shrink_scores(prefix):
    return [math.log(p) if p > 0 else -1e9 for p in SHRINK_TABLE.get(prefix, [0.0, 0.0, 1.0])]


shrink_result = [t for t, _ in beam_search(shrink_scores, "S", ["x", "y", "END"], 2, 4, "END")]
assert shrink_result == [("x", "END"), ("x", "x", "END")], (
    f"expected [('x', 'END'), ('x', 'x', 'END')], got {shrink_result}: when one of the beam_size best candidates "
    "finishes, the running beams are still the beam_size best candidates that do not end with eos (here 'y x' "
    "and 'x x'); do not let the beam shrink")
# max_len: a hypothesis without eos is returned when the length limit is reached.
looping = beam_search(lambda prefix: [math.log(0.9), math.log(0.1)], 0, ["go", "stop"], 1, 4, "stop")
assert looping == [(("go", "go", "go", "go"), 4 * math.log(0.9))] or (
    looping[0][0] == ("go",) * 4 and math.isclose(looping[0][1], 4 * math.log(0.9))), (
    f"a beam that reaches max_len=4 tokens without eos is a finished hypothesis: expected "
    f"[(('go', 'go', 'go', 'go'), {4 * math.log(0.9):.4f})], got {looping}")
# Tensor scores and integer tokens work (the translator's case), with no call to generate().
tensor_result = beam_search(lambda prefix: torch.tensor([-0.1, -2.5, -3.0]).log_softmax(-1), 7, [0, 1, 2], 2, 3, 2)
assert all(isinstance(score, float) for _, score in tensor_result), "convert tensor scores to Python floats"
with forbidden("transformers.GenerationMixin.generate", reason="write the search yourself"):
    beam_search(toy_scores, "<s>", list(TOY_VOCAB), 2, 3, "</s>")
### END HIDDEN TESTS

# %% [markdown]
# ### Your beam search on the translator
#
# The same function drives the translator: the vocabulary is the token ids, `start` the decoder start token,
# and `score_fn` one decoder pass on the prefix (the encoder runs once). With `length_penalty=0.0`,
# `generate()` ranks hypotheses by the summed log-probability as your function does, and its finished rule is
# the one you implemented, so the two should return the same hypotheses with the same scores. (With the
# default `length_penalty=1.0`, `generate` divides each finished score by $T$ before ranking: a different
# objective. With `length_penalty=0.0`, the stopping tests of `early_stopping=False` (the default) and
# `"never"` cannot change the result, since a running beam only loses score as it grows; `early_stopping=True`
# can, because it stops as soon as $k$ hypotheses are finished.)

# %%
def translator_score_fn(english: str):
    """score_fn for beam_search: prefix of decoder ids -> (V,) next-token log-probabilities."""
    source = tokenizer([english], return_tensors="pt")
    with torch.no_grad():
        encoder_outputs = translator.get_encoder()(**source)

    def score_fn(prefix: tuple) -> torch.Tensor:
        with torch.no_grad():
            logits = translator(encoder_outputs=encoder_outputs, attention_mask=source["attention_mask"],
                                decoder_input_ids=torch.tensor([prefix])).logits
        return logits[0, -1].log_softmax(-1)

    return score_fn


BEAM_SIZE, MAX_LEN = 3, 24
vocab_ids = list(range(translator.config.vocab_size))
for english in [splits.test[5][0], splits.test[11][0]]:
    with torch.no_grad():
        library = translator.generate(**tokenizer([english], return_tensors="pt"), num_beams=BEAM_SIZE,
                                      num_return_sequences=BEAM_SIZE, length_penalty=0.0, max_new_tokens=MAX_LEN,
                                      return_dict_in_generate=True, output_scores=True)
    print(english)
    for ids, score in zip(library.sequences, library.sequences_scores):
        print(f"   generate   {score.item():9.5f}  {tokenizer.decode(ids, skip_special_tokens=True)}")
    try:
        for tokens, score in beam_search(translator_score_fn(english), START_ID, vocab_ids, BEAM_SIZE, MAX_LEN,
                                         EOS_ID):
            print(f"   yours      {score:9.5f}  {tokenizer.decode(list(tokens), skip_special_tokens=True)}")
    except NotImplementedError:
        print("   Exercise 18.1 is not done yet: your beam search's hypotheses will appear here.")

# %% [markdown]
# Same hypotheses, same scores up to float rounding (your sum is accumulated in Python floats, generate's in
# float32). What still differs from `generate`: it runs all beams as one batch with a key-value cache, and
# it can rank by a length-normalised score; the search itself is the one you wrote.

# %% [markdown]
# ## 4. When the beam changes the result
#
# The model hesitates on inputs unlike its training data. We replace four nouns of the held-out sentences by
# words the translator has never seen (*queen*, *tiger*, *wolf*, *lemon*: its tokenizer splits them into
# pieces it knows) and translate them again, greedily and with a beam of 4:

# %%
UNSEEN = {"girl": "queen", "girls": "queens", "cat": "tiger", "cats": "tigers", "dog": "wolf", "dogs": "wolves",
          "apple": "lemon", "apples": "lemons"}
unseen_english = []
for english, _ in splits.test[:N_COMPARE]:
    changed = " ".join(UNSEEN.get(word, word) for word in english.split())
    if changed != english:
        unseen_english.append(changed)
greedy_unseen = translate(unseen_english)
beam_unseen = translate(unseen_english, num_beams=4)
differ = [index for index, (g, b) in enumerate(zip(greedy_unseen, beam_unseen)) if g != b]
print(f"{len(unseen_english)} sentences with an unseen noun: greedy and beam differ on {len(differ)}")
for index in differ:
    print(f"  {unseen_english[index]}\n     greedy: {greedy_unseen[index]}\n     beam:   {beam_unseen[index]}")

# %% [markdown]
# Where the model is unsure, the two searches part. Greedy can fall into a **loop**: once it has written a
# token twice, repeating it looks locally best again and again, until `max_new_tokens` cuts it. The beam keeps
# other prefixes alive, and one of them reaches the end token with a far better total score. We follow the
# cumulative log-probability of every returned beam, and of the greedy output, token by token:

# %%
hesitant = unseen_english[max(differ, key=lambda index: len(greedy_unseen[index]))] if differ else unseen_english[0]
hesitant_source = tokenizer([hesitant], return_tensors="pt")
with torch.no_grad():
    greedy_ids = translator.generate(**hesitant_source)                                    # (1, 1 + T)
    beam_output = translator.generate(**hesitant_source, num_beams=4, num_return_sequences=4,
                                      return_dict_in_generate=True, output_scores=True)
SHOWN_STEPS = 14
figure, axis = plt.subplots(figsize=(9.5, 4.8))
paths = [("greedy", greedy_ids, "black")] + [(f"beam {rank + 1}", beam_output.sequences[rank:rank + 1], colour)
                                             for rank, colour in enumerate(["C0", "C1", "C2", "C3"])]
labels = []   # (step, cumulative log-probability, token, colour): one per node, placed after the lines
for order, (label, ids, colour) in enumerate(paths):
    token_ids = ids[0, 1:].tolist()
    length = token_ids.index(EOS_ID) + 1 if EOS_ID in token_ids else len(token_ids)      # up to the end token
    cumulative = sequence_log_probs(hesitant, ids)[0, :length].cumsum(0)                  # (T,)
    tokens = tokenizer.convert_ids_to_tokens(token_ids[:length])
    steps = min(SHOWN_STEPS, length)
    axis.plot(range(1, steps + 1), cumulative[:steps], marker="os^vD"[order], markersize=4, color=colour,
              linestyle="--" if label == "greedy" else "-", zorder=3 if label == "greedy" else 2,
              label=f"{label}: {cumulative[-1].item():.2f} in total")
    for step in range(steps):
        node = (step + 1, cumulative[step].item(), tokens[step].replace("▁", ""), colour)
        # A token already written at this step at (nearly) the same height is not written again.
        if not any(x == node[0] and text == node[2] and abs(y - node[1]) < 0.3 for x, y, text, _ in labels):
            labels.append(node)
figure.canvas.draw()
renderer, placed = figure.canvas.get_renderer(), []
for x, y, text, colour in labels:   # above the node if there is room, else below, else further away
    for offset in ((2, 4), (2, -11), (2, 13), (2, -20)):
        annotation = axis.annotate(text, (x, y), xytext=offset, textcoords="offset points", fontsize=8,
                                   color=colour)
        box = annotation.get_window_extent(renderer)
        if not any(box.overlaps(other) for other in placed):
            break
        annotation.remove()
    else:
        annotation = axis.annotate(text, (x, y), xytext=(2, 4), textcoords="offset points", fontsize=8,
                                   color=colour)
    placed.append(annotation.get_window_extent(renderer))
axis.set(xlabel="generated token", ylabel="cumulative log-probability",
         title=f"Greedy against a beam of 4: {hesitant!r}")
axis.legend(fontsize=8, loc="lower left")
plt.show()
print("greedy:", tokenizer.decode(greedy_ids, skip_special_tokens=True)[0])
for rank, (ids, score) in enumerate(zip(beam_output.sequences, beam_output.sequences_scores), start=1):
    print(f"beam {rank} (score {score.item():.3f}):", tokenizer.decode(ids, skip_special_tokens=True))

# %% [markdown]
# The greedy path starts with the most probable first token — by construction — and then pays for every
# repetition. The beam's winner falls behind the greedy path at some step, and finishes far higher. (The
# legend gives each path's total log-probability; the printed beam scores are divided by the length,
# `length_penalty=1.0`.)
#
# The **length penalty** matters most on such inputs, where long and short hypotheses compete. The same
# beam, three settings:

# %%
for english in ["the", "I am a student", "apple"]:
    outputs = {lp: translate([english], num_beams=4, length_penalty=lp)[0] for lp in (0.0, 1.0, 2.0)}
    print(f"{english!r:18s} greedy: {translate([english])[0]}")
    for lp, output in outputs.items():
        print(f"{'':18s} beam 4, length_penalty={lp}: {output}")

# %% [markdown]
# With `length_penalty=0.0` the raw sum wins, and every extra token costs: short outputs are favoured. Larger
# values divide by a larger power of the length and let longer hypotheses win. None of these outputs is a
# good translation — the inputs are outside what the model knows — but they show the knob at work.
#
# **Takeaway:** beam search changes the output where the model is uncertain; it finds sequences with a higher
# total probability (escaping greedy loops), and `length_penalty` decides how length is traded against
# probability.

# %% [markdown]
# ## 5. BLEU and chrF on the translator's outputs
#
# Lesson 15 computed BLEU and chrF on artificial systems. Here they score real model outputs. We use
# sacrebleu on the detokenized text (its default `13a` tokenizer), and quote the signature.

# %%
long_inputs = data.long_pairs(60, seed=0, exclude=splits.held_out)
long_english = [english for english, _ in long_inputs]
long_french = [french for _, french in long_inputs]
long_greedy = translate(long_english)
long_beam = translate(long_english, num_beams=4)
bleu_metric = sacrebleu.metrics.BLEU(force=True)  # force: our French text writes " ." as a token, on purpose
chrf_metric = sacrebleu.metrics.CHRF()
print(f"{'inputs':28s} {'decoding':8s} {'BLEU':>6s} {'chrF':>6s} {'exact':>6s}")
for name, decoding, outputs, references in (("held-out single sentences", "greedy", greedy_test, test_french),
                                            ("held-out single sentences", "beam 4", beam_test, test_french),
                                            ("two sentences in a row", "greedy", long_greedy, long_french),
                                            ("two sentences in a row", "beam 4", long_beam, long_french)):
    exact = sum(o == r for o, r in zip(outputs, references)) / len(references)
    print(f"{name:28s} {decoding:8s} {bleu_metric.corpus_score(outputs, [references]).score:6.1f} "
          f"{chrf_metric.corpus_score(outputs, [references]).score:6.1f} {exact:6.0%}")
print("BLEU signature:", bleu_metric.get_signature())
print("example:", long_english[0], "\n   reference:", long_french[0], "\n   model:    ", long_greedy[0])

# %% [markdown]
# On single sentences, even with unseen combinations, the translator is perfect. On two sentences in a row —
# every word and pattern known, only the length new — it fails, with either decoding: it translates one
# sentence and stops, or blends the two. The scores say "partly right" (BLEU and chrF far from 0), exact
# match says "never right". No decoding strategy repairs what the model did not learn: lesson 14's
# length-generalisation failure is a property of the model, and beam search only searches the model's own
# distribution better.
#
# **Takeaway:** report BLEU and chrF with their signature, next to exact match; a better search does not
# fix a model that puts its probability on the wrong outputs.

# %% [markdown]
# ## 6. ROUGE by hand
#
# Summaries are scored with ROUGE (lesson 15): n-gram overlap with a reference, read as recall ("how much of
# the reference does the summary cover?"), precision, and their harmonic mean $F_1$. With
# $\text{count}_c(g)$ and $\text{count}_r(g)$ the counts of unigram $g$ in the candidate and the reference:
#
# $$\text{overlap}_1 = \sum_g \min\big(\text{count}_c(g), \text{count}_r(g)\big), \quad
#   P_1 = \frac{\text{overlap}_1}{|c|}, \quad R_1 = \frac{\text{overlap}_1}{|r|}, \quad
#   F_1 = \frac{2 P R}{P + R}.$$
#
# **ROUGE-L** replaces the overlap by the length of the **longest common subsequence** (LCS) of the two token
# lists: tokens in the same order, not necessarily adjacent. "the cat sat on the mat" and "the cat lay on a
# mat" share the subsequence "the cat on mat" (4 tokens). The LCS is computed by dynamic programming:
# with $L[i][j]$ the LCS length of the first $i$ tokens of $a$ and the first $j$ of $b$,
#
# $$L[i][j] = \begin{cases} L[i-1][j-1] + 1 & a_i = b_j \\ \max(L[i-1][j], L[i][j-1]) & \text{otherwise}
#   \end{cases}, \qquad L[0][\cdot] = L[\cdot][0] = 0.$$
#
# `rouge-score` tokenizes before counting: it lower-cases, replaces every character that is not a letter or a
# digit by a space, and splits (no stemming unless `use_stemmer=True`). We tokenize the same way:

# %%
rouge_tokenize = rouge_tokenizers.DefaultTokenizer(use_stemmer=False).tokenize
library_rouge = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)
print(rouge_tokenize("The cat's mat, 2 metres long -- CLEAN!"))

# %% [markdown]
# ### Exercise 18.2 — ROUGE-1 and ROUGE-L (3 points)
#
# Write `rouge_1_and_l(reference, candidate)`.
#
# - `reference`, `candidate`: lists of tokens (already tokenized, e.g. by `rouge_tokenize`). Compare tokens
#   as they are.
# - Return a tuple of two Python floats `(rouge1_f1, rougeL_f1)`: the $F_1$ of ROUGE-1 (clipped unigram
#   counts) and of ROUGE-L (longest common **subsequence**, by dynamic programming).
# - When either list is empty, or nothing overlaps, both precision and recall are 0 and so is $F_1$ (no
#   division by zero).
# - Do not modify the inputs and do not call `rouge_score`.
#
# Your result must equal `library_rouge.score(" ".join(reference), " ".join(candidate))` (its `fmeasure`s),
# to $10^{-9}$, on any tokens that `rouge_tokenize` produces.

# %% nbgrader={"solution": true, "grade_id": "ex18_2"}
def rouge_1_and_l(reference: list[str], candidate: list[str]) -> tuple[float, float]:
    """ROUGE-1 F1 and ROUGE-L F1 of ``candidate`` against ``reference`` (token lists).

    Returns:
        (rouge1_f1, rougeL_f1), two floats in [0, 1].
    """
    ### BEGIN SOLUTION
    def f1(overlap: int) -> float:
        if overlap == 0:
            return 0.0
        precision, recall = overlap / len(candidate), overlap / len(reference)
        return 2 * precision * recall / (precision + recall)

    reference_counts, candidate_counts = Counter(reference), Counter(candidate)
    unigram_overlap = sum(min(count, reference_counts[token]) for token, count in candidate_counts.items())
    previous = [0] * (len(candidate) + 1)
    for reference_token in reference:
        current = [0]
        for j, candidate_token in enumerate(candidate, start=1):
            current.append(previous[j - 1] + 1 if reference_token == candidate_token
                           else max(previous[j], current[j - 1]))
        previous = current
    return f1(unigram_overlap), f1(previous[-1])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex18_2_test", "points": 3}
# Self-check: the example of the text, computed by hand, and rouge-score on a few summaries.
from course.checks import call_checking_inputs

reference_tokens, candidate_tokens = "the cat sat on the mat".split(), "the cat lay on a mat".split()
by_hand = (2 * (4 / 6) * (4 / 6) / (4 / 6 + 4 / 6), 2 * (4 / 6) * (4 / 6) / (4 / 6 + 4 / 6))
result = call_checking_inputs(rouge_1_and_l, reference_tokens, candidate_tokens)
assert isinstance(result, tuple) and len(result) == 2, f"return a tuple (rouge1_f1, rougeL_f1), got {result!r}"
assert all(math.isclose(r, e, abs_tol=1e-9) for r, e in zip(result, by_hand)), (
    f"expected {by_hand} (4 common unigrams, LCS 'the cat on mat' = 4 tokens, 6 tokens each side), got {result}")
for reference_text, candidate_text in [("the girl ate a red apple in the garden .", "the girl ate ."),
                                       ("the girl ate a red apple in the garden .",
                                        "in the garden a red apple ate the girl ."),
                                       ("Bus drivers will strike for two days.", "Drivers strike: two days, two!")]:
    reference_tokens, candidate_tokens = rouge_tokenize(reference_text), rouge_tokenize(candidate_text)
    expected = library_rouge.score(" ".join(reference_tokens), " ".join(candidate_tokens))
    result = rouge_1_and_l(reference_tokens, candidate_tokens)
    assert math.isclose(result[0], expected["rouge1"].fmeasure, abs_tol=1e-9), (
        f"ROUGE-1 of {candidate_text!r}: rouge-score gives {expected['rouge1'].fmeasure:.4f}, you give "
        f"{result[0]:.4f}")
    assert math.isclose(result[1], expected["rougeL"].fmeasure, abs_tol=1e-9), (
        f"ROUGE-L of {candidate_text!r}: rouge-score gives {expected['rougeL'].fmeasure:.4f}, you give "
        f"{result[1]:.4f}")
print("Self-check passed: your ROUGE-1 and ROUGE-L match rouge-score.")
### BEGIN HIDDEN TESTS
import random

from course.checks import call_checking_inputs, forbidden

rng_hidden = random.Random(1802)
words_hidden = ["the", "cat", "a", "mat", "sat", "on", "red", "2"]
hidden_cases = [(["a", "b", "c", "d"], ["b", "x", "d", "a", "c"]), (["the"] * 3, ["the"] * 7),
                (["a", "b"], ["c", "d"]), ([], ["a"]), (["a"], []), ([], [])]
for _ in range(60):
    hidden_cases.append(([rng_hidden.choice(words_hidden) for _ in range(rng_hidden.randint(1, 12))],
                         [rng_hidden.choice(words_hidden) for _ in range(rng_hidden.randint(1, 12))]))
expected_table = [library_rouge.score(" ".join(r), " ".join(c)) for r, c in hidden_cases]
with forbidden("rouge_score.rouge_scorer.RougeScorer.score", "rouge_score.rouge_scorer._score_lcs",
               "rouge_score.rouge_scorer._score_ngrams", "rouge_score.rouge_scorer._lcs_table",
               namespace=globals(), reason="count the overlap and fill the LCS table yourself"):
    for (reference_hidden, candidate_hidden), expected_hidden in zip(hidden_cases, expected_table):
        got = call_checking_inputs(rouge_1_and_l, list(reference_hidden), list(candidate_hidden))
        assert isinstance(got, tuple) and len(got) == 2, f"return a tuple of two floats, got {got!r}"
        assert all(isinstance(value, float) for value in got), f"return Python floats, got {got!r}"
        assert math.isclose(got[0], expected_hidden["rouge1"].fmeasure, abs_tol=1e-9), (
            f"ROUGE-1 F1 of candidate {candidate_hidden} against reference {reference_hidden}: rouge-score "
            f"gives {expected_hidden['rouge1'].fmeasure:.4f}, you give {got[0]:.4f} (clip each token's count at "
            "its count in the reference; F1 = 2PR / (P + R))")
        assert math.isclose(got[1], expected_hidden["rougeL"].fmeasure, abs_tol=1e-9), (
            f"ROUGE-L F1 of candidate {candidate_hidden} against reference {reference_hidden}: rouge-score "
            f"gives {expected_hidden['rougeL'].fmeasure:.4f}, you give {got[1]:.4f} (longest common "
            "SUBSEQUENCE: in order, gaps allowed; not the longest common substring)")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Summarisation: the same API, and an honest offline evaluation
#
# A summariser is a seq2seq model too. Online, with internet access, the code is the code of section 1 with
# another checkpoint (**not run here**: no summariser is available offline):
#
# ```python
# tokenizer = AutoTokenizer.from_pretrained("sshleifer/distilbart-cnn-12-6")   # BART distilled, news
# model = AutoModelForSeq2SeqLM.from_pretrained("sshleifer/distilbart-cnn-12-6")
# batch = tokenizer(documents, return_tensors="pt", padding=True, truncation=True, max_length=1024)
# summary_ids = model.generate(**batch, num_beams=4, length_penalty=2.0, min_length=20, max_new_tokens=80,
#                              no_repeat_ngram_size=3, early_stopping=True)
# summaries = tokenizer.decode(summary_ids, skip_special_tokens=True)
# ```
#
# For `t5-small`, prefix every document with `"summarize: "`: T5 was trained on many tasks, and the prefix
# tells it which one (without it, it tends to copy or translate). Summarisers use beam search with a
# **length penalty above 1** and a minimum length: here the raw sum of log-probabilities would favour
# one-line summaries.
#
# What we can do offline is evaluate **extractive** summarisers, which copy sentences of the document, on
# documents and reference summaries written for the course (`course.data.summaries`: 20 short news-style
# documents, one human summary each):

# %%
summary_set = summary_examples()
print(f"{len(summary_set)} documents, {sum(len(e.sentences()) for e in summary_set)} sentences")
print("document:", summary_set[0].document)
print("reference summary:", summary_set[0].summary)

# %% [markdown]
# Two summarisers, each choosing one sentence (our reference summaries are one sentence long):
#
# - **Lead-1**, the first sentence. News articles put the essential first, so this baseline is famously hard
#   to beat on news.
# - **Centroid**: embed every sentence with MiniLM (mean pooling, as in lesson 16), average the sentence
#   embeddings into a document vector, and pick the sentence closest to it (cosine similarity) — the
#   sentence that "says most of what the document says".
#
# And a third, to calibrate the scale: a **random** sentence.

# %%
minilm_tokenizer, minilm = course.load_minilm()


def sentence_embeddings(sentences: list[str]) -> torch.Tensor:
    """Mean-pooled, L2-normalised MiniLM embeddings: (n, 384)."""
    batch = minilm_tokenizer(sentences, return_tensors="pt", padding=True, truncation=True)
    with torch.no_grad():
        hidden = minilm(**batch).last_hidden_state                                  # (n, seq, 384)
    mask = batch["attention_mask"][..., None].float()                               # (n, seq, 1)
    return F.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


def lead_summary(sentences: list[str], count: int = 1) -> str:
    return " ".join(sentences[:count])


def centroid_summary(sentences: list[str], count: int = 1) -> str:
    embeddings = sentence_embeddings(sentences)                                     # (n, 384)
    centroid = F.normalize(embeddings.mean(0), dim=0)                               # (384,)
    chosen = sorted(torch.topk(embeddings @ centroid, count).indices.tolist())      # keep the document order
    return " ".join(sentences[index] for index in chosen)


random_generator = torch.Generator().manual_seed(18)


def random_summary(sentences: list[str], count: int = 1) -> str:
    chosen = sorted(torch.randperm(len(sentences), generator=random_generator)[:count].tolist())
    return " ".join(sentences[index] for index in chosen)


summarisers = {"lead-1": lead_summary, "centroid (MiniLM)": centroid_summary, "random sentence": random_summary}
system_summaries = {name: [summarise(example.sentences()) for example in summary_set]
                    for name, summarise in summarisers.items()}
references_text = [example.summary for example in summary_set]
print(f"{'summariser':20s} {'ROUGE-1':>8s} {'ROUGE-2':>8s} {'ROUGE-L':>8s}   (mean F1 over {len(summary_set)} "
      "documents, rouge-score)")
mean_rouge = {}
for name, outputs in system_summaries.items():
    per_document = [library_rouge.score(reference, output) for reference, output in zip(references_text, outputs)]
    mean_rouge[name] = {kind: sum(s[kind].fmeasure for s in per_document) / len(per_document)
                        for kind in ("rouge1", "rouge2", "rougeL")}
    print(f"{name:20s} " + " ".join(f"{mean_rouge[name][kind]:8.3f}" for kind in ("rouge1", "rouge2", "rougeL")))
agree = sum(lead == centroid for lead, centroid in zip(system_summaries["lead-1"],
                                                       system_summaries["centroid (MiniLM)"]))
print(f"the centroid picks the first sentence in {agree} of {len(summary_set)} documents")

# %% [markdown]
# Read the table as measured, whichever row wins: the printed line below names the best summariser by
# ROUGE-L on these documents.

# %%
best_name = max(mean_rouge, key=lambda name: mean_rouge[name]["rougeL"])
print(f"best ROUGE-L on these {len(summary_set)} documents: {best_name} "
      f"({mean_rouge[best_name]['rougeL']:.3f}); random sentence: {mean_rouge['random sentence']['rougeL']:.3f}")

# %% [markdown]
# Three lessons from these numbers. First, the lead baseline is strong on news-style text, because writers
# put the essential first; any summariser must be compared with it, and often loses. Second, the random
# sentence is not at zero: function words ("the", "of", "in") overlap with any reference, so ROUGE has a high
# floor and only differences *between* systems mean something. Third, with 20 documents, a difference of a
# few hundredths is within the noise of which documents we wrote; a real evaluation uses hundreds of
# documents and reports a confidence interval. An abstractive model (BART, T5) would also be scored this way,
# and ROUGE would reward it for reusing the reference's words, not for being faithful to the document.
#
# Your ROUGE function gives the same numbers (this cell uses it):

# %%
try:
    for name, outputs in system_summaries.items():
        mine = [rouge_1_and_l(rouge_tokenize(reference), rouge_tokenize(output))
                for reference, output in zip(references_text, outputs)]
        print(f"{name:20s} ROUGE-1 {sum(m[0] for m in mine) / len(mine):.3f}   "
              f"ROUGE-L {sum(m[1] for m in mine) / len(mine):.3f}")
except NotImplementedError:
    print("Exercise 18.2 is not done yet: the ROUGE-1 and ROUGE-L of each summariser, by your function, "
          "will appear here.")

# %% [markdown]
# ## 8. Common mistakes
#
# - **Comparing beam scores across length penalties.** `sequences_scores` is the summed log-probability
#   divided by $T^{\text{length\_penalty}}$: with the default 1.0 it is a per-token mean, not a log-probability
#   of the sequence (section 2). To compare hypotheses by probability, rescore them or use `length_penalty=0.0`.
# - **Expecting beam search to repair a model.** It searches the model's distribution better; it cannot
#   invent what the model did not learn (section 5: the two-sentence inputs fail with both searches).
# - **More return sequences than beams.** `num_return_sequences` must be at most `num_beams`:

# %%
try:
    translate(["the cat sleeps ."], num_beams=2, num_return_sequences=4)
except ValueError as error:
    print("ValueError:", str(error)[:150])

# %% [markdown]
# - **ROUGE computed differently.** Stemming, tokenization and the choice between ROUGE-L and its
#   summary-level variant `rougeLsum` all change the number. The same lead-1 summaries, with and without
#   rouge-score's Porter stemmer:

# %%
stemming_rouge = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)
for name, scorer in (("use_stemmer=False", library_rouge), ("use_stemmer=True", stemming_rouge)):
    scores = [scorer.score(reference, output) for reference, output in zip(references_text, system_summaries["lead-1"])]
    print(f"lead-1, {name:17s} ROUGE-1 {sum(s['rouge1'].fmeasure for s in scores) / len(scores):.3f}   "
          f"ROUGE-L {sum(s['rougeL'].fmeasure for s in scores) / len(scores):.3f}")

# %% [markdown]
#   Report the settings with the score, as for BLEU's signature.
# - **Longest common substring instead of subsequence** for ROUGE-L: "the cat sat on the mat" against
#   "the cat lay on a mat" share the substring "the cat" (2 tokens) but the subsequence "the cat on mat" (4).
# - **Forgetting T5's task prefix** (`"summarize: "`), or using a translation checkpoint's `generate` settings
#   for summaries: summarisers need a minimum length and a length penalty above 1.
# - **`pipeline("summarization")` or `pipeline("translation")`** from an older tutorial: removed in
#   transformers 5. Use `AutoModelForSeq2SeqLM` and `generate()`.

# %% [markdown]
# ### Exercise 18.3 — Greedy equals beam (1 point)
#
# On 200 held-out sentences, the course's translator returns the same output with greedy search and with a
# beam of 4. Which statement is supported by this measurement?
#
# - (a) Beam search did not run: `early_stopping=False` makes `generate` fall back to greedy search.
# - (b) At each step the model puts most of its probability on one token, so the greedy output is already
#   the sequence the beam scores best.
# - (c) Beam search can only change the output when `length_penalty` is set to 0.0 or below.
# - (d) The translator has memorised these sentences, which must therefore leak from its training set.
#
# Set `answer_18_3` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex18_3"}
### BEGIN SOLUTION
answer_18_3 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex18_3_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_18_3", answer_18_3, (
    "quiz1:eyJrZXkiOiAiODIwYTMxNmUwZjE5NGI0NTAyNmMwYTBhMGE2NWZkNzkzZDJlM2VjMWNhOGYyZWViOGI4ODU1ZTI1M2"
    "IzM2NjZiIsICJuYW1lIjogImFuc3dlcl8xOF8zIiwgIm9wdGlvbnMiOiB7ImEiOiAibjVWM1hCbDJ0YlpMbjF6K2xOM0FmVm"
    "9Lc2RoVTRkb3pUcGozVHIwY3BqT1l4QzVVblRqZjZNRnQwaGhSaE5wNDlONkhjQi93Ni9mOEtBTFh6TGlBcG9ja25IWWY1Z0"
    "1VMG9YbkVsYk52RnJreHhKbDUyUnBUamxWZDhFTTJpUHhuTjRLZTFnZEcxZkxFcVRTbDFoblh6S2YvMnV2S0tLZ0dkNEFGZV"
    "RTZVVyWkZ5V04vNGZMWTJPclVTSzluU0pXY1pwQlpDYTlBUkRmWVMyblBjSFJsTTMxZ3J2YlNhSUdONGwzL1VvQndZR0ZLeU"
    "9kQ1pSNXIzM3haOHlFNmc9PSIsICJiIjogIkJNMFdKWkVyeGRLVkUyYlNITFJ1d202T3MyTkxLWFhUYkJhMHhESUlrMUlFeU"
    "1KUnRkME43eC9ZbnRaNnlzaGc4cDV4YUFQNnNTb0hlRDNvd2p2YTIrTFVZSnhKK0JiaWs5dFJkWHNFQ2FaZ0Y4cEJPYXR2Wn"
    "VuQlM4QlFzVGVNbGYwUDdxc1paRnIwWWhnWHhjMkVtM2JaOGNHbnA3M3E1OFk2TWNaMkl0N0FhRVllLzZWNVFRRTE2aVVkMV"
    "pwcU56b2lyUVQ0UXpQalVTOTNtNDBsY3RIVUcrdEt2dmE5RmI2ZmlVWVYxL2RneXB3NUEwWkN3eDM5VDZES3pOOWE0cUNYcG"
    "9SdDJXRmFLTWd0Yy8rTm55TXRURVZoZjIwOThOVmZVbHRvS1Focm9LT20iLCAiYyI6ICJlVW5MM0podGN6c0RqMit3OXMzbj"
    "FRaThGNGltT3dFUGJZSkxtWkhpVUNLZWMvSHo2VVRxdjVCcytMdDFxRGxqWXhBaVRGMU9hL21pcDFvbzl1WVl4aVJTWWlxd3"
    "BTeEdyNGtzN2svQ21JWjlpcEZ5YkEwbktMN1VkM3kwQ0h1N3E0N3VYWEtobE5IRkZ1VmJnTmgxVEZwMk9TWGJzN0p5S2QyTU"
    "hqRDRXZzFaVjRwLy84SXhtQ3Ruelp0Wm5BYTQraU4xOTlOekFGVFFnY1VFL3FoVE1XSnpZV2NqUXMwPSIsICJkIjogIkZTN3"
    "lDTzd1cHlTUWt5UVJSM3R6VExXdFc3UVZMaDk2NG1HQXY5VTlFQnpwaWJDNWlQRmoraHhMUkdEcGp5SGZpVFRPRVRsZ043U1"
    "hFSjJidE9VdTNiSEtuU09KRTFwMUhQRDdJZTVhdmlXdGNFRDFKaUxPemd5Ym55cnlJcHUrS0dacmp2bWpGb21waUcwK1M3Tk"
    "twZnBQOGNZeWdsSSt1T1J4T1R1b2hoNlA5b29wY1ZTeFB2MmlCWnRpcU5KVEtHZThreTMvVXhodnF4S3BES0F6ckNUWElMUj"
    "A3Qms9In0sICJzYWx0IjogImZmZmUzYjA3NWY0ZTA1YzgifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_18_3", answer_18_3, "b", {
    "a": "early_stopping only decides when the beam stops; with num_beams=4 generate runs beam search (section 2 "
         "printed four beams and their scores). The outputs agree because the model is confident.",
    "b": "Right: when one token takes nearly all the probability at each step, the greedy path is also the "
         "best-scoring whole sequence, and the beam finds nothing better. On unseen words (section 4) the model "
         "hesitates and the two differ.",
    "c": "The length penalty changes how finished hypotheses are ranked, but beam search can differ from greedy "
         "with any value: section 4 shows differences with the default 1.0.",
    "d": "The test sentences hold adjective-noun combinations never seen in training (the split guarantees it). "
         "The agreement says the model is confident, not that it memorised.",
})
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 18.4 — Short summaries (1 point)
#
# A summariser run with `num_beams=4, length_penalty=0.0` returns one-line summaries much shorter than the
# references. What is the most likely cause, and the fix?
#
# - (a) Beam search with four beams truncates outputs to four sentences; use `num_beams=1`.
# - (b) `length_penalty=0.0` turns the penalty off, so long outputs are never penalised; set it to a
#   negative value.
# - (c) The score is then the raw sum of log-probabilities, which drops with each token; set `length_penalty`
#   above 1 or a `min_length`.
# - (d) `max_new_tokens` counts the input document's tokens too; raise it by the document's length.
#
# Set `answer_18_4` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex18_4"}
### BEGIN SOLUTION
answer_18_4 = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex18_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_18_4", answer_18_4, (
    "quiz1:eyJrZXkiOiAiODY1ZTBhYWQ3MzNlZmNhZjNhNDIwNzQ3YmQ2YjA4YzU5MWI3NzA4NzQ5NTg1YTM5MzBmY2E0MWE2OG"
    "E5OWYyZCIsICJuYW1lIjogImFuc3dlcl8xOF80IiwgIm9wdGlvbnMiOiB7ImEiOiAiQ0xFSkVzUVErT0hvb0dCUldVYzVGWU"
    "EzS1pCbU5wY0tDTll5MFlKN1ZiVkk5Q05uZVJRbmFUVkVRaW41UnpnSzZwOTQ4L01wVU1aWUQrMGMva3k1b1FMUitHTTNoVX"
    "Z6Q0ZZRkhYT3ZSY2libm1ybWI1eHJoL3A0RnZhUmZKTFNsSnJqUU52MWYwcUU5dndsRUZNWWkwZy8rM2hHVDVieVBuMHNJbm"
    "gwYVltRFo3ZVJ4cDJLZE1YRzBNVHhRU29tKzBUTmYxYmJmQjhiIiwgImIiOiAibEk2bkw4N0VrQnYwQlVuaCtoOHVCMFBtZ2"
    "Z1WGF2TTBYNmVhK0pTbG5IVUx3MnUyWjVsUW5CeE5jYm5Ld1l3dDVBUERWOGFPZzJlMm5wS0tmSzllUURXdlpROHRnNGFrNT"
    "dvL2ptdGdISU5FWXpWa29BTG4zdUhkLzAzUTVqZzBPc1p1aWF3YlhSb3NBeWRzdlBNb2VNMnl0VnUvcThiYU1rdXVBamg3Y2"
    "ZaSEFBVW1lUE9hSzRQZEFoZHV4K0xneVFuSWx0Y3Jad09NWkV6bHZkUGFQdzU5RUw2QTVmL1F3SXRJcjc5U25Ja2ZNeVc1Yn"
    "E1SCIsICJjIjogIkJiaXBxUG5LanBXUXliZ3pabi9ycyszL0tBbnMzWXNIdEVubkZjQmhLUVUyYXc3UHR2YUxJVVkyOEVHam"
    "9NYlFmUVREazJia3dtazhoTFFiSDVOMVdHYzJQeGF0WHhnTkFtbTVhZlV2Vmt1VjhWMUJJZEIxVzNYY1R3dVZQeVlCWUc4Uk"
    "5HcEdBKzdWRHBLdThtMm1xVTU3SnVWL3dIeEc2c1FYSFQwbEdQOWU2N1NWQys0dWZqMEFmenRRc1UrdUlFRms0NDhWQ0RlVU"
    "RUb29DQ2pRNEE2N3VGTDdOTzVDamlnaUw3NU5wWm1zaWhWbHQ1VUE0aGFJQUtSNmtvNXZ5UnhrZU5ScnNZYURVUG1vT0E9PS"
    "IsICJkIjogImtrQWRIRmdtRWJnd05vUDA2YnZPTGp2L1VjWHJZWWlXdFNDd2R6dGdlWkM4VjhqYUJ1RzZGM1oxVWp1SmtwTW"
    "paK2ZNTXpnVVFVbTMrU3E3eTlGU1JRTGFzSTV4TTA4U1NBUkxjcjkwTkY5d3MwUTRXUFZ5dUdBeXd2L2FSaXVOb1lLbk00YU"
    "dLem5nVWNiYU5ISVY4ckd2Rkd0UEc3c0Z2Z095aytmMVQ1ek50cStvdjZkK2lLc01jRmdaVlQvVEJmdkxaamtrNnZic1FKUV"
    "c0WllhbXUxaStlTGlWdlRBV2pSYk1mV2YzTGs9In0sICJzYWx0IjogImEzNDFhNTMyZTg1MmIyZGYifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_18_4", answer_18_4, "c", {
    "a": "The number of beams is the number of hypotheses kept at each step, not a limit on sentences; greedy "
         "search (num_beams=1) would not make summaries longer.",
    "b": "A penalty of 0 does not leave lengths neutral: the raw sum of log-probabilities falls with every token, "
         "so short hypotheses win. A negative value would favour short outputs even more.",
    "c": "Right: each token adds a negative log-probability, so with length_penalty=0.0 the shortest plausible "
         "hypothesis wins. Summarisers use length_penalty above 1 (the score is divided by T^lp) and a "
         "min_length.",
    "d": "For an encoder-decoder model, max_new_tokens counts only the generated tokens (the document is in the "
         "encoder); it is max_length on a decoder-only model that counts the prompt.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - A seq2seq application is `tokenizer` → `AutoModelForSeq2SeqLM.generate()` → `tokenizer.decode`; the
#   translation and summarisation pipelines are gone in transformers 5. The course's Marian translator runs
#   the same code path as `Helsinki-NLP/opus-mt-en-fr`.
# - Beam search keeps the $k$ best prefixes by summed log-probability; `generate` ranks finished hypotheses by
#   that sum divided by $T^{\text{length\_penalty}}$. Your `beam_search` reproduces `generate(num_beams=k,
#   length_penalty=0.0)`, hypotheses and scores.
# - On confident, in-domain inputs greedy and beam agree (measured); on uncertain inputs the beam finds
#   sequences with a higher total probability, for instance out of greedy loops. No search repairs a model.
# - BLEU and chrF (sacrebleu, with the signature) for translation; ROUGE-1 and ROUGE-L (clipped unigrams,
#   longest common subsequence, $F_1$) for summaries — your implementation matches `rouge-score` when the
#   tokenization is the same.
# - Extractive summarisers must beat the lead baseline, and ROUGE has a high floor: compare systems, on
#   enough documents, with the settings stated.
#
# Next, lesson 19 fine-tunes a text classifier and analyses its errors.
#
# ## Going further
#
# - Sutskever, Vinyals, Le (2014). *Sequence to Sequence Learning with Neural Networks.* NeurIPS — beam search
#   for neural translation.
# - Wu et al. (2016). *Google's Neural Machine Translation System.* arXiv:1609.08144 — the length
#   normalisation $\text{lp}(Y)$ behind `length_penalty`.
# - Holtzman, Buys, Du, Forbes, Choi (2020). *The Curious Case of Neural Text Degeneration.* ICLR — why the most
#   probable text repeats itself.
# - Lin (2004). *ROUGE: A Package for Automatic Evaluation of Summaries.* ACL workshop.
# - Nallapati, Zhai, Zhou (2017). *SummaRuNNer.* AAAI — the lead-3 baseline on news.
# - Lewis et al. (2020). *BART.* ACL; Raffel et al. (2020). *Exploring the Limits of Transfer Learning with a
#   Unified Text-to-Text Transformer (T5).* JMLR.
# - Documentation: [generation strategies](https://huggingface.co/docs/transformers/generation_strategies),
#   [`GenerationConfig`](https://huggingface.co/docs/transformers/main_classes/text_generation),
#   [rouge-score](https://pypi.org/project/rouge-score/), [sacrebleu](https://github.com/mjpost/sacrebleu).

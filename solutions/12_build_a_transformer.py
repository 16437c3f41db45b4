# ---
# jupyter:
#   course:
#     title: "Build a small Transformer"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 12 · Build a small Transformer
# {{COLAB_BADGE}}
#
# Lessons 04–11 built every part of a Transformer and checked each one against PyTorch. This lesson puts them
# together into the complete encoder-decoder model of Vaswani et al. (2017) — token ids in, next-token scores
# out — and writes the loop that turns it into a translator. The model you write here is the one that
# lessons 13 and 14 train to translate English into French, so every wire must be right: a wrong mask or a
# missing scale raises no error, it only makes the model learn worse or cheat.
#
# **You will be able to:**
# - assemble an encoder-decoder Transformer from embeddings, sinusoidal positions, PyTorch's encoder and
#   decoder stacks and an output layer tied to the target embeddings, and check it number for number against
#   `nn.Transformer`;
# - explain why the embeddings are multiplied by $\sqrt{d_\text{model}}$, and how that goes with the
#   initialisation of tied weights;
# - say which mask goes to which argument (source padding, target padding, causal), in which convention, and
#   prove it with behavioural tests;
# - count the model's parameters by hand and say what weight tying saves;
# - write a batched greedy decoder that stops at the end token, and tell an untrained model's rubbish from a
#   plumbing bug.
#
# **Prerequisites:** lessons 04–11 (attention, multi-head attention, encoder and decoder layers,
# normalisation, masks, embeddings, positional encoding). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import copy
import math
import time
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pad_sequence

import course
import course.data as data
from course.diagrams import plot_encoder_decoder

course.set_seed(0)
torch.set_printoptions(precision=3, sci_mode=False)
torch.set_num_threads(1)  # every model here is small: one CPU thread is enough and keeps timings steady
# PyTorch prints notices about nn.Transformer's nested-tensor fast path, and about a float mask mixed with a
# boolean one (it computes the same thing); they say nothing about the code of this lesson, so we silence
# these three, and only these.
for notice in ("enable_nested_tensor is True", "The PyTorch API of nested tensors",
               "Support for mismatched key_padding_mask and attn_mask"):
    warnings.filterwarnings("ignore", message=notice)

# %% [markdown]
# ## 1. The task and the plan
#
# The model translates: it reads a **source** sentence (English) and writes a **target** sentence (French),
# one token at a time. The course generates its own sentence pairs (lesson 14 trains on them); here we only
# need them for their vocabularies and for a real example.

# %%
splits = data.translation_splits(seed=0)
english_vocab = data.Vocabulary.from_texts(english for english, _ in splits.train)
french_vocab = data.Vocabulary.from_texts(french for _, french in splits.train)
for english, french in splits.train[:3]:
    print(f"{english:45s} -> {french}")
print(f"\nvocabularies: {len(english_vocab)} English tokens, {len(french_vocab)} French tokens; "
      f"specials <pad>={french_vocab.pad_id}, <bos>={french_vocab.bos_id}, <eos>={french_vocab.eos_id}")
print("a source as ids:", english_vocab.encode(splits.train[0][0], eos=True))

# %% [markdown]
# Every block of the 2017 diagram is a part you already know. We use PyTorch's own layers for the two stacks
# (lessons 06 and 07 checked that `nn.TransformerEncoderLayer` and `nn.TransformerDecoderLayer` compute what
# we wrote by hand) and write the ends ourselves:
#
# | block | lesson | in our `Seq2SeqTransformer` |
# |---|---|---|
# | token embeddings with a padding row | 10 | `src_embedding`, `tgt_embedding` (`nn.Embedding(..., padding_idx=pad_id)`) |
# | $\times\sqrt{d_\text{model}}$, + sinusoidal positions, dropout | 11, and section 2 here | buffer `positional_encoding`, `dropout` |
# | $N$ encoder layers + a final LayerNorm | 05, 06, 08 | `encoder` = `nn.TransformerEncoder` |
# | $N$ decoder layers (masked self-attention, cross-attention, FFN) + a final LayerNorm | 07 | `decoder` = `nn.TransformerDecoder` |
# | padding and causal masks | 09 | built in `encode` / `decode` (section 4) |
# | linear map to the target vocabulary, **tied** to the target embeddings | 03, and section 2 here | `output_projection` |
# | greedy decoding loop | 07 (step by step), section 7 here | `greedy_decode` |

# %%
plot_encoder_decoder({"src_tokens": "src (batch, src_len) ids", "src_embedded": "(batch, src_len, d_model)",
                      "memory": "memory (batch, src_len, d_model)", "tgt_tokens": "tgt (batch, tgt_len) ids",
                      "tgt_embedded": "(batch, tgt_len, d_model)", "decoder_output": "(batch, tgt_len, d_model)",
                      "logits": "(batch, tgt_len, tgt_vocab)"},
                     n_layers=2, title="The model of this lesson (batch first, 2 layers per stack)")
plt.show()

# %% [markdown]
# **Takeaway:** the model is embeddings + positions → encoder → decoder (reading the memory) → a linear map
# to the vocabulary; the stacks come from PyTorch, the two ends and the wiring are ours.

# %% [markdown]
# ## 2. The two ends: scaled embeddings and a tied output layer
#
# ### The output layer shares the target embedding matrix
#
# The decoder's last vector at a position, $h \in \mathbb{R}^{d}$, is turned into one score per target token
# by a linear map $W \in \mathbb{R}^{V \times d}$: $\text{logits} = W h$. **Weight tying** (Press & Wolf, 2017;
# Inan et al., 2017) takes $W = E$, the target embedding matrix: the score of token $v$ is the dot product of
# $h$ with $v$'s own embedding. One matrix learns what a token means on the way in and when to predict it on
# the way out; it saves $V \times d$ parameters and usually helps on small data. (The 2017 paper goes further
# and shares one matrix with the *source* embeddings too, which needs one vocabulary for both languages; ours
# has two vocabularies, so we tie the target side only.)
#
# In PyTorch, tying is one assignment: the `nn.Linear`'s weight **is** the embedding's weight — one tensor,
# one memory block, one gradient that collects both uses:

# %%
tied_embedding = nn.Embedding(len(french_vocab), 16, padding_idx=0)
tied_output = nn.Linear(16, len(french_vocab), bias=False)
tied_output.weight = tied_embedding.weight                  # the same nn.Parameter object, shape (V, d)
print("same object:", tied_output.weight is tied_embedding.weight,
      "| same memory:", tied_output.weight.data_ptr() == tied_embedding.weight.data_ptr())
tied_embedding.weight.data[5, 0] = 42.0                      # change the embedding ...
print("... and the output layer sees it:", tied_output.weight[5, 0].item())

# %% [markdown]
# ### Tying fixes the size of the embeddings — and the input side has to scale them back up
#
# The decoder ends with a LayerNorm, so at the start of training (gain $\gamma = 1$, shift $\beta = 0$) each $h$
# has mean 0 and variance 1 over its $d$ features. If the entries of $E$ have variance $\sigma^2$, each logit $E_v \cdot h$ has variance about $d\,\sigma^2$.
# PyTorch's default `nn.Embedding` initialisation is $\mathcal{N}(0, 1)$: logits of standard deviation
# $\sqrt{d}$, a wildly confident random first guess. $\mathcal{N}(0, 1/d)$ gives logits of order 1 and a
# first loss close to that of a uniform guess, $\ln V$:

# %%
d_model = 128
decoder_outputs = F.layer_norm(torch.randn(2000, d_model), (d_model,))    # (2000, d_model), like the decoder's
random_labels = torch.randint(len(french_vocab), (2000,))                 # next tokens the model cannot know yet
default_init = nn.Embedding(len(french_vocab), d_model)                   # N(0, 1): PyTorch's default
small_init = nn.Embedding(len(french_vocab), d_model)
nn.init.normal_(small_init.weight, mean=0.0, std=d_model ** -0.5)         # N(0, 1/d_model)
print(f"uniform guess: ln V = {math.log(len(french_vocab)):.2f}")
with torch.no_grad():
    for name, embedding in (("N(0, 1) embeddings", default_init), ("N(0, 1/d) embeddings", small_init)):
        logits = decoder_outputs @ embedding.weight.T                     # tied output layer: (2000, V)
        loss = F.cross_entropy(logits, random_labels)
        print(f"{name:21s} logit std {logits.std():5.2f}   loss at initialisation {loss:5.2f}")

# %% [markdown]
# So the tied matrix starts small: each embedding row has a norm of about 1. On the input side that row is
# **added** to the positional encoding of lesson 11, whose rows have norm $\sqrt{d/2}$ (each of the $d/2$
# sine–cosine pairs contributes $\sin^2 + \cos^2 = 1$). Without help, the position would drown the word. This
# is the usual explanation of the paper's factor: the 2017 paper multiplies the embeddings by
# $\sqrt{d_\text{model}}$ (its section 3.4 states it without a reason). The scaled row has norm about
# $\sqrt{d}$, comparable to the position's ($\sqrt{d}$ against $\sqrt{d/2}$, printed below). Measured, with two
# *different* words at the same position:

# %%
def sinusoidal_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positions of lesson 11: (seq_len, d_model) float32, sin in even and cos in odd dimensions."""
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]          # (seq_len, 1)
    frequencies = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)  # (d_model / 2,)
    encoding = torch.zeros(seq_len, d_model)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies)
    return encoding


position_vectors = sinusoidal_encoding(64, d_model)                        # (64, d_model)
word_a = torch.randint(4, len(french_vocab), (2000,))                      # real words (no special tokens)
word_b = (word_a + torch.randint(1, len(french_vocab) - 4, (2000,)) - 4) % (len(french_vocab) - 4) + 4
where = torch.randint(0, 64, (2000,))                                      # the same position for a and b
with torch.no_grad():
    rows = small_init.weight
    print(f"mean norm: E[word] {rows[4:].norm(dim=-1).mean():.2f}, "
          f"sqrt(d) * E[word] {math.sqrt(d_model) * rows[4:].norm(dim=-1).mean():.2f}, "
          f"P[position] {position_vectors.norm(dim=-1).mean():.2f} (sqrt(d/2) = {math.sqrt(d_model / 2):.2f})")
    for name, scale in (("without the scale", 1.0), ("times sqrt(d_model)", math.sqrt(d_model))):
        inputs_a = rows[word_a] * scale + position_vectors[where]          # (2000, d_model)
        inputs_b = rows[word_b] * scale + position_vectors[where]
        similarity = F.cosine_similarity(inputs_a, inputs_b, dim=-1).mean()
        print(f"{name:20s} cosine similarity of two different words at the same position: {similarity:.2f}")

# %% [markdown]
# Without the scale, two different words at the same position enter the encoder as almost the same vector
# (the first layer mostly sees *where* a word is); with it, the words are clearly apart. The scale is applied
# to the embedding only, before the position is added, and dropout then acts on the sum (the paper's
# section 5.4):
#
# $$x_0 = \operatorname{Dropout}\!\big(\sqrt{d_\text{model}}\;E[\text{ids}] + P[0{:}\,\text{len}]\big).$$
#
# **Takeaway:** the output layer reuses the target embedding matrix; tying wants that matrix small
# ($\mathcal{N}(0, 1/d)$, logits of order 1), and the input side multiplies it by $\sqrt{d_\text{model}}$ so
# that words are about as loud as positions.

# %% [markdown]
# ## 3. Initialisation
#
# Besides the embeddings, every matrix of the two stacks starts the way `nn.Transformer` starts them: its
# constructor re-initialises every parameter with two or more dimensions with **Xavier-uniform** (Glorot &
# Bengio, 2010), $\mathcal{U}(-a, a)$ with $a = \sqrt{6 / (\text{fan}_\text{in} + \text{fan}_\text{out})}$, a
# standard deviation of $\sqrt{2 / (\text{fan}_\text{in} + \text{fan}_\text{out})}$ that keeps the size of the
# signal roughly constant through a layer, forwards and backwards. A layer built on its own
# (`nn.TransformerEncoderLayer`) keeps `nn.Linear`'s default for its linear maps, which is smaller (the
# attention's input projection is already Xavier). Biases and LayerNorms keep their defaults (LayerNorm:
# $\gamma = 1$, $\beta = 0$).

# %%
layer = nn.TransformerEncoderLayer(d_model, 4, 256, batch_first=True)
print(f"{'matrix':28s} {'shape':>11s} {'default std':>12s} {'after Xavier':>13s} {'formula':>8s}")
for name in ("self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight", "linear2.weight"):
    weight = layer.get_parameter(name)
    default_std = weight.std().item()
    nn.init.xavier_uniform_(weight)
    fan_out, fan_in = weight.shape
    print(f"{name:28s} {str(tuple(weight.shape)):>11s} {default_std:12.4f} {weight.std().item():13.4f} "
          f"{math.sqrt(2 / (fan_in + fan_out)):8.4f}")

# %% [markdown]
# (The attention's input projection is one $3d \times d$ matrix for Q, K and V together, so Xavier treats it
# as one matrix.) The embeddings get $\mathcal{N}(0, 1/d_\text{model})$ from section 2, and their **padding
# row** starts at zero (`padding_idx`): a `<pad>` token contributes nothing but its position. `padding_idx`
# also stops the *lookup* from sending gradient to that row — but in a tied model the output layer still
# does, so after training the `<pad>` row is no longer zero. That is harmless: padded positions are never
# attended to, and lesson 13 excludes them from the loss.
#
# **Takeaway:** Xavier-uniform for every matrix of the stacks (as `nn.Transformer` does), $\mathcal{N}(0,
# 1/d_\text{model})$ for the tied embeddings, a zero padding row.

# %% [markdown]
# ## 4. The mask plumbing
#
# Three masks, all in the convention of `nn.Transformer` and `nn.MultiheadAttention` (lesson 09): **boolean,
# `True` = blocked** — for a padding mask, `True` = padding. (`F.scaled_dot_product_attention` reads `True`
# the other way round; never hand it these masks.)
#
# | mask | shape | built from | passed to | blocks |
# |---|---|---|---|---|
# | source padding mask | `(batch, src_len)` | `src == pad_id` | the encoder's `src_key_padding_mask` **and** the decoder's `memory_key_padding_mask` | padded source tokens, as keys of the encoder's self-attention and of every decoder layer's cross-attention |
# | target padding mask | `(batch, tgt_len)` | `tgt == pad_id` | the decoder's `tgt_key_padding_mask` | padded target tokens, as keys of the decoder's self-attention |
# | causal mask | `(tgt_len, tgt_len)` | `ones(...).triu(1)` | the decoder's `tgt_mask` | every later target position |
# | — | | | the encoder's `mask`, the decoder's `memory_mask` | nothing: the whole source is visible to everyone |
#
# Three things to notice:
# - **The source padding mask is used twice.** The memory has one vector per source position, padding
#   included, and those vectors are *not* zero (they are computed from the `<pad>` row, its position and
#   attention over the real tokens). Without `memory_key_padding_mask`, every decoder layer reads them.
# - **Padding masks block keys, not queries.** A padded position still gets an output vector; nobody reads
#   it (other positions do not attend to it, and the loss ignores it).
# - **The target padding mask matters little with right padding**: the causal mask already hides the later
#   `<pad>` tokens from every real position, so it only changes the outputs *at* padded positions. We pass it
#   anyway, so that every position agrees with `nn.Transformer`.
#
# When a mask is not given, the model builds it from the ids (`ids == pad_id`). A mask given explicitly is
# used **as it is** — for example from a tokenizer's `attention_mask` (`attention_mask == 0`), or when a real
# token shares its id with padding (lesson 10: GPT-2's `pad_token = eos_token`).
#
# Here is what each attention layer may read for a real batch of two sentence pairs; the second pair is
# shorter, so it is padded:

# %%
example_pairs = data.sample_pairs(2, seed=3)
example_src = pad_sequence([torch.tensor(english_vocab.encode(english, eos=True)) for english, _ in example_pairs],
                           batch_first=True, padding_value=english_vocab.pad_id)           # (2, src_len)
example_tgt = pad_sequence([torch.tensor(french_vocab.encode(french, bos=True)) for _, french in example_pairs],
                           batch_first=True, padding_value=french_vocab.pad_id)            # (2, tgt_len)
src_padding = example_src == english_vocab.pad_id                                          # (2, src_len), True = pad
tgt_padding = example_tgt == french_vocab.pad_id                                           # (2, tgt_len)
causal = torch.ones(example_tgt.shape[1], example_tgt.shape[1], dtype=torch.bool).triu(diagonal=1)
padded_pair = int(src_padding.sum(1).argmax())                                             # the shorter pair
src_tokens = [english_vocab.itos[i] for i in example_src[padded_pair]]
tgt_tokens = [french_vocab.itos[i] for i in example_tgt[padded_pair]]
print("source:", src_tokens, "\ntarget:", tgt_tokens)
# What each attention layer blocks for this pair, as (query, key) matrices in the "True = blocked" convention:
blocked_in_layer = {
    "Encoder self-attention: src_key_padding_mask": (src_padding[padded_pair].expand(len(src_tokens), -1), src_tokens,
                                                     src_tokens),
    "Decoder self-attention: tgt_mask OR tgt_key_padding_mask": (causal | tgt_padding[padded_pair], tgt_tokens, tgt_tokens),
    "Cross-attention: memory_key_padding_mask": (src_padding[padded_pair].expand(len(tgt_tokens), -1), src_tokens,
                                                 tgt_tokens),
}
for title, (blocked, key_tokens, query_tokens) in blocked_in_layer.items():
    course.plot_mask(blocked, key_tokens, query_tokens, convention="blocked", title=title)
    plt.show()

# %% [markdown]
# Read the rows: each row is a query, each grey cell a key it may not read. In the encoder every word reads
# every real source word; in the decoder's self-attention each target position reads itself and the real
# positions before it; in the cross-attention each target position reads every real source word, and never
# the source padding.
#
# **Takeaway:** source padding mask → encoder *and* cross-attention; target padding mask and causal mask →
# decoder self-attention; all boolean, `True` = blocked.

# %% [markdown]
# ## 5. Assemble the model
#
# Below is `Seq2SeqTransformer`. Its constructor is written for you (it fixes the names that the tests,
# and lessons 13 and 14, rely on); read it first:
#
# - `src_embedding`, `tgt_embedding`: `nn.Embedding(vocab, d_model, padding_idx=pad_id)`;
# - `positional_encoding`: a **buffer** of shape `(max_len, d_model)` — it follows the model to a device with
#   `.to(...)`, but it is not a parameter (never trained) and not saved in the `state_dict` (it is recomputed);
# - `dropout`: `nn.Dropout(dropout)`, for the sum of embeddings and positions;
# - `encoder`: `nn.TransformerEncoder` of `num_encoder_layers` × `nn.TransformerEncoderLayer` (batch first)
#   and a final `nn.LayerNorm`, as in `nn.Transformer`; `decoder`: the same with `nn.TransformerDecoder`;
# - `output_projection`: `nn.Linear(d_model, tgt_vocab_size, bias=False)` whose weight **is**
#   `tgt_embedding.weight`;
# - `reset_parameters()`: the initialisation of section 3; `causal_mask(size, device)`: the causal mask in
#   the "`True` = blocked" convention.
#
# ### Exercise 12.1 — `embed`, `encode`, `decode`, `forward` (8 points)
#
# Complete the four methods. All tensors are batch first; every mask is boolean with **`True` = padding /
# blocked** (`nn.Transformer`'s convention).
#
# - `embed(ids, embedding)`: `ids` `(batch, len)` long, `embedding` one of the two embedding modules. Return
#   `dropout(embedding(ids) * sqrt(d_model) + positional_encoding[:len])`, shape `(batch, len, d_model)`.
# - `encode(src, src_padding_mask=None)`: `src` `(batch, src_len)`. When the mask is `None`, use
#   `src == pad_id`. Run `encoder` on the embedded source with `src_key_padding_mask`. Return the memory,
#   `(batch, src_len, d_model)`.
# - `decode(tgt, memory, src_padding_mask=None, tgt_padding_mask=None)`: `tgt` `(batch, tgt_len)`, `memory`
#   `(batch, src_len, d_model)`. When `tgt_padding_mask` is `None`, use `tgt == pad_id`; `decode` never sees
#   the source ids, so `src_padding_mask=None` means "no source position is padding". Run `decoder` on the
#   embedded target and the memory with `tgt_mask=self.causal_mask(tgt_len, tgt.device)`,
#   `tgt_key_padding_mask` and `memory_key_padding_mask=src_padding_mask`, then `output_projection`. Return
#   the logits, `(batch, tgt_len, tgt_vocab_size)`.
# - `forward(src, tgt, src_padding_mask=None, tgt_padding_mask=None)`: `encode`, then `decode`. Build the
#   default source mask **here**, once, and give it to both (`decode` cannot build it).
# - A mask that is passed explicitly is used as it is, never rebuilt from the ids. Do not modify the inputs.
#   Use the modules the constructor made (the tests copy their weights).
#
# The tests compare your logits with `nn.Transformer` holding a copy of your model's weights (tolerance
# `atol=1e-5, rtol=1e-4`), post-norm and pre-norm, on several shapes with padding in the source and the
# target, with default and explicit masks; they change padded or future tokens and check that nothing
# changes that must not (right and left padding, a real token whose id equals `pad_id`); and they check
# the $\sqrt{d_\text{model}}$ scale, the tied output layer, and dropout (active in `train()` mode, off in
# `eval()` mode).

# %% nbgrader={"solution": true, "grade_id": "ex12_1"}
class Seq2SeqTransformer(nn.Module):
    """Encoder-decoder Transformer (Vaswani et al., 2017), batch first: token ids in, next-token logits out.

    Padding masks are boolean (batch, len) with True = padding (nn.Transformer's convention); when None they
    are built as ids == pad_id. The decoder is causal, and its cross-attention ignores the source padding.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 128, nhead: int = 4,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, dim_feedforward: int = 256,
                 dropout: float = 0.1, pad_id: int = 0, max_len: int = 256, norm_first: bool = False) -> None:
        super().__init__()
        self.d_model, self.pad_id, self.max_len = d_model, pad_id, max_len
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        self.register_buffer("positional_encoding", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        encoder_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                   norm_first=norm_first)
        # enable_nested_tensor=False keeps PyTorch's prototype nested-tensor path (and its warnings) out.
        self.encoder = nn.TransformerEncoder(encoder_layer, num_encoder_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        decoder_layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                   norm_first=norm_first)
        self.decoder = nn.TransformerDecoder(decoder_layer, num_decoder_layers, norm=nn.LayerNorm(d_model))
        self.output_projection = nn.Linear(d_model, tgt_vocab_size, bias=False)
        self.output_projection.weight = self.tgt_embedding.weight   # tied: one tensor, two uses
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform for every matrix of the stacks (as nn.Transformer); N(0, 1/d_model) embeddings."""
        for parameter in [*self.encoder.parameters(), *self.decoder.parameters()]:
            if parameter.dim() > 1:
                nn.init.xavier_uniform_(parameter)
        with torch.no_grad():
            for embedding in (self.src_embedding, self.tgt_embedding):
                nn.init.normal_(embedding.weight, mean=0.0, std=self.d_model ** -0.5)
                embedding.weight[self.pad_id].zero_()

    @staticmethod
    def causal_mask(size: int, device: torch.device | None = None) -> torch.Tensor:
        """(size, size) bool, True above the diagonal: position i may not read j > i (True = blocked)."""
        return torch.ones(size, size, dtype=torch.bool, device=device).triu(diagonal=1)

    def embed(self, ids: torch.Tensor, embedding: nn.Embedding) -> torch.Tensor:
        """ids (batch, len) long -> dropout(embedding(ids) * sqrt(d_model) + positions), (batch, len, d_model)."""
        ### BEGIN SOLUTION
        scaled_tokens = embedding(ids) * math.sqrt(self.d_model)            # (batch, len, d_model)
        return self.dropout(scaled_tokens + self.positional_encoding[: ids.shape[1]])
        ### END SOLUTION

    def encode(self, src: torch.Tensor, src_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src (batch, src_len) long; src_padding_mask None or bool (batch, src_len), True = padding.

        Returns:
            memory (batch, src_len, d_model).
        """
        ### BEGIN SOLUTION
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id                           # (batch, src_len), True = pad
        return self.encoder(self.embed(src, self.src_embedding), src_key_padding_mask=src_padding_mask)
        ### END SOLUTION

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
               tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tgt (batch, tgt_len) long; memory (batch, src_len, d_model); masks bool, True = padding.

        Returns:
            logits (batch, tgt_len, tgt_vocab_size).
        """
        ### BEGIN SOLUTION
        if tgt_padding_mask is None:
            tgt_padding_mask = tgt == self.pad_id                           # (batch, tgt_len), True = pad
        decoded = self.decoder(self.embed(tgt, self.tgt_embedding), memory,
                               tgt_mask=self.causal_mask(tgt.shape[1], tgt.device),
                               tgt_key_padding_mask=tgt_padding_mask,
                               memory_key_padding_mask=src_padding_mask)    # (batch, tgt_len, d_model)
        return self.output_projection(decoded)
        ### END SOLUTION

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
                tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src (batch, src_len), tgt (batch, tgt_len) long; masks None or bool, True = padding.

        Returns:
            logits (batch, tgt_len, tgt_vocab_size).
        """
        ### BEGIN SOLUTION
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id       # built once: the encoder and the decoder both need it
        memory = self.encode(src, src_padding_mask)
        return self.decode(tgt, memory, src_padding_mask, tgt_padding_mask)
        ### END SOLUTION


# %% [markdown]
# The tests use three helpers: `random_batch` makes padded batches of token ids, `reference_transformer`
# builds an `nn.Transformer` holding a copy of your model's encoder and decoder, and `reference_logits`
# computes, with it, the logits your model must give in `eval()` mode. Use them while you debug.

# %%
def random_batch(batch: int, src_len: int, tgt_len: int, src_vocab: int, tgt_vocab: int, pad_id: int = 0,
                 seed: int = 0, left_pad_source: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids (never pad_id before padding) with padding: row 0 full length, row 1 about half as long.

    Returns:
        src (batch, src_len) padded on the right (or on the left) and tgt (batch, tgt_len) padded on the right;
        every row keeps at least one real token.
    """
    generator = torch.Generator().manual_seed(seed)

    def real_ids(vocab: int, shape: tuple[int, int]) -> torch.Tensor:
        ids = torch.randint(0, vocab - 1, shape, generator=generator)
        return ids + (ids >= pad_id).long()                                 # skip pad_id

    src, tgt = real_ids(src_vocab, (batch, src_len)), real_ids(tgt_vocab, (batch, tgt_len))
    src_lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
    tgt_lengths = torch.randint(1, tgt_len + 1, (batch,), generator=generator)
    src_lengths[0], tgt_lengths[0] = src_len, tgt_len
    if batch > 1:
        src_lengths[1], tgt_lengths[1] = max(1, src_len // 2), max(1, (tgt_len + 1) // 2)
    if left_pad_source:
        src_pad = torch.arange(src_len)[None, :] < (src_len - src_lengths)[:, None]
    else:
        src_pad = torch.arange(src_len)[None, :] >= src_lengths[:, None]
    tgt_pad = torch.arange(tgt_len)[None, :] >= tgt_lengths[:, None]
    return src.masked_fill(src_pad, pad_id), tgt.masked_fill(tgt_pad, pad_id)


def reference_transformer(model: nn.Module) -> nn.Transformer:
    """An nn.Transformer with the sizes of `model` and a copy of its encoder and decoder weights, in eval mode."""
    first_layer = model.encoder.layers[0]
    reference = nn.Transformer(d_model=model.d_model, nhead=first_layer.self_attn.num_heads,
                               num_encoder_layers=len(model.encoder.layers),
                               num_decoder_layers=len(model.decoder.layers),
                               dim_feedforward=first_layer.linear1.out_features, dropout=first_layer.dropout.p,
                               batch_first=True, norm_first=first_layer.norm_first)
    reference.encoder.load_state_dict(model.encoder.state_dict())
    reference.decoder.load_state_dict(model.decoder.state_dict())
    return reference.eval()


def reference_logits(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor,
                     src_padding_mask: torch.Tensor | None = None,
                     tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """The logits (batch, tgt_len, tgt_vocab) of Exercise 12.1 in eval mode, computed with nn.Transformer."""
    src_padding_mask = src == model.pad_id if src_padding_mask is None else src_padding_mask
    tgt_padding_mask = tgt == model.pad_id if tgt_padding_mask is None else tgt_padding_mask
    scale = math.sqrt(model.d_model)
    src_vectors = model.src_embedding(src) * scale + model.positional_encoding[: src.shape[1]]
    tgt_vectors = model.tgt_embedding(tgt) * scale + model.positional_encoding[: tgt.shape[1]]
    causal_blocked = torch.ones(tgt.shape[1], tgt.shape[1], dtype=torch.bool).triu(diagonal=1)
    decoded = reference_transformer(model)(src_vectors, tgt_vectors, src_key_padding_mask=src_padding_mask,
                                           tgt_mask=causal_blocked, tgt_key_padding_mask=tgt_padding_mask,
                                           memory_key_padding_mask=src_padding_mask)
    return decoded @ model.tgt_embedding.weight.T


# %% nbgrader={"grade": true, "grade_id": "ex12_1_test_a", "points": 2}
# Self-check, encode: shape, and the memory at the real source positions equals nn.Transformer's encoder fed
# with sqrt(d_model) * embedding + positions (default mask: src == pad_id).
torch.manual_seed(120)
model_check = Seq2SeqTransformer(17, 19, d_model=32, nhead=4, dim_feedforward=64).eval()
src_check, _ = random_batch(3, 7, 5, 17, 19, seed=1)
real_check = src_check != model_check.pad_id                                  # (3, 7), True = real token
with torch.no_grad():
    memory_check = model_check.encode(src_check)
    pieces_check = (model_check.src_embedding(src_check), model_check.positional_encoding[:7])
    reference_encoder_check = reference_transformer(model_check).encoder
    expected_check = reference_encoder_check(pieces_check[0] * math.sqrt(32) + pieces_check[1],
                                             src_key_padding_mask=~real_check)
    unscaled_check = reference_encoder_check(pieces_check[0] + pieces_check[1], src_key_padding_mask=~real_check)
assert memory_check.shape == (3, 7, 32), (
    f"the memory should be (batch, src_len, d_model) = (3, 7, 32), got {tuple(memory_check.shape)}")
assert torch.isfinite(memory_check[real_check]).all(), (
    "the memory holds NaN at real positions: a whole row of keys is blocked. Is your padding mask inverted? "
    "nn.TransformerEncoder's src_key_padding_mask wants True = padding (src == pad_id)")
assert not torch.allclose(memory_check[real_check], unscaled_check[real_check], atol=1e-5), (
    "your memory is what the encoder gives WITHOUT the scale: multiply the embeddings by sqrt(d_model) "
    "before adding the positions")
torch.testing.assert_close(memory_check[real_check], expected_check[real_check], atol=1e-5, rtol=1e-4,
                           msg="the memory differs from nn.Transformer's encoder at the real source positions: "
                               "embed with embedding(src) * sqrt(d_model) + positional_encoding[:src_len] and "
                               "pass src_key_padding_mask = (src == pad_id), True = padding")
print("Self-check passed: your encoder matches nn.Transformer's.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

for case, (width, heads, layers, norm_first, pad_id, left) in enumerate(
        [(24, 3, 1, True, 3, False), (16, 2, 3, False, 1, True), (32, 8, 2, True, 0, True)]):
    torch.manual_seed(1200 + case)
    model_hidden = Seq2SeqTransformer(13, 11, d_model=width, nhead=heads, num_encoder_layers=layers,
                                      dim_feedforward=2 * width, pad_id=pad_id, norm_first=norm_first).eval()
    src_hidden, _ = random_batch(4, 9, 3, 13, 11, pad_id=pad_id, seed=1210 + case, left_pad_source=left)
    padding_hidden = src_hidden == pad_id
    vectors_hidden = model_hidden.src_embedding(src_hidden) * math.sqrt(width) + model_hidden.positional_encoding[:9]
    with torch.no_grad():
        expected = reference_transformer(model_hidden).encoder(vectors_hidden, src_key_padding_mask=padding_hidden)
        for masks in ({}, {"src_padding_mask": padding_hidden}):
            memory_hidden = call_checking_inputs(model_hidden.encode, src_hidden, **masks, name="encode")
            torch.testing.assert_close(
                memory_hidden[~padding_hidden], expected[~padding_hidden], atol=1e-5, rtol=1e-4,
                msg=f"encode differs from nn.Transformer's encoder (d_model={width}, pad_id={pad_id}, "
                    f"norm_first={norm_first}, {'left' if left else 'right'}-padded source, "
                    f"{'explicit' if masks else 'default'} mask)")
        # Changing the padded source tokens (the mask still says padding) changes no real position.
        changed_src = src_hidden.masked_fill(padding_hidden, (pad_id + 2) % 11)
        changed_memory = model_hidden.encode(changed_src, padding_hidden)
        torch.testing.assert_close(changed_memory[~padding_hidden], memory_hidden[~padding_hidden], atol=1e-5,
                                   rtol=1e-4, msg="changing padded source tokens changed the memory at real "
                                                  "positions: use the src_padding_mask you are given (not one "
                                                  "rebuilt from the ids) as the encoder's src_key_padding_mask")
# An explicit mask is used as it is: a REAL token whose id equals pad_id (mask False there) must be read.
torch.manual_seed(1220)
model_hidden = Seq2SeqTransformer(10, 10, d_model=16, nhead=2, dim_feedforward=32).eval()
src_hidden = torch.tensor([[4, 0, 5, 6, 0, 0], [7, 8, 9, 3, 2, 0]])        # the 0 at (0, 1) is a real token
explicit_hidden = torch.tensor([[False, False, False, False, True, True], [False] * 5 + [True]])
with torch.no_grad():
    vectors_hidden = model_hidden.src_embedding(src_hidden) * 4.0 + model_hidden.positional_encoding[:6]
    expected = reference_transformer(model_hidden).encoder(vectors_hidden, src_key_padding_mask=explicit_hidden)
    memory_hidden = model_hidden.encode(src_hidden, explicit_hidden)
    rebuilt = model_hidden.encode(src_hidden)                                 # the default mask hides token (0, 1)
assert not torch.allclose(rebuilt[0, :4], expected[0, :4], atol=1e-4)        # (the test itself is sensitive)
torch.testing.assert_close(memory_hidden[~explicit_hidden], expected[~explicit_hidden], atol=1e-5, rtol=1e-4,
                           msg="with an explicit src_padding_mask, use it as it is: do not rebuild it from the "
                               "ids (here a real token has the id of <pad>, and the mask says it is real)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex12_1_test_b", "points": 3}
# Self-check, decode and forward: the logits equal nn.Transformer's (same weights, eval mode) on a batch with
# padding in the source and in the target, with default masks; decode(tgt, encode(src), mask) == forward.
torch.manual_seed(121)
model_check = Seq2SeqTransformer(17, 19, d_model=32, nhead=4, dim_feedforward=64).eval()
src_check, tgt_check = random_batch(3, 7, 5, 17, 19, seed=2)
with torch.no_grad():
    logits_check = model_check(src_check, tgt_check)
    expected_check = reference_logits(model_check, src_check, tgt_check)
    two_steps_check = model_check.decode(tgt_check, model_check.encode(src_check), src_check == 0)
assert logits_check.shape == (3, 5, 19), (
    f"logits should be (batch, tgt_len, tgt_vocab) = (3, 5, 19), got {tuple(logits_check.shape)}")
assert torch.isfinite(logits_check).all(), (
    "the logits hold NaN: some query has every key blocked. Is a mask inverted? nn.Transformer wants True = "
    "padding / blocked (the causal mask is True ABOVE the diagonal)")
torch.testing.assert_close(logits_check, expected_check, atol=1e-5, rtol=1e-4,
                           msg="forward differs from nn.Transformer with the same weights: check the causal "
                               "tgt_mask, tgt_key_padding_mask, and memory_key_padding_mask = the SOURCE padding "
                               "mask (forward must build it and give it to decode)")
torch.testing.assert_close(two_steps_check, logits_check, atol=1e-5, rtol=1e-4,
                           msg="decode(tgt, encode(src), src_padding_mask) should equal forward(src, tgt)")
print("Self-check passed: your model computes what nn.Transformer computes.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

configs = [  # src_vocab, tgt_vocab, d_model, nhead, enc, dec, d_ff, norm_first, pad_id, batch, src_len, tgt_len
    (17, 23, 32, 4, 2, 2, 64, False, 0, 3, 7, 5),
    (11, 9, 24, 3, 1, 3, 48, True, 3, 2, 4, 9),
    (30, 30, 16, 2, 3, 1, 40, False, 1, 4, 12, 3),
    (8, 12, 8, 1, 1, 1, 16, True, 0, 1, 5, 1),
]
for case, (src_vocab, tgt_vocab, width, heads, enc, dec, hidden, norm_first, pad_id, batch, src_len,
           tgt_len) in enumerate(configs):
    torch.manual_seed(1230 + case)
    model_hidden = Seq2SeqTransformer(src_vocab, tgt_vocab, width, heads, enc, dec, hidden, dropout=0.2,
                                      pad_id=pad_id, norm_first=norm_first).eval()
    src_hidden, tgt_hidden = random_batch(batch, src_len, tgt_len, src_vocab, tgt_vocab, pad_id=pad_id,
                                          seed=1240 + case)
    src_mask_hidden, tgt_mask_hidden = src_hidden == pad_id, tgt_hidden == pad_id
    description = (f"(d_model={width}, nhead={heads}, layers={enc}+{dec}, norm_first={norm_first}, pad_id={pad_id}, "
                   f"batch={batch}, src_len={src_len}, tgt_len={tgt_len})")
    with torch.no_grad():
        expected = reference_logits(model_hidden, src_hidden, tgt_hidden)
        for masks in ({}, {"src_padding_mask": src_mask_hidden, "tgt_padding_mask": tgt_mask_hidden}):
            logits_hidden = call_checking_inputs(model_hidden, src_hidden, tgt_hidden, **masks, name="forward")
            assert logits_hidden.dtype == torch.float32 and logits_hidden.shape == (batch, tgt_len, tgt_vocab), (
                f"{description}: logits should be float32 of shape {(batch, tgt_len, tgt_vocab)}, got "
                f"{logits_hidden.dtype} {tuple(logits_hidden.shape)}")
            torch.testing.assert_close(logits_hidden, expected, atol=1e-5, rtol=1e-4,
                                       msg=f"forward differs from nn.Transformer {description} with "
                                           f"{'explicit' if masks else 'default'} masks")
        # decode on a memory it is given (any memory), with and without a source padding mask.
        memory_hidden = torch.randn(batch, src_len, width)
        reference = reference_transformer(model_hidden)
        tgt_vectors = model_hidden.tgt_embedding(tgt_hidden) * math.sqrt(width) + model_hidden.positional_encoding[:tgt_len]
        causal_hidden = torch.ones(tgt_len, tgt_len, dtype=torch.bool).triu(1)
        for src_mask in (None, src_mask_hidden):
            expected = reference.decoder(tgt_vectors, memory_hidden, tgt_mask=causal_hidden,
                                         tgt_key_padding_mask=tgt_mask_hidden,
                                         memory_key_padding_mask=src_mask) @ model_hidden.tgt_embedding.weight.T
            torch.testing.assert_close(
                model_hidden.decode(tgt_hidden, memory_hidden, src_mask), expected, atol=1e-5, rtol=1e-4,
                msg=f"decode differs from nn.Transformer's decoder {description} with src_padding_mask="
                    f"{'None (no source padding)' if src_mask is None else 'the source padding mask'}: decode "
                    "must read the memory it is given, with memory_key_padding_mask = src_padding_mask")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex12_1_test_c", "points": 2}
# Self-check, behaviour: a later target token changes no earlier logits; a padded source token (the mask says
# padding) changes no logits at all; a real source token does change them; no masks given = masks from the ids.
torch.manual_seed(122)
model_check = Seq2SeqTransformer(20, 20, d_model=32, nhead=4, dim_feedforward=64).eval()
src_check, tgt_check = random_batch(3, 8, 6, 20, 20, seed=3)
src_mask_check, tgt_mask_check = src_check == 0, tgt_check == 0
with torch.no_grad():
    base_check = model_check(src_check, tgt_check, src_mask_check, tgt_mask_check)
    assert torch.isfinite(base_check).all(), (
        "the logits hold NaN: some query has every key blocked. Is a mask inverted? nn.Transformer wants True = "
        "padding / blocked (the causal mask is True ABOVE the diagonal)")
    future_check = tgt_check.clone()
    future_check[:, 4:] = torch.randint(1, 20, (3, 2))                    # change target positions 4 and 5
    after_future = model_check(src_check, future_check, src_mask_check, tgt_mask_check)
    padded_changed = src_check.masked_fill(src_mask_check, 7)              # padded ids now look like a real word
    after_padding = model_check(padded_changed, tgt_check, src_mask_check, tgt_mask_check)
    real_changed = src_check.clone()
    real_changed[:, 0] = (real_changed[:, 0] % 19) + 1                     # change the first (real) source word
    after_real = model_check(real_changed, tgt_check, src_mask_check, tgt_mask_check)
    default_masks = model_check(src_check, tgt_check)                      # no masks: built from the ids
torch.testing.assert_close(after_future[:, :4], base_check[:, :4], atol=1e-5, rtol=1e-4,
                           msg="changing target tokens 4 and 5 changed the logits at positions 0-3: the decoder "
                               "sees the future. Pass tgt_mask=self.causal_mask(tgt_len, device) to the decoder")
torch.testing.assert_close(after_padding, base_check, atol=1e-5, rtol=1e-4,
                           msg="changing padded source tokens (your src_padding_mask still marks them as padding) "
                               "changed the logits: pass that mask, as it is, to the encoder (src_key_padding_mask) "
                               "AND to the decoder (memory_key_padding_mask); never rebuild it from the ids")
assert not torch.allclose(after_real, base_check, atol=1e-4), (
    "changing a real source word did not change the logits: the decoder must read the memory")
assert torch.isfinite(default_masks).all(), (
    "with no masks given the logits hold NaN: build the default masks as ids == pad_id (True = padding)")
torch.testing.assert_close(default_masks, base_check, atol=1e-5, rtol=1e-4,
                           msg="forward(src, tgt) with no masks should equal forward with the masks ids == pad_id: "
                               "build the default source mask in forward and give it to encode AND decode")
# An explicit mask is used as it is: here a REAL token has the id of <pad> (its mask entry says "real").
explicit_src_check, explicit_tgt_check = src_check.clone(), tgt_check.clone()
explicit_src_check[0, 1], explicit_tgt_check[0, 1] = 0, 0                  # row 0 is full length: both are real
with torch.no_grad():
    explicit_logits_check = model_check(explicit_src_check, explicit_tgt_check, src_mask_check, tgt_mask_check)
    explicit_expected_check = reference_logits(model_check, explicit_src_check, explicit_tgt_check, src_mask_check,
                                               tgt_mask_check)
torch.testing.assert_close(explicit_logits_check, explicit_expected_check, atol=1e-5, rtol=1e-4,
                           msg="with explicit masks, a real token whose id equals pad_id must be read: use the "
                               "masks you are given as they are, never rebuild or combine them with ids == pad_id")
print("Self-check passed: no peeking at the future, no reading of the padding.")
### BEGIN HIDDEN TESTS
# Causality at every position, post-norm and pre-norm, 2 decoder layers.
for norm_first in (False, True):
    torch.manual_seed(1250 + norm_first)
    model_hidden = Seq2SeqTransformer(15, 15, d_model=24, nhead=3, dim_feedforward=48, norm_first=norm_first).eval()
    src_hidden, tgt_hidden = random_batch(2, 6, 7, 15, 15, seed=1252)
    tgt_hidden[:, :7] = torch.randint(1, 15, (2, 7))                       # no target padding here
    with torch.no_grad():
        base = model_hidden(src_hidden, tgt_hidden)
        for position in range(1, 7):
            changed = tgt_hidden.clone()
            changed[:, position:] = torch.randint(1, 15, (2, 7 - position))
            torch.testing.assert_close(model_hidden(src_hidden, changed)[:, :position], base[:, :position],
                                       atol=1e-5, rtol=1e-4,
                                       msg=f"norm_first={norm_first}: target tokens from position {position} on "
                                           f"changed the logits before position {position} (no causal mask?)")
# Left-padded source, default masks: padded tokens read by nobody; and the logits match nn.Transformer.
torch.manual_seed(1253)
model_hidden = Seq2SeqTransformer(15, 12, d_model=24, nhead=3, dim_feedforward=48, pad_id=2).eval()
src_hidden, tgt_hidden = random_batch(3, 8, 5, 15, 12, pad_id=2, seed=1254, left_pad_source=True)
src_mask_hidden, tgt_mask_hidden = src_hidden == 2, tgt_hidden == 2
with torch.no_grad():
    base = model_hidden(src_hidden, tgt_hidden)
    torch.testing.assert_close(base, reference_logits(model_hidden, src_hidden, tgt_hidden), atol=1e-5, rtol=1e-4,
                               msg="left-padded source (pad_id=2): logits differ from nn.Transformer")
    changed = model_hidden(src_hidden.masked_fill(src_mask_hidden, 9), tgt_hidden, src_mask_hidden, tgt_mask_hidden)
    torch.testing.assert_close(changed, base, atol=1e-5, rtol=1e-4,
                               msg="left-padded source: changing the padded tokens changed the logits")
    # Padded TARGET tokens change nothing at the real target positions.
    changed = model_hidden(src_hidden, tgt_hidden.masked_fill(tgt_mask_hidden, 5), src_mask_hidden, tgt_mask_hidden)
    torch.testing.assert_close(changed[~tgt_mask_hidden], base[~tgt_mask_hidden], atol=1e-5, rtol=1e-4,
                               msg="changing padded target tokens changed the logits at real target positions")
# Explicit masks with real tokens whose id equals pad_id, in the source and in the target.
torch.manual_seed(1255)
model_hidden = Seq2SeqTransformer(10, 10, d_model=16, nhead=2, dim_feedforward=32).eval()
src_hidden = torch.tensor([[4, 0, 5, 6, 0, 0], [7, 8, 9, 3, 2, 0]])         # (0, 1) is a real token with id 0
tgt_hidden = torch.tensor([[1, 6, 0, 7, 3], [1, 5, 4, 0, 0]])               # (0, 2) is a real token with id 0
src_mask_hidden = torch.tensor([[False, False, False, False, True, True], [False] * 5 + [True]])
tgt_mask_hidden = torch.tensor([[False] * 5, [False, False, False, True, True]])
with torch.no_grad():
    expected = reference_logits(model_hidden, src_hidden, tgt_hidden, src_mask_hidden, tgt_mask_hidden)
    assert not torch.allclose(expected, reference_logits(model_hidden, src_hidden, tgt_hidden), atol=1e-4)
    torch.testing.assert_close(model_hidden(src_hidden, tgt_hidden, src_mask_hidden, tgt_mask_hidden), expected,
                               atol=1e-5, rtol=1e-4,
                               msg="with explicit masks, a real token whose id equals pad_id must be read: use "
                                   "the masks you are given, never rebuild them from the ids")
    memory_hidden = model_hidden.encode(src_hidden, src_mask_hidden)
    torch.testing.assert_close(model_hidden.decode(tgt_hidden, memory_hidden, src_mask_hidden, tgt_mask_hidden),
                               expected, atol=1e-5, rtol=1e-4,
                               msg="decode with explicit masks: use the masks you are given")
    # The real 0 in the source is read: changing it changes the logits.
    changed_src = src_hidden.clone()
    changed_src[0, 1] = 8
    assert not torch.allclose(model_hidden(changed_src, tgt_hidden, src_mask_hidden, tgt_mask_hidden)[0],
                              expected[0], atol=1e-4), (
        "a real source token (mask False) whose id equals pad_id is ignored: use the explicit mask as it is")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex12_1_test_d", "points": 1}
# Self-check, the ends and the modes: embed, and the stacks' inputs, are sqrt(d_model) * embedding + positions
# in eval() mode and dropout of that sum in train() mode; the output layer is the tied target embedding
# (gradient reaches rows of tokens absent from the target); in eval() mode the model equals the dropout-free
# reference.
torch.manual_seed(123)
model_check = Seq2SeqTransformer(15, 15, d_model=32, nhead=4, dim_feedforward=64, dropout=0.3)
src_check, tgt_check = random_batch(2, 6, 5, 15, 15, seed=4)
tgt_check = tgt_check.clamp(max=7)                                      # target tokens 8..14 never appear
stack_inputs = {}


def record_stack_input(name):
    def hook(module, args, kwargs):
        stack_inputs[name] = (args[0] if args else kwargs["src" if name == "encoder" else "tgt"]).detach()
    return hook


handles = [model_check.encoder.register_forward_pre_hook(record_stack_input("encoder"), with_kwargs=True),
           model_check.decoder.register_forward_pre_hook(record_stack_input("decoder"), with_kwargs=True)]
model_check.eval()
with torch.no_grad():
    model_check(src_check, tgt_check)
for handle in handles:
    handle.remove()
for name, ids, embedding in (("encoder", src_check, model_check.src_embedding),
                             ("decoder", tgt_check, model_check.tgt_embedding)):
    assert name in stack_inputs, f"the {name} was never called"
    with torch.no_grad():
        tokens, positions = embedding(ids), model_check.positional_encoding[: ids.shape[1]]
    assert not torch.allclose(stack_inputs[name], tokens + positions, atol=1e-5), (
        f"the {name} receives embedding + positions without the scale: multiply the embedding by sqrt(d_model)")
    torch.testing.assert_close(stack_inputs[name], tokens * math.sqrt(32) + positions, atol=1e-5, rtol=1e-4,
                               msg=f"in eval() mode the {name} should receive embedding(ids) * sqrt(d_model) + "
                                   "positional_encoding[:len] (scale the embedding only, then add the positions; "
                                   "no dropout in eval mode)")
assert (model_check.output_projection.weight is model_check.tgt_embedding.weight
        and model_check.output_projection.weight.data_ptr() == model_check.tgt_embedding.weight.data_ptr()), (
    "output_projection.weight must BE tgt_embedding.weight (tied, one tensor): do not change the constructor")
with torch.no_grad():
    embedded_check = model_check.embed(tgt_check, model_check.tgt_embedding)
    expected_embedded_check = (model_check.tgt_embedding(tgt_check) * math.sqrt(32)
                               + model_check.positional_encoding[: tgt_check.shape[1]])
torch.testing.assert_close(embedded_check, expected_embedded_check, atol=1e-5, rtol=1e-4,
                           msg="in eval() mode, embed(ids, embedding) should return embedding(ids) * sqrt(d_model) "
                               "+ positional_encoding[:len], shape (batch, len, d_model)")
# In train() mode self.dropout (p = 0.3) acts once, on the sum: each entry of a stack's input is either 0
# (dropped) or its eval-mode value divided by 1 - p = 0.7.
model_check.train()
handles = [model_check.encoder.register_forward_pre_hook(record_stack_input("encoder"), with_kwargs=True),
           model_check.decoder.register_forward_pre_hook(record_stack_input("decoder"), with_kwargs=True)]
with torch.no_grad():
    model_check(src_check, tgt_check)
for handle in handles:
    handle.remove()
for name, ids, embedding in (("encoder", src_check, model_check.src_embedding),
                             ("decoder", tgt_check, model_check.tgt_embedding)):
    with torch.no_grad():
        clean = embedding(ids) * math.sqrt(32) + model_check.positional_encoding[: ids.shape[1]]
    dropped = stack_inputs[name] == 0
    assert dropped.any() and not dropped.all(), (
        f"in train() mode about 30% of the {name}'s input entries should be exactly 0 (p=0.3), got "
        f"{dropped.float().mean():.0%}: apply self.dropout in embed, to the SUM of the scaled embedding and the "
        "positions")
    torch.testing.assert_close(stack_inputs[name][~dropped], clean[~dropped] / 0.7, atol=1e-5, rtol=1e-4,
                               msg=f"in train() mode the {name}'s input should be dropout(embedding(ids) * "
                                   "sqrt(d_model) + positions): the kept entries divided by 1 - p = 0.7, the others "
                                   "0. Apply self.dropout once, in embed, after adding the positions")
logits_check = model_check(src_check, tgt_check)
(logits_check * torch.randn_like(logits_check)).sum().backward()
gradient_check = model_check.tgt_embedding.weight.grad
assert gradient_check is not None and gradient_check[8:].abs().sum() > 0, (
    "tokens 8-14 never appear in the target, so only the output layer can send them gradient, and they got "
    "none: compute the logits with self.output_projection (tied to tgt_embedding)")
for name in ("encoder.layers.0.self_attn.in_proj_weight", "decoder.layers.0.multihead_attn.in_proj_weight",
             "src_embedding.weight"):
    gradient = model_check.get_parameter(name).grad
    assert gradient is not None and gradient.abs().sum() > 0, (
        f"{name} got no gradient: is it used in forward? (A padding mask in the wrong convention blocks every "
        "real source token, and then nothing flows back to them.)")
with torch.no_grad():
    assert not torch.allclose(model_check(src_check, tgt_check), model_check(src_check, tgt_check)), (
        "in train() mode two forward passes should differ: dropout is active there")
    model_check.eval()
    torch.testing.assert_close(model_check(src_check, tgt_check), reference_logits(model_check, src_check, tgt_check),
                               atol=1e-5, rtol=1e-4,
                               msg="in eval() mode the model should be deterministic and equal nn.Transformer's "
                                   "logits: is a dropout applied with training=True by hand, or a mask wrong?")
print("Self-check passed: scaled embeddings, tied output layer, dropout only in training mode.")
### BEGIN HIDDEN TESTS
# Dropout acts on the SUM of the scaled embeddings and the positions, on both sides: with only the embedding
# dropout left (p = 1, every other dropout off), the stacks receive zeros whatever the ids.
torch.manual_seed(1260)
model_hidden = Seq2SeqTransformer(12, 14, d_model=16, nhead=2, dim_feedforward=32, dropout=0.0)
model_hidden.dropout.p = 1.0
model_hidden.train()
src_hidden, tgt_hidden = random_batch(2, 5, 4, 12, 14, seed=1261)
src_mask_hidden, tgt_mask_hidden = src_hidden == 0, tgt_hidden == 0
with torch.no_grad():
    memory_zero = model_hidden.encoder(torch.zeros(2, 5, 16), src_key_padding_mask=src_mask_hidden)
    expected = model_hidden.output_projection(model_hidden.decoder(
        torch.zeros(2, 4, 16), memory_zero, tgt_mask=torch.ones(4, 4, dtype=torch.bool).triu(1),
        tgt_key_padding_mask=tgt_mask_hidden, memory_key_padding_mask=src_mask_hidden))
    got = model_hidden(src_hidden, tgt_hidden)
torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4,
                           msg="self.dropout must act on (embedding * sqrt(d_model) + positions), for the source "
                               "AND the target: with p=1 the stacks should receive zeros")
model_hidden.eval()
with torch.no_grad():
    assert not torch.allclose(model_hidden(src_hidden, tgt_hidden), expected, atol=1e-4), (
        "in eval() mode self.dropout must do nothing (call the module, do not use F.dropout(..., training=True))")
# float64 model: float64 logits.
from course.checks import assert_dtype

torch.manual_seed(1262)
model_hidden = Seq2SeqTransformer(9, 9, d_model=8, nhead=2, dim_feedforward=16).double().eval()
src_hidden, tgt_hidden = random_batch(2, 4, 3, 9, 9, seed=1263)
with torch.no_grad():
    assert_dtype(model_hidden(src_hidden, tgt_hidden), torch.float64, "the logits of a float64 model")
# Dropout is applied ONCE: with p = 0.5 every kept entry of the stacks' inputs is scaled by 1 / (1 - p) = 2.
torch.manual_seed(1264)
model_hidden = Seq2SeqTransformer(12, 14, d_model=16, nhead=2, dim_feedforward=32, dropout=0.0)
model_hidden.dropout.p = 0.5
model_hidden.train()
stack_inputs.clear()
handles = [model_hidden.encoder.register_forward_pre_hook(record_stack_input("encoder"), with_kwargs=True),
           model_hidden.decoder.register_forward_pre_hook(record_stack_input("decoder"), with_kwargs=True)]
with torch.no_grad():
    model_hidden(src_hidden, tgt_hidden)
for handle in handles:
    handle.remove()
for name, ids, embedding in (("encoder", src_hidden, model_hidden.src_embedding),
                             ("decoder", tgt_hidden, model_hidden.tgt_embedding)):
    with torch.no_grad():
        clean = embedding(ids) * 4.0 + model_hidden.positional_encoding[: ids.shape[1]]
    kept = stack_inputs[name] != 0
    torch.testing.assert_close(stack_inputs[name][kept], 2 * clean[kept], atol=1e-5, rtol=1e-4,
                               msg=f"the {name}'s input: apply self.dropout once, in embed (p=0.5 should scale the "
                                   "kept entries by 2; yours are scaled differently: dropout applied twice?)")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Same numbers as `nn.Transformer`, and a parameter count
#
# `nn.Transformer` is the two stacks without the ends, so with the same weights and the same inputs our model
# must give the same logits. Here is that check on the real translator's sizes (the defaults: $d_\text{model} =
# 128$, 4 heads, 2 + 2 layers, $d_\text{ff} = 256$), on a real padded batch (this cell needs Exercise 12.1):

# %%
torch.manual_seed(0)
translator = Seq2SeqTransformer(len(english_vocab), len(french_vocab), pad_id=french_vocab.pad_id).eval()
try:
    with torch.no_grad():
        ours = translator(example_src, example_tgt)                                   # (2, tgt_len, V)
        theirs = reference_logits(translator, example_src, example_tgt)
    print(f"logits {tuple(ours.shape)}; largest difference from nn.Transformer: "
          f"{(ours - theirs).abs().max().item():.1e}")
except NotImplementedError:
    print("Complete Exercise 12.1 to compare your model with nn.Transformer.")

# %% [markdown]
# The difference is at the level of float32 rounding: same computation. (Equality with `nn.Transformer`
# shows that the wiring matches the library's; the behavioural tests of Exercise 12.1 show that the masks
# block what they must.)
#
# ### Counting the parameters by hand
#
# With $d = d_\text{model}$ and $f = d_\text{ff}$ (lesson 03's rules): an attention module has
# $4d^2 + 4d$ parameters (the $3d \times d$ input projection and the $d \times d$ output projection, with
# biases); the FFN $2df + f + d$; a LayerNorm $2d$. An encoder layer has one attention, one FFN and two
# LayerNorms; a decoder layer two attentions, one FFN and three LayerNorms; each stack ends with one more
# LayerNorm. The positional encoding is a buffer: no parameters. The tied output layer adds none.

# %%
def parameter_count_by_formula(src_vocab: int, tgt_vocab: int, d_model: int, num_encoder_layers: int,
                               num_decoder_layers: int, dim_feedforward: int, tied: bool = True) -> dict[str, int]:
    """Parameters of Seq2SeqTransformer, block by block, from its sizes alone."""
    d, f = d_model, dim_feedforward
    attention, feed_forward, layer_norm = 4 * d * d + 4 * d, 2 * d * f + f + d, 2 * d
    return {
        "src_embedding": src_vocab * d,
        "tgt_embedding": tgt_vocab * d,
        "encoder.layers": num_encoder_layers * (attention + feed_forward + 2 * layer_norm),
        "decoder.layers": num_decoder_layers * (2 * attention + feed_forward + 3 * layer_norm),
        "final LayerNorms": 2 * layer_norm,
        "output_projection": 0 if tied else tgt_vocab * d,
    }


def measured_count(model: nn.Module) -> dict[str, int]:
    """The same blocks, from named_parameters() (a shared tensor is listed once, under its first name)."""
    blocks = dict.fromkeys(["src_embedding", "tgt_embedding", "encoder.layers", "decoder.layers",
                            "final LayerNorms", "output_projection"], 0)
    for name, parameter in model.named_parameters():
        block = next((key for key in blocks if name.startswith(key)), "final LayerNorms")
        blocks[block] += parameter.numel()
    return blocks


sizes = dict(src_vocab=len(english_vocab), tgt_vocab=len(french_vocab), d_model=128, num_encoder_layers=2,
             num_decoder_layers=2, dim_feedforward=256)
formula, measured = parameter_count_by_formula(**sizes), measured_count(translator)
print(f"{'block':18s} {'formula':>9s} {'measured':>9s}")
for block in formula:
    print(f"{block:18s} {formula[block]:9,d} {measured[block]:9,d}")
total = sum(parameter.numel() for parameter in translator.parameters())
print(f"{'total':18s} {sum(formula.values()):9,d} {total:9,d}   (sum of p.numel() over model.parameters())")

# %% [markdown]
# Tying saved the output layer's $V_\text{tgt} \times d$ parameters. Untie a copy and count again; note also
# that the `state_dict` lists the shared tensor under **both** names, so summing its sizes counts it twice
# (`torch.save` still stores it once):

# %%
untied = copy.deepcopy(translator)
untied.output_projection.weight = nn.Parameter(untied.tgt_embedding.weight.detach().clone())
untied_total = sum(parameter.numel() for parameter in untied.parameters())
print(f"tied {total:,d}  untied {untied_total:,d}  difference {untied_total - total:,d} "
      f"= V_tgt x d_model = {len(french_vocab)} x 128 = {len(french_vocab) * 128:,d}")
print("untied formula agrees:", sum(parameter_count_by_formula(**sizes, tied=False).values()) == untied_total)
state = translator.state_dict()
print("state_dict keys of the shared tensor:",
      [key for key, tensor in state.items() if tensor.data_ptr() == translator.tgt_embedding.weight.data_ptr()])
print(f"sum over state_dict() = {sum(tensor.numel() for tensor in state.values()):,d} (the tied matrix twice; "
      "no positional_encoding: the buffer is not persistent)")
embedding_share = (formula["src_embedding"] + formula["tgt_embedding"]) / total
print(f"embeddings hold {embedding_share:.0%} of this small model's parameters")

# %% [markdown]
# **Takeaway:** our model is `nn.Transformer` plus two embeddings and a tied output layer — same logits with
# the same weights; its parameters are $(V_\text{src} + V_\text{tgt})\,d$ + the stacks' $4d^2$, FFN and
# LayerNorm terms, and tying removes $V_\text{tgt}\,d$.

# %% [markdown]
# ## 7. Greedy decoding
#
# At generation time there is no target: the model writes it. **Greedy decoding** (lesson 07's step-by-step
# loop, now choosing the tokens):
#
# 1. encode the source **once** (the memory does not change while we write);
# 2. start every sentence of the batch with `<bos>`;
# 3. run the decoder on the tokens written so far, take the logits at the **last** position, pick the
#    highest-scoring token (`argmax`), append it; repeat.
#
# In a batch, sentences end at different steps. Once a row has written `<eos>` it is **finished**: we keep
# it in the batch (the tensor stays rectangular) but write `<pad>` into it from then on, whatever the model
# predicts, and we stop as soon as every row is finished — or after `max_new_tokens` steps. For example, with
# `<eos>` = 2 and `<pad>` = 0:
#
# | step | row 0 | row 1 | row 2 | finished |
# |---|---|---|---|---|
# | start | `<bos>` | `<bos>` | `<bos>` | none |
# | 1 | 5 | 8 | 3 | none |
# | 2 | 6 | **2** | 4 | row 1 |
# | 3 | **2** | 0 (pad, whatever the model says) | 5 | rows 0, 1 |
# | 4 | 0 | 0 | **2** | all: stop |
#
# The result is the tokens written, **without** the `<bos>` it started from: `[[5, 6, 2, 0], [8, 2, 0, 0],
# [3, 4, 5, 2]]`. Decoding runs in `eval()` mode (no dropout: we want the model's best guess, and the same
# guess every time) and under `torch.no_grad()` (nothing to train).
#
# To test a decoding loop we want a model whose answer we know in advance. `ScriptedCopier` is a stand-in
# with the same `encode` / `decode` interface as `Seq2SeqTransformer`: it "translates" by copying its source,
# and it records how it is called.

# %%
class ScriptedCopier(nn.Module):
    """A stand-in for a trained translator, to test a decoding loop: it "translates" by copying its source.

    At target position t, decode gives the highest score to source token t (and to eos_id past the end of
    the source), whatever the target tokens are. In training mode it copies source token t + 1 instead, the
    way dropout would change a real model's predictions. It records every decode call: `decode_calls`,
    `grad_enabled` (was autograd on?) and `masks_seen` (the src_padding_mask it received); and the
    src_padding_mask of every encode call, in `encode_masks_seen`. It ignores the masks it receives.
    """

    def __init__(self, vocab_size: int, pad_id: int = 0, eos_id: int = 2) -> None:
        super().__init__()
        self.vocab_size, self.pad_id, self.eos_id = vocab_size, pad_id, eos_id
        self.gain = nn.Parameter(torch.ones(()))              # one weight, so that autograd has something to track
        self.clear_records()

    def clear_records(self) -> None:
        self.decode_calls, self.grad_enabled, self.masks_seen, self.encode_masks_seen = 0, [], [], []

    def encode(self, src: torch.Tensor, src_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """memory (batch, src_len, vocab_size): the one-hot vectors of the source tokens."""
        self.encode_masks_seen.append(None if src_padding_mask is None else src_padding_mask.clone())
        return F.one_hot(src, self.vocab_size).float() * self.gain

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
               tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """logits (batch, tgt_len, vocab_size): position t scores source token t highest (eos past the end)."""
        self.decode_calls += 1
        self.grad_enabled.append(torch.is_grad_enabled())
        self.masks_seen.append(None if src_padding_mask is None else src_padding_mask.clone())
        batch, tgt_len = tgt.shape
        shift = 1 if self.training else 0
        end_scores = F.one_hot(torch.tensor(self.eos_id), self.vocab_size).float() * self.gain   # (vocab,)
        scores = torch.cat([memory, end_scores.expand(batch, tgt_len + shift, -1)], dim=1)
        return scores[:, shift:shift + tgt_len]

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
                tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Like Seq2SeqTransformer.forward: encode, then decode."""
        mask = src == self.pad_id if src_padding_mask is None else src_padding_mask
        return self.decode(tgt, self.encode(src, mask), mask, tgt_padding_mask)


copier = ScriptedCopier(vocab_size=10).eval()
with torch.no_grad():
    copier_logits = copier(torch.tensor([[5, 6, 2, 0]]), torch.tensor([[1, 5, 6, 2, 0]]))
print("the copier's favourite token at each target position:", copier_logits.argmax(-1).tolist())

# %% [markdown]
# ### Exercise 12.2 — `greedy_decode` (4 points)
#
# Write `greedy_decode(model, src, bos_id, eos_id, max_new_tokens, src_padding_mask=None)`.
#
# - `model`: a module with `encode(src, src_padding_mask)` → memory, `decode(tgt, memory, src_padding_mask)`
#   → logits `(batch, tgt_len, vocab)`, and `pad_id` — your `Seq2SeqTransformer` or the `ScriptedCopier`.
#   `src`: `(batch, src_len)` long. `src_padding_mask`: `None` (then use `src == model.pad_id`) or bool
#   `(batch, src_len)`, `True` = padding, used as it is; pass it to `encode` and to every `decode` call.
# - Decode in `eval()` mode and under `torch.no_grad()`, and put the model back in the mode it was in
#   (`model.training`) before returning: a training loop that prints a sample translation must not lose
#   its dropout.
# - Encode once, start each row with `bos_id`, then at each step call `model.decode` **once for the whole
#   batch**, take the `argmax` of the logits at the last position and append it. (Calling the full model at
#   every step also gives the right tokens, only slower: it encodes the source again each time.)
# - A row that has written `eos_id` is finished: append `model.pad_id` to it from then on. Stop as soon as
#   every row is finished, or after `max_new_tokens` steps.
# - Return the written tokens **without** the initial `<bos>`: a `(batch, n)` long tensor, `n` = the number of
#   steps run (`n <= max_new_tokens`). Do not modify `src` or `src_padding_mask`.
#
# The tests compare your decoder with a brute-force loop that re-runs the full model on each sentence
# separately at every step, on batches whose rows stop at different steps.

# %% nbgrader={"solution": true, "grade_id": "ex12_2"}
def greedy_decode(model: nn.Module, src: torch.Tensor, bos_id: int, eos_id: int, max_new_tokens: int,
                  src_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Greedy decoding of a batch: argmax at each step, each row stopping at its first eos_id.

    Args:
        model: has encode(src, src_padding_mask), decode(tgt, memory, src_padding_mask) and pad_id.
        src: (batch, src_len) long token ids.
        bos_id, eos_id: the start and end tokens of the target.
        max_new_tokens: the most tokens to write per row.
        src_padding_mask: None (then src == model.pad_id) or bool (batch, src_len), True = padding.

    Returns:
        (batch, n) long, n <= max_new_tokens: the written tokens without <bos>; after a row's first eos_id,
        model.pad_id.
    """
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            if src_padding_mask is None:
                src_padding_mask = src == model.pad_id
            memory = model.encode(src, src_padding_mask)                           # (batch, src_len, d_model)
            written = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)
            finished = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
            for _ in range(max_new_tokens):
                logits = model.decode(written, memory, src_padding_mask)          # (batch, step, vocab)
                next_token = logits[:, -1].argmax(dim=-1)                          # (batch,)
                next_token = next_token.masked_fill(finished, model.pad_id)        # finished rows get padding
                written = torch.cat([written, next_token[:, None]], dim=1)
                finished = finished | (next_token == eos_id)
                if finished.all():
                    break
            return written[:, 1:]                                                  # drop the <bos>
    finally:
        model.train(was_training)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex12_2_test_a", "points": 3}
# Self-check with the ScriptedCopier (eval mode): rows stop at different steps, pad after <eos>, no <bos> in
# the result, stop as soon as every row is finished, one decode call per step, max_new_tokens respected, and
# other special tokens (<pad> = 5, <eos> = 0).
copier = ScriptedCopier(vocab_size=10, pad_id=0, eos_id=2).eval()
sources = torch.tensor([[5, 6, 7, 2, 0, 0],      # copies 5 6 7 <eos>: finished after 4 steps
                        [8, 2, 0, 0, 0, 0],      # 8 <eos>: 2 steps
                        [3, 4, 5, 6, 7, 9],      # no <eos> in the source: <eos> comes after its end, step 7
                        [2, 0, 0, 0, 0, 0]])     # <eos> at once: 1 step
expected_check = torch.tensor([[5, 6, 7, 2, 0, 0, 0], [8, 2, 0, 0, 0, 0, 0], [3, 4, 5, 6, 7, 9, 2],
                               [2, 0, 0, 0, 0, 0, 0]])
result_check = greedy_decode(copier, sources, bos_id=1, eos_id=2, max_new_tokens=10)
assert isinstance(result_check, torch.Tensor) and result_check.dtype == torch.long, (
    f"return a long tensor of token ids, got {getattr(result_check, 'dtype', type(result_check))}")
assert result_check.dim() == 2 and result_check.shape[0] == 4, (
    f"return (batch, n) = (4, n), got shape {tuple(result_check.shape)}")
assert not (result_check[:, 0] == 1).all(), "the result must not start with <bos>: return only the tokens written"
assert result_check.shape[1] <= 10, f"at most max_new_tokens=10 tokens per row, got {result_check.shape[1]}"
width_check = min(7, result_check.shape[1])
for row in range(4):
    assert torch.equal(result_check[row, :width_check], expected_check[row, :width_check]), (
        f"row {row}: expected {expected_check[row].tolist()}, got {result_check[row].tolist()} (append the argmax "
        "of the LAST position's logits; after a row's first <eos>, every position must be model.pad_id)")
assert result_check.shape[1] == 7, (
    f"every row has written <eos> after 7 steps, so the result should have 7 columns, got "
    f"{result_check.shape[1]}: stop as soon as every row is finished (and not before)")
assert copier.decode_calls == 7, (
    f"decode was called {copier.decode_calls} times for 7 steps: call it once per step for the whole batch")
copier.clear_records()
short_check = greedy_decode(copier, sources, bos_id=1, eos_id=2, max_new_tokens=3)
assert torch.equal(short_check, expected_check[:, :3]), (
    f"with max_new_tokens=3 expected {expected_check[:, :3].tolist()}, got {short_check.tolist()}")
assert copier.decode_calls == 3, f"3 steps need 3 decode calls, got {copier.decode_calls}"
# Other special tokens: <pad> = 5 and <eos> = 0 (so the 0s in these sources are <eos>, and 5 is padding).
other_copier_check = ScriptedCopier(vocab_size=12, pad_id=5, eos_id=0).eval()
other_sources_check = torch.tensor([[7, 8, 0, 5], [9, 0, 5, 5], [3, 4, 6, 7]])
other_result_check = greedy_decode(other_copier_check, other_sources_check, bos_id=11, eos_id=0, max_new_tokens=8)
assert torch.equal(other_result_check, torch.tensor([[7, 8, 0, 5, 5], [9, 0, 5, 5, 5], [3, 4, 6, 7, 0]])), (
    f"pad_id=5, eos_id=0: expected [[7, 8, 0, 5, 5], [9, 0, 5, 5, 5], [3, 4, 6, 7, 0]], got "
    f"{other_result_check.tolist()}: use the eos_id you are given, and write model.pad_id (here 5, not 0) after it")
print("Self-check passed: rows stop at their own <eos>, padding after it, no <bos>, no extra steps.")
### BEGIN HIDDEN TESTS
# Against a brute-force loop on a real (random, untrained) seq2seq model written independently of yours:
# each sentence decoded on its own, re-running the full forward pass on the whole prefix at every step.
class _RandomTranslator(nn.Module):
    """nn.Transformer with embeddings, positions and its own output layer; it never predicts padding."""

    def __init__(self, vocab_size: int, pad_id: int, seed: int, dropout: float = 0.1, d_model: int = 32):
        super().__init__()
        torch.manual_seed(seed)
        self.pad_id = pad_id
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.transformer = nn.Transformer(d_model, 4, 2, 2, 64, dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(d_model, vocab_size)
        nn.init.normal_(self.head.weight, 0.0, 1.0)
        nn.init.normal_(self.embedding.weight, 0.0, 1.0)
        self.register_buffer("positions", sinusoidal_encoding(64, d_model))

    def _vectors(self, ids):
        return self.drop(self.embedding(ids) + self.positions[: ids.shape[1]])

    def encode(self, src, src_padding_mask=None):
        mask = src == self.pad_id if src_padding_mask is None else src_padding_mask
        return self.transformer.encoder(self._vectors(src), src_key_padding_mask=mask)

    def decode(self, tgt, memory, src_padding_mask=None, tgt_padding_mask=None):
        tgt_mask = tgt == self.pad_id if tgt_padding_mask is None else tgt_padding_mask
        causal = torch.ones(tgt.shape[1], tgt.shape[1], dtype=torch.bool).triu(1)
        decoded = self.transformer.decoder(self._vectors(tgt), memory, tgt_mask=causal, tgt_key_padding_mask=tgt_mask,
                                           memory_key_padding_mask=src_padding_mask)
        return self.head(decoded).index_fill(-1, torch.tensor([self.pad_id]), float("-inf"))

    def forward(self, src, tgt, src_padding_mask=None, tgt_padding_mask=None):
        mask = src == self.pad_id if src_padding_mask is None else src_padding_mask
        return self.decode(tgt, self.encode(src, mask), mask, tgt_padding_mask)


def _brute_force_greedy(model, src, bos_id, eos_id, max_new_tokens, src_padding_mask=None):
    model.eval()
    rows = []
    with torch.no_grad():
        for index in range(src.shape[0]):
            row_mask = None if src_padding_mask is None else src_padding_mask[index:index + 1]
            prefix = [bos_id]
            for _ in range(max_new_tokens):
                logits = model(src[index:index + 1], torch.tensor([prefix]), src_padding_mask=row_mask)
                prefix.append(int(logits[0, -1].argmax()))
                if prefix[-1] == eos_id:
                    break
            rows.append(prefix[1:])
    width = max(len(row) for row in rows)
    return torch.tensor([row + [model.pad_id] * (width - len(row)) for row in rows])


for seed, pad_id, bos_id, eos_id in ((7, 0, 1, 7), (9, 3, 0, 6)):
    random_model = _RandomTranslator(12, pad_id, seed)                     # fresh: in training mode
    generator = torch.Generator().manual_seed(seed)
    src_hidden = torch.randint(0, 12, (5, 7), generator=generator)
    src_hidden[src_hidden == pad_id] = (pad_id + 1) % 12
    src_hidden[1, 4:] = pad_id                                             # right padding
    src_hidden[2, :3] = pad_id                                             # left padding
    src_hidden[3, 2:] = pad_id
    expected = _brute_force_greedy(random_model, src_hidden, bos_id, eos_id, 10)
    lengths = [(row == eos_id).nonzero()[0].item() + 1 if (row == eos_id).any() else 10 for row in expected]
    assert len(set(lengths)) >= 3 and 10 in lengths, lengths                # (the test: rows stop at different steps)
    random_model.train()
    result = greedy_decode(random_model, src_hidden, bos_id, eos_id, 10)
    assert result.shape == expected.shape and torch.equal(result, expected), (
        f"(pad_id={pad_id}, bos_id={bos_id}, eos_id={eos_id}) a random Transformer, model in training mode, "
        f"expected\n{expected}\ngot\n{result}\nDecode in eval mode; give the source padding mask to every "
        "decode call; after a row's <eos>, write pad_id")
    for steps in (1, 4):
        result = greedy_decode(random_model, src_hidden, bos_id, eos_id, steps)
        brute = _brute_force_greedy(random_model, src_hidden, bos_id, eos_id, steps)
        assert torch.equal(result, brute), (
            f"max_new_tokens={steps}: expected\n{brute}\ngot\n{result}")
# An explicit mask is used as it is, by encode and by every decode call: here every row has a REAL token with
# the pad id 0 (mask False), and rows 1 and 3 end with padding that holds real ids (mask True).
random_model = _RandomTranslator(12, 0, 29)
generator = torch.Generator().manual_seed(29)
src_hidden = torch.randint(1, 12, (4, 7), generator=generator)
src_hidden[:, 1] = 0
explicit_hidden = torch.zeros(4, 7, dtype=torch.bool)
explicit_hidden[1, 4:], explicit_hidden[3, 5:] = True, True
expected = _brute_force_greedy(random_model, src_hidden, 1, 7, 10, explicit_hidden)
assert not torch.equal(expected, _brute_force_greedy(random_model, src_hidden, 1, 7, 10))  # (the test is sensitive)
random_model.train()
result = greedy_decode(random_model, src_hidden, 1, 7, 10, explicit_hidden)
assert result.shape == expected.shape and torch.equal(result, expected), (
    f"with an explicit src_padding_mask (a real token has the pad id 0), expected\n{expected}\ngot\n{result}\n"
    "Pass the mask you are given, as it is, to model.encode and to every model.decode call")
# The ScriptedCopier with pad_id=5, eos_id=0: a batch where every row ends at step 1.
copier = ScriptedCopier(vocab_size=12, pad_id=5, eos_id=0).eval()
result = greedy_decode(copier, torch.tensor([[0, 5], [0, 5]]), bos_id=11, eos_id=0, max_new_tokens=8)
assert torch.equal(result, torch.tensor([[0], [0]])) and copier.decode_calls == 1, (
    f"every row writes <eos> at the first step: expected [[0], [0]] after one decode call, got {result.tolist()} "
    f"after {copier.decode_calls} calls")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex12_2_test_b", "points": 1}
# Self-check, modes and inputs: a model in training mode is decoded in eval mode and given back in training
# mode (and one in eval mode stays in eval mode); no gradient is tracked; the inputs are unchanged; encode and
# every decode call get the source padding mask.
from course.checks import call_checking_inputs

copier = ScriptedCopier(vocab_size=10, pad_id=0, eos_id=2).train()       # training mode: it would copy t + 1
sources = torch.tensor([[5, 6, 7, 2, 0, 0], [8, 2, 0, 0, 0, 0], [3, 4, 5, 6, 7, 9]])
result_check = call_checking_inputs(greedy_decode, copier, sources, 1, 2, 10, name="greedy_decode")
expected_check = torch.tensor([[5, 6, 7, 2, 0, 0, 0], [8, 2, 0, 0, 0, 0, 0], [3, 4, 5, 6, 7, 9, 2]])
assert result_check.shape[1] > 0 and result_check[0, 0].item() != 6, (
    f"got {result_check.tolist()}: the copier ran in training mode (it then copies source token t + 1). A model "
    "must be decoded in eval mode: call model.eval() first")
assert torch.equal(result_check, expected_check), (
    f"expected {expected_check.tolist()}, got {result_check.tolist()} (decode in eval mode; after a row's "
    "<eos>, every position is model.pad_id)")
assert copier.training, (
    "the model was in training mode before greedy_decode and must be given back in training mode "
    "(remember model.training and call model.train(was_training) before returning)")
assert copier.grad_enabled and not any(copier.grad_enabled), (
    "decode ran with gradient tracking on: wrap the decoding in torch.no_grad()")
expected_mask = sources == 0
assert all(mask is not None and torch.equal(mask, expected_mask) for mask in copier.masks_seen), (
    "every decode call must receive the source padding mask (src == model.pad_id when none is given); without "
    "it the decoder's cross-attention reads the source padding")
assert copier.encode_masks_seen and all(mask is not None and torch.equal(mask, expected_mask)
                                        for mask in copier.encode_masks_seen), (
    "encode must receive the source padding mask too: model.encode(src, src_padding_mask), with "
    "src_padding_mask = src == model.pad_id when none is given")
eval_copier_check = ScriptedCopier(vocab_size=10, pad_id=0, eos_id=2).eval()
greedy_decode(eval_copier_check, sources, 1, 2, 10)
assert not eval_copier_check.training, (
    "the model was in eval mode before greedy_decode and must be given back in eval mode: restore the mode it "
    "was in (model.train(was_training)), do not call model.train() unconditionally")
print("Self-check passed: eval mode inside, the caller's mode given back, no gradients, inputs untouched.")
### BEGIN HIDDEN TESTS
# An explicit mask is used as it is (here a real token has the pad id 0), and passed on unchanged.
copier = ScriptedCopier(vocab_size=10, pad_id=0, eos_id=2).eval()
sources = torch.tensor([[5, 0, 7, 2, 0], [8, 2, 0, 0, 0]])
explicit = torch.tensor([[False, False, False, False, True], [False, False, True, True, True]])
result = call_checking_inputs(greedy_decode, copier, sources, 1, 2, 6, explicit, name="greedy_decode")
assert torch.equal(result, torch.tensor([[5, 0, 7, 2], [8, 2, 0, 0]])), (
    f"expected [[5, 0, 7, 2], [8, 2, 0, 0]], got {result.tolist()}: the mask says the 0 in row 0 is a real "
    "token; a row is finished only when it has written eos_id, not pad_id")
assert not copier.training, "a model in eval mode must stay in eval mode"
assert all(mask is not None and torch.equal(mask, explicit) for mask in copier.masks_seen), (
    "pass the src_padding_mask you are given to decode, unchanged (do not rebuild it from the ids)")
assert copier.encode_masks_seen and all(mask is not None and torch.equal(mask, explicit)
                                        for mask in copier.encode_masks_seen), (
    "pass the src_padding_mask you are given to encode too: model.encode(src, src_padding_mask)")
assert not any(copier.grad_enabled), "decode ran with gradient tracking on: use torch.no_grad()"
### END HIDDEN TESTS

# %% [markdown]
# ## 8. An untrained model writes rubbish — with the plumbing right
#
# Our translator passed every test, yet it has never seen a sentence pair. What does it write? (This cell needs
# Exercises 12.1 and 12.2.)

# %%
demo_pairs = splits.valid[:3]
demo_src = pad_sequence([torch.tensor(english_vocab.encode(english, eos=True)) for english, _ in demo_pairs],
                        batch_first=True, padding_value=english_vocab.pad_id)                  # (3, src_len)
try:
    untrained_output = greedy_decode(translator, demo_src, french_vocab.bos_id, french_vocab.eos_id,
                                     max_new_tokens=8)
    for (english, french), ids in zip(demo_pairs, untrained_output):
        print(f"{english}\n  reference: {french}\n  untrained: {' '.join(french_vocab.itos[i] for i in ids)}")
    with torch.no_grad():                                   # random sentences, random target prefixes
        random_ids = torch.Generator().manual_seed(5)
        random_src = torch.randint(4, len(english_vocab), (50, 9), generator=random_ids)
        random_tgt = torch.randint(4, len(french_vocab), (50, 7), generator=random_ids)
        top_token = translator(random_src, random_tgt).argmax(dim=-1)                           # (50, 7)
    print(f"\non random inputs, the top-scoring next token is the token just read at "
          f"{(top_token == random_tgt).float().mean():.0%} of the target positions")
except NotImplementedError:
    print("Complete Exercises 12.1 and 12.2 to decode with the untrained translator.")

# %% [markdown]
# Rubbish, of a very particular kind: it writes `<bos>`, the token it started from, again and again, never
# `<eos>`, so every row runs to `max_new_tokens`. That is what a correctly wired, *untrained* model with tied
# embeddings does: the residual stream carries the current token's scaled embedding up to the output, and the
# tied output layer scores each token by its similarity to that embedding, so the token just read gets a head
# start — on random inputs it is the top-scoring next token at most positions (printed above). Rubbish from
# an untrained model says nothing about the plumbing; the tests do. Lessons 13 and 14 train this very model
# until it translates.
#
# To see the decoder stop at `<eos>`, let us train a tiny model on a task it learns at once (the training time
# is printed below): **copying** a sequence of digits. Source: digits then `<eos>`; the model learns to write
# the same digits then `<eos>`. (How to train is lesson 13's subject: here, the decoder input is the target
# shifted right behind `<bos>`, and the loss compares each position with the next target token, ignoring
# padding.)

# %%
PAD, BOS, EOS, COPY_VOCAB = 0, 1, 2, 13            # tokens 3..12 are the ten "digits"


def copy_batch(size: int, generator: torch.Generator, max_digits: int = 7) -> tuple[torch.Tensor, torch.Tensor]:
    """src (size, max_digits + 1): digits + <eos>, padded; target (size, max_digits + 2): <bos> + digits + <eos>."""
    lengths = torch.randint(2, max_digits + 1, (size,), generator=generator)
    digits = torch.randint(3, COPY_VOCAB, (size, max_digits), generator=generator)
    positions = torch.arange(max_digits + 1)[None, :]
    src = torch.cat([digits, torch.zeros(size, 1, dtype=torch.long)], dim=1)
    src = torch.where(positions < lengths[:, None], src, torch.where(positions == lengths[:, None], EOS, PAD))
    target = torch.cat([torch.full((size, 1), BOS), src], dim=1)                   # <bos> + digits + <eos>
    return src, target


def train_copier(steps: int = 300) -> tuple[Seq2SeqTransformer, list[float]]:
    """A 1 + 1 layer Seq2SeqTransformer (d_model=32) trained to copy: `steps` Adam steps on batches of 64."""
    torch.manual_seed(0)
    model = Seq2SeqTransformer(COPY_VOCAB, COPY_VOCAB, d_model=32, nhead=4, num_encoder_layers=1,
                               num_decoder_layers=1, dim_feedforward=64, dropout=0.0, pad_id=PAD)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator, losses = torch.Generator().manual_seed(1), []
    for _ in range(steps):
        src, target = copy_batch(64, generator)
        logits = model(src, target[:, :-1])                                       # (64, 8, COPY_VOCAB)
        loss = F.cross_entropy(logits.reshape(-1, COPY_VOCAB), target[:, 1:].reshape(-1), ignore_index=PAD)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return model.eval(), losses


try:
    training_start = time.perf_counter()
    trained_copier, copy_losses = train_copier()
    print(f"trained in {time.perf_counter() - training_start:.1f} s on one CPU thread")
    course.plot_curves(range(1, len(copy_losses) + 1), {"training loss": copy_losses}, xlabel="training step",
                       ylabel="cross-entropy (padding ignored)", title="A tiny Transformer learns to copy")
    plt.show()
    test_src, test_target = copy_batch(200, torch.Generator().manual_seed(9))
    copied = greedy_decode(trained_copier, test_src, BOS, EOS, max_new_tokens=12)
    exact = [torch.equal(out[: len(expected)], expected) and (out[len(expected):] == PAD).all()
             for out, expected in zip(copied, (row[1:][row[1:] != PAD] for row in test_target))]
    print(f"exact copies of 200 new sequences: {sum(exact)} / 200; result shape {tuple(copied.shape)}")
    print("source                      ->  greedy_decode")
    for source, output in zip(test_src[:4], copied[:4]):
        print(f"{str(source.tolist()):27s} ->  {output.tolist()}")
except NotImplementedError:
    print("Complete Exercises 12.1 and 12.2 to train the copier and decode with it.")

# %% [markdown]
# Each row stops at its own `<eos>` (2) and is padded with `<pad>` (0) after it, and the result is as wide as
# the longest row, not `max_new_tokens` wide.
#
# **Takeaway:** an untrained model writes rubbish even when the plumbing is right, so judge the plumbing with
# tests and the model with training; once trained, greedy decoding stops at `<eos>`, row by row.

# %% [markdown]
# ## 9. Common mistakes
#
# None of these raises an error: shapes stay right, training runs, the loss goes down. Each one, in numbers,
# on the translator of section 6 and the padded batch of section 4. The demonstrations call the translator's
# encoder and decoder stacks directly, so they do not need your exercises.

# %%
scale = math.sqrt(translator.d_model)
with torch.no_grad():
    src_vectors = translator.src_embedding(example_src) * scale + translator.positional_encoding[: example_src.shape[1]]
    tgt_vectors = translator.tgt_embedding(example_tgt) * scale + translator.positional_encoding[: example_tgt.shape[1]]
    memory = translator.encoder(src_vectors, src_key_padding_mask=src_padding)          # (2, src_len, d_model)

# %% [markdown]
# ### Forgetting the $\sqrt{d_\text{model}}$ scale
#
# `x = embedding(ids) + positions`: the model runs, but the token is a whisper next to the position (section
# 2). The share of the input's squared norm that comes from the token, for the real batch:

# %%
with torch.no_grad():
    real_src = ~src_padding
    token_part = translator.src_embedding(example_src)[real_src]                            # (real tokens, d)
    position_part = translator.positional_encoding[: example_src.shape[1]].expand(2, -1, -1)[real_src]
    for name, token_scale in (("embedding + positions", 1.0), ("sqrt(d) * embedding + positions", scale)):
        share = (token_scale * token_part).pow(2).sum() / (token_scale * token_part + position_part).pow(2).sum()
        print(f"{name:33s} the token's share of the input: {share:.0%}")

# %% [markdown]
# ### A padding mask in the wrong convention
#
# Building the mask as `src != pad_id` ("`True` = a real token to keep", the convention of Hugging Face's
# `attention_mask` and of `F.scaled_dot_product_attention`) and handing it to `nn.TransformerEncoder`, which
# reads `True` as *padding*: the full-length sentence has every key blocked, the padded one reads **only** its
# padding.

# %%
keep_mask = ~src_padding                                                                # True = real token: WRONG here
with torch.no_grad():
    inverted_memory = translator.encoder(src_vectors, src_key_padding_mask=keep_mask)
print("NaN in the memory of each sentence:", torch.isnan(inverted_memory).any(dim=(1, 2)).tolist(),
      "| padding per sentence:", src_padding.sum(1).tolist())

# %% [markdown]
# A fully blocked row gives NaN here only because the translator is in `eval()` mode **and** runs under
# `torch.no_grad()`: together they select PyTorch's fast inference path. On the ordinary path — training
# mode, or eval mode with gradients on — the attention gives zeros for such a row instead (plus the output
# projection's bias), no NaN — even quieter: training runs, the loss goes down. Fix: build the mask as
# `src == pad_id` (or `attention_mask == 0` from a tokenizer).
#
# ### No causal mask
#
# Forgetting `tgt_mask` lets every target position read the tokens after it — during training, the very
# token it must predict (lesson 07). Change the last target token and look at the earlier positions:

# %%
future_changed = tgt_vectors.clone()
future_changed[:, -1] += 3.0                                                            # the last target token
with torch.no_grad():
    for name, mask in (("with tgt_mask", causal), ("without tgt_mask", None)):
        before, after = (translator.decoder(target, memory, tgt_mask=mask, tgt_key_padding_mask=tgt_padding,
                                            memory_key_padding_mask=src_padding)
                         for target in (tgt_vectors, future_changed))
        print(f"{name:17s} largest change at the earlier target positions: "
              f"{(after[:, :-1] - before[:, :-1]).abs().max():.2e}")

# %% [markdown]
# ### The memory padding mask left out
#
# The encoder got `src_key_padding_mask`, so it feels done — but the decoder's cross-attention takes its own
# `memory_key_padding_mask`. Without it, the padded sentence's translation depends on its padding:

# %%
with torch.no_grad():
    padded_src_vectors = src_vectors.clone()
    padded_src_vectors[src_padding] += 3.0                                              # change only the padding
    padded_memory = translator.encoder(padded_src_vectors, src_key_padding_mask=src_padding)
    for name, memory_mask in (("with memory_key_padding_mask", src_padding), ("without it", None)):
        outputs = [translator.decoder(tgt_vectors, source_memory, tgt_mask=causal, tgt_key_padding_mask=tgt_padding,
                                      memory_key_padding_mask=memory_mask)
                   for source_memory in (memory, padded_memory)]
        print(f"{name:29s} change of the padded pair's outputs when its padding changes: "
              f"{(outputs[1][padded_pair] - outputs[0][padded_pair]).abs().max():.2e}")

# %% [markdown]
# (`forward` has the same trap one level up: `decode` cannot rebuild the source mask from vectors, so
# `forward` must build it once and hand it to both halves.)
#
# ### Greedy decoding: forgetting the bookkeeping
#
# - **Returning the `<bos>`**: every caller then has to strip it, and lengths are off by one.
# - **Not padding after `<eos>`**: a finished row keeps receiving the model's guesses, so after its `<eos>` it
#   holds leftover tokens that a careless reader (or a metric) takes for words. Once a row is finished, write
#   `pad_id` into it.
# - **Not stopping**: looping `max_new_tokens` times although every row has finished wastes time and returns
#   columns of padding.
# - **Forgetting `model.eval()`**: dropout stays on and the "best guess" changes from call to call. And
#   forgetting to **restore** training mode afterwards silently switches dropout off for the rest of training.
#
# **Takeaway:** every mistake above keeps the shapes right; only behavioural tests (change what must not
# matter) and reference checks find them.

# %% [markdown]
# ### Exercise 12.3 — Which mask for the cross-attention? (1 point)
#
# A batch of source sentences is right-padded. In `decode`, which mask must the decoder's cross-attention
# receive, and why?
#
# - (a) The causal mask, because the cross-attention must not read source tokens that come later.
# - (b) The target padding mask, because the queries of the cross-attention are the target positions.
# - (c) The source padding mask, because the keys of the cross-attention are the memory's source positions.
# - (d) No mask: the encoder already ignored the padding, so the memory is zero at the padded positions.
#
# Set `answer_12_3` to `"a"`, `"b"`, `"c"` or `"d"`. Run the grade cell below it: it tells you at once
# whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex12_3"}
### BEGIN SOLUTION
answer_12_3 = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex12_3_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_12_3", answer_12_3, (
    "quiz1:eyJrZXkiOiAiNGExMjk2OTlhNDg2NWQ5ZmFiZDcwODI0YmE1Y2YyN2QyYjMyYzc3MmYyOWQ5OTljYTQwMzg3ZGE1OW"
    "UxYmVlNSIsICJuYW1lIjogImFuc3dlcl8xMl8zIiwgIm9wdGlvbnMiOiB7ImEiOiAicGZjN2lPU1k5aVBUTE9nbGt2RVNYS3"
    "A0SVBaTWl4NkJ4SDJ3bzVVb0RwbEE3emJkTEhWMHVnaUpHQUU0QlVvWkJGaEJ2anFzMnhZTERjU0twazBkZjg1Rnhwd2RUM2"
    "tXaXlJamVBTHFWeXYxdEFzdHVLdnRtazVqZ2tFUWlSejQweEpOUEtJV3ZzNVpmMTE5QlduUTFzcEM0ZHF6MW9HdXprNUdmOU"
    "NoRDk1TzgvZEZpNG1MM2p4TkdFVFRSKzJ5RGU2L3RINHlvdlhHSTN6VW5GYzJXcFNXcXJHcDJTYVlISlg4elBOeTZqVUc2VW"
    "k3M1dFUk1YYXZUUUNVT080WFRwVE1ybVpkRUd5b1dUUGF3YU1vY2ZMOUdTc3lTWjZrdU4rSlNSVEhZOEYyOERUVlN3U0lHc3"
    "FRbmpJTHBMc21WVnhFWk4vSEI3OFo5TVJQZVVyaXM1WjZCZz09IiwgImIiOiAiZGlDUThjUDV6OU1GMWNJdjhHdTNUekUrK0"
    "ZyVzI4cGhOcVV3TjlJczdOQUJtbGF2K2FMVE5oNGIvYmpxRUtLeTBubmtDRXdneW1LdFhuNWp4OEd2L0NQWVg2VVo5VGJrVF"
    "IzRFNmOU03czcyblNCZ3NiTnZoUzFtdmJnRDlsc21SemhYMk0zYkNrRGVtaHZ5UzU4WElJQzhWUlVFNlFYMkdSSTZsUlVRQU"
    "oxR3gweWRRWC9pT2lXeFhBSzNRRjd4L2h3bEZoRlVqTXdTU3dqd1pXTTVCQWxqdEJnYU8ycWVaRms3YTV5RTYyK240bUF1SF"
    "BoRWVhSW5xTGdLeXJsekVqNnkvdXYxT012d1BHVmNjN2s9IiwgImMiOiAiZUpGampBWDFZd2ZkQjNGZ1pOYTFaR2tzZnNTYW"
    "VQNWlWRWZYRjFDYTJTVzBuYXRaaHJ5UloyN3J0TnhsUGVGbHdRY25MaC8xZ2RVZlJ3YXk3VUtCR0JUeUcrTEs1RHpLR3VTb3"
    "lyd2dyeWYreDdMNk11bFZ0RHdPdkhhZ0x1K2lFYzZmNE1VMmc4K0hHLzVZY2NTM3Yvb2E1Q3BISGVrZHN1RVloNFBDOXJiaX"
    "RYNlM2MFBiOVJPZ05pM0QwOXREWDdGeFVDaTJkZXZ1OGliNkVyeVdLekJvSURwNXVSbzlLUmdwaWFRQURCVHlFVHpSQ3UrL3"
    "dNbDI4T0Vtc2hKZkcrblJsS1JjS0EzYUE0OXpuVWkvc3lOS1AyaFFjVHlOMTRtbGI0T2FkWjNFZTZuMVg0bWhOMDBkM3E1Vn"
    "hXVkJCNk03NnNzSVFmaG41clZHOWN3RSIsICJkIjogIkd5Y3BXTlVkaG9GOVJmNnFUSi9GK0xITEJ3NkNNRWpwK0xBNDcwTE"
    "JET2hzTkxBVEMrQStpdm1XdCtuR3RRbEcwckljM1BBRnFUcHY4VTkvMktqdGhOMVN0a1N2ZlFHQ2k0V1NTZ3BuU0MrMzBSRj"
    "dKdUs5aEhKa2lsY2lIWUNEdjhhckE0TlNteWpPa1pHRkRuSFAvZW9VSGhqTk5SeGZuOXpYRGdqbzh4b2VxaG1pemFTejREYW"
    "9EZmkxcGV4a2xTQjY2TkY1dE93eXBoVERqMjZ2djNBNjE1UDV2UytKVTFNcFVYdGlqekVUeW1oMHdTMyttVlhER3p3dy9DdH"
    "VqWEw4WUpkZ21ZWmgrMzRrMXhVMkVDbjFjL1hsdGIrYlFGUkxMVEdVbDQ0QVhSL0czbWdSdjY3YlliZjg5bndLNzVUTUxYWj"
    "BXeG0xVExQclFaN0NVdXIzOWJwdVFKMmVXbGxsa3phTEhKOEUrOWZxWDJCMCs0aDcrT1lHejB6UERMKy8rM25SY2lBZFRueW"
    "IwK2hSMFA4T3BsTXN2ZVVjcHF6ZVBFRXh3R2NzT1I2YS9pWVVjV2ZVdXFLUnZONTRGeW92bkxhZUtiVzVWTVVabnZaTGxFb3"
    "BBQTFucHNpUmdCNnkifSwgInNhbHQiOiAiYjU3ZmNhN2NkYzgyMzYzMyJ9"))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_12_3", answer_12_3, "c", {
    "a": "The source is known in full before the first word is written, so no source position is in the "
         "future: the cross-attention has no causal mask. The causal mask belongs to the decoder's "
         "self-attention (tgt_mask), and it is (tgt_len, tgt_len), not a padding mask.",
    "b": "A key padding mask blocks keys, not queries; the keys and values of the cross-attention are the "
         "memory's source positions, so the target padding mask does not even have the right length "
         "(src_len is needed).",
    "c": "Right. Cross-attention takes its keys and values from the memory, one per source position, padding "
         "included, so the source padding mask (True = padding) must block them, in every decoder layer. It is "
         "the same mask the encoder received, used a second time.",
    "d": "The encoder's padding mask only stops OTHER positions from reading the padding; the memory still has "
         "a vector at each padded position, and it is not zero (it comes from the <pad> row, its position and "
         "attention over the real words). Even a zero key would get a score of 0, not -inf, and take a share "
         "of the softmax. Only memory_key_padding_mask blocks those keys.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - `Seq2SeqTransformer` = source and target embeddings (×$\sqrt{d_\text{model}}$, + sinusoidal positions,
#   dropout on the sum) → `nn.TransformerEncoder` → `nn.TransformerDecoder` (reading the memory) → an output
#   layer **tied** to the target embeddings. With the same weights it computes exactly what `nn.Transformer`
#   computes.
# - Tying wants small embeddings ($\mathcal{N}(0, 1/d)$, logits of order 1 at the start); the
#   $\sqrt{d_\text{model}}$ scale makes the words about as loud as the positions on the input side. The stacks
#   start with Xavier-uniform, as in `nn.Transformer`.
# - Masks, boolean with `True` = padding/blocked: source padding → encoder **and** cross-attention; target
#   padding and causal → decoder self-attention. Defaults come from `ids == pad_id`; explicit masks are used
#   as given.
# - Parameters: $(V_\text{src} + V_\text{tgt})\,d$ for the embeddings plus $4d^2 + 4d$ per attention,
#   $2df + f + d$ per FFN, $2d$ per LayerNorm; tying saves $V_\text{tgt}\,d$.
# - Greedy decoding encodes once, appends the argmax of the last position, pads finished rows, stops when all
#   have written `<eos>`, in eval mode and without gradients. An untrained model decodes rubbish — test the
#   plumbing, train the model (lessons 13 and 14).
#
# ## Going further
#
# - Vaswani et al. (2017). *Attention Is All You Need.* NeurIPS. Sections 3.4 (shared embedding and output
#   weights, the $\sqrt{d_\text{model}}$ factor) and 5.4 (dropout on the sums of embeddings and positions).
# - Press, Wolf (2017). *Using the Output Embedding to Improve Language Models.* EACL; Inan, Khosravi, Socher
#   (2017). *Tying Word Vectors and Word Classifiers: A Loss Framework for Language Modeling.* ICLR.
# - Glorot, Bengio (2010). *Understanding the Difficulty of Training Deep Feedforward Neural Networks.*
#   AISTATS. Xavier initialisation.
# - Ott et al. (2019). *fairseq: A Fast, Extensible Toolkit for Sequence Modeling.* NAACL (demonstrations).
#   Its Transformer initialises embeddings with standard deviation $d^{-1/2}$, i.e. $\mathcal{N}(0, 1/d)$, and
#   scales them by $\sqrt{d}$, as here.
# - Xiong et al. (2020). *On Layer Normalization in the Transformer Architecture.* ICML. Why pre-norm
#   (`norm_first=True`) trains more easily.
# - Rush (2018). *The Annotated Transformer* (Harvard NLP): the same model, with its `greedy_decode`.
# - PyTorch documentation: `torch.nn.Transformer`, `torch.nn.TransformerEncoder`, `torch.nn.TransformerDecoder`
#   (their mask arguments and conventions).
# - Lesson 20 covers the other ways of choosing tokens: beam search, temperature, top-k and nucleus sampling.

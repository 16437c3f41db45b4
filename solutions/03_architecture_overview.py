# ---
# jupyter:
#   course:
#     title: "Architecture overview: encoder, decoder and the full stack"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 03 · Architecture overview: encoder, decoder and the full stack
# {{COLAB_BADGE}}
#
# Before opening up attention (lesson 04) and the layers (lessons 06–08), we look at the whole machine from
# above: what goes in, what comes out, which tensor flows into which block, and how many numbers the model
# has to learn. By the end you should be able to read a Transformer diagram — or a model's config file — and
# predict every tensor shape and the parameter count without running anything.
#
# **You will be able to:**
# - name the blocks of the encoder-decoder Transformer in order, from token ids to next-token probabilities;
# - say exactly what the decoder's cross-attention reads (and what it does not);
# - explain the *residual stream*: why every block keeps the width $d_\text{model}$;
# - read the configs of MiniLM (BERT) and GPT-2 and map their field names to the paper's symbols;
# - count a model's parameters from its config, and predict the shapes of an `nn.Transformer` stack.
#
# **Prerequisites:** lessons 01–02. **Time:** about 60 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, GPT2Config, GPT2LMHeadModel, GPT2Model

import course
from course.diagrams import plot_encoder_decoder

course.set_seed(0)
torch.set_printoptions(precision=3, sci_mode=False)


def count(module: nn.Module) -> int:
    """Number of learned numbers in a module (shared tensors counted once, as `parameters()` does)."""
    return sum(parameter.numel() for parameter in module.parameters())


# %% [markdown]
# ## 1. The map
#
# The original Transformer (Vaswani et al., 2017) was built for translation: read a sentence in one language
# (the **source**), write it in another (the **target**), one token at a time. Its diagram has two towers:
#
# 1. **Embeddings + positions.** Each token id becomes a learned vector of width $d_\text{model}$, plus a
#    vector that encodes its position (lesson 11): $x_0 = \sqrt{d_\text{model}}\,E[\text{ids}] + P[\text{positions}]$
#    (the 2017 paper scales the embeddings by $\sqrt{d_\text{model}}$; lesson 12 explains why).
# 2. **Encoder: $N$ identical layers.** Each layer lets every source token look at every other one
#    (self-attention), then transforms each token on its own (feed-forward network). Its output is called the
#    **memory**: one vector per source token.
# 3. **Decoder: $N$ identical layers.** Each layer has *three* sub-layers: masked self-attention over the
#    target tokens written so far, **cross-attention** that reads the memory, and a feed-forward network.
# 4. **Linear + softmax.** A final linear map turns each target vector into one score (*logit*) per vocabulary
#    entry, and the softmax turns the scores into next-token probabilities.

# %%
plot_encoder_decoder()
plt.show()

# %% [markdown]
# The three families of lesson 01 are pieces of this picture:
#
# | family | keeps | examples | typical use |
# |---|---|---|---|
# | encoder-only | left tower (no causal mask) | BERT, MiniLM | classify, embed, tag tokens |
# | decoder-only | right tower **without** cross-attention | GPT-2, Llama | generate text |
# | encoder-decoder | both towers | T5, BART, the 2017 model | translate, summarise |
#
# **Takeaway:** embeddings + positions → $N$ encoder layers → $N$ decoder layers (reading the memory) →
# linear + softmax.

# %% [markdown]
# ## 2. Tracing the shapes through `nn.Transformer`
#
# PyTorch ships the two towers as `nn.Transformer`, and *only* the two towers: no embeddings, no positions,
# no output layer — those are ours to add. Below is the smallest complete model: token ids in, logits out.
# We use learned position embeddings to keep it short (lesson 11 covers the sinusoidal ones), `dropout=0`
# so that runs are repeatable, and `batch_first=True` so that every tensor is `(batch, seq, features)`
# (section 9 shows what happens without it).

# %%
class TinySeq2Seq(nn.Module):
    """Token ids in, next-token logits out: embeddings + positions -> nn.Transformer -> linear."""

    def __init__(self, vocab_size: int, d_model: int, nhead: int, num_layers: int, dim_feedforward: int,
                 max_len: int = 64):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(max_len, d_model)
        self.transformer = nn.Transformer(d_model, nhead, num_layers, num_layers, dim_feedforward,
                                          dropout=0.0, batch_first=True)
        self.lm_head = nn.Linear(d_model, vocab_size)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """(batch, seq) token ids -> (batch, seq, d_model) vectors."""
        positions = torch.arange(ids.shape[1], device=ids.device)
        return self.token_embedding(ids) + self.position_embedding(positions)

    def forward(self, src_ids: torch.Tensor, tgt_ids: torch.Tensor) -> torch.Tensor:
        """(batch, src_len) and (batch, tgt_len) ids -> (batch, tgt_len, vocab_size) logits."""
        causal_mask = nn.Transformer.generate_square_subsequent_mask(tgt_ids.shape[1])
        decoded = self.transformer(self.embed(src_ids), self.embed(tgt_ids), tgt_mask=causal_mask,
                                   tgt_is_causal=True)
        return self.lm_head(decoded)


batch, src_len, tgt_len = 2, 7, 5
vocab_size, d_model, nhead, num_layers, dim_feedforward = 100, 32, 4, 2, 64
seq2seq = TinySeq2Seq(vocab_size, d_model, nhead, num_layers, dim_feedforward).eval()
src_ids = torch.randint(vocab_size, (batch, src_len))  # (2, 7)
tgt_ids = torch.randint(vocab_size, (batch, tgt_len))  # (2, 5)
print(seq2seq.transformer)

# %% [markdown]
# A **forward hook** is a function that PyTorch calls right after a module runs, with the module's inputs
# and output; a **forward pre-hook** runs just before. We attach hooks to the blocks of the diagram, run the
# model once, and record what flows between them.

# %%
traced: dict[str, tuple[int, ...]] = {}


def record_output(name: str):
    def hook(module, inputs, output):
        traced[name] = tuple(output.shape)
    return hook


def record_first_input(name: str):
    def hook(module, inputs):
        traced[name] = tuple(inputs[0].shape)
    return hook


stack = seq2seq.transformer
handles = [
    stack.encoder.register_forward_pre_hook(record_first_input("src_embedded")),
    stack.encoder.layers[0].register_forward_hook(record_output("encoder layer 0 output")),
    stack.encoder.register_forward_hook(record_output("memory")),
    stack.decoder.register_forward_pre_hook(record_first_input("tgt_embedded")),
    stack.decoder.layers[0].register_forward_hook(record_output("decoder layer 0 output")),
    stack.decoder.register_forward_hook(record_output("decoder_output")),
    seq2seq.lm_head.register_forward_hook(record_output("logits")),
]
with torch.no_grad():
    logits = seq2seq(src_ids, tgt_ids)
for handle in handles:
    handle.remove()  # hooks stay attached until removed

print(f"{'src_ids':24s} {tuple(src_ids.shape)}")
print(f"{'tgt_ids':24s} {tuple(tgt_ids.shape)}")
for name, shape in traced.items():
    print(f"{name:24s} {shape}")
probabilities = torch.softmax(logits, dim=-1)  # (batch, tgt_len, vocab_size)
print("probabilities of each target position sum to", probabilities.sum(-1)[0].tolist())

# %%
shape_labels = {"src_tokens": str(tuple(src_ids.shape)), "tgt_tokens": str(tuple(tgt_ids.shape))}
shape_labels |= {name: str(shape) for name, shape in traced.items() if "layer" not in name}
plot_encoder_decoder(shape_labels, n_layers=num_layers,
                     title=f"Traced shapes: batch={batch}, src_len={src_len}, tgt_len={tgt_len}, "
                           f"d_model={d_model}, vocab={vocab_size}")
plt.show()

# %% [markdown]
# Three things to notice:
# - every layer, in both towers, returns **the same shape it received**: `(batch, seq, d_model)`;
# - the memory has the **source** length, the decoder output has the **target** length;
# - only the last linear layer changes the width, from $d_\text{model}$ to the vocabulary size.
#
# **Takeaway:** inside the stack everything is `(batch, seq, d_model)`; only the ends change shape.

# %% [markdown]
# ## 3. What cross-attention reads
#
# Cross-attention is the **only** place where the decoder sees the source. Its queries come from the
# decoder's own stream (one per target position); its keys and values come from the memory (one per source
# position). So its weight matrix is rectangular: `(tgt_len, src_len)` per head, and its output has one
# vector per **target** position — the length of the queries, never that of the keys.
#
# Let us call the cross-attention module of decoder layer 0 by hand, as the layer does, but ask for the
# per-head weights (the layer itself passes `need_weights=False`).

# %%
layer0 = stack.decoder.layers[0]
with torch.no_grad():
    src_embedded = seq2seq.embed(src_ids)                                  # (2, 7, 32)
    tgt_embedded = seq2seq.embed(tgt_ids)                                  # (2, 5, 32)
    memory = stack.encoder(src_embedded)                                   # (2, 7, 32)
    causal_mask = nn.Transformer.generate_square_subsequent_mask(tgt_len)
    # Sub-layer 1 (post-norm, as in nn.TransformerDecoderLayer): masked self-attention + add & norm.
    self_attended, _ = layer0.self_attn(tgt_embedded, tgt_embedded, tgt_embedded, attn_mask=causal_mask)
    stream = layer0.norm1(tgt_embedded + self_attended)                    # (2, 5, 32)
    # Sub-layer 2: cross-attention. Query = decoder stream, key = value = memory.
    cross_output, cross_weights = layer0.multihead_attn(stream, memory, memory, need_weights=True,
                                                        average_attn_weights=False)
print("cross-attention output :", tuple(cross_output.shape), "= (batch, tgt_len, d_model)")
print("cross-attention weights:", tuple(cross_weights.shape), "= (batch, heads, tgt_len, src_len)")

# %%
source_labels = [f"src{i}" for i in range(src_len)]
target_labels = [f"tgt{i}" for i in range(tgt_len)]
course.plot_attention(cross_weights[0, 0], source_labels, query_tokens=target_labels,
                      title="Cross-attention, decoder layer 0, head 0 (untrained model)")
plt.show()

# %% [markdown]
# The weights are meaningless (the model is untrained), but the shape is the lesson: one row per target
# position, one column per source position, each row summing to 1.
#
# Two more facts about the memory, checked rather than believed:
# - **Every decoder layer reads the same memory** — the output of the *last* encoder layer (after the
#   encoder's final LayerNorm), not the encoder layer with the same index.
# - **Changing the source changes the decoder output** only through that path.

# %%
keys_seen = []
hooks = [layer.multihead_attn.register_forward_pre_hook(lambda module, args: keys_seen.append(args[1]))
         for layer in stack.decoder.layers]
with torch.no_grad():
    decoded = stack(src_embedded, tgt_embedded, tgt_mask=causal_mask)
for hook in hooks:
    hook.remove()
print("number of decoder layers that read a memory:", len(keys_seen))
print("each one read the final encoder output:", all(torch.equal(keys, memory) for keys in keys_seen))

with torch.no_grad():
    other_source = seq2seq.embed(torch.randint(vocab_size, (batch, src_len)))
    decoded_other = stack(other_source, tgt_embedded, tgt_mask=causal_mask)
print("a different source changes the decoder output:", not torch.allclose(decoded, decoded_other))

# %% [markdown]
# **Takeaway:** cross-attention = queries from the decoder, keys and values from the final encoder output;
# its output has the target length.

# %% [markdown]
# ## 4. The residual stream
#
# Every sub-layer in a Transformer is wrapped in a **residual connection**: its output is *added* to its
# input. GPT-2 and most modern models write it in the *pre-norm* form
#
# $$x \leftarrow x + \operatorname{Attention}(\operatorname{LN}(x)), \qquad
#   x \leftarrow x + \operatorname{FFN}(\operatorname{LN}(x)),$$
#
# while the 2017 paper, BERT and `nn.Transformer` (by default) use the *post-norm* form
# $x \leftarrow \operatorname{LN}(x + \operatorname{Sublayer}(x))$ (lesson 06 compares them). Either way, a
# sub-layer can only *add to* a running vector, so it must return exactly the width it received: this is why
# $d_\text{model}$ never changes inside the stack. Think of $x$ as a **stream** running from the embeddings
# to the output head, and of every sub-layer as reading from it and writing an update into it.
#
# In a pre-norm model the picture is literal: the final stream is the embeddings **plus the sum of every
# sub-layer's output**. Let us check it on a small GPT-2 with random weights (built from a config, so nothing
# is downloaded).

# %%
tiny_gpt2_config = GPT2Config(vocab_size=100, n_positions=32, n_embd=48, n_layer=3, n_head=4,
                              bos_token_id=0, eos_token_id=0)
tiny_gpt2 = GPT2Model(tiny_gpt2_config).eval()
input_ids = torch.randint(100, (1, 6))                                       # (batch=1, seq=6)

updates = []                                                                 # what each sub-layer writes


def record_update(module, inputs, output):
    updates.append(output[0] if isinstance(output, tuple) else output)      # attn returns (output, weights)


stream_before_ln_f = {}
hooks = [block.attn.register_forward_hook(record_update) for block in tiny_gpt2.h]
hooks += [block.mlp.register_forward_hook(record_update) for block in tiny_gpt2.h]
hooks.append(tiny_gpt2.ln_f.register_forward_pre_hook(
    lambda module, args: stream_before_ln_f.update(final=args[0])))
with torch.no_grad():
    tiny_gpt2(input_ids)
    embeddings = tiny_gpt2.wte(input_ids) + tiny_gpt2.wpe(torch.arange(6))  # (1, 6, 48)
for hook in hooks:
    hook.remove()

rebuilt_stream = embeddings + sum(updates)
print(f"{len(updates)} sub-layer updates of shape {tuple(updates[0].shape)}")
print("final stream == embeddings + sum of all updates:",
      torch.allclose(rebuilt_stream, stream_before_ln_f["final"], atol=1e-5))

# %% [markdown]
# In a trained model, how much does each layer change the stream? MiniLM (post-norm) gives a feel: we
# compare each token's vector before and after each layer.

# %%
tokenizer, minilm = course.load_minilm()
sentences = ["The cat sat on the mat.", "Transformers read every token of a sentence at once."]
encoded = tokenizer(sentences, return_tensors="pt", padding=True)
with torch.no_grad():
    hidden_states = minilm(**encoded, output_hidden_states=True).hidden_states  # 7 x (2, seq, 384)
real_tokens = encoded["attention_mask"].bool()                                  # ignore padding
similarity_to_previous, similarity_to_embeddings = [], []
for layer in range(1, len(hidden_states)):
    before, after = hidden_states[layer - 1][real_tokens], hidden_states[layer][real_tokens]  # (tokens, 384)
    similarity_to_previous.append(F.cosine_similarity(before, after, dim=-1).mean().item())
    similarity_to_embeddings.append(
        F.cosine_similarity(hidden_states[0][real_tokens], after, dim=-1).mean().item())
course.plot_curves(range(1, len(hidden_states)),
                   {"vs. the previous layer": similarity_to_previous,
                    "vs. the embeddings (layer 0)": similarity_to_embeddings},
                   xlabel="MiniLM layer", ylabel="mean cosine similarity of a token's vector",
                   title="Each layer nudges the residual stream")
plt.show()

# %% [markdown]
# In the first five layers each layer keeps most of a token's direction (similarity to the previous layer
# close to 0.9), yet the updates accumulate: after six layers a token's vector is far from its embedding.
# The last layer rewrites more than the others — it prepares the output that the model was trained on.
#
# **Takeaway:** sub-layers add updates to one stream of width $d_\text{model}$; that is why shapes are
# preserved and why deep stacks still train.

# %% [markdown]
# ## 5. Reading a real config
#
# A pretrained model ships with a `config.json` that fixes its architecture. MiniLM's is a `BertConfig`;
# we read it from disk without loading the weights.

# %%
minilm_config = AutoConfig.from_pretrained(course.minilm_path())
for field in ("vocab_size", "max_position_embeddings", "hidden_size", "num_hidden_layers",
              "num_attention_heads", "intermediate_size", "type_vocab_size", "hidden_act"):
    print(f"{field:25s} {getattr(minilm_config, field)}")

# %% [markdown]
# GPT-2 predates the naming conventions of the `transformers` library and keeps the names of OpenAI's code.
# `GPT2Config()` with no arguments is GPT-2 *small* (the 124M model); building the config downloads nothing.

# %%
gpt2_small_config = GPT2Config()
for field in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "n_inner", "tie_word_embeddings"):
    print(f"{field:20s} {getattr(gpt2_small_config, field)}")
print("alias: hidden_size ->", gpt2_small_config.hidden_size, "| num_hidden_layers ->",
      gpt2_small_config.num_hidden_layers)

# %% [markdown]
# The same quantity has a different name in each place:
#
# | paper symbol | meaning | `nn.Transformer` | BERT / MiniLM config | GPT-2 config |
# |---|---|---|---|---|
# | $d_\text{model}$ | width of the residual stream | `d_model` | `hidden_size` (384) | `n_embd` (768) |
# | $h$ | attention heads per layer | `nhead` | `num_attention_heads` (12) | `n_head` (12) |
# | $N$ | number of layers | `num_encoder_layers`, `num_decoder_layers` | `num_hidden_layers` (6) | `n_layer` (12) |
# | $d_\text{ff}$ | hidden width of the feed-forward network | `dim_feedforward` | `intermediate_size` (1536) | `n_inner` (`None` = $4 d_\text{model}$ = 3072) |
# | $V$ | vocabulary size | — | `vocab_size` (30522) | `vocab_size` (50257) |
# | $L_\text{max}$ | longest sequence (learned positions) | — | `max_position_embeddings` (512) | `n_positions` (1024) |
#
# Each head works on $d_k = d_\text{model} / h$ dimensions (32 for MiniLM, 64 for GPT-2 small): more heads
# means narrower heads, not more parameters.
#
# **Takeaway:** a config is the architecture in a dozen numbers; learn to translate the field names.

# %% [markdown]
# ## 6. Counting parameters
#
# Every learned number sits in one of a few kinds of block. With $d = d_\text{model}$:
#
# | block | parameters | why |
# |---|---|---|
# | embedding table | $V d$ (tokens), $L_\text{max} d$ (learned positions) | one vector per row |
# | linear map $\mathbb{R}^{a} \to \mathbb{R}^{b}$ | $ab + b$ | weight matrix + bias |
# | attention (Q, K, V and output maps) | $4(d^2 + d)$ | four $d \to d$ linear maps; heads *split* them |
# | feed-forward network | $(d\,d_\text{ff} + d_\text{ff}) + (d_\text{ff}\,d + d)$ | expand to $d_\text{ff}$, contract back |
# | LayerNorm | $2d$ | a scale $\gamma$ and a shift $\beta$ per feature |
#
# The number of heads does not appear: splitting $d$ into $h$ heads of $d/h$ reshapes the same matrices. With
# $d_\text{ff} = 4d$ one layer holds about $12 d^2$ parameters, so a stack of $N$ layers has about
# $12 N d^2$ outside the embeddings — the estimate used in scaling-law papers (Kaplan et al., 2020).
#
# We check the formulas on one MiniLM layer, block by block, against `parameters()`.

# %%
d, d_ff = minilm_config.hidden_size, minilm_config.intermediate_size   # 384, 1536
minilm_layer = minilm.encoder.layer[0]
attention_blocks = [minilm_layer.attention.self, minilm_layer.attention.output.dense]
checks = {
    "attention (Q, K, V, output)": (sum(count(block) for block in attention_blocks), 4 * (d * d + d)),
    "feed-forward": (count(minilm_layer.intermediate) + count(minilm_layer.output.dense),
                     (d * d_ff + d_ff) + (d_ff * d + d)),
    "one LayerNorm": (count(minilm_layer.output.LayerNorm), 2 * d),
}
for name, (actual, formula) in checks.items():
    print(f"{name:28s} parameters() = {actual:>9,}   formula = {formula:>9,}")

# %% [markdown]
# Where do MiniLM's 22.7 million parameters live? Grouping `named_parameters()` by block:

# %%
groups = {"token embeddings": 0, "position + type embeddings": 0, "attention": 0, "feed-forward": 0,
          "LayerNorms": 0, "pooler": 0}
for name, parameter in minilm.named_parameters():
    if "word_embeddings" in name:
        group = "token embeddings"
    elif "embeddings" in name and "LayerNorm" not in name:
        group = "position + type embeddings"
    elif "LayerNorm" in name:
        group = "LayerNorms"
    elif "attention" in name:
        group = "attention"
    elif "pooler" in name:
        group = "pooler"
    else:
        group = "feed-forward"
    groups[group] += parameter.numel()
total = count(minilm)
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.barh(list(groups), [n / 1e6 for n in groups.values()], color="#2a9d8f")
for row, n in enumerate(groups.values()):
    ax.text(n / 1e6 + 0.1, row, f"{n:,} ({n / total:.2%})", va="center", fontsize=8)
ax.invert_yaxis()
ax.set_xlim(0, 15)
ax.set_xlabel("parameters (millions)")
ax.set_title(f"Where MiniLM's {total:,} parameters live")
plt.tight_layout()
plt.show()

# %% [markdown]
# In a small model the **embedding table** dominates: $30522 \times 384 \approx 11.7$M, more than half the
# model. In GPT-2 small it is $50257 \times 768 \approx 38.6$M of 124M; in large models the $12Nd^2$ of the
# layers takes over.
#
# **Weight tying.** A language model's output layer maps $d \to V$, the transpose of the token embedding.
# GPT-2 *ties* them: `lm_head.weight` **is** `wte.weight`, the same tensor, stored and trained once.
# `parameters()` yields a shared tensor only once, so it counts it once:

# %%
tiny_lm = GPT2LMHeadModel(tiny_gpt2_config)
print("lm_head.weight is wte.weight:", tiny_lm.lm_head.weight is tiny_lm.transformer.wte.weight)
print(f"GPT2Model: {count(tiny_lm.transformer):,}   GPT2LMHeadModel (tied head): {count(tiny_lm):,}")

# %% [markdown]
# **Takeaway:** parameters come from embeddings ($Vd$, $L_\text{max}d$), linear maps ($ab + b$) and
# LayerNorms ($2d$); heads add none, and a tied output layer adds none.

# %% [markdown]
# ### Exercise 03.1 — Count GPT-2's parameters from its config (3 points)
#
# Write `count_parameters(config, lm_head=False)` that returns the number of parameters of
# `transformers.GPT2Model(config)` — **without building the model** — and, with `lm_head=True`, of
# `GPT2LMHeadModel(config)`.
#
# - `config`: a `dict` or a `GPT2Config`. The first line of the function turns it into a dict `fields` for
#   you. Use `fields["vocab_size"]`, `fields["n_positions"]`, `fields["n_embd"]`, `fields["n_layer"]`,
#   `fields.get("n_inner")` (missing or `None` means $4 \times$ `n_embd`) and
#   `fields.get("tie_word_embeddings", True)`. `n_head` does not change the count.
# - A GPT-2 block (pre-norm) is: `ln_1` (LayerNorm), `attn` (`c_attn`: one $d \to 3d$ linear map for Q, K, V
#   together; `c_proj`: $d \to d$), `ln_2`, `mlp` (`c_fc`: $d \to d_\text{ff}$, `c_proj`: $d_\text{ff} \to d$).
#   All linear maps have biases. The model is `wte` (token embeddings), `wpe` (position embeddings), `n_layer`
#   blocks and a final LayerNorm `ln_f`.
# - `lm_head=True` adds the output layer $d \to V$ (no bias) — which adds **nothing** when it is tied to `wte`.
# - Return a Python `int`. Do not build a model inside the function.

# %% nbgrader={"solution": true, "grade_id": "ex03_1"}
def count_parameters(config, lm_head: bool = False) -> int:
    """Number of parameters of GPT2Model(config), or of GPT2LMHeadModel(config) when lm_head=True.

    Args:
        config: dict or GPT2Config with vocab_size, n_positions, n_embd, n_layer, optional n_inner
            (None or missing -> 4 * n_embd) and optional tie_word_embeddings (default True).
        lm_head: count the language-model head too (nothing extra when it is tied to the embeddings).

    Returns:
        The exact number of parameters, as an int.
    """
    fields = dict(config) if isinstance(config, dict) else config.to_dict()
    ### BEGIN SOLUTION
    d, vocab, positions = fields["n_embd"], fields["vocab_size"], fields["n_positions"]
    d_ff = fields.get("n_inner") or 4 * d
    layer_norm = 2 * d
    attention = (d * 3 * d + 3 * d) + (d * d + d)
    feed_forward = (d * d_ff + d_ff) + (d_ff * d + d)
    block = 2 * layer_norm + attention + feed_forward
    total = vocab * d + positions * d + fields["n_layer"] * block + layer_norm
    if lm_head and not fields.get("tie_word_embeddings", True):
        total += d * vocab
    return total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_1_test_a", "points": 2}
# Self-check: your count against a real GPT2Model built from a small config (random weights, no download).
def built_count(fields: dict, lm_head: bool = False) -> int:
    config = GPT2Config(**fields, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config) if lm_head else GPT2Model(config)
    return sum(parameter.numel() for parameter in model.parameters())


def explain_difference(fields: dict, yours: int, expected: int) -> str:
    """A hint that names the block whose parameters are missing or extra."""
    d, layers, vocab = fields["n_embd"], fields["n_layer"], fields["vocab_size"]
    d_ff = fields.get("n_inner") or 4 * d
    missing = expected - yours
    hints = {
        (2 * layers + 1) * 2 * d: "did you forget the LayerNorms (2 per block + ln_f, each with a weight AND a bias)?",
        (2 * layers) * 2 * d: "did you forget the two LayerNorms of each block (ln_1, ln_2)?",
        2 * d: "did you forget the final LayerNorm ln_f?",
        (2 * layers + 1) * d: "a LayerNorm has 2d parameters (scale and shift): did you forget its bias?",
        fields["n_positions"] * d: "did you forget the position embeddings wpe (n_positions x n_embd)?",
        vocab * d: "did you forget the token embeddings wte (vocab_size x n_embd)?",
        layers * (3 * d + d + d_ff + d): "did you forget the biases of c_attn, attn.c_proj, c_fc and mlp.c_proj?",
        -vocab * d: "you counted the tied LM head a second time: lm_head.weight IS wte.weight",
    }
    hint = hints.get(missing, "compare block by block with sum(p.numel() for p in module.parameters())")
    return f"for {fields} you counted {yours:,}, the model has {expected:,} ({missing:+,}): {hint}"


small_fields = {"vocab_size": 100, "n_positions": 16, "n_embd": 32, "n_layer": 2, "n_head": 4}
yours = count_parameters(small_fields)
expected = built_count(small_fields)
assert isinstance(yours, int), f"return a Python int, got {type(yours).__name__}"
assert yours == expected, explain_difference(small_fields, yours, expected)
print(f"Self-check passed: {yours:,} parameters, like GPT2Model.")
### BEGIN HIDDEN TESTS
hidden_configs = [
    {"vocab_size": 53, "n_positions": 11, "n_embd": 24, "n_layer": 1, "n_head": 2},
    {"vocab_size": 200, "n_positions": 40, "n_embd": 16, "n_layer": 3, "n_head": 4, "n_inner": 40},
    {"vocab_size": 31, "n_positions": 64, "n_embd": 8, "n_layer": 4, "n_head": 1, "n_inner": None},
    {"vocab_size": 500, "n_positions": 8, "n_embd": 40, "n_layer": 2, "n_head": 8, "n_inner": 24},
]
for fields in hidden_configs:
    expected = built_count(fields)
    for config in (fields, GPT2Config(**fields, bos_token_id=0, eos_token_id=0)):
        yours = count_parameters(config)
        assert yours == expected, explain_difference(fields, yours, expected) + (
            "" if "n_inner" not in fields or fields["n_inner"] is None
            else f" (n_inner={fields['n_inner']} is set here: d_ff = n_inner, not 4 * n_embd)")
# n_head only splits d_model: the count must not depend on it.
assert count_parameters({**small_fields, "n_head": 1}) == count_parameters({**small_fields, "n_head": 8}), (
    "the number of heads must not change the count: heads split the same d x d matrices")
# GPT-2 small, the "124M" model: known exact count (not built here, it would take seconds).
assert count_parameters(GPT2Config()) == 124_439_808, (
    f"GPT-2 small (GPT2Config()) has 124,439,808 parameters in GPT2Model; you counted "
    f"{count_parameters(GPT2Config()):,}")
# Count from the config, do not build: building GPT2Model (or any layer, even on the meta device) runs tensor
# operations, and the config alone needs none. The caller's config must not change either.
from course.checks import call_checking_inputs, count_torch_calls

_fields = {"vocab_size": 53, "n_positions": 11, "n_embd": 24, "n_layer": 1, "n_head": 2}
_count, _tensor_operations = count_torch_calls(call_checking_inputs, count_parameters, _fields)
assert _tensor_operations == 0, (
    f"count_parameters ran {_tensor_operations} tensor operations: it builds (part of) a model. The exercise "
    "asks for the count from the config fields alone, with arithmetic on n_embd, n_layer, vocab_size, ...")
assert _count == built_count(_fields)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex03_1_test_b", "points": 1}
# Self-check: with the tied language-model head, GPT2LMHeadModel has exactly as many parameters as GPT2Model.
tied_count = count_parameters(small_fields, lm_head=True)
assert tied_count == built_count(small_fields, lm_head=True), (
    explain_difference(small_fields, tied_count, built_count(small_fields, lm_head=True))
    + " (a tied head shares wte's tensor: it adds no parameter)")
print("Self-check passed: a tied LM head adds no parameter.")
### BEGIN HIDDEN TESTS
for fields in ({"vocab_size": 53, "n_positions": 11, "n_embd": 24, "n_layer": 1, "n_head": 2},
               {"vocab_size": 200, "n_positions": 40, "n_embd": 16, "n_layer": 3, "n_head": 4, "n_inner": 40}):
    for tied in (True, False):
        untied_fields = {**fields, "tie_word_embeddings": tied}
        expected = built_count(untied_fields, lm_head=True)
        yours = count_parameters(untied_fields, lm_head=True)
        assert yours == expected, explain_difference(untied_fields, yours, expected) + (
            "" if tied else " (an UNtied head is its own n_embd x vocab_size matrix, without bias)")
    assert count_parameters(fields, lm_head=False) == built_count(fields), (
        "with lm_head=False, count GPT2Model only")
assert count_parameters(GPT2Config(), lm_head=True) == 124_439_808, (
    "GPT-2 small's LM head is tied to wte: GPT2LMHeadModel also has 124,439,808 parameters")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Predicting shapes
#
# You traced one configuration in section 2. A designer needs the general rule: for any batch size, lengths
# and widths, which axis of which tensor is which? The exercise asks for the tensors of section 2 and for
# three tensors *inside* a decoder layer: the two attention-weight matrices and the widened feed-forward
# activation.
#
# ### Exercise 03.2 — Predict the shapes of a `TinySeq2Seq` (3 points)
#
# Write `transformer_shapes(batch, src_len, tgt_len, d_model, nhead, dim_feedforward, vocab_size, num_layers)`
# for the `TinySeq2Seq` model of section 2 (`nn.Transformer` with `batch_first=True`, `num_layers` encoder and
# `num_layers` decoder layers). Return a dict that maps each name below to a **tuple of ints**:
#
# | key | tensor |
# |---|---|
# | `"src_embedded"` | input of the encoder (source embeddings + positions) |
# | `"memory"` | output of the encoder |
# | `"tgt_embedded"` | input of the decoder |
# | `"decoder_self_attention_weights"` | per-head weights of a decoder layer's masked self-attention (`average_attn_weights=False`) |
# | `"cross_attention_weights"` | per-head weights of a decoder layer's cross-attention (`average_attn_weights=False`) |
# | `"decoder_ffn_hidden"` | output of a decoder layer's first feed-forward linear map (`linear1`) |
# | `"decoder_output"` | output of the decoder |
# | `"logits"` | output of `lm_head` |
#
# Compute the shapes from the arguments alone: do not build or run a model inside the function.

# %% nbgrader={"solution": true, "grade_id": "ex03_2"}
def transformer_shapes(batch: int, src_len: int, tgt_len: int, d_model: int, nhead: int,
                       dim_feedforward: int, vocab_size: int, num_layers: int) -> dict[str, tuple[int, ...]]:
    """Predicted shapes of the tensors that flow through TinySeq2Seq (batch_first=True).

    Returns:
        {name: shape tuple} for the eight names of the table above.
    """
    ### BEGIN SOLUTION
    return {
        "src_embedded": (batch, src_len, d_model),
        "memory": (batch, src_len, d_model),
        "tgt_embedded": (batch, tgt_len, d_model),
        "decoder_self_attention_weights": (batch, nhead, tgt_len, tgt_len),
        "cross_attention_weights": (batch, nhead, tgt_len, src_len),
        "decoder_ffn_hidden": (batch, tgt_len, dim_feedforward),
        "decoder_output": (batch, tgt_len, d_model),
        "logits": (batch, tgt_len, vocab_size),
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_2_test_a", "points": 2}
# Self-check: your predictions against a real run of TinySeq2Seq, traced with hooks.
def real_shapes(batch, src_len, tgt_len, d_model, nhead, dim_feedforward, vocab_size, num_layers):
    """Run TinySeq2Seq once and record the shape of every tensor of the exercise's table."""
    torch.manual_seed(0)
    with warnings.catch_warnings():  # nn.Transformer warns about nested tensors for some head counts
        warnings.simplefilter("ignore")
        model = TinySeq2Seq(vocab_size, d_model, nhead, num_layers, dim_feedforward).eval()
    shapes, handles = {}, []
    transformer = model.transformer
    last_decoder_layer = transformer.decoder.layers[-1]

    def on_output(name):
        return lambda module, args, output: shapes.__setitem__(name, tuple(output.shape))

    def on_input(name):
        return lambda module, args: shapes.__setitem__(name, tuple(args[0].shape))

    def per_head_weights(name):
        def hook(module, args):  # re-run the attention on the same inputs, asking for per-head weights
            if name not in shapes:
                query, key, value = args[:3]
                _, weights = nn.MultiheadAttention.forward(module, query, key, value, need_weights=True,
                                                           average_attn_weights=False)
                shapes[name] = tuple(weights.shape)
        return hook

    handles.append(transformer.encoder.register_forward_pre_hook(on_input("src_embedded")))
    handles.append(transformer.encoder.register_forward_hook(on_output("memory")))
    handles.append(transformer.decoder.register_forward_pre_hook(on_input("tgt_embedded")))
    handles.append(last_decoder_layer.self_attn.register_forward_pre_hook(
        per_head_weights("decoder_self_attention_weights")))
    handles.append(last_decoder_layer.multihead_attn.register_forward_pre_hook(
        per_head_weights("cross_attention_weights")))
    handles.append(last_decoder_layer.linear1.register_forward_hook(on_output("decoder_ffn_hidden")))
    handles.append(transformer.decoder.register_forward_hook(on_output("decoder_output")))
    handles.append(model.lm_head.register_forward_hook(on_output("logits")))
    model(torch.randint(vocab_size, (batch, src_len)), torch.randint(vocab_size, (batch, tgt_len)))
    for handle in handles:
        handle.remove()
    return shapes


def compare_shapes(arguments: dict) -> None:
    predicted = transformer_shapes(**arguments)
    actual = real_shapes(**arguments)
    assert isinstance(predicted, dict), f"return a dict {{name: shape tuple}}, got {type(predicted).__name__}"
    missing = sorted(set(actual) - set(predicted))
    assert not missing, f"your dict lacks the keys {missing}"
    for name, shape in actual.items():
        guess = predicted[name]
        assert isinstance(guess, tuple) and all(isinstance(n, int) for n in guess), (
            f"{name}: give a tuple of ints such as (2, 5, 32), got {guess!r}")
        assert guess == shape, f"{name}: you predicted {guess}, the real run gave {shape} for {arguments}"


visible_arguments = {"batch": 3, "src_len": 6, "tgt_len": 4, "d_model": 16, "nhead": 2,
                     "dim_feedforward": 40, "vocab_size": 50, "num_layers": 1}
predicted_check = transformer_shapes(**visible_arguments)
for name in ("src_embedded", "memory", "tgt_embedded", "decoder_output", "logits"):
    assert name in predicted_check, f"your dict lacks the key {name!r}"
compare_shapes(visible_arguments)
print("Self-check passed: every predicted shape matches the real run.")
### BEGIN HIDDEN TESTS
hidden_arguments = [
    {"batch": 2, "src_len": 9, "tgt_len": 3, "d_model": 24, "nhead": 4,
     "dim_feedforward": 56, "vocab_size": 37, "num_layers": 2},
    {"batch": 1, "src_len": 5, "tgt_len": 8, "d_model": 12, "nhead": 3,
     "dim_feedforward": 20, "vocab_size": 70, "num_layers": 3},
]
for arguments in hidden_arguments:
    predicted = transformer_shapes(**arguments)
    batch_, src_, tgt_, d_ = arguments["batch"], arguments["src_len"], arguments["tgt_len"], arguments["d_model"]
    assert predicted["memory"] == (batch_, src_, d_), (
        "the memory is the encoder's output: one d_model vector per SOURCE token, (batch, src_len, d_model)")
    assert predicted["decoder_output"] == (batch_, tgt_, d_), (
        "the decoder outputs one vector per TARGET position (its queries), whatever the source length: "
        "(batch, tgt_len, d_model). Attention returns the length of its queries, not of its keys")
    assert predicted["cross_attention_weights"] == (batch_, arguments["nhead"], tgt_, src_), (
        "cross-attention weights are (batch, heads, tgt_len, src_len): one row per decoder query (target "
        "position), one column per memory key (source position)")
    compare_shapes(arguments)
# Predict, do not run: the function must not call any module.
original_call = nn.Module.__call__


def forbidden_call(*args, **kwargs):
    raise AssertionError("transformer_shapes must compute the shapes from its arguments, not run a model")


nn.Module.__call__ = forbidden_call
try:
    transformer_shapes(**hidden_arguments[0])
finally:
    nn.Module.__call__ = original_call
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex03_2_test_b", "points": 1}
# Self-check: the shapes inside the stack do not depend on the number of layers.
shallow_arguments = {"batch": 3, "src_len": 6, "tgt_len": 4, "d_model": 16, "nhead": 2,
                     "dim_feedforward": 40, "vocab_size": 50, "num_layers": 1}
deep = transformer_shapes(**{**shallow_arguments, "num_layers": 6})
assert deep == transformer_shapes(**shallow_arguments), (
    "every layer returns the shape it receives, so the number of layers changes no shape")
print("Self-check passed: depth changes no shape.")
### BEGIN HIDDEN TESTS
hidden_arguments = [
    {"batch": 2, "src_len": 9, "tgt_len": 3, "d_model": 24, "nhead": 4,
     "dim_feedforward": 56, "vocab_size": 37, "num_layers": 2},
    {"batch": 1, "src_len": 5, "tgt_len": 8, "d_model": 12, "nhead": 3,
     "dim_feedforward": 20, "vocab_size": 70, "num_layers": 3},
]
for arguments in hidden_arguments:
    predicted = transformer_shapes(**arguments)
    batch_, src_, tgt_ = arguments["batch"], arguments["src_len"], arguments["tgt_len"]
    assert predicted["decoder_self_attention_weights"] == (batch_, arguments["nhead"], tgt_, tgt_), (
        "the decoder's self-attention compares target positions with target positions: "
        "(batch, heads, tgt_len, tgt_len)")
    assert predicted["decoder_ffn_hidden"] == (batch_, tgt_, arguments["dim_feedforward"]), (
        "the first feed-forward map expands each target vector to dim_feedforward: "
        "(batch, tgt_len, dim_feedforward)")
    assert predicted["logits"] == (batch_, tgt_, arguments["vocab_size"]), (
        "the LM head gives one score per vocabulary entry for every target position: (batch, tgt_len, vocab)")
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Quiz: reading the diagram
#
# ### Exercise 03.3 — Reading the diagram (2 points)
#
# **Question a.** In a 6-layer encoder-decoder Transformer (`nn.Transformer`), where does the cross-attention
# sub-layer of decoder layer 3 take its queries, keys and values from?
#
# - (a) Queries from the decoder's own stream (after its masked self-attention); keys and values from the
#   memory, the final encoder output, shared by all six decoder layers.
# - (b) Queries from the decoder's own stream (after its masked self-attention); keys and values from the
#   output of encoder layer 3, the encoder layer at the same depth.
# - (c) Queries, keys and values all from the memory, the final encoder output, so that each decoder layer
#   re-reads the source sentence on its own.
# - (d) Queries from the memory, the final encoder output; keys and values from the decoder's own stream,
#   after its masked self-attention.
#
# **Question b.** You change GPT-2 small from `n_head=12` to `n_head=24`, keeping `n_embd=768`. The number of
# parameters:
#
# - (a) doubles, because every head has its own query, key, value and output matrices.
# - (b) grows by $12 \times 4 d^2$: one more set of query, key, value and output maps per new head.
# - (c) does not change: the heads are narrower slices of the same $d \times d$ projection matrices.
# - (d) halves, because each head is half as wide and so holds half as many weights.
#
# Set `answer_03_3a` and `answer_03_3b` to `"a"`, `"b"`, `"c"` or `"d"`, then run the two grade cells: each
# tells you at once whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex03_3"}
### BEGIN SOLUTION
answer_03_3a = "a"
answer_03_3b = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex03_3_test_a", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_03_3a", answer_03_3a, (
    "quiz1:eyJrZXkiOiAiYmRhN2ZjOWI3ZDFhMTIxNzE2YWQ3MGM5NzRjNGM2MjBhNGQxNDI4NjU1MWQ4Zjc3ZjhhMzdiMDdiZT"
    "NmZWEwZiIsICJuYW1lIjogImFuc3dlcl8wM18zYSIsICJvcHRpb25zIjogeyJhIjogIlZNTFJwaUsxa3VBR2ZlTjNSZFFnTX"
    "FGNFZkTVVCQUxEc21ZOUdvRzJyekh2aDRRWkRQL0huenFYZ0lpb0NSRWdrUEo5ZGM5bUZQS29zYUJSN1U0dThoSXhvelFrVl"
    "ZTcTY1WTlHNGxxT1g3M3k1ZGYyeEtzcUlnbTQ2TXFaMmJFbE9JbG1wWGIxQk9XdDcyclJRTERDdy9hQ0xLRlNLdWs0SzF1NG"
    "RqZTM4cWdvd2swWkg4bzVUeWNKa3JpaHZqcnRyNmJwYTMvYytVUzlpaXRMbm5JTi9hQjNRVzZyb3hxSEZWbXE0RTJ2cUkram"
    "RJaDNuSW5vd01jZWxWdSsrRE45bmNkUStpb3kwNUxodkE9IiwgImIiOiAiaGZnL0RlWFZiQW80MG9Ecko1eGd5WTBodDRsd1"
    "QweXRYSjFtQmRPSzlCVE45MVY1Z25DVFFkKzhUdTVuUlg1SUh3dW9RVXZOcmQ2TjdVck1DWUg4bUtVTTVNNThZajRCdGRtQl"
    "FzK3prdThZV3c1ajcxTWUrNFlvTVFYOVErTVM5V2FLQ0tkTGI1dU80ZVlqZGsxRmJqc1NjZXQrM0lBTW1kc1F5WmsraVFMMD"
    "Nrays0ZjNGeWRGTjJXUGg0cUduS1RrcWdrelJkMldPbE1zUTJVMlEyc2FKZWIycEdaYjVGcitnWEFLZUVpNDNmVVZmQVdOMT"
    "hLWU5TS1Vhb2MzY3d6Si8vcnhEY2xaMCIsICJjIjogIlYvY0svTEFtNE12dWpjODRKUmZDamQ4YnBmeWFjTkNaL09wQ0psV2"
    "xYSnR4ZVlvWjRaZFl5cDhzWHNFK0NHanZqWmRLZ2padEcyRGJDMGpkWDJUQUhjdzVicEtSZEJCWGhCUGwxNisralR6ZWZkd1"
    "hmZ3NsbjdTMTZjQmJPcGhkVkl2Q2VlaEFDRzYxS0hrRVJucnZWNHJUVzhrQlZpVzFYdVJ5bHNSaHpJUTVCUnZRcjlXNHEwK3"
    "ZJVHdMaW9UWE1Ub25ZaEF6RjRjZmorR2FOM05pVFFKSXptVGZGUzhvNm1jemdKTHhKbUtjWGE0ak9JYzAvbWNsVWZNditNRl"
    "NBQUZoRSsvdi9JQ3lYci80b1h1di85Y1czN2M9IiwgImQiOiAiY0t4U3N4QjJWSm5BeGtmU0RTYjdjdytOU1Z5YzdnTHltaW"
    "txM2dTT2tJa255c21MVUdJT25aZ2hrWjE5Lyt2aTdnMnBxRlU4OFk3MmVzM3BKVnRJcTNqcjNZRWROSEJhb3FGbTJJemVyZW"
    "ttYllCZGE4cGgvd1ZsVFVEZEZIWEF1UkE2TFB0c3FlM2c2WkRramRHZS9ZRUhyL3BzUzB4NkUyaFNucHFJNFhHM1VnOFNQSW"
    "I5YXp2bitQR2F1MVIrclpNTG1GWndYVVBLZWY3azBIREF2NVVkS21FM0lPUWJUcm9vc1RLb0xvVkIwSHZJekJoMG9RaXNMSk"
    "d4RndYTG43OD0ifSwgInNhbHQiOiAiMzExMzU1YWZiYTcxMmY0YyJ9"))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_03_3a", answer_03_3a, "a", {
    "a": "Cross-attention asks questions from the decoder (one query per target position) and looks them up in "
         "the memory: the output of the LAST encoder layer, the same tensor for every decoder layer (section 3).",
    "b": "Tempting, since the stacks have the same depth, but nn.Transformer passes only one tensor from the "
         "encoder to the decoder: the memory, the output of the LAST encoder layer, read by every decoder layer.",
    "c": "If queries came from the memory too, the decoder's own stream would not enter the sub-layer at all: "
         "the output would ignore what has been generated. Queries come from the decoder, keys and values from the memory.",
    "d": "This is the wrong way round: the output has one row per query, and the decoder needs one vector per "
         "TARGET position, so the queries come from the decoder and the keys and values from the memory.",
})
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex03_3_test_b", "points": 1}
# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_03_3b", answer_03_3b, (
    "quiz1:eyJrZXkiOiAiZWVjODgyNTRjNTVhYWYxZTZmMzA2MjdhYjQ3YWViMjFlNzZiZDAxODAwNGNkMzZlMjRmZTY0MDdhZT"
    "lhZWM3NSIsICJuYW1lIjogImFuc3dlcl8wM18zYiIsICJvcHRpb25zIjogeyJhIjogInFGWjZjQ0Z6cW5td1lpMTY3TlhnbG"
    "5lY2E4ZlZPNVp6bURHRFdrREViQUovOEFhSStIN284V09CaVVVb0hyTlVHb0NUbnFmS21waXNzZU82L0gxc3NIVEhEVWo5OW"
    "tVeFBHV0JrazRQay9uU3ZtTU96b1RaYlJWM0RBdVdvSEVJWGtmbzBZenBPNzl3NWp6VkxWQ0tjdVN3aDZXTTJDVWUzQ3NleG"
    "Y4Q2RqWjI4TlJkOVFRajVzN1ZmdmhtcVR5MWVreXpXKys3WGNqVlRMRVJiRVRkQ2FlS1FXdUM0RDl3My9KNUZxL1Y0MzhjL3"
    "VUWGlwUEpGcU09IiwgImIiOiAiUVhiM09pTUVNYkpLdWZhaEFhUS9EZmVPaCt6aXowbVhaKzBGRHdNZEd2c00reGI5VkRwb0"
    "pleDdVWnAwZGFxR3daVWpPR1plSG1leVpxT0p5eEpsVXNWUUxKaFRDZXhrVzJEbXFEUHJrZ29pbmFnYVFLTGhMQXdaQUVSRE"
    "YvZWNjMnF6SXRPb241VUxCVWhZWjRkZ0haK1A3SE82ZmlCZkdPR3RLQlo4U3BkOVh5YWFCNXE2VUpZSGkxaGJ4d3RtU2ZNaE"
    "NhL2tTaFZyRlRldnRpdWhHcUdQcDFlbW9KeEpSZ2xMQ3czeERxZjlHdTB5MDJkUFRBaz0iLCAiYyI6ICJQME1lVlNsS2V4U1"
    "pnTUlBRDd6RVhlbUlua1pnZmFIaWdleUVvcFlmMWd2SElza1hueDhmelJ0eXpxT2ltUU14Snp4a3NBcG9oSEVGUmxiQllsT0"
    "F6V3VSSzJVamdiejVQTlFaQkpIY0NiZCtoOVpmeVJJRnRET0dXZGxyQ3U3S0R1NmNMME4xQjFldS9hekdrVXZKdCtjWGplZk"
    "1BcE1zNElNRldJMzc5OTROazVpeXptRHhFeFR4MjR6dk5PelZhbjduWXNBb1RWSkZ6WEFXcWltZE9vN0dYRUd6NXhpb3AwU3"
    "MxSFZJUTUybEE2YjJnc0ZLWGViM3BXbz0iLCAiZCI6ICJTNmwyQmRmWHJndGtFTGhkMDlpdHB5SE1RZWlqYVFBMVh2aGxWSE"
    "JsdkFCRi9iN3BHVlZMdzNLN2R6RlBQYTViUDVmK3hqWTEzanlsOWtyenVLeHNPWCtGMGNIY3lmdzVGdHF1TThqTTNEZWtlZ2"
    "RtY3VkY056cVdnUCtLSTBwZW1SOXZRUmpzaStEV0NyNGZ0c0tFU0R3WHNIZXJmUXhPQzhIQTdncEJHRDQxNkpraXJiNkdEND"
    "dYTzlHcjJuaXJEZDl0R0F4a0xOUThzZUw5NGt6cDE2NXk3UT09In0sICJzYWx0IjogImFhMzYwZmM5MzFlM2NmOTIifQ=="))
### BEGIN HIDDEN TESTS
grade_answer("answer_03_3b", answer_03_3b, "c", {
    "a": "The heads do not get their own full-width matrices: the d x d projections are cut into n_head slices "
         "of width d / n_head. More heads means narrower slices, and the count stays the same.",
    "b": "That would be true if every head had full-width d x d maps; in GPT-2 (and nn.MultiheadAttention) the "
         "same d x d matrices are split into n_head slices, so adding heads adds no parameter.",
    "c": "Heads split the same d x d projection matrices into slices of width d_k = d_model / n_head: 24 "
         "narrower heads use exactly the weights of 12 wider ones, and count_parameters ignores n_head.",
    "d": "Each head is half as wide, but there are twice as many: 24 slices of width 32 cover the same d x d "
         "matrices as 12 slices of width 64, so the count does not change.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 9. Common mistakes
#
# **1. Forgetting `batch_first=True`.** PyTorch's `nn.Transformer*` modules default to `batch_first=False`:
# they read a 3-D tensor as `(seq, batch, d_model)`. Given `(batch, seq, d_model)`, an encoder raises **no
# error** — it silently attends *across the sentences of the batch* at each position. The symptom: changing
# one sentence changes the output of another.

# %%
torch.manual_seed(0)
sentences_batch = torch.randn(3, 8, 32)  # (batch=3, seq=8, d_model=32)
changed_batch = sentences_batch.clone()
changed_batch[2] += 1.0                  # change sentence 2 only
for batch_first in (False, True):
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=batch_first)
    encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False).eval()
    with torch.no_grad():
        leak = (encoder(changed_batch)[0] - encoder(sentences_batch)[0]).abs().max().item()
    print(f"batch_first={batch_first!s:5}: sentence 0 moved by {leak:.3f} when sentence 2 changed")

# %% [markdown]
# *Fix:* pass `batch_first=True` (or transpose to `(seq, batch, d_model)`), and test that sentences of a batch
# are independent, as above.
#
# **2. Feeding token ids to `nn.Transformer`.** It holds only the two towers: embeddings, positions and the
# output layer are yours to add (as in `TinySeq2Seq`). Token ids fail at once:

# %%
try:
    stack(src_ids, tgt_ids)
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# **3. Counting a tied weight twice.** `state_dict()` lists `lm_head.weight` *and*
# `transformer.wte.weight` although they are one tensor, so summing it over-counts by $V d$. Count with
# `parameters()`, which yields each shared tensor once:

# %%
from_state_dict = sum(tensor.numel() for tensor in tiny_lm.state_dict().values())
print(f"summed over state_dict(): {from_state_dict:,}   summed over parameters(): {count(tiny_lm):,}   "
      f"difference: {from_state_dict - count(tiny_lm):,} = V x d = {100 * 48:,}")

# %% [markdown]
# **4. Forgetting the small blocks.** Biases ($b$ per linear map), LayerNorms ($2d$ each, including the final
# `ln_f` of GPT-2 and the final `norm` of `nn.Transformer`'s encoder and decoder) and position embeddings are
# small next to the matrices, so a rough count hides their absence — but an exact check does not. GPT-2 small
# has $2 \times 12 + 1 = 25$ LayerNorms: $25 \times 2 \times 768 = 38{,}400$ parameters.
#
# **5. Wiring decoder layer $i$ to encoder layer $i$.** The diagram's single arrow means one tensor: every
# decoder layer reads the **final** memory (section 3 checked it with hooks).
#
# **Takeaway:** test the batch axis, count with `parameters()`, and trust exact checks over rough ones.

# %% [markdown]
# ## Summary
#
# - The full stack: embeddings + positions → $N$ encoder layers → memory → $N$ decoder layers (masked
#   self-attention, cross-attention, feed-forward) → linear → softmax.
# - Cross-attention: queries from the decoder, keys and values from the final encoder output; its output has
#   the target length; its weights are `(batch, heads, tgt_len, src_len)`.
# - The residual stream keeps the width $d_\text{model}$ everywhere: every sub-layer adds an update to it.
# - Configs name the same few numbers differently (`n_embd` = `hidden_size` = `d_model` = $d_\text{model}$).
# - Parameters: $Vd + L_\text{max}d$ for the embeddings, $4(d^2+d)$ for attention,
#   $2 d\,d_\text{ff} + d_\text{ff} + d$ for the FFN, $2d$ per LayerNorm — about $12Nd^2$ for the layers;
#   heads and tied heads add nothing.
#
# Next, lesson 04 opens the attention block and writes scaled dot-product attention from scratch.
#
# ## Going further
#
# - Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017). *Attention Is All You Need.*
#   NeurIPS. Figure 1 is the diagram of section 1; section 3 describes every block.
# - Radford, Wu, Child, Luan, Amodei, Sutskever (2019). *Language Models are Unsupervised Multitask
#   Learners.* OpenAI. GPT-2 and its pre-norm blocks.
# - Devlin, Chang, Lee, Toutanova (2019). *BERT: Pre-training of Deep Bidirectional Transformers for Language
#   Understanding.* NAACL. The encoder-only family; Wang et al. (2020), *MiniLM*, NeurIPS, for the small model
#   used here.
# - Elhage et al. (2021). *A Mathematical Framework for Transformer Circuits.* Anthropic. The residual stream
#   view of section 4.
# - Kaplan et al. (2020). *Scaling Laws for Neural Language Models.* The $12Nd^2$ parameter estimate.
# - Press, Wolf (2017). *Using the Output Embedding to Improve Language Models.* EACL. Weight tying.
# - Documentation: PyTorch `torch.nn.Transformer` and `torch.nn.Module.register_forward_hook`;
#   Hugging Face `GPT2Config` and `BertConfig`.

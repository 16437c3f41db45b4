# ---
# jupyter:
#   course:
#     title: "Types of attention: self, cross and multi-head"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 05 · Types of attention: self, cross and multi-head
# {{COLAB_BADGE}}
#
# **You will be able to:**
# - tell self-attention from cross-attention by where the queries, keys and values come from, and predict
#   the shape of the attention weights in each case;
# - explain why a Transformer runs several attention heads side by side instead of one wide head;
# - implement multi-head attention (split → attend → concatenate → project) that matches
#   `torch.nn.MultiheadAttention` to the last digit, masks included;
# - count its parameters and FLOPs, and say which term dominates for short and for long sequences;
# - find heads of a real model (MiniLM) with a recognisable job by *measuring* their attention.
#
# **Prerequisites:** lessons 01–04 (scaled dot-product attention). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import course

course.set_seed(0)

# %% [markdown]
# ## 1. Self-attention and cross-attention
#
# Lesson 04 wrote attention as a function of three tensors:
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V .$$
#
# Nothing in the formula says where $Q$, $K$ and $V$ come from. Two choices cover every attention layer of
# the original Transformer:
#
# - **Self-attention**: queries, keys and values are all computed from the *same* sequence $X$
#   ($Q = XW^Q$, $K = XW^K$, $V = XW^V$). Every token looks at every token of its own sentence. The
#   weight matrix is square: `(len, len)`. Encoder layers (BERT, MiniLM) and the masked first sub-layer of
#   a decoder (GPT) use it.
# - **Cross-attention**: the queries come from one sequence — the decoder's tokens $Y$ — while the keys and
#   values come from another — the encoder's output $M$ ("memory"): $Q = YW^Q$, $K = MW^K$, $V = MW^V$.
#   Each target token asks "which source tokens matter for me now?". The weight matrix is rectangular:
#   `(target_len, source_len)`. It is the second sub-layer of every decoder layer in an encoder-decoder model
#   (T5, BART, a translation model), and the only place where the decoder reads the source sentence.
#
# The module is the same in both cases; only the call changes. `nn.MultiheadAttention` takes
# `(query, key, value)`, and with `batch_first=True` every tensor is `(batch, length, d_model)`.

# %%
d_model, num_heads = 16, 4
attention = nn.MultiheadAttention(d_model, num_heads, batch_first=True).eval()

source = torch.randn(1, 6, d_model)  # encoder output for 6 source tokens: (batch, src_len, d_model)
target = torch.randn(1, 4, d_model)  # decoder states for 4 target tokens:  (batch, tgt_len, d_model)

with torch.no_grad():
    self_out, self_weights = attention(source, source, source, average_attn_weights=False)
    cross_out, cross_weights = attention(target, source, source, average_attn_weights=False)

print("self-attention : output", tuple(self_out.shape), " weights", tuple(self_weights.shape))
print("cross-attention: output", tuple(cross_out.shape), " weights", tuple(cross_weights.shape))

# %% [markdown]
# Read the shapes: the output always has one row **per query** (the output of cross-attention has the
# target's length, 4, not the source's), and the weights are `(batch, heads, q_len, k_len)`. The picture
# below draws head 0 of the cross-attention. The module is untrained, so the pattern means nothing; what
# matters is the rectangle: rows are target tokens, columns are source tokens.

# %%
source_tokens = ["the", "black", "cat", "sleeps", "here", "."]
target_tokens = ["le", "chat", "noir", "dort"]
course.plot_attention(cross_weights[0, 0], source_tokens, target_tokens,
                      title="Cross-attention, head 0 (untrained): queries = target, keys = source")
plt.show()

# %% [markdown]
# **Takeaway:** self-attention reads $Q, K, V$ from one sequence (square weights); cross-attention reads $Q$
# from the decoder and $K, V$ from the encoder (weights of shape `(target_len, source_len)`).

# %% [markdown]
# ## 2. Why several heads?
#
# A softmax gives each query **one** probability distribution over the keys, and the output is one weighted
# *average* of the values. That is a problem when a token needs two different things at once — say the
# previous word (for local syntax) *and* the sentence start (a summary slot). One head can only put half its
# weight on each and return the **average** of the two values: the information about which was which is
# blended away.
#
# The toy below makes this concrete. Keys are one-hot position vectors, so a query picks positions directly.
# A "previous token" head and a "first token" head each get a sharp, clean distribution; a single head asked
# to do both splits its weight 50/50.

# %%
n_tokens = 6
toy_tokens = [f"tok{i}" for i in range(n_tokens)]
position_keys = torch.eye(n_tokens)              # key j = one-hot position j: (k_len, k_len)
sharpness = 20.0                                 # large scores -> almost one-hot softmax

previous_queries = torch.diag(torch.ones(n_tokens - 1), -1)  # query i points at position i-1
previous_queries[0, 0] = 1.0                                  # the first token has no predecessor: itself
first_queries = torch.zeros(n_tokens, n_tokens)
first_queries[:, 0] = 1.0                                     # every query points at position 0

previous_head = torch.softmax(sharpness * previous_queries @ position_keys.T, dim=-1)  # (q_len, k_len)
first_head = torch.softmax(sharpness * first_queries @ position_keys.T, dim=-1)
one_head_for_both = torch.softmax(sharpness * (previous_queries + first_queries) @ position_keys.T, dim=-1)

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
course.plot_attention(previous_head, toy_tokens, title="head A: previous token", ax=axes[0], vmax=1)
course.plot_attention(first_head, toy_tokens, title="head B: first token", ax=axes[1], vmax=1)
course.plot_attention(one_head_for_both, toy_tokens, title="one head asked to do both", ax=axes[2], vmax=1)
fig.suptitle("Two heads keep two relations apart; one head averages them")
fig.tight_layout()
plt.show()
print("weights of query tok3 in the single head:", one_head_for_both[3].numpy().round(2))

# %% [markdown]
# With two heads, the output of token 3 holds $v_2$ in head A's slice and $v_0$ in head B's slice, side by
# side; the output projection can use both. The single head returns $\tfrac12(v_2 + v_0)$.
# Multi-head attention therefore runs $h$ attention functions in parallel, each in its own smaller subspace
# of width $d_{\text{head}} = d_{\text{model}} / h$, so that the total cost stays that of one wide head
# (section 4). In trained models, different heads do measurably different jobs (section 6).
#
# **Takeaway:** one softmax = one average per query; several heads let one layer attend to several places
# for several reasons at the same time.

# %% [markdown]
# ## 3. Split → attend → concatenate → project
#
# Vaswani et al. (2017) write multi-head attention as
#
# $$\operatorname{head}_i = \operatorname{Attention}(QW_i^Q,\; KW_i^K,\; VW_i^V),\qquad
# \operatorname{MultiHead}(Q, K, V) = \operatorname{Concat}(\operatorname{head}_1, \dots, \operatorname{head}_h)\,W^O,$$
#
# with $W_i^Q, W_i^K, W_i^V \in \mathbb{R}^{d_{\text{model}} \times d_{\text{head}}}$ and
# $W^O \in \mathbb{R}^{d_{\text{model}} \times d_{\text{model}}}$. Two details matter:
#
# 1. **Every head reads the whole token vector.** Each $W_i^Q$ has $d_{\text{model}}$ *input* rows and
#    $d_{\text{head}}$ output columns: a head is a projection of all $d_{\text{model}}$ features down to
#    $d_{\text{head}}$, not a slice of the features.
# 2. **Stack the $h$ projections into one matrix.** Putting $W_1^Q, \dots, W_h^Q$ side by side gives one
#    $d_{\text{model}} \times d_{\text{model}}$ matrix $W^Q$; one `nn.Linear(d_model, d_model)` computes all heads'
#    queries in one product, and head $i$'s queries are output features $i\,d_{\text{head}}$ to
#    $(i+1)\,d_{\text{head}} - 1$ (counting heads from 0, as in the code below). The cell below checks this on
#    numbers.

# %%
torch.manual_seed(0)
d_model, num_heads = 8, 2
d_head = d_model // num_heads                       # 4
tokens = torch.randn(1, 5, d_model)                 # (batch, len, d_model)
query_projection = nn.Linear(d_model, d_model)      # W^Q for all heads at once

all_queries = query_projection(tokens)              # (batch, len, d_model)
head_1_rows = slice(1 * d_head, 2 * d_head)         # head 1 owns output features 4..7
head_1_queries = tokens @ query_projection.weight[head_1_rows].T + query_projection.bias[head_1_rows]
print("head 1's own projection reads all", query_projection.weight[head_1_rows].shape[1], "input features")
print("equal to features 4..7 of the big projection:", torch.allclose(all_queries[..., head_1_rows], head_1_queries))

# %% [markdown]
# So the whole layer is four `nn.Linear(d_model, d_model)` and some reshaping:
#
# | step | operation | shape |
# |---|---|---|
# | project | `q = q_proj(query)` (same for `k`, `v`) | `(batch, q_len, d_model)` |
# | split | view the last axis as `(num_heads, d_head)`, then move the head axis before the length axis | `(batch, heads, q_len, d_head)` |
# | attend | scaled dot-product attention, scale $1/\sqrt{d_{\text{head}}}$, in every head at once | `(batch, heads, q_len, d_head)` |
# | concatenate | move the head axis back after the length axis and merge `(heads, d_head)` into `d_model` | `(batch, q_len, d_model)` |
# | project | `out_proj(...)` mixes the heads | `(batch, q_len, d_model)` |
#
# The scale uses the width of the vectors that are actually dotted together — one head's $d_{\text{head}}$,
# not $d_{\text{model}}$ (lesson 04's argument, applied per head).
#
# PyTorch's `nn.MultiheadAttention` stores the three input projections stacked in one parameter,
# `in_proj_weight` of shape `(3 * d_model, d_model)` = $[W^{Q\top}; W^{K\top}; W^{V\top}]$, each block
# $d_{\text{model}} \times d_{\text{model}}$ (PyTorch's `nn.Linear` keeps weights as `(out_features, in_features)`,
# the transpose of the paper's matrices, which multiply row vectors from the right), plus `out_proj`:

# %%
for name, parameter in nn.MultiheadAttention(d_model, num_heads, batch_first=True).named_parameters():
    print(f"{name:20s} {tuple(parameter.shape)}")

# %% [markdown]
# **Masks, in `nn.MultiheadAttention`'s convention (`True` = blocked).** `key_padding_mask` is
# `(batch, k_len)`: `True` marks padding keys that no query may read. `attn_mask` is `(q_len, k_len)`:
# `True` blocks query $i$ from key $j$ — for a causal decoder, every $j > i$. Blocked scores are set to
# $-\infty$ before the softmax, so they get weight exactly 0. (Lesson 09 returns to masks and to the
# opposite convention of `F.scaled_dot_product_attention`.)

# %%
causal_blocked = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)  # True above the diagonal
course.plot_mask(causal_blocked, ["I", "like", "green", "tea", "."], convention="blocked",
                 title="Causal attn_mask for nn.MultiheadAttention")
plt.show()

# %% [markdown]
# **Takeaway:** project with full-width matrices, split the feature axis into heads, attend in each head
# with the $1/\sqrt{d_{\text{head}}}$ scale, glue the heads back together, and mix them with $W^O$.

# %% [markdown]
# ## 4. What it costs
#
# **Parameters.** Four $d_{\text{model}} \times d_{\text{model}}$ matrices and four bias vectors:
# $4d_{\text{model}}^2 + 4d_{\text{model}}$, **whatever the number of heads** — more heads means narrower heads,
# not more weights. For MiniLM's $d_{\text{model}} = 384$ that is 591,360 parameters per layer. Let PyTorch count:

# %%
d_model = 384
for heads in (1, 2, 4, 6, 12):
    layer = nn.MultiheadAttention(d_model, heads, batch_first=True)
    print(f"{heads:2d} heads of width {d_model // heads:3d}: {sum(p.numel() for p in layer.parameters()):,} parameters")
print(f"formula 4d² + 4d = {4 * d_model**2 + 4 * d_model:,}")

# %% [markdown]
# **FLOPs** (one multiply-add = 2 FLOPs) for self-attention over $n$ tokens:
#
# - the four projections: $4 \times 2 n d_{\text{model}}^2 = 8 n d_{\text{model}}^2$ — linear in $n$;
# - scores $QK^\top$ in $h$ heads: $h \times 2n^2 d_{\text{head}} = 2n^2 d_{\text{model}}$, and the weighted
#   sum of values as much again: $4 n^2 d_{\text{model}}$ — **quadratic** in $n$.
#
# Again $h$ cancels out. The attention term overtakes the projections when $4n^2 d > 8nd^2$, i.e.
# $n > 2d_{\text{model}}$ (768 tokens for MiniLM). Rather than trust the algebra, we *measure* it with
# PyTorch's FLOP counter on "meta" tensors (shapes only, no arithmetic is done, so this is instant):

# %%
sequence_lengths = [64, 128, 256, 512, 768, 1024, 1536, 2048]
projection_flops, attention_flops = [], []
meta_attention = nn.MultiheadAttention(d_model, 12, batch_first=True, device="meta").eval()
for n in sequence_lengths:
    x = torch.empty(1, n, d_model, device="meta")
    with FlopCounterMode(display=False) as counter:
        meta_attention(x, x, x, need_weights=True)
    counts = {str(op): flops for op, flops in counter.get_flop_counts()["Global"].items()}
    projection_flops.append(counts["aten.addmm"])  # the four nn.Linear
    attention_flops.append(counts["aten.bmm"])     # QK^T and weights @ V, all heads
    assert counts["aten.addmm"] == 8 * n * d_model**2 and counts["aten.bmm"] == 4 * n**2 * d_model

course.plot_curves(sequence_lengths, {"projections: 8 n d²": projection_flops, "attention core: 4 n² d": attention_flops},
                   xlabel="sequence length n (tokens)", ylabel="FLOPs (measured)", logx=True, logy=True,
                   title="Multi-head self-attention cost, d_model = 384, 12 heads")
plt.axvline(2 * d_model, color="grey", linestyle="--")
plt.show()

# %% [markdown]
# The measured counts equal the formulas exactly (the `assert` above checks it), and the curves cross at
# $n = 2 \times 384 = 768$. Memory follows the same split: the weights tensor holds $h \cdot n^2$ numbers per
# sentence, which is why lesson 23 studies long contexts.
#
# **Takeaway:** parameters $4d^2 + 4d$ and FLOPs $8nd^2 + 4n^2d$, both independent of the number of heads;
# projections dominate short inputs, the $n^2$ attention core dominates beyond $n = 2d$.

# %% [markdown]
# ## 5. Build it yourself
#
# ### Exercise 05.1 — `MultiHeadAttention` (5 points)
#
# Write a module that computes exactly what `nn.MultiheadAttention(d_model, num_heads, batch_first=True)`
# computes in eval mode (no dropout).
#
# - `__init__(d_model, num_heads, bias=True)`: store `d_model`, `num_heads`, `d_head = d_model // num_heads`, and
#   create four `nn.Linear(d_model, d_model, bias=bias)` named **`q_proj`, `k_proj`, `v_proj`, `out_proj`**
#   (the tests copy these weights into `nn.MultiheadAttention`). You may assume `d_model % num_heads == 0`
#   (raising a `ValueError` otherwise is good practice, not graded).
# - `forward(query, key, value, key_padding_mask=None, attn_mask=None)` with
#   - `query`: `(batch, q_len, d_model)`, `key` and `value`: `(batch, k_len, d_model)` (self-attention: all three are
#     the same tensor; cross-attention: `key is value` comes from another sequence);
#   - `key_padding_mask`: `None` or a boolean `(batch, k_len)`, **`True` = this key is padding, blocked**;
#   - `attn_mask`: `None` or a boolean `(q_len, k_len)`, **`True` = query $i$ may not attend to key $j$**;
#   - returns `(output, weights)`: `output` `(batch, q_len, d_model)`, and the attention weights **per head**,
#     `(batch, num_heads, q_len, k_len)` (what `nn.MultiheadAttention` returns with `average_attn_weights=False`).
#
# Scale the scores by $1/\sqrt{d_{\text{head}}}$. Do not call `nn.MultiheadAttention`,
# `F.multi_head_attention_forward` or `F.scaled_dot_product_attention`. Tests never block every key of a query.

# %% nbgrader={"solution": true, "grade_id": "ex05_1"}
class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate q/k/v/out projections, batch-first, nn.MultiheadAttention's masks."""

    def __init__(self, d_model: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        if d_model % num_heads != 0:
            raise ValueError(f"d_model={d_model} must be divisible by num_heads={num_heads}")
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        ### END SOLUTION

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        attn_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` to ``key``/``value`` in ``num_heads`` heads.

        Args:
            query: (batch, q_len, d_model).
            key, value: (batch, k_len, d_model).
            key_padding_mask: None or bool (batch, k_len); True = padding key, blocked.
            attn_mask: None or bool (q_len, k_len); True = query i may not attend to key j.

        Returns:
            output (batch, q_len, d_model) and weights (batch, num_heads, q_len, k_len), one map per head.
        """
        ### BEGIN SOLUTION
        batch, q_len, _ = query.shape

        def split_heads(x: torch.Tensor) -> torch.Tensor:  # (batch, len, d_model) -> (batch, heads, len, d_head)
            return x.view(x.shape[0], x.shape[1], self.num_heads, self.d_head).transpose(1, 2)

        q = split_heads(self.q_proj(query))  # (batch, heads, q_len, d_head)
        k = split_heads(self.k_proj(key))    # (batch, heads, k_len, d_head)
        v = split_heads(self.v_proj(value))  # (batch, heads, k_len, d_head)

        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (batch, heads, q_len, k_len)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask, float("-inf"))  # (q_len, k_len) broadcasts
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        weights = scores.softmax(dim=-1)  # over the keys

        heads = weights @ v  # (batch, heads, q_len, d_head)
        concatenated = heads.transpose(1, 2).reshape(batch, q_len, self.d_model)  # (batch, q_len, d_model)
        return self.out_proj(concatenated), weights
        ### END SOLUTION


# %% [markdown]
# The first test cell checks self- and cross-attention **without masks** (3 points), the second one **with
# masks** (2 points). Both copy your weights into `nn.MultiheadAttention` and compare outputs and weights.

# %% nbgrader={"grade": true, "grade_id": "ex05_1_test_a", "points": 3}
# Self-check (visible): your module against nn.MultiheadAttention with the same weights, no masks.
def torch_twin(module, d_model, num_heads, bias=True, query_scale=1.0):
    """nn.MultiheadAttention holding `module`'s weights (query weights optionally multiplied by query_scale)."""
    twin = nn.MultiheadAttention(d_model, num_heads, bias=bias, batch_first=True, dropout=0.0)
    with torch.no_grad():
        twin.in_proj_weight.copy_(torch.cat(
            [module.q_proj.weight * query_scale, module.k_proj.weight, module.v_proj.weight]))
        twin.out_proj.weight.copy_(module.out_proj.weight)
        if bias:
            twin.in_proj_bias.copy_(torch.cat([module.q_proj.bias * query_scale, module.k_proj.bias, module.v_proj.bias]))
            twin.out_proj.bias.copy_(module.out_proj.bias)
    return twin.eval()


torch.manual_seed(0)
mine = MultiHeadAttention(16, 4).eval()
twin = torch_twin(mine, 16, 4)
x = torch.randn(2, 5, 16)
with torch.no_grad():
    my_output, my_weights = mine(x, x, x)
    expected_output, expected_weights = twin(x, x, x, average_attn_weights=False)
assert my_output.shape == (2, 5, 16), f"output should be (batch, q_len, d_model) = (2, 5, 16), got {tuple(my_output.shape)}"
assert my_weights.shape == (2, 4, 5, 5), (
    f"weights should be per head, (batch, num_heads, q_len, k_len) = (2, 4, 5, 5), got {tuple(my_weights.shape)}")
torch.testing.assert_close(my_weights.sum(-1), torch.ones(2, 4, 5), atol=1e-5, rtol=0,
                           msg="each query's weights should sum to 1 over the KEY axis (last); softmax over dim=-1")
torch.testing.assert_close(my_weights, expected_weights, atol=1e-5, rtol=1e-4,
                           msg="weights differ from nn.MultiheadAttention: check the head split and the 1/sqrt(d_head) scale")
torch.testing.assert_close(my_output, expected_output, atol=1e-5, rtol=1e-4,
                           msg="output differs from nn.MultiheadAttention (weights match): check how you concatenate the heads")
print("Self-check passed: self-attention matches nn.MultiheadAttention.")
### BEGIN HIDDEN TESTS
def _check_unmasked(d_model, num_heads, batch, q_len, k_len, bias, seed):
    torch.manual_seed(seed)
    module = MultiHeadAttention(d_model, num_heads, bias=bias).eval()
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        layer = getattr(module, name)
        assert tuple(layer.weight.shape) == (d_model, d_model), (
            f"{name}.weight should be (d_model, d_model) = {(d_model, d_model)}, got {tuple(layer.weight.shape)}")
        assert (layer.bias is not None) == bias, f"{name}: bias={bias} was asked for; pass bias=bias to nn.Linear"
    reference = torch_twin(module, d_model, num_heads, bias=bias)
    query = 2 * torch.randn(batch, q_len, d_model)
    memory = 2 * torch.randn(batch, k_len, d_model)
    key, value = (query, query) if q_len == k_len else (memory, memory)
    with torch.no_grad():
        output, weights = module(query, key, value)
        expected_output, expected_weights = reference(query, key, value, average_attn_weights=False)
    where = f"(d_model={d_model}, num_heads={num_heads}, q_len={q_len}, k_len={k_len}, bias={bias})"
    assert weights.shape == expected_weights.shape, (
        f"weights should be (batch, num_heads, q_len, k_len) = {tuple(expected_weights.shape)} {where}, "
        f"got {tuple(weights.shape)}")
    assert output.shape == expected_output.shape, f"output should be {tuple(expected_output.shape)} {where}"
    row_sums = weights.sum(-1)
    if not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5):
        raise AssertionError(f"{where}: each query's weights must sum to 1 over the KEY axis (dim=-1); yours do "
                             "not: did you take the softmax over the query axis (dim=-2)?")
    if not torch.allclose(weights, expected_weights, atol=1e-5, rtol=1e-4):
        with torch.no_grad():
            too_flat = torch_twin(module, d_model, num_heads, bias=bias, query_scale=math.sqrt(1 / num_heads))
            _, flat_weights = too_flat(query, key, value, average_attn_weights=False)
        if torch.allclose(weights, flat_weights, atol=1e-5, rtol=1e-4):
            raise AssertionError(f"{where}: you divide the scores by sqrt(d_model); each head dots vectors of "
                                 "width d_head, so the scale is 1/sqrt(d_head) = 1/sqrt(d_model / num_heads)")
        raise AssertionError(f"{where}: weights differ from nn.MultiheadAttention. Check the head split: view the "
                             "projections as (batch, len, num_heads, d_head) and then transpose(1, 2); a plain reshape "
                             "to (batch, num_heads, len, d_head) mixes different tokens into one head")
    torch.testing.assert_close(output, expected_output, atol=1e-5, rtol=1e-4, msg=(
        f"{where}: weights match but the output does not: merge heads with transpose(1, 2) then reshape to "
        "(batch, q_len, d_model), then apply out_proj"))


_check_unmasked(16, 4, 2, 5, 5, True, 1)     # self-attention
_check_unmasked(24, 3, 3, 7, 7, False, 2)    # no bias, 3 heads of width 8
_check_unmasked(32, 8, 2, 4, 9, True, 3)     # cross-attention: q_len != k_len
_check_unmasked(12, 6, 1, 6, 3, True, 4)     # cross-attention, heads of width 2
_check_unmasked(20, 1, 2, 5, 5, True, 5)     # one head
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex05_1_test_b", "points": 2}
# Self-check (visible): a padding mask (True = padding, blocked), as in nn.MultiheadAttention.
torch.manual_seed(10)
mine = MultiHeadAttention(16, 4).eval()
twin = nn.MultiheadAttention(16, 4, batch_first=True).eval()
with torch.no_grad():
    twin.in_proj_weight.copy_(torch.cat([mine.q_proj.weight, mine.k_proj.weight, mine.v_proj.weight]))
    twin.in_proj_bias.copy_(torch.cat([mine.q_proj.bias, mine.k_proj.bias, mine.v_proj.bias]))
    twin.out_proj.load_state_dict(mine.out_proj.state_dict())
x = torch.randn(2, 6, 16)
padding = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])  # sentence 2 has 2 padding tokens
with torch.no_grad():
    my_output, my_weights = mine(x, x, x, key_padding_mask=padding)
    expected_output, expected_weights = twin(x, x, x, key_padding_mask=padding, average_attn_weights=False)
assert not my_output.isnan().any(), (
    "NaN in the output: some query has every key blocked. With nn.MultiheadAttention's convention True = BLOCKED; "
    "did you invert the mask, or broadcast key_padding_mask (batch, k_len) along the query axis? Use [:, None, None, :]")
assert my_weights[1, :, :, 4:].abs().max() == 0, (
    "queries still attend to padding keys: key_padding_mask True means 'padding, blocked' -> weight 0")
torch.testing.assert_close(my_weights, expected_weights, atol=1e-5, rtol=1e-4, msg="masked weights differ from nn.MultiheadAttention")
torch.testing.assert_close(my_output, expected_output, atol=1e-5, rtol=1e-4, msg="masked output differs from nn.MultiheadAttention")
print("Self-check passed: key_padding_mask handled like nn.MultiheadAttention.")
### BEGIN HIDDEN TESTS
def _check_masked(d_model, num_heads, lengths, q_len, causal, seed):
    torch.manual_seed(seed)
    batch, k_len = len(lengths), max(lengths)
    module = MultiHeadAttention(d_model, num_heads).eval()
    reference = nn.MultiheadAttention(d_model, num_heads, batch_first=True).eval()
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([module.q_proj.weight, module.k_proj.weight, module.v_proj.weight]))
        reference.in_proj_bias.copy_(torch.cat([module.q_proj.bias, module.k_proj.bias, module.v_proj.bias]))
        reference.out_proj.load_state_dict(module.out_proj.state_dict())
    padding = torch.arange(k_len)[None, :] >= torch.tensor(lengths)[:, None]  # (batch, k_len), True = pad
    memory = 2 * torch.randn(batch, k_len, d_model)
    query = memory if q_len is None else 2 * torch.randn(batch, q_len, d_model)
    q_len = query.shape[1]
    causal_mask = torch.triu(torch.ones(q_len, k_len, dtype=torch.bool), diagonal=1) if causal else None
    where = f"(d_model={d_model}, heads={num_heads}, lengths={lengths}, q_len={q_len}, causal={causal})"
    with torch.no_grad():
        output, weights = module(query, memory, memory, key_padding_mask=padding, attn_mask=causal_mask)
        expected_output, expected_weights = reference(query, memory, memory, key_padding_mask=padding,
                                                      attn_mask=causal_mask, average_attn_weights=False)
        # Behaviour: what sits in a padded position must not change any output.
        noisy_memory = memory.masked_fill(padding[:, :, None], 0.0) + 100 * padding[:, :, None]
        noisy_query = noisy_memory if query is memory else query
        noisy_output, _ = module(noisy_query, noisy_memory, noisy_memory, key_padding_mask=padding, attn_mask=causal_mask)
    if output.isnan().any():
        raise AssertionError(f"{where}: NaN in the output, i.e. a query with every key blocked. The masks follow "
                             "nn.MultiheadAttention: True = BLOCKED (set to -inf). Did you invert a mask?")
    blocked = padding[:, None, None, :].expand_as(weights).clone()
    if causal:
        blocked |= causal_mask
    if weights[blocked].abs().max() > 0:
        raise AssertionError(f"{where}: blocked positions get weight {weights[blocked].abs().max():.3f}; they must get "
                             "exactly 0 (masked_fill the SCORES with -inf before the softmax, where the mask is True)")
    torch.testing.assert_close(weights, expected_weights, atol=1e-5, rtol=1e-4,
                               msg=f"{where}: masked weights differ from nn.MultiheadAttention")
    torch.testing.assert_close(output, expected_output, atol=1e-5, rtol=1e-4,
                               msg=f"{where}: masked output differs from nn.MultiheadAttention")
    if query is memory:  # self-attention: compare only the real (non-padding) query rows
        real = ~padding
        torch.testing.assert_close(noisy_output[real], output[real], atol=1e-5, rtol=1e-4,
                                   msg=f"{where}: changing padding tokens changed real tokens' outputs")
    else:
        torch.testing.assert_close(noisy_output, output, atol=1e-5, rtol=1e-4,
                                   msg=f"{where}: changing padded encoder positions changed the output")


_check_masked(16, 4, [6, 4], None, False, 11)      # self-attention, padding only
_check_masked(16, 2, [5, 5, 5], None, True, 12)    # causal only (no padding)
_check_masked(24, 3, [7, 3, 5], None, True, 13)    # causal + padding
_check_masked(32, 8, [9, 2, 6], 4, False, 14)      # cross-attention with a padded encoder output
# Each mask on its own, left padding, an arbitrary (not causal) attn_mask, float64, inputs unchanged, and
# no library attention while your module is built and runs.
from course.checks import assert_dtype, call_checking_inputs, forbidden

_library_attention = ("torch.nn.MultiheadAttention", "torch.nn.functional.multi_head_attention_forward",
                      "torch.nn.functional.scaled_dot_product_attention")
torch.manual_seed(15)
with forbidden(*_library_attention, namespace=globals(), reason="Split the heads and attend with tensor operations"):
    module = MultiHeadAttention(16, 4).eval()
reference = torch_twin(module, 16, 4)
x = 2 * torch.randn(3, 6, 16)
left_padding = torch.tensor([[False] * 6, [True] * 2 + [False] * 4, [True] * 5 + [False]])  # pads at the START
arbitrary = torch.rand(6, 6) < 0.4
arbitrary[:, -1] = False  # every query keeps the last key (never padding): no row is left empty
for padding_mask, attention_mask, what in ((left_padding, None, "key_padding_mask alone (left padding)"),
                                           (None, arbitrary, "attn_mask alone (an arbitrary, non-causal mask)"),
                                           (left_padding, arbitrary, "both masks, left padding")):
    with torch.no_grad():
        expected_output, expected_weights = reference(x, x, x, key_padding_mask=padding_mask, attn_mask=attention_mask,
                                                      average_attn_weights=False)
        with forbidden(*_library_attention, namespace=globals(),
                       reason="Split the heads and attend with tensor operations"):
            output, weights = call_checking_inputs(module, x, x, x, key_padding_mask=padding_mask,
                                                   attn_mask=attention_mask, name="MultiHeadAttention.forward")
    real = ~left_padding if padding_mask is not None else torch.ones(3, 6, dtype=torch.bool)
    torch.testing.assert_close(weights, expected_weights, atol=1e-5, rtol=1e-4,
                               msg=f"with {what}, your weights differ from nn.MultiheadAttention: apply each mask "
                                   "whenever it is given (True = blocked), whatever the other one is, and read the "
                                   "padding from key_padding_mask itself (pads may come first)")
    torch.testing.assert_close(output[real], expected_output[real], atol=1e-5, rtol=1e-4,
                               msg=f"with {what}, your output differs from nn.MultiheadAttention")
module64, x64 = module.double(), x.double()
with torch.no_grad():
    output64, weights64 = module64(x64, x64, x64, key_padding_mask=left_padding)
assert_dtype(output64, torch.float64, "the output of a float64 module")
assert_dtype(weights64, torch.float64, "the weights of a float64 module")
### END HIDDEN TESTS

# %% [markdown]
# With the weights of a real model, the same few lines reproduce its attention exactly — we do that with
# MiniLM in section 6, using `nn.MultiheadAttention` (so the lesson runs before you finish the exercise).
#
# **Takeaway:** multi-head attention is four linear maps around one batched scaled dot-product attention; the
# reshapes and the masks are where the bugs hide.

# %% [markdown]
# ## 5b. Fix this module
#
# Below is a multi-head attention that follows the paper's per-head formula literally, with one loop over the
# heads. It runs, its output has the right shape — and it has **exactly two bugs**. It differs from
# `nn.MultiheadAttention` in what a head is allowed to see and in how sharp its softmax is.

# %%
class BuggyMultiHeadAttention(nn.Module):
    """Multi-head attention written head by head. Two bugs."""

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        # One query, key and value projection per head: W_i^Q, W_i^K, W_i^V.
        self.q_heads = nn.ModuleList([nn.Linear(self.d_head, self.d_head) for _ in range(num_heads)])
        self.k_heads = nn.ModuleList([nn.Linear(self.d_head, self.d_head) for _ in range(num_heads)])
        self.v_heads = nn.ModuleList([nn.Linear(self.d_head, self.d_head) for _ in range(num_heads)])
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query, key, value, attn_mask=None):
        """query (batch, q_len, d_model), key/value (batch, k_len, d_model), attn_mask None or bool (q_len, k_len),
        True = blocked. Returns (batch, q_len, d_model)."""
        head_outputs = []
        for h in range(self.num_heads):
            features = slice(h * self.d_head, (h + 1) * self.d_head)
            q = self.q_heads[h](query[..., features])  # (batch, q_len, d_head)
            k = self.k_heads[h](key[..., features])    # (batch, k_len, d_head)
            v = self.v_heads[h](value[..., features])  # (batch, k_len, d_head)
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_model)  # (batch, q_len, k_len)
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            weights = scores.softmax(dim=-1)
            head_outputs.append(weights @ v)  # (batch, q_len, d_head)
        return self.out_proj(torch.cat(head_outputs, dim=-1))  # (batch, q_len, d_model)


buggy = BuggyMultiHeadAttention(12, 3)
print("output shape:", tuple(buggy(torch.randn(2, 5, 12), torch.randn(2, 5, 12), torch.randn(2, 5, 12)).shape))
print("parameters:", sum(p.numel() for p in buggy.parameters()),
      "vs nn.MultiheadAttention:", sum(p.numel() for p in nn.MultiheadAttention(12, 3).parameters()))

# %% [markdown]
# ### Exercise 05.2 — fix `BuggyMultiHeadAttention` (4 points)
#
# Copy `BuggyMultiHeadAttention`'s two method bodies into `FixedMultiHeadAttention` below and fix **both** bugs.
# Keep the structure so that the tests can load weights into it: the attributes `d_model`, `num_heads`,
# `d_head`, `q_heads`, `k_heads`, `v_heads` (each an `nn.ModuleList` of `num_heads` `nn.Linear` with bias, one per
# head) and `out_proj` (`nn.Linear(d_model, d_model)`), the loop over heads, the same `forward` signature, and
# `forward` returns only the output `(batch, q_len, d_model)`.
#
# Hints: compare the parameter count with `nn.MultiheadAttention`'s (section 4), and re-read section 3.
# Each bug has its own test cell (2 points each), so fixing one of them already earns points.

# %% nbgrader={"solution": true, "grade_id": "ex05_2"}
class FixedMultiHeadAttention(nn.Module):
    """BuggyMultiHeadAttention with its two bugs fixed (same attributes, same per-head loop)."""

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        # Each head projects the WHOLE token vector (d_model features) down to d_head.
        self.q_heads = nn.ModuleList([nn.Linear(d_model, self.d_head) for _ in range(num_heads)])
        self.k_heads = nn.ModuleList([nn.Linear(d_model, self.d_head) for _ in range(num_heads)])
        self.v_heads = nn.ModuleList([nn.Linear(d_model, self.d_head) for _ in range(num_heads)])
        self.out_proj = nn.Linear(d_model, d_model)
        ### END SOLUTION

    def forward(self, query, key, value, attn_mask=None):
        """query (batch, q_len, d_model), key/value (batch, k_len, d_model), attn_mask None or bool (q_len, k_len),
        True = blocked. Returns (batch, q_len, d_model)."""
        ### BEGIN SOLUTION
        head_outputs = []
        for h in range(self.num_heads):
            q = self.q_heads[h](query)  # (batch, q_len, d_head)
            k = self.k_heads[h](key)    # (batch, k_len, d_head)
            v = self.v_heads[h](value)  # (batch, k_len, d_head)
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (batch, q_len, k_len)
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            weights = scores.softmax(dim=-1)
            head_outputs.append(weights @ v)  # (batch, q_len, d_head)
        return self.out_proj(torch.cat(head_outputs, dim=-1))  # (batch, q_len, d_model)
        ### END SOLUTION


# %% [markdown]
# The first test cell checks what each head *reads* (parameter shapes, and outputs in a case where the softmax
# scale cannot matter: a single key). The second checks the numbers against `nn.MultiheadAttention` with
# weights that both the buggy and the fixed projections can hold, so that it measures only the scale.

# %% nbgrader={"grade": true, "grade_id": "ex05_2_test_a", "points": 2}
# Self-check (visible): what a head reads. Independent of the softmax scale.
torch.manual_seed(20)
d_model, num_heads, d_head = 12, 3, 4
fixed = FixedMultiHeadAttention(d_model, num_heads)
for name in ("q_heads", "k_heads", "v_heads"):
    layers = getattr(fixed, name)
    assert len(layers) == num_heads, f"{name} should hold one nn.Linear per head ({num_heads}), got {len(layers)}"
    for h, layer in enumerate(layers):
        assert tuple(layer.weight.shape) == (d_head, d_model), (
            f"{name}[{h}].weight has shape {tuple(layer.weight.shape)}; expected (d_head, d_model) = {(d_head, d_model)}: "
            "W_i^Q is d_model x d_head in the paper, every head reads the WHOLE token vector, not a slice of it")
n_parameters = sum(p.numel() for p in fixed.parameters())
expected_parameters = sum(p.numel() for p in nn.MultiheadAttention(d_model, num_heads).parameters())
assert n_parameters == expected_parameters, (
    f"{n_parameters} parameters, nn.MultiheadAttention has {expected_parameters} = 4 d_model² + 4 d_model")
print("Self-check passed: every head projects all d_model features.")
### BEGIN HIDDEN TESTS
def _load_full_width(module, reference, d_model, num_heads):
    """Copy nn.MultiheadAttention's projections into per-head layers that read all d_model features."""
    d_head = d_model // num_heads
    with torch.no_grad():
        for index, name in enumerate(("q_heads", "k_heads", "v_heads")):
            for h, layer in enumerate(getattr(module, name)):
                rows = slice(index * d_model + h * d_head, index * d_model + (h + 1) * d_head)
                layer.weight.copy_(reference.in_proj_weight[rows])
                layer.bias.copy_(reference.in_proj_bias[rows])
        module.out_proj.load_state_dict(reference.out_proj.state_dict())


for d_model, num_heads, batch, q_len, seed in ((12, 3, 2, 5, 21), (20, 4, 3, 2, 22), (16, 8, 1, 7, 23)):
    torch.manual_seed(seed)
    d_head = d_model // num_heads
    fixed = FixedMultiHeadAttention(d_model, num_heads).eval()
    for name in ("q_heads", "k_heads", "v_heads"):
        for h, layer in enumerate(getattr(fixed, name)):
            assert tuple(layer.weight.shape) == (d_head, d_model), (
                f"d_model={d_model}, num_heads={num_heads}: {name}[{h}].weight should be (d_head, d_model) = "
                f"{(d_head, d_model)}, got {tuple(layer.weight.shape)}")
    reference = nn.MultiheadAttention(d_model, num_heads, batch_first=True).eval()
    with torch.no_grad():
        nn.init.normal_(reference.in_proj_bias, std=0.5)
    _load_full_width(fixed, reference, d_model, num_heads)
    # A single key/value (an encoder output of length 1): every softmax weight is exactly 1 whatever the scale,
    # so this compares only what the value projections read.
    query, memory = torch.randn(batch, q_len, d_model), torch.randn(batch, 1, d_model)
    with torch.no_grad():
        expected, _ = reference(query, memory, memory)
        try:
            output = fixed(query, memory, memory)
        except RuntimeError as error:
            raise AssertionError("forward fails with full-width per-head projections: feed each head the whole "
                                 f"token vector (query, key, value), not a slice of its features ({error})") from None
    torch.testing.assert_close(output, expected, atol=1e-5, rtol=1e-4, msg=(
        f"d_model={d_model}, num_heads={num_heads}: with one key, the output should equal nn.MultiheadAttention's; "
        "each head must project the whole value vector"))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex05_2_test_b", "points": 2}
# Self-check (visible): numbers against nn.MultiheadAttention. The reference's projections are made
# block-diagonal (head h reads only features h*d_head ... (h+1)*d_head - 1): a weight that a head reading the
# whole vector and a head reading only its slice can both hold. So this cell measures the scale, whether or
# not the projection bug is fixed yet.
def load_block_diagonal(module, reference, d_model, num_heads):
    """Make `reference`'s q/k/v projections block-diagonal and copy all its weights into `module`."""
    d_head = d_model // num_heads
    with torch.no_grad():
        blocks = torch.block_diag(*[torch.ones(d_head, d_head)] * num_heads)  # (d_model, d_model)
        reference.in_proj_weight.mul_(blocks.repeat(3, 1))
        nn.init.normal_(reference.in_proj_bias, std=0.5)
        for index, name in enumerate(("q_heads", "k_heads", "v_heads")):
            for h, layer in enumerate(getattr(module, name)):
                rows = slice(index * d_model + h * d_head, index * d_model + (h + 1) * d_head)
                weight = reference.in_proj_weight[rows]                    # (d_head, d_model)
                if layer.in_features == d_head:                            # a head that reads only its slice
                    weight = weight[:, h * d_head:(h + 1) * d_head]
                layer.weight.copy_(weight)
                layer.bias.copy_(reference.in_proj_bias[rows])
        module.out_proj.load_state_dict(reference.out_proj.state_dict())


torch.manual_seed(30)
d_model, num_heads = 12, 3
fixed = FixedMultiHeadAttention(d_model, num_heads).eval()
reference = nn.MultiheadAttention(d_model, num_heads, batch_first=True).eval()
load_block_diagonal(fixed, reference, d_model, num_heads)
x = 3 * torch.randn(2, 6, d_model)
with torch.no_grad():
    expected, _ = reference(x, x, x)
    output = fixed(x, x, x)
torch.testing.assert_close(output, expected, atol=1e-5, rtol=1e-4, msg=(
    "output differs from nn.MultiheadAttention: look at how sharp each head's softmax is, i.e. the scale"))
print("Self-check passed: the scores are scaled like nn.MultiheadAttention's.")
### BEGIN HIDDEN TESTS
for d_model, num_heads, batch, q_len, k_len, causal, seed in ((32, 8, 2, 5, 5, True, 31), (24, 4, 3, 4, 9, False, 32),
                                                              (20, 2, 1, 6, 6, False, 33)):
    torch.manual_seed(seed)
    fixed = FixedMultiHeadAttention(d_model, num_heads).eval()
    reference = nn.MultiheadAttention(d_model, num_heads, batch_first=True).eval()
    load_block_diagonal(fixed, reference, d_model, num_heads)
    query, memory = 3 * torch.randn(batch, q_len, d_model), 3 * torch.randn(batch, k_len, d_model)
    mask = torch.triu(torch.ones(q_len, k_len, dtype=torch.bool), diagonal=1) if causal else None
    with torch.no_grad():
        expected, _ = reference(query, memory, memory, attn_mask=mask)
        output = fixed(query, memory, memory, attn_mask=mask)
        # the same reference with every query multiplied by sqrt(1 / num_heads) = scaling by sqrt(d_model)
        reference.in_proj_weight[:d_model] *= math.sqrt(1 / num_heads)
        reference.in_proj_bias[:d_model] *= math.sqrt(1 / num_heads)
        too_flat, _ = reference(query, memory, memory, attn_mask=mask)
    where = f"d_model={d_model}, num_heads={num_heads}"
    if torch.allclose(output, too_flat, atol=1e-5, rtol=1e-4):
        raise AssertionError(f"{where}: the scores are divided by sqrt(d_model). A head's query and key have d_head "
                             "features, so the scale is 1/sqrt(d_head); sqrt(d_model) makes every head's softmax "
                             f"sqrt(num_heads) = {math.sqrt(num_heads):.2f} times too flat")
    torch.testing.assert_close(output, expected, atol=1e-5, rtol=1e-4,
                               msg=f"{where}: output differs from nn.MultiheadAttention")
### END HIDDEN TESTS

# %% [markdown]
# **Takeaway:** a module can run, return the right shapes and still be wrong; count its parameters, and compare
# it with a reference in tests built to isolate one property at a time.

# %% [markdown]
# ## 6. What MiniLM's heads do
#
# MiniLM (`all-MiniLM-L6-v2`) has 6 layers of 12 heads of width 32 ($d_{\text{model}} = 384$). First, a
# check that its self-attention *is* the module of this lesson: we copy layer 0's `query`, `key`, `value`
# and `output.dense` weights into `nn.MultiheadAttention(384, 12)`, feed it the embeddings that enter layer 0,
# and compare its weights with the ones MiniLM returns.

# %%
tokenizer, model = course.load_minilm()
sentence = "The cat sat on the mat because it was tired."
encoded = tokenizer(sentence, return_tensors="pt")
sentence_tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
with torch.no_grad():
    minilm_output = model(**encoded, output_attentions=True, output_hidden_states=True)
attentions = minilm_output.attentions  # 6 tensors of shape (batch, heads=12, len, len)
print(len(attentions), "layers, each", tuple(attentions[0].shape))

layer_0 = model.encoder.layer[0].attention
copied = nn.MultiheadAttention(384, 12, batch_first=True).eval()
with torch.no_grad():
    copied.in_proj_weight.copy_(torch.cat([layer_0.self.query.weight, layer_0.self.key.weight, layer_0.self.value.weight]))
    copied.in_proj_bias.copy_(torch.cat([layer_0.self.query.bias, layer_0.self.key.bias, layer_0.self.value.bias]))
    copied.out_proj.load_state_dict(layer_0.output.dense.state_dict())
    embeddings = minilm_output.hidden_states[0]  # what enters layer 0: (batch, len, 384)
    _, copied_weights = copied(embeddings, embeddings, embeddings, average_attn_weights=False)
print("largest difference from MiniLM's layer-0 weights:", f"{(copied_weights - attentions[0]).abs().max():.2e}")

# %% [markdown]
# Now all 72 maps at once, rows = layers, columns = heads, on one shared colour scale:

# %%
course.plot_attention_grid(attentions, sentence_tokens, cell_size=1.25,
                           title=f"MiniLM attention, rows = layers, columns = heads: {sentence!r}")
plt.show()

# %% [markdown]
# Some maps have an obvious structure — a bright off-diagonal, a bright first column. Rather than pick
# "interesting" heads by eye from one sentence, we **measure** a few patterns for every head, averaged over
# several sentences. For a weight map $A$ (queries × keys) of a sentence of $n$ tokens:
#
# - previous token: mean of $A_{i,i-1}$ over queries $i \ge 1$;
# - next token: mean of $A_{i,i+1}$;
# - `[CLS]` sink: mean weight on key 0 (the `[CLS]` token);
# - `[SEP]` sink: mean weight on the last key (the `[SEP]` token).
#
# A head that always attends to the previous token scores 1.0; a head that spreads its weight uniformly
# scores about $1/n$ (here ≈ 0.08).

# %%
probe_sentences = [
    "The cat sat on the mat because it was tired.",
    "Attention lets every word look at every other word.",
    "She gave him the book that she had borrowed from the library.",
    "Transformers replaced recurrent networks in most language systems.",
    "A small model can still learn surprisingly rich patterns.",
]
pattern_names = ["previous token", "next token", "[CLS] sink", "[SEP] sink"]
pattern_scores = {name: torch.zeros(6, 12) for name in pattern_names}  # (layers, heads)
for text in probe_sentences:
    with torch.no_grad():
        maps = torch.stack(model(**tokenizer(text, return_tensors="pt"), output_attentions=True).attentions)[:, 0]
    # maps: (layers, heads, len, len) for this sentence
    pattern_scores["previous token"] += maps.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1) / len(probe_sentences)
    pattern_scores["next token"] += maps.diagonal(offset=1, dim1=-2, dim2=-1).mean(-1) / len(probe_sentences)
    pattern_scores["[CLS] sink"] += maps[..., 0].mean(-1) / len(probe_sentences)
    pattern_scores["[SEP] sink"] += maps[..., -1].mean(-1) / len(probe_sentences)

fig, axes = plt.subplots(1, 4, figsize=(10, 2.7), layout="constrained")
for ax, name in zip(axes, pattern_names):
    image = ax.imshow(pattern_scores[name], cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"{name}: mean weight")
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_xticks(range(12))
    ax.set_yticks(range(6))
fig.colorbar(image, ax=axes, fraction=0.015, label="mean attention weight")
fig.suptitle(f"Measured head patterns in MiniLM, averaged over {len(probe_sentences)} sentences")
plt.show()

for name in pattern_names:
    score = pattern_scores[name]
    best_layer, best_head = divmod(int(score.argmax()), 12)
    print(f"{name:15s} strongest head: layer {best_layer}, head {best_head:2d}  (score {score.max():.2f})")
print(f"share of heads in layers 1-4 that put > 40% of their weight on [CLS]: "
      f"{(pattern_scores['[CLS] sink'][1:5] > 0.4).float().mean():.0%}")
print(f"same for [SEP]: {(pattern_scores['[SEP] sink'][1:5] > 0.4).float().mean():.0%}")

# %% [markdown]
# What the measurements say:
#
# - **Layer 0, head 2 is a previous-token head**: its score is ≈ 1.00, every token looks at the word just
#   before it. A **next-token** head exists too (layer 1, head 8), weaker. Such positional heads let later
#   layers combine neighbouring tokens (Elhage et al. 2021 build induction heads from previous-token heads).
# - **Most heads of the middle layers are dominated by `[CLS]`**: many put half or more of their weight on
#   key 0. Clark et al. (2019) found the same "no-op" behaviour in BERT-base, but on **`[SEP]`**; in MiniLM the
#   sink is `[CLS]`, and `[SEP]` gets almost nothing. That is exactly why we measure instead of quoting what
#   another model does. A head that has nothing useful to add for a token parks its weight on a sink
#   (Xiao et al. 2023 call these *attention sinks*).
#
# The two patterns side by side, on our sentence:

# %%
previous_layer, previous_head = divmod(int(pattern_scores["previous token"].argmax()), 12)
sink_layer, sink_head = divmod(int(pattern_scores["[CLS] sink"].argmax()), 12)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
course.plot_attention(attentions[previous_layer][0, previous_head], sentence_tokens, ax=axes[0],
                      title=f"previous-token head (layer {previous_layer}, head {previous_head})")
course.plot_attention(attentions[sink_layer][0, sink_head], sentence_tokens, ax=axes[1],
                      title=f"[CLS]-sink head (layer {sink_layer}, head {sink_head})")
fig.suptitle("Two MiniLM heads chosen by measurement")
fig.tight_layout()
plt.show()

# %% [markdown]
# Explore on your own: in JupyterLab or Colab the explorer below has a text box and layer / head pickers
# (in a non-interactive run it draws one static map). Try the next-token head (layer 1, head 8), or a sentence
# with a pronoun and look for heads that link "it" to its noun.

# %%
course.attention_explorer(model, tokenizer, "The trophy did not fit in the suitcase because it was too big.",
                          layer=previous_layer, head=previous_head)
plt.show()

# %% [markdown]
# ### Exercise 05.3 — read the measurement (1 point)
#
# In MiniLM's layers 1–4, which key receives the largest share of attention in most heads?
#
# - (a) the previous token, one step to the left of the query
# - (b) the `[CLS]` token, the first key of every sentence
# - (c) the `[SEP]` token, the last key of every sentence
# - (d) the query token itself, on the diagonal of the map
#
# Set `answer_05_3` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex05_3"}
### BEGIN SOLUTION
answer_05_3 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex05_3_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_05_3", answer_05_3, (
    "quiz1:eyJrZXkiOiAiODQyNDAyMjcwYTA5MGM2M2Q3YmE5NmZlNzFiYzQ3NDU4ZjlhOGU4MWVhZjBkOWQ1MGZjMmE1MzFmMT"
    "M0NjgyMCIsICJuYW1lIjogImFuc3dlcl8wNV8zIiwgIm9wdGlvbnMiOiB7ImEiOiAiSjJZMHNEWHEyNmlrSDlYeDZjSkRsSm"
    "xnTEpPWHR2TjZadC9rb0lSZEFoVFY1OHlicms3VFRQL2QyUTY4Q0xoU1lWemdXai8wN3ovbWlQZFExSDdLM3E4L2FEWUlycm"
    "93Vngvc1ZkNnZDZlNuclI5ak52VmNtbWhFbmoxVFBYMzB6NkZJNmVZQUFEbFU3OExTV01zeEZIb1p4YW9GOFJ4RWtkZ2xZS0"
    "MwMDNkR1BucHMwSmFiNmFJTVVwbU5neXBmMlkxdXhSYzFLaGJnck44cDE3bEwwbmE5U1cyVTFXaTFRRlIxOHc3MmZLTDRrTV"
    "RFT09yanVZS25MQnBLIiwgImIiOiAiK3lQMm5JT1I5ellPNnpSbGtpV3dtN1h3M2dyUjZjL1llQU5pcG9ram5FenZpWlUwYj"
    "B3QjFKcVNEN0J1SEQ5RXNOR09wQmFoWnAzSzN4S1c3cDY2OFlWRU95Umlob0svU0N0dTVMWnBibnBiNGlmZUpUOUIxcmI0dk"
    "41WXoxU25hbHBaeGxJZHdoV1phbks5MnlnYjRIOWFkbjRuNFFDTkVyR3ljSDBLQy9aNlNrTWRuVXUrWnppdWk1VHZuajZyS2"
    "o3MkZValBDTWlJWmNxZllld0ZSb09PYnlXMmVyMS9vU1pmQjNyZjdtZEZ3QkU4bjZzVGZaeHpyQT09IiwgImMiOiAid1paMG"
    "Mwa2dRWVRBV01pWVY1dkh3cjk1T1p5dUpXOEVXUmdRSzZOVHJobVRxOC9Ob0F5aVg5cTgzWitpMHFQN3hVK2o2T2d0dVdmZF"
    "lTbTlabkNLVjZqYllFMEp5bGNpaVYrKzk2WGN0dlFEdndybUdSanA3bFIrdlZPd0FNYUJlbG9zVkE2aittczdIbldDUk9WWm"
    "13RElwbUZMYUpOK1lwaDAyeXRtRUc4Q2RwdnhTci9iN2RqeDJaWW94ZkUxSjB4L0lOUnExSUR1VjdNbm9aSzY4aEJUNG9tYU"
    "pMaFBGTlM2TnlrMmxiNThqYlJGeWc5T0hJelIrRVNPUXc9PSIsICJkIjogInhDY1JDdkRIdkhXK2FIa3BTOTZhckdIZWwwN0"
    "U1VnRleEp6L3BJdWtRYjgrT3NYZjIzS3RVUS82TTV0bWJqWTdhUEZhZFV3bVMrQUEwUHNqOUZ5bHZnbktwaUpZRGJNMnRaYk"
    "55USswbFpLRVhhZnptbDZmemwxdmYvb253aGNLd3QydHo0c2ZRaDFzS1djTEVPRVA2bWFpMkFPa3dZbTh0b2VDcVpWdU1pZ3"
    "hOS2puRUI2Rzh0Mzh5Wk1WQTRyMVUxTUd6NDVxUWR2NXBPL3pOaENPbG52ZVdnZFh2L3JCRVJkeDdmY0kzYkxNOStEYyJ9LC"
    "Aic2FsdCI6ICI2YWNiNGExNzA1NGQwMWRmIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_05_3", answer_05_3, "b", {
    "a": "The previous-token pattern is real but rare: it is one head of layer 0. In layers 1-4 the measured "
         "'[CLS] sink' grid is the bright one: most heads put half or more of their weight on key 0.",
    "b": "The '[CLS] sink' grid is bright in layers 1-4: most heads put half or more of their weight on key 0, "
         "the [CLS] token, a 'no-op' place to park attention when a head has nothing to look up.",
    "c": "[SEP] is the sink of BERT-base (Clark et al., 2019), so this is a fair guess, but the measured '[SEP] "
         "sink' grid of MiniLM is dark: here the sink is [CLS], key 0. Measure rather than assume.",
    "d": "Attending to oneself would show as a bright diagonal; the measurement puts the largest share of most "
         "heads of layers 1-4 on key 0, the [CLS] token, not on the query's own position.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Common mistakes
#
# **1. A scale that does not match the vectors being dotted.** Lesson 04's $1/\sqrt{d}$ must use the width of
# the vectors that are actually dotted together (section 3). A scale taken from a width $h$ times too large
# shrinks every score by $\sqrt{h}$, so every softmax is too flat; nothing crashes. Measured on MiniLM's real
# queries and keys of layer 0, with a scale $\sqrt{12} \approx 3.5$ times too large:

# %%
with torch.no_grad():
    hidden = minilm_output.hidden_states[0]                                  # (1, len, 384)
    q = layer_0.self.query(hidden).view(1, -1, 12, 32).transpose(1, 2)       # (1, heads, len, 32)
    k = layer_0.self.key(hidden).view(1, -1, 12, 32).transpose(1, 2)
    right = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(32), dim=-1)   # the right scale
    wrong = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(32 * 12), dim=-1)  # sqrt(12) times too large
print(f"mean largest weight per query: right scale -> {right.max(-1).values.mean():.2f}, "
      f"scale sqrt(12) times too large -> {wrong.max(-1).values.mean():.2f}")
print(f"the previous-token head's weight on the previous token: {right[0, 2].diagonal(-1).mean():.2f} -> "
      f"{wrong[0, 2].diagonal(-1).mean():.2f}")

# %% [markdown]
# Fix: re-read section 3 for the width that belongs in the scale, and test against `nn.MultiheadAttention`
# with several numbers of heads — a wrong temperature never shows in the shapes.
#
# **2. Splitting heads with a reshape but no transpose.** `x.reshape(batch, heads, len, d_head)` on a
# `(batch, len, d_model)` tensor runs without error but fills each "head" with pieces of *different tokens*.
# Label every feature with the index of the token it belongs to and look at what lands in each head:

# %%
batch, seq_len, heads, head_width = 1, 4, 2, 3
d_model = heads * head_width
token_of = torch.arange(seq_len)[None, :, None].expand(batch, seq_len, d_model)    # (1, 4, 6): token index
feature_of = torch.arange(d_model)[None, None, :].expand(batch, seq_len, d_model)  # (1, 4, 6): feature index
splits = {
    "view + transpose(1, 2) (right)": lambda x: x.reshape(batch, seq_len, heads, head_width).transpose(1, 2),
    "reshape only (wrong)": lambda x: x.reshape(batch, heads, seq_len, head_width),
}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.1))
for ax, (title, split) in zip(axes, splits.items()):
    tokens_in_heads = split(token_of)[0].reshape(heads * seq_len, head_width)      # rows: (head, position)
    features_in_heads = split(feature_of)[0].reshape(heads * seq_len, head_width)
    ax.imshow(tokens_in_heads, cmap="tab10", vmin=0, vmax=9, aspect="auto")
    for row in range(heads * seq_len):
        for col in range(head_width):
            ax.text(col, row, f"token {tokens_in_heads[row, col]}, f{features_in_heads[row, col]}",
                    ha="center", va="center", fontsize=8)
    ax.set_yticks(range(heads * seq_len), [f"head {r // seq_len}, pos {r % seq_len}" for r in range(heads * seq_len)])
    ax.set_xticks(range(head_width))
    ax.set_xlabel("feature slot within the head")
    ax.set_title(title)
fig.suptitle("What lands in each head: source token (colour) and feature f of d_model")
fig.tight_layout()
plt.show()

# %% [markdown]
# On the right, "head 0" holds token 0 at positions 0 *and* 1 (its own features f0–f2, then head 1's
# features f3–f5), token 1 at positions 2 and 3, and head 1 never sees tokens 0 and 1 at all: positions in a
# head no longer correspond to tokens, and the attention maps are nonsense — yet every shape is right. Fix: `x.view(batch, len, heads, d_head).transpose(1, 2)`, and the mirror image when
# concatenating: `transpose(1, 2).reshape(batch, len, d_model)`.
#
# **3. Inverting the mask convention.** `nn.MultiheadAttention` blocks where the boolean mask is `True`;
# `F.scaled_dot_product_attention` *allows* where it is `True`. Passing a mask built for one to the other
# attends only to padding — or, for a sentence without padding, blocks every key and returns NaN:

# %%
attention = nn.MultiheadAttention(8, 2, batch_first=True).eval()
x = torch.randn(2, 4, 8)
attention_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])  # Hugging Face style: 1 = real token
with torch.no_grad():
    _, right_weights = attention(x, x, x, key_padding_mask=attention_mask == 0)  # True = padding: correct
    _, wrong_weights = attention(x, x, x, key_padding_mask=attention_mask == 1)  # True = real token: inverted
print("right: weight on padding keys of sentence 2 =", right_weights[1, :, 2:].sum().item())
print("wrong: sentence 1 weights (all keys blocked) ->", wrong_weights[0, 0].tolist())
print("wrong: sentence 2 weight on its padding keys =", wrong_weights[1, :, 2:].sum(-1).tolist())

# %% [markdown]
# Fix: build the boolean mask for the convention of the function you call (`key_padding_mask =
# attention_mask == 0` for `nn.MultiheadAttention`), and draw it with `course.plot_mask(...,
# convention="blocked")` when in doubt. Lesson 09 is all about masks.
#
# **4. Slicing the input features per head.** A head that projects only its $d_{\text{model}}/h$ slice of the
# token vector has $h$ times fewer projection weights and cannot combine features from different slices;
# nothing crashes. Section 3 says what a head must read; the parameter count, $4d^2 + 4d$ like
# `nn.MultiheadAttention`'s, gives the bug away.

# %% [markdown]
# ## Summary
#
# - **Self-attention**: $Q, K, V$ from one sequence, square weights. **Cross-attention**: $Q$ from the decoder,
#   $K, V$ from the encoder output, weights `(target_len, source_len)`.
# - **Multi-head attention** = project with full-width $W^Q, W^K, W^V$ → split the feature axis into $h$ heads
#   (`view` + `transpose`) → scaled dot-product attention in each head with $1/\sqrt{d_{\text{head}}}$ → concatenate
#   → $W^O$. Several heads let one layer attend to several places at once.
# - **Cost**: $4d^2 + 4d$ parameters and $8nd^2 + 4n^2 d$ FLOPs, independent of $h$; the $n^2$ term dominates
#   beyond $n = 2d$.
# - **Masks** in `nn.MultiheadAttention`: `True` = blocked, set to $-\infty$ before the softmax.
# - **Real heads specialise**, and we find out how by measuring: MiniLM has a near-perfect previous-token head
#   (layer 0, head 2) and many heads that park their attention on `[CLS]`.
#
# ## Going further
#
# - A. Vaswani, N. Shazeer, N. Parmar, J. Uszkoreit, L. Jones, A. N. Gomez, Ł. Kaiser, I. Polosukhin (2017),
#   *Attention Is All You Need* — section 3.2.2, multi-head attention.
# - K. Clark, U. Khandelwal, O. Levy, C. D. Manning (2019), *What Does BERT Look At? An Analysis of BERT's
#   Attention* — previous-token heads, `[SEP]` as a no-op sink.
# - E. Voita, D. Talbot, F. Moiseev, R. Sennrich, I. Titov (2019), *Analyzing Multi-Head Self-Attention:
#   Specialized Heads Do the Heavy Lifting, the Rest Can Be Pruned*.
# - P. Michel, O. Levy, G. Neubig (2019), *Are Sixteen Heads Really Better than One?*
# - N. Elhage et al. (2021), *A Mathematical Framework for Transformer Circuits* (Anthropic) — previous-token
#   and induction heads.
# - G. Xiao, Y. Tian, B. Chen, S. Han, M. Lewis (2023), *Efficient Streaming Language Models with Attention Sinks*.
# - N. Shazeer (2019), *Fast Transformer Decoding: One Write-Head is All You Need* (multi-query attention), and
#   J. Ainslie, J. Lee-Thorp, M. de Jong, Y. Zemlyanskiy, F. Lebrón, S. Sanghai (2023), *GQA: Training
#   Generalized Multi-Query Transformer Models from Multi-Head Checkpoints* (EMNLP) — heads that share keys and
#   values, used by most recent LLMs.
# - W. Wang, F. Wei, L. Dong, H. Bao, N. Yang, M. Zhou (2020), *MiniLM: Deep Self-Attention Distillation for
#   Task-Agnostic Compression of Pre-Trained Transformers*.
# - J. Vig (2019), *A Multiscale Visualization of Attention in the Transformer Model* (BertViz).
# - PyTorch documentation: [`torch.nn.MultiheadAttention`](https://pytorch.org/docs/stable/generated/torch.nn.MultiheadAttention.html),
#   [`torch.nn.functional.scaled_dot_product_attention`](https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html).
# - Hugging Face documentation: [BERT](https://huggingface.co/docs/transformers/model_doc/bert) (`output_attentions`).

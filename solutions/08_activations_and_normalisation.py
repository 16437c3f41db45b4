# ---
# jupyter:
#   course:
#     title: "Activation functions and normalisation"
#     budget_seconds: 45
# ---

# %% [markdown]
# # Lesson 08 · Activation functions and normalisation
# {{COLAB_BADGE}}
#
# Between its attention and feed-forward matrices, every Transformer layer applies two small functions that
# decide whether it trains at all: a **non-linearity** inside the feed-forward network, and a
# **normalisation** around each sub-layer. This lesson writes both from scratch and checks them number for
# number against PyTorch and against the real MiniLM.
#
# **You will be able to:**
# - write GELU in its exact ($\operatorname{erf}$) form and its $\tanh$ approximation, and say which models
#   use which (BERT/MiniLM: exact, GPT-2: $\tanh$), next to ReLU, SiLU and the SwiGLU feed-forward of LLaMA;
# - explain which axis LayerNorm normalises and show with numbers why BatchNorm's batch statistics are a poor
#   fit for padded, variable-length text;
# - implement LayerNorm with the **biased** variance and the $\varepsilon$ **inside** the square root, and
#   match `nn.LayerNorm` exactly;
# - implement RMSNorm and say what it drops from LayerNorm and why modern LLMs use it.
#
# **Prerequisites:** lessons 01–07 (lesson 06 uses LayerNorm inside the encoder layer). **Time:** about
# 75 minutes.

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
import torch.nn.functional as F
from torch import nn

import course

course.set_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. Why a non-linearity at all?
#
# A feed-forward network is two linear maps, $\operatorname{FFN}(x) = W_2\,\phi(W_1 x + b_1) + b_2$. Without
# the activation $\phi$ the two maps collapse into **one** linear map $W_2 W_1$: no matter how many layers
# you stack, the model could only compute linear functions of its input. Let us check that with numbers.

# %%
first, second = nn.Linear(8, 32), nn.Linear(32, 8)
x_demo = torch.randn(5, 8)                                   # (tokens=5, d_model=8)
with torch.no_grad():
    two_layers = second(first(x_demo))                       # no activation in between
    merged = nn.Linear(8, 8)                                 # one layer with W = W2 W1, b = W2 b1 + b2
    merged.weight.copy_(second.weight @ first.weight)
    merged.bias.copy_(second.weight @ first.bias + second.bias)
    print("two linear layers == one linear layer:", torch.allclose(two_layers, merged(x_demo), atol=1e-6))
    with_relu = second(torch.relu(first(x_demo)))
    print("with a ReLU in between, largest difference from the merged layer:",
          f"{(with_relu - merged(x_demo)).abs().max().item():.3f}")

# %% [markdown]
# **Takeaway:** the activation is what makes depth worth having; without it, a stack of linear layers is one
# linear layer.

# %% [markdown]
# ## 2. ReLU, GELU and SiLU
#
# Three activations cover almost every Transformer:
#
# | name | formula | used by |
# |---|---|---|
# | ReLU | $\max(0, x)$ | the 2017 Transformer, T5 v1.0 |
# | GELU | $x\,\Phi(x) = \tfrac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)$ | BERT and MiniLM as run by `transformers` (see below), RoBERTa, ViT |
# | GELU, $\tanh$ form | $\tfrac{x}{2}\left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)$ | OpenAI GPT, GPT-2 |
# | SiLU (Swish) | $x\,\sigma(x) = x / (1 + e^{-x})$ | inside SwiGLU: LLaMA, Mistral, Qwen |
#
# $\Phi$ is the cumulative distribution function of the standard normal distribution. GELU ("Gaussian error
# linear unit", Hendrycks & Gimpel 2016) multiplies its input by the probability that a standard normal
# variable is below it: large positive inputs pass almost unchanged, large negative ones are cut to zero,
# and in between the curve is smooth. The $\tanh$ form is an approximation given in the GELU paper itself,
# for frameworks without a fast $\operatorname{erf}$; OpenAI's GPT and GPT-2 were trained with it, so their
# weights expect it. (SiLU was named in the same paper.)
#
# "BERT uses the exact form" needs a nuance: Google's original TensorFlow code for BERT (`modeling.py`)
# computes GELU with the $\tanh$ formula, while `transformers` maps BERT's `hidden_act="gelu"` to the exact
# $\operatorname{erf}$ form, and that is what runs when you load BERT or MiniLM with it. The two differ by at
# most about $5\times10^{-4}$ (measured below), small enough that the weights work with either.
#
# The derivatives tell how each function passes gradients back. We compute them with autograd.

# %%
x_grid = torch.linspace(-4, 4, 81, requires_grad=True)       # (81,)
activations = {
    "ReLU": torch.relu,
    "GELU (exact, erf)": nn.GELU(approximate="none"),
    "GELU (tanh approx.)": nn.GELU(approximate="tanh"),
    "SiLU": F.silu,
}
values, derivatives = {}, {}
for name, function in activations.items():
    output = function(x_grid)
    (gradient,) = torch.autograd.grad(output.sum(), x_grid)  # d output_i / d x_i, one per grid point
    values[name], derivatives[name] = output.detach(), gradient

x_plot = x_grid.detach()
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
course.plot_curves(x_plot, values, xlabel="x", ylabel="φ(x)", title="Activation functions", ax=left)
course.plot_curves(x_plot, derivatives, xlabel="x", ylabel="φ'(x)", title="Their derivatives", ax=right)
plt.tight_layout()
plt.show()

# %% [markdown]
# What the pictures say:
# - **ReLU** has derivative exactly 0 for every negative input: a unit whose input stays negative gets no
#   gradient at all (a "dead" unit), and the derivative jumps from 0 to 1 at the origin.
# - **GELU** and **SiLU** are smooth, let a little signal through for slightly negative inputs (they even dip
#   below zero, to about $-0.17$ and $-0.28$), and their derivatives change gradually.
# - The two GELU curves lie on top of each other. They are **not** identical, though:

# %%
x_fine = torch.linspace(-6, 6, 241, dtype=torch.float64)
gelu_gap = nn.GELU(approximate="tanh")(x_fine) - nn.GELU(approximate="none")(x_fine)
course.plot_curves(x_fine, {"tanh form − exact form": gelu_gap}, xlabel="x", ylabel="difference",
                   title="GELU: the tanh approximation is off by up to 5e-4")
plt.show()
print(f"largest |difference|: {gelu_gap.abs().max().item():.2e} at x = {x_fine[gelu_gap.abs().argmax()].item():.2f}")

# %% [markdown]
# A difference of $5\times 10^{-4}$ is small, but not zero: a model trained with one form and run with the
# other gives slightly different numbers (section 8 measures it on MiniLM). So which form does a model use?
# It is written in its config, under a key that depends on the model family. MiniLM is a BERT: its `hidden_act`
# is `"gelu"`, which `transformers` maps to the exact form; LLaMA's `hidden_act` is `"silu"`; GPT-2's config
# names the key `activation_function` instead, with the value `"gelu_new"`, the $\tanh$ form.

# %%
tokenizer, model = course.load_minilm()
print("MiniLM hidden_act:", model.config.hidden_act)
print("MiniLM's feed-forward activation module:", model.encoder.layer[0].intermediate.intermediate_act_fn)

from transformers.activations import ACT2FN  # the table that turns a config string into a module

for config_name in ("gelu", "gelu_new", "gelu_pytorch_tanh", "silu", "relu"):
    module = ACT2FN[config_name]
    gap_exact = (module(x_fine) - nn.GELU(approximate="none")(x_fine)).abs().max().item()
    gap_tanh = (module(x_fine) - nn.GELU(approximate="tanh")(x_fine)).abs().max().item()
    print(f"{config_name:18s} -> {type(module).__name__:22s} max gap to exact GELU {gap_exact:.1e}, "
          f"to tanh GELU {gap_tanh:.1e}")

# %% [markdown]
# **Takeaway:** GELU comes in two forms; `"gelu"` (BERT, MiniLM) is the exact $\operatorname{erf}$ form,
# `"gelu_new"` (GPT-2) the $\tanh$ form — read `hidden_act` (BERT, LLaMA) or `activation_function` (GPT-2) in
# the config instead of guessing.

# %% [markdown]
# ### Exercise 08.1 — GELU, both forms (3 points)
#
# Write `gelu(x, approximate="none")`.
#
# - `x`: a float tensor of any shape (float32 or float64). Return a tensor of the same shape and dtype.
# - `approximate="none"`: the exact form $\tfrac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)$.
# - `approximate="tanh"`: the approximation
#   $\tfrac{x}{2}\left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)$.
# - Use `torch.erf` and `torch.tanh`; do **not** call `F.gelu`, `nn.GELU` or `transformers`' activations.
#
# Your function must match `nn.GELU(approximate=...)` to within $10^{-5}$: the two forms differ by up to
# $5\times10^{-4}$, so the tests can tell them apart. 2 points for the exact form, 1 for the $\tanh$ form.

# %% nbgrader={"solution": true, "grade_id": "ex08_1"}
def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """Gaussian error linear unit, element-wise.

    Args:
        x: float tensor, any shape.
        approximate: "none" for x * Phi(x) written with erf, "tanh" for the tanh approximation.

    Returns:
        Tensor with the shape and dtype of x.
    """
    ### BEGIN SOLUTION
    if approximate == "tanh":
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_1_test_a", "points": 2}
# Self-check: the exact form against nn.GELU() on a grid that includes x = ±2.7, where the forms differ most.
x_check = torch.linspace(-5, 5, 201)
gelu_exact_check = gelu(x_check, approximate="none")
assert gelu_exact_check.shape == x_check.shape, f"gelu must keep the shape {tuple(x_check.shape)}"
torch.testing.assert_close(
    gelu_exact_check, nn.GELU(approximate="none")(x_check), atol=1e-5, rtol=1e-5,
    msg="gelu(x, 'none') differs from nn.GELU(): the exact form is 0.5 * x * (1 + erf(x / sqrt(2)))")
torch.testing.assert_close(gelu(x_check), gelu_exact_check, msg="the default must be approximate='none'")
print("Self-check passed: your exact GELU matches nn.GELU().")
### BEGIN HIDDEN TESTS
torch.manual_seed(81)
x_hidden = torch.linspace(-6, 6, 1201, dtype=torch.float64)
tanh_form = 0.5 * x_hidden * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x_hidden + 0.044715 * x_hidden**3)))
assert not torch.allclose(gelu(x_hidden, "none"), tanh_form, atol=1e-6, rtol=0), (
    "gelu(x, 'none') returns the tanh approximation; 'none' means the exact form 0.5 * x * (1 + erf(x / sqrt(2)))"
    " — BERT and MiniLM use it (hidden_act='gelu')")
assert not torch.allclose(gelu(x_hidden, "none"), x_hidden * torch.sigmoid(1.702 * x_hidden), atol=1e-6), (
    "gelu(x, 'none') returns the sigmoid approximation x * sigmoid(1.702 x); write the exact erf form")
assert not torch.allclose(gelu(x_hidden, "none"), 0.5 * x_hidden * (1 + torch.erf(x_hidden)), atol=1e-6), (
    "the erf must be taken of x / sqrt(2), not of x: Phi(x) = (1 + erf(x / sqrt(2))) / 2")
for shape in [(3, 4), (2, 5, 7), (1,)]:
    x_random = torch.randn(shape) * 3
    torch.testing.assert_close(gelu(x_random, "none"), nn.GELU()(x_random), atol=1e-5, rtol=1e-5,
                               msg=f"exact GELU differs from nn.GELU() on a tensor of shape {shape}")
assert gelu(x_hidden, "none").dtype == torch.float64, "gelu must keep the dtype of its input (float64 here)"
torch.testing.assert_close(gelu(x_hidden, "none"), nn.GELU()(x_hidden), atol=1e-6, rtol=1e-6,
                           msg="in float64 your exact GELU should match nn.GELU() to 1e-6")
# From scratch (F.gelu, which nn.GELU and transformers' activations call, is blocked), input unchanged.
from course.checks import call_checking_inputs, forbidden

expected = nn.GELU()(x_hidden)
with forbidden("torch.nn.functional.gelu", namespace=globals(), reason="Use torch.erf"):
    mine_exact = call_checking_inputs(gelu, x_hidden, "none")
torch.testing.assert_close(mine_exact, expected)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex08_1_test_b", "points": 1}
# Self-check: the tanh form against nn.GELU(approximate="tanh").
x_check = torch.linspace(-5, 5, 201)
torch.testing.assert_close(
    gelu(x_check, approximate="tanh"), nn.GELU(approximate="tanh")(x_check), atol=1e-5, rtol=1e-5,
    msg="gelu(x, 'tanh') differs from nn.GELU(approximate='tanh'): "
        "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))")
print("Self-check passed: your tanh GELU matches nn.GELU(approximate='tanh').")
### BEGIN HIDDEN TESTS
x_hidden = torch.linspace(-6, 6, 1201, dtype=torch.float64)
reference_tanh = nn.GELU(approximate="tanh")(x_hidden)
mine_tanh = gelu(x_hidden, "tanh")
assert mine_tanh.dtype == torch.float64, f"gelu(x, 'tanh') must keep the dtype of x (float64 here), got {mine_tanh.dtype}"
assert not torch.allclose(mine_tanh, nn.GELU()(x_hidden), atol=1e-6, rtol=0), (
    "gelu(x, 'tanh') returns the exact erf form; the 'tanh' option must compute the tanh approximation "
    "(GPT-2's 'gelu_new')")
no_cube = 0.5 * x_hidden * (1 + torch.tanh(math.sqrt(2 / math.pi) * x_hidden))
assert not torch.allclose(mine_tanh, no_cube, atol=1e-6), (
    "the cubic term is missing: the argument of tanh is sqrt(2 / pi) * (x + 0.044715 * x**3)")
for wrong_constant, name in [(math.sqrt(2 * math.pi), "sqrt(2 * pi)"), (2 / math.pi, "2 / pi"),
                             (math.sqrt(math.pi / 2), "sqrt(pi / 2)")]:
    wrong = 0.5 * x_hidden * (1 + torch.tanh(wrong_constant * (x_hidden + 0.044715 * x_hidden**3)))
    assert not torch.allclose(mine_tanh, wrong, atol=1e-6), (
        f"you used {name} in front of the bracket; the constant is sqrt(2 / pi) ≈ 0.7979")
for shape in [(3, 4), (2, 5, 7)]:
    x_random = torch.randn(shape) * 3
    torch.testing.assert_close(gelu(x_random, "tanh"), nn.GELU(approximate="tanh")(x_random),
                               atol=1e-5, rtol=1e-5, msg=f"tanh GELU differs from PyTorch on shape {shape}")
torch.testing.assert_close(mine_tanh, reference_tanh, atol=1e-6, rtol=1e-6,
                           msg="in float64 your tanh GELU should match nn.GELU(approximate='tanh') to 1e-6")
# From scratch (F.gelu is blocked), input unchanged, float64 kept.
from course.checks import assert_dtype, call_checking_inputs, forbidden

with forbidden("torch.nn.functional.gelu", namespace=globals(), reason="Use torch.tanh"):
    mine_tanh = call_checking_inputs(gelu, x_hidden, "tanh")
assert_dtype(mine_tanh, torch.float64, "gelu(x, 'tanh')")
torch.testing.assert_close(mine_tanh, reference_tanh)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. SiLU and the SwiGLU feed-forward of modern LLMs
#
# LLaMA and most recent open LLMs replace the feed-forward network's single activation with a **gated**
# one (Shazeer 2020). Two projections of the input are computed side by side; one goes through SiLU and
# acts as a soft, learned gate on the other:
#
# $$\operatorname{FFN}_\text{SwiGLU}(x) = W_\text{down}\left(\operatorname{SiLU}(W_\text{gate}\,x) \odot W_\text{up}\,x\right)$$
#
# There are three matrices instead of two, so to keep the same number of parameters the hidden width is
# shrunk from $4d$ to about $\tfrac{8}{3}d$. Here is that block written with `nn.Linear`, checked against
# `transformers`' own `LlamaMLP` with the weights copied across.

# %%
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaMLP


class SwiGLUFeedForward(nn.Module):
    """down(silu(gate(x)) * up(x)); x: (..., d_model) -> (..., d_model)."""

    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        self.gate = nn.Linear(d_model, d_hidden, bias=False)
        self.up = nn.Linear(d_model, d_hidden, bias=False)
        self.down = nn.Linear(d_hidden, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.silu(self.gate(x)) * self.up(x))  # (..., d_hidden) gated, then back to d_model


d_model, d_hidden = 384, 1024                                # 1024 ≈ 8/3 × 384
swiglu = SwiGLUFeedForward(d_model, d_hidden)
llama_mlp = LlamaMLP(LlamaConfig(hidden_size=d_model, intermediate_size=d_hidden, hidden_act="silu"))
with torch.no_grad():
    llama_mlp.gate_proj.weight.copy_(swiglu.gate.weight)
    llama_mlp.up_proj.weight.copy_(swiglu.up.weight)
    llama_mlp.down_proj.weight.copy_(swiglu.down.weight)
    tokens_demo = torch.randn(2, 6, d_model)                 # (batch, seq, d_model)
    print("max |ours − LlamaMLP|:", f"{(swiglu(tokens_demo) - llama_mlp(tokens_demo)).abs().max().item():.1e}")

gelu_ffn_parameters = 2 * d_model * (4 * d_model)             # MiniLM's FFN: 384 -> 1536 -> 384 (no biases)
swiglu_parameters = sum(p.numel() for p in swiglu.parameters())
print(f"GELU FFN (hidden 4d = 1536): {gelu_ffn_parameters:,} weights; SwiGLU (hidden 1024): {swiglu_parameters:,}")

# %% [markdown]
# **Takeaway:** SwiGLU = SiLU used as a multiplicative gate; three matrices with a hidden width of about
# $\tfrac{8}{3}d$ cost the same as the classic two with $4d$.

# %% [markdown]
# ## 4. Why normalise? Activation statistics inside MiniLM
#
# Each sub-layer **adds** its output to the residual stream, so the scale of the vectors can drift from layer
# to layer and from token to token. A normalisation layer resets every token vector to a standard scale before
# it goes on. Let us look at the vectors that enter and leave the LayerNorm at the end of MiniLM's first
# layer: we record them with a *forward hook*, a function PyTorch calls with a module's input and output.

# %%
sentence = "Normalisation keeps every token on the same scale, whatever its neighbours do."
encoded = tokenizer(sentence, return_tensors="pt")
token_labels = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
recorded = {}


def record_layer_norm(module, inputs, output):
    recorded["before"], recorded["after"] = inputs[0].detach(), output.detach()


final_norm = model.encoder.layer[0].output.LayerNorm
hook = final_norm.register_forward_hook(record_layer_norm)
with torch.no_grad():
    model(**encoded)
hook.remove()

before = recorded["before"][0]                               # (seq, 384): residual + FFN output
after = recorded["after"][0]                                 # (seq, 384): LayerNorm output
standardised = F.layer_norm(before, (384,), eps=final_norm.eps)  # before the learned scale and shift
print(final_norm)

# %%
positions = list(range(len(token_labels)))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
course.plot_curves(positions, {"before LayerNorm": before.mean(-1), "standardised": standardised.mean(-1),
                               "after LayerNorm (with γ, β)": after.mean(-1)},
                   xlabel="token", ylabel="mean over the 384 features", title="Per-token mean", ax=left)
course.plot_curves(positions, {"before LayerNorm": before.std(-1, correction=0),
                               "standardised": standardised.std(-1, correction=0),
                               "after LayerNorm (with γ, β)": after.std(-1, correction=0)},
                   xlabel="token", ylabel="std over the 384 features", title="Per-token standard deviation",
                   logy=True, ax=right)
for ax in (left, right):
    ax.set_xticks(positions, token_labels, rotation=90)
plt.tight_layout()
plt.show()

# %%
fig, axes = plt.subplots(1, 3, figsize=(9.3, 2.8))
for ax, (name, tensor) in zip(axes, [("before LayerNorm", before), ("standardised", standardised),
                                     ("after LayerNorm (with γ, β)", after)]):
    ax.hist(tensor.flatten().numpy(), bins=100, log=True)
    ax.set_title(f"{name}: values of all tokens")
    ax.set_xlabel("activation value")
    ax.set_ylabel("count (log scale)")
plt.tight_layout()
plt.show()
print(f"largest |value| before: {before.abs().max().item():.1f}, after: {after.abs().max().item():.1f}")

# %% [markdown]
# Before the LayerNorm, the standard deviation of a token vector ranges over more than an order of
# magnitude: the `[CLS]` vector is about fifteen times larger than the word vectors, with one feature above
# 200. Standardising puts every token at mean 0 and standard deviation 1; the learned scale
# $\gamma$ and shift $\beta$ then give each feature the range the next layer was trained to expect.
#
# **Takeaway:** LayerNorm takes each token vector on its own and resets its mean and scale; the learned
# $\gamma, \beta$ decide the final range.

# %% [markdown]
# ## 5. LayerNorm versus BatchNorm: which axis?
#
# Both layers compute a mean and a variance and standardise with them. They differ in **which numbers share
# the statistics**. For a batch of text of shape `(batch, seq, features)`:
#
# - **LayerNorm** (Ba, Kiros & Hinton 2016): one mean and variance **per token**, over its `features`.
# - **BatchNorm** (Ioffe & Szegedy 2015): one mean and variance **per feature**, over every token of every
#   sentence in the batch — padding included, unless you go out of your way to remove it. At inference it
#   switches to running averages collected during training.
#
# The picture colours the entries that share one mean and variance, for a padded batch of two sentences.

# %%
row_labels = ["s1: the", "s1: cat", "s1: sat", "s2: hello", "s2: [PAD]", "s2: [PAD]"]
n_rows, n_features = len(row_labels), 8
groups = {"LayerNorm: one group per token (row)": torch.arange(n_rows)[:, None].expand(n_rows, n_features),
          "BatchNorm: one group per feature (column),\nacross all tokens of the batch, [PAD] included":
              torch.arange(n_features)[None, :].expand(n_rows, n_features)}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, (title, group) in zip(axes, groups.items()):
    ax.imshow(group.numpy(), cmap="tab10", aspect="auto")
    ax.set_yticks(range(n_rows), row_labels)
    ax.set_xticks(range(n_features), [f"f{j}" for j in range(n_features)])
    ax.set_xlabel("feature")
    ax.set_ylabel("token (batch × seq, flattened)")
    ax.set_title(title, fontsize=10)
fig.suptitle("Same colour = same mean and variance")
plt.tight_layout()
plt.show()

# %% [markdown]
# Why does that matter for text? With BatchNorm, the output for a sentence depends on **what else is in the
# batch** and on **how much padding** the batch needs. We take MiniLM's word vectors for one sentence and
# normalise them in four different batches: alone; next to a short sentence; next to a long one (so our
# sentence gets padded); padded to 32 positions. We compare our sentence's real tokens each time.

# %%
target = "The cat sat on the mat."
companions = {
    "alone": [],
    "with a short sentence": ["Hi!"],
    "with a long sentence (target padded)": [("Stock markets fell sharply on Monday after the central bank "
                                              "raised its interest rates again.")],
    "alone, padded to 32": [],
}
n_real = len(tokenizer(target)["input_ids"])                 # real tokens of the target, [CLS] and [SEP] included
outputs = {"BatchNorm (batch statistics)": {}, "LayerNorm": {}}
for setting, others in companions.items():
    padding = {"padding": "max_length", "max_length": 32} if "32" in setting else {"padding": True}
    batch = tokenizer([target, *others], **padding, return_tensors="pt")
    with torch.no_grad():
        word_vectors = model.embeddings.word_embeddings(batch["input_ids"])  # (batch, seq, 384)
    # BatchNorm1d wants (batch, channels, length): features must be on axis 1, hence the transposes.
    batch_normed = F.batch_norm(word_vectors.transpose(1, 2), None, None, training=True).transpose(1, 2)
    layer_normed = F.layer_norm(word_vectors, (384,))
    outputs["BatchNorm (batch statistics)"][setting] = batch_normed[0, :n_real]  # (n_real, 384)
    outputs["LayerNorm"][setting] = layer_normed[0, :n_real]

for method, by_setting in outputs.items():
    print(method)
    reference = by_setting["alone"]
    for setting, normed in by_setting.items():
        print(f"    {setting:38s} max change of the target's outputs: {(normed - reference).abs().max().item():.3f}")

# %% [markdown]
# With LayerNorm the target's vectors are bit-for-bit the same in every batch. With BatchNorm they change by
# whole units, just because of its neighbours and its padding: the same sentence gets a different
# representation in training depending on how it was batched, and yet another one at inference (running
# averages). Text batches are small, vary in length and are full of `[PAD]` vectors, so batch statistics are
# noisy and biased; Shen et al. (2020) measured this instability in Transformers.
#
# A last practical trap: `nn.BatchNorm1d(C)` expects the features on **axis 1** (`(batch, C, length)`), while
# Transformer tensors keep them last. Forgetting the transpose raises an error at best:

# %%
try:
    nn.BatchNorm1d(384)(torch.randn(2, 7, 384))              # (batch, seq, features): wrong layout
except RuntimeError as error:
    print("RuntimeError:", str(error)[:120])

# %% [markdown]
# …and at worst (when `seq` happens to equal the number of features) silently normalises the wrong axis.
#
# **Takeaway:** LayerNorm normalises each token over its features, so a token's output never depends on the
# rest of the batch; BatchNorm's per-feature batch statistics do, which is why Transformers use LayerNorm.

# %% [markdown]
# ## 6. LayerNorm, exactly
#
# For one token vector $x \in \mathbb{R}^d$ (the last axis), with learned $\gamma, \beta \in \mathbb{R}^d$:
#
# $$\mu = \frac{1}{d}\sum_{i=1}^d x_i, \qquad \sigma^2 = \frac{1}{d}\sum_{i=1}^d (x_i - \mu)^2, \qquad
# \operatorname{LN}(x)_i = \gamma_i\,\frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta_i.$$
#
# Two details decide whether you match `nn.LayerNorm` to 6 digits or only to 1:
#
# - **The biased variance.** $\sigma^2$ divides by $d$, not $d-1$. `torch.var` and `torch.std` divide by
#   $d - 1$ *by default* (the unbiased estimator of statistics courses); you must ask for
#   `correction=0` (or `unbiased=False`). The two differ by a factor $d/(d-1)$: negligible for $d = 384$,
#   a third for $d = 4$.
# - **$\varepsilon$ inside the square root.** $\varepsilon$ (`eps`) keeps the division finite when a vector
#   is (nearly) constant. PyTorch adds it to the variance, *then* takes the root. The default is `1e-5`;
#   BERT and MiniLM use `1e-12` (`layer_norm_eps` in the config) — the module remembers its own.
#
# You can see the first detail in PyTorch's own output: a LayerNorm output has **biased** variance 1.

# %%
layer_norm_4 = nn.LayerNorm(4)                               # γ = 1, β = 0 at initialisation
short_vectors = torch.randn(3, 4) * 5 + 2                    # (tokens=3, d=4)
with torch.no_grad():
    normed_short = layer_norm_4(short_vectors)
print("biased variance (correction=0) of each output row:  ", normed_short.var(-1, correction=0))
print("unbiased variance (the default) of each output row:", normed_short.var(-1))
print("MiniLM's LayerNorm eps:", model.config.layer_norm_eps, "   nn.LayerNorm's default eps:", nn.LayerNorm(4).eps)

# %% [markdown]
# **Takeaway:** LayerNorm = mean and **biased** variance over the last axis, $\varepsilon$ added **under**
# the square root, then a learned per-feature scale and shift.

# %% [markdown]
# ### Exercise 08.2 — LayerNorm from scratch (4 points)
#
# Write `layer_norm(x, weight, bias, eps=1e-5)`.
#
# - `x`: float tensor `(..., d)`, any number of leading axes; `weight` ($\gamma$) and `bias` ($\beta$):
#   tensors of shape `(d,)`; `eps`: a positive float.
# - Normalise over the **last** axis only, with the **biased** variance and `eps` **inside** the square root,
#   then scale by `weight` and shift by `bias`. Return a tensor of the shape and dtype of `x`; do not modify
#   `x` in place.
# - Do not call `F.layer_norm`, `nn.LayerNorm` or `torch.layer_norm`.
#
# It must match `F.layer_norm(x, (d,), weight, bias, eps)`. 2 points for the reference check on several
# shapes, 2 for the details (`eps`, dtype, no in-place change).

# %% nbgrader={"solution": true, "grade_id": "ex08_2"}
def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Layer normalisation over the last axis.

    Args:
        x: (..., d) float tensor.
        weight: (d,) scale gamma.
        bias: (d,) shift beta.
        eps: added to the (biased) variance under the square root.

    Returns:
        (..., d) tensor: weight * (x - mean) / sqrt(var + eps) + bias.
    """
    ### BEGIN SOLUTION
    mean = x.mean(dim=-1, keepdim=True)                      # (..., 1)
    variance = x.var(dim=-1, keepdim=True, correction=0)     # (..., 1), biased: divides by d
    return weight * (x - mean) / torch.sqrt(variance + eps) + bias
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_2_test_a", "points": 2}
# Self-check against F.layer_norm on three shapes, including a short last axis (d = 4).
torch.manual_seed(82)
for shape in [(2, 3, 4), (5, 384), (2, 2, 3, 16)]:
    x_check = torch.randn(shape) * 3 + 1
    weight_check, bias_check = torch.randn(shape[-1]), torch.randn(shape[-1])
    ours = layer_norm(x_check, weight_check, bias_check)
    assert ours.shape == x_check.shape, f"layer_norm must keep the shape {shape}, got {tuple(ours.shape)}"
    torch.testing.assert_close(
        ours, F.layer_norm(x_check, (shape[-1],), weight_check, bias_check, 1e-5), atol=1e-5, rtol=1e-4,
        msg=f"layer_norm differs from F.layer_norm on shape {shape}: normalise over the LAST axis with the "
            "BIASED variance (divide by d, not d - 1), then apply weight and bias")
print("Self-check passed: your layer_norm matches F.layer_norm.")
### BEGIN HIDDEN TESTS
torch.manual_seed(820)
x_hidden = torch.randn(6, 5, 4) * 2 + 3
weight_hidden, bias_hidden = torch.rand(4) + 0.5, torch.randn(4)
expected = F.layer_norm(x_hidden, (4,), weight_hidden, bias_hidden, 1e-5)
mine = layer_norm(x_hidden, weight_hidden, bias_hidden)
unbiased = weight_hidden * (x_hidden - x_hidden.mean(-1, keepdim=True)) / torch.sqrt(
    x_hidden.var(-1, keepdim=True, correction=1) + 1e-5) + bias_hidden
assert not torch.allclose(mine, unbiased, atol=1e-4), (
    "you used the UNBIASED variance (dividing by d - 1, torch.var's default); LayerNorm divides by d: "
    "use x.var(-1, correction=0) or ((x - mean) ** 2).mean(-1)")
for axis in (0, 1):
    other_axis = weight_hidden * (x_hidden - x_hidden.mean(axis, keepdim=True)) / torch.sqrt(
        x_hidden.var(axis, keepdim=True, correction=0) + 1e-5) + bias_hidden
    assert not torch.allclose(mine, other_axis, atol=1e-4), (
        f"you normalised over axis {axis}; LayerNorm normalises each vector over the LAST axis (dim=-1)")
no_affine = F.layer_norm(x_hidden, (4,), eps=1e-5)
assert not torch.allclose(mine, no_affine, atol=1e-4), "weight (gamma) and bias (beta) must be applied"
torch.testing.assert_close(mine, expected, atol=1e-5, rtol=1e-4, msg="layer_norm differs from F.layer_norm")
for shape in [(7, 4), (1, 1, 9), (3, 2, 1, 384), (4,)]:
    x_random = torch.randn(shape) * 4 - 2
    weight_random, bias_random = torch.randn(shape[-1]), torch.randn(shape[-1])
    torch.testing.assert_close(layer_norm(x_random, weight_random, bias_random),
                               F.layer_norm(x_random, (shape[-1],), weight_random, bias_random, 1e-5),
                               atol=1e-5, rtol=1e-4, msg=f"layer_norm differs from F.layer_norm on shape {shape}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex08_2_test_b", "points": 2}
# Self-check: a large eps and a tiny-variance input, where eps matters, and MiniLM's own LayerNorm.
torch.manual_seed(83)
x_check = torch.randn(3, 4) * 0.1                            # variance ≈ 0.01, comparable to eps below
weight_check, bias_check = torch.ones(4), torch.zeros(4)
torch.testing.assert_close(
    layer_norm(x_check, weight_check, bias_check, eps=0.01), F.layer_norm(x_check, (4,), eps=0.01),
    atol=1e-5, rtol=1e-4, msg="with eps=0.01 your output differs from F.layer_norm: is eps used, and where?")
minilm_norm = model.encoder.layer[0].output.LayerNorm
with torch.no_grad():
    torch.testing.assert_close(
        layer_norm(before, minilm_norm.weight, minilm_norm.bias, minilm_norm.eps), after, atol=1e-4, rtol=1e-4,
        msg="your layer_norm does not reproduce MiniLM's LayerNorm (eps = 1e-12) on its real activations")
print("Self-check passed: eps is handled like PyTorch, and you reproduce MiniLM's LayerNorm.")
### BEGIN HIDDEN TESTS
torch.manual_seed(830)
x_hidden = torch.randn(5, 8) * 0.05 + 1.0                    # tiny variance: eps dominates
weight_hidden, bias_hidden = torch.randn(8), torch.randn(8)
mine = layer_norm(x_hidden, weight_hidden, bias_hidden, eps=0.01)
centred = x_hidden - x_hidden.mean(-1, keepdim=True)
eps_outside = weight_hidden * centred / (x_hidden.var(-1, keepdim=True, correction=0).sqrt() + 0.01) + bias_hidden
assert not torch.allclose(mine, eps_outside, atol=1e-4), (
    "eps is added OUTSIDE the square root (std + eps); LayerNorm computes (x - mean) / sqrt(var + eps)")
no_eps = weight_hidden * centred / x_hidden.var(-1, keepdim=True, correction=0).sqrt() + bias_hidden
assert not torch.allclose(mine, no_eps, atol=1e-4), "the eps argument is ignored; add it to the variance"
torch.testing.assert_close(mine, F.layer_norm(x_hidden, (8,), weight_hidden, bias_hidden, 0.01),
                           atol=1e-5, rtol=1e-4, msg="with eps=0.01 your layer_norm differs from F.layer_norm")
# A constant vector: variance 0, so the output must be exactly the bias (no NaN, no inf).
constant = torch.full((2, 6), 3.0)
out_constant = layer_norm(constant, torch.randn(6), torch.arange(6.0))
assert torch.isfinite(out_constant).all(), "a constant vector gave NaN or inf: is eps inside the square root?"
torch.testing.assert_close(out_constant, torch.arange(6.0).expand(2, 6), msg="a constant vector must map to bias")
# float64 in, float64 out, and the input must not be modified.
x_double = torch.randn(3, 4, 6, dtype=torch.float64)
x_copy = x_double.clone()
out_double = layer_norm(x_double, torch.ones(6, dtype=torch.float64), torch.zeros(6, dtype=torch.float64), 1e-5)
assert out_double.dtype == torch.float64, "layer_norm must keep the dtype of x (float64 here)"
assert torch.equal(x_double, x_copy), "layer_norm modified its input x in place; compute new tensors instead"
torch.testing.assert_close(out_double, F.layer_norm(x_double, (6,), eps=1e-5), atol=1e-10, rtol=1e-10,
                           msg="on a (3, 4, 6) float64 tensor your layer_norm differs from F.layer_norm: "
                               "normalise over the last axis only")
# From scratch: the library's LayerNorm (and group norm, LayerNorm in disguise) is blocked.
from course.checks import assert_finite_and_close, call_checking_inputs, forbidden

x_hidden = torch.randn(4, 6) * 3
expected = F.layer_norm(x_hidden, (6,), eps=1e-5)
with forbidden("torch.nn.functional.layer_norm", "torch.layer_norm", "torch.nn.functional.group_norm",
               "torch.nn.LayerNorm", namespace=globals(), reason="Use x.mean and x.var(correction=0)"):
    torch.testing.assert_close(call_checking_inputs(layer_norm, x_hidden, torch.ones(6), torch.zeros(6)), expected,
                               atol=1e-5, rtol=1e-4)
# Numerically stable: activations with a large mean (3000 here; float32 keeps about 7 digits). The one-pass
# variance E[x^2] - E[x]^2 subtracts two numbers near 1e7 and loses every digit of a variance near 1.
x_large = torch.randn(8, 16) + 3e3
assert_finite_and_close(layer_norm(x_large, torch.ones(16), torch.zeros(16)), F.layer_norm(x_large, (16,), eps=1e-5),
                        what="layer_norm", atol=1e-3, rtol=1e-3,
                        hint="compute the variance from the centred values, ((x - mean) ** 2).mean(-1) or "
                             "x.var(-1, correction=0), not as mean(x**2) - mean(x)**2")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. RMSNorm
#
# Zhang & Sennrich (2019) asked which half of LayerNorm does the work: the re-centring (subtracting $\mu$) or
# the re-scaling (dividing by $\sigma$)? They found that re-scaling alone is enough, and dropped the mean
# and the bias $\beta$:
#
# $$\operatorname{RMS}(x) = \sqrt{\frac{1}{d}\sum_{i=1}^d x_i^2 + \varepsilon}, \qquad
# \operatorname{RMSNorm}(x)_i = \gamma_i\,\frac{x_i}{\operatorname{RMS}(x)}.$$
#
# One reduction instead of two makes it a little cheaper, and it trains as well; T5, LLaMA, Mistral, Qwen and
# Gemma use it. Note that the mean of the **squares** is not the variance: for a vector far from zero mean,
# RMSNorm and LayerNorm give very different outputs.
#
# PyTorch has it as `nn.RMSNorm`, with $\varepsilon$ inside the square root like LayerNorm. Careful with its
# default: `eps=None` is not a fixed constant. PyTorch documents it as `torch.finfo(x.dtype).eps`, the
# machine epsilon of the dtype the computation runs in, decided at call time (printed below for three
# dtypes) — so the same module, on the same small values, normalises differently in float32 and float64.
# LLaMA checkpoints set `rms_norm_eps` to `1e-6` or `1e-5` in their config. Pass the model's value explicitly.

# %%
rms_norm_default = nn.RMSNorm(4)
print("nn.RMSNorm(4).eps:", rms_norm_default.eps, "(None: the machine epsilon of the input's dtype)")
for dtype in (torch.float32, torch.float64, torch.bfloat16):
    print(f"  torch.finfo({dtype}).eps = {torch.finfo(dtype).eps:.1e}")
tiny_values = torch.full((1, 4), 1e-5)                       # RMS 1e-5, comparable to float32's eps
with torch.no_grad():
    print("default eps, float32 input:", rms_norm_default(tiny_values)[0, 0].item())
    print("default eps, float64 input:", rms_norm_default.double()(tiny_values.double())[0, 0].item())
offset_vectors = torch.randn(2, 4) + 10.0                    # far from zero mean
with torch.no_grad():
    print("RMSNorm  :", nn.RMSNorm(4, eps=1e-6)(offset_vectors))
    print("LayerNorm:", nn.LayerNorm(4)(offset_vectors))

# %% [markdown]
# **Takeaway:** RMSNorm divides by the root mean square (no centring, no bias); mind the `eps` default when
# porting a model.

# %% [markdown]
# ### Exercise 08.3 — RMSNorm from scratch (2 points)
#
# Write `rms_norm(x, weight, eps=1e-6)`.
#
# - `x`: float tensor `(..., d)`; `weight` ($\gamma$): tensor `(d,)`; `eps`: positive float.
# - Return $\gamma \odot x / \sqrt{\operatorname{mean}(x^2) + \varepsilon}$, the mean taken over the **last**
#   axis; same shape and dtype as `x`. No mean subtraction, no bias.
# - Do not call `F.rms_norm`, `nn.RMSNorm` or `torch.rms_norm`.
#
# It must match `nn.RMSNorm(d, eps=eps)` with the same weight.

# %% nbgrader={"solution": true, "grade_id": "ex08_3"}
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Root-mean-square normalisation over the last axis.

    Args:
        x: (..., d) float tensor.
        weight: (d,) scale gamma.
        eps: added to the mean of squares under the square root.

    Returns:
        (..., d) tensor: weight * x / sqrt(mean(x**2) + eps).
    """
    ### BEGIN SOLUTION
    mean_square = x.pow(2).mean(dim=-1, keepdim=True)       # (..., 1)
    return weight * x / torch.sqrt(mean_square + eps)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_3_test", "points": 2}
# Self-check against nn.RMSNorm (weight copied) on two shapes.
torch.manual_seed(84)
for shape in [(2, 3, 8), (5, 384)]:
    x_check = torch.randn(shape) * 2 + 0.5
    reference_module = nn.RMSNorm(shape[-1], eps=1e-6)
    with torch.no_grad():
        reference_module.weight.copy_(torch.randn(shape[-1]))
        expected_check = reference_module(x_check)
    ours = rms_norm(x_check, reference_module.weight.detach(), eps=1e-6)
    assert ours.shape == x_check.shape, f"rms_norm must keep the shape {shape}"
    torch.testing.assert_close(ours, expected_check, atol=1e-5, rtol=1e-4,
                               msg=f"rms_norm differs from nn.RMSNorm(eps=1e-6) on shape {shape}: compute "
                                   "weight * x / sqrt(mean of x**2 over the last axis + eps), without centring")
# Small values and a large eps: here it matters where eps goes.
x_small = torch.full((2, 4), 0.05)
with torch.no_grad():
    expected_small = nn.RMSNorm(4, eps=0.01)(x_small)
torch.testing.assert_close(rms_norm(x_small, torch.ones(4), eps=0.01), expected_small, atol=1e-5, rtol=1e-4,
                           msg="with small inputs and eps=0.01 your rms_norm differs from nn.RMSNorm(4, eps=0.01): "
                               "eps goes INSIDE the square root, sqrt(mean(x**2) + eps), not after it")
print("Self-check passed: your rms_norm matches nn.RMSNorm.")
### BEGIN HIDDEN TESTS
torch.manual_seed(840)
x_hidden = torch.randn(4, 6) + 3.0                            # mean far from 0
weight_hidden = torch.rand(6) + 0.5
mine = rms_norm(x_hidden, weight_hidden, eps=1e-6)
centred = x_hidden - x_hidden.mean(-1, keepdim=True)
as_layer_norm = weight_hidden * centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + 1e-6)
assert not torch.allclose(mine, as_layer_norm, atol=1e-3), (
    "you subtracted the mean: RMSNorm divides x itself by sqrt(mean(x**2) + eps), without centring")
with_sum = weight_hidden * x_hidden / torch.sqrt(x_hidden.pow(2).sum(-1, keepdim=True) + 1e-6)
assert not torch.allclose(mine, with_sum, atol=1e-4), "use the MEAN of the squares over the last axis, not the sum"
# Independent formula: a constant vector c gives weight * c / sqrt(c**2 + eps). Small c and a large eps
# make the place of eps visible.
c, eps_big = 0.05, 0.01
constant = torch.full((3, 5), c)
weight_random = torch.randn(5)
exact = weight_random * c / math.sqrt(c**2 + eps_big)
eps_outside = weight_random * c / (abs(c) + eps_big)
out_constant = rms_norm(constant, weight_random, eps=eps_big)
assert not torch.allclose(out_constant, eps_outside.expand(3, 5), atol=1e-4), (
    "eps is added OUTSIDE the square root (rms + eps); RMSNorm computes x / sqrt(mean(x**2) + eps)")
torch.testing.assert_close(out_constant, exact.expand(3, 5), atol=1e-5, rtol=1e-4,
                           msg="for a constant vector c the output must be weight * c / sqrt(c**2 + eps)")
for shape, eps_value in [((2, 2, 4), 1e-2), ((7, 16), 1e-5), ((4,), 1e-6)]:
    x_random = torch.randn(shape) * 0.1
    reference_module = nn.RMSNorm(shape[-1], eps=eps_value)
    with torch.no_grad():
        reference_module.weight.copy_(torch.randn(shape[-1]))
        expected_hidden = reference_module(x_random)
    torch.testing.assert_close(rms_norm(x_random, reference_module.weight.detach(), eps=eps_value),
                               expected_hidden, atol=1e-5, rtol=1e-4,
                               msg=f"rms_norm differs from nn.RMSNorm(eps={eps_value}) on shape {shape}")
x_double = torch.randn(3, 5, dtype=torch.float64)
assert rms_norm(x_double, torch.ones(5, dtype=torch.float64)).dtype == torch.float64, "keep the dtype of x"
# From scratch (the library's RMSNorm is blocked), input unchanged.
from course.checks import call_checking_inputs, forbidden

x_hidden = torch.randn(3, 5)
with torch.no_grad():
    expected = nn.RMSNorm(5, eps=1e-6)(x_hidden)
with forbidden("torch.nn.functional.rms_norm", "torch.rms_norm", "torch.nn.RMSNorm", namespace=globals(),
               reason="Use x.pow(2).mean(-1, keepdim=True)"):
    torch.testing.assert_close(call_checking_inputs(rms_norm, x_hidden, torch.ones(5), 1e-6), expected,
                               atol=1e-5, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 08.4 — Why not BatchNorm? (1 point)
#
# A sentence classifier normalises its token vectors of shape `(batch, seq, features)`. Why do Transformers
# for text use LayerNorm there rather than BatchNorm?
#
# - (a) LayerNorm is much cheaper to compute than BatchNorm, which matters because text models process long
#   sequences of tokens.
# - (b) LayerNorm's statistics come from each token's own features, so its output does not depend on the
#   other sentences in the batch, their padding, or on training versus inference.
# - (c) BatchNorm cannot be applied to three-dimensional `(batch, seq, features)` tensors, so text models had
#   to choose another normalisation.
# - (d) LayerNorm has no learnable parameters, unlike BatchNorm, so it cannot overfit the small batches used
#   to train text models.
#
# Set `answer_08_4` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex08_4"}
### BEGIN SOLUTION
answer_08_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex08_4_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_08_4", answer_08_4, (
    "quiz1:eyJrZXkiOiAiNGZlMWVhNjZhMjk5YzRjNDEyMDY3YTJhMzQ5ZTQxMDczZGYzNmI5NDI0ZGRkNGI2NzY4M2JmODBjZW"
    "UwZDVmZCIsICJuYW1lIjogImFuc3dlcl8wOF80IiwgIm9wdGlvbnMiOiB7ImEiOiAiZEhRNW03S3gxRm5henZsalp5UDY5SF"
    "dKMVRQS1AyWVdGNW81ZEEzUGFVSFJIVndHN1FaOTJodXQ5Q0VMSitxV0FyeE1VK05DK1lxM1M3anBHZTJlQ0dtdUxuVHdxdG"
    "hYT09GMkpid2ZocVZjeUtrNmZpaStMRVAyeTVNeE82M3BVdnhheENDT3pxV0M3YTA1MFZOajdZZTJ5UnFCUTFXankvYnFQTl"
    "l0MG5wUmhFaWtlR2RlejNpTDhxTXk5TzhqV2pZYytmdGM0UzlVMTJvYXZuYTkrbEJZeXF1cVVwcVAvaENaSE4wTlU4V1dJcj"
    "AwOXhSbnJsOHNiMU5XMXVzMm50Z1FSUT09IiwgImIiOiAiSGt1SFFMSHJ0RHQ4a1ZLWVlaNW90ZUx3YTZLUjNZcHhvODl4Sj"
    "RseTVrb0Fqek9NVzNkS3FSL20zRmRPSzRBWCt2VU14cytpQ00vRGNpVGhHenAzYnkvd2QyYWNYTzVHL05jRUpzeUxmODdPa0"
    "5teGZXR1lmbnZnZG5iYmFKRTMrN2RGYW9EZG1SVk1PUDEzYjZ5bGZqN2h2K2xIb0F5U1JoeVpkb3ZrL25oR1Y0a1dXK3p0OE"
    "Uyc0xuZkw4L2xvVUZNWHBMZEtaR2NpSzJ1SFF4b3NMNVhNaEZCUHpiRkNoZElHMWxoUTdGb2RhYWFQZEZNR0Vpb3FQNzJvMk"
    "NwMmZObz0iLCAiYyI6ICJ4MllsUnc4WmVTS2wvUkZzeEJDSUpWb1ViaDM1emovR0RWcFpmK3hnNG04QjhoaW43bHJza1BrTl"
    "hQTTAzNDNhTVlrdHE0cWwrbTBjekUxUUV3QmpqeXJEWW1kK2pPeWpsNUJGRVJaNXpRQ05jMnRXZEc4VzFlZ3BkY2F2VUl4Z2"
    "R5amc1WDNVMWkvcGI3Y1NSem1vVkxoSW1nZm9DMDBCNWNCVnhHYVkvUk9jRHhWeHFhTW9FNkJTTHVKRWg0MGRHV3NOQlVTdX"
    "hwYzludldHMHFKMVdkbExHTy83Q2NwVklYaFB3Y0JoNXgvSXBHUHd3Qk1samc2TWFWZEdMQT09IiwgImQiOiAiRFp3RjVjZm"
    "VKNjUvR3FyQURMM3A2VlpTTmtnRlRRWVNTTGVBOHp4cjFkeG1RU3dqZEtaQkRRWndSalZ0OXQ2M04xSnVDWHozbnJEdU03bH"
    "ZxMlZaemZZUEJudm1DWmFXUlZkOUdBV1QzUkgweiswU1UvWnh2WFcrU0NLNEFxZFVsbEJqU1ZyTGZwZTNOazNzdWdEbnhwc2"
    "huZjZQOXdzVkhNZHlkdldkVTZjMXJRNEtubTcrMXVVUjBHQ1pYWnRURHBUYXZLVDVYUCs5N01PRVFncmhoa2p2dmh5eG9uUT"
    "UrNWlLU05PWWI3ajVEZlFCcVVJckFSOGdLUT09In0sICJzYWx0IjogImZkNTVkZGNjMTE0YjRkMWIifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_08_4", answer_08_4, "b", {
    "a": "Both compute a mean and a variance and apply a scale and a shift: their cost is about the same. The "
         "reason is where the statistics come from: per token (LayerNorm) or across the batch (BatchNorm).",
    "b": "LayerNorm computes one mean and variance per token over its own features, so a token's output never "
         "depends on the rest of the batch or its padding (section 5), and training and inference agree.",
    "c": "BatchNorm1d handles (batch, channels, length) tensors, so a transpose would do. The problem is what it "
         "averages over: other sentences and their padding, with running statistics at inference.",
    "d": "LayerNorm does have learnable parameters, gamma (weight) and beta (bias), one of each per feature, "
         "like BatchNorm. The difference is the axis of its statistics: each token's own features.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Common mistakes
#
# Every mistake below runs without an error; only the numbers tell.
#
# **1. The wrong GELU form.** Loading BERT-family weights into code that uses the $\tanh$ form (or GPT-2
# weights with the exact form) gives a model that is almost, but not exactly, the one that was trained. We
# swap MiniLM's six feed-forward activations for the $\tanh$ form and compare its outputs.

# %%
batch = tokenizer(["The cat sat on the mat.", "Stock markets fell sharply on Monday."], padding=True,
                  return_tensors="pt")
with torch.no_grad():
    hidden_exact = model(**batch).last_hidden_state          # (2, seq, 384) with the right GELU
    original_activations = [layer.intermediate.intermediate_act_fn for layer in model.encoder.layer]
    for layer in model.encoder.layer:
        layer.intermediate.intermediate_act_fn = nn.GELU(approximate="tanh")
    hidden_tanh = model(**batch).last_hidden_state
    for layer, activation in zip(model.encoder.layer, original_activations):  # put the right one back
        layer.intermediate.intermediate_act_fn = activation
print(f"max |difference| of MiniLM's outputs with the wrong GELU: {(hidden_tanh - hidden_exact).abs().max().item():.1e}")

# %% [markdown]
# Small — a reference check with a tolerance of $10^{-5}$ fails, and predictions near a decision boundary can
# flip. Fix: use what the config says — `hidden_act` for BERT and LLaMA, `activation_function` for GPT-2
# (`"gelu"` → `nn.GELU()`, `"gelu_new"` → `nn.GELU(approximate="tanh")`). And the $\tanh$ form is only right with its cubic term
# $0.044715\,x^3$ and the constant $\sqrt{2/\pi}$; without the cubic term the error grows to $0.03$.
#
# **2. The unbiased variance.** `x.var(-1)` and `x.std(-1)` divide by $d-1$. The output then has the wrong
# scale by the factor $\sqrt{(d-1)/d}$: harmless-looking for $d = 768$, a 13 % error for $d = 4$, the size
# used in small tests. Fix: `x.var(-1, correction=0)`.
#
# **3. `eps` outside the square root.** $(x-\mu)/(\sigma + \varepsilon)$ instead of
# $(x-\mu)/\sqrt{\sigma^2 + \varepsilon}$. For a typical vector ($\sigma \approx 1$, $\varepsilon = 10^{-5}$)
# the two agree to 5 digits, so a test with unit-variance inputs will not catch it; for vectors with a small
# spread they differ a lot. The plot compares the two scale factors $1/\sqrt{\sigma^2+\varepsilon}$ and
# $1/(\sigma+\varepsilon)$ against the spread $\sigma$.

# %%
dimensions = [2, 4, 8, 16, 64, 384, 768]
scale_error = [100 * (1 - math.sqrt((d - 1) / d)) for d in dimensions]
spreads = torch.logspace(-4, 1, 41)
eps_value = 1e-5
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
course.plot_curves(dimensions, {"unbiased instead of biased variance": scale_error},
                   xlabel="vector size d", ylabel="output too small by (%)",
                   title="Mistake 2: the unbiased variance", logx=True, ax=left)
course.plot_curves(spreads, {"1 / sqrt(σ² + ε)  (correct)": 1 / torch.sqrt(spreads**2 + eps_value),
                             "1 / (σ + ε)  (eps outside)": 1 / (spreads + eps_value)},
                   xlabel="standard deviation σ of the vector", ylabel="scale factor",
                   title=f"Mistake 3: where ε goes (ε = {eps_value:g})", logx=True, logy=True, ax=right)
plt.tight_layout()
plt.show()

# %% [markdown]
# **4. Normalising the wrong axis.** LayerNorm statistics run over the **last** axis (`dim=-1`, the
# features). Statistics over `dim=1` (the sequence) make every token depend on its neighbours and on padding;
# `nn.BatchNorm1d` on a `(batch, seq, features)` tensor either fails or silently normalises the wrong axis
# (section 5). The tests of Exercise 08.2 use a last axis of 4 and several leading shapes so that these
# mistakes cannot hide.
#
# **5. Batch statistics on padded text.** Even a correct BatchNorm mixes `[PAD]` vectors and other sentences
# into each sentence's statistics (section 5). Use LayerNorm or RMSNorm.
#
# **6. Default `eps` values.** `nn.LayerNorm(d)` uses `1e-5`, MiniLM `1e-12`; `nn.RMSNorm(d)` uses the float32
# machine epsilon, LLaMA configs `1e-6` or `1e-5`. When you rebuild a pretrained model, take `eps` from its config.
#
# **Takeaway:** check normalisation code against the library on **short** vectors with **small** spread and a
# **large** `eps`: that is where every one of these bugs shows.

# %% [markdown]
# ## Summary
#
# - Without a non-linearity, stacked linear layers collapse into one. Transformers use ReLU (2017), GELU
#   (BERT/MiniLM: exact `"gelu"`; GPT-2: $\tanh$ form `"gelu_new"`), or SiLU inside the gated SwiGLU
#   feed-forward (LLaMA).
# - LayerNorm standardises **each token over its features** with the **biased** variance and
#   $\varepsilon$ **under** the square root, then applies $\gamma, \beta$; it does not depend on the batch.
# - BatchNorm's per-feature batch statistics make a sentence's output depend on its neighbours and its
#   padding, which is why text models do not use it.
# - RMSNorm keeps only the re-scaling: $\gamma \odot x / \sqrt{\operatorname{mean}(x^2) + \varepsilon}$.
#
# Next, lesson 09 builds the masks that keep padding and future tokens out of attention.
#
# ## Going further
#
# - Hendrycks, Gimpel (2016). *Gaussian Error Linear Units (GELUs).* arXiv:1606.08415. Both GELU forms.
# - Elfwing, Uchibe, Doya (2018). *Sigmoid-Weighted Linear Units for Neural Network Function Approximation in
#   Reinforcement Learning.* Neural Networks. Ramachandran, Zoph, Le (2017). *Searching for Activation
#   Functions.* arXiv:1710.05941 (the same function, as "Swish").
# - Shazeer (2020). *GLU Variants Improve Transformer.* arXiv:2002.05202. SwiGLU and GEGLU.
# - Ioffe, Szegedy (2015). *Batch Normalization.* ICML.
# - Ba, Kiros, Hinton (2016). *Layer Normalization.* arXiv:1607.06450.
# - Zhang, Sennrich (2019). *Root Mean Square Layer Normalization.* NeurIPS.
# - Shen, Yao, Gholami, Mahoney, Keutzer (2020). *PowerNorm: Rethinking Batch Normalization in
#   Transformers.* ICML. Why batch statistics are unstable for text.
# - Xiong et al. (2020). *On Layer Normalization in the Transformer Architecture.* ICML. Pre-norm versus
#   post-norm (lesson 06).
# - Touvron et al. (2023). *LLaMA: Open and Efficient Foundation Language Models.* RMSNorm + SwiGLU.
# - PyTorch documentation: `torch.nn.GELU`, `torch.nn.LayerNorm`, `torch.nn.RMSNorm`, `torch.nn.BatchNorm1d`;
#   `transformers/activations.py` (`ACT2FN`) for the names used in model configs.

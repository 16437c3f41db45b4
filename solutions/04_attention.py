# ---
# jupyter:
#   course:
#     title: "The attention mechanism: scaled dot-product attention"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 04 · The attention mechanism: scaled dot-product attention
# {{COLAB_BADGE}}
#
# Attention is the one operation every Transformer is built from. In this lesson you write it from scratch,
# check it number for number against PyTorch, and see why each factor of the formula is there:
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V$$
#
# **You will be able to:**
# - explain queries, keys and values as *what I look for*, *what I offer* and *what I give*;
# - compute attention scores, weights and outputs for batched, multi-head tensors, and predict every shape;
# - show with numbers why the scores are divided by $\sqrt{d_k}$ (and why $\sqrt{d_\text{model}}$ is wrong);
# - explain why the softmax runs over the **key** axis, and spot the bug when it does not;
# - reproduce the attention weights of a real pretrained model (MiniLM) with your own function.
#
# **Prerequisites:** lessons 01–03. **Time:** about 60 minutes.

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

import course

course.set_seed(0)
torch.set_printoptions(precision=3, sci_mode=False)

# %% [markdown]
# ## 1. A soft dictionary lookup
#
# A Python dictionary answers a query by finding the **one** key that matches exactly and returning its
# value. Attention does the same thing *softly*: the query is compared with **every** key, each comparison
# gives a score, the scores become weights that sum to 1, and the answer is the weighted average of **all**
# the values.
#
# An everyday picture: a shop assistant serving a queue. Each customer shows a label saying what they bring
# (a *key*). The assistant has a request in mind (the *query*) and listens to everyone, but pays more
# attention to the customers whose label matches the request. What the assistant takes away (the *output*)
# is a blend of what each customer brought (the *values*), weighted by that attention.
#
# In a Transformer every token plays all three roles. From its vector $x_i$ the model computes, with three
# learned matrices,
# - a **query** $q_i = x_i W_Q$ — *what am I looking for?*
# - a **key** $k_j = x_j W_K$ — *what do I offer to others who look?*
# - a **value** $v_j = x_j W_V$ — *what do I give if someone attends to me?*
#
# Here is a hard lookup and its soft version side by side, on a toy "dictionary" of three entries.

# %%
keys = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])      # (k_len=3, d_k=2)
values = torch.tensor([[10.0], [20.0], [30.0]])                 # (k_len=3, d_v=1)
query = torch.tensor([0.9, 0.1])                                # (d_k=2,)

scores = keys @ query                                           # (3,) one score per key
hard_answer = values[scores.argmax()]                           # a dict: exactly one value
sharpness = 4.0                                                 # toy stand-in for a learned scale, see below
soft_weights = torch.softmax(scores * sharpness, dim=0)         # (3,) sums to 1
soft_answer = soft_weights @ values                             # weighted average of all values
print("scores:", scores)
print("hard lookup ->", hard_answer.item())
print("soft weights:", soft_weights, " soft lookup ->", round(soft_answer.item(), 2))
for factor in (1.0, 4.0, 50.0):
    print(f"factor {factor:4.0f}: weights {torch.softmax(scores * factor, dim=0)}")

# %% [markdown]
# The soft lookup is mostly the first value, with some of the third mixed in. Unlike `argmax`, it is
# differentiable, so the model can *learn* its queries and keys by gradient descent.
#
# **Why multiply by a factor?** The scores of this toy (0.9, 0.1, 0.7) are close together, and a softmax
# of close numbers is far from a lookup: with factor 1 no key gets even half of the weight (printed above).
# Multiplying the scores by a factor sharpens the softmax (factor 50 is almost the hard lookup); dividing
# flattens it. The factor 4
# is an arbitrary choice that makes the toy readable. In a real model nobody picks it by hand: the learned
# matrices $W_Q$ and $W_K$ set the size of the scores, and section 3 adds one fixed factor, $1/\sqrt{d_k}$,
# for a reason we will measure.
#
# In a model, queries, keys and values are not given: they are three **linear projections** of the same
# token vectors. Here they are as code, with random (untrained) matrices on 4 toy tokens of width 8:

# %%
token_vectors = torch.randn(4, 8)                               # (seq_len=4, d_model=8): one vector per token
project_query = torch.nn.Linear(8, 8, bias=False)              # W_Q: what each token looks for
project_key = torch.nn.Linear(8, 8, bias=False)                # W_K: what each token offers
project_value = torch.nn.Linear(8, 8, bias=False)              # W_V: what each token gives
toy_queries = project_query(token_vectors)                      # (4, 8)
toy_keys = project_key(token_vectors)                           # (4, 8)
toy_values = project_value(token_vectors)                       # (4, 8)
print("queries", tuple(toy_queries.shape), "keys", tuple(toy_keys.shape), "values", tuple(toy_values.shape))

# %% [markdown]
# Training adjusts $W_Q$, $W_K$ and $W_V$; attention itself, the rest of this lesson, has no weights of its
# own. Section 6 takes these three projections from a trained model, MiniLM.
#
# **Takeaway:** attention is a differentiable dictionary lookup: compare a query with every key, turn the
# scores into weights, average the values.

# %% [markdown]
# ## 2. Shapes first
#
# In a model, attention runs for many queries at once, for a batch of sentences and for several heads
# (lesson 05). The conventions used by PyTorch and by this course:
#
# | tensor | shape | meaning |
# |---|---|---|
# | `q` | `(batch, heads, q_len, d_k)` | one query vector per position |
# | `k` | `(batch, heads, k_len, d_k)` | one key per position; same width as the queries |
# | `v` | `(batch, heads, k_len, d_v)` | one value per key |
# | scores, weights | `(batch, heads, q_len, k_len)` | row $i$: how query $i$ rates every key |
# | output | `(batch, heads, q_len, d_v)` | one mixed value per query |
#
# In **self-attention** `q_len == k_len` (a sentence attends to itself); in **cross-attention** they differ.
# Code that is written against the last two axes (`...`) works for any number of leading axes.
#
# The scores of all queries against all keys are one matrix product: $S = QK^\top$, i.e.
# `q @ k.transpose(-2, -1)`. Entry $S_{ij} = q_i \cdot k_j$.

# %%
q = torch.randn(2, 4, 5, 8)  # (batch=2, heads=4, q_len=5, d_k=8)
k = torch.randn(2, 4, 7, 8)  # (batch=2, heads=4, k_len=7, d_k=8)
raw_scores = q @ k.transpose(-2, -1)
print("raw scores:", tuple(raw_scores.shape), "= (batch, heads, q_len, k_len)")

# %% [markdown]
# **Takeaway:** one matrix product compares every query with every key; the result has one row per query
# and one column per key.

# %% [markdown]
# ## 3. Why divide by $\sqrt{d_k}$?
#
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q\cdot k = \sum_{m=1}^{d_k} q_m k_m$ is a sum of $d_k$ terms of variance 1: its variance is $d_k$ and
# its standard deviation $\sqrt{d_k}$. Wider heads give larger scores — and a softmax of large numbers is
# nearly one-hot: almost all weight on one key, and gradients close to zero for all the others.
# Dividing by $\sqrt{d_k}$ brings the standard deviation back to 1, whatever the head width.
#
# Let us measure it rather than believe it.

# %%
head_widths = [4, 16, 64, 256, 1024]
std_unscaled, std_scaled, top_weight_unscaled, top_weight_scaled = [], [], [], []
for d_k in head_widths:
    q_sample = torch.randn(2000, 1, d_k)   # 2000 queries, each against its own 16 keys
    k_sample = torch.randn(2000, 16, d_k)
    dots = (q_sample @ k_sample.transpose(-2, -1)).squeeze(1)  # (2000, 16)
    std_unscaled.append(dots.std().item())
    std_scaled.append((dots / math.sqrt(d_k)).std().item())
    top_weight_unscaled.append(torch.softmax(dots, dim=-1).max(dim=-1).values.mean().item())
    top_weight_scaled.append(torch.softmax(dots / math.sqrt(d_k), dim=-1).max(dim=-1).values.mean().item())

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
course.plot_curves(head_widths, {"q·k": std_unscaled, "q·k / √d_k": std_scaled, "√d_k": [math.sqrt(d) for d in head_widths]},
                   xlabel="head width d_k", ylabel="standard deviation of the score",
                   title="Dot products grow like √d_k", logx=True, logy=True, ax=left)
course.plot_curves(head_widths, {"unscaled": top_weight_unscaled, "scaled by √d_k": top_weight_scaled},
                   xlabel="head width d_k", ylabel="mean largest softmax weight (16 keys)",
                   title="Unscaled scores saturate the softmax", logx=True, ax=right)
plt.tight_layout()
plt.show()

# %% [markdown]
# Without the scale, at $d_k = 1024$ the largest of 16 weights averages close to 1: the softmax has become
# an `argmax`. With the scale the picture is the same at every width.
#
# Saturation also kills learning. The gradient of softmax output $p_i$ with respect to its input $s_i$ is
# $p_i(1-p_i)$, which is 0 when $p_i$ is 0 or 1:

# %%
for d_k in (16, 1024):
    scores_sample = (torch.randn(16, d_k) @ torch.randn(d_k)).requires_grad_()
    for name, scale in (("unscaled", 1.0), ("scaled", math.sqrt(d_k))):
        weights_sample = torch.softmax(scores_sample / scale, dim=-1)
        (gradient,) = torch.autograd.grad(weights_sample.max(), scores_sample)
        print(f"d_k={d_k:5d} {name:9s} largest weight {weights_sample.max().item():.3f}   "
              f"gradient norm {gradient.norm().item():.2e}")

# %% [markdown]
# **Takeaway:** the $1/\sqrt{d_k}$ factor keeps scores at unit scale so that the softmax stays soft and its
# gradients stay alive. $d_k$ is the width of **one head**, the last axis of `q`.

# %% [markdown]
# ### Exercise 04.1 — Scaled attention scores (2 points)
#
# Write `attention_scores(q, k)`.
#
# - `q`: float tensor `(..., q_len, d_k)`; `k`: float tensor `(..., k_len, d_k)`, with the same leading axes
#   (for example `(batch, heads)`).
# - Return the **scaled** scores $QK^\top / \sqrt{d_k}$ with shape `(..., q_len, k_len)`, where $d_k$ is the
#   size of the last axis of `q`.
# - Use tensor operations only (no loops); do not call `F.scaled_dot_product_attention`.

# %% nbgrader={"solution": true, "grade_id": "ex04_1"}
def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product scores of every query against every key.

    Args:
        q: queries, shape (..., q_len, d_k).
        k: keys, shape (..., k_len, d_k).

    Returns:
        Scores q @ k^T / sqrt(d_k), shape (..., q_len, k_len).
    """
    ### BEGIN SOLUTION
    d_k = q.shape[-1]
    return q @ k.transpose(-2, -1) / math.sqrt(d_k)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_1_test", "points": 2}
# Self-check: shape, and one score computed by hand.
torch.manual_seed(1)
q_check, k_check = torch.randn(2, 3, 5, 16), torch.randn(2, 3, 7, 16)
scores_check = attention_scores(q_check, k_check)
assert scores_check.shape == (2, 3, 5, 7), (
    f"scores should have shape (batch, heads, q_len, k_len) = (2, 3, 5, 7), got {tuple(scores_check.shape)}")
by_hand = (q_check[1, 2, 4] * k_check[1, 2, 6]).sum() / 4.0  # sqrt(16) = 4
assert torch.isclose(scores_check[1, 2, 4, 6], by_hand, atol=1e-5), (
    f"score[1, 2, 4, 6] should be q·k/sqrt(d_k) = {by_hand:.4f}, got {scores_check[1, 2, 4, 6]:.4f}")
print("Self-check passed: shape and scale are right.")
### BEGIN HIDDEN TESTS
torch.manual_seed(10)
for shape_q, shape_k in [((4, 9), (6, 9)), ((3, 2, 1, 64), (3, 2, 10, 64)), ((5, 1), (5, 1))]:
    q_hidden, k_hidden = torch.randn(shape_q), torch.randn(shape_k)
    expected = torch.einsum("...id,...jd->...ij", q_hidden, k_hidden) / math.sqrt(shape_q[-1])
    actual = attention_scores(q_hidden, k_hidden)
    assert actual.shape == expected.shape, f"for q {shape_q} and k {shape_k} expected shape {tuple(expected.shape)}"
    ratio = (actual.std() / expected.std()).item()
    assert abs(ratio - math.sqrt(shape_q[-1])) > 1e-3 or shape_q[-1] == 1, (
        "your scores are sqrt(d_k) times too large: did you forget to divide by sqrt(d_k)?")
    assert abs(ratio - 1) < 1e-4, (
        f"your scores are {ratio:.3f} times the expected ones; divide by sqrt(d_k) where d_k = q.shape[-1] "
        "(the width of one head), not by d_k and not by the model width")
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)
# The inputs must not change (`q /= math.sqrt(d_k)` scales the caller's queries), and float64 stays float64.
from course.checks import assert_dtype, call_checking_inputs

q_hidden, k_hidden = torch.randn(2, 3, 4, 8, dtype=torch.float64), torch.randn(2, 3, 5, 8, dtype=torch.float64)
expected = q_hidden @ k_hidden.transpose(-2, -1) / math.sqrt(8)
actual = call_checking_inputs(attention_scores, q_hidden, k_hidden)
assert_dtype(actual, torch.float64, "the scores")
torch.testing.assert_close(actual, expected)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Softmax over the key axis
#
# Row $i$ of the score matrix tells how query $i$ rates each key. Query $i$ must distribute **its** attention
# over the keys, so each **row** is normalised:
#
# $$\alpha_{ij} = \frac{\exp(s_{ij})}{\sum_{j'} \exp(s_{ij'})}, \qquad \sum_j \alpha_{ij} = 1.$$
#
# That is `softmax(scores, dim=-1)`: the last axis is the key axis. A softmax over `dim=-2` normalises each
# column instead — every *key* would hand out a total of 1 to the queries, which is not what attention
# means, and the outputs would be wrong (section 7 shows how wrong).
#
# **Masks.** Sometimes a query must not see some keys: padding, or future tokens in a decoder (lesson 09).
# We follow `torch.nn.functional.scaled_dot_product_attention`: a boolean mask, **`True` = may attend**,
# broadcastable to `(..., q_len, k_len)`. Blocked scores are set to $-\infty$ before the softmax, so their
# weight is exactly $e^{-\infty} = 0$. Here is a causal mask drawn with the course's mask viewer:

# %%
tokens = ["the", "cat", "sat", "down"]
causal_allowed = torch.ones(4, 4, dtype=torch.bool).tril()  # (q_len, k_len), True = may attend
course.plot_mask(causal_allowed, tokens, convention="allowed", title="A causal mask")
plt.show()

# %% [markdown]
# **Takeaway:** normalise each query's row (`dim=-1`); blocked keys get $-\infty$ so their weight is exactly 0.

# %% [markdown]
# ### Exercise 04.2 — Attention weights (2 points)
#
# Write `attention_weights(scores, mask=None)`.
#
# - `scores`: float tensor `(..., q_len, k_len)`.
# - `mask`: `None`, or a boolean tensor broadcastable to `scores`, **`True` = may attend** (the convention of
#   `F.scaled_dot_product_attention`).
# - Return the softmax of the scores over the **key** axis, with blocked positions set to weight 0 (fill the
#   scores with `float("-inf")` where the mask is `False` before the softmax). Same shape as `scores`.

# %% nbgrader={"solution": true, "grade_id": "ex04_2"}
def attention_weights(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax of the scores over the key axis, with masked keys removed.

    Args:
        scores: (..., q_len, k_len).
        mask: None or bool, broadcastable to scores; True = may attend.

    Returns:
        Weights (..., q_len, k_len); every row sums to 1 over the allowed keys.
    """
    ### BEGIN SOLUTION
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_2_test", "points": 2}
# Self-check: rows sum to 1, and a blocked key gets weight 0.
torch.manual_seed(2)
scores_check = torch.randn(2, 3, 4, 6)
weights_check = attention_weights(scores_check)
assert weights_check.shape == scores_check.shape, "weights must have the same shape as the scores"
row_sums = weights_check.sum(dim=-1)
assert torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5), (
    "each query's weights should sum to 1 over the KEY axis (the last one); "
    f"yours sum to {row_sums.flatten()[:3].tolist()}... over it. Did you use softmax over dim=-2?")
mask_check = torch.ones(4, 6, dtype=torch.bool)
mask_check[:, 2] = False  # nobody may attend to key 2
masked = attention_weights(scores_check, mask_check)
assert torch.all(masked[..., 2] == 0), "a key whose mask is False (blocked) must get weight exactly 0"
print("Self-check passed: rows sum to 1 and blocked keys get no weight.")
### BEGIN HIDDEN TESTS
torch.manual_seed(20)
for shape in [(5, 5), (2, 7, 3), (1, 2, 4, 9)]:
    scores_hidden = torch.randn(shape) * 3
    torch.testing.assert_close(attention_weights(scores_hidden), torch.softmax(scores_hidden, dim=-1),
                               msg="weights must be softmax(scores, dim=-1): normalise over the keys")
    column_sums = attention_weights(scores_hidden).sum(dim=-2)
    assert not torch.allclose(column_sums, torch.ones_like(column_sums)) or shape[-2] == 1
# Mask convention: True = may attend. An inverted mask would attend ONLY to the blocked keys.
scores_hidden = torch.randn(3, 4, 5)
mask_hidden = torch.rand(4, 5) > 0.4
mask_hidden[:, 0] = True  # every query may attend to at least one key
weights_hidden = attention_weights(scores_hidden, mask_hidden)
expected = torch.softmax(scores_hidden.masked_fill(~mask_hidden, float("-inf")), dim=-1)
assert torch.all(weights_hidden[..., ~mask_hidden] == 0), (
    "keys where the mask is False must get weight 0; in this lesson True means 'may attend' "
    "(as in F.scaled_dot_product_attention) — is your mask inverted?")
torch.testing.assert_close(weights_hidden, expected)
# The caller's scores must survive (`scores.masked_fill_(...)` overwrites them); float64 stays float64.
from course.checks import assert_dtype, assert_finite_and_close, call_checking_inputs

scores_hidden = torch.randn(2, 4, 5, dtype=torch.float64)
expected = torch.softmax(scores_hidden.masked_fill(~mask_hidden, float("-inf")), dim=-1)
weights_hidden = call_checking_inputs(attention_weights, scores_hidden, mask_hidden)
assert_dtype(weights_hidden, torch.float64, "the weights")
torch.testing.assert_close(weights_hidden, expected)
# Large scores (unscaled dot products of wide vectors reach the hundreds): exp overflows unless the row
# maximum is subtracted first, which torch.softmax does for you.
scores_large = torch.randn(3, 4, 5) * 100 + 500
expected = torch.softmax(scores_large.masked_fill(~mask_hidden, float("-inf")), dim=-1)
assert_finite_and_close(attention_weights(scores_large, mask_hidden), expected,
                        what="your weights", hint="a hand-written softmax must subtract each row's maximum before "
                        "exp (exp(700) is inf in float32); torch.softmax(scores, dim=-1) does it for you")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The weighted sum of values
#
# The output for query $i$ is $o_i = \sum_j \alpha_{ij} v_j$: in matrix form $O = AV$, i.e.
# `weights @ v`, shape `(..., q_len, d_v)`. Putting the three steps together gives scaled dot-product
# attention. PyTorch has a fused version, `F.scaled_dot_product_attention`, which is what real models call;
# it returns only the output, not the weights, so it is our reference for the output.
#
# **Takeaway:** each output is a convex combination of the values, weighted by how well its query matches
# each key.

# %% [markdown]
# ### Exercise 04.3 — Scaled dot-product attention (3 points)
#
# Write `scaled_dot_product_attention(q, k, v, mask=None)` from your two functions above.
#
# - `q`: `(..., q_len, d_k)`, `k`: `(..., k_len, d_k)`, `v`: `(..., k_len, d_v)`;
#   `mask`: `None` or boolean broadcastable to `(..., q_len, k_len)`, **`True` = may attend**.
# - Return a tuple `(output, weights)`: `output` `(..., q_len, d_v)` and `weights` `(..., q_len, k_len)`.
# - It must agree with `F.scaled_dot_product_attention(q, k, v, attn_mask=mask)` (do not call it).

# %% nbgrader={"solution": true, "grade_id": "ex04_3"}
def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T / sqrt(d_k)) v, with an optional boolean mask (True = may attend).

    Args:
        q: (..., q_len, d_k); k: (..., k_len, d_k); v: (..., k_len, d_v).
        mask: None or bool broadcastable to (..., q_len, k_len).

    Returns:
        (output (..., q_len, d_v), weights (..., q_len, k_len)).
    """
    ### BEGIN SOLUTION
    weights = attention_weights(attention_scores(q, k), mask)
    return weights @ v, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_3_test", "points": 3}
# Self-check against PyTorch on batched, multi-head shapes (batch=2, heads=4, q_len=5, k_len=6).
torch.manual_seed(3)
q_check, k_check, v_check = torch.randn(2, 4, 5, 16), torch.randn(2, 4, 6, 16), torch.randn(2, 4, 6, 8)
output_check, weights_check = scaled_dot_product_attention(q_check, k_check, v_check)
assert output_check.shape == (2, 4, 5, 8), f"output should be (batch, heads, q_len, d_v) = (2, 4, 5, 8), got {tuple(output_check.shape)}"
assert weights_check.shape == (2, 4, 5, 6), f"weights should be (batch, heads, q_len, k_len) = (2, 4, 5, 6), got {tuple(weights_check.shape)}"
torch.testing.assert_close(output_check, F.scaled_dot_product_attention(q_check, k_check, v_check),
                           atol=1e-5, rtol=1e-4, msg="your output differs from F.scaled_dot_product_attention")
print("Self-check passed: your attention matches F.scaled_dot_product_attention.")
### BEGIN HIDDEN TESTS
torch.manual_seed(30)
cases = [((3, 2, 7, 32), (3, 2, 9, 32), (3, 2, 9, 5)), ((1, 1, 1, 4), (1, 1, 3, 4), (1, 1, 3, 4)),
         ((4, 8, 8), (4, 8, 8), (4, 8, 3))]
for shape_q, shape_k, shape_v in cases:
    q_hidden, k_hidden, v_hidden = torch.randn(shape_q) * 2, torch.randn(shape_k) * 2, torch.randn(shape_v)
    output_hidden, weights_hidden = scaled_dot_product_attention(q_hidden, k_hidden, v_hidden)
    expected = F.scaled_dot_product_attention(q_hidden, k_hidden, v_hidden)
    torch.testing.assert_close(
        weights_hidden.sum(-1), torch.ones(weights_hidden.shape[:-1]),
        msg="weights should sum to 1 over the key axis (dim=-1); did you normalise over the queries (dim=-2)?")
    torch.testing.assert_close(output_hidden, expected, atol=1e-5, rtol=1e-4,
                               msg=f"output differs from PyTorch for q {shape_q}: check the 1/sqrt(d_k) scale")
    torch.testing.assert_close(output_hidden, weights_hidden @ v_hidden, msg="output must be weights @ v")
# With a causal mask (True = may attend) and a padding mask, against PyTorch.
q_hidden, k_hidden, v_hidden = torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 4)
causal = torch.ones(6, 6, dtype=torch.bool).tril()
padding = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])[:, None, None, :]  # (batch, 1, 1, k_len)
for mask_hidden in (causal, causal & padding):
    output_hidden, weights_hidden = scaled_dot_product_attention(q_hidden, k_hidden, v_hidden, mask_hidden)
    torch.testing.assert_close(
        output_hidden, F.scaled_dot_product_attention(q_hidden, k_hidden, v_hidden, attn_mask=mask_hidden),
        atol=1e-5, rtol=1e-4, msg="with a mask, your output differs from F.scaled_dot_product_attention")
# Behaviour: changing a future key/value must not change earlier outputs under a causal mask.
v_changed = v_hidden.clone()
v_changed[..., 5, :] += 100.0
output_before, _ = scaled_dot_product_attention(q_hidden, k_hidden, v_hidden, causal)
output_after, _ = scaled_dot_product_attention(q_hidden, k_hidden, v_changed, causal)
torch.testing.assert_close(output_before[..., :5, :], output_after[..., :5, :],
                           msg="under a causal mask, position 5 must not influence positions 0-4")
# From scratch: the library function is blocked while yours runs; inputs unchanged; float64 kept.
from course.checks import assert_dtype, call_checking_inputs, forbidden

q_hidden, k_hidden = torch.randn(2, 2, 5, 8, dtype=torch.float64), torch.randn(2, 2, 7, 8, dtype=torch.float64)
v_hidden = torch.randn(2, 2, 7, 3, dtype=torch.float64)
mask_hidden = torch.ones(5, 7, dtype=torch.bool).tril(diagonal=2)
expected = F.scaled_dot_product_attention(q_hidden, k_hidden, v_hidden, attn_mask=mask_hidden)
with forbidden("torch.nn.functional.scaled_dot_product_attention", namespace=globals(),
               reason="Build it from your attention_scores and attention_weights"):
    output_hidden, weights_hidden = call_checking_inputs(scaled_dot_product_attention, q_hidden, k_hidden,
                                                         v_hidden, mask_hidden)
assert_dtype(output_hidden, torch.float64, "the output")
assert_dtype(weights_hidden, torch.float64, "the weights")
torch.testing.assert_close(output_hidden, expected)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Your attention inside a real model
#
# MiniLM (lesson 01) is a 6-layer BERT-style encoder with 12 heads of width $d_k = 384/12 = 32$. Its first
# layer computes queries and keys from the token embeddings with two linear maps, splits them into heads,
# and applies exactly the formula you wrote. Let us recompute its attention weights with **your** function
# and compare them with the weights the model itself reports.

# %%
tokenizer, model = course.load_minilm()
sentence = "The bank raised its interest rates, so I moved my savings."
encoded = tokenizer(sentence, return_tensors="pt")
token_labels = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
with torch.no_grad():
    model_output = model(**encoded, output_attentions=True, output_hidden_states=True)

layer0 = model.encoder.layer[0].attention.self
n_heads = model.config.num_attention_heads
head_width = model.config.hidden_size // n_heads             # d_k = 32


def split_heads(x: torch.Tensor) -> torch.Tensor:
    """(batch, seq, hidden) -> (batch, heads, seq, head_width)."""
    return x.view(x.shape[0], x.shape[1], n_heads, head_width).transpose(1, 2)


with torch.no_grad():
    embeddings = model_output.hidden_states[0]               # (1, seq, 384): input of layer 0
    q_model = split_heads(layer0.query(embeddings))          # (1, 12, seq, 32)
    k_model = split_heads(layer0.key(embeddings))
    v_model = split_heads(layer0.value(embeddings))
model_weights = model_output.attentions[0]                   # (1, 12, seq, seq): what MiniLM reports

# %% [markdown]
# Now your function, on the model's own queries, keys and values (this cell needs Exercise 04.3):

# %%
try:
    with torch.no_grad():
        _, my_weights = scaled_dot_product_attention(q_model, k_model, v_model)
    difference = (my_weights - model_weights).abs().max().item()
    print(f"largest difference from MiniLM's own layer-0 weights: {difference:.2e}")
except NotImplementedError:
    print("Exercise 04.3 is not done yet: your weights will be compared here with MiniLM's own.")

# %%
try:
    head = 3
    course.plot_attention(my_weights[0, head], token_labels,
                          title=f"MiniLM layer 0, head {head}: weights from your function")
    plt.show()
except NameError:
    print("Exercise 04.3 is not done yet: the map of your weights will be drawn here.")

# %% [markdown]
# The maps of other layers and heads can be explored interactively (in JupyterLab, Notebook or Colab the
# explorer has a layer and a head selector and a text box; elsewhere it draws a static figure):

# %%
course.attention_explorer(model, tokenizer, sentence, layer=2, head=5)
plt.show()

# %% [markdown]
# **Takeaway:** the formula you wrote is exactly what a real pretrained model computes, head by head.

# %% [markdown]
# ## 7. Common mistakes
#
# Three bugs appear again and again in tutorials and in homework. Each one runs without an error — only the
# numbers tell. We measure each against MiniLM's real weights from section 6.

# %%
def mistaken_weights(scale: float, softmax_dim: int) -> torch.Tensor:
    raw = q_model @ k_model.transpose(-2, -1)
    return torch.softmax(raw / scale, dim=softmax_dim)


model_width = model.config.hidden_size  # 384
mistakes = {
    "correct: divide by √d_k (head width 32)": mistaken_weights(math.sqrt(head_width), -1),
    "no scale at all": mistaken_weights(1.0, -1),
    "divide by √d_model (model width 384)": mistaken_weights(math.sqrt(model_width), -1),
    "softmax over the query axis (dim=-2)": mistaken_weights(math.sqrt(head_width), -2),
}
for name, weights in mistakes.items():
    error = (weights - model_weights).abs().max().item()
    print(f"{name:42s} max |difference| from MiniLM: {error:.3f}")

# %%
fig, axes = plt.subplots(1, 4, figsize=(9.2, 4))
for ax, (name, weights) in zip(axes, mistakes.items()):
    course.plot_attention(weights[0, head], token_labels, title=name, ax=ax, vmax=1.0, colorbar=False)
plt.tight_layout()
plt.show()

# %% [markdown]
# - **No scale.** Scores are $\sqrt{32} \approx 5.7$ times too large: the maps become nearly one-hot.
# - **Scaling by the model width** ($\sqrt{384}$ instead of $\sqrt{32}$): the scores are $\sqrt{12} \approx
#   3.5$ times too small and the maps too flat. With one head the two widths coincide, which is why the bug
#   survives in single-head toy examples and breaks multi-head models.
# - **Softmax over the query axis**: each *column* sums to 1, so a key that nobody should attend to still
#   hands out a full unit of attention. The rows no longer sum to 1 — test for that.
#
# **Takeaway:** test attention against a reference, not only for shapes: all three bugs keep every shape.

# %% [markdown]
# ### Exercise 04.4 — Why the scale? (1 point)
#
# The entries of a query $q$ and a key $k$ are independent, each with mean 0 and variance 1, and the head
# width is $d_k$. What is the variance of the score $q \cdot k$ **before** scaling?
#
# - (a) $1$  (b) $d_k$  (c) $\sqrt{d_k}$  (d) $d_k^2$
#
# Set `answer_04_4` to `"a"`, `"b"`, `"c"` or `"d"`. Run the grade cell below it: it tells you at once
# whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex04_4"}
### BEGIN SOLUTION
answer_04_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex04_4_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_04_4", answer_04_4, (
    "quiz1:eyJrZXkiOiAiZDBkNjUyZGQ3NDZjNGU1MDM3YjBhNTM1OTMyYzU0M2QxMDgzNDliMGQzYzFkZGFhZDMxZGE0MjgxOD"
    "M4ZWE4NCIsICJuYW1lIjogImFuc3dlcl8wNF80IiwgIm9wdGlvbnMiOiB7ImEiOiAiTTJtcnhkMzFCN3VUQ2JXZ01UeHUyak"
    "tRQmJ2dUJvVEE5OHlkNEYxR2RmbzYxQjBHSHlZbktUV21Sb2pNL3UvNGIwY0N3Rnl3b0ZiV21xeXNkL1BRd2RvaDVoWnVCaC"
    "84MnZVS24ycEN1NjYzQzFZOGYvVVlPaDZ0ZEk3cFdpaDg2ODZVSEhEd2RqaUc3eCtZSFZoYXdPdWtQMHFKaSthckdEZW5ta1"
    "dPWXVlL3A0WU12QVBQTG5ocTBQR2FnU1pkdUhTcmF5bk12M1ZPcmdreXR5eC9pU0RkR3B4VURzMFFlOGhUZmFqMUhDQ2RITV"
    "pWUkpON2hiRkkxL0lWKytvMWc0Q1k0dz09IiwgImIiOiAiTEYyMTFtYkxkSTZSK2VkMjFSL2VkRDNDakpnYzZ1dnkyZXd5Wk"
    "11VmFIV21UTkxobE12TnhldFQyMEFjU1NXbFZOb2RncVc4OUtxRHFiNC9ZVlhiU2E4ZFJFM3pPbFlhVGN2V05ibDlCYkJZL0"
    "ljYzlEQzRMYmxhYmVmVkxPYmtWMFdSVFphajkya01CaVZNeWVnY0dlNE0yUks2TGIrMHdhelVkV3lUejRDeGF6WkVzMG5LQT"
    "hqaGNrZlJKZ1FPRUFMYXh0UC9RY2ozRmtSQU1Tc2RWczBPc1VIT1ZNRzNRUXBxdXh4RDJnemE5MUdVYUZmeVBWZFZLdnFLRU"
    "FLeSIsICJjIjogIkF5MnNXSUxrdDZCd3pJNkxxNmF0bGk0UE5xdERST1ljeTg1QmVtSnlWenV5djlmc3I4MVNuVUU2NTZ4TV"
    "dsYjdnZ1ZubUpkMWRLMlZlZ3FLcTliQkdrRWk4R0k1NTNYVXU3WXFubEZrUTZSYzFmejA4ZzF6emRQY0ZLZDdUcXROMlpWej"
    "d5cUdqZ1oyVXZxa2NRYVZsb2pnVzd0YThWMUtSMzBPT1BncHByZFhyaERML2kzWXpNL2N1Vkd0N21yeDFMWEVlV1pjdzkwVk"
    "p0K1Q2aCs0c1JpV054Rk52Z01hajdveWdCbFJDL0Q4OG1sQ3hKL3grVUI3Zmc9PSIsICJkIjogIjZtZjM3N0Q2akFURzZXM1"
    "M3TCtQM3lOUHFHQk9qaUZhdXBMNUMxZGQ5QkZXdWlVdWJyU2ZYS3UrK0Y4dEdDSFcvcGpMN2VoTGg3RWxkaXUrcDhZc2lEdW"
    "NCMjNJMGNpcTBpZmYvNDJDekR4VVRxWSsyVGlyMXVTaDd4MzZrdkM2LzlKamFDMDYybldBdzNRNHdDWTZDQzlwSmxXTXlKbG"
    "Q3VURVaG9uMG5XNzhTSkc4UzBZQityeVdEajFQMXZOSk9FT1BJUWlhVWFNdWZPWU1IVTFsRFVFQkJqVDFNN0JBSXZETGUwQV"
    "JxRnZpSVNidm0rRzdWZ01FdS9ZPSJ9LCAic2FsdCI6ICI5NGY5NTZiNjdlZDgyYjJkIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_04_4", answer_04_4, "b", {
    "a": "Each product q_m k_m has variance 1, but q·k adds d_k of them, and the variances of independent terms "
         "add up: the score's variance is d_k, not 1. Only after dividing by sqrt(d_k) is it back to 1.",
    "b": "q·k is a sum of d_k independent products q_m k_m, each with mean 0 and variance 1; variances of "
         "independent terms add, so the variance is d_k and the standard deviation sqrt(d_k) (section 3).",
    "c": "sqrt(d_k) is the standard deviation of q·k, not its variance: the variance of a sum of d_k "
         "independent unit-variance products is d_k, and its square root is what we divide the scores by.",
    "d": "d_k squared would need the d_k terms to be perfectly correlated; they are independent, so their "
         "variances simply add: the variance is d_k (and the standard deviation sqrt(d_k), section 3).",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Attention is a soft dictionary lookup: scores $QK^\top$, weights $\operatorname{softmax}$ over the
#   **keys**, output = weighted sum of values.
# - Scale by $1/\sqrt{d_k}$ with $d_k$ the **head** width, so that scores have unit variance and the softmax
#   neither saturates nor kills gradients.
# - Masks (`True` = may attend, in `F.scaled_dot_product_attention`) set blocked scores to $-\infty$.
# - Your from-scratch function matches PyTorch's fused kernel and MiniLM's real attention weights.
#
# Next, lesson 05 runs several such heads in parallel: multi-head attention.
#
# ## Going further
#
# - Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017). *Attention Is All You Need.*
#   NeurIPS. Section 3.2.1 introduces scaled dot-product attention and footnote 4 the variance argument.
# - Bahdanau, Cho, Bengio (2015). *Neural Machine Translation by Jointly Learning to Align and Translate.*
#   ICLR. The first (additive) attention.
# - Luong, Pham, Manning (2015). *Effective Approaches to Attention-based Neural Machine Translation.* EMNLP.
#   Dot-product attention.
# - Rush (2018). *The Annotated Transformer* (Harvard NLP): the paper, line by line, in runnable code.
# - PyTorch documentation: `torch.nn.functional.scaled_dot_product_attention` (mask conventions, fused
#   kernels).

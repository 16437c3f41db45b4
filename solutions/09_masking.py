# ---
# jupyter:
#   course:
#     title: "Masking: padding, causal masks and the convention trap"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 09 · Masking: padding, causal masks and the convention trap
# {{COLAB_BADGE}}
#
# A mask decides, for every query position, which key positions it may read. Two masks appear in every
# Transformer: the **padding mask** (ignore the `[PAD]` tokens that make a batch rectangular) and the **causal
# mask** (a decoder must not read the future). They are one line of code each, and they are where some of
# the quietest bugs in deep learning live: a mask that is inverted, shifted by one or put on the wrong axis
# raises no error. The model trains, the loss goes down, and the numbers are wrong.
#
# **You will be able to:**
# 1. build padding masks from token ids or a Hugging Face `attention_mask`, and causal masks, with the right
#    shape, dtype and axis, and combine them;
# 2. say, for any PyTorch or Hugging Face API, whether `True` (or `1`) means "may attend" or "blocked", and
#    convert boolean masks to additive ones and back;
# 3. explain where fully-masked rows come from, why they give NaN, and fix them;
# 4. mask labels with `-100` so that padding and prompt tokens do not count in the loss;
# 5. explain why batched generation with a decoder-only model wants left padding.
#
# **Prerequisites:** lessons 01–08 (attention from scratch in 04, multi-head attention in 05, the decoder
# in 07). **Time:** about 90 minutes.

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
print(f"PyTorch {torch.__version__}")

# %% [markdown]
# ## 1. What a mask does
#
# Attention turns scores into weights with a softmax over the keys. A mask adds a matrix $M$ to the scores
# before the softmax:
#
# $$\text{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}} + M\right)V,
# \qquad M_{ij} = \begin{cases} 0 & \text{query } i \text{ may attend to key } j\\ -\infty & \text{blocked}
# \end{cases}$$
#
# Since $e^{-\infty} = 0$, a blocked key gets a weight of **exactly** zero, and the remaining weights still
# sum to 1: masking a key is the same as deleting it from the sequence, without changing any tensor shape.
# One query, four keys, the last of which is padding:

# %%
key_tokens = ["the", "cat", "sat", "[PAD]"]
scores = torch.tensor([2.0, 1.0, 0.5, 3.0])             # (k_len,) one query's scores
may_attend = torch.tensor([True, True, True, False])   # (k_len,) True = may attend

masked_scores = scores.masked_fill(~may_attend, float("-inf"))
print("weights without the mask:", torch.softmax(scores, dim=-1).numpy().round(3))
print("weights with the mask:   ", torch.softmax(masked_scores, dim=-1).numpy().round(3))
print("softmax over the 3 real keys only:", torch.softmax(scores[:3], dim=-1).numpy().round(3))

_, ax = plt.subplots(figsize=(8, 2.2))
course.plot_mask(may_attend[None, :], key_tokens, query_tokens=["query"], convention="allowed", ax=ax,
                 title="One query, one padded key")
plt.show()

# %% [markdown]
# A mask is a table of yes/no answers with one row per query and one column per key, and there are
# **three ways to write it down**, all in use in PyTorch and Hugging Face:
#
# | convention | dtype | "may attend" | "blocked" | used by |
# |---|---|---|---|---|
# | `"allowed"` | bool | `True` | `False` | `F.scaled_dot_product_attention`, Hugging Face `attention_mask` (as 1/0) |
# | `"blocked"` | bool | `False` | `True` | `nn.MultiheadAttention` (`attn_mask`, `key_padding_mask`), `nn.Transformer*` |
# | `"additive"` | float | `0` | `-inf` (or a large negative number) | added to the scores by all of the above |
#
# A boolean mask means nothing until you know its convention. That is why `course.plot_mask` refuses to draw a
# mask without one, and why every mask in this lesson is drawn with a legend that says which value means
# "may attend".
#
# **Takeaway:** a mask adds $-\infty$ to blocked scores, so blocked keys get weight exactly 0; always ask
# which convention a mask uses.

# %% [markdown]
# ## 2. Padding masks
#
# Sentences have different lengths, tensors are rectangular: a batch is padded with `[PAD]` tokens up to its
# longest sentence. Here is a real padded batch from MiniLM's tokenizer (MiniLM is the small BERT encoder
# used throughout the course; it loads offline).

# %%
tokenizer, minilm = course.load_minilm()
sentences = ["The cat sat.", "Padding masks tell attention which tokens are real."]
batch = tokenizer(sentences, padding=True, return_tensors="pt")
batch_tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in batch["input_ids"]]
print("pad token:", tokenizer.pad_token, "id", tokenizer.pad_token_id)
print("input_ids:\n", batch["input_ids"])
print("attention_mask:\n", batch["attention_mask"])
course.show_tokens(tokenizer, sentences[0])

# %% [markdown]
# The tokenizer returns an `attention_mask` of integers: **1 = real token (may attend), 0 = padding**. It is
# the "allowed" convention written with 0/1. The same information can be computed from the ids alone,
# `input_ids != pad_id`, as long as the pad id never appears as a real token.

# %%
real_token = batch["attention_mask"].bool()                       # (batch, seq_len), True = real token
print("same as input_ids != pad_id:", torch.equal(real_token, batch["input_ids"] != tokenizer.pad_token_id))

seq_len = batch["input_ids"].shape[1]
_, ax = plt.subplots(figsize=(10, 2.6))
course.plot_mask(real_token, [str(position) for position in range(seq_len)],
                 query_tokens=["sentence 0", "sentence 1"], convention="allowed", ax=ax,
                 title="attention_mask of the batch, as booleans", xlabel="position", ylabel="sentence")
plt.show()

# %% [markdown]
# ### Mask the keys, not the queries
#
# Padding is a property of a **key**: nobody should read a `[PAD]`. So the padding mask blocks *columns* of
# the $(q\_len, k\_len)$ score matrix, the same columns for every query. Drawn for the short sentence:

# %%
key_allowed_0 = real_token[0]                                     # (k_len,)
course.plot_mask(key_allowed_0[None, :].expand(seq_len, seq_len), batch_tokens[0], convention="allowed",
                 title="Padding mask of sentence 0 (keys = columns)")
plt.show()

# %% [markdown]
# The rows of the `[PAD]` queries are still coloured: the pad positions *do* attend (to the real tokens) and
# produce some vector. That is harmless, because nothing downstream reads those vectors: pooling uses the
# `attention_mask` again, and the loss ignores pad positions (section 8). Blocking the pad *rows* instead would
# be wrong twice: the real queries would still read the pads, and the pad rows would have no key left at all
# (section 7 shows what that does).
#
# In a model the scores have shape `(batch, heads, q_len, k_len)`, so the padding mask is stored as
# `(batch, 1, 1, k_len)`: broadcasting repeats it over the heads and the queries.
#
# Does it matter? Run MiniLM on the short sentence alone, and inside the padded batch with and without its
# `attention_mask`. With the mask the padded sentence gets the same vectors as when alone (to float
# round-off); without it, every real token also attends to seven `[PAD]`s and its vector changes.

# %%
n_real = int(batch["attention_mask"][0].sum())
with torch.no_grad():
    alone = minilm(**tokenizer(sentences[:1], return_tensors="pt")).last_hidden_state[0]   # (n_real, 384)
    with_mask = minilm(**batch, output_attentions=True)
    without_mask = minilm(input_ids=batch["input_ids"]).last_hidden_state[0, :n_real]
print(f"max |alone - padded with attention_mask|:    {(alone - with_mask.last_hidden_state[0, :n_real]).abs().max():.2e}")
print(f"max |alone - padded without attention_mask|: {(alone - without_mask).abs().max():.2e}")

weights_0 = with_mask.attentions[0][0, 0]                        # layer 0, sentence 0, head 0: (q_len, k_len)
print("total weight on [PAD] keys, per query:", weights_0[:, n_real:].sum(-1).numpy().round(6))
course.plot_attention(weights_0, batch_tokens[0], title="MiniLM layer 0, head 0: no weight on [PAD] keys")
plt.show()

# %% [markdown]
# **Takeaway:** a padding mask blocks the pad **keys** (columns), shape `(batch, 1, 1, k_len)`; forgetting it
# changes the outputs of the real tokens.
#
# The self-checks below compare your masks with attention computed **without any mask**: for each query we
# *select* the keys it may read and run a plain softmax over them. If a mask is right, masking and selecting
# give the same numbers.

# %%
def attention_by_selection(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                           allowed: torch.Tensor) -> torch.Tensor:
    """Reference attention that uses no mask: each query attends only to the keys it is allowed to see.

    Args:
        q: (batch, heads, q_len, d); k, v: (batch, heads, k_len, d).
        allowed: bool, broadcastable to (batch, heads, q_len, k_len), True = may attend.
    Returns:
        (batch, heads, q_len, d); rows with no allowed key are 0 (as F.scaled_dot_product_attention
        returns them since PyTorch 2.5).
    """
    batch_size, heads, q_len, d = q.shape
    allowed = allowed.expand(batch_size, heads, q_len, k.shape[-2])
    out = torch.zeros(batch_size, heads, q_len, v.shape[-1])
    for b in range(batch_size):
        for h in range(heads):
            for i in range(q_len):
                keys = allowed[b, h, i].nonzero().flatten()          # indices of the keys query i may read
                if len(keys):
                    weights = torch.softmax(k[b, h, keys] @ q[b, h, i] / math.sqrt(d), dim=-1)
                    out[b, h, i] = weights @ v[b, h, keys]
    return out


# %% [markdown]
# ### Exercise 09.1 — `padding_mask` (2 points)
#
# Write `padding_mask(input_ids, pad_id)`:
# - `input_ids`: `torch.long`, shape `(batch, seq_len)`; `pad_id`: the id of the padding token (any
#   integer, not necessarily 0);
# - return a **boolean** tensor of shape `(batch, 1, 1, seq_len)` in the convention of
#   `F.scaled_dot_product_attention`: **`True` = may attend** (a real token), `False` = padding;
# - the mask must block **keys** (the last axis), so that it broadcasts against scores
#   `(batch, heads, q_len, k_len)`.

# %% nbgrader={"solution": true, "grade_id": "ex09_1"}
def padding_mask(input_ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Key padding mask for F.scaled_dot_product_attention.

    Args:
        input_ids: (batch, seq_len) token ids.
        pad_id: id of the padding token.
    Returns:
        bool (batch, 1, 1, seq_len): True where the key is a real token (may attend), False at padding.
    """
    ### BEGIN SOLUTION
    return (input_ids != pad_id)[:, None, None, :]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex09_1_test", "points": 2}
# Self-check: masked attention must equal attention over the real keys only.
torch.manual_seed(1)
ids = torch.tensor([[5, 8, 2, 9, 0, 0], [4, 4, 7, 1, 3, 6], [3, 1, 0, 0, 0, 0]])
mask = padding_mask(ids, pad_id=0)
assert mask.dtype == torch.bool, f"the mask must be boolean, got dtype {mask.dtype}"
assert mask.shape == (3, 1, 1, 6), f"expected shape (batch, 1, 1, seq_len) = (3, 1, 1, 6), got {tuple(mask.shape)}"
q, k, v = torch.randn(3, 2, 6, 8), torch.randn(3, 2, 6, 8), torch.randn(3, 2, 6, 8)
real_keys = (torch.arange(6)[None, :] < torch.tensor([4, 6, 2])[:, None]).view(3, 1, 1, 6)  # from the lengths
torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                           attention_by_selection(q, k, v, real_keys), atol=1e-5, rtol=1e-5,
                           msg="masked attention differs from attention over the real keys only")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _check_padding_mask():
    torch.manual_seed(11)
    for batch_size, length, pad_id in [(3, 7, 0), (2, 5, 7), (4, 9, 1)]:
        ids = torch.randint(0, 10, (batch_size, length))
        ids[ids == pad_id] = (pad_id + 1) % 10
        n_real = torch.randint(1, length + 1, (batch_size,))
        ids[torch.arange(length)[None, :] >= n_real[:, None]] = pad_id     # right padding
        mask = padding_mask(ids, pad_id)
        assert mask.dtype == torch.bool, (
            f"the mask must be boolean, got {mask.dtype}. A float 0/1 mask is ADDED to the scores by "
            "F.scaled_dot_product_attention, which blocks nothing")
        if mask.shape == (batch_size, 1, length, 1):
            raise AssertionError("your mask has shape (batch, 1, seq_len, 1): it masks the QUERY axis. Padding is a "
                                 "property of the keys: nobody may read a [PAD], so block the last axis")
        assert mask.shape == (batch_size, 1, 1, length), (
            f"expected shape (batch, 1, 1, seq_len) = {(batch_size, 1, 1, length)}, got {tuple(mask.shape)}")
        expected = (ids != pad_id)[:, None, None, :]
        if torch.equal(mask, ~expected):
            raise AssertionError("your mask is inverted: it is True at the padding. F.scaled_dot_product_attention "
                                 "reads True as 'may attend' (True = blocked is nn.MultiheadAttention's convention)")
        assert torch.equal(mask, expected), (
            f"with pad_id={pad_id} the mask should be True exactly where input_ids != pad_id "
            "(do not assume the pad id is 0)")
        # Behaviour: changing the keys and values at padded positions changes no output.
        q, k, v = (torch.randn(batch_size, 2, length, 8) for _ in range(3))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        pad = (ids == pad_id)[:, None, :, None]
        k2, v2 = k + 10 * pad * torch.randn_like(k), v + 10 * pad * torch.randn_like(v)
        torch.testing.assert_close(F.scaled_dot_product_attention(q, k2, v2, attn_mask=mask), out,
                                   atol=1e-5, rtol=1e-5, msg="changing a padded token changed the outputs")
        torch.testing.assert_close(out, attention_by_selection(q, k, v, expected), atol=1e-5, rtol=1e-5)
    # No padding at all: everything may attend.
    assert padding_mask(torch.tensor([[3, 4, 5]]), pad_id=0).all(), "a batch without padding must be all True"
    # LEFT padding (pads first, as for batched generation): the mask must follow the ids, not a length.
    from course.checks import call_checking_inputs

    left_ids = torch.tensor([[2, 2, 5, 8, 9], [4, 1, 3, 6, 7], [2, 2, 2, 2, 9]])
    mask = call_checking_inputs(padding_mask, left_ids, 2)
    assert torch.equal(mask, (left_ids != 2)[:, None, None, :]), (
        "with left padding (pads at the START, pad_id=2) your mask is wrong: mark each position by its own id "
        "(input_ids != pad_id), do not assume the padding comes after a number of real tokens")


_check_padding_mask()
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Causal (look-ahead) masks
#
# A decoder is trained to predict token $t+1$ from tokens $1..t$, on every position of a sequence at once
# (teacher forcing, lesson 07). If position $t$ could read position $t+1$, it would copy the answer. The
# causal mask allows query $i$ to read key $j$ only when $j \le i$:
#
# $$\text{allowed}_{ij} = [\,j \le i\,]$$
#
# — the lower triangle **including the diagonal**: a token may always read itself (it is the current input,
# not the future; what is predicted is the *next* token). PyTorch has a helper that builds this mask in the
# additive convention:

# %%
causal_tokens = tokenizer.tokenize("the cat sat on the mat")
causal_len = len(causal_tokens)
causal_additive = nn.Transformer.generate_square_subsequent_mask(causal_len)   # (6, 6) float, 0 / -inf
print(causal_additive)
course.plot_mask(causal_additive, causal_tokens, convention="additive",
                 title="nn.Transformer.generate_square_subsequent_mask(6)")
plt.show()

# %% [markdown]
# `F.scaled_dot_product_attention(q, k, v, is_causal=True)` builds the same mask internally (and can skip the
# blocked blocks entirely, which fused kernels use to save work). You need an explicit mask as soon as you
# combine it with something else, such as padding.
#
# **Careful when `q_len ≠ k_len`.** `is_causal=True` builds `torch.ones(q_len, k_len).tril()`, a triangle
# aligned to the **top-left** corner: query 0 may read key 0 only. That is right when queries and keys are
# the same positions, and wrong during generation with a key-value cache, where 2 new queries are the
# **last** 2 positions of 5 and must read keys 0–3 and 0–4: a triangle aligned to the **bottom-right**,
# `tril(diagonal=k_len - q_len)`. Pass that mask explicitly:

# %%
q_new, k_cached, v_cached = torch.randn(1, 1, 2, 8), torch.randn(1, 1, 5, 8), torch.randn(1, 1, 5, 8)
top_left = torch.ones(2, 5, dtype=torch.bool).tril()                       # what is_causal=True builds
bottom_right = torch.ones(2, 5, dtype=torch.bool).tril(diagonal=5 - 2)     # what a cache needs
print("top-left (is_causal=True):\n", top_left.int(), "\nbottom-right (new positions 3 and 4):\n", bottom_right.int())
with_is_causal = F.scaled_dot_product_attention(q_new, k_cached, v_cached, is_causal=True)
for alignment, cache_mask in (("top-left", top_left), ("bottom-right", bottom_right)):
    same = torch.allclose(with_is_causal,
                          F.scaled_dot_product_attention(q_new, k_cached, v_cached, attn_mask=cache_mask))
    print(f"is_causal=True equals the {alignment} mask: {same}")

# %% [markdown]
# **`is_causal=True` is for `q_len == k_len` only; with a cache, build the bottom-right mask yourself.**
#
# **Takeaway:** causal = lower triangle, diagonal included: query $i$ reads keys $0..i$.

# %% [markdown]
# ### Exercise 09.2 (a) — `causal_mask` (2 points)
#
# Exercise 09.2 has two parts: (a) builds the causal mask, (b) in section 4 combines it with a padding mask.
#
# Write `causal_mask(seq_len)`: a **boolean** tensor of shape `(seq_len, seq_len)`, **`True` = may attend**,
# with `mask[i, j]` True exactly when `j <= i`. Build it yourself (for example from `torch.ones` and
# `torch.tril` or `torch.triu` — mind their `diagonal` argument — or by comparing position indices); do not
# call `nn.Transformer.generate_square_subsequent_mask`.

# %% nbgrader={"solution": true, "grade_id": "ex09_2a"}
def causal_mask(seq_len: int) -> torch.Tensor:
    """Causal mask for F.scaled_dot_product_attention.

    Args:
        seq_len: number of positions.
    Returns:
        bool (seq_len, seq_len): True where key j <= query i (may attend), False for the future.
    """
    ### BEGIN SOLUTION
    return torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex09_2a_test", "points": 2}
# Self-check: your mask must give the same attention as PyTorch's own causal attention.
torch.manual_seed(2)
mask = causal_mask(5)
assert mask.dtype == torch.bool, f"the mask must be boolean, got dtype {mask.dtype}"
assert mask.shape == (5, 5), f"expected shape (seq_len, seq_len) = (5, 5), got {tuple(mask.shape)}"
q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 8)
torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                           F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-5, rtol=1e-5,
                           msg="attention with your mask differs from F.scaled_dot_product_attention(is_causal=True)")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _check_causal_mask():
    torch.manual_seed(12)
    for length in [1, 2, 4, 9]:
        mask = causal_mask(length)
        assert mask.dtype == torch.bool, (
            f"the mask must be boolean, got {mask.dtype}: a float 0/1 mask is ADDED to the scores and blocks nothing")
        assert mask.shape == (length, length), f"expected shape ({length}, {length}), got {tuple(mask.shape)}"
        assert mask.diagonal().all(), (
            "the diagonal must be True: a token may attend to itself (only the FUTURE is blocked). "
            "Check the diagonal= offset of tril/triu")
        if length > 1:
            assert not mask[0, 1], "mask[0, 1] is True: query 0 may read key 1, which is in its future"
            if not mask[1, 0]:
                raise AssertionError("mask[1, 0] is False: query 1 may not read key 0, its past. Is your mask "
                                     "inverted (True = blocked is nn.MultiheadAttention's convention)?")
        expected = torch.ones(length, length).tril().bool()
        assert torch.equal(mask, expected), "mask[i, j] must be True exactly when j <= i"
        # Behaviour: changing a future token changes no earlier output.
        q, k, v = (torch.randn(2, 2, length, 8) for _ in range(3))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        for t in range(length - 1):
            k2, v2 = k.clone(), v.clone()
            k2[..., t + 1:, :] += 5 * torch.randn_like(k2[..., t + 1:, :])
            v2[..., t + 1:, :] += 5 * torch.randn_like(v2[..., t + 1:, :])
            torch.testing.assert_close(F.scaled_dot_product_attention(q, k2, v2, attn_mask=mask)[..., :t + 1, :],
                                       out[..., :t + 1, :], atol=1e-5, rtol=1e-5,
                                       msg=f"changing tokens after position {t} changed the output at position <= {t}")
        torch.testing.assert_close(out, attention_by_selection(q, k, v, expected), atol=1e-5, rtol=1e-5)


_check_causal_mask()
_saved_subsequent_mask = nn.Transformer.__dict__["generate_square_subsequent_mask"]


def _forbidden_subsequent_mask(*args, **kwargs):
    raise AssertionError("build the causal mask yourself (torch.ones + torch.tril, or by comparing position "
                         "indices): calling nn.Transformer.generate_square_subsequent_mask is not allowed")


nn.Transformer.generate_square_subsequent_mask = staticmethod(_forbidden_subsequent_mask)
try:
    causal_mask(4)
finally:
    nn.Transformer.generate_square_subsequent_mask = _saved_subsequent_mask
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Combining masks
#
# A decoder on a padded batch needs both rules at once: query $i$ of sentence $b$ may read key $j$ only if
# $j$ is a real token **and** $j \le i$. With "may attend" booleans, combining is a logical **AND**, and
# broadcasting does the shapes:
#
# $$\underbrace{(\text{batch}, 1, 1, k\_len)}_{\text{padding}} \;\&\; \underbrace{(q\_len, k\_len)}_{\text{causal}}
# \;\to\; (\text{batch}, 1, q\_len, k\_len)$$
#
# (With "blocked" booleans it is an OR: a key is blocked if *either* mask blocks it — De Morgan's law. Mixing
# the two conventions in one expression is the bug of Exercise 09.3.)

# %% [markdown]
# ### Exercise 09.2 (b) — `combine_masks` (2 points)
#
# Write `combine_masks(padding, causal=None)`:
# - `padding`: bool `(batch, 1, 1, k_len)`, `True` = may attend (as returned by `padding_mask`);
# - `causal`: bool `(q_len, k_len)`, `True` = may attend (as returned by `causal_mask`, or any other
#   per-position rule), or `None` for an encoder, in which case `q_len = k_len` and only padding applies;
# - return a bool tensor of shape **exactly** `(batch, 1, q_len, k_len)`, `True` where **both** masks allow.

# %% nbgrader={"solution": true, "grade_id": "ex09_2b"}
def combine_masks(padding: torch.Tensor, causal: torch.Tensor | None = None) -> torch.Tensor:
    """Combine a key padding mask with a causal mask, both "True = may attend".

    Args:
        padding: bool (batch, 1, 1, k_len).
        causal: bool (q_len, k_len), or None (then q_len = k_len and only padding applies).
    Returns:
        bool (batch, 1, q_len, k_len): True where both masks allow attention.
    """
    ### BEGIN SOLUTION
    if causal is None:
        k_len = padding.shape[-1]
        causal = torch.ones(k_len, k_len, dtype=torch.bool, device=padding.device)
    return padding & causal
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex09_2b_test", "points": 2}
# Self-check: a decoder mask for a padded batch, compared with attention over the allowed keys only.
torch.manual_seed(3)
padding = torch.tensor([[True, True, True, False, False], [True] * 5])[:, None, None, :]   # (2, 1, 1, 5)
causal = torch.tensor([[1, 0, 0, 0, 0],
                       [1, 1, 0, 0, 0],
                       [1, 1, 1, 0, 0],
                       [1, 1, 1, 1, 0],
                       [1, 1, 1, 1, 1]], dtype=torch.bool)                                      # (5, 5) causal
combined = combine_masks(padding, causal)
assert combined.dtype == torch.bool, f"the mask must be boolean, got dtype {combined.dtype}"
assert combined.shape == (2, 1, 5, 5), f"expected shape (batch, 1, q_len, k_len) = (2, 1, 5, 5), got {tuple(combined.shape)}"
encoder = combine_masks(padding)                                                             # no causal mask
assert encoder.shape == (2, 1, 5, 5), "without a causal mask the result must still be (batch, 1, k_len, k_len)"
assert not encoder[0, 0, :, 3:].any(), "without a causal mask, no query of sentence 0 may read its [PAD] keys 3 and 4"
assert not combined[0, 0, :, 3:].any(), "sentence 0: no query (not even a [PAD] query) may read the [PAD] keys 3 and 4"
q, k, v = torch.randn(2, 2, 5, 8), torch.randn(2, 2, 5, 8), torch.randn(2, 2, 5, 8)
real = torch.tensor([3, 5])
for b in range(2):
    n = int(real[b])   # real queries of sentence b must see exactly the real keys 0..i
    torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=combined)[b, :, :n],
                               F.scaled_dot_product_attention(q[b:b + 1, :, :n], k[b:b + 1, :, :n], v[b:b + 1, :, :n],
                                                              is_causal=True)[0], atol=1e-5, rtol=1e-5,
                               msg=f"sentence {b}: outputs differ from causal attention over its {n} real tokens")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _check_combine_masks():
    torch.manual_seed(13)
    for batch_size, length in [(3, 6), (2, 9), (1, 1)]:
        n_real = torch.randint(1, length + 1, (batch_size,))
        pad = torch.arange(length)[None, :] < n_real[:, None]                 # (batch, k_len), True = real
        padding = pad[:, None, None, :]
        causal = torch.ones(length, length).tril().bool()
        combined = combine_masks(padding, causal)
        assert combined.dtype == torch.bool, f"the mask must be boolean, got {combined.dtype}"
        assert combined.shape == (batch_size, 1, length, length), (
            f"expected shape (batch, 1, q_len, k_len) = {(batch_size, 1, length, length)}, got {tuple(combined.shape)}")
        expected = padding & causal
        if length > 1 and torch.equal(combined, padding | causal):
            raise AssertionError("you combined with OR: with 'True = may attend' masks, OR lets a query read a key "
                                 "that EITHER mask allows (the future, or a pad). Use AND: both must allow")
        if length > 1 and torch.equal(combined, padding.transpose(-1, -2) & causal):
            raise AssertionError("your padding acts on the QUERY axis (rows); it must block KEYS (the last axis)")
        assert torch.equal(combined, expected), "combined[b, 0, i, j] must be padding[b, 0, 0, j] AND causal[i, j]"
        q, k, v = (torch.randn(batch_size, 2, length, 8) for _ in range(3))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=combined)
        torch.testing.assert_close(out, attention_by_selection(q, k, v, expected), atol=1e-5, rtol=1e-5,
                                   msg="SDPA with your mask differs from attention over the allowed keys only")
        # Behaviour: padded tokens and future tokens do not change the outputs of real queries.
        for t in range(length):
            k2, v2 = k.clone(), v.clone()
            noise_at = (~pad[:, None, :, None]) | (torch.arange(length) > t)[None, None, :, None]
            k2 = k2 + 5 * noise_at * torch.randn_like(k2)
            v2 = v2 + 5 * noise_at * torch.randn_like(v2)
            out2 = F.scaled_dot_product_attention(q, k2, v2, attn_mask=combined)
            keep = (torch.arange(length)[None, :] <= t) & pad                   # real queries up to t
            keep = keep[:, None, :, None].expand_as(out)
            torch.testing.assert_close(out2[keep], out[keep], atol=1e-5, rtol=1e-5,
                                       msg="changing padded or future tokens changed the output of a real query")
        # Encoder case: no causal mask.
        encoder = combine_masks(padding)
        assert encoder.shape == (batch_size, 1, length, length), (
            f"without a causal mask the result must have shape (batch, 1, k_len, k_len), got {tuple(encoder.shape)}")
        assert torch.equal(encoder, padding.expand(batch_size, 1, length, length)), (
            "without a causal mask every query may read every real key")
    # Any (q_len, k_len) rule, not only a square lower triangle (e.g. 2 new queries over 5 cached keys).
    padding = torch.tensor([[True, True, True, True, False], [True, True, False, False, False]])[:, None, None, :]
    rule = torch.tensor([[True, True, True, True, False], [True, True, True, True, True]])
    combined = combine_masks(padding, rule)
    assert combined.shape == (2, 1, 2, 5), f"with causal of shape (2, 5) expected (2, 1, 2, 5), got {tuple(combined.shape)}"
    assert torch.equal(combined, padding & rule), "combine with AND for any (q_len, k_len) causal rule"
    # LEFT padding (pads first, as for batched generation): the same AND; rows of leading pads end up empty.
    left = torch.tensor([[False, False, True, True, True], [True] * 5])[:, None, None, :]
    combined = combine_masks(left, torch.ones(5, 5).tril().bool())
    assert torch.equal(combined, left & torch.ones(5, 5).tril().bool()), (
        "with left padding (pads at the start) the combination must still be padding AND causal, key by key")
    assert not combined[0, 0, :2].any(), "the leading pad queries of a left-padded row may read nothing (empty rows)"


_check_combine_masks()
### END HIDDEN TESTS

# %% [markdown]
# Here is the combined mask for our MiniLM batch, built from the tokenizer's `attention_mask` and PyTorch's
# causal helper. Sentence 0 has 7 `[PAD]`s: their columns are blocked, and every row keeps its own lower
# triangle.

# %%
causal_allowed = nn.Transformer.generate_square_subsequent_mask(seq_len) == 0      # (k_len, k_len), True = may attend
decoder_allowed = real_token[:, None, None, :] & causal_allowed                     # (batch, 1, q_len, k_len)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
for b, ax in enumerate(axes):
    course.plot_mask(decoder_allowed[b, 0], batch_tokens[b], convention="allowed", ax=ax,
                     title=f"Padding AND causal, sentence {b}")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Takeaway:** combine "may attend" masks with AND (blocked masks with OR); broadcasting
# `(batch, 1, 1, k) & (q, k)` gives `(batch, 1, q, k)`.

# %% [markdown]
# ## 5. Boolean masks and additive masks
#
# A boolean mask is turned into an additive one with `masked_fill`: 0 where allowed, $-\infty$ where blocked.
# `F.scaled_dot_product_attention` accepts both: a **bool** mask is read as "True = may attend", a **float**
# mask is **added** to the scores.

# %%
torch.manual_seed(0)
q, k, v = torch.randn(1, 2, causal_len, 8), torch.randn(1, 2, causal_len, 8), torch.randn(1, 2, causal_len, 8)
causal_bool = nn.Transformer.generate_square_subsequent_mask(causal_len) == 0            # (6, 6) bool
causal_float = torch.zeros(causal_len, causal_len).masked_fill(~causal_bool, float("-inf"))  # (6, 6) 0 / -inf
large_negative = torch.finfo(torch.float32).min
causal_hf_style = torch.zeros(causal_len, causal_len).masked_fill(~causal_bool, large_negative)

reference = F.scaled_dot_product_attention(q, k, v, is_causal=True)
for name, mask in [("bool", causal_bool), ("additive -inf", causal_float), ("additive finfo.min", causal_hf_style)]:
    difference = (F.scaled_dot_product_attention(q, k, v, attn_mask=mask) - reference).abs().max()
    print(f"{name:>20} mask: max difference from is_causal=True = {difference:.1e}")

fig, axes = plt.subplots(1, 3, figsize=(10, 4))
course.plot_mask(causal_bool, causal_tokens, convention="allowed", ax=axes[0], title="Boolean")
course.plot_mask(causal_float, causal_tokens, convention="additive", ax=axes[1], title="Additive, -inf")
course.plot_mask(causal_hf_style, causal_tokens, convention="additive", ax=axes[2],
                 title=f"Additive, finfo.min = {large_negative:.1e}")
fig.tight_layout()
plt.show()

# %% [markdown]
# Hugging Face models use the large finite negative `torch.finfo(dtype).min` rather than $-\infty$: the
# weight is still $e^{-3.4\times 10^{38}} = 0$, but arithmetic such as $-\infty - (-\infty)$ (which gives NaN)
# can never happen, and half precision does not overflow. Section 7 shows when that matters.
#
# ### A 0/1 float mask is *not* a mask
#
# The tokenizer's `attention_mask` holds 1 and 0. Passed as a float `attn_mask`, it is **added**: real keys
# get $+1$, pads get $+0$. Adding a constant to some scores only multiplies their softmax numerators by
# $e^{1} \approx 2.7$: the pads keep a large share of the weight, and no error is raised.

# %%
torch.manual_seed(0)
q, k, v = (torch.randn(2, 1, seq_len, 8) for _ in range(3))     # (batch, heads, seq_len, d), MiniLM batch length
one_zero_float = batch["attention_mask"][:, None, None, :].float()   # (batch, 1, 1, k_len): 1.0 real, 0.0 pad


def weight_on_padding(mask_to_add: torch.Tensor) -> float:
    """Total attention weight that query 0 of sentence 0 gives to its [PAD] keys."""
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(8) + mask_to_add, dim=-1)
    return float(weights[0, 0, 0, n_real:].sum())


proper_additive = torch.zeros_like(one_zero_float).masked_fill(~real_token[:, None, None, :], float("-inf"))
print(f"weight on [PAD] keys, additive 0/-inf mask: {weight_on_padding(proper_additive):.3f}")
print(f"weight on [PAD] keys, 0/1 mask added:       {weight_on_padding(one_zero_float):.3f}")
try:
    course.plot_mask(one_zero_float[0, 0], batch_tokens[0], query_tokens=["all queries"], convention="additive")
except ValueError as error:
    print("The mask viewer refuses it:", error)
plt.close("all")
_, ax = plt.subplots(figsize=(10, 2.4))
course.plot_mask(proper_additive[0, 0], batch_tokens[0], query_tokens=["all queries"], convention="additive",
                 ax=ax, title="The additive mask that was meant (sentence 0)")
plt.show()

# %% [markdown]
# **Takeaway:** boolean and additive masks are equivalent once the convention is right; a float mask is
# *added*, so a 0/1 float mask silently masks nothing. Convert with `mask.bool()` or `masked_fill`.

# %% [markdown]
# ## 6. The convention trap: `scaled_dot_product_attention` versus `nn.MultiheadAttention`
#
# The two attention entry points of PyTorch read a boolean mask in **opposite** ways. From their documentation:
#
# - `F.scaled_dot_product_attention(attn_mask=...)`: "A boolean mask where a value of True indicates that the
#   element *should* take part in attention."
# - `nn.MultiheadAttention(attn_mask=..., key_padding_mask=...)`: "For a binary mask, a True value indicates
#   that the corresponding position is not allowed to attend." (`nn.TransformerEncoderLayer`,
#   `nn.TransformerDecoderLayer` and `nn.Transformer` pass their masks on to it.)
#
# (Lesson 05 built its masks in `nn.MultiheadAttention`'s convention.) So the same tensor means two opposite
# things. Draw one causal tensor under both readings:

# %%
sdpa_causal = nn.Transformer.generate_square_subsequent_mask(causal_len) == 0   # True on and below the diagonal
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
course.plot_mask(sdpa_causal, causal_tokens, convention="allowed", ax=axes[0],
                 title="How scaled_dot_product_attention reads it")
course.plot_mask(sdpa_causal, causal_tokens, convention="blocked", ax=axes[1],
                 title="How nn.MultiheadAttention reads the SAME tensor")
fig.tight_layout()
plt.show()

# %% [markdown]
# Now the numbers. We build a small `nn.MultiheadAttention` and recompute it by hand with
# `F.scaled_dot_product_attention` and the same weights (the projections of lesson 05), so that both use
# identical queries, keys and values.

# %%
torch.manual_seed(0)
embed_dim, num_heads = 8, 2
mha = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True).eval()
x = torch.randn(1, causal_len, embed_dim)                                  # (batch, seq_len, embed_dim)


def mha_via_sdpa(x: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
    """mha's computation redone with F.scaled_dot_product_attention (mask in SDPA's convention)."""
    batch_size, length, _ = x.shape
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (t.view(batch_size, length, num_heads, -1).transpose(1, 2) for t in (q, k, v))  # (b, h, L, d_head)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
    return mha.out_proj(out.transpose(1, 2).reshape(batch_size, length, embed_dim))


with torch.no_grad():
    correct = mha_via_sdpa(x, sdpa_causal)
    mha_inverted, weights_inverted = mha(x, x, x, attn_mask=sdpa_causal)     # the trap: SDPA's mask given to MHA
    mha_fixed, weights_fixed = mha(x, x, x, attn_mask=~sdpa_causal)          # the fix: invert it
    sdpa_inverted = mha_via_sdpa(x, ~sdpa_causal)                            # the trap the other way round

print(f"MHA given SDPA's mask:      max |difference| = {(mha_inverted - correct).abs().nan_to_num(0).max():.3f}, "
      f"NaN entries: {int(mha_inverted.isnan().sum())}")
print(f"MHA given ~mask (the fix):  max |difference| = {(mha_fixed - correct).abs().max():.1e}")
print(f"SDPA given MHA's mask:      max |difference| = {(sdpa_inverted - correct).abs().max():.3f}, "
      f"last row = {sdpa_inverted[0, -1, :3].numpy().round(3)}...")

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
course.plot_mask(~sdpa_causal, causal_tokens, convention="blocked", ax=axes[0],
                 title="The fix: ~mask, as nn.MultiheadAttention reads it")
course.plot_mask(~sdpa_causal, causal_tokens, convention="allowed", ax=axes[1],
                 title="~mask, as scaled_dot_product_attention reads it")
fig.tight_layout()
plt.show()

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
course.plot_attention(weights_fixed[0], causal_tokens, ax=axes[0], annotate=True,
                      title="MHA with the mask it expects (True = blocked)")
course.plot_attention(weights_inverted[0], causal_tokens, ax=axes[1], annotate=True,
                      title="MHA given SDPA's mask: reads only the future")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the right-hand map: every query now attends **only to its strict future** — the exact opposite of a
# causal model — and the last query, whose whole row is `True`, has nothing left and returns NaN (with the
# default `need_weights=True` used here; section 7 shows that other code paths give zeros). The other
# way round, SDPA given a "blocked" mask also attends to the future and *silently* returns zeros for the last
# row (section 7 explains why zeros and not NaN). Training such a model raises no error; it learns to copy
# the next token, then fails at generation time.
#
# The same trap exists for padding. `nn.MultiheadAttention`'s `key_padding_mask` wants **True at the pads**;
# the tokenizer's `attention_mask` is **1 at the real tokens**:

# %%
torch.manual_seed(0)
x_batch = torch.randn(2, seq_len, embed_dim)
with torch.no_grad():
    right, _ = mha(x_batch, x_batch, x_batch, key_padding_mask=batch["attention_mask"] == 0)   # True = pad
    wrong, _ = mha(x_batch, x_batch, x_batch, key_padding_mask=batch["attention_mask"].bool())  # True = real!
print("NaN entries, key_padding_mask = (attention_mask == 0):", int(right.isnan().sum()))
print("NaN entries, key_padding_mask = attention_mask.bool():", int(wrong.isnan().sum()),
      "of", wrong.numel(), "(sentence 1 has no pad, so every key is blocked)")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
course.plot_mask((batch["attention_mask"][0] == 0)[None, :].expand(seq_len, seq_len), batch_tokens[0],
                 convention="blocked", ax=axes[0], title="key_padding_mask = (attention_mask == 0)")
course.plot_mask(batch["attention_mask"][0].bool()[None, :].expand(seq_len, seq_len), batch_tokens[0],
                 convention="blocked", ax=axes[1], title="key_padding_mask = attention_mask.bool()  (wrong)")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Takeaway:** before passing a boolean mask, check the API's convention: SDPA and Hugging Face, True/1 =
# may attend; `nn.MultiheadAttention` and `nn.Transformer*`, True = blocked. Convert with `~`.

# %% [markdown]
# ### Exercise 09.3 — fix the combination (4 points)
#
# A colleague wrote the self-attention mask of a decoder for `F.scaled_dot_product_attention`. It runs, has the
# right shape — and is wrong. Here it is, applied to a small batch (pad id 0):

# %%
def decoder_mask_buggy(input_ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Meant to be the decoder self-attention mask for F.scaled_dot_product_attention, (batch, 1, L, L)."""
    seq_len = input_ids.shape[-1]
    padding = (input_ids == pad_id)[:, None, None, :]                                     # (batch, 1, 1, L)
    causal = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)       # (L, L)
    return padding | causal                                                               # (batch, 1, L, L)


toy_ids = torch.tensor([[7, 3, 9, 4, 0, 0], [5, 2, 8, 6, 1, 4]])
toy_tokens = [["tok7", "tok3", "tok9", "tok4", "[PAD]", "[PAD]"], ["tok5", "tok2", "tok8", "tok6", "tok1", "tok4"]]
buggy = decoder_mask_buggy(toy_ids, pad_id=0)
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for b, ax in enumerate(axes):
    course.plot_mask(buggy[b, 0], toy_tokens[b], convention="allowed", ax=ax,
                     title=f"decoder_mask_buggy, sentence {b}")
fig.tight_layout()
plt.show()

# %% [markdown]
# The pictures show SDPA's reading of the mask ("True = may attend"). The code has **two** independent bugs.
# Copy it into the answer cell below as `decoder_mask(input_ids, pad_id)` and fix both:
# - return a **bool** tensor of shape `(batch, 1, seq_len, seq_len)`, **`True` = may attend**, for
#   `F.scaled_dot_product_attention`;
# - query $i$ may read key $j$ exactly when $j \le i$ **and** `input_ids[b, j] != pad_id`.
#
# Two graded cells: one checks the padding part (2 points), the other the causal part (2 points), so fixing
# one bug earns half the points.

# %% nbgrader={"solution": true, "grade_id": "ex09_3"}
def decoder_mask(input_ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Decoder self-attention mask for F.scaled_dot_product_attention.

    Args:
        input_ids: (batch, seq_len) token ids.
        pad_id: id of the padding token.
    Returns:
        bool (batch, 1, seq_len, seq_len): True where key j <= query i and key j is not padding.
    """
    ### BEGIN SOLUTION
    seq_len = input_ids.shape[-1]
    real = (input_ids != pad_id)[:, None, None, :]                                        # True = may attend
    causal = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool, device=input_ids.device))  # j <= i
    return real & causal
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex09_3_test_a", "points": 2}
# Self-check, padding part: no query may read a [PAD] key.
fixed = decoder_mask(toy_ids, pad_id=0)
assert fixed.dtype == torch.bool, f"the mask must be boolean, got dtype {fixed.dtype}"
assert fixed.shape == (2, 1, 6, 6), f"expected shape (batch, 1, seq_len, seq_len) = (2, 1, 6, 6), got {tuple(fixed.shape)}"
assert not fixed[0, 0, :, 4:].any(), (
    "sentence 0: some query may still read a [PAD] key (columns 4 and 5 must be all False). The padding "
    "mask is True at the pads ('True = blocked', nn.MultiheadAttention style) but SDPA reads True as 'may attend'")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _check_decoder_mask_padding():
    torch.manual_seed(14)
    for pad_id in [0, 3]:
        ids = torch.randint(4, 20, (3, 8))
        n_real = torch.tensor([8, 5, 2])
        is_pad = torch.arange(8)[None, :] >= n_real[:, None]
        ids[is_pad] = pad_id
        mask = decoder_mask(ids, pad_id)
        assert mask.dtype == torch.bool and mask.shape == (3, 1, 8, 8), (
            f"expected a bool mask of shape (3, 1, 8, 8), got {mask.dtype} {tuple(mask.shape)}")
        blocked_pad = ~mask.expand(3, 1, 8, 8).transpose(-1, -2)[is_pad[:, None, :]]   # rows = pad keys
        assert blocked_pad.all(), (
            f"with pad_id={pad_id} some query may read a padding key. SDPA reads True as 'may attend': the pad "
            "part must be True at real tokens (input_ids != pad_id), and masks must be combined with AND")
        # Padding must not change what real queries may read among real keys.
        for b in range(3):
            n = int(n_real[b])
            alone = decoder_mask(ids[b:b + 1, :n], pad_id)
            assert torch.equal(mask[b:b + 1, :, :n, :n], alone), (
                "among real tokens the mask must not depend on how much padding follows")
        # Behaviour: changing padded keys/values does not change any real query's output.
        q, k, v = (torch.randn(3, 2, 8, 8) for _ in range(3))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        noise = is_pad[:, None, :, None] * torch.randn(3, 2, 8, 8) * 5
        out2 = F.scaled_dot_product_attention(q, k + noise, v + noise, attn_mask=mask)
        keep = (~is_pad)[:, None, :, None].expand_as(out)
        torch.testing.assert_close(out2[keep], out[keep], atol=1e-5, rtol=1e-5, equal_nan=True,
                                   msg="changing a padded token changed the output of a real token")


_check_decoder_mask_padding()
# LEFT padding: the padding part follows the ids wherever the pads are; the caller's ids are not modified.
from course.checks import call_checking_inputs

left_ids = torch.tensor([[0, 0, 5, 6, 7], [4, 5, 6, 7, 8]])
left_mask = call_checking_inputs(decoder_mask, left_ids, 0)
assert not left_mask[0, 0, :, :2].any(), (
    "with left padding (pads at the START) some query may read a pad key: test each key's own id, input_ids != pad_id")
assert torch.equal(left_mask[0:1, :, 2:, 2:], decoder_mask(left_ids[0:1, 2:], 0)), (
    "with left padding, the mask among the real tokens must be the same as without the pads in front of them")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex09_3_test_b", "points": 2}
# Self-check, causal part: on a batch without padding, query i reads keys 0..i (itself included).
full = decoder_mask(toy_ids[1:], pad_id=0)                # sentence 1 has no padding
assert full.shape == (1, 1, 6, 6), f"expected shape (1, 1, 6, 6), got {tuple(full.shape)}"
assert full[0, 0].diagonal().all(), (
    "a token must be allowed to attend to itself: the diagonal must be True (check the diagonal= offset)")
assert not full[0, 0].triu(diagonal=1).any(), "a query may read a key in its future"
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _check_decoder_mask_causal():
    torch.manual_seed(15)
    for length in [1, 3, 7]:
        ids = torch.randint(5, 30, (2, length))                              # no padding
        mask = decoder_mask(ids, pad_id=0)
        assert mask.shape == (2, 1, length, length), f"expected shape (2, 1, {length}, {length}), got {tuple(mask.shape)}"
        expected = torch.ones(length, length).tril().bool().expand(2, 1, length, length)
        assert torch.equal(mask, expected), "without padding the mask must be the causal mask: True exactly when j <= i"
        q, k, v = (torch.randn(2, 2, length, 8) for _ in range(3))
        torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                                   F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-5, rtol=1e-5,
                                   msg="without padding, attention with your mask must equal is_causal=True")


_check_decoder_mask_causal()
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Fully-masked rows and NaN
#
# If a query may read **no key at all**, its scores are all $-\infty$ and the softmax computes
# $e^{-\infty} / \sum e^{-\infty} = 0/0 = \text{NaN}$. Where do such rows come from? From bugs met above
# (padding on the query axis, a causal diagonal shifted by one, an inverted mask), and legitimately from left
# padding combined with a causal mask (section 9): a leading `[PAD]` query may read only earlier keys, which
# are all pads. The mask viewer flags such rows.

# %%
row_tokens = ["a", "b", "c", "[PAD]"]
empty_row_mask = torch.tensor([[True, True, True, False],
                               [True, True, True, False],
                               [True, True, True, False],
                               [False, False, False, False]])   # the [PAD] query may read nothing
course.plot_mask(empty_row_mask, row_tokens, convention="allowed",
                 title="Pad keys AND pad query blocked: an empty row")
plt.show()

torch.manual_seed(0)
scores = torch.randn(4, 4)
print("softmax with -inf:\n", torch.softmax(scores.masked_fill(~empty_row_mask, float("-inf")), dim=-1))
print("softmax with finfo.min:\n", torch.softmax(scores.masked_fill(~empty_row_mask, large_negative), dim=-1))

# %% [markdown]
# What you get depends on the code path:
# - a hand-written softmax gives NaN;
# - since PyTorch 2.5, `F.scaled_dot_product_attention` detects fully-masked rows and returns **zeros** for
#   them (its "safe softmax", pytorch/pytorch PR #133882);
# - `nn.MultiheadAttention` gives NaN with its default `need_weights=True` (it then computes the weights itself,
#   as in section 6) and on its inference fast path (`eval()` mode without autograd); with
#   `need_weights=False` and autograd on, it hands the work to SDPA and returns zeros;
# - with `finfo.min` instead of $-\infty$, the row becomes *uniform* over the blocked keys: finite, but
#   meaningless.
#
# The `nn.MultiheadAttention` of section 6, given a mask whose last row is fully blocked, shows all of its cases:

# %%
mha_cases = [("need_weights=True (the default)", {}, False),
             ("need_weights=False, eval() without autograd (fast path)", {"need_weights": False}, False),
             ("need_weights=False, autograd on", {"need_weights": False}, True)]
for label, options, autograd_on in mha_cases:
    with torch.set_grad_enabled(autograd_on):
        mha_out, _ = mha(x, x, x, attn_mask=sdpa_causal, **options)   # last row fully blocked (section 6)
    print(f"{label:>56}: last row = {mha_out[0, -1, :3].detach().numpy().round(3)}...")

# %% [markdown]
# Do not rely on any of these behaviours — make sure those positions are never used.
#
# Why not just ignore a NaN in a row nobody reads? Because NaN spreads. In the next layer that position is a
# **key**: masked, it gets weight exactly 0 — but $0 \times \text{NaN} = \text{NaN}$, so every query that
# multiplies its weights with the values is contaminated. Two hand-written attention layers: layer 1 uses the
# mask above, layer 2 correctly blocks only the `[PAD]` key.

# %%
def naive_attention(x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Self-attention of lesson 04 with q = k = v = x and a hand-written softmax; x (L, d), allowed (L, L)."""
    scores = (x @ x.T / math.sqrt(x.shape[-1])).masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1) @ x


torch.manual_seed(0)
x_tokens = torch.randn(4, 8)                                                    # (L, d): a, b, c, [PAD]
key_padding_only = torch.tensor([True, True, True, False])[None, :].expand(4, 4)  # (L, L), True = may attend
after_layer1 = naive_attention(x_tokens, empty_row_mask)
after_layer2 = naive_attention(after_layer1, key_padding_only)
print("rows with NaN after layer 1:", after_layer1.isnan().any(-1).tolist())
print("rows with NaN after layer 2:", after_layer2.isnan().any(-1).tolist())

# %% [markdown]
# The usual fixes, from best to last resort:
# 1. **Do not create empty rows**: mask keys, not queries; keep the diagonal in causal masks. Where empty rows
#    are legitimate (left padding with a causal mask), let every query read at least itself
#    (`allowed | torch.eye(L, dtype=torch.bool)`): a pad reading itself is harmless, its output is never used.
# 2. **Use a large finite negative** (`torch.finfo(dtype).min`) instead of $-\infty$, as Hugging Face does:
#    no NaN, and the garbage stays in rows nobody reads.
# 3. **Clean up** what cannot be avoided: `torch.nan_to_num(weights)`, or SDPA's zeros; and exclude those
#    positions downstream (pooling with the `attention_mask`, labels `-100`).

# %%
fixed_allowed = empty_row_mask | torch.eye(4, dtype=torch.bool)
after_layer1 = naive_attention(x_tokens, fixed_allowed)
print("rows with NaN after layer 1, diagonal allowed:", after_layer1.isnan().any(-1).tolist())
print("rows with NaN after layer 2, diagonal allowed:",
      naive_attention(after_layer1, key_padding_only).isnan().any(-1).tolist())
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
course.plot_mask(fixed_allowed, row_tokens, convention="allowed", ax=axes[0],
                 title="Fix 1: every query may read itself")
course.plot_mask(key_padding_only, row_tokens, convention="allowed", ax=axes[1],
                 title="Layer 2: key padding only")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Takeaway:** a query with no allowed key gives NaN (or silent zeros in SDPA), and NaN spreads through the
# next layer even through masked keys; make sure every row keeps at least one key.

# %% [markdown]
# ## 8. Label masking with `-100`
#
# The attention mask decides what a position may *read*. A second, separate mask decides which positions
# **count in the loss**. `F.cross_entropy` skips every target equal to `ignore_index`, which defaults to
# **`-100`**, and averages over the others. Two kinds of positions get `-100`:
# - **padding**, which is not text;
# - the **prompt**, when fine-tuning on prompt/completion pairs: the model should learn to write the
#   completion, not to reproduce the question.
#
# We build a small prompt/completion batch with MiniLM's tokenizer (a sentence pair: `[CLS] prompt [SEP]
# completion [SEP]`; `token_type_ids` is 1 on the completion) and a **tiny, randomly initialised GPT-2**
# (2 layers, width 64) as the decoder: nothing can be downloaded offline, and a random model is enough to
# check the arithmetic of the loss.

# %%
from transformers import GPT2Config, GPT2LMHeadModel

torch.manual_seed(0)
tiny_gpt = GPT2LMHeadModel(GPT2Config(
    vocab_size=tokenizer.vocab_size, n_embd=64, n_layer=2, n_head=4, n_positions=64,
    pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
)).eval()
tiny_gpt.loss_type = "ForCausalLM"   # GPT-2's class name predates the loss registry of transformers: name the loss

prompts = ["translate to french: cat", "translate to french: the black dog"]
completions = ["chat", "le chien noir"]
train_batch = tokenizer(prompts, completions, padding=True, return_tensors="pt")
labels = train_batch["input_ids"].clone()
labels[train_batch["token_type_ids"] == 0] = -100       # the prompt (with [CLS] and its [SEP])
labels[train_batch["attention_mask"] == 0] = -100       # the padding

train_tokens = tokenizer.convert_ids_to_tokens(train_batch["input_ids"][0])
print(f"{'position':>8}  {'token':<10} label")
for position, (token, label) in enumerate(zip(train_tokens, labels[0].tolist())):
    print(f"{position:>8}  {token:<10} {label}")

# %% [markdown]
# The model still **reads** the prompt (that is its attention mask, drawn below: causal AND padding); it is
# only not **graded** on it.

# %%
train_len = train_batch["input_ids"].shape[1]
train_allowed = (train_batch["attention_mask"].bool()[:, None, None, :]
                 & (nn.Transformer.generate_square_subsequent_mask(train_len) == 0))   # (batch, 1, L, L)
course.plot_mask(train_allowed[0, 0], train_tokens, convention="allowed",
                 title="Attention mask of the training example (causal AND padding)")
plt.show()

# %% [markdown]
# A causal LM predicts token $t+1$ at position $t$, so the logits are shifted against the labels by one.
# Hugging Face models do that shift themselves when you pass `labels=`; we redo it by hand and check that
# the loss is the mean over the kept positions only.

# %%
with torch.no_grad():
    output = tiny_gpt(input_ids=train_batch["input_ids"], attention_mask=train_batch["attention_mask"],
                      labels=labels)
logits = output.logits                                                # (batch, L, vocab)
shifted_logits = logits[:, :-1].reshape(-1, logits.shape[-1])        # position t predicts ...
shifted_labels = labels[:, 1:].reshape(-1)                            # ... the token at t + 1
loss = F.cross_entropy(shifted_logits, shifted_labels, ignore_index=-100)
per_token = F.cross_entropy(shifted_logits, shifted_labels, ignore_index=-100, reduction="none")
kept = shifted_labels != -100
print(f"Hugging Face loss (labels=):        {output.loss:.6f}")
print(f"F.cross_entropy(ignore_index=-100): {loss:.6f}")
print(f"mean over the {int(kept.sum())} kept positions:   {per_token[kept].mean():.6f}")

naive_labels = train_batch["input_ids"][:, 1:].reshape(-1)         # no -100: prompt and pads are graded too
print(f"loss when nothing is masked:        {F.cross_entropy(shifted_logits, naive_labels):.6f} "
      f"over {naive_labels.numel()} positions")

# %% [markdown]
# Without the `-100`s the loss also grades the prompt and the `[PAD]`s. A model trained like that spends
# capacity learning to repeat the prompt and to predict `[PAD]` after `[PAD]` — an easy task that pulls the
# loss down and hides how well the completion is learned.
#
# **Takeaway:** attention masks decide what is *read*, label masks (`-100`) decide what is *graded*; set
# labels to `-100` on padding and prompt tokens.

# %% [markdown]
# ## 9. Left versus right padding for batched generation
#
# A decoder-only model (GPT-2, Llama, ...) generates by reading the logits at the **last column** of the
# batch and appending the chosen token after it. With **right** padding, the last column of a short prompt
# is a `[PAD]`: its next token would be predicted from a padding position and written after the pads. With
# **left** padding, every prompt ends in the last column. Left padding needs two things: the padding mask
# (of course), and **position ids that start at the first real token**, computed from the
# `attention_mask` as `cumsum - 1` (Hugging Face's `generate` does this for you).

# %%
generation_prompts = ["the cat sat on", "masks decide which tokens each position may read"]
padded = {}
for side in ["right", "left"]:
    tokenizer.padding_side = side
    padded[side] = tokenizer(generation_prompts, add_special_tokens=False, padding=True, return_tensors="pt")
tokenizer.padding_side = "right"                                      # back to MiniLM's default

gen_len = padded["left"]["input_ids"].shape[1]
gen_causal = nn.Transformer.generate_square_subsequent_mask(gen_len) == 0
fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
for ax, side in zip(axes, ["right", "left"]):
    gen_allowed = padded[side]["attention_mask"][0].bool()[None, :] & gen_causal     # (L, L), short prompt
    course.plot_mask(gen_allowed, tokenizer.convert_ids_to_tokens(padded[side]["input_ids"][0]),
                     convention="allowed", ax=ax, title=f"{side} padding, short prompt (causal AND padding)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The left-padded picture has fully blocked rows: the leading `[PAD]` queries (section 7). Their outputs are
# never used, and libraries keep them finite. Now compare the next-token logits of the short prompt in the
# batch with those of the prompt run alone:

# %%
def next_token_logits(inputs, positions_from_mask: bool) -> torch.Tensor:
    """Logits at the last column, (batch, vocab)."""
    position_ids = (inputs["attention_mask"].cumsum(-1) - 1).clamp(min=0) if positions_from_mask else None
    with torch.no_grad():
        return tiny_gpt(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                        position_ids=position_ids).logits[:, -1]


alone = next_token_logits(tokenizer(generation_prompts[:1], add_special_tokens=False, return_tensors="pt"), False)
for label, inputs, positions in [("right padding", padded["right"], False),
                                 ("left padding, default positions", padded["left"], False),
                                 ("left padding, positions from attention_mask", padded["left"], True)]:
    difference = (next_token_logits(inputs, positions)[0] - alone[0]).abs().max()
    print(f"{label:>45}: max |logits - alone| = {difference:.2e}")

# %% [markdown]
# Only left padding with positions taken from the mask reproduces the prompt run alone. Right padding is fine
# for **training** (every position is predicted in parallel and pads are `-100`), and for encoders such as
# MiniLM; it is wrong for batched **generation**, and `generate` warns: "A decoder-only architecture is being
# used, but right-padding was detected!" Set `tokenizer.padding_side = "left"` before batching prompts.
#
# **Takeaway:** decoder-only generation reads the last column, so pad on the left and derive position ids
# from the `attention_mask`.

# %% [markdown]
# ### Exercise 09.4 — quiz (1 point)
#
# You generate with a GPT-2 family model for a batch of prompts of different lengths. Why should the prompts
# be **left**-padded? Set `answer_09_4` to one letter, then run the grade cell: it tells you at once whether
# your choice is right, and why.
#
# - **a)** The tokenizer drops pad tokens on the left, so the padded batch becomes shorter and generation
#   runs faster.
# - **b)** A causal mask cannot block pad tokens that come *after* the real tokens, so right pads would leak
#   into the prompt.
# - **c)** The next token is predicted from the hidden state of the last column and appended after it; with
#   right padding that column is a pad.
# - **d)** With left padding the attention mask is no longer needed, because the pads come before every real
#   token.

# %% nbgrader={"solution": true, "grade_id": "ex09_4"}
### BEGIN SOLUTION
answer_09_4 = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex09_4_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_09_4", answer_09_4, (
    "quiz1:eyJrZXkiOiAiYTU3NTcwNDAzNjNlYTkyZTFhOGU0ZTdjZTZmZWVhM2MyYmY3MmQzNmE1NjVkNDUxYjVjNDNlZThhNj"
    "lhNzdlMiIsICJuYW1lIjogImFuc3dlcl8wOV80IiwgIm9wdGlvbnMiOiB7ImEiOiAiT3Y2ajRoRDFxWHZta1o3OVcvS3oxen"
    "ZWRUd4d3Ntbm5VZ3NjL0pmc0FDSGYyOG1ySUFZSytremVwYWdxMXhDSDN0STRUUnU4aERJZTZUc25hMGJKT25CazlYYThrbi"
    "t1K2NOenlsVWFvbjJUUjk5bGpmSzZWNnJHTjN6V0Z2M3Q4cG1NWWpPZ09qM21VL1Q2ek1HcFBTMUtJak0rcjJhZFlIZkRtMX"
    "IxRnVESThCdURCZS92ektsVFdBNVJzdWZ6NUFDV1FqbVQ4RDdUaytvNjFITTliT3RHWDRKTXI0MVB3K1BUQ0FuWE13PT0iLC"
    "AiYiI6ICIvdHVqUFBOelhTbERoSS9ra1Q5RTNGLzBqZ2YybkJvKzNxT0VFYWhtdUF0allvSEhTQkpmWVN1cDhEeHpKYnJyN1"
    "RucUptTDFWMUlQQ0djaEczWHZXNFpXWFNRTlgyMVhzaEpET0hEMm52Rm1oN2VEOGtMaThLTDBnTXFiYklkZmNrTGNFTVNPMj"
    "ZWMkpZa3JmM0ZXaDZaVzVMWGp6cnRTOHRwUHFnOWVDUXVFMkxOMi8zY2NTNk9KMGpPdXo4ZkE1OUUzSlNzaVZWcVhtSEYyZ3"
    "hrVTVXZGZQMWp0ZytFTmZSRWZVZUZzUzZwRGZLN05WcmxqVUpOUldqay95ZGtNQXc9PSIsICJjIjogImh3U0lHaVN0MEp4cX"
    "RFRDU5ajNwS0xPeEp2WHl4bXlBT1gxZkVxekRKUHVVT2taVVZENjVhYzZhUlE5TFNNa1hPUkJzb2lwOTFUdFNqSHpzWEdtYn"
    "FCQVJuRGVEMFNQcEw4OVZXQkg2MFNPa0NTSStyT3pjMjZGK2xUU1h4SFRzL3pyK2VOa0dTOWM3SmRBejRTUFZOc1VPL0JuQT"
    "ZxQlRGZTR5NldzdEZ0UkNmRGsyV2dtdWdvTnRJZkd2Zlo1aXg5UjZONUNHZ0dFS001ODRLWWRVQkJjV0pjeWJ2Tzc5anQ3Mm"
    "dZT3FUdm5XajBTeSIsICJkIjogIk01YUczcHdWOEgyRW1DU1NMK2pSS0ZNSjV1S1lYeE5sajNaSlNjSXVDU2NtZ2I4MkZBbn"
    "IyVHNhQXpyaUJ4TWFIZGtYeitvKzgyd05XQmcxYlpJN2Z2MGFtUjl1MkVMbjlpQlVQY0tIWFRYcUhRWFcybHlXK2s3M0s5Y0"
    "xMc3lSbDlVa3lyV09iMTgvTVNRNkRBZm1HdmlWNGxMVTcwYlVVYnpMNDZ1cjdsdzVwVzA4ZFNycUxLTkY5WlYwN1ZqOVM5Mk"
    "dtMWprMmdEOVRtWk11eHZPbnE3ZU9NNkszNTJGZHlrT1VqUGc1MlVId3BaaFRCdm83bXRsSmJTd1ExRzhsLzg9In0sICJzYW"
    "x0IjogImU0M2FlZjA4YTljYTJmODIifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_09_4", answer_09_4, "c", {
    "a": "Nothing is dropped: left pads stay in the batch (every row keeps the same length) and are blocked "
         "by the attention mask. The reason is where generation reads: the LAST column.",
    "b": "Right pads are blocked as keys like any other pad by the padding mask, whatever the causal mask does. "
         "The problem is where generation reads and writes: the last column, a pad for short prompts.",
    "c": "Generation reads the logits of the LAST column and appends the new token after it; with right "
         "padding that column is a pad for the short prompts, so they would continue from a pad.",
    "d": "Left pads still have to be blocked: without the attention mask every real token would attend to the "
         "pads before it. The mask stays; left padding only puts the last real token in the last column.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 10. Common mistakes
#
# | mistake | what happens | fix |
# |---|---|---|
# | SDPA's "True = may attend" mask given to `nn.MultiheadAttention` (or the reverse) | attends only to what should be blocked; fully blocked rows give NaN or zeros, depending on the code path (sections 6–7) | invert with `~`; check each API's convention |
# | HF `attention_mask` passed as `key_padding_mask` | real tokens blocked, pads read (section 6) | `key_padding_mask = attention_mask == 0` |
# | 0/1 float mask as `attn_mask` | added to the scores: masks nothing (section 5) | `.bool()`, or `masked_fill` to 0 / `-inf` |
# | causal mask that excludes the diagonal | first row fully blocked, every token blind to itself | keep the diagonal: `j <= i` |
# | padding mask on the query axis | real tokens still read the pads; pad rows empty | block keys: shape `(batch, 1, 1, k_len)` |
# | mixed conventions in one expression | a blocked mask ORed with an allowed one (Exercise 09.3) | convert both to one convention first |
# | pad id instead of `-100` in the labels | the loss grades padding and prompt (section 8) | `labels[attention_mask == 0] = -100` |
# | right padding for batched generation | next token predicted from a `[PAD]` (section 9) | `padding_side = "left"` and positions from the mask |
#
# Two of them, with numbers. **The causal mask without its diagonal** (written as a "blocked" mask with
# `torch.triu(..., diagonal=0)` instead of `diagonal=1`): the first token may read nothing.

# %%
torch.manual_seed(0)
q, k, v = (torch.randn(1, 1, causal_len, 8) for _ in range(3))
wrong_blocked = torch.triu(torch.ones(causal_len, causal_len, dtype=torch.bool), diagonal=0)   # blocks itself too
print("SDPA output of the first token with the wrong mask:", F.scaled_dot_product_attention(
    q, k, v, attn_mask=~wrong_blocked)[0, 0, 0, :4].numpy().round(3), "(silently zero)")
print("row 0 of a hand-written softmax:", torch.softmax(
    (q @ k.transpose(-2, -1))[0, 0].masked_fill(wrong_blocked, float("-inf")), dim=-1)[0].numpy())
course.plot_mask(wrong_blocked, causal_tokens, convention="blocked",
                 title="Wrong: triu(diagonal=0) also blocks the diagonal")
plt.show()

# %% [markdown]
# **The padding mask on the query axis** (`[:, None, :, None]` instead of `[:, None, None, :]`): the real
# queries of sentence 0 still read its seven `[PAD]`s, so their outputs change, and the `[PAD]` rows are empty.

# %%
torch.manual_seed(0)
q, k, v = (torch.randn(2, 1, seq_len, 8) for _ in range(3))
key_axis = real_token[:, None, None, :]                            # (batch, 1, 1, k_len): right
query_axis = real_token[:, None, :, None]                          # (batch, 1, q_len, 1): wrong
short_alone = F.scaled_dot_product_attention(q[:1, :, :n_real], k[:1, :, :n_real], v[:1, :, :n_real])
for name, mask in [("key axis", key_axis), ("query axis", query_axis)]:
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    print(f"{name:>10}: max |real outputs - sentence alone| = {(out[:1, :, :n_real] - short_alone).abs().max():.2e}")
fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
course.plot_mask(key_axis[0, 0].expand(seq_len, seq_len), batch_tokens[0], convention="allowed", ax=axes[0],
                 title="Right: padding mask on the key axis (columns)")
course.plot_mask(query_axis[0, 0].expand(seq_len, seq_len), batch_tokens[0], convention="allowed", ax=axes[1],
                 title="Wrong: padding mask on the query axis (rows)")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Takeaway:** every one of these bugs keeps all shapes and raises no error; draw the mask with its
# convention, and test behaviour (perturb what must not matter) rather than shapes.

# %% [markdown]
# ## Summary
#
# - A mask adds $-\infty$ (or a large negative number) to blocked scores, so blocked keys get weight exactly 0;
#   masking a key is deleting it without changing shapes.
# - **Padding mask**: block the pad **keys**, shape `(batch, 1, 1, k_len)`. **Causal mask**: lower triangle
#   with the diagonal, `j <= i`. **Combine** "may attend" masks with AND, "blocked" masks with OR.
# - **Conventions**: SDPA and Hugging Face, True/1 = may attend; `nn.MultiheadAttention` / `nn.Transformer*`,
#   True = blocked; float masks are added. The same tensor given to the wrong API is silently inverted.
# - A query with no allowed key gives NaN (zeros in SDPA since PyTorch 2.5, and in `nn.MultiheadAttention`
#   when it hands the work to SDPA), and NaN spreads through later
#   layers even through masked keys; keep at least one key per row, or use `finfo.min`.
# - Label masks are separate: `-100` on padding and prompt tokens, which `F.cross_entropy` ignores.
# - Batched generation with a decoder-only model: **left** padding, position ids from the `attention_mask`.
#
# ## Going further
#
# - Vaswani et al. (2017), *Attention Is All You Need* — masked (causal) self-attention in the decoder,
#   section 3.2.3.
# - Devlin et al. (2019), *BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding* —
#   padded batches and the attention mask of an encoder.
# - Radford et al. (2019), *Language Models are Unsupervised Multitask Learners* (GPT-2) — a decoder-only model
#   trained with the causal mask.
# - PyTorch documentation: [`torch.nn.functional.scaled_dot_product_attention`](https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html)
#   and [`torch.nn.MultiheadAttention`](https://pytorch.org/docs/stable/generated/torch.nn.MultiheadAttention.html)
#   — read the `attn_mask` paragraphs side by side.
# - PyTorch blog (2024), *FlexAttention: The Flexibility of PyTorch with the Performance of FlashAttention* —
#   masks written as functions `mask_mod(b, h, q_idx, kv_idx)`, including sliding-window and document masks.
# - Hugging Face documentation: [Padding and truncation](https://huggingface.co/docs/transformers/pad_truncation),
#   and the [LLM tutorial](https://huggingface.co/docs/transformers/llm_tutorial) on left padding for generation.

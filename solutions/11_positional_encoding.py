# ---
# jupyter:
#   course:
#     title: "Positional encoding"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 11 · Positional encoding
# {{COLAB_BADGE}}
#
# Attention compares every token with every other token — and ignores where they stand. "Dog bites man"
# and "man bites dog" contain the same tokens; without extra information, self-attention cannot tell them
# apart. This lesson gives the model a sense of order.
#
# **You will be able to:**
# - show, with numbers, that self-attention without positions is permutation-equivariant;
# - compute the sinusoidal encoding of the 2017 paper, vectorised, with the **same** frequency for the sine
#   and the cosine of each pair — and explain the off-by-one that many tutorials get wrong;
# - explain why a shift in position is a rotation of each (sin, cos) pair, and how RoPE builds on that;
# - apply rotary position embeddings (RoPE) and check that they preserve norms and only see relative
#   offsets;
# - explain why learned absolute positions (BERT, GPT-2) cap the context length.
#
# **Prerequisites:** lessons 04–10. **Time:** about 60 minutes.

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
import torch.nn as nn

import course

course.set_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. Attention cannot see order
#
# Take a self-attention layer and a sentence of 5 token vectors. Shuffle the tokens with a permutation
# $P$. Each output is a weighted average over *all* keys, and the weights depend only on the vectors, not
# on their places, so the outputs are shuffled the same way: $\text{Attn}(PX) = P\,\text{Attn}(X)$. That
# property is called **permutation equivariance**. Let us check it with PyTorch's own attention layer.

# %%
attention = nn.MultiheadAttention(embed_dim=16, num_heads=4, batch_first=True).eval()
tokens = torch.randn(1, 5, 16)                     # (batch, seq_len, d_model)
permutation = torch.tensor([3, 0, 4, 1, 2])
with torch.no_grad():
    output, _ = attention(tokens, tokens, tokens)
    output_of_shuffled, _ = attention(tokens[:, permutation], tokens[:, permutation], tokens[:, permutation])
print("Attn(shuffled X) == shuffled Attn(X):", torch.allclose(output_of_shuffled, output[:, permutation], atol=1e-6))

# %% [markdown]
# The layer computed exactly the same vectors, only in another order: "dog bites man" and "man bites dog"
# give the same set of outputs. Order must be injected into the inputs.
#
# **Takeaway:** self-attention is permutation-equivariant; without positional information a Transformer
# sees a bag of tokens.

# %% [markdown]
# ## 2. Sinusoidal encodings
#
# Vaswani et al. (2017) add to each token embedding a fixed vector that depends only on its position
# $pos$. Dimensions come in pairs $(2i, 2i+1)$, $i = 0, \dots, d/2 - 1$; each pair is a sine and a cosine
# of the **same** angle:
#
# $$PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad
#   PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right).$$
#
# The frequency $\omega_i = 10000^{-2i/d}$ falls geometrically from 1 (pair 0, a period of $2\pi$
# positions) down to $10000^{-(d-2)/d}$ for the last pair $i = d/2 - 1$, whose period is
# $2\pi \cdot 10000^{(d-2)/d}$ positions. That last number depends on $d$: it approaches $2\pi \cdot 10000
# \approx 63\,000$ only for wide models (printed below for three widths). Fast dimensions tell neighbours
# apart, slow ones tell the beginning from the end, like the hands of a clock.

# %%
for width in (16, 64, 512):
    slowest_period = 2 * math.pi * 10000 ** ((width - 2) / width)
    print(f"d_model = {width:3d}: pair 0 has period {2 * math.pi:.2f} positions, "
          f"the last pair {slowest_period:,.0f} positions")

# %% [markdown]
#
# Beware the index: $2i$ in the exponent is the index of the **sine** dimension of the pair — the cosine
# at dimension $2i+1$ uses the same $2i$. Writing the exponent as a function of the dimension index $j$ and
# using $j$ for both (so $(2i+1)/d$ for the cosine), or using $i+1$, gives the cosine a different
# frequency from its sine, and the pair is no longer a rotation (section 3 shows why that matters).

# %% [markdown]
# ### Exercise 11.1 — Sinusoidal encoding (3 points)
#
# Write `sinusoidal_encoding(seq_len, d_model)`.
#
# - Return a float32 tensor of shape `(seq_len, d_model)` whose row `pos` is the encoding of position
#   `pos` (positions start at 0), with **sines in the even dimensions and cosines in the odd dimensions**,
#   each pair sharing the frequency $10000^{-2i/d}$ as above.
# - Vectorised: no Python loop over positions or dimensions.
# - If `d_model` is odd, raise a `ValueError` that says it must be even.

# %% nbgrader={"solution": true, "grade_id": "ex11_1"}
def sinusoidal_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positional encoding of Vaswani et al. (2017).

    Args:
        seq_len: number of positions (0 .. seq_len - 1).
        d_model: encoding width; must be even.

    Returns:
        float32 tensor (seq_len, d_model): sin in even dimensions, cos in odd ones.
    """
    ### BEGIN SOLUTION
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine/cosine pairs), got {d_model}")
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]            # (seq_len, 1)
    pair_index = torch.arange(0, d_model, 2, dtype=torch.float32)               # 2i = 0, 2, 4, ...
    frequencies = 10000.0 ** (-pair_index / d_model)                            # (d_model / 2,)
    angles = positions * frequencies                                            # (seq_len, d_model / 2)
    encoding = torch.zeros(seq_len, d_model)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles)
    return encoding
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex11_1_test", "points": 3}
# Self-check: shape, dtype, position 0, and one value computed by hand.
encoding_check = sinusoidal_encoding(50, 16)
assert encoding_check.shape == (50, 16), f"expected shape (seq_len, d_model) = (50, 16), got {tuple(encoding_check.shape)}"
assert encoding_check.dtype == torch.float32, f"expected float32, got {encoding_check.dtype}"
assert torch.allclose(encoding_check[0], torch.tensor([0.0, 1.0] * 8)), "position 0 must be sin(0)=0, cos(0)=1 in every pair"
angle = 7 / 10000 ** (4 / 16)  # position 7, pair i = 2 (dimensions 4 and 5)
assert math.isclose(encoding_check[7, 4].item(), math.sin(angle), abs_tol=1e-6), "PE[7, 4] should be sin(7 / 10000^(4/16))"
assert math.isclose(encoding_check[7, 5].item(), math.cos(angle), abs_tol=1e-6), (
    "PE[7, 5] should be cos(7 / 10000^(4/16)): the cosine of a pair uses the SAME angle as its sine")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from transformers.models.marian.modeling_marian import MarianSinusoidalPositionalEmbedding

for seq_len, d_model in [(60, 16), (7, 2), (128, 64), (33, 10)]:
    mine = sinusoidal_encoding(seq_len, d_model)
    # The library reference (used by Marian MT models) stores the same values with sines in the first
    # half and cosines in the second half instead of interleaved.
    library = MarianSinusoidalPositionalEmbedding(seq_len, d_model).create_weight()
    torch.testing.assert_close(mine[:, 0::2], library[:, : d_model // 2], atol=1e-5, rtol=1e-5,
                               msg="the sines (even dimensions) differ from the reference")
    pairs_ok = torch.allclose(mine[:, 0::2] ** 2 + mine[:, 1::2] ** 2, torch.ones(seq_len, d_model // 2), atol=1e-5)
    assert pairs_ok, (
        "sin^2 + cos^2 should be 1 for every (2i, 2i+1) pair: the cosine must use the SAME angle "
        "pos / 10000^(2i/d) as its sine — did you use (2i+1)/d or i+1 in the cosine's exponent?")
    torch.testing.assert_close(mine[:, 1::2], library[:, d_model // 2:], atol=1e-5, rtol=1e-5,
                               msg="the cosines (odd dimensions) differ from the reference")
try:
    sinusoidal_encoding(4, 7)
except ValueError:
    pass
else:
    raise AssertionError("an odd d_model must raise ValueError")
# Vectorised: the number of tensor operations must not grow with the number of positions or dimensions, and
# no Python loop (a double loop with math.sin then torch.tensor runs no tensor operation per entry).
from course.checks import assert_no_loop_over, assert_no_python_loops

assert_no_loop_over(sinusoidal_encoding, lambda n: (n, 8), what="positions")
assert_no_loop_over(sinusoidal_encoding, lambda n: (6, 2 * n), what="pairs of dimensions")
assert_no_python_loops(sinusoidal_encoding)
### END HIDDEN TESTS

# %% [markdown]
# Here is the encoding of 100 positions in 64 dimensions, and the dot product of every pair of positions
# (drawn with `course.plot_positional_encoding`). This cell uses your function.

# %%
try:
    encoding = sinusoidal_encoding(100, 64)
    course.plot_positional_encoding(encoding, title="Sinusoidal encoding, d_model = 64")
    plt.show()
except NotImplementedError:
    print("Exercise 11.1 is not done yet: the encoding will be drawn here.")

# %% [markdown]
# Left: fast oscillations in the first dimensions, slow ones in the last. Right: the similarity of two
# positions is largest on the diagonal and depends only on their distance — every diagonal band has one
# colour. That is exact: $PE(p) \cdot PE(q) = \sum_i \big(\sin \omega_i p \sin \omega_i q + \cos \omega_i p \cos
# \omega_i q\big) = \sum_i \cos\big(\omega_i (p - q)\big)$.
#
# The heatmap hides the shape of each dimension. Drawn one at a time, every dimension is a plain sine or
# cosine of the position, slower and slower as the dimension index grows:

# %%
try:
    single_dimensions = {f"dimension {j} ({'sin' if j % 2 == 0 else 'cos'}, pair {j // 2})": encoding[:, j]
                         for j in (0, 1, 10, 30, 62)}
    course.plot_curves(range(encoding.shape[0]), single_dimensions, xlabel="position",
                       ylabel="value of the encoding", title="Single dimensions of the sinusoidal encoding (d_model = 64)")
    plt.show()
except NameError:
    print("Complete Exercise 11.1 to draw single dimensions of the encoding.")

# %% [markdown]
# Dimensions 0 and 1 (pair 0) repeat every $2\pi \approx 6.3$ positions; dimension 62 barely moves across 100
# positions.
#
# **Takeaway:** each pair of dimensions is a clock hand turning at its own speed; together they give every
# position a unique, smoothly varying code.

# %% [markdown]
# ## 3. A shift in position is a rotation
#
# For one pair with frequency $\omega$, moving from position $pos$ to $pos + k$ rotates the point
# $(\sin \omega\,pos, \cos \omega\,pos)$ by the angle $\omega k$:
#
# $$\begin{pmatrix} \sin \omega(pos+k) \\ \cos \omega(pos+k) \end{pmatrix} =
#   \begin{pmatrix} \cos \omega k & \sin \omega k \\ -\sin \omega k & \cos \omega k \end{pmatrix}
#   \begin{pmatrix} \sin \omega\,pos \\ \cos \omega\,pos \end{pmatrix}.$$
#
# (In the order (sin, cos) the point moves clockwise, so this matrix is a rotation by $-\omega k$ in the usual
# orientation. RoPE, in section 5, uses the counter-clockwise matrix: mind the signs.)
#
# The rotation depends on the offset $k$, not on $pos$: one fixed linear map turns the encoding of any
# position into the encoding of the position $k$ steps later. That is why the authors hoped the model could
# "easily learn to attend by relative positions". The identity holds only because the sine and the cosine
# share their frequency. We check it with a reference encoding written independently of your function.

# %%
def reference_encoding(seq_len: int, d_model: int, cosine_exponent_offset: int = 0) -> torch.Tensor:
    """Loop version for checking; cosine_exponent_offset=1 reproduces the common (2i+1)/d bug."""
    table = torch.zeros(seq_len, d_model, dtype=torch.float64)
    for pos in range(seq_len):
        for i in range(d_model // 2):
            table[pos, 2 * i] = math.sin(pos / 10000 ** (2 * i / d_model))
            table[pos, 2 * i + 1] = math.cos(pos / 10000 ** ((2 * i + cosine_exponent_offset) / d_model))
    return table


def shift_by_rotation(table: torch.Tensor, k: int, d_model: int) -> torch.Tensor:
    """Apply to every row the rotation that should move it k positions forward."""
    omega = 10000 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    sines, cosines = table[:, 0::2], table[:, 1::2]
    rotated = torch.empty_like(table)
    rotated[:, 0::2] = torch.cos(omega * k) * sines + torch.sin(omega * k) * cosines
    rotated[:, 1::2] = -torch.sin(omega * k) * sines + torch.cos(omega * k) * cosines
    return rotated


k, d_model = 5, 32
for name, offset in (("correct, same exponent", 0), ("bug: (2i+1)/d for the cosine", 1)):
    table = reference_encoding(40, d_model, offset)
    error = (shift_by_rotation(table[:-k], k, d_model) - table[k:]).abs().max().item()
    print(f"{name:32s} max |R_k PE(pos) - PE(pos+k)| = {error:.2e}")

# %% [markdown]
# With the bug the rotation property is lost (errors of order 1, not $10^{-16}$), and the pairs do not
# even lie on the unit circle any more. The bug is invisible in a heatmap — only a numeric test shows it.
#
# **Takeaway:** sinusoidal encodings turn a shift by $k$ into a fixed rotation of each pair; that relative
# structure is what RoPE exploits directly.

# %% [markdown]
# ## 4. Learned absolute positions and the context cap
#
# BERT (and MiniLM) and GPT-2 instead **learn** one vector per position, in an embedding table with
# `max_position_embeddings` (BERT) or `n_positions` (GPT-2) rows. It works well, but position 512 of
# MiniLM has no row at all: the context length is capped by the table.

# %%
tokenizer, model = course.load_minilm()
position_table = model.embeddings.position_embeddings.weight.detach()  # (512, 384)
print("MiniLM position table:", tuple(position_table.shape),
      "-> max_position_embeddings =", model.config.max_position_embeddings)
course.plot_positional_encoding(position_table[:128] / position_table[:128].abs().max(),
                                title="MiniLM's learned position embeddings (first 128, rescaled)")
plt.show()

# %% [markdown]
# The learned table looks nothing like sines — yet its similarity plot has the same banded structure: the
# model learned that nearby positions should look alike. Now feed MiniLM 600 tokens:

# %%
long_ids = torch.full((1, 600), tokenizer.convert_tokens_to_ids("word"))
try:
    with torch.no_grad():
        model(input_ids=long_ids)
except (IndexError, RuntimeError) as error:
    print(f"{type(error).__name__}: {str(error)[:160]}")
truncated = tokenizer("word " * 600, truncation=True, return_tensors="pt")
print("with truncation=True the tokenizer keeps", truncated["input_ids"].shape[1], "tokens")

# %% [markdown]
# **Takeaway:** learned absolute positions are simple and effective but cap the context at the size of the
# table; tokenizers truncate to it.

# %% [markdown]
# ## 5. Rotary position embeddings (RoPE)
#
# Most recent LLMs (LLaMA, Mistral, Qwen...) add nothing to the embeddings. Instead, RoPE (Su et al.,
# 2021) **rotates** each query and key, inside attention, by an angle proportional to its position: pair
# $i$ of a vector at position $m$ is rotated by $m\,\theta_i$ with $\theta_i = 10000^{-2i/d}$:
#
# $$\begin{pmatrix} x'_{2i} \\ x'_{2i+1} \end{pmatrix} =
#   \begin{pmatrix} \cos m\theta_i & -\sin m\theta_i \\ \sin m\theta_i & \cos m\theta_i \end{pmatrix}
#   \begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}.$$
#
# Rotations preserve lengths, and the dot product of a query rotated by $m\theta$ with a key rotated by
# $n\theta$ depends only on $(m - n)\theta$: attention scores see **relative** positions only.
#
# Implementations pair dimensions differently. The RoFormer paper (and this exercise) pairs neighbours
# $(2i, 2i+1)$; Hugging Face's LLaMA code pairs $(i, i + d/2)$ ("rotate half"). Both are the same rotation
# of differently ordered dimensions; mixing the two conventions between training and inference is a real
# bug.

# %% [markdown]
# ### Exercise 11.2 — Apply RoPE (3 points)
#
# Write `apply_rope(x, base=10000.0)`.
#
# - `x`: float tensor `(..., seq_len, d)` with `d` even (for example `(batch, heads, seq_len, head_dim)`);
#   position $m$ is the index along the `seq_len` axis, starting at 0.
# - Rotate each neighbouring pair $(x_{2i}, x_{2i+1})$ at position $m$ by the angle $m\,\theta_i$,
#   $\theta_i = \text{base}^{-2i/d}$, as in the formula above. Return a tensor of the same shape and dtype.
# - Vectorised (no Python loops over positions or pairs).

# %% nbgrader={"solution": true, "grade_id": "ex11_2"}
def apply_rope(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding with interleaved pairs (RoFormer convention).

    Args:
        x: (..., seq_len, d), d even.
        base: the base of the frequencies theta_i = base^(-2i/d).

    Returns:
        Tensor of the same shape: pair (2i, 2i+1) at position m rotated by m * theta_i.
    """
    ### BEGIN SOLUTION
    seq_len, d = x.shape[-2], x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)           # (d/2,)
    angles = torch.arange(seq_len, dtype=torch.float32)[:, None] * theta        # (seq_len, d/2)
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]                                      # (..., seq_len, d/2)
    rotated = torch.empty_like(x)
    rotated[..., 0::2] = even * cos - odd * sin
    rotated[..., 1::2] = even * sin + odd * cos
    return rotated
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex11_2_test_a", "points": 1}
# Self-check: shape, position 0 unchanged, norms preserved.
torch.manual_seed(1)
x_check = torch.randn(2, 3, 10, 8)  # (batch, heads, seq_len, head_dim)
rotated_check = apply_rope(x_check)
assert rotated_check.shape == x_check.shape, f"shape must be unchanged, got {tuple(rotated_check.shape)}"
torch.testing.assert_close(rotated_check[..., 0, :], x_check[..., 0, :],
                           msg="position 0 is rotated by angle 0: it must be unchanged")
torch.testing.assert_close(rotated_check.norm(dim=-1), x_check.norm(dim=-1), atol=1e-5, rtol=1e-5,
                           msg="a rotation preserves the norm of every vector")
point = torch.zeros(2, 2)
point[:, 0] = 1.0  # (x_0, x_1) = (1, 0) at positions 0 and 1
turned_check = apply_rope(point)[1]
assert torch.allclose(turned_check, torch.tensor([math.cos(1.0), math.sin(1.0)]), atol=1e-6), (
    f"at position 1, pair 0 turns by +1 radian: (1, 0) -> (cos 1, sin 1) = (0.540, 0.841); got {turned_check.tolist()}")
print("Self-check passed: RoPE keeps shapes and norms and turns the right way.")
### BEGIN HIDDEN TESTS
# The first pair rotates by exactly m radians (theta_0 = 1): check direction and angle.
unit = torch.zeros(1, 6, 4)
unit[..., 0] = 1.0
turned = apply_rope(unit)
expected_angles = torch.arange(6, dtype=torch.float32)
torch.testing.assert_close(turned[0, :, 0], torch.cos(expected_angles), atol=1e-5, rtol=1e-5)
torch.testing.assert_close(turned[0, :, 1], torch.sin(expected_angles), atol=1e-5, rtol=1e-5,
                           msg="pair 0 at position m must turn by +m radians: (1, 0) -> (cos m, sin m)")
# The caller's x is not rotated in place (x[..., 0::2] = ... writes into it), float64 stays float64, and the
# rotation is vectorised over positions and pairs.
from course.checks import assert_dtype, assert_no_loop_over, call_checking_inputs

x_hidden = torch.randn(2, 5, 6, dtype=torch.float64)
rotated_hidden = call_checking_inputs(apply_rope, x_hidden)
assert_dtype(rotated_hidden, torch.float64, "the rotated tensor")
torch.testing.assert_close(rotated_hidden.norm(dim=-1), x_hidden.norm(dim=-1))
assert_no_loop_over(apply_rope, lambda n: (torch.randn(n, 8),), what="positions")
assert_no_loop_over(apply_rope, lambda n: (torch.randn(5, 2 * n),), what="pairs of dimensions")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex11_2_test_b", "points": 2}
# Self-check: the relative property. Scores between a query at m and a key at n depend only on m - n.
torch.manual_seed(2)
q_vector, k_vector = torch.randn(16), torch.randn(16)
sequence_q = q_vector.expand(12, 16).clone()  # the same query at every position
sequence_k = k_vector.expand(12, 16).clone()
scores_check = apply_rope(sequence_q) @ apply_rope(sequence_k).T  # (12, 12), entry (m, n)
assert torch.allclose(scores_check[3, 1], scores_check[9, 7], atol=1e-4), (
    "score(m=3, n=1) should equal score(m=9, n=7): RoPE scores depend only on the offset m - n")
print("Self-check passed: scores depend on relative positions.")
### BEGIN HIDDEN TESTS
offsets = torch.arange(12)[:, None] - torch.arange(12)[None, :]
for offset in range(-11, 12):
    diagonal = scores_check[offsets == offset]
    assert torch.allclose(diagonal, diagonal[0].expand_as(diagonal), atol=1e-4), (
        f"all scores at offset {offset} should be equal; RoPE must rotate by m * theta_i with m the position")
# Reference check against Hugging Face's LLaMA implementation, which pairs (i, i + d/2) instead of (2i, 2i+1).
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

for shape, base in [((2, 4, 9, 16), 10000.0), ((1, 1, 5, 64), 500000.0), ((3, 7, 2), 10000.0)]:
    x_hidden = torch.randn(shape)
    d = shape[-1]
    to_halves = torch.cat([torch.arange(0, d, 2), torch.arange(1, d, 2)])  # interleaved -> halves order
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    freqs = torch.arange(shape[-2], dtype=torch.float32)[:, None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    x_halves = x_hidden[..., to_halves]
    expected_halves, _ = apply_rotary_pos_emb(x_halves, x_halves, emb.cos(), emb.sin(), unsqueeze_dim=0)
    torch.testing.assert_close(apply_rope(x_hidden, base)[..., to_halves], expected_halves, atol=1e-5, rtol=1e-5,
                               msg=f"apply_rope differs from the Hugging Face LLaMA rotation for shape {shape}, base {base}")
### END HIDDEN TESTS

# %% [markdown]
# A picture of what your `apply_rope` does. Left: one pair of dimensions of the **same** vector placed at
# positions 0 to 5, for the fastest pair ($\theta_0 = 1$ radian per position) — the arrow turns, its length
# stays. Right: the scores of one query and one key (64 dimensions) placed at every pair of positions
# $(m, n)$: each diagonal, a fixed offset $m - n$, has one colour.

# %%
try:
    torch.manual_seed(3)
    one_pair = torch.tensor([[1.0, 0.3]]).repeat(6, 1)                   # (positions 0..5, one pair)
    turned_pairs = apply_rope(one_pair)                                    # (6, 2)
    query_vector, key_vector = torch.randn(64), torch.randn(64)
    rope_scores = apply_rope(query_vector.repeat(16, 1)) @ apply_rope(key_vector.repeat(16, 1)).T  # (16, 16)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    for position, (x0, x1) in enumerate(turned_pairs.tolist()):
        left.annotate("", xy=(x0, x1), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": f"C{position}"})
        left.text(1.12 * x0, 1.12 * x1, f"m={position}", color=f"C{position}", ha="center", va="center")
    left.set_xlim(-1.3, 1.3)
    left.set_ylim(-1.3, 1.3)
    left.set_aspect("equal")
    left.set_xlabel("dimension 0")
    left.set_ylabel("dimension 1")
    left.set_title("Pair 0 of one vector at positions m = 0..5")
    image = right.imshow(rope_scores.detach(), cmap="viridis")
    right.set_xlabel("key position n")
    right.set_ylabel("query position m")
    right.set_title("RoPE scores q(m) · k(n): constant along diagonals")
    fig.colorbar(image, ax=right)
    plt.tight_layout()
    plt.show()
except NotImplementedError:
    print("Complete Exercise 11.2 to draw the RoPE figure.")

# %% [markdown]
# **Takeaway:** RoPE rotates queries and keys by position-dependent angles; norms are kept and attention
# scores depend only on relative offsets. Unlike a learned table it has no hard cap on the length, though
# quality still degrades beyond the training length unless the rotation is rescaled.

# %% [markdown]
# ## 6. Common mistakes
#
# - **The `i+1` (or `(2i+1)/d`) exponent in the cosine.** The most common bug in tutorial code. It runs, the
#   heatmap looks plausible, but sine and cosine no longer share a frequency: $\sin^2 + \cos^2 \ne 1$ and
#   the shift-is-rotation property is gone (section 3 measured it). Fix: compute the angle once per pair and
#   take both its sine and its cosine.
# - **Positions starting at 1.** Then position 0 is never used and every encoding is shifted by one; the
#   model still trains, but a checkpoint trained the other way reads every position off by one.
# - **Mixing pairing conventions** (interleaved vs rotate-half) between a checkpoint and the code that
#   loads it: the rotation is applied to the wrong pairs. Check against the reference implementation.
# - **Forgetting the scale of the embeddings.** The 2017 model multiplies token embeddings by
#   $\sqrt{d_\text{model}}$ before adding the encoding, whose entries are of size 1; without it, small
#   initial embeddings are drowned by the positions.
#
# Here is the first bug in numbers, on the check that a correct encoding passes:

# %%
for name, offset in (("correct", 0), ("(2i+1)/d in the cosine", 1)):
    table = reference_encoding(200, 64, offset)
    deviation = (table[:, 0::2] ** 2 + table[:, 1::2] ** 2 - 1).abs().max().item()
    print(f"{name:24s} max |sin^2 + cos^2 - 1| = {deviation:.3f}")

# %% [markdown]
# ### Exercise 11.3 — Order and attention (1 point)
#
# You shuffle the tokens of a sentence and run them through a self-attention layer **without** positional
# encoding. What happens to the outputs?
#
# - (a) They are unchanged and stay in the original order, because attention ignores the order of its inputs.
# - (b) They change value, because each token now has different neighbours on its left and on its right.
# - (c) The layer raises an error, because the keys no longer line up with the queries they belong to.
# - (d) They are the same vectors as before, reordered by the same permutation as the input tokens.
#
# Set `answer_11_3` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex11_3"}
### BEGIN SOLUTION
answer_11_3 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex11_3_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_11_3", answer_11_3, (
    "quiz1:eyJrZXkiOiAiNTMyNGMxM2UyMGU5NGY0M2ZhYjE1NWFlNGEzMmEwNTAyNzZkMThhMzVjNDRjMjQ0ZGUxOGZiNTVkY2"
    "U5MTU1ZiIsICJuYW1lIjogImFuc3dlcl8xMV8zIiwgIm9wdGlvbnMiOiB7ImEiOiAic1JjbU53TG11K0hEOGpuUm1Eb3lzVm"
    "lGejloSWVkTUdyT3JOMTk4N1FRRGtSSFh4QXdtdDN5NllRQWtEcUF4S0xIeXB1VURmbVVnZzFsS3E1UUthcHp0VzhuT0ZiNG"
    "JTNnVPMHNiWHloelE1M08zcnJLaFhLL2NXcEdKa0lwTmpISjRLUDc0OThBRDFLU1laU2VBNmFHd25KWTZIZmJWbTdjbXpGVU"
    "hXaVNGSkJ1N24wOVFNQXMzcVZrem12WllFcytYT3ZOR2R4VGJWeGQ4TEtsV3VIUVVhczVpN28rbzNUaGZrMkpIMWZyUGluTm"
    "ZiUExVZDd0ZWpwcVljYm1JWnVnPT0iLCAiYiI6ICJtWDArMGZHY1NGRmxlZW04M2kxYVppbmdkUmozbmhsVndTTHRHNVVKWV"
    "pVV3o0V1ZMRHEzMEMydWJqejhETUNlQ1BHakhna3FrK2djRjJqaTB1R0ZvZElPRDUzQXdpQXJkN2oxREMwanlVZS9kZ2MrQm"
    "g4K0dDYVlWWVltN0dlOWJaVjVNUTNTOUVZODE1NnU1TnBEUFJpb09GQ3V2Q0dBNDRJV2d1bGNmcHhsMDhrRENLZzAzVlIzRF"
    "RFRW5vTjhQWVdmdDE4elFOT09DQllYSUNnRlc3SDFEa3N1a0JNU0JTa09acHhKMnQ2VGpuRWZwZFhQY2JIZFFaND0iLCAiYy"
    "I6ICIwUXlnQnVQb0EyUE9wNlF0UnZGdmh2ckxSS25XOW52Y05VL09oYkMwQms0UFZDa1Y2ZUZodGVUNjlXb1grMlRtMlZSaU"
    "tHcWsrYUttemo0OFBlSVhzcjBCRi82THdEdGhPdXA0SXQ1THNUbWNzRU92bzdxd3IySHpsVVdhaEZrSzA4QXlQMncrdUplNW"
    "I2U1hPbjRBODVmcFBQNDVYYmdjZzdmdXBvaUpLb042TWNRdUdJSW5zd0tFWmdVcS94YVZLemk2NHJ5dmJmbDJnb3ZCSTd5bk"
    "1zZTdwdVp2RDhlZkxQb3RtVnNBOTJVPSIsICJkIjogInFIQmtIcFVYdzhjNVRGTVRyd0NUUmxTcmk3d25lbHFBeFhnSUdJYl"
    "hZYXBFQXlQdTRtbXFTUnROSndrcDdmL3pURDBaQyswcmFJbmM2ODF1R3BqTVB4SW8ybSt5THY4azdGTXhQM0w4ZkIybFBqNF"
    "dENWs1d1F4RmRCSDNoOHdlVE1tK1JTR01YY1c2TEhoRjlBNFE5c0UvdVhPbTN0bk1nVDIyZGNjR0czZlBtM1NqYTI4ZUpXWE"
    "8vcUtPRDhFNjlzd2FuTG1qRUE0YW4wM3F3cEwxdUYwemRaNzJtNGF4dHlGUnBWTWFLODVHS1QzeFlHT1JDYmYrcnYrOHVTMV"
    "V4ek5LIn0sICJzYWx0IjogImM5MWYyMjAxOGIwOWIxNjUifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_11_3", answer_11_3, "d", {
    "a": "Each output belongs to its own query token, so when the tokens move, their outputs move with them: "
         "the outputs are the same vectors, but in the shuffled order, not the original one (section 1).",
    "b": "Without positions there are no 'neighbours': every token attends to all tokens with weights that "
         "depend only on the vectors, so each token's output keeps its value; only the order changes.",
    "c": "Nothing in attention needs a particular order: queries, keys and values are shuffled together, and "
         "the shapes are unchanged, so the layer runs and returns the shuffled outputs.",
    "d": "Self-attention is permutation-EQUIVARIANT: each output is a weighted average over all keys with "
         "weights that depend only on the vectors, so shuffling the inputs shuffles the outputs the same way.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Self-attention is permutation-equivariant: positions must be injected.
# - Sinusoidal encodings: pair $i$ holds $\sin$ and $\cos$ of the **same** angle $pos/10000^{2i/d}$; a shift
#   by $k$ is a fixed rotation of each pair.
# - Learned absolute positions (BERT, GPT-2) work but cap the context at the table size.
# - RoPE rotates queries and keys; scores depend only on relative offsets, norms are preserved.
#
# Next, lesson 12 assembles everything into a complete Transformer.
#
# ## Going further
#
# - Vaswani et al. (2017). *Attention Is All You Need.* Section 3.5, positional encoding.
# - Devlin, Chang, Lee, Toutanova (2019). *BERT.* Learned absolute position embeddings.
# - Shaw, Uszkoreit, Vaswani (2018). *Self-Attention with Relative Position Representations.* NAACL.
# - Su, Lu, Pan, Murtadha, Wen, Liu (2021). *RoFormer: Enhanced Transformer with Rotary Position Embedding.*
# - Press, Smith, Lewis (2022). *Train Short, Test Long: Attention with Linear Biases (ALiBi).* ICLR.
# - Hugging Face documentation: the LLaMA model page (`rope_theta`, rotary embeddings).

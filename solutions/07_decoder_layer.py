# ---
# jupyter:
#   course:
#     title: "The decoder layer"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 07 · The decoder layer
# {{COLAB_BADGE}}
#
# The decoder is the half of the Transformer that *writes*: it produces the output sentence one token at a
# time, reading the encoder's output as it goes. Its layer is the encoder layer of lesson 06 with two changes:
# its self-attention is **masked** so that no position sees the future, and a third sub-layer,
# **cross-attention**, reads the encoder's output. In this lesson you build that layer, check it against
# PyTorch, and prove that training it on a whole sentence at once (teacher forcing) computes exactly what
# generation computes one token at a time.
#
# **You will be able to:**
# - name the three sub-layers of a decoder layer and say where the queries, keys and values of each come from;
# - explain, with a measured loss, why the decoder's self-attention must not see future tokens;
# - implement a decoder layer (post-norm and pre-norm) that matches `nn.TransformerDecoderLayer`, masks included;
# - show that one teacher-forced pass with a causal mask equals running the decoder step by step;
# - recognise a decoder that accidentally shares one attention module between self- and cross-attention.
#
# **Prerequisites:** lessons 01–06 (multi-head attention and its masks, the encoder layer).
# **Time:** about 60 minutes.

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
torch.set_printoptions(precision=3, sci_mode=False)
torch.set_num_threads(1)  # every model here is small: one CPU thread is enough, and avoids thread overhead

# %% [markdown]
# ## 1. Three sub-layers
#
# A decoder layer receives two tensors:
#
# - the **target** stream `tgt`, `(batch, tgt_len, d_model)`: the vectors of the tokens written so far;
# - the **memory** `memory`, `(batch, src_len, d_model)`: the encoder's output for the source sentence, the
#   same tensor for every decoder layer.
#
# It returns a tensor shaped like `tgt`, through three sub-layers, each wrapped like the encoder's in dropout,
# a residual connection and a LayerNorm (post-norm shown; pre-norm moves each LN inside, as in lesson 06):
#
# $$\begin{aligned}
# x &\leftarrow \operatorname{LN}_1\big(x + \operatorname{MaskedSelfAttn}(x)\big) && \text{Q, K, V from the target; the future is masked}\\
# x &\leftarrow \operatorname{LN}_2\big(x + \operatorname{CrossAttn}(x, \text{memory})\big) && \text{Q from the target, K and V from the memory}\\
# x &\leftarrow \operatorname{LN}_3\big(x + \operatorname{FFN}(x)\big) && \text{position-wise, as in the encoder}
# \end{aligned}$$
#
# A **decoder-only** model such as GPT has no encoder, hence no memory and no cross-attention: its block is
# the first and third sub-layers only — an encoder layer with a causal mask.

# %%
d_model, n_heads, d_ff = 64, 4, 256
reference_decoder = nn.TransformerDecoderLayer(d_model, n_heads, dim_feedforward=d_ff, dropout=0.1,
                                               batch_first=True)
print(reference_decoder)

# %%
parts = {
    "self_attn (masked self-attention)": reference_decoder.self_attn,
    "multihead_attn (cross-attention)": reference_decoder.multihead_attn,
    "linear1 + linear2 (the FFN)": nn.ModuleList([reference_decoder.linear1, reference_decoder.linear2]),
    "norm1 + norm2 + norm3": nn.ModuleList([reference_decoder.norm1, reference_decoder.norm2, reference_decoder.norm3]),
}
for name, part in parts.items():
    print(f"{name:36s} {sum(p.numel() for p in part.parameters()):7,d} parameters")
decoder_total = sum(p.numel() for p in reference_decoder.parameters())
encoder_total = sum(p.numel() for p in nn.TransformerEncoderLayer(d_model, n_heads, d_ff, batch_first=True).parameters())
print(f"decoder layer {decoder_total:,d} = encoder layer {encoder_total:,d} + one more attention "
      f"({4 * d_model**2 + 4 * d_model:,d}) + one more LayerNorm ({2 * d_model})")

target_in = torch.randn(2, 5, d_model)                       # (batch, tgt_len=5, d_model)
memory_in = torch.randn(2, 9, d_model)                       # (batch, src_len=9, d_model)
print("tgt", tuple(target_in.shape), "+ memory", tuple(memory_in.shape), "->",
      tuple(reference_decoder(target_in, memory_in).shape))

# %% [markdown]
# The output always has the **target's** length: the memory can be longer or shorter, it is only read.
# The two attention modules have the same shapes but **separate weights** — they do different jobs (section 7
# shows what happens when they are accidentally the same module).
#
# **Takeaway:** decoder layer = masked self-attention + cross-attention + FFN, each with dropout, residual
# and LayerNorm; two attention modules, two sets of weights.

# %% [markdown]
# ## 2. Why the decoder must not see the future
#
# A decoder is trained to predict token $t+1$ from tokens $1, \dots, t$. **Teacher forcing** trains every
# position of a target sentence at once: the decoder's input is the target shifted right by one
# (`<s> the black cat`), and the label at each position is the next token (`the black cat </s>`). All
# positions are computed in one parallel pass — but in that pass, the input at position $t+1$ *is* the label
# of position $t$. Unless position $t$ is forbidden to look at positions $> t$, it can simply copy the answer.
#
# The **causal mask** forbids it. In `nn.MultiheadAttention`'s convention (**`True` = blocked**, lesson 09)
# it is the strict upper triangle:

# %%
def causal_blocked_mask(size: int) -> torch.Tensor:
    """(size, size) bool mask for nn.MultiheadAttention: True above the diagonal = the future is blocked."""
    return torch.ones(size, size, dtype=torch.bool).triu(diagonal=1)


decoder_tokens = ["<s>", "the", "black", "cat", "sleeps"]
course.plot_mask(causal_blocked_mask(len(decoder_tokens)), decoder_tokens, convention="blocked",
                 title="Causal mask of the decoder's self-attention")
plt.show()

# %% [markdown]
# How much does it matter? Let us train a tiny next-token model — embeddings, one
# `nn.TransformerDecoderLayer`, a linear head — on sequences of **uniformly random** tokens from a
# vocabulary of 16. There is nothing to learn: no model can predict a random token better than chance, so
# the best possible loss is $\ln 16 \approx 2.77$. (The decoder layer also needs a memory; we give it a
# blank one-token "source" so that only the target side matters.)

# %%
VOCAB, SEQ_LEN, WIDTH = 16, 12, 32


class TinyNextTokenModel(nn.Module):
    """Token + position embeddings -> one decoder layer (blank memory) -> logits over the vocabulary."""

    def __init__(self) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, WIDTH)
        self.position_embedding = nn.Embedding(SEQ_LEN, WIDTH)
        self.decoder = nn.TransformerDecoderLayer(WIDTH, 2, 64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(WIDTH, VOCAB)

    def forward(self, token_ids: torch.Tensor, tgt_mask: torch.Tensor | None) -> torch.Tensor:
        """token_ids: (batch, seq) -> logits (batch, seq, VOCAB)."""
        positions = torch.arange(token_ids.shape[1])
        x = self.token_embedding(token_ids) + self.position_embedding(positions)  # (batch, seq, WIDTH)
        blank_memory = torch.zeros(token_ids.shape[0], 1, WIDTH)                   # (batch, 1, WIDTH)
        return self.head(self.decoder(x, blank_memory, tgt_mask=tgt_mask))


def train_next_token_model(causal: bool, steps: int = 120) -> tuple[TinyNextTokenModel, list[float]]:
    """Teacher forcing on random sequences: input = tokens 0..T-2, labels = tokens 1..T-1."""
    torch.manual_seed(0)
    model = TinyNextTokenModel()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    data = torch.Generator().manual_seed(1)
    mask = causal_blocked_mask(SEQ_LEN - 1) if causal else None
    losses = []
    for _ in range(steps):
        sequences = torch.randint(0, VOCAB, (64, SEQ_LEN), generator=data)        # (batch, SEQ_LEN)
        inputs, labels = sequences[:, :-1], sequences[:, 1:]                       # shifted by one
        logits = model(inputs, mask)                                               # (batch, SEQ_LEN-1, VOCAB)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), labels.reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return model.eval(), losses


masked_model, masked_losses = train_next_token_model(causal=True)
cheating_model, cheating_losses = train_next_token_model(causal=False)
steps = range(1, len(masked_losses) + 1)
course.plot_curves(steps, {"best possible: ln 16": [math.log(VOCAB)] * len(masked_losses),
                           "with the causal mask": masked_losses, "without a mask": cheating_losses},
                   xlabel="training step", ylabel="training loss (cross-entropy)",
                   title="Random tokens: the unmasked decoder 'beats' chance")
plt.show()

# %% [markdown]
# The unmasked model drives its loss far below what is possible — it is not predicting, it is **reading the
# answer** at position $t+1$. Which position can it *not* cheat on? The last one: there is no token after it
# in the input. Its loss, position by position, on fresh random sequences:

# %%
test_sequences = torch.randint(0, VOCAB, (256, SEQ_LEN), generator=torch.Generator().manual_seed(5))
test_inputs, test_labels = test_sequences[:, :-1], test_sequences[:, 1:]
with torch.no_grad():
    per_position = {"best possible: ln 16": torch.full((SEQ_LEN - 1,), math.log(VOCAB))}
    for name, model, mask in (("with the causal mask", masked_model, causal_blocked_mask(SEQ_LEN - 1)),
                              ("without a mask", cheating_model, None)):
        logits = model(test_inputs, mask)                                          # (256, 11, VOCAB)
        per_position[name] = F.cross_entropy(logits.transpose(1, 2), test_labels, reduction="none").mean(0)
course.plot_curves(range(SEQ_LEN - 1), {name: losses.tolist() for name, losses in per_position.items()},
                   xlabel="position t (predicting token t+1)", ylabel="test loss at this position",
                   title="The cheat works everywhere except where the future is missing")
plt.show()
print(f"unmasked model: mean loss on positions 0-9 {per_position['without a mask'][:-1].mean():.3f}, "
      f"on the last position {per_position['without a mask'][-1]:.2f}")

# %% [markdown]
# The last position is exactly the situation of **generation**: when the model writes a new token, the
# future does not exist yet. A model trained without the mask has learned to lean on information it will
# never have, and is worse than chance there. The masked model has the honest loss $\ln 16$ everywhere — and
# what it computes at each position only depends on what it will really have at generation time.
#
# **Takeaway:** teacher forcing feeds the whole target at once; the causal mask is what keeps position $t$
# from reading token $t+1$, its own label.

# %% [markdown]
# ## 3. Cross-attention: reading the encoder
#
# The second sub-layer is the one that connects the two halves of the Transformer (lesson 05):
# **queries** come from the decoder's stream (*what do I need from the source to write the next word?*),
# **keys and values** come from the memory (*what each source token offers*). Its weight map is rectangular,
# `(tgt_len, src_len)`. The memory of a batch is padded, so the sub-layer takes a
# `memory_key_padding_mask` `(batch, src_len)`, **`True` = padding**, that blocks the padded source tokens.
# There is no causal mask here: the whole source sentence is known from the start.

# %%
source_tokens = ["le", "chat", "noir", "dort", "[PAD]", "[PAD]"]
memory_padding = torch.tensor([[False, False, False, False, True, True]])   # (batch=1, src_len=6)
torch.manual_seed(3)
memory_example = torch.randn(1, len(source_tokens), d_model)               # (1, src_len, d_model)
target_example = torch.randn(1, len(decoder_tokens), d_model)              # (1, tgt_len, d_model)
reference_decoder.eval()
with torch.no_grad():
    _, cross_weights = reference_decoder.multihead_attn(
        target_example, memory_example, memory_example, key_padding_mask=memory_padding)  # (1, tgt, src)
course.plot_attention(cross_weights[0], source_tokens, decoder_tokens, annotate=True,
                      title="Cross-attention of an untrained decoder layer")
plt.show()

# %% [markdown]
# Rows are target positions, columns are source tokens. The layer is untrained, so its weights are spread
# almost evenly over the real source tokens — lesson 14 trains a translator whose cross-attention learns the
# word alignment — but the padded columns already get exactly 0.
#
# **Takeaway:** cross-attention = queries from the target, keys and values from the memory, with a padding
# mask on the memory and no causal mask.

# %% [markdown]
# ## 4. Build the decoder layer
#
# ### Exercise 07.1 — `DecoderLayer` (6 points)
#
# Write `DecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False)`, batch-first,
# computing exactly what `nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
# batch_first=True, norm_first=norm_first)` computes (ReLU activation).
#
# - `__init__` creates, **with these names** (the tests copy PyTorch's weights into them):
#   - `self_attn` and `cross_attn`: **two separate** `nn.MultiheadAttention(d_model, nhead, dropout=dropout,
#     batch_first=True)` (PyTorch calls the second one `multihead_attn`);
#   - `linear1 = nn.Linear(d_model, dim_feedforward)`, `linear2 = nn.Linear(dim_feedforward, d_model)` and
#     `dropout = nn.Dropout(dropout)` for the FFN `linear2(dropout(relu(linear1(x))))`, directly on the layer
#     (do not reuse lesson 06's `PositionwiseFeedForward` here: these names mirror `nn.TransformerDecoderLayer`,
#     so its weights copy one-to-one);
#   - `norm1`, `norm2`, `norm3`: `nn.LayerNorm(d_model)`, one per sub-layer in order;
#   - `dropout1`, `dropout2`, `dropout3`: `nn.Dropout(dropout)` on each sub-layer's output, before the residual
#     addition; and stores `norm_first`.
# - `forward(tgt, memory, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)`:
#   - `tgt`: `(batch, tgt_len, d_model)`, `memory`: `(batch, src_len, d_model)`;
#   - `tgt_mask`: `None` or bool `(tgt_len, tgt_len)`; `tgt_key_padding_mask`: `None` or bool `(batch, tgt_len)`;
#     `memory_key_padding_mask`: `None` or bool `(batch, src_len)` — all **`True` = blocked**. The first two go to
#     the self-attention, the third to the cross-attention;
#   - with `SA(z) = dropout1(self_attn(z, z, z, ...)[0])`, `CA(z) = dropout2(cross_attn(z, memory, memory, ...)[0])`
#     and `FF(z) = dropout3(linear2(dropout(relu(linear1(z)))))`, return `(batch, tgt_len, d_model)`:
#     - post-norm (`norm_first=False`): `x = norm1(x + SA(x))`, `x = norm2(x + CA(x))`, `x = norm3(x + FF(x))`;
#     - pre-norm (`norm_first=True`): `x = x + SA(norm1(x))`, `x = x + CA(norm2(x))`, `x = x + FF(norm3(x))`.
#
#   In training mode the tests compare your layer with PyTorch's under the same random seed, so each dropout
#   must be applied once, exactly where these formulas put it (they fix the order of the random draws:
#   `dropout1`, `dropout2`, the FFN's `dropout`, then `dropout3`).
#
# The layer does not build the causal mask itself: the caller passes it as `tgt_mask`, as in PyTorch. The
# helpers below copy PyTorch's weights into your layer and build test inputs; use them while you debug.

# %%
def copy_decoder_weights(source: nn.TransformerDecoderLayer, target: nn.Module) -> None:
    """Copy a PyTorch decoder layer's weights into a DecoderLayer (multihead_attn -> cross_attn)."""
    if getattr(target, "self_attn", None) is not None and target.self_attn is getattr(target, "cross_attn", None):
        raise AssertionError("self_attn and cross_attn are the same module: the cross-attention weights would "
                             "overwrite the self-attention ones. Create two nn.MultiheadAttention modules")
    pairs = {"self_attn": source.self_attn, "cross_attn": source.multihead_attn, "linear1": source.linear1,
             "linear2": source.linear2, "norm1": source.norm1, "norm2": source.norm2, "norm3": source.norm3}
    for name, source_module in pairs.items():
        try:
            target_module = target.get_submodule(name)
        except AttributeError:
            raise AttributeError(f"your layer has no sub-module {name!r}; Exercise 07.1 names them self_attn, "
                                 "cross_attn, linear1, linear2, norm1, norm2 and norm3") from None
        target_module.load_state_dict(source_module.state_dict())


def decoder_pair(norm_first: bool, d_model: int = 32, nhead: int = 4, dim_feedforward: int = 64,
                 dropout: float = 0.1, seed: int = 0):
    """(PyTorch's layer, your layer) with identical weights, both in eval mode; LayerNorm gains randomised."""
    torch.manual_seed(seed)
    reference = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                           norm_first=norm_first)
    with torch.no_grad():
        for norm in (reference.norm1, reference.norm2, reference.norm3):
            norm.weight.normal_(1.0, 0.3)
            norm.bias.normal_(0.0, 0.3)
    mine = DecoderLayer(d_model, nhead, dim_feedforward, dropout, norm_first)
    copy_decoder_weights(reference, mine)
    return reference.eval(), mine.eval()


def decoder_inputs(batch: int = 3, tgt_len: int = 6, src_len: int = 8, d_model: int = 32, seed: int = 1):
    """tgt (batch, tgt_len, d_model), memory (batch, src_len, d_model), causal tgt_mask, memory padding mask."""
    generator = torch.Generator().manual_seed(seed)
    tgt = torch.randn(batch, tgt_len, d_model, generator=generator)
    memory = torch.randn(batch, src_len, d_model, generator=generator)
    src_lengths = torch.randint(2, src_len + 1, (batch,), generator=generator)
    src_lengths[0] = src_len
    memory_padding = torch.arange(src_len)[None, :] >= src_lengths[:, None]    # (batch, src_len), True = pad
    return tgt, memory, causal_blocked_mask(tgt_len), memory_padding


# %% nbgrader={"solution": true, "grade_id": "ex07_1"}
class DecoderLayer(nn.Module):
    """One Transformer decoder layer (batch-first, ReLU), post-norm or pre-norm, like nn.TransformerDecoderLayer."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 norm_first: bool = False) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.norm_first = norm_first
        ### END SOLUTION

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
                tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tgt: (batch, tgt_len, d_model); memory: (batch, src_len, d_model); masks: True = blocked.

        Returns:
            (batch, tgt_len, d_model).
        """
        ### BEGIN SOLUTION
        def self_attention(z: torch.Tensor) -> torch.Tensor:
            attended, _ = self.self_attn(z, z, z, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                                         need_weights=False)
            return self.dropout1(attended)

        def cross_attention(z: torch.Tensor) -> torch.Tensor:
            attended, _ = self.cross_attn(z, memory, memory, key_padding_mask=memory_key_padding_mask,
                                          need_weights=False)
            return self.dropout2(attended)

        def feed_forward(z: torch.Tensor) -> torch.Tensor:
            return self.dropout3(self.linear2(self.dropout(F.relu(self.linear1(z)))))

        x = tgt
        if self.norm_first:
            x = x + self_attention(self.norm1(x))
            x = x + cross_attention(self.norm2(x))
            x = x + feed_forward(self.norm3(x))
        else:
            x = self.norm1(x + self_attention(x))
            x = self.norm2(x + cross_attention(x))
            x = self.norm3(x + feed_forward(x))
        return x
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_1_test_a", "points": 2}
# Self-check, post-norm (norm_first=False): against nn.TransformerDecoderLayer with the same weights,
# causal tgt_mask and memory padding mask, eval mode.
reference_check, mine_check = decoder_pair(norm_first=False)
assert mine_check.self_attn.batch_first and mine_check.cross_attn.batch_first, (
    "create both attention modules with batch_first=True: inputs are (batch, seq, d_model)")
tgt_check, memory_check, causal_check, memory_padding_check = decoder_inputs()
with torch.no_grad():
    expected_check = reference_check(tgt_check, memory_check, tgt_mask=causal_check,
                                     memory_key_padding_mask=memory_padding_check)
    got_check = mine_check(tgt_check, memory_check, tgt_mask=causal_check,
                           memory_key_padding_mask=memory_padding_check)
assert got_check.shape == tgt_check.shape, (
    f"output should have the target's shape {tuple(tgt_check.shape)}, got {tuple(got_check.shape)}")
torch.testing.assert_close(got_check, expected_check, atol=1e-5, rtol=1e-4,
                           msg="post-norm output differs from nn.TransformerDecoderLayer(norm_first=False); expected "
                               "x = norm1(x + SA(x)), x = norm2(x + CA(x)), x = norm3(x + FF(x)) with CA reading "
                               "keys and values from memory")
print("Self-check passed: your post-norm decoder layer matches PyTorch.")
### BEGIN HIDDEN TESTS
cases = [(48, 6, 96, 2, 5, 3), (16, 2, 32, 1, 7, 9), (32, 8, 128, 4, 4, 4)]  # d_model, nhead, d_ff, batch, tgt, src
for case_number, (width, heads, hidden_width, batch, tgt_len, src_len) in enumerate(cases):
    reference_hidden, mine_hidden = decoder_pair(False, width, heads, hidden_width, seed=100 + case_number)
    tgt_hidden, memory_hidden, causal_hidden, memory_padding_hidden = decoder_inputs(
        batch, tgt_len, src_len, width, seed=200 + case_number)
    tgt_padding_hidden = torch.zeros(batch, tgt_len, dtype=torch.bool)
    tgt_padding_hidden[-1, tgt_len // 2 + 1:] = True                               # right-padded target
    for kwargs in ({}, {"tgt_mask": causal_hidden}, {"memory_key_padding_mask": memory_padding_hidden},
                   {"tgt_mask": causal_hidden, "tgt_key_padding_mask": tgt_padding_hidden,
                    "memory_key_padding_mask": memory_padding_hidden}):
        with torch.no_grad():
            torch.testing.assert_close(
                mine_hidden(tgt_hidden, memory_hidden, **kwargs), reference_hidden(tgt_hidden, memory_hidden, **kwargs),
                atol=1e-5, rtol=1e-4,
                msg=f"post-norm layer (d_model={width}, tgt_len={tgt_len}, src_len={src_len}) with {sorted(kwargs)} "
                    "differs from PyTorch: tgt_mask and tgt_key_padding_mask go to self_attn, "
                    "memory_key_padding_mask to cross_attn")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex07_1_test_b", "points": 2}
# Self-check, pre-norm (norm_first=True): against nn.TransformerDecoderLayer with the same weights,
# causal tgt_mask and memory padding mask, eval mode.
reference_check, mine_check = decoder_pair(norm_first=True)
tgt_check, memory_check, causal_check, memory_padding_check = decoder_inputs()
with torch.no_grad():
    expected_check = reference_check(tgt_check, memory_check, tgt_mask=causal_check,
                                     memory_key_padding_mask=memory_padding_check)
    got_check = mine_check(tgt_check, memory_check, tgt_mask=causal_check,
                           memory_key_padding_mask=memory_padding_check)
    reference_check.norm_first = False                       # the same weights in the other layout
    other_layout = reference_check(tgt_check, memory_check, tgt_mask=causal_check,
                                   memory_key_padding_mask=memory_padding_check)
assert not torch.allclose(got_check, other_layout, atol=1e-4), (
    "with norm_first=True your layer computes the POST-norm formula")
torch.testing.assert_close(got_check, expected_check, atol=1e-5, rtol=1e-4,
                           msg="pre-norm output differs from nn.TransformerDecoderLayer(norm_first=True); expected "
                               "x = x + SA(norm1(x)), x = x + CA(norm2(x)), x = x + FF(norm3(x))")
print("Self-check passed: your pre-norm decoder layer matches PyTorch.")
### BEGIN HIDDEN TESTS
cases = [(48, 6, 96, 2, 5, 3), (16, 2, 32, 1, 7, 9), (32, 8, 128, 4, 4, 4)]  # d_model, nhead, d_ff, batch, tgt, src
for case_number, (width, heads, hidden_width, batch, tgt_len, src_len) in enumerate(cases):
    reference_hidden, mine_hidden = decoder_pair(True, width, heads, hidden_width, seed=300 + case_number)
    tgt_hidden, memory_hidden, causal_hidden, memory_padding_hidden = decoder_inputs(
        batch, tgt_len, src_len, width, seed=400 + case_number)
    for kwargs in ({}, {"tgt_mask": causal_hidden, "memory_key_padding_mask": memory_padding_hidden}):
        with torch.no_grad():
            torch.testing.assert_close(
                mine_hidden(tgt_hidden, memory_hidden, **kwargs), reference_hidden(tgt_hidden, memory_hidden, **kwargs),
                atol=1e-5, rtol=1e-4,
                msg=f"pre-norm layer (d_model={width}, tgt_len={tgt_len}, src_len={src_len}) with {sorted(kwargs)} "
                    "differs from PyTorch")
# The memory is read as it is: the decoder layer does not normalise it (the encoder's own norm does).
reference_hidden, mine_hidden = decoder_pair(True)
tgt_hidden, memory_hidden, causal_hidden, _ = decoder_inputs(seed=9)
with torch.no_grad():
    torch.testing.assert_close(mine_hidden(tgt_hidden, memory_hidden * 5 + 2, tgt_mask=causal_hidden),
                               reference_hidden(tgt_hidden, memory_hidden * 5 + 2, tgt_mask=causal_hidden),
                               atol=1e-4, rtol=1e-4,
                               msg="in pre-norm, norm2 applies to the target stream only; pass memory to "
                                   "cross_attn unchanged as keys and values")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "ex07_1_test_c", "points": 2}
# Self-check, structure and behaviour: two distinct attention modules; the future and the padded memory
# change nothing; the real memory does matter.
torch.manual_seed(71)
layer_check = DecoderLayer(32, 4, 64, dropout=0.0).eval()
assert layer_check.self_attn is not layer_check.cross_attn, (
    "self_attn and cross_attn are the SAME module: self- and cross-attention need two separate "
    "nn.MultiheadAttention modules with their own weights")
pytorch_count = sum(p.numel() for p in nn.TransformerDecoderLayer(32, 4, 64, batch_first=True).parameters())
my_count = sum(p.numel() for p in layer_check.parameters())
assert my_count == pytorch_count, (
    f"your layer has {my_count:,d} parameters, nn.TransformerDecoderLayer has {pytorch_count:,d}: fewer means "
    f"some parameters are shared (one whole shared attention module is 4*d*d + 4*d = {4 * 32 * 32 + 4 * 32:,d})")
tgt_check, memory_check, causal_check, memory_padding_check = decoder_inputs()
with torch.no_grad():
    before = layer_check(tgt_check, memory_check, tgt_mask=causal_check, memory_key_padding_mask=memory_padding_check)
    future_changed = tgt_check.clone()
    future_changed[:, 4] += 10.0                                   # change target token 4
    after = layer_check(future_changed, memory_check, tgt_mask=causal_check, memory_key_padding_mask=memory_padding_check)
torch.testing.assert_close(after[:, :4], before[:, :4], atol=1e-5, rtol=1e-4,
                           msg="changing target token 4 changed the outputs of positions 0-3: the future leaks; "
                               "pass tgt_mask to the self-attention (and never let cross-attention read the target)")
assert not torch.allclose(after[:, 4:], before[:, 4:], atol=1e-4), "positions 4 and 5 should see token 4"
with torch.no_grad():
    memory_changed = memory_check.clone()
    memory_changed[memory_padding_check] += 10.0                   # change only the padded memory positions
    padded_changed = layer_check(tgt_check, memory_changed, tgt_mask=causal_check,
                                 memory_key_padding_mask=memory_padding_check)
    other_memory = layer_check(tgt_check, torch.randn(memory_check.shape), tgt_mask=causal_check,
                               memory_key_padding_mask=memory_padding_check)
torch.testing.assert_close(padded_changed, before, atol=1e-5, rtol=1e-4,
                           msg="padded memory positions changed the output: pass memory_key_padding_mask to cross_attn")
assert not torch.allclose(other_memory, before, atol=1e-3), (
    "the output does not depend on the memory: cross-attention must take its keys and values from memory")
print("Self-check passed: two attention modules, no peeking at the future, the memory is read.")
### BEGIN HIDDEN TESTS
# No parameter tensor shared between the two attention modules (not even through a shared projection).
self_tensors = {id(p) for p in layer_check.self_attn.parameters()}
assert not any(id(p) in self_tensors for p in layer_check.cross_attn.parameters()), (
    "self_attn and cross_attn share parameter tensors; give each its own weights")
# Behaviour in both layouts, causality at every position.
for norm_first in (False, True):
    torch.manual_seed(700)
    layer_hidden = DecoderLayer(24, 3, 48, dropout=0.0, norm_first=norm_first).eval()
    tgt_hidden, memory_hidden, causal_hidden, memory_padding_hidden = decoder_inputs(2, 7, 5, 24, seed=701)
    with torch.no_grad():
        reference_output = layer_hidden(tgt_hidden, memory_hidden, tgt_mask=causal_hidden,
                                        memory_key_padding_mask=memory_padding_hidden)
        for position in range(1, 7):
            changed = tgt_hidden.clone()
            changed[:, position:] = torch.randn(2, 7 - position, 24)
            output = layer_hidden(changed, memory_hidden, tgt_mask=causal_hidden,
                                  memory_key_padding_mask=memory_padding_hidden)
            torch.testing.assert_close(output[:, :position], reference_output[:, :position], atol=1e-5, rtol=1e-4,
                                       msg=f"norm_first={norm_first}: tokens from position {position} on "
                                           f"changed the outputs before position {position}")
# Gradients reach both attention modules; dropout1/2/3 are all used in train mode.
# (A random weighting of the output: the plain sum of a post-norm output is always 0, LayerNorm centres it.)
torch.manual_seed(702)
layer_hidden = DecoderLayer(32, 4, 64, dropout=0.0)
tgt_hidden, memory_hidden, causal_hidden, memory_padding_hidden = decoder_inputs(seed=702)
output = layer_hidden(tgt_hidden, memory_hidden, tgt_mask=causal_hidden)
(output * torch.randn_like(output)).sum().backward()
for name in ("self_attn", "cross_attn"):
    gradient = getattr(layer_hidden, name).in_proj_weight.grad
    assert gradient is not None and gradient.abs().sum() > 0, f"{name} receives no gradient: is it used in forward?"
for active in ("dropout1", "dropout2", "dropout3"):
    torch.manual_seed(703)
    layer_hidden = DecoderLayer(32, 4, 64, dropout=0.5).train()
    layer_hidden.self_attn.dropout = layer_hidden.cross_attn.dropout = 0.0
    layer_hidden.dropout.p = 0.0
    for other in ("dropout1", "dropout2", "dropout3"):
        if other != active:
            getattr(layer_hidden, other).p = 0.0
    assert not torch.allclose(layer_hidden(tgt_hidden, memory_hidden), layer_hidden(tgt_hidden, memory_hidden)), (
        f"{active} is never applied: use it on the output of its sub-layer, before the residual addition")
# Where the dropouts go: training mode against PyTorch under the same random seed. The attention-weight
# dropout is switched off in every attention module (its random draws depend on how the module is called).
for norm_first in (False, True):
    reference_hidden, mine_hidden = decoder_pair(norm_first, dropout=0.3, seed=704)
    reference_hidden.train()
    mine_hidden.train()
    for attention in (reference_hidden.self_attn, reference_hidden.multihead_attn,
                      mine_hidden.self_attn, mine_hidden.cross_attn):
        attention.dropout = 0.0
    tgt_hidden, memory_hidden, causal_hidden, memory_padding_hidden = decoder_inputs(seed=705)
    kwargs = {"tgt_mask": causal_hidden, "memory_key_padding_mask": memory_padding_hidden}
    torch.manual_seed(706)
    expected = reference_hidden(tgt_hidden, memory_hidden, **kwargs)
    torch.manual_seed(706)
    got = mine_hidden(tgt_hidden, memory_hidden, **kwargs)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4,
                               msg=f"norm_first={norm_first}: in training mode your layer differs from PyTorch's "
                                   "with the same random seed: dropout1 / dropout2 / dropout3 go on each sub-layer's "
                                   "output only (before the residual addition, never after the norm or the sum), "
                                   "and the FFN's dropout sits between relu and linear2")
# Each padding mask on its own, LEFT padding (pads first, as in batched generation), tgt left unchanged,
# float64 kept, and no nn.TransformerDecoderLayer inside, in both layouts.
from course.checks import assert_dtype, call_checking_inputs, forbidden

_library_layers = ("torch.nn.TransformerDecoderLayer", "torch.nn.TransformerDecoder")
left_tgt_padding = torch.tensor([[False] * 6, [True] * 2 + [False] * 4, [True] * 3 + [False] * 3])    # (3, 6)
left_memory_padding = torch.tensor([[False] * 8, [True] * 3 + [False] * 5, [True] * 5 + [False] * 3])  # (3, 8)
tgt_hidden, memory_hidden, causal_hidden, _ = decoder_inputs(seed=731)
for norm_first in (False, True):
    torch.manual_seed(730 + norm_first)
    reference_hidden = nn.TransformerDecoderLayer(32, 4, 64, 0.1, batch_first=True, norm_first=norm_first)
    with forbidden(*_library_layers, namespace=globals(), reason="Assemble it from its named parts"):
        mine_hidden = DecoderLayer(32, 4, 64, 0.1, norm_first)
    copy_decoder_weights(reference_hidden, mine_hidden)
    reference_hidden.eval()
    mine_hidden.eval()
    for kwargs, what in (({"tgt_key_padding_mask": left_tgt_padding}, "tgt_key_padding_mask alone, left padding"),
                         ({"memory_key_padding_mask": left_memory_padding}, "memory_key_padding_mask alone, left padding"),
                         ({"tgt_mask": causal_hidden, "tgt_key_padding_mask": left_tgt_padding,
                           "memory_key_padding_mask": left_memory_padding}, "all three masks, left padding")):
        with torch.no_grad():
            expected = reference_hidden(tgt_hidden, memory_hidden, **kwargs)
            with forbidden(*_library_layers, namespace=globals()):
                got = call_checking_inputs(mine_hidden, tgt_hidden, memory_hidden, name="DecoderLayer.forward", **kwargs)
        real = ~kwargs.get("tgt_key_padding_mask", torch.zeros(3, 6, dtype=torch.bool))
        torch.testing.assert_close(got[real], expected[real], atol=1e-5, rtol=1e-4,
                                   msg=f"norm_first={norm_first}, {what}: your layer differs from PyTorch's. Pass "
                                       "each mask whenever it is given: tgt_mask and tgt_key_padding_mask to "
                                       "self_attn, memory_key_padding_mask to cross_attn")
    with torch.no_grad():
        got = mine_hidden.double()(tgt_hidden.double(), memory_hidden.double(), tgt_mask=causal_hidden)
    assert_dtype(got, torch.float64, "the output of a float64 decoder layer")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Teacher forcing versus generating one token at a time
#
# At **generation** time the decoder writes a sentence step by step. It starts from `<s>`; at step $t$ it
# runs on the prefix of the $t$ tokens written so far, reads the output vector at the **last** position,
# turns it into a probability distribution over the next token (a linear layer and a softmax), picks a token,
# appends it to the prefix and starts again — until it writes `</s>`. Lesson 12 writes this greedy loop;
# lesson 20 the other ways of picking a token.
#
# At **training** time (teacher forcing) we already know the whole target, so we feed it at once with the
# causal mask and get every position in **one** parallel pass. The claim that makes Transformers fast to
# train is that the two compute **the same thing**: with the causal mask, position $t$ of the teacher-forced
# pass sees exactly the tokens $0..t$ that step $t$ of the generation loop sees.
#
# Two details matter for that equality:
#
# - In one layer, the last position of a prefix may see the whole prefix, so no mask is needed for it. But
#   in a **stack**, the last position of layer 2 reads the layer-1 outputs of all earlier positions — and
#   those must be the ones the teacher-forced pass computed, where position $s$ saw only tokens $0..s$. So
#   each step also runs with the causal mask of its prefix.
# - Step by step costs $T$ passes over prefixes of length $1, 2, \dots, T$ instead of one pass — that is why
#   training uses teacher forcing, and why real generation code caches the keys and values of earlier
#   positions (the *KV cache*) instead of recomputing them at every step.

# %% [markdown]
# ### Exercise 07.2 — `decode_step_by_step` (2 points)
#
# Write `decode_step_by_step(decoder, tgt, memory, memory_key_padding_mask=None)`: the outputs the decoder
# gives when it is run the generation way, one prefix at a time, on a **known** target (we do not pick
# tokens here: the inputs are given, so the result can be compared with teacher forcing).
#
# - `decoder`: any module called as `decoder(tgt, memory, tgt_mask=..., memory_key_padding_mask=...)` — an
#   `nn.TransformerDecoderLayer`, a stack `nn.TransformerDecoder`, or your `DecoderLayer`; it is in eval mode.
# - `tgt`: `(batch, tgt_len, d_model)`; `memory`: `(batch, src_len, d_model)`;
#   `memory_key_padding_mask`: `None` or bool `(batch, src_len)`, pass it on unchanged.
# - For every step $t = 1, \dots, \text{tgt\_len}$: run the decoder on the prefix `tgt[:, :t]` with the causal mask
#   of that prefix (`causal_blocked_mask(t)`), and keep the output at its **last** position.
# - Return the kept vectors stacked along the position axis: `(batch, tgt_len, d_model)`.
# - Call the decoder exactly once for each prefix length $1, \dots, \text{tgt\_len}$ (the tests count the calls);
#   do not take the outputs from a single call on the whole target.

# %% nbgrader={"solution": true, "grade_id": "ex07_2"}
def decode_step_by_step(decoder: nn.Module, tgt: torch.Tensor, memory: torch.Tensor,
                        memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Run the decoder on growing prefixes of tgt and keep the last position of each.

    Args:
        decoder: called as decoder(prefix, memory, tgt_mask=..., memory_key_padding_mask=...).
        tgt: (batch, tgt_len, d_model).
        memory: (batch, src_len, d_model).
        memory_key_padding_mask: None or bool (batch, src_len), True = padding.

    Returns:
        (batch, tgt_len, d_model): row t is the output at position t of decoder(tgt[:, :t+1], ...).
    """
    ### BEGIN SOLUTION
    last_positions = []
    for length in range(1, tgt.shape[1] + 1):
        output = decoder(tgt[:, :length], memory, tgt_mask=causal_blocked_mask(length),
                         memory_key_padding_mask=memory_key_padding_mask)  # (batch, length, d_model)
        last_positions.append(output[:, -1])                                # (batch, d_model)
    return torch.stack(last_positions, dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_2_test", "points": 2}
# Self-check: step by step == one teacher-forced pass with the causal mask, for one layer and for a stack.
torch.manual_seed(72)
single_layer = nn.TransformerDecoderLayer(32, 4, 64, batch_first=True).eval()
stack = nn.TransformerDecoder(nn.TransformerDecoderLayer(32, 4, 64, batch_first=True), num_layers=2).eval()
tgt_check, memory_check, causal_check, memory_padding_check = decoder_inputs()
for name, decoder_check in (("one decoder layer", single_layer), ("a 2-layer nn.TransformerDecoder", stack)):
    with torch.no_grad():
        teacher_forced = decoder_check(tgt_check, memory_check, tgt_mask=causal_check,
                                       memory_key_padding_mask=memory_padding_check)
        step_by_step = decode_step_by_step(decoder_check, tgt_check, memory_check, memory_padding_check)
    assert step_by_step.shape == tgt_check.shape, (
        f"expected (batch, tgt_len, d_model) = {tuple(tgt_check.shape)}, got {tuple(step_by_step.shape)}")
    torch.testing.assert_close(
        step_by_step, teacher_forced, atol=1e-5, rtol=1e-4,
        msg=f"with {name}, step-by-step outputs differ from the teacher-forced pass: keep the LAST position of "
            "each prefix, pass memory_key_padding_mask on, and run each prefix with its own causal mask (in a "
            "stack the earlier positions of the prefix must not see their future either)")
print("Self-check passed: step by step == teacher forcing, for one layer and for a stack.")
### BEGIN HIDDEN TESTS
# A deeper pre-norm stack, other lengths, no memory padding; and the number of calls (one per step).
torch.manual_seed(720)
deep_stack = nn.TransformerDecoder(nn.TransformerDecoderLayer(24, 3, 48, batch_first=True, norm_first=True),
                                   num_layers=3).eval()
tgt_hidden, memory_hidden, causal_hidden, _ = decoder_inputs(2, 5, 3, 24, seed=721)
with torch.no_grad():
    torch.testing.assert_close(decode_step_by_step(deep_stack, tgt_hidden, memory_hidden),
                               deep_stack(tgt_hidden, memory_hidden, tgt_mask=causal_hidden), atol=1e-5, rtol=1e-4,
                               msg="3-layer pre-norm stack: step by step differs from teacher forcing")


class CallRecorder(nn.Module):
    """Wraps a decoder and records the target length of every call."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner, self.lengths = inner, []

    def forward(self, tgt, memory, tgt_mask=None, memory_key_padding_mask=None):
        self.lengths.append(tgt.shape[1])
        return self.inner(tgt, memory, tgt_mask=tgt_mask, memory_key_padding_mask=memory_key_padding_mask)


recorder = CallRecorder(single_layer)
with torch.no_grad():
    decode_step_by_step(recorder, tgt_check, memory_check, memory_padding_check)
assert sorted(recorder.lengths) == list(range(1, tgt_check.shape[1] + 1)), (
    f"the decoder should be called once per prefix length 1..{tgt_check.shape[1]}; it was called with target "
    f"lengths {recorder.lengths}")
# The inputs are not modified, and float64 stays float64.
from course.checks import assert_dtype, call_checking_inputs

double_layer = nn.TransformerDecoderLayer(16, 2, 32, batch_first=True).double().eval()
tgt_hidden, memory_hidden = torch.randn(2, 4, 16, dtype=torch.float64), torch.randn(2, 3, 16, dtype=torch.float64)
with torch.no_grad():
    got = call_checking_inputs(decode_step_by_step, double_layer, tgt_hidden, memory_hidden)
assert_dtype(got, torch.float64, "the stacked outputs")
### END HIDDEN TESTS

# %% [markdown]
# The equality holds only *because* of the causal mask. Without it, the teacher-forced pass lets every
# position read the future, and it no longer computes what generation will compute (this cell needs
# Exercise 07.2):

# %%
try:
    torch.manual_seed(7)
    demo_stack = nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, n_heads, d_ff, batch_first=True),
                                       num_layers=3).eval()
    demo_tgt, demo_memory = torch.randn(2, 6, d_model), torch.randn(2, 9, d_model)
    with torch.no_grad():
        generated_way = decode_step_by_step(demo_stack, demo_tgt, demo_memory)
        with_mask = demo_stack(demo_tgt, demo_memory, tgt_mask=causal_blocked_mask(6))
        without_mask = demo_stack(demo_tgt, demo_memory)
    for name, teacher_forced in (("teacher forcing WITH the causal mask", with_mask),
                                 ("teacher forcing WITHOUT a mask", without_mask)):
        gap = (teacher_forced - generated_way).abs().amax(dim=(0, 2))                # (tgt_len,) per position
        print(f"{name:38s} max |difference| per position: {[round(v, 4) for v in gap.tolist()]}")
except NotImplementedError:
    print("Exercise 07.2 is not done yet: step-by-step decoding will be compared here with teacher forcing.")

# %% [markdown]
# With the mask the two agree at every position. Without it they disagree everywhere — even at the last
# position, which has no future of its own: in a stack it reads the layer-1 outputs of the earlier positions,
# and in the unmasked pass those have already seen the future.
#
# **Takeaway:** a teacher-forced pass with a causal mask computes, in parallel, exactly what the generation
# loop computes one step at a time; this is what makes decoder training efficient.

# %% [markdown]
# ### Exercise 07.3 — Where does cross-attention look? (1 point)
#
# In the cross-attention sub-layer of a decoder layer, where do the queries, keys and values come from?
#
# - (a) All three from the decoder's target stream, exactly like the masked self-attention before it.
# - (b) Queries from the memory (the encoder's output); keys and values from the decoder's target stream.
# - (c) All three from the memory, so that the sub-layer re-reads the source sentence on its own.
# - (d) Queries from the decoder's target stream; keys and values from the memory (the encoder's output).
#
# Set `answer_07_3` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex07_3"}
### BEGIN SOLUTION
answer_07_3 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex07_3_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_07_3", answer_07_3, (
    "quiz1:eyJrZXkiOiAiNmRiNzVmOGIyYWY2MDdmMmIxOTQzNzAxNWE5N2FhMThlYzA2OTg2MmVjOWUyOTRlZTgwMjk1N2Q1Ym"
    "I5YTQ4ZCIsICJuYW1lIjogImFuc3dlcl8wN18zIiwgIm9wdGlvbnMiOiB7ImEiOiAiRWdXNXBhWWdqWHJwNjRjSEMrdE9mMC"
    "tDVndWSW1EZ2o3OGRFUW8xc2tzQ0JvdzM0bnlGWVN3UmQvajFrWWgyWkVNZ1RVbnJ6SjAxVjQrRHBSZ2VJM0RtcloyV1lhZV"
    "dUSVliTVhwNmVCYitDZGd0N0RnamphU1o5anVIRmhjeGtLTTdCcTl1emhoUUhuSzFvKzY5MkJScEc0b2JWYkwvek8zUlkvVz"
    "dQbGNCeDdMNjZlaWR0eWNLbHd4SFg0T05GVmFNNWY4aytxK2lRVjFMMXNuTmZ5d0cvbkhHM0VZMHpuQ0JrMXdvSGo2QVpvWW"
    "RuZFRuVjlLa1RaeEVVZTlidUxTamEzeVVRT0E9PSIsICJiIjogInZjeGxzZ3VOUGdicm52QmlEL08vVkwyM3ZWVmJLMXZiMn"
    "hKYVdONy95SWh4Q3Q2NTJZNDhPajhjYllWbnFrZlFhcmcveEV4cEN0blJYN2VPNjJXUGxPc1F1KzJrbVdLd1hoUmcwMVgyY2"
    "NpbVRSUVg4NlZNNG9takVVTms3WllUQjlHYmZVRVlYeGdnNyttcjhFdkpCY3hJVU1taEpqZloxMktwSVVSd3ZYNHcxQVNPNT"
    "E1YU91OFZUZjUzVDZGcFRmZVFhdUI4ZDE2SFBEaFlOWFNnZUc1UFI0amZwc2prRWdZQ29xM0d6NmlRcVVuU1ZHTFciLCAiYy"
    "I6ICJtQ0NROEhLV0tSaGJDbGJGUXRiSlZLbHFPc1pPRlVMNHJKckJRSTlYMlE1bzV1TFFYREU5VXYxSUswZ25iTG1RS3JoK2"
    "F5ekhtM3Vzd1B4N252ZGlXcUo1ekF6ZWFQaFZRWHIvcWN0K3dBK1ExV0VaOWdBRDNoWlVlbGV3NVZCcUtDZ3NIV3dURkJxSW"
    "RuTWZrQXFVdmdmVmQ0a2dFTHRxM2lFUUlIeUNsb1NrZ2NJWlNwc2xSRXdlek45Z2o1SEVwT3N3dGZFYTE2TXB3VnB3UFk2Wn"
    "V1WjBaSVFuL0xEY3RuOXhNL0JNTzJrbFlTM0FyQm9YVERCbXlRa0UiLCAiZCI6ICJtWmpxVk90K0VNdHJyRHIwdDZGVktITl"
    "lRTU1PeVRjSUMzTU5LSTRIR1MrT2VrYStxQm9IZnI5bDdtVjJhSzJUR2NsOWlRVVNlS1ArT0E2ZndxandlRTBFbjI1QWtudT"
    "U5dFZLaUJNaU45RmZqK1hlZGhTQzhQTkRveklNM2N1RERwSjRVa2dGS0RUQWRvSUFaZGZaaldQVkUxdC9oWUdmYnF6S1NFb0"
    "xLVEl2VFMzKzFKU2taNVZWc1NGKzJnVTRyVlNtcTZGUUpLdy8yK1l6OFVwdFhGdXJiRjR3MXMzaGkxZjBGanc4WWFFdWJQaE"
    "pvU08rRmsvY3pXQ1hlYjR4L3c9PSJ9LCAic2FsdCI6ICJmMTUxMjNjMWMzMzlmYTI4In0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_07_3", answer_07_3, "d", {
    "a": "That is the self-attention sub-layer again: with all three from the target the layer would never read "
         "the encoder, and without a causal mask it would see the future. Cross-attention reads the memory.",
    "b": "The wrong way round: attention returns one row per query, so queries from the memory would give an "
         "output of the SOURCE length, while the decoder needs one vector per target position.",
    "c": "With all three from the memory the target would not enter the sub-layer at all: its output would not "
         "depend on what has been generated so far. The target asks (queries), the memory answers.",
    "d": "Each target position asks a question (query) of the source: keys and values come from the memory, the "
         "encoder's output, so the output has one vector per target position, informed by the source.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The decoder in a full model
#
# A decoder stack is $N$ decoder layers; **every** layer's cross-attention reads the **same** memory, the
# output of the encoder's last layer. `nn.Transformer` wires it all for you; note the one call that builds
# the causal mask:

# %%
tiny_transformer = nn.Transformer(d_model=d_model, nhead=n_heads, num_encoder_layers=2, num_decoder_layers=2,
                                  dim_feedforward=d_ff, dropout=0.0, batch_first=True).eval()
source_vectors, target_vectors = torch.randn(2, 9, d_model), torch.randn(2, 6, d_model)
with torch.no_grad():
    memory_out = tiny_transformer.encoder(source_vectors)                           # (2, 9, d_model)
    decoded = tiny_transformer.decoder(target_vectors, memory_out, tgt_mask=causal_blocked_mask(6))
    end_to_end = tiny_transformer(source_vectors, target_vectors, tgt_mask=causal_blocked_mask(6))
print("memory", tuple(memory_out.shape), "-> decoder output", tuple(decoded.shape))
print("encoder then decoder == nn.Transformer:", torch.allclose(decoded, end_to_end, atol=1e-6))
first_layer, second_layer = tiny_transformer.decoder.layers
print("each decoder layer has its own cross-attention module:",
      first_layer.multihead_attn is not second_layer.multihead_attn)

# %% [markdown]
# `nn.Transformer` does **not** add the causal mask for you: forgetting `tgt_mask` is the most common bug in
# seq2seq code written on top of it (lesson 12 builds the full model and its mask plumbing).
#
# **Takeaway:** the memory is computed once by the encoder and read by every decoder layer; the causal mask
# is the caller's job.

# %% [markdown]
# ## 7. Common mistakes
#
# ### One attention module for both self- and cross-attention
#
# The two attention sub-layers have identical shapes, so code that builds **one** `nn.MultiheadAttention`
# and calls it twice runs without complaint:
#
# ```python
# self.attn = nn.MultiheadAttention(d_model, nhead, batch_first=True)
# ...
# x = norm1(x + self.attn(x, x, x, attn_mask=tgt_mask)[0])          # self-attention
# x = norm2(x + self.attn(x, memory, memory)[0])                    # cross-attention, SAME weights
# ```
#
# A subtler way to get the same bug is list multiplication, which repeats one object instead of creating
# several: `nn.ModuleList([nn.MultiheadAttention(d_model, nhead)] * 2)`. Self-attention and cross-attention
# do different jobs — *which earlier target words matter?* versus *which source words align with me?* — and
# need their own projections. The parameter count gives the bug away: `parameters()` lists a shared tensor
# only once.

# %%
shared_by_multiplication = nn.ModuleList([nn.MultiheadAttention(d_model, n_heads, batch_first=True)] * 2)
separate_modules = nn.ModuleList([nn.MultiheadAttention(d_model, n_heads, batch_first=True) for _ in range(2)])
print("[module] * 2: same object twice?", shared_by_multiplication[0] is shared_by_multiplication[1],
      f"- {sum(p.numel() for p in shared_by_multiplication.parameters()):,d} parameters")
print("list comprehension: same object?", separate_modules[0] is separate_modules[1],
      f"- {sum(p.numel() for p in separate_modules.parameters()):,d} parameters")

torch.manual_seed(70)
proper_layer = nn.TransformerDecoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True).eval()
shared_layer = nn.TransformerDecoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True).eval()
shared_layer.load_state_dict(proper_layer.state_dict())
shared_layer.multihead_attn = shared_layer.self_attn          # the bug: one module for both jobs
print(f"parameters: proper {sum(p.numel() for p in proper_layer.parameters()):,d}, "
      f"shared {sum(p.numel() for p in shared_layer.parameters()):,d} "
      f"(missing 4d² + 4d = {4 * d_model**2 + 4 * d_model:,d})")

# %% [markdown]
# Fix: create two modules, `self.self_attn` and `self.cross_attn`, and test
# `layer.self_attn is not layer.cross_attn` and the parameter count against `nn.TransformerDecoderLayer`.
#
# ### No causal mask
#
# Section 2 showed the consequence in training (a loss below what is possible) and at generation (worse than
# chance where the future is missing). The behavioural test is cheap: change a future target token and check
# that the earlier outputs do not move.

# %%
tgt_demo, memory_demo = torch.randn(1, 5, d_model), torch.randn(1, 7, d_model)
tgt_future_changed = tgt_demo.clone()
tgt_future_changed[:, 4] += 5.0                               # change the last target token only
with torch.no_grad():
    for name, mask in (("with tgt_mask", causal_blocked_mask(5)), ("without tgt_mask", None)):
        before = proper_layer(tgt_demo, memory_demo, tgt_mask=mask)
        after = proper_layer(tgt_future_changed, memory_demo, tgt_mask=mask)
        moved = (after[:, :4] - before[:, :4]).abs().max().item()
        print(f"{name:17s} max change of positions 0-3 when token 4 changes: {moved:.2e}")

# %% [markdown]
# ### Cross-attention that reads the target instead of the memory
#
# Writing `cross_attn(x, x, x)` instead of `cross_attn(x, memory, memory)` keeps every shape (the output has
# the target's length either way). But the layer then never reads the encoder — the translation no longer
# depends on the source sentence — and, since there is no causal mask on that sub-layer, it leaks the future
# too. Test: change the memory, the output must change.

# %%
def cross_attention_on_target(layer: nn.TransformerDecoderLayer, tgt, memory, tgt_mask):
    """Post-norm decoder layer with the bug: keys and values of the cross-attention taken from the target."""
    x = layer.norm1(tgt + layer.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask)[0])
    x = layer.norm2(x + layer.multihead_attn(x, x, x)[0])          # BUG: should be (x, memory, memory)
    return layer.norm3(x + layer.linear2(F.relu(layer.linear1(x))))


other_memory_demo = torch.randn(1, 7, d_model)
with torch.no_grad():
    for name, run in (("correct layer", lambda m: proper_layer(tgt_demo, m, tgt_mask=causal_blocked_mask(5))),
                      ("K, V from the target", lambda m: cross_attention_on_target(proper_layer, tgt_demo, m,
                                                                                   causal_blocked_mask(5)))):
        change = (run(memory_demo) - run(other_memory_demo)).abs().max().item()
        print(f"{name:21s} output change when the source sentence changes: {change:.2e}")

# %% [markdown]
# ### A mask in the wrong convention
#
# `nn.MultiheadAttention` and `nn.Transformer*` read a boolean mask as **`True` = blocked**;
# `F.scaled_dot_product_attention` reads it as **`True` = may attend** (lesson 09). Passing the lower
# triangle (`tril`, the "allowed" mask) to a decoder layer blocks the past *and the present* and allows the
# future; the last row is then entirely blocked and gives NaN:

# %%
allowed_convention = torch.ones(5, 5, dtype=torch.bool).tril()
with torch.no_grad():
    wrong_convention = proper_layer(tgt_demo, memory_demo, tgt_mask=allowed_convention)
print("NaN at each target position:", torch.isnan(wrong_convention).any(dim=-1)[0].tolist())

# %% [markdown]
# **Takeaway:** two attention modules, a causal mask in the blocked convention, keys and values from the
# memory — and a behavioural test for each.

# %% [markdown]
# ## Summary
#
# - A decoder layer has three sub-layers: **masked self-attention** (Q, K, V from the target, future
#   blocked), **cross-attention** (Q from the target, K and V from the encoder's memory, padding blocked) and a
#   position-wise **FFN**, each with dropout, residual and LayerNorm (post-norm or pre-norm).
# - The two attention sub-layers are **separate modules** with separate weights.
# - **Teacher forcing** trains on the whole target in one pass; the **causal mask** keeps position $t$ from
#   reading its own label, and makes that pass equal to step-by-step **generation**.
# - Without the mask a model learns to copy the future and fails exactly where generation happens.
#
# Next, lesson 08 looks closer at the activations and normalisations used inside these layers.
#
# ## Going further
#
# - Vaswani et al. (2017). *Attention Is All You Need.* NeurIPS. Section 3.1 (the decoder stack and its
#   masking) and 3.2.3 (the three uses of attention).
# - Williams, Zipser (1989). *A Learning Algorithm for Continually Running Fully Recurrent Neural Networks.*
#   Neural Computation. Teacher forcing.
# - Bengio, Vinyals, Jaitly, Shazeer (2015). *Scheduled Sampling for Sequence Prediction with Recurrent Neural
#   Networks.* NeurIPS. The gap between teacher forcing and generation (exposure bias).
# - Radford, Narasimhan, Salimans, Sutskever (2018). *Improving Language Understanding by Generative
#   Pre-Training.* OpenAI. GPT: a decoder without cross-attention.
# - Lewis et al. (2020). *BART: Denoising Sequence-to-Sequence Pre-training.* ACL; Raffel et al. (2020).
#   *Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer (T5).* JMLR.
#   Encoder-decoder models with cross-attention.
# - Rush (2018). *The Annotated Transformer* (Harvard NLP): the decoder and `subsequent_mask`, in runnable code.
# - PyTorch documentation: `torch.nn.TransformerDecoderLayer`, `torch.nn.TransformerDecoder`,
#   `torch.nn.Transformer.generate_square_subsequent_mask`.

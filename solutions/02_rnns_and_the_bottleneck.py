# ---
# jupyter:
#   course:
#     title: "Before Transformers: RNNs, LSTMs and the sequential bottleneck"
#     budget_seconds: 60
# ---

# %% [markdown]
# # Lesson 02 · Before Transformers: RNNs, LSTMs and the sequential bottleneck
# {{COLAB_BADGE}}
#
# Before 2017, almost every neural model of language was a **recurrent neural network** (RNN): it reads a
# sentence one token at a time and carries what it has read in a fixed-size vector, its *hidden state*.
# Transformers replaced recurrence with attention. To understand why, this lesson builds an RNN by hand,
# measures its two weaknesses, and watches attention repair the worst of them.
#
# **You will be able to:**
# - compute an RNN forward pass by hand, unrolled over time, and match `nn.RNN` number for number;
# - map the gates of an LSTM to the parameters of `nn.LSTM`;
# - measure how the gradient of the last hidden state with respect to earlier inputs shrinks with distance,
#   and explain why it shrinks geometrically;
# - explain, with a timing, why an RNN cannot process the positions of a sequence in parallel;
# - explain the single-context-vector bottleneck of encoder–decoders and how additive attention removes it.
#
# **Prerequisites:** lesson 01; PyTorch tensors, autograd and `nn.Module`. **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import statistics
import timeit

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

import course

course.set_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)
# The models in this lesson are tiny: one CPU thread is faster than several for them, and it makes the
# timings of section 4 steadier.
torch.set_num_threads(1)

# %% [markdown]
# ## 1. A recurrent cell, unrolled over time
#
# A sentence is a sequence of vectors $x_1, \dots, x_T$ (one embedding per token, lesson 10). An RNN reads
# them in order and keeps a **hidden state** $h_t \in \mathbb{R}^{H}$, a summary of everything read so far.
# At every step the same cell combines the new input with the previous state (Elman, 1990):
#
# $$h_t = \tanh\!\left(W_{ih}\, x_t + b_{ih} + W_{hh}\, h_{t-1} + b_{hh}\right), \qquad h_0 = 0 \text{ (usually)}.$$
#
# The same weights are used at every step, so the model works for any length. Drawn "unrolled", one copy of
# the cell per time step, the computation is a chain:
#
# ```
#        x_1         x_2         x_3                 x_T
#         |           |           |                   |
#         v           v           v                   v
# h_0 --> [cell] --> [cell] --> [cell] --> ... --> [cell] --> h_T
#         |           |           |                   |
#         v           v           v                   v
#        h_1         h_2         h_3                 h_T
# ```
#
# PyTorch's `nn.RNN` computes exactly this formula. Its parameters follow PyTorch's `nn.Linear` layout,
# **(out_features, in_features)**, so a batch of row vectors is multiplied by the *transpose*, and it has
# **two** biases, `b_ih` and `b_hh` (only their sum matters; they exist for compatibility with cuDNN).

# %%
rnn = nn.RNN(input_size=3, hidden_size=5, batch_first=True)  # nonlinearity="tanh" is the default
for name, parameter in rnn.named_parameters():
    print(f"{name:14s} {tuple(parameter.shape)}")

x = torch.randn(2, 7, 3)                     # (batch=2, seq_len=7, input_size=3) because batch_first=True
outputs, h_n = rnn(x)
print("outputs:", tuple(outputs.shape), "= (batch, seq_len, hidden): the hidden state at EVERY step")
print("h_n:    ", tuple(h_n.shape), "= (num_layers, batch, hidden): the LAST hidden state only")
print("h_n[0] equals outputs[:, -1]:", torch.equal(h_n[0], outputs[:, -1]))

# %% [markdown]
# The hidden state is the network's *memory*. The same input token can produce different states, because
# the state also depends on what came before. Below, random embeddings stand in for trained ones: "the"
# appears twice, yet its two hidden states differ.

# %%
sentence = ["the", "cat", "sat", "on", "the", "mat"]
vocabulary = {word: index for index, word in enumerate(sorted(set(sentence)))}
embedding = nn.Embedding(len(vocabulary), 8)
demo_rnn = nn.RNN(input_size=8, hidden_size=16, batch_first=True)
with torch.no_grad():
    token_ids = torch.tensor([[vocabulary[word] for word in sentence]])  # (1, 6)
    hidden_states, _ = demo_rnn(embedding(token_ids))                    # (1, 6, 16)

fig, ax = plt.subplots(figsize=(6, 4))
image = ax.imshow(hidden_states[0].T, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
ax.set_xticks(range(len(sentence)), [f"{t + 1}: {word}" for t, word in enumerate(sentence)])
ax.set_xlabel("time step: token read")
ax.set_ylabel("hidden unit")
ax.set_title("Hidden state $h_t$ of an (untrained) RNN, step by step")
fig.colorbar(image, ax=ax, label="activation (tanh, in [-1, 1])")
plt.show()
gap = (hidden_states[0, 0] - hidden_states[0, 4]).norm().item()
print(f"‖h(the, step 1) − h(the, step 5)‖ = {gap:.3f}: same input, different memory")

# %% [markdown]
# **Takeaway:** an RNN is one cell applied again and again; its hidden state is a fixed-size memory of the
# prefix read so far.

# %% [markdown]
# ### Exercise 02.1 — One RNN step (2 points)
#
# Write `rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)`, the formula above for a batch.
#
# - `x_t`: float tensor `(batch, input_size)`; `h_prev`: `(batch, hidden_size)`.
# - `W_ih`: `(hidden_size, input_size)`, `W_hh`: `(hidden_size, hidden_size)`, `b_ih` and `b_hh`:
#   `(hidden_size,)` — the layout of `nn.RNN`'s `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`.
# - Return $h_t$ with shape `(batch, hidden_size)`.
# - Use tensor operations; do not call `nn.RNN`, `nn.RNNCell` or `torch.rnn_tanh_cell`.

# %% nbgrader={"solution": true, "grade_id": "ex02_1"}
def rnn_step(
    x_t: torch.Tensor,
    h_prev: torch.Tensor,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
) -> torch.Tensor:
    """One step of a tanh RNN with PyTorch's parameter layout.

    Args:
        x_t: inputs at step t, (batch, input_size).
        h_prev: hidden state of step t-1, (batch, hidden_size).
        W_ih: input-to-hidden weights, (hidden_size, input_size).
        W_hh: hidden-to-hidden weights, (hidden_size, hidden_size).
        b_ih, b_hh: the two biases, (hidden_size,) each.

    Returns:
        h_t = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh), shape (batch, hidden_size).
    """
    ### BEGIN SOLUTION
    return torch.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02_1_test", "points": 2}
# Self-check: one step of your cell against nn.RNN with the same weights.
torch.manual_seed(1)
reference = nn.RNN(input_size=3, hidden_size=5, batch_first=True)
x_check, h_check = torch.randn(4, 3), torch.randn(4, 5)   # (batch=4, input=3), (batch=4, hidden=5)
with torch.no_grad():
    try:
        h_next = rnn_step(x_check, h_check, reference.weight_ih_l0, reference.weight_hh_l0,
                          reference.bias_ih_l0, reference.bias_hh_l0)
    except NotImplementedError:
        raise
    except RuntimeError as error:
        raise AssertionError(f"rnn_step failed: {error}. W_ih is (hidden_size, input_size) like nn.Linear's "
                             "weight, so a batch x_t (batch, input_size) is multiplied by W_ih.T") from error
    expected_out, _ = reference(x_check[:, None], h_check[None])  # a sequence of length 1
assert isinstance(h_next, torch.Tensor) and h_next.shape == (4, 5), (
    f"h_t should have shape (batch, hidden_size) = (4, 5), got {getattr(h_next, 'shape', type(h_next))}")
torch.testing.assert_close(h_next, expected_out[:, 0], atol=1e-5, rtol=1e-5,
                           msg="your step differs from nn.RNN with the same weights "
                               "(check: both biases, weights used as W.T like nn.Linear, tanh)")
print("Self-check passed: your step matches nn.RNN.")
### BEGIN HIDDEN TESTS
def _step_variants(x, h, W_ih, W_hh, b_ih, b_hh):
    """The right answer and the classic wrong ones, to name the mistake in the message."""
    variants = {"right": torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh),
                "no b_hh": torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T),
                "no b_ih": torch.tanh(x @ W_ih.T + h @ W_hh.T + b_hh),
                "no tanh": x @ W_ih.T + b_ih + h @ W_hh.T + b_hh,
                "W_hh not transposed": torch.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh)}
    if W_ih.shape[0] == W_ih.shape[1]:
        variants["weights not transposed"] = torch.tanh(x @ W_ih + b_ih + h @ W_hh + b_hh)
    return variants


hints = {"no b_hh": "you left out b_hh: nn.RNN adds TWO biases, b_ih and b_hh",
         "no b_ih": "you left out b_ih: nn.RNN adds TWO biases, b_ih and b_hh",
         "no tanh": "apply the tanh non-linearity to the sum",
         "W_hh not transposed": "W_hh has the (out, in) layout of nn.Linear: use h_prev @ W_hh.T, not h_prev @ W_hh",
         "weights not transposed": "the weights have the (out, in) layout of nn.Linear: multiply by their transpose"}
for batch, input_size, hidden_size, seed in [(2, 4, 4, 10), (1, 6, 3, 11), (5, 2, 7, 12)]:
    torch.manual_seed(seed)
    layer = nn.RNN(input_size, hidden_size, batch_first=True)
    with torch.no_grad():
        layer.bias_ih_l0.normal_()
        layer.bias_hh_l0.normal_()  # two clearly non-zero, different biases
        layer.weight_hh_l0.mul_(3.0)  # a recurrent term large enough to notice
    params = [p.detach() for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)]
    x_hidden, h_hidden = torch.randn(batch, input_size), torch.randn(batch, hidden_size)
    try:
        got = rnn_step(x_hidden, h_hidden, *params)
    except NotImplementedError:
        raise
    except RuntimeError as error:
        raise AssertionError(
            f"rnn_step failed for input_size={input_size}, hidden_size={hidden_size}: {error}. W_ih has shape "
            "(hidden_size, input_size), so a batch x_t of shape (batch, input_size) is multiplied by W_ih.T") from error
    assert got.shape == (batch, hidden_size), (
        f"for batch={batch}, hidden_size={hidden_size} expected shape {(batch, hidden_size)}, got {tuple(got.shape)}")
    with torch.no_grad():
        expected_out, _ = layer(x_hidden[:, None], h_hidden[None])
        variants = _step_variants(x_hidden, h_hidden, *params)
    for name, hint in hints.items():
        if name in variants and torch.allclose(got, variants[name], atol=1e-5):
            raise AssertionError(hint)
    torch.testing.assert_close(got, expected_out[:, 0], atol=1e-5, rtol=1e-5,
                               msg=f"rnn_step differs from nn.RNN for input_size={input_size}, hidden_size={hidden_size}")
# From scratch (no RNN module or kernel while yours runs), inputs unchanged, float64 kept.
from course.checks import assert_dtype, call_checking_inputs, forbidden

torch.manual_seed(13)
layer = nn.RNN(3, 4, batch_first=True).double()
params = [p.detach() for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)]
x_hidden, h_hidden = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
with torch.no_grad():
    expected = layer(x_hidden[:, None], h_hidden[None])[0][:, 0]
with forbidden("torch.nn.RNN", "torch.nn.RNNCell", "torch.rnn_tanh", "torch.rnn_tanh_cell", namespace=globals(),
               reason="Write the formula with matrix products and torch.tanh"):
    got = call_checking_inputs(rnn_step, x_hidden, h_hidden, *params)
assert_dtype(got, torch.float64, "h_t")
torch.testing.assert_close(got, expected)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 02.2 — Unroll the RNN over a sequence (3 points)
#
# Write `rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)` by applying your `rnn_step` once per time step.
#
# - `x`: float tensor `(batch, seq_len, input_size)` (**batch first**, like `nn.RNN(..., batch_first=True)`);
#   `h0`: `(batch, hidden_size)`; the weights as in Exercise 02.1.
# - Return a tuple `(outputs, h_last)`: `outputs` `(batch, seq_len, hidden_size)` holds **every** hidden
#   state $h_1, \dots, h_T$ in order, and `h_last` `(batch, hidden_size)` is $h_T$.
# - It must match `nn.RNN(input_size, hidden_size, batch_first=True)` with the same weights: its `outputs`,
#   and its `h_n[0]` (`nn.RNN` keeps a leading `num_layers` axis in `h_n`; we do not).
# - A Python loop over time is expected here; do not call `nn.RNN`.

# %% nbgrader={"solution": true, "grade_id": "ex02_2"}
def rnn_forward(
    x: torch.Tensor,
    h0: torch.Tensor,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a tanh RNN over a batch of sequences, one step at a time.

    Args:
        x: inputs, (batch, seq_len, input_size).
        h0: initial hidden state, (batch, hidden_size).
        W_ih, W_hh, b_ih, b_hh: as in rnn_step.

    Returns:
        (outputs, h_last): all hidden states (batch, seq_len, hidden_size) and the last one (batch, hidden_size).
    """
    ### BEGIN SOLUTION
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
        states.append(h)
    return torch.stack(states, dim=1), h
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02_2_test", "points": 3}
# Self-check: a whole batch of sequences against nn.RNN (batch_first=True) with the same weights.
torch.manual_seed(2)
reference = nn.RNN(input_size=4, hidden_size=5, batch_first=True)
x_check, h0_check = torch.randn(3, 6, 4), torch.randn(3, 5)   # (batch=3, seq_len=6, input=4), (batch, hidden)
with torch.no_grad():
    try:
        result = rnn_forward(x_check, h0_check, reference.weight_ih_l0, reference.weight_hh_l0,
                             reference.bias_ih_l0, reference.bias_hh_l0)
    except NotImplementedError:
        raise
    except RuntimeError as error:
        raise AssertionError(f"rnn_forward failed: {error}. Does rnn_step pass its self-check? x is batch first, "
                             "(batch, seq_len, input_size): the time axis is dim 1, so step t reads x[:, t]") from error
    expected_outputs, expected_h_n = reference(x_check, h0_check[None])
assert isinstance(result, tuple) and len(result) == 2, "return a tuple (outputs, h_last), not only the last state"
outputs_check, h_last_check = result
assert outputs_check.shape == (3, 6, 5), (
    f"outputs should be (batch, seq_len, hidden_size) = (3, 6, 5), got {tuple(outputs_check.shape)}")
assert h_last_check.shape == (3, 5), f"h_last should be (batch, hidden_size) = (3, 5), got {tuple(h_last_check.shape)}"
torch.testing.assert_close(outputs_check, expected_outputs, atol=1e-5, rtol=1e-5,
                           msg="your outputs differ from nn.RNN's")
torch.testing.assert_close(h_last_check, expected_h_n[0], atol=1e-5, rtol=1e-5, msg="your h_last differs from nn.RNN's h_n[0]")
print("Self-check passed: your unrolled RNN matches nn.RNN.")
### BEGIN HIDDEN TESTS
for batch, seq_len, input_size, hidden_size, seed in [(2, 9, 3, 6, 20), (5, 1, 2, 2, 21), (1, 4, 7, 3, 22),
                                                       (4, 4, 5, 5, 23)]:
    torch.manual_seed(seed)
    layer = nn.RNN(input_size, hidden_size, batch_first=True)
    with torch.no_grad():
        layer.bias_hh_l0.normal_()
    params = [p.detach() for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)]
    x_hidden, h0_hidden = torch.randn(batch, seq_len, input_size), torch.randn(batch, hidden_size)
    try:
        result = rnn_forward(x_hidden, h0_hidden, *params)
    except NotImplementedError:
        raise
    except RuntimeError as error:
        raise AssertionError(f"rnn_forward failed for x {tuple(x_hidden.shape)}: {error}. x is batch first: "
                             "loop over the time axis (dim 1) with x[:, t]") from error
    assert isinstance(result, tuple) and len(result) == 2, "return a tuple (outputs, h_last), not only the last state"
    outputs_hidden, h_last_hidden = result
    with torch.no_grad():
        expected_outputs, expected_h_n = layer(x_hidden, h0_hidden[None])
    if outputs_hidden.shape == (seq_len, batch, hidden_size) and seq_len != batch:
        raise AssertionError("your outputs are (seq_len, batch, hidden): stack the states along dim=1, the time axis "
                             "of a batch-first tensor")
    assert outputs_hidden.shape == (batch, seq_len, hidden_size), (
        f"for x of shape {tuple(x_hidden.shape)} outputs should be (batch, seq_len, hidden) = "
        f"{(batch, seq_len, hidden_size)}, got {tuple(outputs_hidden.shape)}: one hidden state per time step")
    assert h_last_hidden.shape == (batch, hidden_size), (
        f"h_last should be (batch, hidden_size) = {(batch, hidden_size)}, got {tuple(h_last_hidden.shape)}")
    torch.testing.assert_close(
        outputs_hidden, expected_outputs, atol=1e-5, rtol=1e-5,
        msg=f"outputs differ from nn.RNN for x {tuple(x_hidden.shape)}: loop over the time axis x[:, t] (dim 1), "
            "start from h0, and feed each new state into the next step")
    torch.testing.assert_close(h_last_hidden, expected_h_n[0], atol=1e-5, rtol=1e-5,
                               msg="h_last must be the state after the LAST time step, h_T = outputs[:, -1]")
# Your loop, not nn.RNN (blocked while your function runs); h0 and x unchanged; float64 in, float64 out
# (a buffer made with torch.zeros(batch, seq_len, hidden) is float32 unless you pass dtype=x.dtype).
from course.checks import assert_dtype, call_checking_inputs, forbidden

torch.manual_seed(24)
layer = nn.RNN(3, 4, batch_first=True).double()
params = [p.detach() for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)]
x_hidden, h0_hidden = torch.randn(2, 5, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
with torch.no_grad():
    expected_outputs, expected_h_n = layer(x_hidden, h0_hidden[None])
with forbidden("torch.nn.RNN", "torch.nn.RNNCell", "torch.rnn_tanh", "torch.rnn_tanh_cell", namespace=globals(),
               reason="Loop over the time axis and call your rnn_step"):
    outputs_hidden, h_last_hidden = call_checking_inputs(rnn_forward, x_hidden, h0_hidden, *params)
assert_dtype(outputs_hidden, torch.float64, "outputs")
assert_dtype(h_last_hidden, torch.float64, "h_last")
torch.testing.assert_close(outputs_hidden, expected_outputs)
torch.testing.assert_close(h_last_hidden, expected_h_n[0])
### END HIDDEN TESTS

# %% [markdown]
# Notice the loop: step $t$ cannot start before step $t-1$ has finished, because it needs $h_{t-1}$.
# Section 4 measures what this costs.
#
# **Takeaway:** an RNN forward pass is a loop of identical steps; `outputs` holds every state, `h_n` only the
# last one.

# %% [markdown]
# ## 2. LSTM: gates that decide what to keep
#
# A plain RNN rewrites its whole state at every step, through a matrix product and a squashing tanh, so
# information from far back fades (section 3 measures how fast). The **long short-term memory** (LSTM,
# Hochreiter & Schmidhuber, 1997; the forget gate is from Gers et al., 2000) adds a second state, the
# **cell** $c_t$, that is updated *additively* and guarded by **gates**, vectors of numbers in $(0, 1)$:
#
# $$
# \begin{aligned}
# i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate: how much new content to write}\\
# f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate: how much of the old cell to keep}\\
# g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate content}\\
# o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate: how much of the cell to show}\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).
# \end{aligned}
# $$
#
# When $f_t \approx 1$ and $i_t \approx 0$, the cell is copied unchanged: along the cell's own path
# $c_{t-1} \to c_t$ the Jacobian is $\operatorname{diag}(f_t)$, with no weight matrix in it, so gradients can
# travel back many steps along it. `nn.LSTM` stores the four gates
# **stacked** in one matrix, in the order $i, f, g, o$: `weight_ih_l0` is `(4·hidden, input)`.
# Let us recompute one step by hand. We write the pre-activations in the "concatenated" form found in many
# texts: one matrix $[W_{ih}\; W_{hh}]$ applied to $[x_t; h_{t-1}]$, and one bias $b_{ih} + b_{hh}$.

# %%
lstm = nn.LSTM(input_size=3, hidden_size=4, batch_first=True)
for name, parameter in lstm.named_parameters():
    print(f"{name:14s} {tuple(parameter.shape)}")

x_step = torch.randn(2, 1, 3)                        # (batch=2, seq_len=1, input=3)
h_prev, c_prev = torch.randn(1, 2, 4), torch.randn(1, 2, 4)  # (num_layers=1, batch=2, hidden=4)
with torch.no_grad():
    _, (h_torch, c_torch) = lstm(x_step, (h_prev, c_prev))

    stacked_weights = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], dim=1)  # (4·hidden, input + hidden)
    stacked_bias = lstm.bias_ih_l0 + lstm.bias_hh_l0                            # (4·hidden,)
    pre_activations = torch.cat([x_step[:, 0], h_prev[0]], dim=1) @ stacked_weights.T + stacked_bias
    i_gate, f_gate, g_content, o_gate = pre_activations.chunk(4, dim=1)        # each (batch, hidden)
    i_gate, f_gate, o_gate = i_gate.sigmoid(), f_gate.sigmoid(), o_gate.sigmoid()
    g_content = g_content.tanh()
    c_by_hand = f_gate * c_prev[0] + i_gate * g_content
    h_by_hand = o_gate * c_by_hand.tanh()

print("cell state matches nn.LSTM:  ", torch.allclose(c_by_hand, c_torch[0], atol=1e-6))
print("hidden state matches nn.LSTM:", torch.allclose(h_by_hand, h_torch[0], atol=1e-6))
print("forget gate of sequence 0:", f_gate[0])

# %% [markdown]
# The **GRU** (Cho et al., 2014) is a lighter variant with two gates and no separate cell; `nn.GRU` has the
# same interface. Both became the workhorses of NLP between 2014 and 2017.
#
# **Takeaway:** an LSTM is an RNN whose memory is updated by gated addition instead of rewritten at every step;
# `nn.LSTM` stacks its four gates $(i, f, g, o)$ in one weight matrix.

# %% [markdown]
# ## 3. Vanishing gradients: measuring memory against distance
#
# How much does an early input still matter for the final state? Differentiate $h_T$ with respect to $x_t$.
# Write $a_k$ for the pre-activation at step $k$, so $h_k = \tanh(a_k)$. By the chain rule through the
# unrolled graph,
#
# $$\frac{\partial h_T}{\partial x_t} = D_T W_{hh}\, D_{T-1} W_{hh} \cdots D_{t+1} W_{hh}\; D_t W_{ih},
# \qquad D_k = \operatorname{diag}\!\left(1 - h_k^2\right) = \operatorname{diag}\!\left(\tanh'(a_k)\right).$$
#
# There are $T - t$ factors $D_k W_{hh}$. Each entry of $D_k$ is at most 1, so the norm is at most
# $\lVert W_{ih} \rVert \cdot \lVert W_{hh}\rVert^{T-t}$: when the recurrent weights are small
# ($\lVert W_{hh} \rVert < 1$, largest singular value, is a sufficient condition; over long distances the
# spectral radius of $W_{hh}$ roughly governs the rate, shrunk further by the $\tanh'$ factors — it is not an
# exact rule, because the $D_k$ change from step to step and the product of different matrices is not the power
# of one; both are printed below) the gradient shrinks
# **geometrically** with the distance $T - t$ (Bengio,
# Simard & Frasconi, 1994; Pascanu, Mikolov & Bengio, 2013). The same Jacobian carries the training signal
# backwards: an error at step $T$ barely reaches the weights' use at step $t$, so the network cannot *learn*
# to use distant context.
#
# We can measure this without any calculus: **nudge** the input at step $t$ by a tiny random $\varepsilon u$
# and see how far $h_T$ moves. For Gaussian directions $u$, the root-mean-square of
# $\lVert h_T(x + \varepsilon u\, e_t) - h_T(x) \rVert / \varepsilon$ estimates the (Frobenius) norm of
# $\partial h_T / \partial x_t$. We run it in float64 so that even tiny changes are measurable.

# %%
def nudge_sensitivity(model: nn.Module, x: torch.Tensor, n_directions: int = 32, eps: float = 1e-4) -> torch.Tensor:
    """Finite-difference estimate of ||d h_T / d x_t|| for every t.

    Args:
        model: an nn.RNN / nn.LSTM / nn.GRU with batch_first=True.
        x: one sequence, (seq_len, input_size).

    Returns:
        (seq_len,) estimates, entry t for the input at position t.
    """
    seq_len, input_size = x.shape
    positions = torch.arange(seq_len)
    with torch.no_grad():
        h_last = model(x[None])[0][0, -1]                                      # (hidden,)
        directions = torch.randn(seq_len, n_directions, input_size, dtype=x.dtype)
        nudged = x.repeat(seq_len, n_directions, 1, 1)                         # (seq_len, n_dir, seq_len, input)
        nudged[positions, :, positions] += eps * directions                    # nudge only step t in row t
        moved = model(nudged.flatten(0, 1))[0][:, -1].view(seq_len, n_directions, -1)
        return (moved - h_last).pow(2).sum(-1).mean(-1).sqrt() / eps


torch.manual_seed(0)
seq_len, input_size, hidden_size = 40, 8, 32
sequence = torch.randn(seq_len, input_size, dtype=torch.float64)

small_rnn = nn.RNN(input_size, hidden_size, batch_first=True).double()       # PyTorch's default initialisation
plain_lstm = nn.LSTM(input_size, hidden_size, batch_first=True).double()
remembering_lstm = nn.LSTM(input_size, hidden_size, batch_first=True).double()
with torch.no_grad():
    remembering_lstm.bias_hh_l0[hidden_size:2 * hidden_size] += 3.0           # forget gate ≈ σ(3) ≈ 0.95

sensitivities = {name: nudge_sensitivity(model, sequence) for name, model in
                 [("tanh RNN (default init)", small_rnn), ("LSTM (default init)", plain_lstm),
                  ("LSTM, forget-gate bias +3", remembering_lstm)]}
spectral_radius = torch.linalg.eigvals(small_rnn.weight_hh_l0.detach()).abs().max().item()
largest_singular_value = torch.linalg.matrix_norm(small_rnn.weight_hh_l0.detach(), ord=2).item()
print(f"largest |eigenvalue| of the RNN's W_hh (spectral radius): {spectral_radius:.2f}; "
      f"largest singular value: {largest_singular_value:.2f}")

distances = list(range(seq_len))  # distance T - t between the input and the last step
course.plot_curves(distances, {name: values.flip(0) for name, values in sensitivities.items()},
                   xlabel="distance T − t (steps between the input and the last state)",
                   ylabel="‖∂h_T / ∂x_t‖ (nudge estimate)",
                   title="How much an input at distance T − t still moves the last state", logy=True)
plt.show()

rnn_curve = sensitivities["tanh RNN (default init)"].flip(0)   # index = distance
rate = (rnn_curve[30] / rnn_curve[0]).pow(1 / 30).item()
print(f"tanh RNN: each extra step multiplies the sensitivity by about {rate:.2f} on average")

# %% [markdown]
# On a log scale the RNN's curve is close to a straight line: a **geometric** decay, roughly a constant
# factor per step — many orders of magnitude across 40 tokens. The LSTM with its default initialisation
# (forget gate ≈ 0.5) forgets almost as fast, but once the forget gate is biased towards keeping
# (Gers et al., 2000; Jozefowicz et al., 2015 recommend a bias of 1, we use 3 to make the effect plain),
# the cell carries the signal across the whole sequence.
#
# Large recurrent weights are no cure: with $\lVert W_{hh}\rVert > 1$ the product can **explode** instead,
# and training becomes unstable. Gradient clipping tames explosions; it does nothing for vanishing.
#
# **Takeaway:** through a tanh RNN, the influence of an input on the last state decays geometrically with
# distance; gates help, but the signal still has to travel step by step.

# %% [markdown]
# ### Exercise 02.3 — The exact gradient-norm curve (3 points)
#
# The nudges only *estimate* the curve. Compute it exactly with autograd.
#
# Write `gradient_norms(rnn, x)`:
# - `rnn`: a one-layer `nn.RNN` (tanh) built with `batch_first=True`; `x`: **one** sequence
#   `(seq_len, input_size)`, without batch axis; the initial state is zero (`nn.RNN`'s default).
# - Let $h_T$ `(hidden_size,)` be the last hidden state. For every position $t$, $\partial h_T / \partial x_t$
#   is a `(hidden_size, input_size)` matrix. Return a `(seq_len,)` tensor whose entry $t$ is its
#   **Frobenius norm** (square root of the sum of squares of all entries). Entry $t$ is for position $t$
#   (not for the distance).
# - Use autograd, e.g. `torch.autograd.functional.jacobian` (a function of the whole sequence whose output is
#   $h_T$), or one `torch.autograd.grad` call per component of $h_T$. Careful: the gradient of `h_T.sum()` is
#   **not** the Jacobian — it adds the rows together before taking the norm.
# - Work in the dtype of `x` (the tests use float32 and float64).

# %% nbgrader={"solution": true, "grade_id": "ex02_3"}
def gradient_norms(rnn: nn.RNN, x: torch.Tensor) -> torch.Tensor:
    """Frobenius norm of d h_T / d x_t for every position t, by autograd.

    Args:
        rnn: a one-layer nn.RNN with batch_first=True.
        x: one sequence, (seq_len, input_size).

    Returns:
        (seq_len,) tensor; entry t is ||d h_T / d x_t||_F, where h_T (hidden_size,) is the last hidden state.
    """
    ### BEGIN SOLUTION
    def last_state(sequence: torch.Tensor) -> torch.Tensor:
        outputs, _ = rnn(sequence[None])  # (1, seq_len, hidden)
        return outputs[0, -1]             # (hidden,)

    jacobian = torch.autograd.functional.jacobian(last_state, x)  # (hidden, seq_len, input)
    return torch.linalg.vector_norm(jacobian, dim=(0, 2))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02_3_test", "points": 3}
# Self-check: shape, the last position computed by hand, and decay with distance.
torch.manual_seed(3)
rnn_check = nn.RNN(input_size=4, hidden_size=6, batch_first=True)
x_check = torch.randn(12, 4)  # (seq_len=12, input_size=4)
norms_check = gradient_norms(rnn_check, x_check)
assert isinstance(norms_check, torch.Tensor) and norms_check.shape == (12,), (
    f"return one norm per position: shape (seq_len,) = (12,), got {getattr(norms_check, 'shape', type(norms_check))}")
norms_check = norms_check.detach().float()
# The last input reaches h_T through one step only: d h_T / d x_T = diag(1 - h_T²) W_ih.
with torch.no_grad():
    h_T = rnn_check(x_check[None])[0][0, -1]
    last_by_hand = ((1 - h_T**2)[:, None] * rnn_check.weight_ih_l0).norm()
torch.testing.assert_close(norms_check[-1], last_by_hand, atol=1e-5, rtol=1e-4,
                           msg="the last entry should be ||diag(1 - h_T²) W_ih||_F (the input at position T)")
assert norms_check[0] < 1e-2 * norms_check[-1], "the first input should matter far less than the last one"
print("Self-check passed: shape, last position and decay are right.")
### BEGIN HIDDEN TESTS
def _norms_by_chain_rule(layer: nn.RNN, x: torch.Tensor) -> torch.Tensor:
    """Independent computation: multiply the Jacobians D_k W_hh backwards from the last step."""
    W_ih, W_hh = layer.weight_ih_l0.detach(), layer.weight_hh_l0.detach()
    with torch.no_grad():
        states = layer(x[None])[0][0]                                  # (seq_len, hidden)
    back = torch.eye(W_hh.shape[0], dtype=x.dtype)                     # d h_T / d h_k, starting at k = T
    norms = torch.empty(x.shape[0], dtype=x.dtype)
    for k in reversed(range(x.shape[0])):
        through_tanh = back * (1 - states[k] ** 2)[None, :]           # d h_T / d a_k
        norms[k] = (through_tanh @ W_ih).norm()
        back = through_tanh @ W_hh
    return norms


for input_size, hidden_size, seq_len, scale, seed in [(3, 5, 15, 1.0, 30), (6, 4, 25, 0.5, 31), (2, 8, 8, 2.0, 32)]:
    torch.manual_seed(seed)
    layer = nn.RNN(input_size, hidden_size, batch_first=True).double()
    with torch.no_grad():
        layer.weight_hh_l0.mul_(scale)
    x_hidden = torch.randn(seq_len, input_size, dtype=torch.float64)
    got = gradient_norms(layer, x_hidden)
    assert got.shape == (seq_len,), f"expected shape ({seq_len},), got {tuple(got.shape)}"
    got = got.detach().to(torch.float64)
    expected = _norms_by_chain_rule(layer, x_hidden)
    if torch.allclose(got, expected.flip(0), rtol=1e-6) and not torch.allclose(got, expected, rtol=1e-6):
        raise AssertionError("your curve is reversed: entry t must be for the input at POSITION t, not distance t")
    x_leaf = x_hidden.clone().requires_grad_(True)
    (summed,) = torch.autograd.grad(layer(x_leaf[None])[0][0, -1].sum(), x_leaf)
    if torch.allclose(got, summed.norm(dim=1), rtol=1e-6):
        raise AssertionError("you took the gradient of h_T.sum(): that adds the Jacobian's rows together. Compute the "
                             "whole Jacobian d h_T / d x_t (hidden x input) and take its Frobenius norm")
    torch.testing.assert_close(
        got, expected, rtol=1e-6, atol=1e-12,
        msg=f"your norms differ from the chain-rule product for input={input_size}, hidden={hidden_size}, "
            f"seq_len={seq_len}: differentiate the LAST state h_T with respect to every x_t")
# float32 works too, and the RNN's own parameters are not modified.
torch.manual_seed(33)
layer = nn.RNN(5, 7, batch_first=True)
before = [p.detach().clone() for p in layer.parameters()]
x_hidden = torch.randn(10, 5)
from course.checks import assert_dtype, call_checking_inputs

got32 = call_checking_inputs(gradient_norms, layer, x_hidden)
assert_dtype(got32, torch.float32, "the norms")
assert all(torch.equal(p, q) for p, q in zip(before, layer.parameters())), "gradient_norms must not modify the RNN"
assert not x_hidden.requires_grad, (
    "gradient_norms switched on requires_grad of the caller's x (x.requires_grad_()): work on a copy, "
    "x.detach().clone().requires_grad_(), or let torch.autograd.functional.jacobian do it")
### END HIDDEN TESTS

# %% [markdown]
# Your exact curve and the nudge estimate should agree (this cell uses your `gradient_norms`):

# %%
try:
    exact_curve = gradient_norms(small_rnn, sequence).detach()
    course.plot_curves(distances, {"autograd (exact)": exact_curve.flip(0),
                                   "nudge estimate": sensitivities["tanh RNN (default init)"].flip(0)},
                       xlabel="distance T − t", ylabel="‖∂h_T / ∂x_t‖",
                       title="Exact gradient norms against the nudge estimate (tanh RNN)", logy=True)
    plt.show()
except NotImplementedError:
    print("Exercise 02.3 is not done yet: the exact gradient norms will be drawn here against the nudge estimate.")

# %% [markdown]
# ### Exercise 02.4 — Read the curve (1 point)
#
# For a tanh RNN whose recurrent weights are small (here PyTorch's default initialisation: the spectral
# radius of $W_{hh}$, its largest |eigenvalue|, is printed in section 3), what does the curve of
# $\lVert \partial h_T / \partial x_t \rVert$ against the distance $T - t$ show, and what does it imply?
#
# - (a) It grows with distance: the earliest inputs dominate $h_T$, so an RNN forgets recent words first and
#   long contexts are easy to learn.
# - (b) It decays roughly geometrically (a straight line on a log axis): distant inputs, and the training
#   signal that reaches them, shrink exponentially.
# - (c) It is flat: every input moves $h_T$ about equally, as in attention, so an RNN remembers a whole
#   sentence equally well.
# - (d) It decays only because tanh saturates: with the identity instead of tanh, the curve would be flat
#   for any $W_{hh}$.
#
# Set `answer_02_4` to `"a"`, `"b"`, `"c"` or `"d"`, then run the grade cell: it tells you at once whether
# your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex02_4"}
### BEGIN SOLUTION
answer_02_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex02_4_test", "points": 1}
from course.quiz import check_answer

# Checks the format, then prints the explanation of the option you chose (sealed, so that reading
# this cell does not give the answer away).
check_answer("answer_02_4", answer_02_4, (
    "quiz1:eyJrZXkiOiAiY2YyZjU3ODU0NTM0YWVlY2JmZDgzNzI3YmM3YzNjZDgwYWRhNWI4NTFiOTQxMjNjYmQxODk1YTMyNj"
    "RlNDJlMyIsICJuYW1lIjogImFuc3dlcl8wMl80IiwgIm9wdGlvbnMiOiB7ImEiOiAiS3RWR2FpZTBtdGoxSFROQkdDdWNhan"
    "A1cjBQNXZWaENHZTduU01KeGFkOUxhelpMRmhsbk4xWnQyZ3doR3FvaEFPM3B2dG8zZEI4bVFRMllGYWFDdmhNdzlXLzIyZi"
    "tJa0RxRE52bjkvQ0tKMXZuSGhDc3A2Ri9hUkFjQ3A5aXNhQm9hSEpaYUpqdHRRc1NCS2w5cFl2Q0ZFa2tmK1lwUnRrSDNnZi"
    "tpeWpPdCtBOFVianBvMGxpZm1jZTNqZE4zandQTmQ3RnFtOC9DaG9BS0NVQ24rNEJwN3lEL0dvMzh1aEhaeEcxMksyeXRsTW"
    "E0aHdYenZDNVRqM2lpUzA0UERMM1hRSEhjMDF3PSIsICJiIjogIlUxS1c5dmlVQzFFeUJoRUZxejE4bGlGYk1QZ1I0YmQ4NX"
    "NObHBka21ZanMyNTBZY3ZTWFJjWjg2UDhZaWgzbnpuWUhYM0pjZVhpK3VMUzk4Q3lBZmZEV3FMMTlGa28yUWtFOXQveFZzRW"
    "NMa2xnWkF4UGpUMzk5WEpRaEM5Vy9iRkhDQXNvWXB6TzB1MHA4MHFWeUw5dnRocDN5Wk9xejF1TllTZGl3b3VjWnJCZXFlcG"
    "RSVWRDWEdGK0ZkVlRCbkl4QWVJV1BVT0dIZjB4MTlqbW0waC9PMG9IcWQwUjY1OTlZZmx0RW5Fc1RodFdiTTZPNkwwNkxtcG"
    "1WMzZxaDlQVnZCdHgxaTgxZ2Y5cFpjMFFJbDRvZHRmQkNaQUIyektTakxXWHdMTFlPWmFCSE4zZW50UmVUcXlVd3BLa0JLR3"
    "BjYURGdWgvOW5nV0NYZlAzbElhTTd5MWhEODZ1Nm16dE5qOVJuQXhqT1o5ZGpNTll4ZzBWVTJCdXZpU0tFcVVEZklmSVVrQ0"
    "JaVGFYcUFUQlphIiwgImMiOiAidUpNVHBZcjRYbVRzN1d6eWJKdWJvdjV6NFByYWZWSTRmSU14OFJaWTJ3bmtoVDNXYUVoOX"
    "p0TGVaREo5Ynk1NjlxNloxVGtCcXBiZjZWTm9pM2Q4bEtTVmYxWjMyL3Jab1B0eHlSZkE3ekJQR01mYjRUaDM5QitwZThoaE"
    "hNVVI5bmJ5R3IvdlFGSXAwSnpBaTB2amxIZExES1VCM28weHUyZ2lpZXcvTlhJVSswM2pWVitlZkM3MWZpaFpHOWVJaUFzcT"
    "NRSHVkTzB0OXBONElQaUk1ekRaZ3hFamZKbDBkZTR5QXJYZ0NtMklKWE90aEcrRU1EMUlJSFIxbkxoM1Btcz0iLCAiZCI6IC"
    "I3V0cvbG1LQXhHNHJFY1lTbjYybE9QZEdVVG9XSWlLbGdOb0xPbm9uaHFGQjllZmJsR2NzSjM3d21LU0tZWFQ1UHQyYkFKam"
    "xFL2NyNExPSEQvQUM2OFA5S2ZWd0xkWnVWd2FpeTU5U2pVd0JMU0J4OXN6SlZteFM2K3o4WFJpU3k2MXZCVEhBMEpRdmxLQl"
    "BxUG5OL283eFdNTzhTLzgxaXBVaFN5elFiQW1Ca0FSWDBidjgzazg0VHpTUjg4VndDaDk1WmdwVDh1UmduTnBsWjJSTE1HYV"
    "R4dnBWbFdLQUFBR3ljaGVibklNRTUrYmlxSlczVWR5ciJ9LCAic2FsdCI6ICIwMGM0NmVlMjc4OGVjZTMzIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_02_4", answer_02_4, "b", {
    "a": "Section 3's curve goes down, not up, as the distance grows: each step back multiplies the Jacobian by "
         "another factor diag(tanh') W_hh, and with small W_hh these factors shrink it. Distant inputs fade.",
    "b": "The Jacobian is a product of T - t factors diag(tanh') W_hh; with small recurrent weights each one "
         "shrinks it, so the norm falls by a roughly constant factor per step, a straight line on a log axis. "
         "The training signal travels back through the same product, so long-range dependencies are hard to learn.",
    "c": "A flat curve is what attention gives (one step from any position to any other); an RNN reaches x_t "
         "only through T - t recurrent steps, and section 3 measured a decay of many orders of magnitude.",
    "d": "tanh' <= 1 makes the decay faster, but it is not the cause: without tanh the factors are just W_hh, "
         "and a matrix whose eigenvalues are all below 1 in size still makes the product vanish.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The sequential bottleneck in time
#
# Vanishing gradients are one weakness; speed is the other. To compute $h_t$ you need $h_{t-1}$, so the $T$
# steps of a sequence run **one after another**, even during training, when the whole sentence is known in
# advance. A layer without recurrence — a linear map applied to every position, or the attention of the next
# lessons — has no such dependency: all $T$ positions go through **one** batched matrix product.
#
# Below we time, for growing lengths $T$, (1) a Python loop over `nn.RNNCell`, (2) `nn.RNN`, which batches the
# input projection over all steps and runs the recurrent loop in C++, and (3) one `nn.Linear` of width
# $64 \to 128$ applied to all positions at once, which does the same arithmetic as the RNN's input and
# recurrent products together. Each timing is the median of several repeats
# (`timeit`). Exact numbers depend on your machine and on what else runs on it.

# %%
timing_batch, timing_width = 16, 64
cell = nn.RNNCell(timing_width, timing_width)
full_rnn = nn.RNN(timing_width, timing_width, batch_first=True)
position_wise = nn.Linear(timing_width, 2 * timing_width)  # as many multiply-adds as W_ih x + W_hh h


def rnn_loop(x: torch.Tensor) -> torch.Tensor:
    """A Python loop over time: step t waits for step t-1."""
    h = torch.zeros(x.shape[0], timing_width)
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
    return h


def median_ms(function, argument: torch.Tensor, number: int = 3, repeat: int = 5) -> float:
    """Median over `repeat` runs of the mean time of `number` calls function(argument), in milliseconds."""
    times = timeit.repeat(lambda: function(argument), number=number, repeat=repeat)
    return statistics.median(times) / number * 1e3


timing_lengths = [8, 16, 32, 64, 128, 256]
contenders = {"Python loop over nn.RNNCell": rnn_loop, "nn.RNN (loop in C++)": full_rnn,
              "one batched matmul (nn.Linear)": position_wise}
timings = {name: [] for name in contenders}
with torch.inference_mode():
    for length in timing_lengths:
        x_timing = torch.randn(timing_batch, length, timing_width)   # (batch, T, width)
        for name, function in contenders.items():
            timings[name].append(median_ms(function, x_timing))

course.plot_curves(timing_lengths, timings, xlabel="sequence length T", ylabel="time per forward pass (ms)",
                   title="Recurrence is sequential: time against length", logx=True, logy=True)
plt.show()
for name, values in timings.items():
    print(f"{name:32s} T={timing_lengths[0]}: {values[0]:.3f} ms   T={timing_lengths[-1]}: {values[-1]:.3f} ms")

# %% [markdown]
# Both recurrent versions grow in proportion to $T$: $T$ small dependent steps, each too small to keep the
# hardware busy. The batched product does the same kind of arithmetic in a single call and is much faster;
# on a CPU it still grows with $T$ (it does $T$ times more work), but on a GPU, with thousands of parallel
# units, its time stays almost flat until the device is full — while the RNN still needs $T$ launches in a
# row. The number of **sequential** operations per layer is $O(T)$ for an RNN and $O(1)$ for self-attention
# (Vaswani et al., 2017, Table 1).
#
# **Takeaway:** recurrence makes the sequence length a chain of dependent steps; a position-wise or attention
# layer handles all positions in one parallel operation, which is what makes Transformers fast to train.

# %% [markdown]
# ## 5. The encoder–decoder bottleneck, and attention as the fix
#
# For translation, Sutskever, Vinyals & Le (2014) and Cho et al. (2014) used two RNNs: an **encoder** reads
# the source sentence, and its last hidden state — one vector $c = h_T$, the *context vector* — initialises a
# **decoder** that writes the target sentence. Everything the decoder knows about the source must pass
# through $c$: a vector of the **same size** for a 3-word and for a 50-word sentence, and (section 3) one in
# which information from many steps back has passed through many squashing updates (section 3). Translation
# quality dropped sharply on long sentences.
#
# **Bahdanau, Cho & Bengio (2015)** kept *all* encoder states $h_1, \dots, h_T$ and let the decoder look back
# at them at every output step. With the decoder state $s$ as the query, an **additive** score rates each
# encoder state, a softmax turns the scores into weights, and the context is their weighted average:
#
# $$e_j = v^\top \tanh(W_q\, s + W_k\, h_j), \qquad \alpha_j = \frac{\exp(e_j)}{\sum_{j'} \exp(e_{j'})},
# \qquad c = \sum_j \alpha_j h_j .$$
#
# The context is now recomputed for every output word, and the path from any source word to any output word
# is one step long. (Bahdanau et al. feed $c$ into the decoder's next recurrent step; we use the simpler
# placement of Luong, Pham & Manning (2015), who attend right after the decoder step. The score is the same
# additive one.)
#
# A small experiment: **reverse** a sequence of 10 random tokens. The first output needs the last input and the
# last output needs the first input, which has gone through the most recurrent updates. Two GRU
# encoder–decoders with the same hidden size are trained the same way (teacher forcing: the decoder reads the
# true previous target token); one also has additive attention.

# %%
VOCAB_SIZE, SEQ_LEN, HIDDEN = 20, 10, 32
BOS = VOCAB_SIZE      # id of the start token fed to the decoder before the first output
TRAIN_STEPS = 300     # raise to 1000 or more to train both models further


def reversal_batch(batch_size: int, generator: torch.Generator | None = None):
    """Random token sequences and their reversal: (source, decoder_input, target), each (batch, SEQ_LEN)."""
    source = torch.randint(0, VOCAB_SIZE, (batch_size, SEQ_LEN), generator=generator)
    target = source.flip(1)
    decoder_input = torch.cat([torch.full((batch_size, 1), BOS), target[:, :-1]], dim=1)  # shifted right
    return source, decoder_input, target


class AdditiveAttention(nn.Module):
    """Bahdanau's score v^T tanh(W_q s + W_k h_j), softmax over the encoder positions, weighted average."""

    def __init__(self, hidden: int):
        super().__init__()
        self.W_q = nn.Linear(hidden, hidden, bias=False)
        self.W_k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, queries: torch.Tensor, encoder_states: torch.Tensor):
        # queries (batch, tgt_len, hidden), encoder_states (batch, src_len, hidden)
        features = torch.tanh(self.W_q(queries)[:, :, None] + self.W_k(encoder_states)[:, None])  # (b, tgt, src, h)
        weights = self.v(features).squeeze(-1).softmax(dim=-1)                                  # (b, tgt, src)
        return weights @ encoder_states, weights                                                # (b, tgt, h)


class Seq2Seq(nn.Module):
    """GRU encoder-decoder; with attention=False the decoder sees the source only through h_T."""

    def __init__(self, attention: bool):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE + 1, HIDDEN)  # +1 for BOS
        self.encoder = nn.GRU(HIDDEN, HIDDEN, batch_first=True)
        self.decoder = nn.GRU(HIDDEN, HIDDEN, batch_first=True)
        self.attention = AdditiveAttention(HIDDEN) if attention else None
        self.readout = nn.Linear(2 * HIDDEN if attention else HIDDEN, VOCAB_SIZE)

    def forward(self, source: torch.Tensor, decoder_input: torch.Tensor):
        encoder_states, context = self.encoder(self.embed(source))         # (b, src, h), (1, b, h)
        decoder_states, _ = self.decoder(self.embed(decoder_input), context)  # starts from the context vector
        if self.attention is None:
            return self.readout(decoder_states), None
        attended, weights = self.attention(decoder_states, encoder_states)
        return self.readout(torch.cat([decoder_states, attended], dim=-1)), weights


def train(model: nn.Module, name: str) -> list[float]:
    torch.manual_seed(0)  # same data for both models
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in tqdm(range(TRAIN_STEPS), desc=name):
        source, decoder_input, target = reversal_batch(64)
        logits, _ = model(source, decoder_input)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


torch.manual_seed(0)
models = {"context vector only": Seq2Seq(attention=False), "with additive attention": Seq2Seq(attention=True)}
losses = {name: train(model, name) for name, model in models.items()}

# %%
test_source, test_decoder_input, test_target = reversal_batch(1000, torch.Generator().manual_seed(1))
accuracy_by_position = {}
with torch.no_grad():
    for name, model in models.items():
        logits, _ = model(test_source, test_decoder_input)
        accuracy_by_position[name] = (logits.argmax(-1) == test_target).float().mean(0)  # (SEQ_LEN,)

window = 10  # average the loss over blocks of 10 steps to smooth the curve
loss_steps = list(range(window, TRAIN_STEPS + 1, window))
smoothed_losses = {name: torch.tensor(values[:len(loss_steps) * window]).view(-1, window).mean(1)
                   for name, values in losses.items()}
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
course.plot_curves(loss_steps, smoothed_losses, xlabel="training step",
                   ylabel=f"cross-entropy (mean of {window} steps)", title="Training loss", ax=left)
course.plot_curves(range(1, SEQ_LEN + 1), accuracy_by_position,
                   xlabel="output position (1 = last source token, 10 = first source token)",
                   ylabel="token accuracy on 1000 new sequences",
                   title="Reversal: accuracy by output position", ax=right)
plt.tight_layout()
plt.show()
for name, accuracy in accuracy_by_position.items():
    print(f"{name:25s} mean token accuracy {accuracy.mean().item():.2f}; by output position:",
          " ".join(f"{value:.2f}" for value in accuracy.tolist()))

# %% [markdown]
# Without attention, the first outputs — the most recently read source tokens — are the most often right,
# and accuracy falls for tokens read earlier; but look at the last outputs (the very first source tokens):
# the curve is **U-shaped**, not a steady decline (the printed accuracies show it). The first tokens enter a
# fresh hidden state, and a trained network can learn to keep part of them — a *primacy* effect next to the
# *recency* one. So section 3's picture (an untrained RNN, where influence decays with distance) is the
# tendency, not a law: what a fixed-size context vector loses most here is the **middle** of the sequence,
# and which tokens survive depends on what training made the encoder keep. With attention the model can
# look every token up, and its accuracy is high at every position. What does it look at? Each row of the
# attention map is one output step:

# %%
with torch.no_grad():
    _, attention_map = models["with additive attention"](test_source[:1], test_decoder_input[:1])
source_labels = [f"{t + 1}:{token}" for t, token in enumerate(test_source[0].tolist())]
target_labels = [f"{t + 1}:{token}" for t, token in enumerate(test_target[0].tolist())]
ax = course.plot_attention(attention_map[0], source_labels, query_tokens=target_labels,
                           title="Additive attention learned to read the source backwards")
ax.set_xlabel("source position:token (encoder state attended to)")
ax.set_ylabel("output position:token (decoder query)")
plt.show()

# %% [markdown]
# The weights form an anti-diagonal: each output step looks at the source position holding the token it must
# write, or at its right-hand neighbour, whose encoder state has just read that token and still remembers
# it well. Nobody told the model about this alignment; it learned it because attention gave it a direct
# path to every source state.
#
# **Takeaway:** a single context vector is a bottleneck; attention replaces it with a fresh, learned weighted
# average of *all* encoder states at every output step.

# %% [markdown]
# ## 6. 2017: attention is all you need
#
# Attention fixed the bottleneck, but the models of 2015–2016 still had recurrent encoders and decoders, so
# they kept the sequential cost of section 4 and the step-by-step paths of section 3. **Vaswani et al.
# (2017), "Attention Is All You Need"**, removed recurrence altogether: every layer lets every position
# attend to every other position (self-attention), and positions are injected with positional encodings
# (lesson 11) instead of by reading order. Their Table 1 summarises the trade-off, for $n$ positions of width
# $d$:
#
# | layer type | operations per layer | sequential operations | longest path between two positions |
# |---|---|---|---|
# | recurrent | $O(n \cdot d^2)$ | $O(n)$ | $O(n)$ |
# | self-attention | $O(n^2 \cdot d)$ | $O(1)$ | $O(1)$ |
#
# Self-attention pays a cost quadratic in $n$ (lesson 23 measures it) but trains in parallel and connects any
# two words in one step. The Transformer also replaced Bahdanau's additive score with a scaled **dot
# product**, which is faster on matrix hardware — lesson 04 builds it.
#
# **Takeaway:** the Transformer keeps attention, the fix, and drops recurrence, the cause of both problems.

# %% [markdown]
# ## 7. Common mistakes
#
# These bugs all run without an error. The numbers show them.
#
# **1. Forgetting `batch_first=True`.** By default `nn.RNN` expects `(seq_len, batch, input)`. Given a
# `(batch, seq_len, input)` tensor it silently treats the **batch** as time: sequences leak into each other.

# %%
torch.manual_seed(4)
default_rnn = nn.RNN(3, 5)                                  # batch_first=False (the default)
batch_of_sequences = torch.randn(4, 7, 3)                   # (batch=4, seq_len=7, input=3)
changed = batch_of_sequences.clone()
changed[0] += 1.0                                           # change sequence 0 only
with torch.no_grad():
    leak = (default_rnn(changed)[0][1] - default_rnn(batch_of_sequences)[0][1]).abs().max().item()
    first_rnn = nn.RNN(3, 5, batch_first=True)
    no_leak = (first_rnn(changed)[0][1] - first_rnn(batch_of_sequences)[0][1]).abs().max().item()
print(f"batch_first=False: changing sequence 0 moves sequence 1's outputs by {leak:.3f}")
print(f"batch_first=True:  changing sequence 0 moves sequence 1's outputs by {no_leak:.3f}")

# %% [markdown]
# Fix: `nn.RNN(..., batch_first=True)`, or transpose your input to `(seq_len, batch, input)`.
#
# **2. Taking the last state with `outputs[-1]`.** With `batch_first=True`, `outputs[-1]` is the last
# *sequence of the batch*, not the last *time step*. The last state is `outputs[:, -1]`, equal to `h_n[-1]`
# for a one-directional RNN (for padded batches of different lengths, neither is right: use
# `nn.utils.rnn.pack_padded_sequence`).

# %%
with torch.no_grad():
    outputs_demo, h_n_demo = first_rnn(batch_of_sequences)
print("outputs[-1] shape:", tuple(outputs_demo[-1].shape), "(seq_len, hidden): the last SEQUENCE, every step")
print("outputs[:, -1] equals h_n[-1]:", torch.equal(outputs_demo[:, -1], h_n_demo[-1]))

# %% [markdown]
# **3. Copying only one of the two biases.** When you port `nn.RNN` weights into your own code (or into another
# framework), both `bias_ih_l0` and `bias_hh_l0` must come along. Only their **sum** matters:

# %%
with torch.no_grad():
    one_bias_only = nn.RNN(3, 5, batch_first=True)
    one_bias_only.load_state_dict(first_rnn.state_dict())
    one_bias_only.bias_hh_l0.zero_()                                   # the bug: b_hh dropped
    folded = nn.RNN(3, 5, batch_first=True)
    folded.load_state_dict(first_rnn.state_dict())
    folded.bias_ih_l0.add_(folded.bias_hh_l0)                          # the fix: fold both into one
    folded.bias_hh_l0.zero_()
    reference_outputs = first_rnn(batch_of_sequences)[0]
    print(f"b_hh dropped:  max difference {(one_bias_only(batch_of_sequences)[0] - reference_outputs).abs().max():.3f}")
    print(f"biases folded: max difference {(folded(batch_of_sequences)[0] - reference_outputs).abs().max():.1e}")

# %% [markdown]
# **4. Clipping gradients "against vanishing gradients".** `torch.nn.utils.clip_grad_norm_` rescales a
# gradient that is too **large**; it cannot enlarge one that has vanished. Vanishing is addressed by the
# architecture: gates (LSTM, GRU), residual paths, and finally attention.
#
# **Takeaway:** check the layout conventions (`batch_first`, `h_n`'s leading axis, two biases) against the
# library, number for number, before trusting your own RNN code.

# %% [markdown]
# ## Summary
#
# - An RNN applies one cell $h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$ step by step; your
#   unrolled version matches `nn.RNN` exactly (two biases, `(out, in)` weights, batch first).
# - LSTMs add a gated, additively updated cell state; `nn.LSTM` stacks the gates $i, f, g, o$.
# - $\lVert\partial h_T / \partial x_t\rVert$ decays geometrically with the distance $T - t$ when the
#   recurrent weights are small: distant context is hard to use and hard to learn.
# - Recurrence is sequential: $T$ dependent steps, whereas a position-wise or attention layer processes all
#   positions in one batched operation.
# - A single context vector limits encoder–decoders; additive attention (Bahdanau et al., 2015) reads all
#   encoder states instead, and the Transformer (Vaswani et al., 2017) keeps attention and drops recurrence.
#
# Next, lesson 03 draws the map of the Transformer, and lesson 04 builds its attention.
#
# ## Going further
#
# - Elman (1990). *Finding Structure in Time.* Cognitive Science. The simple recurrent network.
# - Bengio, Simard, Frasconi (1994). *Learning Long-Term Dependencies with Gradient Descent is Difficult.*
#   IEEE Transactions on Neural Networks.
# - Hochreiter, Schmidhuber (1997). *Long Short-Term Memory.* Neural Computation. Gers, Schmidhuber, Cummins
#   (2000). *Learning to Forget: Continual Prediction with LSTM.* Neural Computation.
# - Pascanu, Mikolov, Bengio (2013). *On the Difficulty of Training Recurrent Neural Networks.* ICML.
#   Vanishing and exploding gradients, and gradient clipping.
# - Cho, van Merriënboer, Gulcehre, Bahdanau, Bougares, Schwenk, Bengio (2014). *Learning Phrase
#   Representations using RNN Encoder–Decoder for Statistical Machine Translation.* EMNLP. The GRU.
# - Sutskever, Vinyals, Le (2014). *Sequence to Sequence Learning with Neural Networks.* NeurIPS.
# - Bahdanau, Cho, Bengio (2015). *Neural Machine Translation by Jointly Learning to Align and Translate.*
#   ICLR. Additive attention.
# - Luong, Pham, Manning (2015). *Effective Approaches to Attention-based Neural Machine Translation.* EMNLP.
# - Jozefowicz, Zaremba, Sutskever (2015). *An Empirical Exploration of Recurrent Network Architectures.* ICML.
#   The forget-gate bias of 1.
# - Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017). *Attention Is All You Need.*
#   NeurIPS.
# - Olah (2015). *Understanding LSTM Networks* (colah.github.io): the gates, drawn.
# - PyTorch documentation: `torch.nn.RNN`, `torch.nn.LSTM`, `torch.nn.GRU` (formulas, parameter layout,
#   `batch_first`), and `torch.autograd.functional.jacobian`.

# ---
# jupyter:
#   course:
#     title: "Text generation: decoding strategies"
#     budget_seconds: 80
# ---

# %% [markdown]
# # Lesson 20 · Text generation: decoding strategies
# {{COLAB_BADGE}}
#
# A language model does not write text: at each step it gives a probability to every token of its
# vocabulary, and a **decoding strategy** turns those probabilities into one token, again and again. The
# same model writes dull loops, fluent stories or nonsense depending on that strategy and a few numbers
# (temperature, top-k, top-p, penalties). This lesson writes the strategies by hand, checks them against
# `transformers` token for token, and measures what each one does to the text.
#
# **You will be able to:**
# - write temperature, top-k, top-p (nucleus) filtering and the repetition penalty so that they match the
#   `transformers` logits processors exactly;
# - write greedy decoding and a seeded sampler that produce the same tokens as `model.generate()`, with a
#   left-padded batch and stopping at the end token;
# - avoid the `generate()` traps: `temperature` / `top_p` ignored without `do_sample=True`, the top-k 50
#   that `do_sample=True` adds silently, `max_length` counting the prompt, decoding only the new tokens;
# - compare strategies with numbers: diversity (distinct-n), repetition, and how likely the model finds its
#   own text.
#
# **Prerequisites:** lessons 07 (causal masking), 09 (padding masks), 16 (loading pretrained models) and
# 15 (evaluation). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and the course's own GPT).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import math
import warnings
from collections import Counter

import matplotlib.pyplot as plt
import torch
import transformers
from transformers import (
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

import course
from course.data import stories

course.set_seed(0)
torch.set_num_threads(1)  # the model is tiny: one thread is as fast as two, and runs are reproducible
torch.set_printoptions(precision=3, sci_mode=False)

# %% [markdown]
# ## 1. The model and its next-token distribution
#
# The course's GPT (`course.load_gpt()`) is a GPT-2 architecture with about a million parameters, trained on
# short stories that the course generates (`course.data.stories`). It is small enough to run every
# experiment of this lesson in seconds; an online learner can run the same code on `distilgpt2` from the Hub
# (`AutoModelForCausalLM.from_pretrained("distilgpt2")`), whose vocabulary has 50 257 tokens instead of ours.
#
# Its tokenizer is byte-level BPE. `<|endoftext|>` is both the start and the end token; `<|pad|>` is a separate
# padding token.

# %%
tokenizer, model = course.load_gpt()
EOS_ID, PAD_ID = tokenizer.eos_token_id, tokenizer.pad_token_id
print(f"{type(model).__name__}: {sum(p.numel() for p in model.parameters()):,} parameters, "
      f"vocabulary {model.config.vocab_size}, context {model.config.n_positions}")
print(f"eos {tokenizer.eos_token!r} id {EOS_ID}, pad {tokenizer.pad_token!r} id {PAD_ID}")
print("saved generation_config:", model.generation_config.to_diff_dict())
story_test = stories.story_splits(n_train=0, n_valid=0, n_test=40, seed=0).test
print("a test story:", story_test[0])

# %% [markdown]
# One forward pass gives logits of shape `(batch, seq_len, vocab)`; the last position predicts the next
# token. Here is the distribution after a prompt:

# %%
prompt = "One morning, Anna"
encoded = tokenizer(prompt, return_tensors="pt")
with torch.no_grad():
    next_logits = model(**encoded).logits[:, -1]                      # (1, vocab)
next_probs = next_logits.softmax(dim=-1)[0]
top = next_probs.topk(8)
for probability, token_id in zip(top.values, top.indices):
    print(f"  {tokenizer.decode(token_id)!r:>14}  {probability:.3f}")
print(f"the 8 most likely tokens hold {top.values.sum():.1%} of the probability")

# %% [markdown]
# Decoding is a loop around this: choose a token, append it, run the model again. Every strategy of this lesson
# changes only *how the token is chosen*. `transformers` organises that choice as a list of **logits
# processors** (functions `(input_ids, scores) -> scores`), followed either by an arg-max (greedy) or by a
# draw from the softmax (sampling).
#
# **Takeaway:** the model gives a distribution; the decoding strategy, not the model, decides the text.

# %% [markdown]
# ## 2. Temperature
#
# Dividing the logits by a temperature $T > 0$ before the softmax,
#
# $$p_i(T) = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}},$$
#
# sharpens the distribution when $T < 1$ (as $T \to 0$ it becomes the arg-max) and flattens it when $T > 1$
# (as $T \to \infty$ it becomes uniform). It never changes the *order* of the tokens. The temperature acts on
# the **logits**, not on the probabilities: dividing probabilities by $T$ changes nothing once they are
# normalised again.
#
# ### Exercise 20.1 — Temperature (1 point)
#
# Write `apply_temperature(logits, temperature)`.
#
# - `logits`: a float tensor `(..., vocab)` (any number of leading axes); `temperature`: a float.
# - Return new logits of the same shape and dtype, equal to `TemperatureLogitsWarper(temperature)`'s output.
# - Raise a `ValueError` when `temperature <= 0` (greedy decoding is the limit $T \to 0$; it is not
#   computed by dividing by zero).
# - Do not modify `logits`; do not call `TemperatureLogitsWarper`.

# %% nbgrader={"solution": true, "grade_id": "ex20_1"}
def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Logits scaled by 1 / temperature.

    Args:
        logits: (..., vocab) float tensor.
        temperature: a strictly positive float.

    Returns:
        (..., vocab) tensor, same dtype.
    """
    ### BEGIN SOLUTION
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}; use greedy decoding for T -> 0")
    return logits / temperature
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex20_1_test", "points": 1}
# Self-check: against transformers' TemperatureLogitsWarper, and the distribution gets sharper for T < 1.
from course.checks import assert_dtype, call_checking_inputs, forbidden

torch.manual_seed(0)
check_logits = torch.randn(3, 20) * 2
for check_t in (0.5, 1.0, 2.0):
    torch.testing.assert_close(apply_temperature(check_logits, check_t),
                               TemperatureLogitsWarper(check_t)(None, check_logits),
                               msg=f"temperature {check_t}: divide the LOGITS by the temperature")
assert apply_temperature(check_logits, 0.5).softmax(-1).max() > check_logits.softmax(-1).max(), (
    "a temperature below 1 must make the distribution sharper (a larger top probability)")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
torch.manual_seed(20)
hidden_logits = torch.randn(2, 3, 50, dtype=torch.float64) * 4
with forbidden("transformers.TemperatureLogitsWarper", namespace=globals(),
               reason="divide the logits by the temperature yourself"):
    hidden_out = call_checking_inputs(apply_temperature, hidden_logits, 0.7)  # the reference is computed below
assert_dtype(hidden_out, torch.float64, "apply_temperature(float64 logits)")
assert hidden_out.shape == hidden_logits.shape, f"shape {tuple(hidden_out.shape)}, expected {tuple(hidden_logits.shape)}"
torch.testing.assert_close(hidden_out, TemperatureLogitsWarper(0.7)(None, hidden_logits), msg=(
    "apply_temperature(logits, 0.7) must equal logits / 0.7: not logits * T, not on probabilities"))
for bad_temperature in (0.0, -1.0):
    try:
        apply_temperature(hidden_logits, bad_temperature)
    except ValueError:
        pass
    else:
        raise AssertionError(f"temperature={bad_temperature} must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# The same prompt's next-token distribution at three temperatures (this uses `transformers`' warper, so it
# runs before you solve anything):

# %%
temperatures = (0.5, 1.0, 2.0)
order = next_probs.argsort(descending=True)[:20]
labels = [tokenizer.decode(token_id) for token_id in order]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
for axis, temperature in zip(axes, temperatures):
    probs_t = TemperatureLogitsWarper(temperature)(None, next_logits).softmax(-1)[0]
    axis.bar(range(len(order)), probs_t[order].numpy(), color="tab:blue")
    axis.set_title(f"T = {temperature}: top token {probs_t.max():.2f}", fontsize=10)
    axis.set_xticks(range(len(order)), labels, rotation=90, fontsize=8)
axes[0].set_ylabel("probability")
fig.suptitle(f"Next token after {prompt!r}, 20 most likely tokens")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Takeaway:** temperature divides the logits; it reorders nothing, it only sharpens or flattens.

# %% [markdown]
# ## 3. Top-k and top-p (nucleus) filtering
#
# Even at a reasonable temperature, the thousands of unlikely tokens together hold real probability mass,
# and one unlucky draw among them derails a text. Two filters remove the tail before sampling, by setting
# its logits to $-\infty$ (probability 0 after the softmax):
#
# - **top-k** (Fan et al., 2018) keeps the $k$ most likely tokens. `TopKLogitsWarper` keeps every token whose
#   logit is **at least** the $k$-th largest: tokens tied with the $k$-th are all kept.
# - **top-p** or nucleus sampling (Holtzman et al., 2020) keeps the **smallest** set of most likely tokens
#   whose probabilities add up to at least $p$: sort by probability, descending, and keep tokens up to and
#   **including the one whose cumulative probability crosses $p$**. Its size adapts: a confident step keeps
#   one or two tokens, an open step keeps hundreds. At least `min_tokens_to_keep` tokens (default 1) are
#   always kept, so that a row never loses every token.
#
# A worked example with probabilities `[0.5, 0.3, 0.15, 0.05]` and $p = 0.7$: the cumulative sums are
# `[0.5, 0.8, 0.95, 1.0]`; the second token crosses 0.7, so the first two are kept. Equivalently, a token is
# removed when the mass of the tokens **before** it is already $\ge p$.
#
# ### Exercise 20.2 — Top-k (2 points)
#
# Write `top_k_filter(logits, k)`.
#
# - `logits`: `(..., vocab)`; `k`: an int. Return logits of the same shape and dtype where every entry
#   smaller than the $k$-th largest of its row (last axis) is `-inf`, the others unchanged. Ties with the
#   $k$-th value are kept, exactly as `TopKLogitsWarper(k)` does.
# - `k == 0` means "no filtering" (that is what `generate(top_k=0)` means); `k` larger than the vocabulary
#   keeps everything.
# - Vectorised (no Python loop over rows), inputs unchanged, no `TopKLogitsWarper`.

# %% nbgrader={"solution": true, "grade_id": "ex20_2"}
def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row (ties with the k-th kept), -inf elsewhere; k == 0: keep all.

    Args:
        logits: (..., vocab) float tensor.
        k: number of tokens to keep, 0 for no filtering.

    Returns:
        (..., vocab) tensor, same dtype.
    """
    ### BEGIN SOLUTION
    if k <= 0:
        return logits.clone()
    k = min(k, logits.shape[-1])
    kth_largest = logits.topk(k, dim=-1).values[..., -1:]                      # (..., 1)
    return logits.masked_fill(logits < kth_largest, float("-inf"))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex20_2_test", "points": 2}
# Self-check: against TopKLogitsWarper on random logits, and a tie at the k-th place.
from course.checks import assert_dtype, assert_no_loop_over, call_checking_inputs, forbidden

torch.manual_seed(1)
check_logits = torch.randn(4, 30)
for check_k in (1, 3, 30):
    torch.testing.assert_close(top_k_filter(check_logits, check_k), TopKLogitsWarper(check_k)(None, check_logits),
                               msg=f"k={check_k}: keep exactly the k largest logits of each row, -inf elsewhere")
tie = torch.tensor([[3.0, 2.0, 2.0, 1.0]])
assert torch.equal(top_k_filter(tie, 2), torch.tensor([[3.0, 2.0, 2.0, -math.inf]])), (
    f"with logits [3, 2, 2, 1] and k=2, both 2s tie with the 2nd largest and are kept: got {top_k_filter(tie, 2)}")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
torch.manual_seed(21)
hidden_logits = torch.randn(2, 3, 40, dtype=torch.float64) * 3
def top_k_alone(*args):
    with forbidden("transformers.TopKLogitsWarper", namespace=globals(), reason="use torch.topk and masked_fill"):
        return call_checking_inputs(top_k_filter, *args)


for hidden_k in (1, 2, 7, 40):
    hidden_out = top_k_alone(hidden_logits, hidden_k)
    assert_dtype(hidden_out, torch.float64, "top_k_filter(float64 logits)")
    torch.testing.assert_close(hidden_out, TopKLogitsWarper(hidden_k)(None, hidden_logits), msg=(
        f"k={hidden_k}: each row must keep its {hidden_k} largest logits (not {hidden_k - 1}, not "
        f"{hidden_k + 1}), along the LAST axis, and set the others to -inf"))
    kept = torch.isfinite(hidden_out).sum(-1)
    assert (kept == hidden_k).all(), f"k={hidden_k}: rows keep {kept.flatten().tolist()} tokens"
assert torch.equal(top_k_alone(hidden_logits, 0), hidden_logits), "k=0 means no filtering"
assert torch.equal(top_k_alone(hidden_logits, 100), hidden_logits), "k larger than the vocabulary keeps all"
ties = torch.tensor([[5.0, 1.0, 5.0, 5.0, 0.0], [0.0, 2.0, 1.0, 1.0, 1.0]])
torch.testing.assert_close(top_k_alone(ties, 2), TopKLogitsWarper(2)(None, ties), msg=(
    "ties with the k-th largest logit are all kept (compare with the k-th VALUE, not the indices of topk)"))
assert_no_loop_over(top_k_filter, lambda n: (torch.randn(n, 30), 3), what="rows")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 20.3 — Top-p (2 points)
#
# Write `top_p_filter(logits, p, min_tokens_to_keep=1)`.
#
# - `logits`: `(..., vocab)`; `p`: a float in $[0, 1]$. Sort each row's probabilities (the softmax of the
#   logits along the last axis) in **descending** order; keep the smallest prefix whose sum is $\ge p$,
#   including the token that crosses $p$; keep at least `min_tokens_to_keep` tokens; set the other logits to
#   `-inf`. The result equals `TopPLogitsWarper(p, min_tokens_to_keep=...)`'s on inputs without ties.
# - `p >= 1` keeps everything (return an unchanged copy).
# - Vectorised (`sort`, `cumsum`, `scatter` or `gather`), inputs unchanged, no `TopPLogitsWarper`.

# %% nbgrader={"solution": true, "grade_id": "ex20_3"}
def top_p_filter(logits: torch.Tensor, p: float, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of most likely tokens with total probability >= p.

    Args:
        logits: (..., vocab) float tensor.
        p: the probability mass to keep, in [0, 1].
        min_tokens_to_keep: at least this many tokens survive in every row.

    Returns:
        (..., vocab) tensor, same dtype; removed entries are -inf.
    """
    ### BEGIN SOLUTION
    if p >= 1.0:
        return logits.clone()
    sorted_logits, sorted_indices = logits.sort(dim=-1, descending=True)
    sorted_probs = sorted_logits.softmax(dim=-1)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs       # probability of the tokens ranked above
    remove_sorted = mass_before >= p                                 # the crossing token has mass_before < p
    remove_sorted[..., :min_tokens_to_keep] = False
    remove = remove_sorted.scatter(-1, sorted_indices, remove_sorted)  # back to vocabulary order
    return logits.masked_fill(remove, float("-inf"))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex20_3_test", "points": 2}
# Self-check: the worked example, and TopPLogitsWarper on random logits.
from course.checks import assert_dtype, assert_no_loop_over, call_checking_inputs, forbidden

example = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
kept = torch.isfinite(top_p_filter(example, 0.7))
assert kept.tolist() == [[True, True, False, False]], (
    f"probabilities [0.5, 0.3, 0.15, 0.05] with p=0.7 keep the first TWO tokens (0.5 + 0.3 crosses 0.7), "
    f"you kept {kept.tolist()}")
torch.manual_seed(2)
check_logits = torch.randn(4, 30) * 2
for check_p in (0.3, 0.9):
    torch.testing.assert_close(top_p_filter(check_logits, check_p), TopPLogitsWarper(check_p)(None, check_logits),
                               msg=f"p={check_p}: differs from TopPLogitsWarper")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
torch.manual_seed(22)
hidden_logits = torch.randn(3, 5, 60, dtype=torch.float64) * 2.5
def top_p_alone(*args, **kwargs):
    with forbidden("transformers.TopPLogitsWarper", namespace=globals(), reason="sort, cumsum and scatter yourself"):
        return call_checking_inputs(top_p_filter, *args, **kwargs)


for hidden_p in (0.05, 0.5, 0.8, 0.95):
    hidden_out = top_p_alone(hidden_logits, hidden_p)
    assert_dtype(hidden_out, torch.float64, "top_p_filter(float64 logits)")
    expected = TopPLogitsWarper(hidden_p)(None, hidden_logits.reshape(-1, 60)).reshape(hidden_logits.shape)
    mine_kept, library_kept = torch.isfinite(hidden_out).sum(-1), torch.isfinite(expected).sum(-1)
    assert (mine_kept >= 1).all(), (
        f"p={hidden_p}: some rows keep no token at all; every row keeps at least min_tokens_to_keep tokens")
    assert not (mine_kept == library_kept - 1).any(), (
        f"p={hidden_p}: rows keep one token too few: keep the token whose cumulative probability CROSSES p")
    torch.testing.assert_close(hidden_out, expected, msg=(
        f"p={hidden_p}: differs from TopPLogitsWarper; sort the probabilities in DESCENDING order and keep the "
        "most likely tokens"))
confident = torch.tensor([[8.0, 1.0, 0.0, -1.0]])
assert torch.isfinite(top_p_alone(confident, 0.0)).sum() == 1, "p=0 keeps exactly the most likely token"
three = top_p_alone(confident, 0.1, min_tokens_to_keep=3)
assert torch.isfinite(three).sum() == 3, (
    f"min_tokens_to_keep=3 must keep 3 tokens even when the top one alone crosses p; kept {torch.isfinite(three).sum()}")
torch.testing.assert_close(three, TopPLogitsWarper(0.1, min_tokens_to_keep=3)(None, confident))
assert torch.equal(top_p_alone(hidden_logits, 1.0), hidden_logits), "p=1 keeps every token"
assert_no_loop_over(top_p_filter, lambda n: (torch.randn(n, 30), 0.8), what="rows")
### END HIDDEN TESTS

# %% [markdown]
# How many tokens does each filter keep, step by step, along a story the model writes greedily? Top-k keeps
# the same number everywhere; top-p adapts (this cell uses `transformers`' warpers):

# %%
with torch.no_grad():
    greedy_story = model.generate(**encoded, max_new_tokens=40, do_sample=False)
    step_logits = model(greedy_story).logits[0, encoded.input_ids.shape[1] - 1:-1]   # (40, vocab): each step
kept_top_p = torch.isfinite(TopPLogitsWarper(0.9)(None, step_logits)).sum(-1)
kept_top_k = torch.isfinite(TopKLogitsWarper(50)(None, step_logits)).sum(-1)
fig, axis = plt.subplots(figsize=(9, 3))
axis.plot(kept_top_k.numpy(), "o-", label="top-k, k = 50")
axis.plot(kept_top_p.numpy(), "s-", label="top-p, p = 0.9")
axis.set_yscale("log")
axis.set_xlabel("generation step")
axis.set_ylabel("tokens kept (log scale)")
axis.set_title("Tokens that survive each filter along a greedy continuation")
axis.legend()
plt.show()
print(f"top-p 0.9 keeps between {kept_top_p.min()} and {kept_top_p.max()} tokens "
      f"(median {kept_top_p.median()}); top-k keeps {kept_top_k[0]} at every step")

# %% [markdown]
# **Takeaway:** top-k cuts at a fixed rank, top-p at a fixed probability mass; top-p keeps the crossing
# token, and both always keep at least one token.

# %% [markdown]
# ## 4. Repetition penalty
#
# Small models, and large ones decoding greedily, fall into loops. The repetition penalty of Keskar et al.
# (2019, CTRL) lowers the score of every token that **already occurs** in the sequence (prompt included):
# with penalty $\theta > 1$, a positive logit is **divided** by $\theta$ and a negative logit is
# **multiplied** by $\theta$. Both moves lower the logit; dividing a negative logit would *raise* it towards
# 0 and make the repeated token more likely. The penalty applies once per token, however many times the
# token occurs.
#
# ### Exercise 20.4 — Repetition penalty (2 points)
#
# Write `repetition_penalty(logits, input_ids, penalty)`.
#
# - `logits`: `(batch, vocab)` float; `input_ids`: `(batch, seq_len)` long, the tokens so far (row $b$ of
#   `input_ids` penalises row $b$ of `logits` only); `penalty`: a float $> 0$.
# - Return new logits, same shape and dtype: for each token id present in the row, $z / \theta$ if $z > 0$,
#   $z \cdot \theta$ if $z < 0$; other entries unchanged. The result equals
#   `RepetitionPenaltyLogitsProcessor(penalty)(input_ids, logits)`.
# - Vectorised (`scatter` or `gather`), inputs unchanged, no `RepetitionPenaltyLogitsProcessor`.

# %% nbgrader={"solution": true, "grade_id": "ex20_4"}
def repetition_penalty(logits: torch.Tensor, input_ids: torch.Tensor, penalty: float) -> torch.Tensor:
    """CTRL's repetition penalty: lower the logits of the tokens already in each row of input_ids.

    Args:
        logits: (batch, vocab) float tensor, the next-token logits.
        input_ids: (batch, seq_len) long tensor, the tokens generated so far (prompt included).
        penalty: theta > 0; positive logits are divided by it, negative ones multiplied.

    Returns:
        (batch, vocab) tensor, same dtype.
    """
    ### BEGIN SOLUTION
    seen = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, input_ids, True)   # (batch, vocab)
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen, penalised, logits)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex20_4_test", "points": 2}
# Self-check: a positive and a negative logit, and RepetitionPenaltyLogitsProcessor on random inputs.
from course.checks import assert_dtype, assert_no_loop_over, call_checking_inputs, forbidden

small = torch.tensor([[2.0, -2.0, 1.0, -1.0]])
result = repetition_penalty(small, torch.tensor([[0, 1]]), 2.0)
assert torch.equal(result, torch.tensor([[1.0, -4.0, 1.0, -1.0]])), (
    f"seen tokens 0 (logit 2) and 1 (logit -2) with penalty 2 must become 1 and -4 (divide positive, multiply "
    f"negative logits; both become less likely); got {result.tolist()}")
torch.manual_seed(3)
check_logits, check_ids = torch.randn(3, 25), torch.randint(0, 25, (3, 6))
torch.testing.assert_close(repetition_penalty(check_logits, check_ids, 1.3),
                           RepetitionPenaltyLogitsProcessor(1.3)(check_ids, check_logits.clone()))
print("Self-check passed.")
### BEGIN HIDDEN TESTS
torch.manual_seed(23)
hidden_logits = torch.randn(4, 50, dtype=torch.float64) * 3
hidden_ids = torch.randint(0, 50, (4, 12))
hidden_ids[0, :6] = 7  # one token repeated many times: penalised once
for hidden_penalty in (1.5, 0.8):
    with forbidden("transformers.RepetitionPenaltyLogitsProcessor", namespace=globals(),
                   reason="use scatter (or gather) and torch.where"):
        hidden_out = call_checking_inputs(repetition_penalty, hidden_logits, hidden_ids, hidden_penalty)
    assert_dtype(hidden_out, torch.float64, "repetition_penalty(float64 logits)")
    expected = RepetitionPenaltyLogitsProcessor(hidden_penalty)(hidden_ids, hidden_logits.clone())
    seen_negative = torch.zeros(4, 50, dtype=torch.bool).scatter(1, hidden_ids, True) & (hidden_logits < 0)
    if hidden_penalty > 1:
        assert (hidden_out[seen_negative] <= hidden_logits[seen_negative]).all(), (
            "a penalty > 1 must make every seen token LESS likely: a negative logit is multiplied by the "
            "penalty (dividing it moves it towards 0 and makes the token more likely)")
    torch.testing.assert_close(hidden_out, expected, msg=(
        f"penalty {hidden_penalty}: differs from RepetitionPenaltyLogitsProcessor; each row uses only ITS "
        "tokens, a token counts once however often it occurs, unseen tokens are unchanged"))
assert_no_loop_over(repetition_penalty, lambda n: (torch.randn(n, 30), torch.randint(0, 30, (n, 5)), 1.2),
                    what="rows")
### END HIDDEN TESTS

# %% [markdown]
# **Takeaway:** divide positive logits, multiply negative ones, once per seen token. It also penalises
# tokens that *must* repeat ("the", ".", a character's name), so values above about 1.3 start to hurt.

# %% [markdown]
# ## 5. Greedy decoding by hand
#
# Greedy decoding takes the arg-max at every step. To equal `model.generate(do_sample=False)` token for
# token, a hand-written loop must do what `generate()` does:
#
# 1. **Batches are padded on the left.** A decoder appends new tokens on the right, so every row's last
#    position must be a real token: `tokenizer.padding_side = "left"` (the course GPT pads on the right by
#    default, which is right for training and wrong for generation).
# 2. **Positions come from the attention mask.** With left padding, a row's first real token must still get
#    position 0: `generate()` passes `position_ids = attention_mask.cumsum(-1) - 1`, clamped at 0 (the pads
#    get position 0, and the mask hides them anyway). Without it, a padded row sees shifted positions and its
#    text changes.
# 3. **Stopping at the end token.** A row that has produced `eos_token_id` is finished: from then on it
#    receives `pad_token_id` at every step. The loop stops when every row is finished, or after
#    `max_new_tokens` steps.
#
# `generate()` also keeps a key-value cache so that each step runs the model on one new token only; a loop
# that re-runs the whole sequence gives the same tokens, just more slowly.
#
# ### Exercise 20.5 — Greedy decoding (3 points)
#
# Write `greedy_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None)`.
#
# - `input_ids`: `(batch, prompt_len)` long, left-padded; `attention_mask`: same shape, 1 for real tokens, 0
#   for padding (`None`: all ones).
# - At each step, run `model(input_ids=..., attention_mask=..., position_ids=...)` on the whole sequence so
#   far (under `torch.no_grad()`), take the arg-max of the logits at the last position, and append it (the
#   mask grows by a column of ones).
# - Finished rows (those that already produced `eos_token_id`) get `pad_token_id`. Stop after
#   `max_new_tokens` steps, or as soon as every row is finished.
# - Return `(batch, prompt_len + steps)` long: the prompt followed by the new tokens, exactly
#   `model.generate(input_ids, attention_mask=..., max_new_tokens=..., do_sample=False,
#   eos_token_id=..., pad_token_id=...)`. Do not call `generate`; do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex20_5"}
def greedy_generate(model, input_ids: torch.Tensor, max_new_tokens: int, eos_token_id: int, pad_token_id: int,
                    attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Greedy decoding equal to model.generate(do_sample=False), token for token.

    Args:
        model: a causal LM (returns .logits of shape (batch, seq_len, vocab)).
        input_ids: (batch, prompt_len) long, left-padded prompts.
        max_new_tokens: the most tokens to add.
        eos_token_id: the token that finishes a row.
        pad_token_id: what a finished row receives.
        attention_mask: (batch, prompt_len), 1 for real tokens; None for all ones.

    Returns:
        (batch, prompt_len + steps) long tensor.
    """
    ### BEGIN SOLUTION
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            logits = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        next_tokens = logits.argmax(dim=-1)                                               # (batch,)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
    ### END SOLUTION


# %% [markdown]
# The prompts of the graded checks: three story openings of different lengths, padded on the left.

# %%
tokenizer.padding_side = "left"
greedy_prompts = ["That evening, she went home and", "The old fox", "Tom"]
greedy_batch = tokenizer(greedy_prompts, return_tensors="pt", padding=True)
print(greedy_batch.input_ids)
print(greedy_batch.attention_mask)

# %% nbgrader={"grade": true, "grade_id": "ex20_5_test", "points": 3}
# Self-check: one prompt, then the left-padded batch, against generate(do_sample=False).
import transformers
from course.checks import call_checking_inputs, forbidden

transformers.utils.logging.set_verbosity_error()
one = tokenizer("One morning, Anna", return_tensors="pt")
library = model.generate(**one, max_new_tokens=12, do_sample=False, eos_token_id=EOS_ID, pad_token_id=PAD_ID)
mine = greedy_generate(model, one.input_ids, 12, EOS_ID, PAD_ID)
assert mine.shape == library.shape and torch.equal(mine, library), (
    f"one prompt, 12 new tokens:\n  yours   {mine.tolist()}\n  generate {library.tolist()}\n"
    "return the prompt followed by the new tokens, one arg-max per step")
library = model.generate(**greedy_batch, max_new_tokens=30, do_sample=False, eos_token_id=EOS_ID,
                         pad_token_id=PAD_ID)
mine = greedy_generate(model, greedy_batch.input_ids, 30, EOS_ID, PAD_ID, greedy_batch.attention_mask)
assert mine.shape == library.shape, (
    f"shape {tuple(mine.shape)}, generate gives {tuple(library.shape)}: stop as soon as EVERY row has produced "
    "eos, and not before")
assert torch.equal(mine, library), (
    f"the padded batch differs from generate in rows {(mine != library).any(1).nonzero().flatten().tolist()}: "
    "pass attention_mask AND position_ids = cumsum(mask) - 1 (clamped at 0), and give finished rows pad_token_id")
print("Self-check passed: token for token equal to generate(do_sample=False).")
### BEGIN HIDDEN TESTS
with forbidden("transformers.GenerationMixin.generate", reason="write the decoding loop yourself"):
    hidden_mine = call_checking_inputs(greedy_generate, model, greedy_batch.input_ids, 30, EOS_ID, PAD_ID,
                                       greedy_batch.attention_mask)
assert torch.equal(hidden_mine, library), "greedy_generate must not call generate"
# Another end token: the id of "." ends each row at its first full stop.
dot_id = tokenizer.convert_tokens_to_ids(".")
library_dot = model.generate(**greedy_batch, max_new_tokens=30, do_sample=False, eos_token_id=dot_id,
                             pad_token_id=PAD_ID)
with forbidden("transformers.GenerationMixin.generate", reason="write the decoding loop yourself"):
    mine_dot = greedy_generate(model, greedy_batch.input_ids, 30, dot_id, PAD_ID, greedy_batch.attention_mask)
assert mine_dot.shape == library_dot.shape and torch.equal(mine_dot, library_dot), (
    "with eos_token_id = the id of '.', every row must stop at its first full stop (use the eos_token_id "
    "argument, not a hard-coded id), later positions pad_token_id, and the loop ends when all rows are done")
# A budget too short to finish: exactly max_new_tokens new tokens.
with forbidden("transformers.GenerationMixin.generate", reason="write the decoding loop yourself"):
    mine_short = greedy_generate(model, greedy_batch.input_ids, 3, EOS_ID, PAD_ID, greedy_batch.attention_mask)
assert mine_short.shape == (3, greedy_batch.input_ids.shape[1] + 3), (
    f"max_new_tokens=3: expected shape {(3, greedy_batch.input_ids.shape[1] + 3)}, got {tuple(mine_short.shape)}")
assert torch.equal(mine_short, library[:, :mine_short.shape[1]])
### END HIDDEN TESTS

# %% [markdown]
# The continuations, decoded. Only the **new** tokens are decoded: `output[:, prompt_len:]` with
# `prompt_len = input_ids.shape[1]`, the padded width, the same for every row (left padding puts every
# prompt's end at that column). `skip_special_tokens=True` drops the end and pad tokens.

# %%
prompt_len = greedy_batch.input_ids.shape[1]
try:
    hand_greedy = greedy_generate(model, greedy_batch.input_ids, 30, EOS_ID, PAD_ID, greedy_batch.attention_mask)
    for text_prompt, row in zip(greedy_prompts, hand_greedy):
        print(f"{text_prompt!r:36} -> {tokenizer.decode(row[prompt_len:], skip_special_tokens=True)!r}")
except NotImplementedError:
    print("Exercise 20.5 is not done yet: the three greedy continuations will appear here.")

# %% [markdown]
# **Takeaway:** left padding, positions from the mask, pad after the end token, stop when all rows are done:
# with these, a ten-line loop is `generate(do_sample=False)`.

# %% [markdown]
# ## 6. Beam search and no-repeat n-grams
#
# Greedy decoding picks the best *next* token, not the best *sequence*. Beam search (lesson 18 writes it by
# hand) keeps the `num_beams` best partial sequences at each step, scored by their summed log-probability
# (divided by length$^{\alpha}$, `length_penalty`). We compare the total log-probability the model gives to
# the greedy and the beam continuation of a few prompts:

# %%
def continuation_logprob(sequences: torch.Tensor, prompt_width: int) -> torch.Tensor:
    """Sum of log p(token | prefix) over the new tokens of each row (up to and including eos). (batch,)"""
    attention = (sequences != PAD_ID).long()
    with torch.no_grad():
        logits = model(sequences, attention_mask=attention,
                       position_ids=(attention.cumsum(-1) - 1).clamp(min=0)).logits
    log_probs = logits[:, :-1].log_softmax(-1).gather(-1, sequences[:, 1:, None])[..., 0]   # (batch, len-1)
    new = attention[:, 1:].bool()
    new[:, :prompt_width - 1] = False
    return (log_probs * new).sum(-1)


beam_prompts = [story.split(",")[0] + "," for story in story_test[:6]]
beam_batch = tokenizer(beam_prompts, return_tensors="pt", padding=True)
width = beam_batch.input_ids.shape[1]
greedy_out = model.generate(**beam_batch, max_new_tokens=40, do_sample=False)
beam_out = model.generate(**beam_batch, max_new_tokens=40, do_sample=False, num_beams=4)
greedy_score, beam_score = continuation_logprob(greedy_out, width), continuation_logprob(beam_out, width)
for index in range(len(beam_prompts)):
    same = torch.equal(greedy_out[index, width:][greedy_out[index, width:] != PAD_ID],
                       beam_out[index, width:][beam_out[index, width:] != PAD_ID])
    print(f"{beam_prompts[index]!r:32} log p greedy {greedy_score[index]:7.2f}   beam-4 {beam_score[index]:7.2f}"
          f"{'   (same text)' if same else ''}")
print(f"beam search found a more likely continuation for {(beam_score > greedy_score + 1e-4).sum()} of "
      f"{len(beam_prompts)} prompts")
print("greedy:", tokenizer.decode(greedy_out[0, width:], skip_special_tokens=True))
print("beam 4:", tokenizer.decode(beam_out[0, width:], skip_special_tokens=True))

# %% [markdown]
# On this small, confident model beam search often returns the greedy text itself, and where it differs the
# gain in log-probability is small. It can even return a text with a *lower* total log-probability: beams
# are ranked by log-probability divided by length (`length_penalty=1.0`), which favours longer texts. For
# open-ended writing, maximising probability is not the goal anyway (Holtzman et al. 2020, "the curious
# case of neural text degeneration"); beam search shines where one right answer exists (translation,
# lesson 18).
#
# **No-repeat n-grams.** `no_repeat_ngram_size=n` forbids any n-gram that already occurs in the sequence: at
# each step, every token that would complete a repeated n-gram gets $-\infty$. It is a hard constraint,
# unlike the repetition penalty. Counting the repeated trigrams (of tokens) of the greedy continuations
# above, then the same prompts with `no_repeat_ngram_size=3`:

# %%
def repeated_ngrams(token_ids: list[int], n: int) -> int:
    """How many n-grams of the sequence already occurred earlier in it."""
    grams = [tuple(token_ids[i:i + n]) for i in range(len(token_ids) - n + 1)]
    return len(grams) - len(set(grams))


def real_tokens(row: torch.Tensor) -> list[int]:
    return [token for token in row.tolist() if token not in (PAD_ID, EOS_ID)]


no_repeat_out = model.generate(**beam_batch, max_new_tokens=40, do_sample=False, no_repeat_ngram_size=3)
for name, output in (("greedy", greedy_out), ("greedy, no_repeat_ngram_size=3", no_repeat_out)):
    print(f"{name:32} repeated token trigrams: {sum(repeated_ngrams(real_tokens(row), 3) for row in output)}")
last_real = int((no_repeat_out[0] != PAD_ID).nonzero().max())   # row 0's last real token (pads follow its eos)
no_repeat = NoRepeatNGramLogitsProcessor(3)
banned = [int(torch.isinf(no_repeat(no_repeat_out[:1, :step], torch.zeros(1, model.config.vocab_size))).sum())
          for step in range(width, last_real + 1)]                  # tokens banned at each step of row 0
print(f"row 0: the processor banned at least one token at {sum(n > 0 for n in banned)} of its {len(banned)} steps")

# %% [markdown]
# **Takeaway:** beam search maximises sequence probability, which is right for translation and wrong for
# stories; `no_repeat_ngram_size` bans repeats outright (and with them "the next morning, the next morning").

# %% [markdown]
# ## 7. Sampling, exactly as `generate()` does it
#
# With `do_sample=True`, `generate()` runs, at every step, the logits processors in this order —
# repetition penalty (and no-repeat n-grams), then the warpers **temperature → top-k → top-p** — then
# `probs = softmax(scores)` and **one** call `torch.multinomial(probs, num_samples=1)` for the whole batch.
# Nothing else draws random numbers, so a hand-written loop that does the same operations under the same
# `torch.manual_seed` draws the same tokens. (We read this in `transformers/generation/utils.py`, method
# `_sample`; the cell after the exercise checks it.)
#
# ### Exercise 20.6 — A seeded sampler (3 points)
#
# Write `sample_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None,
# temperature=1.0, top_k=0, top_p=1.0, penalty=1.0)`.
#
# - The same loop as `greedy_generate` (left padding, positions from the mask, pad after the end token,
#   stop when all rows are done), but the next token is drawn:
#   `repetition_penalty` (only if `penalty != 1.0`, on the whole sequence so far) →
#   `apply_temperature` → `top_k_filter` → `top_p_filter` → `softmax` → one
#   `torch.multinomial(probs, num_samples=1)` over the batch. Use your functions of exercises 20.1–20.4.
# - Under the same seed it returns exactly what `model.generate(..., do_sample=True, temperature=...,
#   top_k=..., top_p=..., repetition_penalty=...)` returns. (`generate()` skips left padding when it
#   applies the repetition penalty; the graded checks use the penalty on unpadded prompts only.)
# - Do not call `generate`; do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex20_6"}
def sample_generate(model, input_ids: torch.Tensor, max_new_tokens: int, eos_token_id: int, pad_token_id: int,
                    attention_mask: torch.Tensor | None = None, temperature: float = 1.0, top_k: int = 0,
                    top_p: float = 1.0, penalty: float = 1.0) -> torch.Tensor:
    """Multinomial sampling equal to model.generate(do_sample=True, ...) under the same torch seed.

    Args:
        model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask: as in greedy_generate.
        temperature, top_k, top_p: the warpers, applied in this order (top_k=0, top_p=1.0: no filtering).
        penalty: the repetition penalty, applied first (1.0: none).

    Returns:
        (batch, prompt_len + steps) long tensor.
    """
    ### BEGIN SOLUTION
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            scores = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        if penalty != 1.0:
            scores = repetition_penalty(scores, sequences, penalty)
        scores = top_p_filter(top_k_filter(apply_temperature(scores, temperature), top_k), top_p)
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)   # (batch,)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex20_6_test", "points": 3}
# Self-check: same seed, same tokens as generate(do_sample=True, ...), on the left-padded batch.
import transformers
from course.checks import call_checking_inputs, forbidden

transformers.utils.logging.set_verbosity_error()


def compare_with_generate(batch, seed, eos_token_id=EOS_ID, **settings):
    """generate() and sample_generate under the same seed; settings use sample_generate's names."""
    library_settings = {"temperature": settings.get("temperature", 1.0), "top_k": settings.get("top_k", 0),
                        "top_p": settings.get("top_p", 1.0), "repetition_penalty": settings.get("penalty", 1.0)}
    torch.manual_seed(seed)
    library = model.generate(**batch, max_new_tokens=16, do_sample=True, eos_token_id=eos_token_id,
                             pad_token_id=PAD_ID, **library_settings)
    torch.manual_seed(seed)
    with forbidden("transformers.GenerationMixin.generate", reason="write the sampling loop yourself"):
        mine = call_checking_inputs(sample_generate, model, batch.input_ids, 16, eos_token_id, PAD_ID,
                                    batch.attention_mask, **settings)
    assert mine.shape == library.shape and torch.equal(mine, library), (
        f"seed {seed}, {settings}: your tokens differ from generate's.\n  yours    {mine[:, -8:].tolist()}\n"
        f"  generate {library[:, -8:].tolist()}\nOrder: penalty, temperature, top-k, top-p, softmax, ONE "
        "torch.multinomial(probs, 1) per step for the whole batch; positions from the mask; pad finished rows; "
        "stop as soon as every row has finished")


compare_with_generate(greedy_batch, seed=0, temperature=0.8, top_k=20)
print("Self-check passed: the same tokens as generate(do_sample=True, temperature=0.8, top_k=20).")
### BEGIN HIDDEN TESTS
compare_with_generate(greedy_batch, seed=1, temperature=1.4, top_p=0.8)
compare_with_generate(greedy_batch, seed=2, top_k=5)
compare_with_generate(greedy_batch, seed=3, temperature=0.6, top_k=40, top_p=0.9)
# A small top-k then top-p: the order of the two filters changes the tokens. With "." as the end token,
# every row finishes before 16 steps: the loop must stop there.
dot_id = tokenizer.convert_tokens_to_ids(".")
compare_with_generate(greedy_batch, seed=5, eos_token_id=dot_id, temperature=1.5, top_k=3, top_p=0.7)
unpadded = tokenizer(["One morning, Anna", "The wind was cold"], return_tensors="pt", padding=True)
assert unpadded.attention_mask.all(), "test set-up: these prompts must have the same length"
compare_with_generate(unpadded, seed=4, penalty=1.5, top_p=0.8)
### END HIDDEN TESTS

# %% [markdown]
# Your sampler with two seeds, then once more with the first seed: the same seed gives the
# same story.

# %%
try:
    story_prompt = tokenizer(["One morning, Anna"], return_tensors="pt")
    for seed in (0, 1, 0):
        torch.manual_seed(seed)
        sampled = sample_generate(model, story_prompt.input_ids, 30, EOS_ID, PAD_ID, temperature=0.9, top_p=0.9)
        print(f"seed {seed}:", tokenizer.decode(sampled[0, story_prompt.input_ids.shape[1]:], skip_special_tokens=True))
except NotImplementedError:
    print("Exercise 20.6 is not done yet: three sampled stories (two with seed 0, identical) will appear here.")

# %% [markdown]
# **Takeaway:** `generate()`'s sampling is penalty → temperature → top-k → top-p → softmax → one
# `torch.multinomial` per step; a loop with the same steps and seed reproduces it token for token.

# %% [markdown]
# ## 8. The traps of `generate()`, measured
#
# **Trap 1: sampling parameters without `do_sample=True` do nothing.** `do_sample` defaults to `False`, so
# `generate(temperature=0.3, top_p=0.5)` is greedy decoding. `transformers` 5 says so only through its logger
# ("The following generation flags are not valid and may be ignored"), which many set-ups silence:

# %%
transformers.utils.logging.set_verbosity_warning()  # show the library's warning in this one cell
plain_greedy = model.generate(**encoded, max_new_tokens=30)
hot_without_sampling = model.generate(**encoded, max_new_tokens=30, temperature=0.3, top_p=0.5)
transformers.utils.logging.set_verbosity_error()
print("identical to greedy:", torch.equal(plain_greedy, hot_without_sampling))

# %% [markdown]
# **Trap 2: `do_sample=True` adds top-k 50 silently.** The course GPT's saved `generation_config` sets no
# `top_k`; `transformers` then falls back to its global default, 50. With `output_scores=True`, `generate()`
# returns the processed scores of every step, so we can count the tokens still allowed:

# %%
print("model.generation_config.top_k =", model.generation_config.top_k)
for settings in ({"do_sample": True}, {"do_sample": True, "top_p": 0.99}, {"do_sample": True, "top_k": 0}):
    torch.manual_seed(0)
    out = model.generate(**encoded, max_new_tokens=10, return_dict_in_generate=True, output_scores=True, **settings)
    allowed = [int(torch.isfinite(step_scores).sum()) for step_scores in out.scores]
    print(f"{str(settings):42} tokens allowed per step: {allowed}")

# %% [markdown]
# `top_p=0.99` alone still runs *after* top-k 50, on the probabilities of the 50 survivors renormalised: it
# can only remove some of them, never bring back a token outside the top 50. To sample from the full
# distribution (pure temperature or pure nucleus sampling), pass `top_k=0` explicitly.
#
# **Trap 3: `max_length` counts the prompt, `max_new_tokens` does not.** And when both are set (here the
# GPT's saved `generation_config` sets `max_new_tokens=128`), `max_new_tokens` wins:

# %%
long_prompt = tokenizer(story_test[1][:60], return_tensors="pt")
n_prompt = long_prompt.input_ids.shape[1]
for settings in ({"max_new_tokens": 10}, {"max_length": n_prompt + 10, "max_new_tokens": None},
                 {"max_length": 10}, {"max_length": 10, "max_new_tokens": None}):
    try:
        out = model.generate(**long_prompt, **settings)
        ending = "ended by the end token" if (out[0, n_prompt:] == EOS_ID).any() else "ran to the limit"
        print(f"{str(settings):45} prompt {n_prompt} tokens -> output {out.shape[1]} tokens "
              f"({out.shape[1] - n_prompt} new, {ending})")
    except ValueError as error:
        print(f"{str(settings):45} prompt {n_prompt} tokens -> ValueError: {str(error)[:70]}...")

# %% [markdown]
# `max_length=10` alone is silently overridden by the saved `max_new_tokens` (the text is cut only by the end
# token or by that saved limit); once that is removed,
# `max_length=10` is shorter than the prompt and `generate()` refuses. `max_length` is a total that depends
# on each prompt's length: prefer `max_new_tokens`, always.
#
# **Trap 4: the end token.** A model trained with an end token stops by itself; `eos_token_id` (from the
# generation config) is what `generate()` checks, and `max_new_tokens` is only the ceiling. In a batch, the
# rows that finish early are filled with `pad_token_id`:

# %%
batch_out = model.generate(**greedy_batch, max_new_tokens=60)
for row in batch_out:
    new = row[prompt_len:]
    first_eos = (new == EOS_ID).nonzero()
    print(f"new tokens {len(new)}, eos at step {int(first_eos[0]) + 1 if len(first_eos) else None}, "
          f"pads after it: {int((new == PAD_ID).sum())}")

# %% [markdown]
# **Trap 5: decode only the new tokens.** `generate()` returns the prompt followed by the continuation:

# %%
row = batch_out[1]
print("decode(row):                         ", repr(tokenizer.decode(row)))
print("decode(row[prompt_len:], skip special):", repr(tokenizer.decode(row[prompt_len:], skip_special_tokens=True)))
own_length = int(greedy_batch.attention_mask[1].sum())
print(f"decode(row[{own_length}:])  (the row's own prompt length, wrong with left padding):",
      repr(tokenizer.decode(row[own_length:], skip_special_tokens=True)[:60]))

# %% [markdown]
# With left padding every prompt ends at column `input_ids.shape[1]`; slicing at a row's own prompt length
# repeats part of its prompt (or of the padding) in the "generated" text.
#
# **Takeaway:** `do_sample=True` to sample, `top_k=0` to disable the silent top-k 50, `max_new_tokens`
# rather than `max_length`, and `output[:, input_ids.shape[1]:]` to read the answer.

# %% [markdown]
# ## 9. Explore: temperature and top-p
#
# In JupyterLab or Colab, two sliders set the temperature and $p$; the bars show the 25 most likely next
# tokens after the prompt before (grey) and after (colour) the warpers, and a sample is drawn with those
# settings. Outside a live notebook (nbconvert, the grader) the cell draws a static grid instead.

# %%
explore_prompt = tokenizer("The wind was cold when Grace arrived at the", return_tensors="pt")
with torch.no_grad():
    explore_logits = model(**explore_prompt).logits[:, -1]
explore_order = explore_logits[0].argsort(descending=True)[:25]
explore_labels = [tokenizer.decode(token_id).strip() or repr(tokenizer.decode(token_id)) for token_id in explore_order]


def draw_warped(temperature: float, top_p: float, axis) -> int:
    """Bars of the 25 most likely tokens, before and after temperature + top-p; returns the tokens kept."""
    warped = TopPLogitsWarper(top_p)(None, TemperatureLogitsWarper(temperature)(None, explore_logits.clone()))
    before, after = explore_logits.softmax(-1)[0], warped.softmax(-1)[0]
    positions = torch.arange(len(explore_order))
    axis.bar(positions - 0.2, before[explore_order].numpy(), width=0.4, color="0.7", label="model (T = 1)")
    axis.bar(positions + 0.2, after[explore_order].numpy(), width=0.4, color="tab:orange",
             label="after temperature and top-p")
    axis.set_xticks(positions.tolist(), explore_labels, rotation=90, fontsize=8)
    kept = int(torch.isfinite(warped).sum())
    axis.set_title(f"T = {temperature}, p = {top_p}: {kept} tokens kept", fontsize=9)
    return kept


if course.widgets_available():
    import ipywidgets as widgets
    from IPython.display import display

    temperature_slider = widgets.FloatSlider(value=1.0, min=0.2, max=2.0, step=0.1, description="temperature")
    top_p_slider = widgets.FloatSlider(value=0.9, min=0.05, max=1.0, step=0.05, description="top-p")
    explorer_output = widgets.Output()

    def redraw(_change=None) -> None:
        with explorer_output:
            explorer_output.clear_output(wait=True)
            fig, axis = plt.subplots(figsize=(9, 3.5))
            draw_warped(temperature_slider.value, top_p_slider.value, axis)
            axis.set_ylabel("probability")
            axis.legend(fontsize=8)
            plt.show()
            sample = model.generate(**explore_prompt, do_sample=True, top_k=0, max_new_tokens=30,
                                    temperature=temperature_slider.value, top_p=top_p_slider.value)
            print("sample:", tokenizer.decode(sample[0, explore_prompt.input_ids.shape[1]:], skip_special_tokens=True))

    for slider in (temperature_slider, top_p_slider):
        slider.observe(redraw, names="value")
    display(widgets.VBox([widgets.HBox([temperature_slider, top_p_slider]), explorer_output]))
    redraw()
else:
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharey=True)
    for axis, (temperature, top_p) in zip(axes.flat, ((0.5, 1.0), (1.5, 1.0), (1.0, 0.5), (1.5, 0.9))):
        draw_warped(temperature, top_p, axis)
    for axis in axes[:, 0]:
        axis.set_ylabel("probability")
    handles, legend_labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, legend_labels, loc="upper center", ncol=2, fontsize=9)
    fig.suptitle("Next token after 'The wind was cold when Grace arrived at the'", y=1.03)
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## 10. Diversity and repetition, measured
#
# Which settings give varied text that is still the model's kind of text? For 12 story openings we generate
# 32 new tokens with each strategy and measure, on the words of the continuations:
#
# - **distinct-n** (Li et al., 2016): distinct word n-grams divided by all word n-grams, over all
#   continuations together — 1 when nothing repeats, near 0 for a parrot;
# - **repeated 3-grams**: the share of word trigrams that already occurred earlier *in the same
#   continuation* (loops);
# - **model loss**: the mean negative log-likelihood (nats per token) that the unmodified model gives to the
#   continuation. Low means "typical text for this model"; high means the sampler went where the model did
#   not want to go (at $T = 1$ with no filter, its own average surprise).

# %%
def distinct_n(texts: list[str], n: int) -> float:
    """Distinct word n-grams / all word n-grams, pooled over the texts."""
    grams = [tuple(words[i:i + n]) for words in (text.split() for text in texts) for i in range(len(words) - n + 1)]
    return len(set(grams)) / max(len(grams), 1)


def repeated_share(texts: list[str], n: int = 3) -> float:
    """Share of word n-grams that already occurred earlier in the same text."""
    repeated = total = 0
    for text in texts:
        words = text.split()
        grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
        repeated, total = repeated + len(grams) - len(set(grams)), total + len(grams)
    return repeated / max(total, 1)


comparison_prompts = [" ".join(story.split()[:4]) for story in story_test[:12]]
comparison_batch = tokenizer(comparison_prompts, return_tensors="pt", padding=True)
comparison_width = comparison_batch.input_ids.shape[1]
strategies = {
    "greedy": {"do_sample": False},
    "beam 4": {"do_sample": False, "num_beams": 4},
    "greedy, no-repeat 3": {"do_sample": False, "no_repeat_ngram_size": 3},
    "greedy, penalty 1.3": {"do_sample": False, "repetition_penalty": 1.3},
    "sample T=0.7": {"do_sample": True, "temperature": 0.7, "top_k": 0},
    "sample T=1.0": {"do_sample": True, "temperature": 1.0, "top_k": 0},
    "sample T=1.5": {"do_sample": True, "temperature": 1.5, "top_k": 0},
    "sample, default top-k 50": {"do_sample": True},
    "sample top-p 0.9": {"do_sample": True, "top_p": 0.9, "top_k": 0},
}
rows = {}
for name, settings in strategies.items():
    torch.manual_seed(0)
    output = model.generate(**comparison_batch, max_new_tokens=32, **settings)
    texts = [tokenizer.decode(row[comparison_width:], skip_special_tokens=True) for row in output]
    n_new = (output[:, comparison_width:] != PAD_ID).sum()
    nll = -continuation_logprob(output, comparison_width).sum() / n_new
    rows[name] = {"distinct-1": distinct_n(texts, 1), "distinct-2": distinct_n(texts, 2),
                  "repeated 3-grams": repeated_share(texts), "model loss": nll.item(), "example": texts[0]}
print(f"{'strategy':26} {'distinct-1':>10} {'distinct-2':>10} {'rep. 3-grams':>12} {'model loss':>10}")
for name, row in rows.items():
    print(f"{name:26} {row['distinct-1']:10.3f} {row['distinct-2']:10.3f} {row['repeated 3-grams']:12.3f} "
          f"{row['model loss']:10.3f}")

# %%
fig, axis = plt.subplots(figsize=(8, 4.5))
for name, row in rows.items():
    axis.scatter(row["distinct-2"], row["model loss"], s=40)
    axis.annotate(name, (row["distinct-2"], row["model loss"]), fontsize=8, xytext=(4, 3),
                  textcoords="offset points")
axis.set_xlabel("distinct-2 (higher = more varied)")
axis.set_ylabel("model loss of the text, nats/token (lower = more typical)")
axis.set_title("Decoding strategies: diversity against typicality (12 prompts, 32 new tokens)")
plt.show()
for name in ("greedy", "sample T=1.5", "sample top-p 0.9"):
    print(f"{name:18} {rows[name]['example'][:110]!r}")

# %% [markdown]
# Read the table and the figure together. The deterministic strategies (greedy, beam) write the most
# typical text and the least varied, greedy least of all; the no-repeat constraint and the penalty remove
# the repeated trigrams and buy a little variety at a small cost in typicality. Sampling at high temperature
# without a filter is the most "diverse" only because it draws from the tail: its model loss shows text the
# model itself finds unlikely, and its example above is broken English. Top-p and a moderate temperature
# keep most of the diversity of pure sampling at a lower model loss — the usual default for open-ended text.
# The exact positions depend on the prompts and the seed; rerun with more prompts before trusting small gaps.
#
# **Takeaway:** measure diversity *and* typicality together: either one alone is maximised by a bad
# strategy.

# %% [markdown]
# ## 11. Quiz
#
# ### Exercise 20.7 — A silent setting (1 point)
#
# A colleague writes `model.generate(**inputs, temperature=1.8, top_p=0.95, max_new_tokens=50)` to get more
# creative text, and finds the output identical to before. Why?
#
# - (a) The temperature is clipped to 1.0 by `generate()`, and top-p 0.95 keeps nearly all the tokens anyway.
# - (b) Without `do_sample=True`, decoding is greedy: the warpers are never applied, whatever their values.
# - (c) Top-p runs before the temperature, so the temperature no longer changes which tokens remain.
# - (d) The model's saved `generation_config` overrides any argument passed to `generate()` explicitly.
#
# Set `answer_20_7` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex20_7"}
### BEGIN SOLUTION
answer_20_7 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex20_7_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_20_7", answer_20_7, (
    "quiz1:eyJrZXkiOiAiMGVjMmJiMDEwODkzM2ViMzU0OGYyZjZmMTVjYmVjMzFhZWVmMWQ3Y2E3N2ZhMjk4YTQyYzFmY2Q4YW"
    "RiODcyMyIsICJuYW1lIjogImFuc3dlcl8yMF83IiwgIm9wdGlvbnMiOiB7ImEiOiAiVTlNQ0RhblFMaWtQL2JuZ0FBNlpQOW"
    "V0b2pkMmVCUll3K2RCN04rL3VpNXZaSURPK0I4UlZoOVI3WGhMQjArakVCb1ZMSTIzUGQxQUIwS0V4Q2VZUHlSRS8yL0V5Q2"
    "pmVjkxdFFQMGJLVlhwR2hodHIxakQ0emN3Ukd1SFNpMmsxNXBrbHozNWJkWkZyNzlieGJ6N2RranpkUDhrc3dIUnYrQmhYbn"
    "FkVUw2d2N3elhRZ0VZTkdEdjhJYnFoamJ5MzJaMXArbkZnOEpWTTYyK1JRa1kwRWZGZXQ2MGhpbUtrLzl2Sjh6bVpLaDlERH"
    "Bva3BQVjJPR2FyUk1HMmtKdFlyUzJXbUFuTktuVlJMRWlhV3hmYWhnPSIsICJiIjogImE3UnN5NiswR2hQU1pYMEZpRUNIST"
    "JNY0tXclE0SExxN0FwZ0lpbk5ZcHhZTHFJUW9Mamo4b1ltSXk2Ujdkc1lHSGRFcUlUN1NBR210WW9zanNXR0pnOXVFWnRyWT"
    "RGY0hYZ0ZQZ0p0eFhBY2hBS1oxWGk0N0lPSFlDdU16TFJPS0M1R3ZIYjZic1RaNWdnUjB4U0Z1RVRmOWNra1FSWXVHQTI5YX"
    "JadkdSWG1OUlhia2lzV2huWnV6TDh5RmdEZkdKd0d3dkd5WnNiUUVRTEkxaHFPR0tDRExtSUp3OG93Z0plWEtRQWNHU0lkV0"
    "k0VTdqWE95b29JMzJ2WHlieWJ2NWMwIiwgImMiOiAiSGcvMG9Bc0JVOWpySlJHNTdmMjV2RE5ldVFPQlowaE05SFJ5TUVSQU"
    "QwMnVyZVdWOVZTKytaSW02am0yeVlHcWprdllkVlRaU2c1L05rT1dMdnI1OEc3cnhBNWplRGtvcDllUDNzc2tDT2NqR0xWRm"
    "tHdllDSG1GbWl2TmFwamtJVU9BRFVpelgzMUsveWtPNUxpV2tLRjlOc2ZydFM1VU5oT1I5bmIyT3Zza2FFdWtUMWw2UlFMYl"
    "hPRHlxczZjWWtCQ3VFaUhvM3Q2VWFmK3NWRmlTNXYxaGxPbjI0dW8iLCAiZCI6ICIySVdCajhDc3p1Y1B4RW82RENiTEZtb1"
    "FONzZNdGpHcGJibUk0L2g4aHh6bzh3eEphVEt4WjlzNWlhQlFqUHEzbTE4SEJwd0x6bk1ZL3RRY0o3RVpCNkVGZU0rTnFMSm"
    "hCa3N1czVQaEd2dGU0Vkd1L3p5TDF3UXY4Vm85Qkd1WDY2cld6KzlQbkhWdmEzYmtnRmlpWnhoRi91aFNydzU1RzVCaklLNV"
    "hEeDhjL1A5Z3JXYjVQTUoyVm4xZzRvWDRPRTRoU3hhWDcwZVBXMGg4SXRNNE9vQ1REcUVNc0lXR3gyeVBmT0cyd0VyUGhVbE"
    "9hL3dvbitRPSJ9LCAic2FsdCI6ICI3YjBhMDg0ZjU2ZGM1NWM1In0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_20_7", answer_20_7, "b", {
    "a": "generate() does not clip the temperature; and the output is not just similar, it is identical, "
         "which means no sampling happened at all. Without do_sample=True the warpers are never applied "
         "(section 8, trap 1).",
    "b": "Right: do_sample defaults to False, so generate() decodes greedily and never runs the temperature or "
         "top-p warpers; transformers only logs a warning that these flags 'may be ignored' (section 8).",
    "c": "The order is temperature, then top-k, then top-p, and it would not matter here anyway: without "
         "do_sample=True no warper runs, so decoding is greedy (section 8, trap 1).",
    "d": "Arguments passed to generate() override the saved generation_config, not the other way round. The "
         "settings are ignored because do_sample is False: greedy decoding never applies warpers.",
})
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 20.8 — What top-p 0.9 really samples from (1 point)
#
# With `model.generate(**inputs, do_sample=True, top_p=0.9)` on a model whose `generation_config` sets no
# `top_k`, at a step where the 300 most likely tokens are needed to reach 90 % of the probability, how many
# tokens can be drawn?
#
# - (a) 300: the nucleus is the smallest set whose probability reaches 0.9, and nothing else filters.
# - (b) 301: top-p keeps the nucleus and always one extra token after the crossing point for safety.
# - (c) The whole vocabulary: top-p only reweights the probabilities, it never removes a token.
# - (d) Fewer than 50: `do_sample=True` also applies the default top-k 50 first; top-p then keeps 90 % of
#   the probability of those 50, renormalised.
#
# Set `answer_20_8` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex20_8"}
### BEGIN SOLUTION
answer_20_8 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex20_8_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_20_8", answer_20_8, (
    "quiz1:eyJrZXkiOiAiM2NmOGM2YjUxNDBkYjVkYmZjODBlMzVjYjJmNzM0MmE1Y2JiYzA5YTg0ZjRiOGE5NTQzYzM4Y2VlMD"
    "EwZGYxZiIsICJuYW1lIjogImFuc3dlcl8yMF84IiwgIm9wdGlvbnMiOiB7ImEiOiAidTc5TG0xcnZsZkdrenRvT2tXVVBJem"
    "FYOUVFOWRVeERDUm9VbFQyZHE1Uy8zMFZUY1dxWGRMN0dZR013aE9oenllTkZyd0JkemZ3ZjF4WlBuUzg2VWk0QTRudG9nS1"
    "FCZlgvZ0FHUUpJRDZKQ0sxcUhoN2YvZnpFcmwvSk54QU1IR0I1TDlaVzdIYlk4SWlIVU5jVTJRT0QyS29KRUN2STB5TFpzWm"
    "dLZW9Qb1Q4bU8vVTl0U2phOHFKUkJod3NYcGoxYWpQcm9WVEZNdzlFSkJBYUx0MXpSeCt5UmVMNEJPODJSVnN6UGhDbTFTbi"
    "8wUUdoSEtjaSs0YmRiU1hJRkgzd1BNWXhDQkdMdXN5T3M1dldaK3ZWTUtMdE9UOFZOMm5wUmZZSk8rdmdkUzB0d0JZdFh3WH"
    "BndGtiVFRKaC9KN0Z2cENFMkdESFU1ODk1SVlSRzBwMFpHWnRSNi9jWDdBUjNYaWV6WUFjYTMvWkRheStVS0E9PSIsICJiIj"
    "ogIkJHNlM5MkNFb2d0V3ZqekNDeXk5Z3JzRnNJUlhkVjNQZkpQM1lFSElwSUttcHZ0aEc3VDF0TVJLdEJhRkgyL2wrOWs5eD"
    "RPajRtZjVtVmNNMzdBL0JvdnoxdWtyRWxOTTVqQlVVeGU0OWVaTUtLTmdLeUphUGR3S3MwSy9Qb2twWEFqSXBCWW0xUTFubV"
    "lneFUwMjRxRW01RCs4THpQcDdhdm0vK1RPVWcwd2N4ZXlaYkJWVmdibWpDYzlhV2dDeU04MUZJb08zYnpZbDdKVVVWbSswbV"
    "lIYSt4anYwV2JvVGJoWitPSlgzK2E0dE9hWWdaVENyNHRLRC9tSy90dnlkUT09IiwgImMiOiAiajVieFl4R0ZJNkJ5SE5YdW"
    "Z6UzA0Z0JjYVJaOTgzV3ZmRXZvVFVjZEdqaUNObkttSm9wNE5FZTI4NUswTzVCaXR3SUVEd3JvbWI4UkM4R3hWd3BzdWtQQm"
    "VQczg0ejh6cjRCNHllN3NFL0VGQ2x2djNyYjJjQUNLbU5acmdwbjhpekhuSit5M0w0cGtoKzZQREE5RWhFTUhqbTB2TlJ3Tm"
    "JRYlhwWCs5NVk2WTIvOU54QW16S2gwUjZ6V0lDL09IaTlvT3N4eEVUeDY4ck5hSkkwbmdyMzhNNEJhYUtGQ3NhWW89IiwgIm"
    "QiOiAiVjhmV2dNdUxiWFdTdjNvcXFJR2RTN0h1QUMwWEhSRXplQTg0S0NGSzd3SUF0YkoySEdnY3F3andnRW1OaVp3cVhXSW"
    "wrUFp3RHd1TlhCUWd3MmVEbUNENFJKaUQvQ0Q0emJQc2dSY2lRUUhHN0JjQ012NmZqRVVBbUkvNFZBVGpBWTJhaElKanFmdm"
    "pxYm9JbGcvSzNuNjhWdTM4dUk2RUdtOFcyc3lKNXBkUkltcEhtLzM0UmN3aHRJaGNjZXQ5Z2owQXoxdUIvaXM2N0UyLzlaaX"
    "dTc3YzNFMxQW5xWEpMTFQ4aktOTlJsMXN5b3F6MU9EcTFhMnA3UG5UREJLdm00YnBXTkwwNytvbThEQlB6MjVoVVN1SmpYK0"
    "tmeG9XYlQ5OE43VUYzVFZGbStiMy8zczI2T2o2TDZ1VkhVeFRzcTEvOElPTFhvK21QcmxsdGdmV08vYkMzTUtjdnlOWko5c0"
    "w3L2JIckt0QmYwS0VrRXo5akRYczhSaTV0UXM2ckwxRXhXWkFVMlFiYVRlWnBleHJBWDBwSWNwSC9ISHB5NUg2T1N5S0NvL2"
    "xmRUdiTWVVbnpTV3RPeDY3aHlVOCJ9LCAic2FsdCI6ICJmMGE2ODgzZDgwMzEyM2FlIn0="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_20_8", answer_20_8, "d", {
    "a": "That is what top-p alone would keep, but top-p does not run alone: with no top_k in the generation "
         "config, do_sample=True applies the default top-k 50 first, so at most 50 tokens reach top-p, which "
         "trims them further (section 8, trap 2). Pass top_k=0 to get pure nucleus sampling.",
    "b": "Top-p keeps the tokens up to and including the one that crosses p, no extra one. And here top-k 50 "
         "runs first: the default that do_sample=True adds leaves at most 50 tokens (section 8, trap 2).",
    "c": "Top-p sets the logits outside the nucleus to -inf, so they get probability 0. Here the default top-k "
         "50 runs first as well, leaving at most 50 tokens (section 8, trap 2).",
    "d": "Right: the warpers run temperature -> top-k -> top-p, and the default top_k=50 applies when the "
         "generation config sets none. Top-p then sees the 50 survivors' probabilities renormalised: the 50th "
         "holds at most 1/50 of their mass, so the 49 before it already reach 90 % and at most 49 tokens "
         "remain (section 8 counts the allowed tokens).",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Temperature divides the logits; top-k keeps the $k$ best (ties kept); top-p keeps the smallest set of
#   most likely tokens reaching mass $p$, crossing token included; both keep at least one token.
# - The repetition penalty divides positive and multiplies negative logits of seen tokens, once each;
#   `no_repeat_ngram_size` bans repeated n-grams outright.
# - Greedy decoding and sampling are short loops; with left padding, positions from the mask, pad after the
#   end token, and `generate()`'s order (penalty → temperature → top-k → top-p → softmax → one
#   `torch.multinomial`), yours equal `generate()` token for token.
# - Traps: `do_sample=True` or nothing is sampled; `top_k=0` or top-k 50 applies; `max_new_tokens`, not
#   `max_length`; decode `output[:, input_ids.shape[1]:]`.
# - Judge a strategy by diversity and typicality together.
#
# Next, lesson 21 extracts answers and entities from text instead of generating it.
#
# ## Going further
#
# - Holtzman, Buys, Du, Forbes, Choi (2020). *The Curious Case of Neural Text Degeneration.* ICLR — nucleus
#   sampling.
# - Fan, Lewis, Dauphin (2018). *Hierarchical Neural Story Generation.* ACL — top-k sampling.
# - Keskar, McCann, Varshney, Xiong, Socher (2019). *CTRL: A Conditional Transformer Language Model for
#   Controllable Generation.* — the repetition penalty.
# - Li, Galley, Brockett, Gao, Dolan (2016). *A Diversity-Promoting Objective Function for Neural
#   Conversation Models.* NAACL — distinct-n.
# - Documentation: [Generation strategies](https://huggingface.co/docs/transformers/generation_strategies),
#   [`GenerationConfig`](https://huggingface.co/docs/transformers/main_classes/text_generation) and the logits
#   processors in `transformers/generation/logits_process.py`.

# ---
# jupyter:
#   course:
#     title: "Challenges and limits"
#     budget_seconds: 75
# ---

# %% [markdown]
# # Lesson 23 · Challenges and limits
# {{COLAB_BADGE}}
#
# Twenty-two lessons built, trained, evaluated and served Transformers. This last lesson measures where they
# struggle: the cost of attention as texts get longer, the fixed context window, text copied from the
# training data, confident inventions, personal data, social bias in embeddings, and the compute that
# training takes. Every claim comes with a number computed here, on the course's own models or on MiniLM.
#
# **You will be able to:**
# - measure the time and memory of attention against sequence length, fit the growth exponent on a log-log
#   scale, and say what a fused kernel such as `scaled_dot_product_attention` saves and what it does not;
# - show what a model does past its context window, and why a sliding window forgets;
# - measure how much generated text is copied verbatim from the training data, against a held-out control;
# - compute an embedding association effect size (WEAT) with a permutation test, and say what it does not
#   prove;
# - estimate training compute with the $6ND$ rule, for the course's models and for GPT-3.
#
# **Prerequisites:** lessons 04–05 (attention), 11 (positions), 15 (evaluation, leakage), 16 (MiniLM and
# mean pooling), 20 (generation). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers, MiniLM's weights and the course's models).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import math
import os
import random
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

import transformers

import course
from course.data.stories import story_splits
from course.models import load_gpt, manifest

course.set_seed(0)
torch.set_num_threads(1)  # timings on one thread: stable, and comparable between runs on the same machine
transformers.utils.logging.set_verbosity_error()   # no "sequence longer than the model" notices from tokenizers

# %% [markdown]
# ## 1. The quadratic cost of attention
#
# Scaled dot-product attention (lesson 04) computes, for each of the $L$ queries, a score with each of the
# $L$ keys: the matrix $QK^\top / \sqrt{d}$ is $L \times L$ per head. Doubling the text quadruples the
# number of scores, so time and memory should grow like $L^2$ — while the projections and the feed-forward
# layers grow like $L$. We measure it, on one CPU thread, with the textbook version (scores materialised,
# then softmax, then a product with $V$) and with PyTorch's fused `F.scaled_dot_product_attention` (SDPA).
# We time with `time.process_time()`, the CPU time this process used: unlike the wall clock, it does not
# count the moments when the process waited while other programs ran, so it stays stable on a busy machine.

# %%
def naive_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Textbook attention: the (…, L, L) score matrix is built in memory. (…, L, d) -> (…, L, d)."""
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])   # (batch, heads, L, L)
    return scores.softmax(dim=-1) @ value                                # (batch, heads, L, d)


def median_seconds(function, *args, repeats: int = 3) -> float:
    """Median CPU time of ``function(*args)`` over ``repeats`` runs, after one warm-up run (one thread)."""
    function(*args)
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function(*args)
        times.append(time.process_time() - start)
    return float(np.median(times))


HEADS, D_HEAD = 2, 32
LENGTHS = [256, 512, 1024, 2048]
timings = {"naive": [], "SDPA": []}
for length in LENGTHS:
    query, key, value = torch.randn(3, 1, HEADS, length, D_HEAD).unbind(0)   # each (1, heads, L, d_head)
    torch.testing.assert_close(naive_attention(query, key, value),
                               F.scaled_dot_product_attention(query, key, value), atol=1e-5, rtol=1e-4)
    timings["naive"].append(median_seconds(naive_attention, query, key, value))
    timings["SDPA"].append(median_seconds(F.scaled_dot_product_attention, query, key, value))
    print(f"L = {length:5d}   naive {1e3 * timings['naive'][-1]:8.2f} ms   SDPA {1e3 * timings['SDPA'][-1]:8.2f} ms")

# %% [markdown]
# Both give the same output (checked above with `assert_close`). Before reading the times, memory. Python's
# `tracemalloc` does not see PyTorch's allocations, but PyTorch's profiler does: with `profile_memory=True`
# it records every allocation of PyTorch's CPU allocator and attributes it to the operator that made it —
# including the scratch buffers that a fused kernel allocates for itself. We add up the bytes that the
# operators of one call allocate, and keep the **largest single allocation**. For comparison, the score
# matrix's size follows from its shape: heads × $L$ × $L$ float32 values of 4 bytes.

# %%
os.environ["KINETO_LOG_LEVEL"] = "6"   # the profiler's C++ back end (Kineto) logs each start and stop otherwise


def allocations(function, *args) -> list[int]:
    """Bytes allocated by each operator that runs in ``function(*args)``, in order (torch.profiler)."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as recorder:
        function(*args)
    # self_cpu_memory_usage: bytes an operator allocated (minus those it freed), not counting its sub-operators
    return [event.self_cpu_memory_usage for event in recorder.events() if event.self_cpu_memory_usage > 0]


memory = {"naive": [], "SDPA": []}
for length in LENGTHS:
    query, key, value = torch.randn(3, 1, HEADS, length, D_HEAD).unbind(0)
    for name, function in (("naive", naive_attention), ("SDPA", F.scaled_dot_product_attention)):
        allocated = allocations(function, query, key, value)
        memory[name].append((max(allocated), sum(allocated)))
    score_bytes = HEADS * length * length * 4       # one float32 score per (head, query, key)
    output_bytes = HEADS * length * D_HEAD * 4      # the (1, heads, L, d_head) result
    print(f"L = {length:5d}   score matrix {score_bytes / 2**20:6.2f} MiB, output {output_bytes / 2**20:5.3f} MiB | "
          f"naive: largest {memory['naive'][-1][0] / 2**20:6.2f} MiB, total {memory['naive'][-1][1] / 2**20:6.2f} MiB | "
          f"SDPA: largest {memory['SDPA'][-1][0] / 2**20:5.3f} MiB, total {memory['SDPA'][-1][1] / 2**20:5.3f} MiB")

# %%
figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(9.5, 3.8))
for name, marker in (("naive", "o"), ("SDPA", "s")):
    time_axis.loglog(LENGTHS, timings[name], marker=marker, label=name)
    memory_axis.loglog(LENGTHS, [total / 2**20 for _, total in memory[name]], marker=marker)
reference = [timings["naive"][-1] * (length / LENGTHS[-1]) ** 2 for length in LENGTHS]
time_axis.loglog(LENGTHS, reference, "k:", label="slope 2")
memory_axis.loglog(LENGTHS, [memory["naive"][-1][1] / 2**20 * (length / LENGTHS[-1]) ** 2 for length in LENGTHS], "k:")
time_axis.set(xlabel="sequence length L", ylabel="CPU seconds (median of 3)", title="Time of one attention call")
memory_axis.set(xlabel="sequence length L", ylabel="MiB allocated in one call", title="Memory allocated")
for axis in (time_axis, memory_axis):
    axis.set_xticks(LENGTHS, [str(length) for length in LENGTHS])
    axis.minorticks_off()
figure.legend(*time_axis.get_legend_handles_labels(), loc="lower center", ncol=3, frameon=False)
figure.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()

# %% [markdown]
# On a log-log plot a power law $t = c\,L^b$ is a straight line of slope $b$: $\ln t = \ln c + b \ln L$.
# The naive version's memory follows slope 2 — it builds the $L \times L$ scores, scales them, takes their
# softmax, each a new $L \times L$ tensor (its largest allocation is exactly the score matrix). SDPA allocates
# its output, one log-sum-exp per query, and a scratch buffer for one block of queries × one block of keys,
# which stops growing once $L$ exceeds the block size: it never allocates an $L \times L$ tensor. Its **time**
# still grows steeply: a fused kernel avoids storing the scores, it does not avoid computing them. To read
# the exponent off the measurements, fit a line.
#
# ### Exercise 23.1 — Fit the exponent of a runtime curve (2 points)
#
# Write `fit_exponent(lengths, seconds)`.
#
# - `lengths`, `seconds`: two sequences of the same length (lists, NumPy arrays or 1-D tensors), at least
#   2 points, all values strictly positive, at least two distinct lengths.
# - Return a Python `float`: the slope $b$ of the **least-squares** line through the points
#   $(\ln L_i, \ln t_i)$ — the exponent of the power law $t \approx c L^b$. (Any base of logarithm gives the
#   same slope, provided both axes use the same one.)
# - Raise a `ValueError` if the lengths of the two sequences differ, if there are fewer than 2 points,
#   if a value is $\le 0$, or if all the lengths are equal.
# - Do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex23_1"}
def fit_exponent(lengths, seconds) -> float:
    """Exponent b of the least-squares power law seconds ≈ c * lengths ** b (a line on log-log axes).

    Args:
        lengths: sequence of positive numbers (list, NumPy array or 1-D tensor), the x values.
        seconds: sequence of positive numbers of the same length, the y values.

    Returns:
        The slope of the least-squares line of ln(seconds) against ln(lengths), as a float.
    """
    ### BEGIN SOLUTION
    x = np.asarray(torch.as_tensor(lengths, dtype=torch.float64))
    y = np.asarray(torch.as_tensor(seconds, dtype=torch.float64))
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"lengths {x.shape} and seconds {y.shape} must be 1-D and of the same length")
    if len(x) < 2:
        raise ValueError("a line needs at least two points")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("lengths and seconds must be strictly positive to take their logarithms")
    log_x, log_y = np.log(x), np.log(y)
    centred_x = log_x - log_x.mean()
    if not (centred_x != 0).any():
        raise ValueError("all lengths are equal: the slope is undefined")
    return float((centred_x * (log_y - log_y.mean())).sum() / (centred_x ** 2).sum())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex23_1_test", "points": 2}
# Self-check: exact power laws, then a noisy curve against NumPy's least squares on the logarithms.
exact_lengths = [128, 256, 512, 1024]
assert math.isclose(fit_exponent(exact_lengths, [3e-6 * n ** 2 for n in exact_lengths]), 2.0, abs_tol=1e-9), (
    "t = 3e-6 * L**2 must give exponent 2: fit ln(t) against ln(L), both axes on a log scale")
assert math.isclose(fit_exponent(exact_lengths, [0.5 * n for n in exact_lengths]), 1.0, abs_tol=1e-9), (
    "t = 0.5 * L must give exponent 1")
noisy_lengths = [100, 200, 400, 800, 1600]
noisy_seconds = [0.011, 0.037, 0.19, 0.61, 2.9]
expected = float(np.polyfit(np.log(noisy_lengths), np.log(noisy_seconds), 1)[0])
result = fit_exponent(noisy_lengths, noisy_seconds)
assert isinstance(result, float), f"return a Python float, got {type(result).__name__}"
assert math.isclose(result, expected, abs_tol=1e-9), (
    f"expected the least-squares slope {expected:.4f} of ln(seconds) against ln(lengths), got {result:.4f}. "
    "Fitting on linear axes, regressing ln(L) on ln(t) (axes swapped), or using only the two end points gives "
    "another number")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

rng_hidden = np.random.default_rng(2301)
for trial in range(20):
    n_points = int(rng_hidden.integers(3, 9))
    lengths_hidden = np.sort(rng_hidden.uniform(10, 5000, n_points))
    exponent_hidden = rng_hidden.uniform(0.5, 3.0)
    seconds_hidden = 1e-7 * lengths_hidden ** exponent_hidden * np.exp(rng_hidden.normal(0, 0.3, n_points))
    expected = float(np.polyfit(np.log(lengths_hidden), np.log(seconds_hidden), 1)[0])
    result = call_checking_inputs(fit_exponent, lengths_hidden.copy(), seconds_hidden.copy())
    swapped = 1 / float(np.polyfit(np.log(seconds_hidden), np.log(lengths_hidden), 1)[0])
    ends = math.log(seconds_hidden[-1] / seconds_hidden[0]) / math.log(lengths_hidden[-1] / lengths_hidden[0])
    assert not math.isclose(result, ends, abs_tol=1e-9) or math.isclose(ends, expected, abs_tol=1e-9), (
        "the slope through the two END points ignores the points in between: least squares uses them all")
    assert not math.isclose(result, swapped, abs_tol=1e-9), (
        "you regressed ln(L) on ln(t) (axes swapped): least squares of y on x is not 1 / (x on y) when the "
        "points are noisy")
    assert math.isclose(result, expected, rel_tol=1e-8, abs_tol=1e-9), (
        f"expected {expected:.6f}, got {result:.6f} on lengths={lengths_hidden.round(1).tolist()}")
# Mixed bases (log10 on one axis, ln on the other) scale the slope by ln 10; a semi-log fit is not a power law.
assert math.isclose(fit_exponent([10, 100, 1000], [1.0, 100.0, 10000.0]), 2.0, abs_tol=1e-9), (
    "t = L**2 exactly: use the same logarithm on both axes (log10 on one and ln on the other is off by ln 10)")
assert math.isclose(fit_exponent([1.0, 2.0, 4.0, 8.0], [1.0, 1.0, 1.0, 1.0]), 0.0, abs_tol=1e-12), (
    "a constant time has exponent 0")
# Tensors, lists of ints, float32 input: always a Python float.
result = fit_exponent(torch.tensor([64, 128, 256]), torch.tensor([1e-3, 8e-3, 6.4e-2], dtype=torch.float32))
assert isinstance(result, float) and math.isclose(result, 3.0, abs_tol=1e-5), (
    f"tensor inputs: t = L**3 should give 3.0 as a Python float, got {result!r}")
for bad_lengths, bad_seconds, why in (([1, 2, 3], [1.0, 2.0], "different lengths"), ([5], [1.0], "one point"),
                                      ([1, 2, 0], [1.0, 2.0, 3.0], "a length of 0"),
                                      ([1, 2, 3], [1.0, -2.0, 3.0], "a negative time"),
                                      ([4, 4, 4], [1.0, 2.0, 3.0], "all lengths equal")):
    try:
        fit_exponent(bad_lengths, bad_seconds)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{why}: raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# The exponents of our measurements (this cell uses your function). Very short sequences are dominated by
# fixed costs (the call itself, memory allocation), which flatten the curve, so we also fit without the
# shortest length.

# %%
try:
    for name in timings:
        whole = fit_exponent(LENGTHS, timings[name])
        upper = fit_exponent(LENGTHS[-3:], timings[name][-3:])
        print(f"{name:5s}  exponent, all lengths {whole:5.2f}   L >= {LENGTHS[-3]}: {upper:5.2f}")
    memory_exponent = fit_exponent(LENGTHS, [total for _, total in memory["naive"]])
    print(f"naive  exponent of the memory allocated: {memory_exponent:.2f}")
except NotImplementedError:
    print("Exercise 23.1 is not done yet: the fitted exponents of time and memory will appear here.")

# %% [markdown]
# Read the printed exponents: memory of the naive version at 2, time of both versions well above 1. The
# naive version's time can even grow faster than $L^2$: once its $L \times L$ tensors no longer fit in the
# CPU's caches, every score costs a trip to main memory. Single timings are noisy (caches, other programs),
# which is why we take medians and fit a line rather than read one ratio. A Transformer layer also has parts that are linear in $L$ (projections, feed-forward), so at
# short lengths a whole model looks linear: per token and layer, the projections and a feed-forward of
# width $4d$ cost about $24d^2$ FLOPs, attention's scores and weighted sum $4Ld$, so the $L^2$ term takes
# over once $L$ exceeds about $6d$ for a model of width $d$.
#
# **Takeaway:** attention costs $O(L^2)$ time; the naive version also $O(L^2)$ memory. Fused kernels cut
# the memory to $O(L)$ and run faster, but the exponent of the time stays near 2.

# %% [markdown]
# ## 2. Ideas for cheaper attention
#
# - **Fused, memory-efficient kernels** (FlashAttention; the CPU kernel behind SDPA): the same exact
#   result, computed block by block with a running softmax, so the $L \times L$ matrix is never stored.
#   Same FLOPs, far less memory traffic.
# - **Sparse patterns — sliding windows**: each token attends only to the $w$ previous tokens (Longformer,
#   Mistral). Cost $O(L w)$; information from further back travels through the layers, $w$ tokens per layer.
# - **Linear attention**: replace $\exp(q \cdot k)$ by $\phi(q) \cdot \phi(k)$ for a feature map $\phi$; then
#   $\sum_j \phi(q_i)^\top \phi(k_j) v_j^\top = \phi(q_i)^\top \big(\sum_j \phi(k_j) v_j^\top\big)$ and the
#   inner sum is computed once: $O(L d^2)$. It is a different function from softmax attention, usually
#   somewhat less accurate.
#
# A sliding window, measured. Computed with a full mask, it still costs $L^2$ scores — most of them masked.
# Computed by **blocks** (each block of $w$ queries looks at its own keys and the $w$ keys before), it
# needs only about $2Lw$ scores, and gives the same output:

# %%
def sliding_window_mask(length: int, window: int) -> torch.Tensor:
    """(L, L) bool, True where query i may attend to key j: j <= i and i - j < window."""
    positions = torch.arange(length)
    distance = positions[:, None] - positions[None, :]
    return (distance >= 0) & (distance < window)


def blocked_sliding_attention(query, key, value, window: int) -> torch.Tensor:
    """Sliding-window causal attention computed block by block: (…, L, d) -> (…, L, d), L a multiple of window."""
    length = query.shape[-2]
    outputs = []
    for start in range(0, length, window):
        keys_from = max(0, start - window)
        block_mask = sliding_window_mask(start + window - keys_from, window)[-window:]   # (window, keys in view)
        outputs.append(F.scaled_dot_product_attention(query[..., start:start + window, :],
                                                      key[..., keys_from:start + window, :],
                                                      value[..., keys_from:start + window, :], attn_mask=block_mask))
    return torch.cat(outputs, dim=-2)


WINDOW, LONG = 128, 2048
query, key, value = torch.randn(3, 1, HEADS, LONG, D_HEAD).unbind(0)
full_mask = sliding_window_mask(LONG, WINDOW)
masked_full = F.scaled_dot_product_attention(query, key, value, attn_mask=full_mask)
blocked = blocked_sliding_attention(query, key, value, WINDOW)
print("max |blocked - masked full| =", f"{(blocked - masked_full).abs().max().item():.2e}")
blocked_scores = sum(WINDOW * (start + WINDOW - max(0, start - WINDOW)) for start in range(0, LONG, WINDOW))
print(f"scores computed: masked full {LONG * LONG:,}   blocked {blocked_scores:,}   "
      f"allowed by the window {int(full_mask.sum()):,}")
print(f"time: masked full {1e3 * median_seconds(lambda: F.scaled_dot_product_attention(query, key, value, attn_mask=full_mask)):.1f} ms"
      f"   blocked {1e3 * median_seconds(lambda: blocked_sliding_attention(query, key, value, WINDOW)):.1f} ms")

# %% [markdown]
# **Takeaway:** a window turns $L^2$ into $L w$ — but only if the implementation skips the masked blocks; a
# mask alone changes the result, not the cost.

# %% [markdown]
# ## 3. The context window
#
# The course's GPT learned one position embedding per position, 256 of them (lesson 11). Position 256 has
# no row in that table:

# %%
gpt_tokenizer, gpt = load_gpt()
print("position embeddings:", tuple(gpt.transformer.wpe.weight.shape), "  n_positions =", gpt.config.n_positions)
too_long = torch.randint(2, len(gpt_tokenizer), (1, gpt.config.n_positions + 1))
try:
    with torch.no_grad():
        gpt(too_long)
except IndexError as error:
    print(f"{too_long.shape[1]} tokens -> {type(error).__name__}: {error}")

# %% [markdown]
# Models with sinusoidal or rotary positions do not crash past their training length — they degrade
# instead, because they never saw those positions during training. Either way, the usual workaround is to
# keep only the last $n$ tokens. Everything before is then **invisible**, not just faded. We measure it:
# how much does the prediction at the last position change when we replace the *first* token of the input?
# Inside the window, a little; once that token has slid out, exactly nothing.

# %%
story_ids = gpt_tokenizer(" ".join(story_splits(n_train=40, n_valid=1, n_test=1, seed=23).train))["input_ids"]
context = gpt.config.n_positions


def last_logits(ids: list[int]) -> torch.Tensor:
    """Logits at the last position, after keeping only the last n_positions tokens (a sliding window)."""
    with torch.no_grad():
        return gpt(torch.tensor([ids[-context:]])).logits[0, -1]


for total in (16, 64, 128, 255, 256, 257, 300):
    ids = story_ids[:total]
    changed = [gpt_tokenizer.eos_token_id, *ids[1:]]            # the same text with its first token replaced
    difference = (last_logits(ids) - last_logits(changed)).abs().max().item()
    print(f"first token {total - 1:3d} positions before the last: max |change of the last logits| = {difference:.2e}")

# %% [markdown]
# **Takeaway:** a context window is a hard wall. Whatever fell out of it — the start of a conversation, a
# name introduced on page one — cannot influence the output. Longer windows cost $L^2$ (section 1), and
# models often use the middle of a long context poorly (Liu et al., 2023).

# %% [markdown]
# ## 4. Memorisation: is the output copied from the training data?
#
# A language model can reproduce its training text verbatim: Carlini et al. (2021) extracted names, phone
# numbers and addresses from GPT-2 this way. We measure it on the course's GPT, whose training texts we have
# (`story_splits`, the split it was trained on). Two measures on whitespace-separated words:
#
# - the **fraction of 8-grams** of a text that occur somewhere in the training data;
# - the **longest run of words** of the text found verbatim in the training data.
#
# Our stories are generated from templates, so even a text the model never saw shares many 8-grams with
# training. The **control** tells us how much: the same measures on held-out test stories.

# %%
splits = story_splits(**{key: manifest()["models"]["gpt"]["data"][key] for key in ("n_train", "n_valid", "n_test", "seed")})
# One text per line, words separated by single spaces and the line framed by spaces, so that a search for
# " w1 w2 ... " matches whole words only and never spans two texts.
train_text = "\n".join(" " + " ".join(text.split()) + " " for text in splits.train)
train_8grams = set()
for text in splits.train:
    words = text.split()
    train_8grams.update(zip(*(words[i:] for i in range(8))))
print(f"{len(splits.train)} training texts, {len(train_8grams):,} distinct 8-grams of words")


def fraction_in_training(text: str, n: int = 8) -> float:
    """Fraction of the word n-grams of ``text`` found in the training data (n = 8)."""
    words = text.split()
    grams = list(zip(*(words[i:] for i in range(n))))
    return sum(gram in train_8grams for gram in grams) / len(grams) if grams else 0.0


def longest_copied_run(text: str) -> int:
    """Length in words of the longest run of ``text`` that appears verbatim in one training text."""
    words, best, end = text.split(), 0, 0
    for start in range(len(words)):
        end = max(end, start)
        while end < len(words) and " " + " ".join(words[start:end + 1]) + " " in train_text:
            end += 1                                 # words[start:end] is in the training text
        best = max(best, end - start)
    return best


# %%
PROMPTS = ["Once upon a time,", "One cold morning,", "After school,", "A soft rain was falling", "The harbour"]
gpt_tokenizer.padding_side = "left"                   # batched generation: pad on the left (lesson 20)
prompt_batch = gpt_tokenizer([gpt_tokenizer.eos_token + prompt for prompt in PROMPTS], return_tensors="pt",
                             padding=True)
with torch.no_grad():
    greedy_ids = gpt.generate(**prompt_batch, max_new_tokens=80, do_sample=False)
    torch.manual_seed(23)
    sampled_ids = gpt.generate(**prompt_batch, max_new_tokens=80, do_sample=True, top_k=0)
prompt_length = prompt_batch["input_ids"].shape[1]
generated = {
    "greedy": [prompt + gpt_tokenizer.decode(ids[prompt_length:], skip_special_tokens=True)
               for prompt, ids in zip(PROMPTS, greedy_ids)],
    "sampled (T = 1)": [prompt + gpt_tokenizer.decode(ids[prompt_length:], skip_special_tokens=True)
                        for prompt, ids in zip(PROMPTS, sampled_ids)],
    "held-out stories (control)": splits.test[:8],
}
print("greedy:", generated["greedy"][0][:300])
print()
memorisation, training_set = {}, set(splits.train)
for name, texts in generated.items():
    fractions = [fraction_in_training(text) for text in texts]
    runs = [longest_copied_run(text) for text in texts]
    whole = sum(text.strip() in training_set for text in texts)
    memorisation[name] = (np.mean(fractions), np.median(runs), max(runs))
    print(f"{name:27s} 8-grams in training {np.mean(fractions):5.1%}   longest copied run: median "
          f"{np.median(runs):4.1f} words, max {max(runs):3d}   whole text in training: {whole}/{len(texts)}")

# %% [markdown]
# Compare each generated row with the control row. Overlap with the training data **by itself proves
# nothing**: held-out stories, which the model never saw, overlap too, because the data is repetitive (real
# web text is too: licences, boilerplate, quotes). Memorisation is the *excess* over the control —
# typically largest for greedy decoding, which follows the most frequent path through the training data.
# With templated stories nothing here is private. With real data, the same measurement run on a model
# trained on e-mails or medical notes is a privacy audit.
#
# **Takeaway:** measure copying as overlap with the training data, *against a held-out control*; greedy
# decoding copies most.

# %% [markdown]
# ## 5. Hallucination: fluent is not true
#
# Ask the course's GPT about things that are not in its data. It has seen only stories about animals,
# children and villages — no countries, no science:

# %%
def continue_greedily(prompt: str, new_tokens: int = 25) -> tuple[str, float]:
    """Greedy continuation and the mean probability the model gave each token it chose."""
    batch = gpt_tokenizer(gpt_tokenizer.eos_token + prompt, return_tensors="pt")
    with torch.no_grad():
        out = gpt.generate(**batch, max_new_tokens=new_tokens, do_sample=False, output_scores=True,
                           return_dict_in_generate=True)
    chosen = out.sequences[0, batch["input_ids"].shape[1]:]
    probabilities = [step.softmax(-1)[0, token].item() for step, token in zip(out.scores, chosen)]
    return gpt_tokenizer.decode(chosen, skip_special_tokens=True), float(np.mean(probabilities))


confidences = []
for prompt in ("Once upon a time, there was a fox", "The president of France is",
               "The boiling point of water is", "Dr. Rivera's home address is"):
    continuation, confidence = continue_greedily(prompt)
    confidences.append(confidence)
    print(f"[mean p of chosen tokens {confidence:.2f}] {prompt} ->{continuation[:110]!r}")
uniform = 1 / len(gpt_tokenizer)
print(f"(a uniform guess over the vocabulary gives each token p = 1/{len(gpt_tokenizer)} = {uniform:.4f}; "
      f"the lowest mean above is {min(confidences) / uniform:,.0f} times that)")

# %% [markdown]
# The model does not answer "I don't know": it has no such notion. It continues with whatever its training
# made likely. Compare the printed confidences: lower after a prompt from outside its world than after a
# story opening, yet far above the probability of a uniform guess (last line), for text that is nonsense as
# an answer. A token's probability measures how typical the text is, not whether it is true. Large models do
# the same in a more convincing way: invented citations, plausible biographies, confident wrong numbers.
# Mitigations: retrieval of sources to ground the answer (section 10), training to abstain, and evaluation
# against references.
#
# **Takeaway:** a language model maximises the likelihood of text, not its truth; fluent output needs
# checking against sources.

# %% [markdown]
# ## 6. Personal data and fine-tuning
#
# Some fine-tuning tutorials train a model on chat logs, e-mails or records about a **real, named person**
# ("make a bot that talks like my colleague", "fine-tune on the patient notes of Mr X"). Section 4 shows
# why that is a problem: what the model saw, it can repeat. Under the EU's GDPR (and similar laws), a model
# trained that way processes personal data, so:
#
# - **lawful basis and purpose** (Art. 5, 6): the person's records were collected for another purpose;
#   consent or another legal basis is needed for this one, and data about health, religious beliefs or
#   political opinions (Art. 9, "special categories") may be processed only under narrow exceptions;
# - **data minimisation** (Art. 5(1)(c)): train on what the task needs; remove or pseudonymise names, addresses,
#   numbers before training, not after;
# - **rights of the person** (Art. 15–17): access, rectification and erasure. Erasing one person from trained weights has
#   no reliable method short of retraining without their data ("machine unlearning" is a research topic);
# - **security** (Art. 32): the weights themselves become sensitive — anyone with the model can try to extract.
#
# Technical help exists — deduplication (repeated text is memorised far more), filtering personal data,
# differentially private training (DP-SGD, Abadi et al., 2016), tests like section 4 — but it supplements,
# and does not replace, the question "should this data be in the model at all?".
#
# **Takeaway:** training on a person's records makes the model a copy of personal data; get the legal
# basis, minimise, and assume that it can be extracted.

# %% [markdown]
# ## 7. Bias: an association test on MiniLM embeddings
#
# Embeddings learned from human text inherit its associations. The **Word Embedding Association Test**
# (WEAT, Caliskan, Bryson and Narayanan, 2017) measures them with two sets of **target** words $X$, $Y$ (for
# example male and female first names) and two sets of **attribute** words $A$, $B$ (career and family
# words). For a word $w$:
#
# $$s(w, A, B) = \operatorname{mean}_{a \in A} \cos(w, a) - \operatorname{mean}_{b \in B} \cos(w, b),$$
#
# how much closer $w$ is to $A$ than to $B$. The **effect size** compares the targets, in units of the spread
# of $s$ over all target words:
#
# $$d = \frac{\operatorname{mean}_{x \in X} s(x, A, B) - \operatorname{mean}_{y \in Y} s(y, A, B)}
#           {\operatorname{std}_{w \in X \cup Y}\, s(w, A, B)},$$
#
# with the **sample** standard deviation (divisor $n - 1$, `torch.std`'s default) over the $|X| + |Y|$ values
# pooled. Like Cohen's $d$, $|d| \approx 0.8$ or more is "large"; $d$ lies in $[-2, 2]$ for equal set sizes.
#
# We embed each word with MiniLM and mean pooling (lesson 16). The word lists are those of the original
# WEAT 6 (career / family), which Caliskan et al. took from an Implicit Association Test of Nosek, Banaji
# and Greenwald (2002), with a control: two random halves of a list of musical instruments, which should
# show no association with career or family.

# %%
minilm_tokenizer, minilm = course.load_minilm(attentions=False)


def embed(texts: list[str]) -> torch.Tensor:
    """MiniLM mean-pooled embeddings, (n, 384)."""
    batch = minilm_tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = minilm(**batch).last_hidden_state                       # (n, tokens, 384)
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)        # (n, tokens, 1)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1)


WORDS = {
    "male names": "John Paul Mike Kevin Steve Greg Jeff Bill".split(),
    "female names": "Amy Joan Lisa Sarah Diana Kate Ann Donna".split(),
    "career": "executive management professional corporation salary office business career".split(),
    "family": "home parents children family cousins marriage wedding relatives".split(),
}
instruments = "guitar piano violin drum flute trumpet cello harp clarinet banjo organ oboe trombone tuba saxophone bugle".split()
random.Random(0).shuffle(instruments)
WORDS["instruments, half 1"], WORDS["instruments, half 2"] = instruments[:8], instruments[8:]
vectors = {name: embed(words) for name, words in WORDS.items()}
print({name: tuple(tensor.shape) for name, tensor in vectors.items()})

# %% [markdown]
# ### Exercise 23.2 — The WEAT effect size (3 points)
#
# Write `association_effect_size(X, Y, A, B)`.
#
# - `X` `(n_x, d)`, `Y` `(n_y, d)`: target embeddings; `A` `(n_a, d)`, `B` `(n_b, d)`: attribute
#   embeddings; floating-point tensors, rows **not** normalised (use the cosine, not the dot product), each
#   set with at least 2 rows.
# - Return a Python `float`: $d$ as defined above — $s$ with means of cosines, numerator the difference of the
#   mean $s$ over $X$ and over $Y$, denominator the **sample** standard deviation of the $n_x + n_y$ values
#   of $s$ pooled (not the mean of the two groups' deviations, not divisor $n$).
# - Compute in the input's precision (float64 in: no cast to float32); do not modify the inputs; vectorise
#   (a cosine-similarity matrix per set, no Python loop over the words).

# %% nbgrader={"solution": true, "grade_id": "ex23_2"}
def association_effect_size(X: torch.Tensor, Y: torch.Tensor, A: torch.Tensor, B: torch.Tensor) -> float:
    """WEAT effect size d of targets X vs Y with respect to attributes A vs B.

    Args:
        X, Y: target embeddings (n_x, d) and (n_y, d).
        A, B: attribute embeddings (n_a, d) and (n_b, d).

    Returns:
        (mean_x s(x) - mean_y s(y)) / sample std of s over X and Y pooled, as a float.
    """
    ### BEGIN SOLUTION
    def association(W):                                          # (n, d) -> (n,)
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)        # noqa: E731
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    s_x, s_y = association(X), association(Y)
    return ((s_x.mean() - s_y.mean()) / torch.cat([s_x, s_y]).std()).item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex23_2_test", "points": 3}
# Self-check 1: a 2-D example you can do by hand.
unit_x, unit_y = torch.tensor([[1.0, 0.0], [2.0, 0.0]]), torch.tensor([[0.0, 1.0], [0.0, 3.0]])
hand_d = association_effect_size(unit_x, unit_y, torch.tensor([[1.0, 0.0], [5.0, 0.0]]), torch.tensor([[0.0, 1.0], [0.0, 0.5]]))
# s = cos(w, A) - cos(w, B): +1 for both x, -1 for both y. Numerator 2; sample std of [1, 1, -1, -1] = sqrt(4/3).
assert isinstance(hand_d, float), f"return a Python float (.item()), got {type(hand_d).__name__}"
assert math.isclose(hand_d, 2 / math.sqrt(4 / 3), rel_tol=1e-6), (
    f"expected 2 / sqrt(4/3) = {2 / math.sqrt(4 / 3):.4f}, got {hand_d:.4f}. The vectors have different lengths: "
    "use cosines (normalise the rows), and divide by the SAMPLE std (n - 1) of all four s values pooled")
# Self-check 2: swapping X and Y flips the sign; scaling the vectors changes nothing.
torch.manual_seed(0)
check_sets = [torch.randn(n, 6, dtype=torch.float64) for n in (5, 4, 3, 6)]
d_check = association_effect_size(*check_sets)
assert math.isclose(association_effect_size(check_sets[1], check_sets[0], *check_sets[2:]), -d_check, rel_tol=1e-9)
scaled = [tensor * torch.rand(len(tensor), 1, dtype=torch.float64) * 10 for tensor in check_sets]
assert math.isclose(association_effect_size(*scaled), d_check, rel_tol=1e-9), (
    "rescaling the embeddings changed d: use cosine similarities, not dot products")
print(f"Self-check passed (d on random vectors = {d_check:.3f}).")
### BEGIN HIDDEN TESTS
from course.checks import assert_no_python_loops, call_checking_inputs


def reference_effect_size_hidden(X, Y, A, B, ddof=1):
    def s(W):
        return (F.cosine_similarity(W[:, None], A[None], dim=-1).mean(1)
                - F.cosine_similarity(W[:, None], B[None], dim=-1).mean(1))
    s_x, s_y = s(X), s(Y)
    return ((s_x.mean() - s_y.mean()) / torch.cat([s_x, s_y]).std(correction=ddof)).item()


generator_hidden = torch.Generator().manual_seed(2302)
for n_x, n_y, n_a, n_b, dim in ((8, 8, 8, 8, 16), (5, 7, 3, 4, 10), (2, 3, 2, 2, 5), (12, 6, 9, 5, 384)):
    sets_hidden = [torch.randn(n, dim, generator=generator_hidden, dtype=torch.float64)
                   * torch.rand(n, 1, generator=generator_hidden, dtype=torch.float64) * 5 + 0.3
                   for n in (n_x, n_y, n_a, n_b)]
    expected = reference_effect_size_hidden(*sets_hidden)
    result = call_checking_inputs(association_effect_size, *sets_hidden)
    assert isinstance(result, float), f"return a Python float, got {type(result).__name__}"
    assert not math.isclose(result, reference_effect_size_hidden(*sets_hidden, ddof=0), rel_tol=1e-6), (
        "you divided by the population std (divisor n): the convention here is the sample std, divisor n - 1 "
        "(torch.std's default)")
    assert math.isclose(result, expected, rel_tol=1e-6, abs_tol=1e-9), (
        f"sizes {(n_x, n_y, n_a, n_b)}: expected d = {expected:.6f}, got {result:.6f}. Check: cosines (not dot "
        "products), mean over A minus mean over B, difference of the means of s over X and Y, divided by the "
        "sample std of all the s values of X and Y pooled")
# The sets of the lesson (float32), an extra check of precision in float64.
expected = reference_effect_size_hidden(*(vectors[k] for k in ("male names", "female names", "career", "family")))
result = association_effect_size(*(vectors[k] for k in ("male names", "female names", "career", "family")))
assert math.isclose(result, expected, rel_tol=1e-4), f"on the lesson's MiniLM vectors expected {expected:.5f}, got {result:.5f}"
tiny_hidden = [torch.tensor([[1.0, 1e-9]], dtype=torch.float64) + torch.randn(3, 2, generator=generator_hidden,
                                                                                  dtype=torch.float64) * 1e-7
               for _ in range(4)]
expected = reference_effect_size_hidden(*tiny_hidden)
assert math.isclose(association_effect_size(*tiny_hidden), expected, rel_tol=1e-5), (
    "on nearly parallel float64 vectors your d differs from the float64 reference: compute in the input's dtype")
assert_no_python_loops(association_effect_size)
### END HIDDEN TESTS

# %% [markdown]
# On MiniLM (this cell uses your function):

# %%
TESTS = {
    "names: male vs female, career vs family": ("male names", "female names", "career", "family"),
    "control: instruments vs instruments":     ("instruments, half 1", "instruments, half 2", "career", "family"),
}
try:
    for title, names in TESTS.items():
        print(f"{title:42s} d = {association_effect_size(*(vectors[name] for name in names)):+.2f}")
except NotImplementedError:
    print("Exercise 23.2 is not done yet: the effect sizes of the two tests will appear here.")

# %% [markdown]
# A large $d$ with 8 words per list could still be luck: a different choice of 8 names might give another
# number. The **permutation test** asks how often a *random* relabelling of the targets gives an effect at
# least as large. If the names carried no information about career versus family, the split into "male"
# and "female" would be as good as any other split of the 16 names.
#
# ### Exercise 23.3 — A permutation test (2 points)
#
# Write `permutation_p_value(X, Y, A, B, n_permutations=5000, seed=0)`.
#
# - Compute $s(w, A, B)$ once for every target word (it does not depend on the labels), and the observed
#   statistic $T = \operatorname{mean}_X s - \operatorname{mean}_Y s$ (the numerator of $d$).
# - Draw `n_permutations` random relabellings: shuffle the $n_x + n_y$ values of $s$ (with
#   `torch.randperm(..., generator=torch.Generator().manual_seed(seed))`, which leaves PyTorch's global random
#   state alone), call the first $n_x$ "X" and the rest "Y", and compute $T_i$.
# - **Convention: two-sided**, counting the observed labelling as one of the permutations:
#   $$p = \frac{1 + \#\{i : |T_i| \ge |T|\}}{1 + n_\text{permutations}}.$$
#   Two-sided because we did not decide the direction of the effect before looking; the $+1$ keeps $p > 0$
#   (a finite number of draws cannot prove an effect impossible under chance).
# - Return a Python `float`; the same seed must give the same value. Do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex23_3"}
def permutation_p_value(X: torch.Tensor, Y: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                        n_permutations: int = 5000, seed: int = 0) -> float:
    """Two-sided permutation p-value of the WEAT statistic mean_X s - mean_Y s.

    Args:
        X, Y: target embeddings (n_x, d) and (n_y, d).
        A, B: attribute embeddings (n_a, d) and (n_b, d).
        n_permutations: number of random relabellings.
        seed: seed of the torch.Generator that draws them.

    Returns:
        (1 + #{|T_i| >= |T|}) / (1 + n_permutations), as a float.
    """
    ### BEGIN SOLUTION
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)        # noqa: E731
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    scores = torch.cat([association(X), association(Y)])         # (n_x + n_y,)
    n_x = len(X)
    observed = scores[:n_x].mean() - scores[n_x:].mean()
    generator = torch.Generator().manual_seed(seed)
    orders = torch.stack([torch.randperm(len(scores), generator=generator) for _ in range(n_permutations)])
    shuffled = scores[orders]                                    # (n_permutations, n_x + n_y)
    statistics = shuffled[:, :n_x].mean(dim=1) - shuffled[:, n_x:].mean(dim=1)
    at_least_as_extreme = (statistics.abs() >= observed.abs() - 1e-12).sum().item()
    return (1 + at_least_as_extreme) / (1 + n_permutations)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex23_3_test", "points": 2}
# Self-check: against the exact p-value, computed over ALL the 252 ways to split 10 words into 5 + 5.
import itertools


def exact_two_sided_p(X, Y, A, B):
    """Exact two-sided permutation p-value, enumerating every split (small sets only)."""
    def s(W):
        return (F.cosine_similarity(W[:, None], A[None], dim=-1).mean(1)
                - F.cosine_similarity(W[:, None], B[None], dim=-1).mean(1))
    scores, n_x = torch.cat([s(X), s(Y)]), len(X)
    observed = (scores[:n_x].mean() - scores[n_x:].mean()).abs()
    splits_all = list(itertools.combinations(range(len(scores)), n_x))
    hits = 0
    for chosen in splits_all:
        inside = torch.zeros(len(scores), dtype=torch.bool)
        inside[list(chosen)] = True
        hits += bool((scores[inside].mean() - scores[~inside].mean()).abs() >= observed - 1e-12)
    return hits / len(splits_all)


torch.manual_seed(3)
small_sets = [torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64) + 0.4,
              torch.randn(4, 4, dtype=torch.float64), torch.randn(4, 4, dtype=torch.float64)]
exact = exact_two_sided_p(*small_sets)
estimate = permutation_p_value(*small_sets, n_permutations=4000, seed=1)
assert isinstance(estimate, float), f"return a Python float, got {type(estimate).__name__}"
assert abs(estimate - exact) < 0.04, (
    f"the exact two-sided p-value is {exact:.3f}, your estimate {estimate:.3f}. Count |T_i| >= |T| (both "
    "directions), over n_permutations random shuffles of the s values, and use (1 + count) / (1 + n)")
assert permutation_p_value(*small_sets, n_permutations=500, seed=7) == permutation_p_value(*small_sets, n_permutations=500, seed=7), (
    "the same seed must give the same p-value: draw with torch.Generator().manual_seed(seed)")
print(f"Self-check passed: exact p = {exact:.3f}, your estimate {estimate:.3f}.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

generator_hidden = torch.Generator().manual_seed(2303)
for shift, n_x, n_y in ((0.0, 4, 6), (0.5, 5, 5), (0.9, 6, 4), (-0.6, 5, 5)):
    sets_hidden = [torch.randn(n_x, 5, generator=generator_hidden, dtype=torch.float64),
                   torch.randn(n_y, 5, generator=generator_hidden, dtype=torch.float64) + shift,
                   torch.randn(4, 5, generator=generator_hidden, dtype=torch.float64),
                   torch.randn(3, 5, generator=generator_hidden, dtype=torch.float64)]
    exact = exact_two_sided_p(*sets_hidden)
    result = call_checking_inputs(permutation_p_value, *sets_hidden, 4000, 11)
    assert isinstance(result, float), f"return a Python float, got {type(result).__name__}"
    assert abs(result - exact) < 0.04, (
        f"exact two-sided p = {exact:.3f}, yours {result:.3f} (sizes {n_x} + {n_y}). A one-sided count "
        "(T_i >= T only) is about half of it when T > 0 and near 1 when T < 0; compare |T_i| with |T|")
# Perfectly separated targets: no permutation beats the observed split, p is small but never 0.
far_x = torch.tensor([[1.0, 0.0, 0.0]] * 10) + torch.randn(10, 3, generator=generator_hidden) * 0.01
far_y = torch.tensor([[0.0, 1.0, 0.0]] * 10) + torch.randn(10, 3, generator=generator_hidden) * 0.01
attributes_a = torch.tensor([[1.0, 0.1, 0.0], [0.9, 0.0, 0.2]])
attributes_b = torch.tensor([[0.0, 1.0, 0.1], [0.1, 0.9, 0.0]])
result = permutation_p_value(far_x, far_y, attributes_a, attributes_b, 999, 0)
assert 0 < result <= 0.01, (
    f"with perfectly separated targets p must be tiny but positive (1 + count) / (1 + n); got {result}")
assert result >= 1 / 1000, "p can never be below 1 / (1 + n_permutations): count the observed labelling"
# n_permutations is respected: with 99 random splits of 10 + 10 words none reaches the observed one, p = 1/100.
result = permutation_p_value(far_x, far_y, attributes_a, attributes_b, 99, 0)
assert math.isclose(result, 1 / 100, abs_tol=1e-12), (
    f"with n_permutations=99 and no random split as extreme as the observed one, p = (1 + 0) / (1 + 99) = 0.01; "
    f"got {result}")
# Every target has the same association (s = 1 exactly: axis vectors, exact cosines): every relabelling gives
# T_i = T = 0, a tie, and ties count, so p = (1 + n) / (1 + n) = 1.
axis_x = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
result = permutation_p_value(axis_x.repeat(4, 1), 3 * axis_x.repeat(6, 1),
                             torch.tensor([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]], dtype=torch.float64),
                             torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 3.0]], dtype=torch.float64), 200, 0)
assert math.isclose(result, 1.0, abs_tol=1e-12), (
    f"every target word has the same association, so every relabelling ties the observed |T| = 0 and p must be 1; "
    f"got {result}. Count |T_i| >= |T| (ties included), not |T_i| > |T|")
# The global random generator is left alone: draws come from the function's own torch.Generator.
rng_state_hidden = torch.get_rng_state()
permutation_p_value(*small_sets, n_permutations=50, seed=3)
assert torch.equal(rng_state_hidden, torch.get_rng_state()), (
    "your function changed PyTorch's global random state (torch.manual_seed, or a draw without generator=): "
    "draw with torch.randperm(..., generator=torch.Generator().manual_seed(seed)), which leaves the rest of the "
    "notebook's random numbers alone")
### END HIDDEN TESTS

# %% [markdown]
# The p-values of the two tests (this cell uses your functions):

# %%
try:
    for title, names in TESTS.items():
        sets = [vectors[name] for name in names]
        print(f"{title:42s} d = {association_effect_size(*sets):+.2f}   "
              f"two-sided p = {permutation_p_value(*sets, n_permutations=5000, seed=0):.4f}")
    templated = {name: embed([f"This is {word}." for word in WORDS[name]])
                 for name in ("male names", "female names", "career", "family")}
    print(f"{'the same, words in the sentence This is _.':42s} d = "
          f"{association_effect_size(*templated.values()):+.2f}")
except NotImplementedError:
    print("Exercises 23.2 and 23.3 are not both done yet: the p-values of the two tests will appear here.")

# %% [markdown]
# Read the numbers with care:
#
# - compare the names test with the control: the control's $d$ and $p$ show how large an "effect" random
#   lists produce;
# - the result depends on the **lists** (8 words each, chosen by people) and on how words are embedded —
#   the same words inside a sentence template give another $d$ (last line). Report the lists and the
#   template with the number;
# - an association between names and career words in embedding space is a **measurement of the geometry**,
#   not proof that a system built on it treats people unfairly. That needs a test of the downstream task
#   (e.g. equal error rates for comparable inputs). May et al. (2019) adapted WEAT to sentence encoders
#   (SEAT), found mixed results, and warned that cosine-based tests may not carry over to them;
# - a small p-value only says the split is unlikely under random relabelling of *these* words.
#
# **Takeaway:** WEAT measures an association with an effect size and a permutation p-value; state the word
# lists, the pooling and the sidedness, and test the downstream system before calling it biased.

# %% [markdown]
# ## 8. Compute and energy: the $6ND$ rule
#
# Training a Transformer of $N$ parameters on $D$ tokens takes about $C \approx 6ND$ floating-point
# operations (Kaplan et al., 2020): each parameter takes part in one multiply-add (2 FLOPs) per token in the
# forward pass, and about twice that in the backward pass. The rule leaves out attention's own
# $L^2$ term (small while $L$ is well below $6d$, section 1). Kaplan et al. leave the embeddings out of
# $N$; we count all the parameters, because in the course's models the token embedding is also the output
# layer, whose product with every hidden state does cost FLOPs.
#
# For the course's models, $N$ comes from the manifest. $D$ (tokens processed during training, counting
# repeats) is not in it, so we compute it from the training recipe: the GPT trains on windows of
# `n_positions` tokens, so $D = \text{steps} \times \text{batch} \times \text{n\_positions}$; the BERT
# trains on whole texts, padded to the longest of each batch, and we count only their real tokens:
# $\text{steps} \times \text{batch} \times$ the mean number of tokens of a training text (from its
# tokenizer, over 2000 texts) — a lower bound, since the padding positions are computed too. (The manifest
# also records how long each build took, but that time covers the tokenizer, the data and the evaluation as
# well as the training, so dividing the FLOPs by it would not give the speed of training.)

# %%
models_info = manifest()["models"]
gpt_info, bert_info = models_info["gpt"], models_info["bert"]
tokens_gpt = gpt_info["training"]["steps"] * gpt_info["training"]["batch_size"] * gpt_info["architecture"]["n_positions"]
bert_tokenizer = course.load_bert()[0]
bert_lengths = [min(len(ids), bert_info["architecture"]["max_position_embeddings"])
                for ids in bert_tokenizer(splits.train[:2000])["input_ids"]]
tokens_bert = bert_info["training"]["steps"] * bert_info["training"]["batch_size"] * float(np.mean(bert_lengths))
compute_rows = {}
for name, info, tokens in (("course GPT", gpt_info, tokens_gpt), ("course BERT", bert_info, tokens_bert)):
    flops = 6 * info["parameters"] * tokens
    compute_rows[name] = flops
    print(f"{name:11s} N = {info['parameters']:>9,}  D = {tokens:>12,.0f} tokens  C = 6ND = {flops:.2e} FLOPs")
print(f"the GPT's training corpus holds {gpt_info['data']['train_tokens']:,} tokens: its {gpt_info['training']['steps']} "
      f"steps saw the equivalent of {tokens_gpt / gpt_info['data']['train_tokens']:.1f} passes over it")

# %% [markdown]
# GPT-3 (Brown et al., 2020): $N = 175 \times 10^9$ parameters, $D = 300 \times 10^9$ training tokens. We
# also measure this machine's speed on one 512 × 512 matrix product, on one thread — the kind of work a CPU
# core does fastest:

# %%
N_GPT3, D_GPT3 = 175e9, 300e9
flops_gpt3 = 6 * N_GPT3 * D_GPT3
size = 512
left, right = torch.randn(size, size), torch.randn(size, size)
matmul_flops_per_second = 2 * size ** 3 / median_seconds(torch.matmul, left, right, repeats=5)
ACCELERATOR_FLOPS = 1e15   # stated assumption: 1 PFLOP/s, the order of one recent data-centre GPU's dense bf16 peak
SECONDS_PER_YEAR = 365.25 * 24 * 3600
print(f"GPT-3: C = 6 x 175e9 x 300e9 = {flops_gpt3:.2e} FLOPs  ({flops_gpt3 / compute_rows['course GPT']:.1e} x the course GPT)")
print(f"this CPU thread, measured: {matmul_flops_per_second:.2e} FLOP/s -> GPT-3 would take "
      f"{flops_gpt3 / matmul_flops_per_second / SECONDS_PER_YEAR:,.0f} years")
print(f"at {ACCELERATOR_FLOPS:.0e} FLOP/s all the time: {flops_gpt3 / ACCELERATOR_FLOPS / 86400:,.0f} days on one "
      f"accelerator, or {flops_gpt3 / ACCELERATOR_FLOPS / 86400 / 1000:.1f} days on 1000 of them (perfect scaling)")

# %% [markdown]
# The GPT-3 paper reports about $3.14 \times 10^{23}$ FLOPs (its appendix D), which is the $6ND$ figure
# above. Real training runs sustain only a fraction of an accelerator's peak (often 30–50 %), and scaling
# over many accelerators is not perfect: multiply the days above accordingly. Energy follows from time × power: Patterson et al. (2021) estimated GPT-3's training at about
# 1,300 MWh, and showed that the data centre, the hardware and the grid's carbon intensity change the
# emissions by an order of magnitude or more. Inference adds up too: a deployed model answers billions of
# requests. This is one reason for the research below — and for using the smallest model that does the job
# (lesson 22's quantisation, distillation).
#
# **Takeaway:** $C \approx 6ND$; divide by a *measured or stated* FLOP/s to get time, multiply time by power
# to get energy, and state every assumption.

# %% [markdown]
# ## 9. Check your understanding
#
# ### Exercise 23.4 — What a fused kernel saves (1 point)
#
# In section 1, `F.scaled_dot_product_attention` returned the same output as the naive version. Which
# statement matches the measurements?
#
# - (a) It computes attention with fewer operations, in time proportional to $L$, so its fitted exponent is 1.
# - (b) It never stores the $L \times L$ scores, so memory grows like $L$; it still computes all $L^2$ of them.
# - (c) It approximates the softmax by a kernel feature map (linear attention), trading accuracy for speed.
# - (d) It skips the scores of distant tokens (a sliding window), so long inputs cost less than short ones.
#
# Set `answer_23_4` to `"a"`, `"b"`, `"c"` or `"d"`. Run the grade cell below it: it tells you at once
# whether your choice is right, and why.

# %% nbgrader={"solution": true, "grade_id": "ex23_4"}
### BEGIN SOLUTION
answer_23_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex23_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_23_4", answer_23_4, (
    "quiz1:eyJrZXkiOiAiNjc1YTdlMWNiZWE5MTg1MDA4MjE0Mzg5MGRiM2Y3NGZiZDkxNDY4MGNmMDBjMDQ2MzU0YTE2MjRlNz"
    "FjNTA1YSIsICJuYW1lIjogImFuc3dlcl8yM180IiwgIm9wdGlvbnMiOiB7ImEiOiAicFd1NU9laFhqTm93YnAwWlVHZ2FzT2"
    "VDWnE0UEtLNEM5Mkl4STRHSXpzUFEzcXpubUdSWmJIcU96M1pwUlpka3pxNGJORHI4bG5Da2pwVVhybFpKNUdEYzc2NGduY3"
    "RZc1dPNWJ4ZnNwUEZmWDNoL244M2d4UTgzdkFwa3YrdjVsZEhkczQwMDRJQVdwQmJvRWZSYVZSb3liL3VJUDlRMld2QTJ5cX"
    "Y4L05YMjZTcmpvUzMyWUlSWUwxa3JFeUNkNkZBd3BVNUFMV0R0WkQvdkVpK0dGVkRrUS9JYWtIcTluWUl6R0E3N3lRbndyWW"
    "cyZkJaVjFyaWI1MHNEUmJPQzRQN3NjK1U0VmNTUiIsICJiIjogIjFkYzlYWENsQzJzMmdCZkp0NEZ6RUVBc25UMXZOT0R2Vk"
    "VUZWdNNFY4L3l6TnJnZ0hHQ0d4cTc0cUx4TE1hVE04eUZwaE5XTDdnRS9rRHdnN0F6d1o3VENiTmQyYldzcGdha1BqcjQxMG"
    "1Sdm02QVNaNlBpSHBTRzQwOUdRTGFxcE12cHBscldMa3g0QmVLdk5wZHUrVU1uVHZVUjdydzU0R3ZobUJ2cGJoZVZ1a2svVk"
    "V3aVA1YzNZbmxXaFMwZDRXb2JMbC9OckV0bU9xVm8zMzVrczliVFFOQU1FZFlycU5xUWtXK3U0SDFMcERSSzhkWUROOU9iMy"
    "9BeHR5VnQwOUh3NERLWTlTOFVRbk04QkxjQyIsICJjIjogIkhzenNJVmpVS2VHUHhQZmZKQlhCeVRUdDc2T29xa21QbDZMMm"
    "5EUkFrR0MyN1ZHd2dXNVozdDdOU2d5QnluSDZrSVZQNG16VjQzbHNzcWtBWHNEK1BkQnQ4dFlwdEowTnhmRWdUeGRyS0NOK0"
    "1kdmh1WVdoaDhmamVqbEU2NjRhSWsxbEtBMUNXeFBhbGZNUUkvY0FVL0dCRnhLd2dmQi8weFI2eXRZTmNaTWRiNFZneUNIdX"
    "RpV0ZjTlV3dFl5OU5wY1MzZndvMzhDb1F5SzJoRXJWaVBTb2FKeU50aUtRIiwgImQiOiAiQ2s5a29GbzM3OUJuYm5EQVJrRW"
    "o2ZytYYmNkcmhKYldlUzU1UE5WRllQMmpVeHp2ejR1UTF4OGp2WTZVOWo1TUI0WGRZejZkSmh2WUtPZVl4c2hmY0dpdk1Lcl"
    "diT3JpbDZqYWtJaklNQVVJNTNFNkdLN2pkRng0dmtidDRzbWFvK010VlEzajMybU9TQzhvWVl5cEN0ajBpeEVsU2FMRmtLen"
    "ZsbEZlaXpzZmVaUFVicjN0cDE2T3NzdG8ybXpEVFZrTU9xVHEvTEFwTUpXbEQ4WkZzczZKdjlTdVZHMFZSbFpNb0pXT055Sz"
    "BETmtPME9IcEVmYit6dlo2In0sICJzYWx0IjogIjMxZTU0NDNiNzNkMTQ5N2IifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_23_4", answer_23_4, "b", {
    "a": "The FLOPs are the same: every query is still scored against every key. Section 1's fit of SDPA's "
         "time gives an exponent well above 1; what changed is the memory, which no longer holds the L x L "
         "scores.",
    "b": "Right: the fused kernel computes the scores block by block with a running softmax and never hands "
         "back an L x L tensor, so memory grows like L; the number of scores, and so the time's exponent, "
         "stays near 2.",
    "c": "SDPA is exact: section 1 checked it against the naive version with assert_close. Linear attention is "
         "a different function (section 2), not what PyTorch's SDPA computes.",
    "d": "Without a mask SDPA scores every pair of tokens; the sliding window of section 2 is a separate idea, "
         "and even there a mask alone does not cut the cost, only skipping the masked blocks does.",
})
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 23.5 — Reading a memorisation measurement (1 point)
#
# A team reports that 40 % of the 8-grams their model generates occur verbatim in its training data, and
# concludes that the model memorises. What is missing before that conclusion can be drawn?
#
# - (a) Nothing: verbatim 8-grams cannot occur by chance, so 40 % is memorised text.
# - (b) A larger n: with 8-grams every overlap is a coincidence; only 50-grams count as memorisation.
# - (c) Sampling at a higher temperature, which is how memorised text is usually extracted.
# - (d) The same measure on held-out text from the same source, the control.
#
# Set `answer_23_5` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex23_5"}
### BEGIN SOLUTION
answer_23_5 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex23_5_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_23_5", answer_23_5, (
    "quiz1:eyJrZXkiOiAiMTBjODE1MjIzNzhkMTk5Yjk0YTdjMDU2MWNkNzI3MTM0ZjYyZTZjOTg4YTZhYjFmY2U5MmI3N2M1ZT"
    "hlYTcyYyIsICJuYW1lIjogImFuc3dlcl8yM181IiwgIm9wdGlvbnMiOiB7ImEiOiAiTTR0ZG1zaWZzME51WWlHK0Eyb2xGVi"
    "tNbWtHd3BMaWVwVisyVHBPWW9oWkJuYU1XeFBPaGJoTVY3L2JCRG1zQkR3VWE5ajVwV2h3SVpRcXFDdWdMazBaSUl1VVhjUj"
    "ZVYXJoc05wNjNnQWNDOGFrSE0zQjlUY0plZ0Fpb1d0ZWZ6cjhxTmx6RTRGcnpIOEs3bUpWVjV1eTA3dzNzaDE4WjdWT0UzVn"
    "R0aXFoYXZldytLK1c5a1d4ZVJUK09TUTJKbFFzZlBCVC9PbmdQWU9vaHZaQlV6WEtHdTBXTTBjVWNKcVgxcGU0YXIyTTU1ZH"
    "p5bFdHSzZEOGVhczFFQU9RaEJaR3FkcG44aXNkUmUvd3BwZjJDOXJ3UCtsMjJXSkVyNHZUSGlNYklmQW4xNXNXOXdIVi96Uz"
    "k4NjNEdS9GQUFLdFdlIiwgImIiOiAid1pxenNOc0xINHVHaVdOODRvRDFZdWVqemFlL2RObDF1RUxaMmxVQVY4RWlPSHpNUl"
    "o5SFpYU3JOdnRtZ3VmeTB3Q05CT3FVa2ZXbElBV0xaYURjL25xOEVhVlZFbUd4RnkzRzlZRU1vSndHT2JRdkNsYmt4R2Z1OD"
    "VzSkVaS0VwbTJUYlpHTWlVSlZLck9KMkt2cEdCb1ZiYUVSeWpQVzdDMnowd1hTVjVFL0kzTloxZC9TT3hXdWdta3o0aVVxUz"
    "VwWVdjVFQ4WklQU3UzSUFYeXR2NVlTZVNCeHlvSnJGQk5VQUl3QXpxUzZTRHRhWDcwPSIsICJjIjogIktrTVRqd3JtLzZ4Wn"
    "R4MjF3L3NQdi9RcUQ2dE0yRDhueElTaUIyYVg3TTFrODJnekJTSW9QTnp2a3R3eGIrWDlFZjdFMloxcW9Mbk1ET251bGdFdF"
    "gzanNHQTBqckZUTnhya1RERGZKR1Vsb2Ezd1pXclZkdHpLcHhsT2swZzVaRjcrVFZlbERVeDhKNUJKQnc5SFJsVGlDOTJJMG"
    "J0OFNNYnlEUUhxbEYweXhRWmI4VDZ4Nnk4NDMzV0dNTHVXb09vcW1RbmU1dUc0PSIsICJkIjogIm1LTlZzZ2Y2bGpleU1udm"
    "tmdXRvTEIwSDNnZHFLUG5UMzE2eFQyaUxaaWtlU2c2cTBxMzRMRTVOMEl3LzBOUDEwUzliNDB3UlFyY0xZQXphR2pQUkhDUU"
    "F3WmtmWDB6c2c0dzZpSU1BM2RORjJHL3dBOW1iT3RVNitsNXNRejNOcEY4eHAyeUxOQUwyUGwzVnpBQWY3UEZuNDhJVzRXRE"
    "RjajNvRVFjMVhrTHZwQ0paaVd3SGFySFRCMXBRZzBjZ0xWM2Q1WUtJY2hxV1lyZVIzTFM4ZEJ0Yi9Pd0hFQTdFSjM3SFl0Wn"
    "phanhoYWMwQjNlczR0VzJQbkJLVnpxMlVFZz09In0sICJzYWx0IjogIjA5ZmQyNGQ5NWUwNGZmZGIifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_23_5", answer_23_5, "d", {
    "a": "Section 4 shows held-out stories, which the model never saw, sharing many 8-grams with the "
         "training data: repetitive text (templates, boilerplate, quotes) overlaps by itself. Only the excess "
         "over a held-out control is evidence of memorisation.",
    "b": "A longer n lowers the overlap of every text, including held-out text, but it does not replace the "
         "comparison: without a control you cannot tell copying from repetitive data at any n.",
    "c": "Sampling changes how much is copied (greedy decoding usually copies more), but the conclusion still "
         "needs a baseline: held-out text scored the same way.",
    "d": "Right: held-out text from the same source shows how much overlap repetitive data produces without "
         "any memorisation (section 4's control row); the model memorises only as far as it exceeds that.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## 10. Where research is going
#
# - **Efficient attention.** Exact but memory-efficient kernels: Rabe and Staats (2021), *Self-attention
#   Does Not Need $O(n^2)$ Memory*, arXiv:2112.05682; Dao et al. (2022), *FlashAttention*, arXiv:2205.14135;
#   Dao (2023), *FlashAttention-2*, arXiv:2307.08691. Sparse and local patterns: Child et al. (2019), *Sparse
#   Transformers*, arXiv:1904.10509; Beltagy, Peters and Cohan (2020), *Longformer*, arXiv:2004.05150.
#   Linear attention: Katharopoulos et al. (2020), *Transformers are RNNs*, arXiv:2006.16236; Choromanski et
#   al. (2020), *Performer*, arXiv:2009.14794.
# - **State-space models**, recurrent in time and linear in $L$: Gu, Goel and Ré (2021), *S4*,
#   arXiv:2111.00396; Gu and Dao (2023), *Mamba*, arXiv:2312.00752.
# - **Retrieval** instead of storing everything in weights, with sources that can be cited and updated:
#   Khandelwal et al. (2019), *kNN-LM*, arXiv:1911.00172; Lewis et al. (2020), *Retrieval-Augmented
#   Generation*, arXiv:2005.11401; Borgeaud et al. (2021), *RETRO*, arXiv:2112.04426.
# - **Longer contexts** and how well they are used: Press, Smith and Lewis (2021), *ALiBi*, arXiv:2108.12409;
#   Liu et al. (2023), *Lost in the Middle*, arXiv:2307.03172.
# - **Scaling and compute**: Kaplan et al. (2020), arXiv:2001.08361; Hoffmann et al. (2022), *Chinchilla*,
#   arXiv:2203.15556 (for a fixed budget, train a smaller model on more tokens).
#
# ## Summary
#
# - Attention is $O(L^2)$ in time; the naive version is also $O(L^2)$ in memory. Fused kernels remove the
#   memory term, not the time term; windows and linear attention change the function to change the cost.
#   Fit exponents by least squares on log-log axes.
# - A context window is a hard limit: positions past it crash (learned positions) or degrade, and text
#   that slid out has exactly no influence.
# - Models copy training text; measure copying against a held-out control. Fluency is not truth
#   (hallucination). Training on a person's records makes the model a store of personal data.
# - WEAT gives an effect size and a permutation p-value for an association in embedding space; it depends
#   on the word lists and is not by itself evidence of unfair decisions.
# - Training compute $\approx 6ND$ FLOPs; time and energy follow from a stated FLOP/s and power.
#
# This is the last lesson of the course. What next: take a real task of your own through the whole path —
# data with a leak-free split (15), a pretrained model (16), fine-tuning with LoRA (17–19), honest
# evaluation (15), a measured optimisation and a service (22) — and write down its limits with numbers, as
# this lesson did.
#
# ## Going further
#
# - Brown et al. (2020). *Language Models are Few-Shot Learners* (GPT-3). arXiv:2005.14165.
# - Carlini et al. (2021). *Extracting Training Data from Large Language Models.* arXiv:2012.07805;
#   Carlini et al. (2022). *Quantifying Memorization Across Neural Language Models.* arXiv:2202.07646.
# - Lee et al. (2022). *Deduplicating Training Data Makes Language Models Better.* arXiv:2107.06499.
# - Ji et al. (2023). *Survey of Hallucination in Natural Language Generation.* arXiv:2202.03629.
# - Abadi et al. (2016). *Deep Learning with Differential Privacy.* arXiv:1607.00133.
# - Caliskan, Bryson and Narayanan (2017). *Semantics derived automatically from language corpora contain
#   human-like biases.* Science 356. arXiv:1608.07187; May et al. (2019). *On Measuring Social Biases in
#   Sentence Encoders* (SEAT). arXiv:1903.10561; Greenwald, McGhee and Schwartz (1998), *Measuring
#   individual differences in implicit cognition: the Implicit Association Test*; Nosek, Banaji and
#   Greenwald (2002), *Harvesting implicit group attitudes and beliefs from a demonstration web site*, the
#   source of the career / family word lists.
# - Strubell, Ganesh and McCallum (2019). *Energy and Policy Considerations for Deep Learning in NLP.*
#   arXiv:1906.02243; Patterson et al. (2021). *Carbon Emissions and Large Neural Network Training.*
#   arXiv:2104.10350.
# - Regulation (EU) 2016/679 (GDPR), articles 5, 6, 9, 15–17 and 32.

# ---
# jupyter:
#   course:
#     title: "Fine-tuning"
#     budget_seconds: 80
# ---

# %% [markdown]
# # Lesson 17 · Fine-tuning
# {{COLAB_BADGE}}
#
# A pretrained model knows a language; fine-tuning teaches it a task. The mechanics fit in ten lines, and
# most fine-tuning bugs are not in those lines but in **what the model is asked to predict**: a label mask
# off by one token, an end token that is never a target, a prompt that is trained on by accident. None of
# them crashes; each one produces a model that looks trained and behaves wrongly. This lesson fine-tunes the
# course's own GPT, on CPU, three times — once right and twice with the two classic mistakes — and measures
# the difference on prompts the model never saw.
#
# **You will be able to:**
# - choose between feature extraction, full fine-tuning, partial freezing and LoRA, and count the trainable
#   parameters of each on a real model (and say what "the head" means when it is tied to the embeddings);
# - write a LoRA layer that matches `peft`'s to floating-point precision, with the scaling $\alpha / r$;
# - train with `Trainer` / `TrainingArguments` (transformers 5 names) and with the equivalent hand-written
#   loop, and get the same losses;
# - build a causal-LM training example `prompt + separator + completion + eos` with the right labels, and
#   show with numbers why `pad = eos` and a collator that rebuilds labels from the inputs are wrong;
# - measure catastrophic forgetting as the perplexity on the pre-training text, before and after.
#
# **Prerequisites:** lessons 13 (training loop, AdamW, clipping), 15 (perplexity, held-out data) and 16
# (`AutoModelFor...`, the course's GPT). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers, peft and the course's models).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import copy
import json
import math
import time
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import transformers
from transformers.utils import logging as hf_logging

import course
from course.data import records
from course.data.stories import story_splits
from course.models import checkpoint_path, load_gpt

course.set_seed(0)
torch.set_num_threads(1)  # the model is tiny: one thread is as fast as two, and the numbers are reproducible
hf_logging.set_verbosity_error()  # no progress bars or notices from transformers on stderr
hf_logging.disable_progress_bar()

tokenizer, gpt = load_gpt()
print(f"{type(gpt).__name__}: {gpt.num_parameters():,} parameters, vocabulary {len(tokenizer)}, "
      f"context {gpt.config.n_positions}")
print(f"end token {tokenizer.eos_token!r} id {tokenizer.eos_token_id}, "
      f"pad token {tokenizer.pad_token!r} id {tokenizer.pad_token_id}")

# %% [markdown]
# The course's GPT (lesson 16) is a 4-layer GPT-2 pre-trained on short English stories. Its tokenizer has a
# padding token **distinct** from its end-of-text token — remember that; section 4 shows why it matters.
# An online learner can run every cell below on `distilgpt2` or `gpt2` with
# `AutoModelForCausalLM.from_pretrained("gpt2")` (then set a pad token, see section 4): the code path is the
# same, only slower.

# %% [markdown]
# ## 1. Four ways to adapt a pretrained model
#
# Given a pretrained network and a task, you can train:
#
# 1. **Nothing of the body — feature extraction.** Run the frozen model, take its hidden states as
#    features, train only a small new head on them (a linear classifier, say). Cheap, and the pretrained
#    model cannot be damaged; but the features are whatever pre-training made them.
# 2. **Everything — full fine-tuning.** Every weight moves. The most capable option, and the most
#    expensive: gradients and optimiser state for every parameter (AdamW keeps two extra numbers per
#    weight), one full copy of the model per task, and the risk of **forgetting** what pre-training taught.
# 3. **Some layers — partial freezing.** Freeze the embeddings and the lower layers, train the top layers
#    and the head. A middle ground, used when data are few.
# 4. **Small added matrices — adapters such as LoRA** (Hu et al., 2021). Freeze everything; next to some
#    weight matrices $W$ (shape $d_\text{out} \times d_\text{in}$), learn a low-rank update
#    $\Delta W = \frac{\alpha}{r} B A$ with $A$ of shape $r \times d_\text{in}$ and $B$ of shape
#    $d_\text{out} \times r$, $r$ small (4, 8, 16). The layer computes
#    $$ h = W x + \frac{\alpha}{r}\, B A x .$$
#    $B$ starts at zero, so the adapted model starts exactly equal to the pretrained one. Only $A$ and $B$
#    are trained: $r (d_\text{in} + d_\text{out})$ numbers instead of $d_\text{in} d_\text{out}$, and one task
#    is stored as a file of a few hundred kilobytes next to a shared base model.
#
# Counting trainable parameters is the first thing to check, on every set-up: a "frozen" model whose count
# is not what you expect is not frozen. We count on MiniLM (22.7 M parameters, a real pretrained encoder,
# lesson 16) for a 2-class task.

# %%
def count_trainable(model: nn.Module) -> int:
    """Number of trainable numbers; ``parameters()`` yields a shared (tied) tensor once."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)


minilm_tokenizer, minilm = course.load_minilm(attentions=False)
classifier_head = nn.Linear(minilm.config.hidden_size, 2)
total_minilm = sum(parameter.numel() for parameter in minilm.parameters())


def set_trainable(model: nn.Module, trainable_names) -> None:
    """requires_grad=True exactly on the parameters whose name starts with one of ``trainable_names``."""
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(tuple(trainable_names))


counts = {}
set_trainable(minilm, [])
counts["feature extraction (new head only)"] = count_trainable(classifier_head)
set_trainable(minilm, [""])
counts["full fine-tuning"] = count_trainable(minilm) + count_trainable(classifier_head)
set_trainable(minilm, ["encoder.layer.5.", "pooler."])
counts["partial: last layer + pooler + head"] = count_trainable(minilm) + count_trainable(classifier_head)

import peft  # noqa: E402  (imported here: the first import takes a second or two)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # a deprecation notice from transformers, inside peft
    lora_minilm = peft.get_peft_model(copy.deepcopy(minilm),
                                      peft.LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"]))
counts["LoRA r=8 on query and value + head"] = count_trainable(lora_minilm) + count_trainable(classifier_head)
for name, count in counts.items():
    print(f"{name:38s} {count:>11,} trainable  ({count / (total_minilm + count_trainable(classifier_head)):7.3%})")
lora_minilm.print_trainable_parameters()  # peft's own count (the LoRA matrices only, no classifier head)

# %% [markdown]
# `print_trainable_parameters` agrees with our count of the LoRA matrices (it leaves out our separate
# classifier head). With $r = 8$ on the query and value projections of 6 layers (384 × 384 each), LoRA
# trains $6 \times 2 \times 8 \times (384 + 384)$ numbers: a fraction of a percent of the model.
#
# **Takeaway:** count trainable parameters for every set-up; they decide memory, speed, storage per task
# and how far the model can drift from its pre-training.

# %% [markdown]
# ### "The head" of a GPT is its embedding matrix
#
# A language-model head maps the last hidden state (width $d$) to one logit per vocabulary token: a
# $V \times d$ matrix. GPT-2 — and the course's GPT — **ties** it to the token-embedding matrix: `lm_head.weight`
# *is* `transformer.wte.weight`, one tensor used twice.

# %%
head = gpt.get_output_embeddings()
print("lm_head.weight is transformer.wte.weight:", head.weight is gpt.transformer.wte.weight)
print("head shape", tuple(head.weight.shape), "->", head.weight.numel(), "numbers; bias:", head.bias)
names = [name for name, _ in gpt.named_parameters()]
print("'lm_head.weight' in named_parameters():", "lm_head.weight" in names,
      "| with remove_duplicate=False:", "lm_head.weight" in [n for n, _ in gpt.named_parameters(remove_duplicate=False)])

# %% [markdown]
# Two consequences. First, "train only the head" on a tied model also trains the **input** embeddings:
# there is no way to move one without the other. Second, `named_parameters()` lists a shared tensor once,
# under its first name (`transformer.wte.weight`), so code that selects the head by the name `"lm_head"`
# finds nothing and silently freezes everything.

# %% [markdown]
# ### Exercise 17.1 — Freeze all but the head (2 points)
#
# Write `freeze_all_but_head(model)` for a Hugging Face language model (`GPT2LMHeadModel`,
# `BertForMaskedLM`, ...).
#
# - Set `requires_grad = False` on **every** parameter of the model, then `requires_grad = True` on the
#   parameters of its output head, `model.get_output_embeddings()` (weight, and bias if it has one). Do not
#   select the head by parameter name: on a tied model the head's weight is listed under the embedding's name.
# - Return the number of trainable numbers (an `int`), each tensor counted **once** even when it is shared.
# - Work whatever the model's state before the call (some parameters already frozen, or all trainable).

# %% nbgrader={"solution": true, "grade_id": "ex17_1"}
def freeze_all_but_head(model: nn.Module) -> int:
    """Freeze every parameter except those of ``model.get_output_embeddings()``; return the trainable count.

    Args:
        model: a Hugging Face model with an output head (``get_output_embeddings()`` is not None).

    Returns:
        The number of trainable numbers, a shared (tied) tensor counted once.
    """
    ### BEGIN SOLUTION
    for parameter in model.parameters():
        parameter.requires_grad = False
    for parameter in model.get_output_embeddings().parameters():
        parameter.requires_grad = True
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex17_1_test", "points": 2}
# Self-check on a copy of the course's GPT: its head is tied to the token embeddings.
gpt_copy = copy.deepcopy(gpt)
trainable = freeze_all_but_head(gpt_copy)
vocab_times_width = gpt.config.vocab_size * gpt.config.n_embd
assert trainable != 0, (
    "0 trainable parameters: you froze the head too. On a tied model, named_parameters() lists the head "
    "under 'transformer.wte.weight', so selecting it by the name 'lm_head' finds nothing; use "
    "model.get_output_embeddings().parameters()")
assert trainable != 2 * vocab_times_width, (
    "you counted the tied matrix twice (named_parameters(remove_duplicate=False)?): it is ONE tensor")
assert trainable == vocab_times_width, (
    f"expected {vocab_times_width:,} trainable numbers (vocabulary x width, the tied head), got {trainable:,}")
assert gpt_copy.transformer.wte.weight.requires_grad, "the head IS the token-embedding matrix: it must train"
frozen_ok = all(not p.requires_grad for n, p in gpt_copy.named_parameters() if n != "transformer.wte.weight")
assert frozen_ok, "every parameter other than the head must be frozen"
print(f"Self-check passed: {trainable:,} trainable numbers, the tied head (= the input embeddings).")
### BEGIN HIDDEN TESTS
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

torch.manual_seed(171)
# An untied GPT-2: the head is a separate matrix; the embeddings must stay frozen.
untied = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_positions=16, n_embd=8, n_layer=1, n_head=2,
                                    tie_word_embeddings=False))
assert untied.lm_head.weight is not untied.transformer.wte.weight
count_untied = freeze_all_but_head(untied)
assert count_untied == 50 * 8, f"untied GPT-2 (vocab 50, width 8): expected 400 trainable numbers, got {count_untied}"
assert untied.lm_head.weight.requires_grad and not untied.transformer.wte.weight.requires_grad, (
    "untied model: only lm_head trains; the input embeddings are a different tensor and stay frozen")
# Whatever the state before: already half frozen, with the head frozen.
for name, parameter in untied.named_parameters():
    parameter.requires_grad = "ln_f" in name or "wpe" in name
assert freeze_all_but_head(untied) == 400 and not untied.transformer.ln_f.weight.requires_grad, (
    "freeze EVERY parameter first: a parameter left trainable before the call must end up frozen")
# A BERT masked-LM head: a decoder tied to the word embeddings, plus its own bias.
bert = BertForMaskedLM(BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=16, max_position_embeddings=16))
head_parameters = {id(p): p for p in bert.get_output_embeddings().parameters()}
expected_bert = sum(p.numel() for p in head_parameters.values())
assert freeze_all_but_head(bert) == expected_bert, (
    f"BertForMaskedLM: the head is its decoder (weight tied to the word embeddings, and a bias): expected "
    f"{expected_bert} trainable numbers")
assert all(p.requires_grad == (id(p) in head_parameters) for p in bert.parameters()), (
    "exactly the parameters of get_output_embeddings() must be trainable")
# The returned count is the state of the model (not a separate computation).
result_type = freeze_all_but_head(copy.deepcopy(gpt))
assert isinstance(result_type, int) and not isinstance(result_type, bool), (
    f"return a Python int, got {type(result_type).__name__}")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. LoRA by hand, checked against `peft`
#
# `peft` (Hugging Face's Parameter-Efficient Fine-Tuning library) wraps chosen layers of a model. Every
# wrapped layer keeps the original as `base_layer` and adds `lora_A` and `lora_B` (two bias-free `Linear`
# layers) and `scaling` $= \alpha / r$. For GPT-2 we target `c_attn`, the fused query–key–value projection,
# which is a `Conv1D` (a linear layer storing its weight transposed: hence `fan_in_fan_out=True`).

# %%
lora_config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn"], fan_in_fan_out=True,
                              lora_dropout=0.0, task_type="CAUSAL_LM")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # the same deprecation notice from transformers, inside peft
    lora_gpt = peft.get_peft_model(copy.deepcopy(gpt), lora_config)
lora_gpt.print_trainable_parameters()
wrapped = lora_gpt.base_model.model.transformer.h[0].attn.c_attn
print(type(wrapped).__name__, "| A", tuple(wrapped.lora_A["default"].weight.shape),
      "| B", tuple(wrapped.lora_B["default"].weight.shape), "| scaling", wrapped.scaling["default"])
ids = tokenizer("One morning, Anna", return_tensors="pt")
with torch.no_grad():
    same = torch.equal(lora_gpt(**ids).logits, gpt(**ids).logits)
print("LoRA model equals the pretrained one before training (B = 0):", same)

# %% [markdown]
# Each `c_attn` maps 128 → 384, so $r = 4$ adds $4 \times (128 + 384)$ numbers per layer, against
# $128 \times 384$ for the matrix itself.
#
# Why the factor $\alpha / r$? With $A$ initialised at a fixed scale, the update $BAx$ grows with $r$
# (it sums $r$ terms). Dividing by $r$ keeps its size roughly independent of the rank, so a learning rate
# tuned for $r = 8$ still works for $r = 16$; $\alpha$ then sets the strength once. peft stores
# `scaling = lora_alpha / r` (the "rsLoRA" option uses $\alpha / \sqrt{r}$ instead). Writing $\alpha$ alone,
# or $1 / r$, gives a model that trains, only with an effective learning rate off by a factor $r$ or
# $\alpha$ — a bug no error message will reveal.

# %% [markdown]
# ### Exercise 17.2 — A LoRA layer (3 points)
#
# Complete `LoRALinear(base, r, alpha)`, an `nn.Module` that wraps a `nn.Linear` (with or without bias).
#
# - Keep the wrapped layer as `self.base` and **freeze** its parameters (do not copy them).
# - `self.lora_A`: an `nn.Parameter` of shape `(r, in_features)`, initialised at random (for example
#   `nn.init.kaiming_uniform_(..., a=math.sqrt(5))`, as peft); `self.lora_B`: an `nn.Parameter` of shape
#   `(out_features, r)`, initialised to **zeros**; `self.scaling = alpha / r` (a float).
# - `forward(x)`, `x` of shape `(..., in_features)`: return `base(x) + scaling * (x A^T) B^T`, shape
#   `(..., out_features)`. Do not modify `base`'s weight (no merging in place).
#
# The grade cell copies the weights of a peft LoRA layer into yours and compares the outputs.

# %% nbgrader={"solution": true, "grade_id": "ex17_2"}
class LoRALinear(nn.Module):
    """A frozen nn.Linear plus a trainable low-rank update (alpha / r) * B @ A."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        ### BEGIN SOLUTION
        self.base = base
        for parameter in self.base.parameters():
            parameter.requires_grad = False
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., in_features) -> (..., out_features)
        ### BEGIN SOLUTION
        return self.base(x) + self.scaling * ((x @ self.lora_A.T) @ self.lora_B.T)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex17_2_test", "points": 3}
# Self-check: shapes, zero start, frozen base, and equality with peft's layer once B is non-zero.
class OneLayer(nn.Module):
    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.proj = nn.Linear(d_in, d_out)

    def forward(self, x):
        return self.proj(x)


def peft_reference(d_in: int, d_out: int, r: int, alpha: float, seed: int):
    """A peft LoRA layer on a random nn.Linear, with a non-zero B."""
    torch.manual_seed(seed)
    wrapped_model = peft.get_peft_model(OneLayer(d_in, d_out), peft.LoraConfig(r=r, lora_alpha=alpha,
                                                                              target_modules=["proj"]))
    layer = wrapped_model.base_model.model.proj
    with torch.no_grad():
        layer.lora_B["default"].weight.normal_()
    return layer


def mine_from(layer, r: int, alpha: float) -> "LoRALinear":
    """Your LoRALinear on a copy of peft's base layer, with peft's A and B copied in."""
    mine = LoRALinear(copy.deepcopy(layer.base_layer), r, alpha)
    with torch.no_grad():
        mine.lora_A.copy_(layer.lora_A["default"].weight)
        mine.lora_B.copy_(layer.lora_B["default"].weight)
    return mine


torch.manual_seed(0)
fresh = LoRALinear(nn.Linear(6, 5), r=2, alpha=4)
assert tuple(fresh.lora_A.shape) == (2, 6) and tuple(fresh.lora_B.shape) == (5, 2), (
    f"lora_A must be (r, in_features) = (2, 6) and lora_B (out_features, r) = (5, 2); got "
    f"{tuple(fresh.lora_A.shape)} and {tuple(fresh.lora_B.shape)}")
x_check = torch.randn(3, 6)
assert torch.allclose(fresh(x_check), fresh.base(x_check)), (
    "a fresh LoRA layer must compute exactly the base layer: initialise lora_B to zeros")
assert fresh.lora_A.abs().sum() > 0, "initialise lora_A at random (B = 0 already makes the update zero)"
assert not any(p.requires_grad for p in fresh.base.parameters()), "freeze the base layer's weight and bias"
assert fresh.lora_A.requires_grad and fresh.lora_B.requires_grad, "lora_A and lora_B are what trains"
reference_layer = peft_reference(6, 5, r=2, alpha=4, seed=1)
x_check = torch.randn(3, 6)
with torch.no_grad():
    torch.testing.assert_close(mine_from(reference_layer, 2, 4)(x_check), reference_layer(x_check),
                               rtol=1e-5, atol=1e-6, msg="your output differs from peft's: h = base(x) + "
                               "(alpha / r) * x A^T B^T")
print("Self-check passed: your LoRA layer matches peft's.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs

for d_in, d_out, r, alpha, seed in ((6, 5, 2, 4, 11), (16, 12, 4, 8, 12), (10, 7, 4, 32, 13), (9, 9, 1, 3, 14)):
    reference_layer = peft_reference(d_in, d_out, r, alpha, seed)
    mine = mine_from(reference_layer, r, alpha)
    assert math.isclose(float(mine.scaling), alpha / r), (
        f"scaling must be alpha / r = {alpha}/{r} = {alpha / r}, got {mine.scaling}"
        + (" (alpha alone)" if math.isclose(float(mine.scaling), alpha) else "")
        + (" (1 / r)" if math.isclose(float(mine.scaling), 1 / r) else ""))
    x_hidden = torch.randn(2, 3, d_in)  # extra leading axes
    with torch.no_grad():
        expected = reference_layer(x_hidden)
        got = call_checking_inputs(mine, x_hidden)
    assert got.shape == expected.shape, f"output shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5, msg=(
        f"r={r}, alpha={alpha}: your output differs from peft's (scaling alpha / r = {alpha / r})"))
    assert torch.equal(mine.base.weight, reference_layer.base_layer.weight), (
        "forward must not change the base weight (no merging of B A into W in place)")
# No bias in the base layer.
torch.manual_seed(15)
no_bias = LoRALinear(nn.Linear(5, 4, bias=False), r=2, alpha=2)
with torch.no_grad():
    no_bias.lora_B.normal_()
x_hidden = torch.randn(3, 5)
expected = x_hidden @ no_bias.base.weight.T + (x_hidden @ no_bias.lora_A.T) @ no_bias.lora_B.T
torch.testing.assert_close(no_bias(x_hidden).detach(), expected.detach(), rtol=1e-5, atol=1e-6,
                           msg="a base layer without bias must work too")
# The base layer is wrapped, not copied; gradients reach A and B only.
base_linear = nn.Linear(4, 3)
wrapper = LoRALinear(base_linear, r=2, alpha=4)
assert wrapper.base is base_linear, "keep the given layer as self.base (do not copy it)"
with torch.no_grad():
    wrapper.lora_B.normal_()
wrapper(torch.randn(5, 4)).sum().backward()
assert base_linear.weight.grad is None, "the base weight is frozen: it must get no gradient"
assert wrapper.lora_A.grad is not None and wrapper.lora_B.grad is not None, "A and B must get gradients"
trainable_lora = sum(p.numel() for p in wrapper.parameters() if p.requires_grad)
assert trainable_lora == 2 * (4 + 3), f"r (d_in + d_out) = 14 trainable numbers expected, got {trainable_lora}"
### END HIDDEN TESTS

# %% [markdown]
# **Takeaway:** a LoRA layer is the frozen layer plus $\frac{\alpha}{r} B A x$, with $B = 0$ at the start;
# `peft` does exactly this, and `merge_and_unload()` folds $\frac{\alpha}{r} B A$ into $W$ for inference.

# %% [markdown]
# ## 3. The task: an English sentence → a JSON record
#
# We teach the GPT a small extraction task: read a sentence of the course's grammar and write a one-line JSON
# record of its form, `{"form": "statement"}`, `"negation"` or `"question"` (a final "?" makes a question,
# a "not" a negation). The task is deliberately easy, so that a million-parameter model learns it in
# under two hundred steps on CPU and what differs between the set-ups below is the labels, not the
# difficulty. The pairs come from `course.data.records`; train and test share no sentence, and **we evaluate
# on the test prompts only**.

# %%
record_data = records.record_splits(n_train=1000, n_test=200, seed=0)
print(f"train {len(record_data.train)} pairs, test {len(record_data.test)} pairs (no sentence in both)")
for prompt, completion in record_data.train[:4]:
    print(f"  {prompt:42s} -> {completion}")

# %% [markdown]
# A causal LM only predicts the next token, so the pair becomes **one sequence**:
#
# `prompt` + separator + `completion` + `<|endoftext|>`
#
# - the **separator** (here a newline) tells the model the prompt is over;
# - the **end token**, exactly once, is what teaches the model to *stop*: at generation time `generate`
#   ends a sequence when the model emits it;
# - the **labels** are the input ids, except `-100` (ignored by the loss) on the prompt — we want the model
#   to write records, not to model English sentences — and on the padding. The model shifts the labels by
#   one position itself (the label at position $t$ is predicted from positions $< t$).
# - **Padding** uses the pad token, which must differ from the end token (why: section 4).
#
# We tokenize `prompt + separator` and `completion` separately and concatenate the ids, so that the
# boundary between the two is exactly where we put it (byte-level BPE may merge characters across a
# boundary when the whole text is tokenized at once). This tokenizer adds no special token by itself
# (`add_special_tokens=False` makes that explicit, for tokenizers that do).

# %%
SEPARATOR = "\n"
example_prompt, example_completion = record_data.train[0]
prompt_ids = tokenizer(example_prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
completion_ids = tokenizer(example_completion, add_special_tokens=False)["input_ids"]
print(len(prompt_ids), "prompt tokens:    ", tokenizer.convert_ids_to_tokens(prompt_ids))
print(len(completion_ids), "completion tokens:", tokenizer.convert_ids_to_tokens(completion_ids))
lengths = [len(tokenizer(p + SEPARATOR)["input_ids"]) + len(tokenizer(c)["input_ids"]) + 1
           for p, c in record_data.train + record_data.test]
MAX_LEN = max(lengths)
print(f"sequence lengths (with the end token): {min(lengths)} to {MAX_LEN}; we pad to MAX_LEN = {MAX_LEN}")

# %% [markdown]
# ### Exercise 17.3 — One causal-LM training example (4 points)
#
# Write `build_clm_example(prompt, completion, tokenizer, max_len)`.
#
# - `prompt_ids = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]`,
#   `completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]`; the sequence is
#   `prompt_ids + completion_ids + [tokenizer.eos_token_id]` — one end token, never more.
# - **Too long?** If the sequence has more than `max_len` tokens, drop tokens from the **start** of the prompt
#   until it has `max_len`: the completion and the end token are always kept whole. Raise a `ValueError` if
#   that leaves no prompt token at all (`len(completion_ids) + 1 >= max_len`).
# - **Padding** on the right up to `max_len` with `tokenizer.pad_token_id`. Raise a `ValueError` if the
#   tokenizer has no pad token or if its pad id equals its end id.
# - Return a dict with three Python lists of `max_len` ints: `"input_ids"`; `"attention_mask"` (1 on the
#   sequence, 0 on the padding); `"labels"`: `-100` on every prompt position (separator included) and on
#   the padding, the token id on every completion position and on the end token.
# - Do not hard-code ids: read them from `tokenizer`.

# %% nbgrader={"solution": true, "grade_id": "ex17_3"}
def build_clm_example(prompt: str, completion: str, tokenizer, max_len: int) -> dict:
    """One training example prompt + SEPARATOR + completion + eos, right-padded to max_len.

    Returns:
        {"input_ids": [...], "attention_mask": [...], "labels": [...]}, each a list of max_len ints;
        labels are -100 on the prompt and on the padding.
    """
    ### BEGIN SOLUTION
    eos_id, pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    if pad_id is None or pad_id == eos_id:
        raise ValueError("the tokenizer needs a pad token distinct from its end token")
    prompt_ids = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [eos_id]
    if len(target_ids) >= max_len:
        raise ValueError(f"the completion and its end token ({len(target_ids)} tokens) leave no room "
                         f"for the prompt in max_len={max_len}")
    prompt_ids = prompt_ids[max(0, len(prompt_ids) + len(target_ids) - max_len):]
    n_padding = max_len - len(prompt_ids) - len(target_ids)
    return {
        "input_ids": prompt_ids + target_ids + [pad_id] * n_padding,
        "attention_mask": [1] * (len(prompt_ids) + len(target_ids)) + [0] * n_padding,
        "labels": [-100] * len(prompt_ids) + target_ids + [-100] * n_padding,
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex17_3_test", "points": 4}
# Self-check on one pair, with the course's tokenizer.
check_prompt, check_completion = "did they run ?", '{"form": "question"}'
check_p = tokenizer(check_prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
check_c = tokenizer(check_completion, add_special_tokens=False)["input_ids"]
eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
example = build_clm_example(check_prompt, check_completion, tokenizer, 40)
assert set(example) >= {"input_ids", "attention_mask", "labels"}, "return input_ids, attention_mask and labels"
example = {key: [int(v) for v in value] for key, value in example.items()}
n_real = len(check_p) + len(check_c) + 1
assert all(len(value) == 40 for value in example.values()), "each list must have max_len = 40 entries"
assert example["input_ids"][:n_real] == check_p + check_c + [eos], (
    "input_ids must start with prompt_ids + completion_ids + [eos_token_id]")
assert example["input_ids"].count(eos) == 1, (
    f"exactly one end token (id {eos}); you have {example['input_ids'].count(eos)}")
assert example["input_ids"][n_real:] == [pad] * (40 - n_real), (
    f"pad with tokenizer.pad_token_id ({pad}), not with the end token ({eos})")
assert example["attention_mask"] == [1] * n_real + [0] * (40 - n_real), "attention_mask: 1 on tokens, 0 on padding"
expected_labels = [-100] * len(check_p) + check_c + [eos] + [-100] * (40 - n_real)
first_wrong = next((i for i, (a, b) in enumerate(zip(example["labels"], expected_labels)) if a != b), None)
assert first_wrong is None, (
    f"labels differ from the expected ones first at position {first_wrong} (the prompt has {len(check_p)} "
    "tokens, separator included): -100 on the prompt and padding, the ids on the completion and on the end token")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from tokenizers import Tokenizer as RawTokenizer
from tokenizers import models as tokenizer_models
from tokenizers import pre_tokenizers
from transformers import PreTrainedTokenizerFast

# A second tokenizer with other ids (eos 5, pad 2): hard-coded ids fail here.
words = ["<unk>", "a", "<pad>", "b", "c", "<end>", "\n", "x", "y", "z", "{", "}"]
raw = RawTokenizer(tokenizer_models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
raw.pre_tokenizer = pre_tokenizers.Split(pattern=" ", behavior="removed")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    other = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<end>", pad_token="<pad>", unk_token="<unk>")


def expected_example(prompt, completion, tok, max_len):
    p = tok(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    c = tok(completion, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    return {"input_ids": p + c + [tok.pad_token_id] * n, "attention_mask": [1] * (len(p) + len(c)) + [0] * n,
            "labels": [-100] * len(p) + c + [-100] * n}


def as_lists(result):
    return {key: [int(v) for v in result[key]] for key in ("input_ids", "attention_mask", "labels")}


cases = [("a b c", "x y z", other, 12), ("a b c a b", "x { y }", other, 20), ("b", "z", other, 4),
         ("did they run ?", '{"form": "question"}', tokenizer, 40),
         (record_data.test[0][0], record_data.test[0][1], tokenizer, MAX_LEN)]
for prompt, completion, tok, max_len in cases:
    got = as_lists(build_clm_example(prompt, completion, tok, max_len))
    want = expected_example(prompt, completion, tok, max_len)
    eos_id = tok.eos_token_id
    assert got["input_ids"].count(eos_id) == 1, (
        f"exactly one end token (id {eos_id} for this tokenizer), got {got['input_ids'].count(eos_id)}; "
        "read it from tokenizer.eos_token_id")
    assert got["input_ids"] == want["input_ids"], (
        f"input_ids {got['input_ids']} but expected {want['input_ids']} for {prompt!r} -> {completion!r} "
        f"(pad id {tok.pad_token_id}, end id {eos_id}: read them from the tokenizer)")
    assert got["attention_mask"] == want["attention_mask"], "attention_mask: 1 on the sequence, 0 on the padding"
    padded_labelled = [i for i, (m, label) in enumerate(zip(want["attention_mask"], got["labels"]))
                       if m == 0 and label != -100]
    assert not padded_labelled, f"padding positions {padded_labelled} have labels: they must be -100"
    n_prompt = want["labels"].index(next(v for v in want["labels"] if v != -100))
    assert got["labels"][:n_prompt] == [-100] * n_prompt, (
        "the prompt (separator included) must be -100 in labels: training on it is the collator bug")
    assert got["labels"] == want["labels"], (
        f"labels {got['labels']} but expected {want['labels']}: the first labelled position is the first "
        "completion token (check the prompt boundary), and the end token is labelled")
# Truncation: the completion and the end token survive, the prompt loses its start.
long_prompt = " ".join(["a", "b", "c"] * 6)
got = as_lists(build_clm_example(long_prompt, "x y", other, 8))
want = expected_example(long_prompt, "x y", other, 8)
assert got["input_ids"][-1] == other.eos_token_id and got["input_ids"] == want["input_ids"], (
    f"too long: keep the completion and the end token, drop tokens from the START of the prompt; expected "
    f"{want['input_ids']}, got {got['input_ids']}")
assert got["labels"] == want["labels"], f"truncated example: labels {got['labels']}, expected {want['labels']}"
for bad_max_len in (2, 3):  # completion + eos = 3 tokens: no room for the prompt
    try:
        build_clm_example("a b", "x y", other, bad_max_len)
    except ValueError:
        pass
    else:
        raise AssertionError(f"max_len={bad_max_len} leaves no prompt token for a 2-token completion: raise ValueError")
# pad = eos, or no pad: refuse.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pad_is_eos = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<end>", pad_token="<end>",
                                         unk_token="<unk>")
    no_pad = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<end>", unk_token="<unk>")
for bad_tokenizer, what in ((pad_is_eos, "pad token = end token"), (no_pad, "no pad token")):
    try:
        build_clm_example("a b", "x", bad_tokenizer, 10)
    except ValueError:
        pass
    else:
        raise AssertionError(f"a tokenizer with {what} must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Three fine-tunings: right, pad = eos, and labels rebuilt by a collator
#
# We fine-tune three copies of the GPT with the same loop, data, steps and learning rate; only the
# **labels** (and, for pad = eos, the padding id) differ.
#
# 1. **Right:** `build_clm_example`.
# 2. **pad = eos:** the most common recipe on the web for GPT-2, whose tokenizer has no pad token:
#    `tokenizer.pad_token = tokenizer.eos_token`, then labels `-100` wherever `input_ids == pad_token_id`.
#    That mask also hides the **real** end token: the model is never asked to predict it.
# 3. **Collator:** `DataCollatorForLanguageModeling(tokenizer, mlm=False)`, the standard collator for
#    causal LMs. It *rebuilds* the labels from `input_ids` (`-100` on the pad id only), silently discarding
#    the prompt mask: the model is trained on the prompts too.

# %%
def pad_is_eos_example(prompt: str, completion: str, max_len: int) -> dict:
    """The classic recipe: pad with the end token, then label -100 wherever input_ids == pad id (= eos)."""
    prompt_ids = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    sequence = prompt_ids + tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    padded = sequence + [tokenizer.eos_token_id] * (max_len - len(sequence))   # pad_token = eos_token
    labels = [-100 if position < len(prompt_ids) or token == tokenizer.eos_token_id else token
              for position, token in enumerate(padded)]                         # -100 where input == pad
    return {"input_ids": padded, "attention_mask": [1] * len(sequence) + [0] * (max_len - len(sequence)),
            "labels": labels}


collator = transformers.DataCollatorForLanguageModeling(tokenizer, mlm=False)
try:
    right_example = build_clm_example(*record_data.train[0], tokenizer, MAX_LEN)
    wrong_example = pad_is_eos_example(*record_data.train[0], MAX_LEN)
    collated = collator([{key: right_example[key] for key in ("input_ids", "attention_mask")}])
    if tokenizer.eos_token_id in right_example["input_ids"]:
        end_position = right_example["input_ids"].index(tokenizer.eos_token_id)
        print("label of the end token — right:", right_example["labels"][end_position],
              "| pad = eos:", wrong_example["labels"][end_position],
              "| collator:", int(collated["labels"][0, end_position]))
    else:
        print("build_clm_example's example has no end token: see the self-check of Exercise 17.3.")
    print("labelled prompt tokens — right:", sum(label != -100 for label in right_example["labels"][:3]),
          "of the first 3 | collator:", int((collated["labels"][0, :3] != -100).sum()), "of the first 3")
except NotImplementedError:
    print("Exercise 17.3 is not done yet: the labels of the three set-ups will be compared here.")

# %% [markdown]
# The training loop is lesson 13's, with AdamW, a linear decay of the learning rate and gradient clipping;
# each batch is cut to its longest sequence to save time. `STEPS` steps on one CPU thread take well under ten
# seconds per set-up (`STEPS` is yours to change).
#
# **Learning rate.** For full fine-tuning of large pretrained models (BERT, GPT-2 and up) the usual range
# is 1e-5 to 5e-5, ten to a hundred times below pre-training rates: the weights are already good, big steps
# destroy what pre-training built (forgetting, or divergence), and large models amplify a step through many
# layers. Our GPT has a million parameters and four layers and was pre-trained at 2e-3; to learn the task
# in under two hundred steps it needs a rate much higher than a large model would take (`LEARNING_RATE`
# below, a fraction of its pre-training rate), and section 5 measures what that costs. Always start from the range known for your
# model size, and check the forgetting when you go higher.

# %%
STEPS, BATCH_SIZE, LEARNING_RATE = 160, 8, 8e-4


def to_tensors(examples: list[dict]) -> dict:
    return {key: torch.tensor([example[key] for example in examples]) for key in ("input_ids", "attention_mask", "labels")}


def train_clm(model, examples: dict, steps: int = STEPS, lr: float = LEARNING_RATE, batch_size: int = BATCH_SIZE,
              seed: int = 0) -> list[float]:
    """Fine-tune ``model`` in place on random batches of ``examples`` (tensors (n, MAX_LEN)); the losses."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, 0, steps)
    model.train()
    losses = []
    for _ in range(steps):
        rows = torch.randint(0, len(examples["input_ids"]), (batch_size,), generator=generator)
        width = int(examples["attention_mask"][rows].sum(dim=1).max())       # cut the common padding
        batch = {key: value[rows, :width] for key, value in examples.items()}
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    model.eval()
    return losses


fine_tuned, histories = {}, {}
try:
    datasets = {
        "right": to_tensors([build_clm_example(p, c, tokenizer, MAX_LEN) for p, c in record_data.train]),
        "pad = eos": to_tensors([pad_is_eos_example(p, c, MAX_LEN) for p, c in record_data.train]),
    }
    datasets["collator"] = dict(collator([{key: example[key] for key in ("input_ids", "attention_mask")} for example in
                                          (build_clm_example(p, c, tokenizer, MAX_LEN) for p, c in record_data.train)]))
    for name, examples in datasets.items():
        start = time.perf_counter()
        fine_tuned[name] = copy.deepcopy(gpt)
        histories[name] = train_clm(fine_tuned[name], examples)
        print(f"{name:10s} {STEPS} steps in {time.perf_counter() - start:4.1f} s, "
              f"loss {histories[name][0]:.3f} -> {sum(histories[name][-20:]) / 20:.3f} (mean of the last 20)")
except NotImplementedError:
    print("Exercise 17.3 is not done yet: the three fine-tunings need build_clm_example.")

# %%
if histories:
    _, axis = plt.subplots(figsize=(7, 3.5))
    course.plot_curves(range(1, STEPS + 1), histories, xlabel="step", ylabel="training loss (nats per labelled token)",
                       title="Three fine-tunings, same data and steps, different labels", ax=axis)
    plt.show()

# %% [markdown]
# The three losses are **not comparable**: each is averaged over different tokens. The collator's loss
# includes the prompts (harder to predict than a JSON template), and the pad = eos loss excludes the end
# token. A falling loss says nothing about which set-up is right. Generation on held-out prompts does.
#
# ### Measuring on held-out prompts
#
# For every test prompt we generate greedily (left padding for a batch, lesson 16) and record:
#
# - **stops after a record**: the model emitted the end token within `max_new_tokens`, right after a "}"
#   (the pretrained model also stops, after a story sentence: that does not count);
# - **exact match**: the text before the end token is exactly the reference record;
# - **record, then goes on**: the output *starts with* the right record but does not end there.

# %%
N_EVAL = len(record_data.test)
MAX_NEW_TOKENS = MAX_LEN  # far more than any record needs


def generate_records(model, prompts: list[str]) -> list[list[int]]:
    """Greedy continuations (new token ids only) of prompt + SEPARATOR, in one left-padded batch."""
    tokenizer.padding_side = "left"
    try:
        batch = tokenizer([prompt + SEPARATOR for prompt in prompts], return_tensors="pt", padding=True)
        with torch.no_grad():
            output = model.generate(**batch, max_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                                    eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    finally:
        tokenizer.padding_side = "right"
    return output[:, batch["input_ids"].shape[1]:].tolist()


def score_generations(generations: list[list[int]], references: list[str]) -> dict:
    stops = exact = starts_right = 0
    for tokens, reference in zip(generations, references):
        stopped = tokenizer.eos_token_id in tokens
        text = tokenizer.decode(tokens[:tokens.index(tokenizer.eos_token_id)] if stopped else tokens,
                                skip_special_tokens=True)
        stops += stopped and text.endswith("}")       # ended right after a (possibly wrong) record
        exact += stopped and text == reference
        starts_right += text.startswith(reference) and not (stopped and text == reference)
    n = len(references)
    return {"stops after a record": stops / n, "exact match": exact / n, "record, then goes on": starts_right / n}


test_prompts = [prompt for prompt, _ in record_data.test[:N_EVAL]]
test_records = [completion for _, completion in record_data.test[:N_EVAL]]
evaluation, samples = {}, {}
for name, model in {"pretrained": gpt, **fine_tuned}.items():
    generations = generate_records(model, test_prompts)
    evaluation[name] = score_generations(generations, test_records)
    samples[name] = tokenizer.decode(generations[0])
print(f"{'':12s}" + "".join(f"{metric:>24s}" for metric in next(iter(evaluation.values()))))
for name, scores in evaluation.items():
    print(f"{name:12s}" + "".join(f"{value:24.0%}" for value in scores.values()))
print(f"\ntest prompt: {test_prompts[0]!r}   reference: {test_records[0]}")
for name, text in samples.items():
    print(f"  {name:12s} {text[:110]!r}")

# %% [markdown]
# Read the table (the numbers are those of this run):
#
# - **Right:** the model writes the record and stops: the end token was a target after every record, so it
#   learned that "}" is followed by the end.
# - **pad = eos:** the records can be as good — same data, same prompt mask — but the model never stops. It
#   never saw the end token as a target, so after "}" it keeps writing (here, scraps of records) until
#   `max_new_tokens`. In production this is a model that rambles, costs tokens and needs ad-hoc
#   post-processing. The fix is a pad token distinct from the end token (`tokenizer.add_special_tokens(
#   {"pad_token": "<|pad|>"})` and `model.resize_token_embeddings(len(tokenizer))` for a model that has
#   none), or masking padding by the **attention mask**, never by the pad id.
# - **Collator:** the model stops (the end token is not the pad id here), but it spent its training on the
#   prompts as well. The prompt loss below shows what it learned.
#
# Exact match measures the whole task, and it requires the stop: the pad = eos model scores 0 there because
# it never stops, so its third column tells whether its records were right before it went on. Stopping
# measures only the end. The collator model stops too; its exact match can be lower than the right one's
# (part of each step went to the prompts: lower `STEPS` and it falls behind first), but its characteristic
# mistake is not in these columns: it is what else it learned, measured next on the prompt tokens of the
# held-out pairs.

# %%
def prompt_loss(model, pairs: list[tuple[str, str]]) -> float:
    """Mean loss on the PROMPT tokens of held-out pairs (what the right set-up never trains on)."""
    examples = to_tensors([build_clm_example(p, c, tokenizer, MAX_LEN) for p, c in pairs])
    on_prompt = (examples["labels"] == -100) & (examples["attention_mask"] == 1)
    labels = examples["input_ids"].masked_fill(~on_prompt, -100)
    with torch.no_grad():
        return model(input_ids=examples["input_ids"], attention_mask=examples["attention_mask"], labels=labels).loss.item()


try:
    for name, model in {"pretrained": gpt, **fine_tuned}.items():
        print(f"{name:12s} loss on held-out prompt tokens {prompt_loss(model, record_data.test[:100]):.3f} nats")
except NotImplementedError:
    print("Exercise 17.3 is not done yet: the prompt losses need build_clm_example.")

# %% [markdown]
# The collator model predicts the held-out *prompts* far better than the others: it learned to generate
# sentences of the grammar, which nobody asked for. With a small budget that capacity can be taken from the
# task; with real data it also means the model learns to imitate the users' inputs (and their mistakes),
# and any metric computed on its loss mixes prompt and answer. The right set-up never trains on a prompt
# token: its prompt loss moves only because the shared weights move, and stays far above the collator's.
#
# **Takeaway:** mask the prompt, keep exactly one end token as a target, pad with a token that is not the
# end token, and check the labels of one example by eye before training. If you use a collator, use one
# that keeps your labels (`DataCollatorForSeq2Seq`, or `transformers.default_data_collator` on examples
# that are already padded).

# %% [markdown]
# ## 5. Catastrophic forgetting
#
# Fine-tuning moves every weight towards the new task. How much of the old skill is left? We measure the
# perplexity on held-out **pre-training** text — the test split of the stories, each scored as
# `<|endoftext|> text <|endoftext|>` as in the model's manifest — before and after.

# %%
N_STORIES = 20
story_ids = [[tokenizer.eos_token_id] + tokenizer(text)["input_ids"][:gpt.config.n_positions - 2]
             + [tokenizer.eos_token_id] for text in story_splits().test[:N_STORIES]]
story_width = max(map(len, story_ids))
story_batch = torch.tensor([ids + [tokenizer.pad_token_id] * (story_width - len(ids)) for ids in story_ids])
story_mask = (torch.arange(story_width)[None, :] < torch.tensor([len(ids) for ids in story_ids])[:, None]).long()


def story_perplexity(model) -> float:
    """Perplexity per token on the held-out stories (padding excluded through the labels)."""
    with torch.no_grad():
        loss = model(input_ids=story_batch, attention_mask=story_mask,
                     labels=story_batch.masked_fill(story_mask == 0, -100)).loss
    return math.exp(loss.item())


forgetting = {name: story_perplexity(model) for name, model in {"pretrained": gpt, **fine_tuned}.items()}
for name, value in forgetting.items():
    print(f"{name:12s} perplexity on held-out stories {value:8.2f}")

# %% [markdown]
# Every fine-tuned model is far worse at stories than the pretrained one (compare the perplexities) after
# these few steps on another distribution, although no story was involved: that is **catastrophic
# forgetting**, and it grows quickly with the learning rate and the number of steps (raise `LEARNING_RATE`
# to the pre-training rate, 2e-3, and run section 4 again to see it). Ways to limit it: lower learning rates
# and fewer steps; freezing most of the model or training an adapter (LoRA leaves the base weights
# untouched: remove the adapter and the old model is back, intact); mixing some pre-training data into the
# fine-tuning batches. Always measure it when the old skill matters.

# %% [markdown]
# ## 6. `Trainer` and the same loop by hand
#
# `transformers.Trainer` runs the loop of section 4 for you, plus logging, evaluation, checkpoints,
# mixed precision and multi-device training. Its defaults: AdamW (`optim="adamw_torch_fused"`, betas 0.9
# and 0.999, eps 1e-8, `weight_decay=0.0`), a **linear decay** of the learning rate to zero, no warm-up,
# gradient clipping at `max_grad_norm=1.0`, and shuffled batches. transformers 5 names:
# `TrainingArguments(eval_strategy=...)` (not `evaluation_strategy`), `Trainer(processing_class=tokenizer)`
# (not `tokenizer=`), `use_cpu=True`, `warmup_steps` (an int, or a float below 1 for a fraction of the
# steps). The old names now fail:

# %%
for old_call, build in (("TrainingArguments(evaluation_strategy='no')",
                         lambda: transformers.TrainingArguments(output_dir="unused", evaluation_strategy="no")),
                        ("Trainer(tokenizer=...)", lambda: transformers.Trainer(model=gpt, tokenizer=tokenizer))):
    try:
        build()
    except TypeError as error:
        print(f"{old_call}: TypeError: {str(error)[:90]}")

# %% [markdown]
# To compare, we run 12 steps of each on the same batches: `train_sampling_strategy="sequential"` makes
# the Trainer take the examples in order, and the hand-written loop takes the same slices with the same
# optimiser, schedule and clipping.

# %%
import tempfile  # noqa: E402

COMPARE_STEPS, COMPARE_BATCH = 12, 8
try:
    compare_examples = [build_clm_example(p, c, tokenizer, MAX_LEN)
                        for p, c in record_data.train[:COMPARE_STEPS * COMPARE_BATCH]]
    with tempfile.TemporaryDirectory() as output_dir:
        arguments = transformers.TrainingArguments(
            output_dir=output_dir, max_steps=COMPARE_STEPS, per_device_train_batch_size=COMPARE_BATCH,
            learning_rate=LEARNING_RATE, eval_strategy="no", save_strategy="no", logging_steps=1,
            train_sampling_strategy="sequential", use_cpu=True, disable_tqdm=True, report_to="none", seed=0)
        trainer = transformers.Trainer(model=copy.deepcopy(gpt), args=arguments, train_dataset=compare_examples,
                                       processing_class=tokenizer)
        trainer.remove_callback(transformers.PrinterCallback)  # no log lines printed during training
        trainer.train()
    trainer_losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]

    by_hand = copy.deepcopy(gpt)
    by_hand.train()
    optimizer = torch.optim.AdamW(by_hand.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, 0, COMPARE_STEPS)
    hand_losses = []
    for step in range(COMPARE_STEPS):
        batch = to_tensors(compare_examples[step * COMPARE_BATCH:(step + 1) * COMPARE_BATCH])
        loss = by_hand(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(by_hand.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        hand_losses.append(loss.item())
    for step in (0, 1, COMPARE_STEPS - 1):
        print(f"step {step + 1:2d}: Trainer {trainer_losses[step]:.5f}   by hand {hand_losses[step]:.5f}")
    print(f"largest difference over {COMPARE_STEPS} steps: "
          f"{max(abs(a - b) for a, b in zip(trainer_losses, hand_losses)):.1e}")
except NotImplementedError:
    print("Exercise 17.3 is not done yet: the comparison trains on build_clm_example's examples.")

# %% [markdown]
# The two agree to rounding (the Trainer's fused AdamW kernel adds in another order than the default one).
# Two details matter for that equality, and both bite in practice:
#
# - **Order of the data:** the Trainer shuffles by default; "sequential" removes that difference.
# - **Which tokens are averaged:** the Trainer divides the summed loss by the number of labelled tokens of
#   the batch (`num_items_in_batch`), counted after the one-position shift of a causal LM (`labels[..., 1:]`),
#   which is what the model's own mean does for one batch. The count matters with gradient accumulation:
#   the Trainer then divides by the labelled tokens of all the accumulated micro-batches, not by their number.
#
# **Takeaway:** the Trainer is the hand-written loop with good defaults; know them (linear decay, clipping
# at 1, shuffling) before comparing its numbers with yours.

# %% [markdown]
# ## 7. Common mistakes
#
# - **`pad_token = eos_token` with labels masked by the pad id:** the model never learns to stop
#   (section 4, measured). Use a distinct pad token, or mask by the attention mask.
# - **Labels rebuilt by `DataCollatorForLanguageModeling(mlm=False)`:** the prompt mask is lost; the model
#   trains on the prompts (section 4).
# - **No end token, or two** (the tokenizer adds one, you add another): no stop, or a stop learned at the
#   wrong place. Look at the ids of one example.
# - **Prompt boundary off by one:** the first completion token is not trained, or the last separator token
#   is. Tokenize prompt and completion separately and label from `len(prompt_ids)`.
# - **Truncation that cuts the end token:** truncate the prompt, not the completion and its end token.
# - **"Freezing all but the head" on a tied model:** selecting `"lm_head"` by name freezes everything;
#   the tied head also moves the input embeddings (section 1).
# - **Full-model learning rates from small models on large ones:** 1e-3 destroys a pretrained BERT or
#   GPT-2; stay in 1e-5 to 5e-5 and measure forgetting.
# - **Evaluating on training prompts:** a memorised record says nothing; evaluate on held-out prompts.

# %% [markdown]
# ### Exercise 17.4 — Reading a symptom (1 point)
#
# After fine-tuning a GPT-2 on prompt → answer pairs, your model writes good answers, then keeps going
# (a new question, then its answer, ...) until `max_new_tokens`. Your preprocessing sets
# `tokenizer.pad_token = tokenizer.eos_token`, appends one end token to each example, pads to a fixed length
# and sets the labels to `-100` wherever `input_ids == tokenizer.pad_token_id`. What is the cause?
#
# - (a) The learning rate is too high: the model has forgotten how to stop.
# - (b) The labels hide every end token, the real one too: the model is never trained to emit it.
# - (c) The prompts are not masked: the model learned to write the next question as well.
# - (d) `generate` needs `max_length` instead of `max_new_tokens` to stop at the end token.
#
# Set `answer_17_4` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex17_4"}
### BEGIN SOLUTION
answer_17_4 = "b"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex17_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_17_4", answer_17_4, (
    "quiz1:eyJrZXkiOiAiZTNlNDgyMjBiZDc5YWNkNGFiMGIzZTk5YjhkZWE2ZDg0OTc1ODBiNWQxYTY4OWQ5ZDhkMDMyOTlhMD"
    "UzNzRhNyIsICJuYW1lIjogImFuc3dlcl8xN180IiwgIm9wdGlvbnMiOiB7ImEiOiAibU84WFZmUVFiOEk1ZzRFUmZtdmlBNH"
    "QybWNHK0hIcjVyZDNWVHBWTStsdlpoZUVOQnNuVVRXM2VJWDEzQVdkUU9WcVJaaUt4bmNjdEVjRDRvUnJKZ05ReXhSeFpWaX"
    "FjZU1YQzI5Wk8wc3pjWlE0bXBQVXp1ajNCeDJQdityQVNKcEltRzBlQWtHZGNYaGVpcS9Xam9ncURnV3NSWlhIZUtYY0h0RD"
    "EzSENvS21jWFpsQ3p4RzVTS3MwUXRpalFoamxDK2g2YlBNNGd5cEMzZDNEZjRBc3h6MHdFc25tNU5XTDZzaktlZVVhSHJ6NH"
    "h3a1AyTDNMekVTVXhsbWd1NHkwL3RKY1lTUVp1R1ljYWY1UVd0U3ZDVEUvZXN0UGQ5dUtqTGgyTE9CZEpoTkFzd2U4QUdBdU"
    "9VUUJSc1FEeE1NaFpDOHpCNFRPV3p3T3h6MlJpbGVubDdBdz09IiwgImIiOiAiUXlacEdHUU5mZlpDRHZjR3dGTHVsTXA4a1"
    "pYYWF1by9ndWNRVEo0T3FHMGp5NllvMU9uVHBhSUhkOXlvUU9QZlNiQ0xNQUljazdLa3hNMXhoYk9XUlR0Ry81aTgxaC9HN3"
    "g1WGkyVTFNOUp2cytOaDNTL0NvTHJtVC9RUmdXRW1wWTRoQ0pFR0pwQTRaNWxSTENXQnVhL2JnYkhGQ0oyaHBIMU05Wk80dG"
    "kweUwwSnA4OUNrNzlHbW56OHpEWlMxaUpxMG92L2hnWCtTa0ovL0preWdna2VGTVFLU2UzUEErR2FGejhuemRFVlVFNXg0NX"
    "ZkSjM0MTdUNmc3YUw2L0xDU1p6Mm5FdkR4dnlhVWZqSGNmdUFoeGRqZENSUW1kU3lVcDdXbTlmZz09IiwgImMiOiAiZTJWbU"
    "FLTjFxTkpsZHA1VEh0MEFORzdqZllXYzROclZXRlpST2EwN1EybW5JQXlFR1JPNCtvdGRLS2JwQ3VqLzJBUmN1cUdZZG1WUH"
    "YzL0FwcDFIVW9iWTZNeGhFWVRhSU9qV0xOcDA1RTRqb0JGdlRoSFp1YTN6aFQyMHIzdk5QWktIRHpFa0VIZDVKR3ZIRXorME"
    "tqQXJvd3RJMmNDR0FuaGlaOHNucHVVaUl4SEpZUHQ0cFdudE9pVU0waFExUllkWkxUT3gxRzRhb0J0L0tsVlY4eTZ4UnpFT2"
    "VkbHhSNzU0T01RdE1wOW9mbVEybXNpWFJnRVd2QUZXY0xxMHVHeHVTZlhUM0x1YlpydXhGN3ZiaThDY1A1SGIraUsyaG9rL1"
    "NwR1dQMWpWM1Nmd0VlTEZHbDRGRFFNeHYxT0JsZUw0IiwgImQiOiAiUkRzOWJSelFyZk5wNnFJbFQ5ZWdUeEhVZVlnZWxHSm"
    "IvNFBKanVJVE9FMEN1NGkwWlo4N2lZR1VZZ0VCeVlhdUhIWG40YWNYaStOVGpRRDNTd3Bnc3dOWWRqYks3R0d4UkRPRUJVUH"
    "BPZ3lNdVo2SEd0eWpGeXA0cy9rN0s0STA4bmFZcnNaWFpnTy9UVExoM1gxd3JiSTFGSE5ybXY1UVVQQkxFdGZpclNRRi9TN0"
    "FRUVNVajdvWnhmMExIaHRGMzBPMzhMekdVUUdPbGloMkJDR1Z1UmNsclhlSU9vWkw5TXRtM3lvVXB2S2dHZE92SFdja2VmSS"
    "9ybkp5OWM3QzJPZU40eXNWNDV0Q0FZRUlCTE90V081QzM2bnh0aFFoYmtwV2R5TzFZN0IvWVc5ZTJIdXRWTGZURE9qTWFQRE"
    "xWWEM0Qkx1MkJ2WDZRVEpUIn0sICJzYWx0IjogIjI1YjU3NzE2YTA1ZmJlYTEifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_17_4", answer_17_4, "b", {
    "a": "A high learning rate causes forgetting of the pre-training text, but the model here writes good answers "
         "and only fails to stop: that points at the end token's label. With pad = eos, the mask "
         "input_ids == pad_token_id also hides the real end token (section 4).",
    "b": "Right: the pad id IS the end id, so masking by pad id sets the label of the real end token to -100 too. "
         "The model never learns to emit it and cannot stop. Use a distinct pad token, or mask by the attention "
         "mask (section 4).",
    "c": "Training on the prompts (the collator bug) teaches the model to imitate questions, but it does not remove "
         "the end token's label: in section 4 the collator model still stops. Here the mask by pad id hides "
         "every end token, the real one included.",
    "d": "max_length differs from max_new_tokens only by counting the prompt too; neither option makes the model emit an end token it "
         "was never trained to produce. The cause is in the labels: masking by pad id with pad = eos hides the "
         "real end token (section 4).",
})
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 17.5 — Choosing a set-up (1 point)
#
# You must adapt one 7-billion-parameter model to twenty customers, each with a few thousand examples, on a
# single GPU; the base model must stay available unchanged. Which set-up fits best?
#
# - (a) Full fine-tuning of twenty copies, at a learning rate of 1e-3 so that few steps suffice.
# - (b) Freeze all but the head: on a tied model that trains only the output layer, which is cheap.
# - (c) Feature extraction with one linear head per customer on the last hidden state, for generation.
# - (d) One LoRA adapter per customer on the frozen base: a few megabytes each, the base untouched.
#
# Set `answer_17_5` to `"a"`, `"b"`, `"c"` or `"d"`.

# %% nbgrader={"solution": true, "grade_id": "ex17_5"}
### BEGIN SOLUTION
answer_17_5 = "d"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex17_5_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_17_5", answer_17_5, (
    "quiz1:eyJrZXkiOiAiYjMxMTU4ZWVjZWIxZDQ3ODA2MGJhNDExYTQwMmM4NTk1MTMyNzY4MzQ4MzYwMmNhYWE4ZTI1MWVjYW"
    "Y0OTQzZCIsICJuYW1lIjogImFuc3dlcl8xN181IiwgIm9wdGlvbnMiOiB7ImEiOiAiNDBuVVRDb1kyZ3pGQjlWMWJ1aE9pL0"
    "tFbmpPMUVoWldWeGhucExJcEZva05sT3k4RDgyNkIxdGk0U0FPLytFL0tpVkNpRFpyOWgvNEVIbkc0eTlkRzFtYXNscmpUT2"
    "FocnVBVmgwQitjSXYwQXN5Wmt4T3hibFF3K0JEVDh5WVdqQ0UwZ0J6eFhJdm1pRDdaVnY3V1dlRzFOb2YzclMwNHllNllRSz"
    "B6Y24wYkhPZmRkK0d0TUJXMm00TnJNamhhVUJvLzRyUDJ1N0dyWDM4NDI0SjdDM25waG1aVlI2VWlnRmg4T2FOaWkzeENra0"
    "95U2NIZ0N6Z0hjeUo1OEZCY3d2TmtaeGI4bUpzPSIsICJiIjogInlHM0d5QXNGaUtmOGVZdVQzenBPcW03a0lWb1FhTW1OaE"
    "5IS1k4dWgyemxzN3V2dnNkMFJQQ2RrWWg0YmRzQUJ2dnZZWDE3NXcyU2k4Zkwra3J2VHhqWTUwVmxPSmJGYm45eUkvUVk3VT"
    "JRVHpRNjMvR0tZbGVnTXlBS0kzeFNXZk91TDQwTTJkUER5T1paNXFmQTBMbm5tNnhSc2ZwRmJLUm1lTk56Q2NyWFhjSnNYQX"
    "FsK0VmV01yZUNtZ1Q2cGVBeVY1WUhNd052SitvZ1BmbmJVcUVlWHhLRGVabC9aZlFlS2lHQ2ovRFEzVVdPdk9WQXkwNnVYRU"
    "h2WTVFbHMrTHZuIiwgImMiOiAiQnZTUHBML2M4Q0dPWlRIZWRkRTdkenNMbldLeHhwYjc3UXhqQTdjaUxrR2VIaUR2ZSsvUU"
    "NMUEdyRWFqSGs0UW44Z2ZacWgya1NQM1hyWXZ0eDVsL3NhV3QzQ3JwTktuWC9hanh4WWs0U3JKanVCd2h1c3dKc3YxUlBVUG"
    "9BQ211VmUyWHNERWdrc0VtTFJIZkhEYi9BSVJ6UnZiVUQyaXgrQnVaK1lrcWxJPSIsICJkIjogInRlcGp0QnlHcEVPQ1pCck"
    "JYaDN0ZjlsZTRGWitqbkNrS3dzTFBRQTJ4NU11cGV3MnE3Z0NRRkZVK2JteFMvbVRKR1BWRHpoZHZBaHZVUExKM0pBYTBSeD"
    "c5NU40eGxZbDFxdnZLekhtMFJsSGF5RlpRT0xzdHBySjQ2Y0RoNUNlSVhNOHBLdUdzem1ibDRSYk1GSDYzcUUvWGx4Nm1GYX"
    "BERFljQzRYWmt2V3pKUENWWkxBL3JtcWRWNnJZOHZwaHkrUlRRdFFHWE50K3BrZHBRUnVPWGhyKzhVVk9CZUNVcyswRkEzOT"
    "dHNElKMlZxblNad2pJZz09In0sICJzYWx0IjogIjdmMTAzZjcwNzU4ODUwNjgifQ=="))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_17_5", answer_17_5, "d", {
    "a": "Twenty full copies of 7 B parameters (plus optimiser state during training) do not fit one GPU, and 1e-3 "
         "is far above the 1e-5 to 5e-5 range of full fine-tuning: it would wreck the pretrained weights.",
    "b": "On a tied model the head IS the token-embedding matrix, so 'the head' also moves the input embeddings "
         "(section 1): the base model does not stay unchanged, and one output matrix is a weak adapter.",
    "c": "A linear head on frozen features suits classification, not generation: the model's next-token "
         "behaviour would not change at all.",
    "d": "Right: LoRA trains r (d_in + d_out) numbers per adapted matrix, stores each customer as a small file, "
         "and leaves the shared base weights untouched; adapters can be swapped per request.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - Feature extraction, full fine-tuning, partial freezing and LoRA differ in what trains: count the
#   trainable parameters of every set-up. On a tied model, "the head" is the input embedding matrix.
# - LoRA adds $\frac{\alpha}{r} B A x$ to a frozen layer, $B = 0$ at the start; your layer matches `peft`'s.
# - A causal-LM example is `prompt + separator + completion + eos`, labels `-100` on the prompt and the
#   padding, exactly one end token, a pad token that is not the end token. Measured on held-out prompts:
#   the right set-up stops; pad = eos never stops; a label-rebuilding collator trains on the prompts.
# - Fine-tuning forgets: measure the perplexity on the pre-training text before and after.
# - `Trainer` (`eval_strategy`, `processing_class`) is the hand-written loop with defaults: linear decay,
#   clipping at 1, shuffled data.
#
# Next, lesson 18 uses encoder–decoder models for translation and summarisation.
#
# ## Going further
#
# - Howard, Ruder (2018). *Universal Language Model Fine-tuning for Text Classification.* ACL.
# - Devlin, Chang, Lee, Toutanova (2019). *BERT.* NAACL — the fine-tuning learning rates (appendix).
# - Houlsby et al. (2019). *Parameter-Efficient Transfer Learning for NLP.* ICML — adapters.
# - Hu et al. (2021). *LoRA: Low-Rank Adaptation of Large Language Models.* ICLR 2022.
# - Kalajdzievski (2023). *A Rank Stabilization Scaling Factor for Fine-Tuning with LoRA* (rsLoRA).
# - McCloskey, Cohen (1989); Kirkpatrick et al. (2017). Catastrophic forgetting.
# - Documentation: [PEFT](https://huggingface.co/docs/peft), [Trainer](https://huggingface.co/docs/transformers/main_classes/trainer).

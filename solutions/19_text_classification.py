# ---
# jupyter:
#   course:
#     title: "Text classification"
#     budget_seconds: 75
# ---

# %% [markdown]
# # Lesson 19 · Text classification
# {{COLAB_BADGE}}
#
# A sentiment classifier reads a review and says *positive* or *negative*. With a pretrained encoder the
# recipe is short: turn the token vectors into one sentence vector, put a linear layer on top, train with
# cross-entropy. This lesson builds that recipe on MiniLM, compares two ways of using the encoder (frozen,
# or with its top layers fine-tuned), and then asks what the scores mean: which metric, which errors, and
# whether the model's probabilities can be trusted.
#
# **You will be able to:**
# - write a classification head (masked mean pooling or `[CLS]`, dropout, linear) that ignores padding and is
#   deterministic in eval mode;
# - train a logistic regression on frozen MiniLM features and fine-tune MiniLM's top layers, and compare the
#   two honestly on held-out data;
# - compute precision, recall and macro-F1 by hand so that they match scikit-learn, including a class the
#   model never predicts;
# - read a confusion matrix and the real mistakes of a model;
# - measure calibration (reliability diagram, expected calibration error) and improve it with temperature
#   scaling fitted on the validation set.
#
# **Prerequisites:** lessons 10 (tokenizers, padding), 13 (training loop, cross-entropy, dropout), 15
# (validation and test sets) and 16 (loading MiniLM). **Time:** about 75 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers, MiniLM and scikit-learn).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import copy
import math
import time
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix, f1_score, precision_recall_fscore_support
from sentence_transformers.sentence_transformer.modules import Pooling
from tqdm.auto import tqdm

import course
from course.data.sentiment import LABELS, sentiment_splits

course.set_seed(0)
torch.set_num_threads(1)  # small batches: one thread is as fast as two, and the timings are steadier

# %% [markdown]
# ## 0. The data
#
# The course ships a small sentiment data set written for it: English sentences from reviews of films,
# books, restaurants, hotels, products, apps and services, each labelled 0 (*negative*) or 1
# (*positive*). It is meant to be varied rather than easy: mild and strong opinions, negations (*not bad at
# all* is positive), contrasts where the clause after *but* decides, and praise or complaints without any
# obvious sentiment word (*it stopped charging after a week*). `sentiment_splits()` cuts each class 60 / 20
# / 20 into disjoint training, validation and test sets (no sentence in two splits, case and spaces
# ignored).

# %%
splits = sentiment_splits(seed=0)
for name in ("train", "valid", "test"):
    part = getattr(splits, name)
    counts = Counter(label for _, label in part)
    print(f"{name:5s} {len(part):3d} sentences: {counts[0]} {LABELS[0]}, {counts[1]} {LABELS[1]}")
for text, label in splits.train[:6]:
    print(f"  {LABELS[label]:8s} {text}")

# %% [markdown]
# A few hundred sentences is small. Every figure below comes with the number of sentences it is measured
# on: with 86 validation sentences, one sentence is more than one point of accuracy.

# %% [markdown]
# ## 1. From token vectors to one label
#
# An encoder gives one vector per token: `last_hidden_state` of shape `(batch, seq_len, hidden)`, 384 wide
# for MiniLM. A classifier needs **one** vector per sentence, then a linear layer to `num_labels` scores
# (the *logits*), trained with cross-entropy:
#
# $$\mathbf{s} = \text{pool}(\mathbf{h}_1, \dots, \mathbf{h}_T), \qquad \mathbf{z} = W\,\text{dropout}(\mathbf{s})
# + \mathbf{b}, \qquad \mathcal{L} = -\log \operatorname{softmax}(\mathbf{z})_y .$$
#
# Two poolings are common:
#
# - **`[CLS]`**: the vector of the first token. BERT was pre-trained with a sentence-level task that read
#   this position, and `BertForSequenceClassification` uses it (through BERT's `pooler`, a dense layer
#   with `tanh`).
# - **Masked mean**: the average of the vectors of the real tokens, padding excluded:
#   $\mathbf{s} = \sum_t m_t \mathbf{h}_t / \sum_t m_t$ with $m_t$ the attention mask. MiniLM
#   (`all-MiniLM-L6-v2`) was trained by sentence-transformers with exactly this pooling, so its mean
#   vector is the one that carries the meaning of the sentence.
#
# We load MiniLM and run it **once** on every sentence, keeping the output of every layer: the frozen
# baseline needs the last one, and fine-tuning the top layers (section 4) starts from a lower one. No
# gradient flows into what we cache.

# %%
start = time.perf_counter()
tokenizer, encoder = course.load_minilm(attentions=False)
NUM_LAYERS, HIDDEN = encoder.config.num_hidden_layers, encoder.config.hidden_size
texts = {name: [text for text, _ in getattr(splits, name)] for name in ("train", "valid", "test")}
labels = {name: torch.tensor([label for _, label in getattr(splits, name)]) for name in texts}
batches = {name: tokenizer(texts[name], padding=True, return_tensors="pt") for name in texts}
masks = {name: batches[name]["attention_mask"] for name in texts}                    # (n, seq_len), 1 = token
with torch.no_grad():
    layer_outputs = {name: encoder(**batches[name], output_hidden_states=True).hidden_states for name in texts}
print(f"MiniLM: {NUM_LAYERS} layers, hidden size {HIDDEN}; encoded in {time.perf_counter() - start:.1f} s")
print("hidden_states: a tuple of", len(layer_outputs["train"]), "tensors (the embeddings, then each layer), "
      "each of shape", tuple(layer_outputs["train"][-1].shape), "for the training set")
print("first training sentence:", tokenizer.convert_ids_to_tokens(batches["train"]["input_ids"][0]))

# %% [markdown]
# The first sentence is padded to the length of the longest sentence of its split. The vectors at the
# `[PAD]` positions are still computed (the attention mask only stops the other tokens from attending to
# them), so they hold numbers that mean nothing: a pooling that averages them changes with the batch a
# sentence happens to be in. Section 7 measures it.
#
# **Takeaway:** a classifier is pooling + linear layer + cross-entropy; the pooling must match what the
# encoder was trained with, and must skip the padding.

# %% [markdown]
# ## 2. A frozen encoder and a logistic regression
#
# The cheapest classifier keeps MiniLM frozen: compute one vector per sentence, then fit a logistic
# regression (a linear layer with cross-entropy, trained to convergence by scikit-learn). For the vectors we
# use the **library's** pooling: sentence-transformers' `Pooling` module in mean mode, followed by the L2
# normalisation that `all-MiniLM-L6-v2` applies (the same vectors `SentenceTransformer.encode` returns).
# For comparison, the same regression on the `[CLS]` vectors.

# %%
library_pooling = Pooling(HIDDEN, pooling_mode="mean")


def sentence_embeddings(name: str) -> np.ndarray:
    """MiniLM sentence vectors of a split, as sentence-transformers computes them: (n, HIDDEN), unit length."""
    features = {"token_embeddings": layer_outputs[name][-1], "attention_mask": masks[name]}
    return F.normalize(library_pooling(features)["sentence_embedding"], dim=-1).numpy()


mean_features = {name: sentence_embeddings(name) for name in texts}
cls_features = {name: layer_outputs[name][-1][:, 0].numpy() for name in texts}

baseline = LogisticRegression(C=1.0, max_iter=2000).fit(mean_features["train"], labels["train"].numpy())
cls_baseline = LogisticRegression(C=1.0, max_iter=2000).fit(cls_features["train"], labels["train"].numpy())
baseline_accuracy = {}
for name in ("train", "valid"):
    baseline_accuracy[name] = baseline.score(mean_features[name], labels[name].numpy())
    print(f"{name:5s} accuracy: mean pooling {baseline_accuracy[name]:.1%}   "
          f"[CLS] {cls_baseline.score(cls_features[name], labels[name].numpy()):.1%}   "
          f"({len(texts[name])} sentences)")

# %% [markdown]
# Two readings. The regression fits its training set much better than the validation set: with 384
# features and a couple of hundred sentences, a linear model can nearly memorise. And the `[CLS]` vector of
# this model is a worse feature than the mean: `all-MiniLM-L6-v2` was fine-tuned with mean pooling, and
# nothing in that training asked its first position to summarise the sentence. `[CLS]` is the right choice
# for a model trained to use it, not a rule.
#
# **Takeaway:** frozen features + logistic regression is a strong, fast baseline; measure it before
# fine-tuning anything.

# %% [markdown]
# ### Exercise 19.1 — The classification head (3 points)
#
# Write the module `ClassificationHead(hidden_size, num_labels, dropout=0.1, pooling="mean")`.
#
# - In `__init__`: store `pooling` (raise a `ValueError` unless it is `"mean"` or `"cls"`), create
#   `self.dropout = nn.Dropout(dropout)` and `self.classifier = nn.Linear(hidden_size, num_labels)`, with
#   exactly these attribute names.
# - `forward(hidden_states, attention_mask)`: `hidden_states` is a float tensor `(..., seq_len, hidden_size)`
#   (usually `(batch, seq_len, hidden_size)`); `attention_mask` is `(..., seq_len)`, 1 (or `True`) for real
#   tokens and 0 for padding, of any dtype (long, bool or float). Return the **logits**
#   `(..., num_labels)`, no softmax.
#   - `"mean"`: the mean of the vectors of the real tokens, $\sum_t m_t \mathbf{h}_t / \sum_t m_t$. Padding
#     must not count, wherever it is (left or right) and whatever its vectors hold. A row without any real
#     token gives the zero vector (divide by $\max(\sum_t m_t, 1)$), not `nan`.
#   - `"cls"`: the vector at position 0, whatever the mask.
#   - then `self.dropout`, then `self.classifier`. In eval mode the output is deterministic; in training
#     mode dropout is active.
# - Keep the dtype of `hidden_states` (after `head.double()`, float64 in gives float64 out), and do not
#   modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex19_1"}
class ClassificationHead(nn.Module):
    """Pooling (masked mean or [CLS]), dropout and a linear layer on top of an encoder's token vectors."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1, pooling: str = "mean"):
        super().__init__()
        ### BEGIN SOLUTION
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)
        ### END SOLUTION

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(..., seq_len, hidden_size) token vectors and (..., seq_len) mask -> (..., num_labels) logits."""
        ### BEGIN SOLUTION
        if self.pooling == "cls":
            pooled = hidden_states[..., 0, :]
        else:
            weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)              # (..., seq_len, 1)
            pooled = (hidden_states * weights).sum(dim=-2) / weights.sum(dim=-2).clamp(min=1.0)
        return self.classifier(self.dropout(pooled))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex19_1_test", "points": 3}
# Self-check: shapes, the library's mean pooling, padding that must not count, eval-mode determinism.
torch.manual_seed(0)
check_head = ClassificationHead(HIDDEN, 2, dropout=0.1).eval()
sample_states, sample_mask = layer_outputs["valid"][-1][:5], masks["valid"][:5]
sample_logits = check_head(sample_states, sample_mask)
assert sample_logits.shape == (5, 2), f"expected logits of shape (5, 2), got {tuple(sample_logits.shape)}"
library_mean = library_pooling({"token_embeddings": sample_states, "attention_mask": sample_mask})["sentence_embedding"]
torch.testing.assert_close(sample_logits, check_head.classifier(library_mean), atol=1e-5, rtol=1e-5,
                           msg="with pooling='mean', the logits must be classifier(masked mean of the real tokens), "
                               "as sentence-transformers' Pooling computes it; no softmax at the end")
padded_states = torch.cat([sample_states, 100 * torch.randn(5, 3, HIDDEN)], dim=1)  # 3 more padded positions
padded_mask = torch.cat([sample_mask, torch.zeros(5, 3, dtype=sample_mask.dtype)], dim=1)
torch.testing.assert_close(check_head(padded_states, padded_mask), sample_logits, atol=1e-5, rtol=1e-5,
                           msg="adding padding (mask 0) changed the logits: exclude padded positions from the mean")
assert torch.equal(check_head(sample_states, sample_mask), sample_logits), "in eval mode two calls must agree"
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs


def _reference_logits(head, states, mask):
    weights = mask.to(states.dtype).unsqueeze(-1)
    pooled = (states * weights).sum(-2) / weights.sum(-2).clamp(min=1.0)
    return F.linear(pooled, head.classifier.weight, head.classifier.bias)


torch.manual_seed(19)
_head = ClassificationHead(8, 3, dropout=0.5).eval()
assert isinstance(_head.dropout, nn.Dropout) and isinstance(_head.classifier, nn.Linear), (
    "name the layers self.dropout (nn.Dropout) and self.classifier (nn.Linear)")
assert _head.classifier.in_features == 8 and _head.classifier.out_features == 3
assert _head.dropout.p == 0.5, "pass the dropout argument to nn.Dropout"
_states = torch.randn(4, 6, 8)
_mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]])
_states[_mask == 0] = 1e4  # padding vectors hold large garbage
_expected = _reference_logits(_head, _states, _mask)
_mean_of_all = F.linear(_states.mean(-2), _head.classifier.weight, _head.classifier.bias)
_got = call_checking_inputs(_head, _states, _mask, name="ClassificationHead.forward")
assert not torch.allclose(_got, _mean_of_all), (
    "you averaged over every position, padding included: weight each position by the mask and divide by the "
    "number of real tokens")
assert not torch.allclose(_got.sum(-1), torch.ones(4)), (
    "return the logits, not probabilities: cross-entropy applies the softmax itself")
torch.testing.assert_close(_got, _expected, atol=1e-4, rtol=1e-5,
                           msg="masked mean pooling (right and LEFT padding), then the linear layer")
for _mask_variant in (_mask.bool(), _mask.float()):
    torch.testing.assert_close(_head(_states, _mask_variant), _expected, atol=1e-4, rtol=1e-5,
                               msg="the mask may be long, bool or float: convert it to the states' dtype")
# A row without any real token: the zero vector, so the logits are the bias; never nan.
_empty = _head(torch.randn(2, 4, 8), torch.zeros(2, 4, dtype=torch.long))
assert torch.isfinite(_empty).all(), "a row whose mask is all zeros gave nan: divide by max(count, 1)"
torch.testing.assert_close(_empty, _head.classifier.bias.expand(2, 3), msg="an empty row pools to the zero vector")
# Extra leading axes and float64.
_head64 = copy.deepcopy(_head).double()
_states4 = torch.randn(2, 3, 5, 8, dtype=torch.float64)
_mask4 = (torch.rand(2, 3, 5) > 0.3).long()
_out4 = _head64(_states4, _mask4)
assert _out4.shape == (2, 3, 3), f"(2, 3, 5, 8) states must give (2, 3, 3) logits, got {tuple(_out4.shape)}"
assert _out4.dtype == torch.float64, "float64 in must give float64 out: convert the mask to the states' dtype"
torch.testing.assert_close(_out4, _reference_logits(_head64, _states4, _mask4), msg="pool over the -2 axis")
# [CLS]: position 0, whatever the mask.
_cls_head = ClassificationHead(8, 3, pooling="cls").eval()
torch.testing.assert_close(_cls_head(_states, _mask), _cls_head.classifier(_states[:, 0]),
                           msg="pooling='cls' takes the vector at position 0 (even where the mask is 0)")
_states_grid, _mask_grid = _states.reshape(2, 2, 6, 8), _mask.reshape(2, 2, 6)  # extra leading axis
torch.testing.assert_close(_cls_head(_states_grid, _mask_grid), _cls_head.classifier(_states_grid[..., 0, :]),
                           msg="pooling='cls' with extra leading axes: take position 0 of the sequence axis, "
                               "hidden_states[..., 0, :], not hidden_states[:, 0]")
try:
    ClassificationHead(8, 3, pooling="max")
except ValueError:
    pass
else:
    raise AssertionError("pooling='max' must raise a ValueError")
# Dropout: deterministic in eval mode, active in training mode, on the pooled vector before the classifier.
_train_head = ClassificationHead(8, 3, dropout=0.5).train()
_clean = torch.randn(4, 6, 8)
_ones = torch.ones(4, 6, dtype=torch.long)
torch.manual_seed(1)
_a = _train_head(_clean, _ones)
torch.manual_seed(2)
_b = _train_head(_clean, _ones)
assert not torch.allclose(_a, _b), "in training mode dropout must be active (two calls should differ)"
torch.manual_seed(3)
_got_train = _train_head(_clean, _ones)
torch.manual_seed(3)
_want_train = _train_head.classifier(_train_head.dropout(_clean.mean(-2)))
torch.testing.assert_close(_got_train, _want_train,
                           msg="apply self.dropout to the pooled vector, then self.classifier (dropout before the "
                               "linear layer, once)")
_train_head.eval()
assert torch.equal(_train_head(_clean, _ones), _train_head(_clean, _ones)), "eval mode must be deterministic"
torch.testing.assert_close(_train_head(_clean, _ones), _train_head.classifier(_clean.mean(-2)))
### END HIDDEN TESTS

# %% [markdown]
# An untrained head on the first validation sentences: its linear layer is random, so its probabilities
# hover around 0.5 (this cell uses your class).

# %%
try:
    torch.manual_seed(0)
    untrained_head = ClassificationHead(HIDDEN, len(LABELS)).eval()
    with torch.no_grad():
        untrained_logits = untrained_head(layer_outputs["valid"][-1][:3], masks["valid"][:3])
    for text, probabilities in zip(texts["valid"][:3], untrained_logits.softmax(-1)):
        print(f"p(positive) = {probabilities[1]:.3f}   {text}")
    print("cross-entropy of the untrained head:",
          f"{F.cross_entropy(untrained_logits, labels['valid'][:3]).item():.3f} (ln 2 = {math.log(2):.3f})")
except NotImplementedError:
    print("Exercise 19.1 is not done yet: the untrained head's probabilities will appear here.")

# %% [markdown]
# ## 3. Precision, recall, F1
#
# Accuracy is the fraction of right answers. It hides *which* class the errors fall on, and on unbalanced
# data it rewards a model that always says the majority class. For each class $c$, counting the
# sentences:
#
# - **precision** $P_c = \frac{TP_c}{TP_c + FP_c}$: of the sentences predicted $c$, the fraction that are $c$;
# - **recall** $R_c = \frac{TP_c}{TP_c + FN_c}$: of the sentences that are $c$, the fraction found;
# - **F1** $= \frac{2 P_c R_c}{P_c + R_c} = \frac{2\,TP_c}{2\,TP_c + FP_c + FN_c}$, their harmonic mean.
#
# Averages over classes: **macro**-F1 is the plain mean of the per-class F1 (every class weighs the same);
# **weighted**-F1 weighs each class by its number of true examples; **micro**-F1 pools the counts of all
# classes, and for single-label classification it equals the accuracy.
#
# The edge case: a class that the model **never predicts**. Its precision is $0/0$. scikit-learn's
# `zero_division` argument says what to return (`"warn"`, the default, returns 0 with a warning). Its F1,
# though, is computed as $2TP / (2TP + FP + FN)$, which is **0**, not undefined, because the class occurs
# in `y_true` ($FN > 0$); scikit-learn's macro average includes it. Averaging only the classes the model
# predicts, or letting $2PR/(P+R) = 0/0$ become `nan`, gives another number.

# %% [markdown]
# ### Exercise 19.2 — Precision, recall and macro-F1 (3 points)
#
# Write two functions. Both take `y_true` and `y_pred`, lists or 1-D NumPy arrays of the same length
# holding class labels (ints or strings); raise a `ValueError` if the lengths differ or if they are empty.
# The classes are the **sorted union** of the labels found in `y_true` and in `y_pred` (as scikit-learn
# does).
#
# - `precision_recall_f1(y_true, y_pred)` returns a `dict` mapping each class to a tuple of three Python
#   floats `(precision, recall, f1)`. A precision or recall of $0/0$ is **0.0** (scikit-learn's
#   `zero_division=0`); F1 is $2TP/(2TP + FP + FN)$.
# - `f1_macro(y_true, y_pred)` returns a Python float, the mean of the per-class F1 over **all** those
#   classes. It must equal `sklearn.metrics.f1_score(y_true, y_pred, average="macro")`.
#
# Count with plain Python or NumPy; do not call scikit-learn's metrics. Do not modify the inputs.

# %% nbgrader={"solution": true, "grade_id": "ex19_2"}
def precision_recall_f1(y_true, y_pred) -> dict:
    """Per-class (precision, recall, f1) over the sorted union of the labels; 0/0 counts as 0.0."""
    ### BEGIN SOLUTION
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if not y_true:
        raise ValueError("no labels: precision, recall and F1 are undefined")
    scores = {}
    for label in sorted(set(y_true) | set(y_pred)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores[label] = (float(precision), float(recall), float(2 * tp / (2 * tp + fp + fn)))
    return scores
    ### END SOLUTION


def f1_macro(y_true, y_pred) -> float:
    """Macro-averaged F1: the plain mean of the per-class F1 over the sorted union of the labels."""
    ### BEGIN SOLUTION
    scores = precision_recall_f1(y_true, y_pred)
    return float(sum(f1 for _, _, f1 in scores.values()) / len(scores))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex19_2_test", "points": 3}
# Self-check against scikit-learn, including a class the model never predicts.
y_true_check = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
y_pred_check = [0, 0, 0, 1, 1, 1, 0, 0, 0, 1]  # class 2 is never predicted
library_f1 = f1_score(y_true_check, y_pred_check, average="macro")
assert math.isclose(f1_macro(y_true_check, y_pred_check), library_f1, abs_tol=1e-9), (
    f"f1_macro gives {f1_macro(y_true_check, y_pred_check)}, scikit-learn {library_f1:.6f}: macro-F1 is the mean "
    "of the per-class F1 (not the F1 of the mean precision and recall), and the class never predicted has F1 = 0 "
    "and still counts in the mean")
library_p, library_r, library_f, _ = precision_recall_fscore_support(y_true_check, y_pred_check, zero_division=0)
mine_check = precision_recall_f1(y_true_check, y_pred_check)
assert list(mine_check) == [0, 1, 2], f"one entry per class, sorted: got {list(mine_check)}"
for label, expected in zip((0, 1, 2), zip(library_p, library_r, library_f)):
    assert np.allclose(mine_check[label], expected), f"class {label}: expected {tuple(expected)}, got {mine_check[label]}"
print("Self-check passed.")
### BEGIN HIDDEN TESTS
from course.checks import call_checking_inputs, forbidden

_rng = np.random.default_rng(19)
_cases = [
    (_rng.integers(0, 4, 60), _rng.integers(0, 4, 60)),
    (np.array([0] * 45 + [1] * 5), np.array([0] * 48 + [1] * 2)),           # unbalanced: micro, weighted differ
    (np.array([0, 0, 1, 1, 1, 2]), np.array([0, 0, 0, 0, 0, 0])),           # two classes never predicted
    (np.array([0, 0, 1, 1]), np.array([0, 3, 1, 1])),                       # a class only in the predictions
    (["pos", "neg", "neg", "pos", "neu"], ["pos", "pos", "neg", "neu", "neu"]),
    (np.array([9, 2, 9, 5, 2]), np.array([9, 9, 2, 5, 5])),                 # set order 9, 2, 5: not sorted
    ([1, 1, 1], [1, 1, 1]),
]
for _y_true, _y_pred in _cases:
    with forbidden("sklearn.metrics.f1_score", "sklearn.metrics.precision_recall_fscore_support",
                   "sklearn.metrics.precision_score", "sklearn.metrics.recall_score", "sklearn.metrics.fbeta_score",
                   "sklearn.metrics.classification_report", "sklearn.metrics.confusion_matrix",
                   "sklearn.metrics.multilabel_confusion_matrix", namespace=globals(),
                   reason="count TP, FP and FN yourself"):
        _mine = call_checking_inputs(f1_macro, _y_true, _y_pred, name="f1_macro")
        _scores = call_checking_inputs(precision_recall_f1, _y_true, _y_pred, name="precision_recall_f1")
    _expected = f1_score(_y_true, _y_pred, average="macro")
    assert isinstance(_mine, float), f"f1_macro must return a Python float, got {type(_mine).__name__}"
    assert not math.isnan(_mine), "f1_macro returned nan: F1 = 2TP / (2TP + FP + FN) is 0 for a class never predicted"
    _accuracy = float(np.mean(np.asarray(_y_true) == np.asarray(_y_pred)))
    if not math.isclose(_expected, _accuracy, abs_tol=1e-6):
        assert not math.isclose(_mine, _accuracy, abs_tol=1e-9), (
            "you computed micro-F1 (= accuracy for single-label data); macro-F1 averages the per-class F1")
    _true_classes = sorted(set(np.asarray(_y_true).tolist()))
    _true_only = float(np.mean(precision_recall_fscore_support(_y_true, _y_pred, labels=_true_classes,
                                                               zero_division=0)[2]))
    if not math.isclose(_expected, _true_only, abs_tol=1e-6):
        assert not math.isclose(_mine, _true_only, abs_tol=1e-9), (
            "you averaged over the classes of y_true only: a label that appears only in y_pred (predicted, never "
            "true) is a class too, with F1 = 0, and counts in the macro mean")
    _weighted = f1_score(_y_true, _y_pred, average="weighted")
    if not math.isclose(_expected, _weighted, abs_tol=1e-6):
        assert not math.isclose(_mine, _weighted, abs_tol=1e-9), (
            "you weighted the classes by their support (weighted-F1); macro-F1 gives every class the same weight")
    assert math.isclose(_mine, _expected, abs_tol=1e-9), (
        f"f1_macro gives {_mine:.6f}, scikit-learn {_expected:.6f} on y_true={list(_y_true)}, y_pred={list(_y_pred)}: "
        "the classes are the sorted union of both lists, every one counts, and F1 is 0 when TP = 0")
    _labels = sorted(set(np.asarray(_y_true).tolist()) | set(np.asarray(_y_pred).tolist()))
    assert list(_scores) == _labels, f"the classes are the sorted union of y_true and y_pred: {_labels}, got {list(_scores)}"
    _p, _r, _f, _ = precision_recall_fscore_support(_y_true, _y_pred, labels=_labels, zero_division=0)
    for _label, _want in zip(_labels, zip(_p, _r, _f)):
        assert all(isinstance(value, float) for value in _scores[_label]), "return Python floats"
        assert np.allclose(_scores[_label], _want), (
            f"class {_label!r}: expected (precision, recall, f1) = {tuple(round(v, 4) for v in _want)}, "
            f"got {_scores[_label]}; a 0/0 precision or recall is 0.0")
for _bad in (([0, 1], [0]), ([], [])):
    try:
        f1_macro(*_bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"f1_macro{_bad} must raise a ValueError (lengths differ, or nothing to score)")
### END HIDDEN TESTS

# %% [markdown]
# The baseline's scores on the validation set, per class and averaged (this cell uses your functions):

# %%
baseline_valid_predictions = baseline.predict(mean_features["valid"])
try:
    for label, (precision, recall, f1) in precision_recall_f1(labels["valid"].numpy(), baseline_valid_predictions).items():
        print(f"{LABELS[label]:8s} precision {precision:.3f}   recall {recall:.3f}   F1 {f1:.3f}")
    print(f"macro-F1 {f1_macro(labels['valid'].numpy(), baseline_valid_predictions):.3f}   "
          f"accuracy {np.mean(baseline_valid_predictions == labels['valid'].numpy()):.3f}")
except NotImplementedError:
    print("Exercise 19.2 is not done yet: per-class precision, recall and F1 will appear here.")

# %% [markdown]
# On a balanced binary set, macro-F1 and accuracy are close; they part ways when the classes are unbalanced
# (section 7 shows how far).
#
# **Takeaway:** report per-class precision and recall and a macro average; say how a class that is never
# predicted is counted.

# %% [markdown]
# ## 4. Fine-tuning the top of MiniLM
#
# A frozen encoder gives the same sentence vector whatever the task. Fine-tuning lets the encoder adapt:
# the gradient of the classification loss flows back into its weights. Fine-tuning all six layers on CPU
# is slow, and with a couple of hundred sentences it risks erasing what pre-training learned. A middle way:
# freeze the embeddings and the lower layers, and train only the **top `k` layers** and the head.
#
# Because the lower layers are frozen, their output never changes: we already cached it in section 1
# (`layer_outputs[name][NUM_LAYERS - k]`), so each training step runs only the top `k` layers. Those layers
# need the attention mask in the form BERT's layers use inside the model: an additive mask of shape
# `(batch, 1, 1, seq_len)`, 0 for tokens and a very negative number for padding.

# %%
class TopLayersClassifier(nn.Module):
    """The top ``k`` layers of MiniLM (a trainable copy) and a classification head."""

    def __init__(self, encoder: nn.Module, trainable_layers: int, head: nn.Module):
        super().__init__()
        self.layers = copy.deepcopy(encoder.encoder.layer[NUM_LAYERS - trainable_layers:])
        self.head = head

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # (batch, seq_len, hidden) output of layer NUM_LAYERS - k, (batch, seq_len) mask -> (batch, num_labels)
        additive_mask = (1.0 - attention_mask[:, None, None, :].to(hidden_states.dtype)) * torch.finfo(
            hidden_states.dtype).min                                                    # (batch, 1, 1, seq_len)
        for layer in self.layers:
            hidden_states = layer(hidden_states, attention_mask=additive_mask)
            hidden_states = hidden_states[0] if isinstance(hidden_states, tuple) else hidden_states
        return self.head(hidden_states, attention_mask)


# Check: the copied top layers, fed the cached output of the lower ones, give MiniLM's own last layer.
with torch.no_grad():
    top_two = TopLayersClassifier(encoder, 2, nn.Identity()).eval()
    additive = (1.0 - masks["valid"][:, None, None, :].float()) * torch.finfo(torch.float32).min
    rebuilt = layer_outputs["valid"][NUM_LAYERS - 2]
    for layer in top_two.layers:
        rebuilt = layer(rebuilt, attention_mask=additive)
        rebuilt = rebuilt[0] if isinstance(rebuilt, tuple) else rebuilt
real_tokens = masks["valid"].bool()
print("max |difference| with MiniLM's last layer, on real tokens:",
      f"{(rebuilt - layer_outputs['valid'][-1])[real_tokens].abs().max().item():.2e}")

# %% [markdown]
# The training function: AdamW with two learning rates (a small one for the pretrained layers, a larger one
# for the new head), mini-batches of 16 sentences, cross-entropy; after each epoch the validation loss and
# accuracy in eval mode.

# %%
def logits_of(model: nn.Module, name: str) -> torch.Tensor:
    """The model's logits (n, num_labels) on a whole split, in eval mode, without gradients."""
    model.eval()
    with torch.no_grad():
        return model(layer_outputs[name][NUM_LAYERS - len(model.layers)], masks[name])


def fine_tune(settings: dict, seed: int = 0, batch_size: int = 16):
    """Train the top ``settings["trainable_layers"]`` layers and a ClassificationHead; return (model, history)."""
    torch.manual_seed(seed)
    k = settings["trainable_layers"]
    model = TopLayersClassifier(encoder, k, ClassificationHead(HIDDEN, len(LABELS), dropout=0.1))
    optimizer = torch.optim.AdamW([
        {"params": model.layers.parameters(), "lr": settings["encoder_lr"]},
        {"params": model.head.parameters(), "lr": settings["head_lr"]},
    ], weight_decay=0.01)
    train_states, train_mask = layer_outputs["train"][NUM_LAYERS - k], masks["train"]
    history = {"train loss": [], "valid loss": [], "valid accuracy": []}
    for _ in tqdm(range(settings["epochs"]), desc="epochs"):
        model.train()
        order, total = torch.randperm(len(labels["train"])), 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            loss = F.cross_entropy(model(train_states[batch], train_mask[batch]), labels["train"][batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        history["train loss"].append(total / len(order))
        valid_logits = logits_of(model, "valid")
        history["valid loss"].append(F.cross_entropy(valid_logits, labels["valid"]).item())
        history["valid accuracy"].append((valid_logits.argmax(-1) == labels["valid"]).float().mean().item())
    return model, history


# %% [markdown]
# ### Exercise 19.3 — Reach the target (2 points)
#
# Choose the fine-tuning settings: `fine_tuning_settings()` returns a dict with
#
# - `"trainable_layers"`: how many of MiniLM's top layers to train, an int from 1 to 6;
# - `"epochs"`: an int from 1 to 6, with `trainable_layers * epochs <= 12` (the notebook's time budget);
# - `"encoder_lr"` and `"head_lr"`: the learning rates of the layers and of the head (floats > 0).
#
# The next cell trains with your settings and your `ClassificationHead`. The grade cell needs a
# **validation accuracy of at least 75 %** (`TARGET_ACCURACY`). Think about sizes: fine-tuning rates for
# pretrained transformers are typically $10^{-5}$ to $10^{-4}$; a new, randomly initialised head can take
# a larger one. Seeds are fixed, so your result is reproducible.

# %% nbgrader={"solution": true, "grade_id": "ex19_3"}
def fine_tuning_settings() -> dict:
    """The settings for fine_tune: trainable_layers, epochs, encoder_lr, head_lr."""
    ### BEGIN SOLUTION
    return {"trainable_layers": 2, "epochs": 4, "encoder_lr": 1e-4, "head_lr": 1e-3}
    ### END SOLUTION


# %%
TARGET_ACCURACY = 0.75


def settings_problem(settings: dict) -> str:
    """An empty string if the settings are within the rules of Exercise 19.3, else what is wrong."""
    if set(settings) != {"trainable_layers", "epochs", "encoder_lr", "head_lr"}:
        return f"the keys must be trainable_layers, epochs, encoder_lr and head_lr, got {sorted(settings)}"
    k, epochs = settings["trainable_layers"], settings["epochs"]
    if not (isinstance(k, int) and 1 <= k <= NUM_LAYERS and isinstance(epochs, int) and 1 <= epochs <= 6):
        return "trainable_layers must be an int in 1..6 and epochs an int in 1..6"
    if k * epochs > 12:
        return f"trainable_layers * epochs = {k * epochs} is over the budget of 12"
    if not all(isinstance(settings[key], float) and settings[key] > 0 for key in ("encoder_lr", "head_lr")):
        return "the learning rates must be positive floats"
    return ""


fine_tuned, history = None, None
try:
    settings = fine_tuning_settings()
    problem = settings_problem(settings)
    if problem:
        print("Not trained:", problem)
    else:
        start = time.perf_counter()
        fine_tuned, history = fine_tune(settings)
        print(f"settings {settings}: trained in {time.perf_counter() - start:.1f} s")
        print(f"validation accuracy {history['valid accuracy'][-1]:.1%} (target {TARGET_ACCURACY:.0%}; "
              f"frozen baseline {baseline_accuracy['valid']:.1%})")
except NotImplementedError:
    print("Exercises 19.1 and 19.3 are not done yet: the fine-tuned model's accuracy will appear here.")

# %% nbgrader={"grade": true, "grade_id": "ex19_3_test", "points": 2}
assert fine_tuned is not None, "the model was not trained: complete Exercises 19.1 and 19.3 and run the cell above"
print(f"target {TARGET_ACCURACY:.0%}, measured validation accuracy {history['valid accuracy'][-1]:.1%}")
assert history["valid accuracy"][-1] >= TARGET_ACCURACY, (
    f"validation accuracy {history['valid accuracy'][-1]:.1%} is below the target {TARGET_ACCURACY:.0%}: look at "
    "the curves; a learning rate too large for the pretrained layers wipes out what they knew, one too small "
    "for the head leaves it random")
### BEGIN HIDDEN TESTS
assert not settings_problem(fine_tuning_settings()), settings_problem(fine_tuning_settings())
assert isinstance(fine_tuned.head, ClassificationHead)
_valid_logits = logits_of(fine_tuned, "valid")
_accuracy = (_valid_logits.argmax(-1) == labels["valid"]).float().mean().item()
assert _accuracy >= TARGET_ACCURACY, (
    f"re-measured validation accuracy {_accuracy:.1%} is below the target {TARGET_ACCURACY:.0%}")
### END HIDDEN TESTS

# %% [markdown]
# The curves, and the scores of the two approaches on the **test** set, looked at once, now that the
# settings are chosen:

# %%
if fine_tuned is not None:
    epochs = list(range(1, len(history["train loss"]) + 1))
    _, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(9, 3.5))
    course.plot_curves(epochs, {"train (running mean)": history["train loss"], "validation": history["valid loss"]},
                       xlabel="epoch", ylabel="cross-entropy", title="Loss", ax=loss_axis)
    course.plot_curves(epochs, {"validation accuracy": history["valid accuracy"]}, xlabel="epoch",
                       ylabel="accuracy", title="Validation accuracy", ax=accuracy_axis)
    accuracy_axis.axhline(TARGET_ACCURACY, color="grey", linestyle=":", label="target")
    accuracy_axis.legend(fontsize=8)
    plt.tight_layout()
    plt.show()
    for epoch in epochs:
        print(f"epoch {epoch}: train loss {history['train loss'][epoch - 1]:.3f}   valid loss "
              f"{history['valid loss'][epoch - 1]:.3f}   valid accuracy {history['valid accuracy'][epoch - 1]:.1%}")
test_predictions = {"frozen MiniLM + logistic regression": baseline.predict(mean_features["test"])}
if fine_tuned is not None:
    test_predictions[f"fine-tuned top {settings['trainable_layers']} layers"] = logits_of(
        fine_tuned, "test").argmax(-1).numpy()
for name, predictions in test_predictions.items():
    print(f"{name:38s} test accuracy {np.mean(predictions == labels['test'].numpy()):.1%}   macro-F1 "
          f"{f1_score(labels['test'].numpy(), predictions, average='macro'):.3f}   ({len(predictions)} sentences)")

# %% [markdown]
# Read the curves: the training loss keeps falling, towards zero, while the validation loss soon stops
# following it; with this little data the model starts to memorise its training sentences after a few
# epochs. Compare the two test
# accuracies with the size of the test set in mind: a difference of two or three sentences is within the
# noise of an 86-sentence test set (the standard error of an accuracy near 80 % is about
# $\sqrt{0.8 \cdot 0.2 / 86} \approx 4$ points). On a few hundred examples, a logistic regression on good
# frozen features is hard to beat; fine-tuning pays off with more data, or when the frozen features do not
# fit the task.
#
# **Takeaway:** fine-tune the top layers with a small learning rate and a larger one for the head; compare
# with the frozen baseline on the same held-out data, with the noise in mind.

# %% [markdown]
# ## 5. The confusion matrix and the real mistakes
#
# A confusion matrix counts, for each true class (rows), how often each class was predicted (columns).
# Below, both models on the test set (if Exercise 19.3 is not done, only the baseline).

# %%
_, axes = plt.subplots(1, len(test_predictions), figsize=(4.2 * len(test_predictions), 3.8), squeeze=False)
for axis, (name, predictions) in zip(axes[0], test_predictions.items()):
    matrix = confusion_matrix(labels["test"].numpy(), predictions, labels=[0, 1])
    display = ConfusionMatrixDisplay(matrix, display_labels=LABELS)
    display.plot(ax=axis, colorbar=False, cmap="Blues", values_format="d")
    axis.set_title(name, fontsize=9)
plt.suptitle(f"Test set, {len(labels['test'])} sentences: rows are the truth, columns the prediction", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# Numbers say how many errors; only reading them says why. Here are the test sentences the analysed model
# gets wrong, with its probability for *positive*. The analysed model is the fine-tuned one if you trained
# it, else the logistic regression.

# %%
if fine_tuned is not None:
    analysed_name = f"fine-tuned top {settings['trainable_layers']} layers"
    valid_logits_analysed, test_logits_analysed = logits_of(fine_tuned, "valid"), logits_of(fine_tuned, "test")
else:  # the baseline's decision function d gives the two logits (0, d): softmax((0, d)) = (1 - sigmoid(d), sigmoid(d))
    analysed_name = "frozen MiniLM + logistic regression"
    valid_logits_analysed, test_logits_analysed = (
        torch.tensor(np.stack([np.zeros(len(texts[name])), baseline.decision_function(mean_features[name])], 1),
                     dtype=torch.float32) for name in ("valid", "test"))
test_probabilities = test_logits_analysed.softmax(-1)
test_predicted = test_probabilities.argmax(-1)
mistakes = (test_predicted != labels["test"]).nonzero().flatten().tolist()
print(f"{analysed_name}: {len(mistakes)} mistakes on {len(texts['test'])} test sentences")
for index in mistakes:
    print(f"  truth {LABELS[labels['test'][index]]:8s} p(positive) {test_probabilities[index, 1]:.2f}   "
          f"{texts['test'][index]}")

# %% [markdown]
# Read the list before any number: which of these would a person get wrong? Two kinds of sentences are
# known to be hard for a model that mostly adds up the sentiment of its words: **negations** (*not bad*,
# *never let me down*) and **contrasts**, where one clause says the opposite of the other. Are they
# over-represented among the mistakes?

# %%
HARD_WORDS = {"not", "cannot", "never", "no", "nothing", "nobody",                   # negations
              "but", "although", "though", "yet", "despite", "however"}                # contrasts


def has_hard_word(text: str) -> bool:
    """True if the sentence holds a negation or contrast word (lower-cased words, punctuation stripped)."""
    words = {word.strip(".,;:!?") for word in text.lower().replace("n't", " not").split()}
    return bool(words & HARD_WORDS)


share_all = np.mean([has_hard_word(text) for text in texts["test"]])
share_mistakes = np.mean([has_hard_word(texts["test"][index]) for index in mistakes]) if mistakes else 0.0
print(f"sentences with a negation or contrast word: {share_all:.0%} of the test set, "
      f"{share_mistakes:.0%} of the mistakes ({len(mistakes)} mistakes)")
print("-> over-represented among the mistakes" if share_mistakes > share_all
      else "-> NOT over-represented among the mistakes: the hypothesis does not hold for this model")

# %% [markdown]
# With a couple of dozen mistakes this is a hint, not a proof, whichever way it goes. When the hypothesis
# fails, go back to the list: many misses may hold no sentiment word at all (a product that *still works
# like new*, an hour of waiting), where the label needs knowledge of what is good or bad in the world, not
# the polarity of a word. Each hypothesis that survives tells you what data to add or what to test next.
# Error analysis is this loop: look, count, form a hypothesis, check it.
#
# **Takeaway:** a confusion matrix says where the errors are; reading the misclassified sentences says why.

# %% [markdown]
# ## 6. Can the probabilities be trusted? Calibration
#
# A classifier is **calibrated** if, among the sentences to which it gives a confidence of 0.8, about 80 %
# are right. Networks trained to a near-zero training loss are usually **over-confident**. Two tools:
#
# - the **reliability diagram**: split the predictions into bins of confidence (the probability of the
#   predicted class), here 10 equal-width bins of $[0, 1]$; plot each bin's accuracy against its mean
#   confidence. A calibrated model sits on the diagonal.
# - the **expected calibration error** (Guo et al., 2017): the gap between accuracy and confidence in each
#   bin, weighted by the fraction of predictions that fall in it,
#   $\text{ECE} = \sum_b \frac{n_b}{n}\,\lvert \text{acc}(b) - \text{conf}(b) \rvert$.
#
# The binning must be stated: the ECE changes with the number of bins and their edges. Ours follows
# scikit-learn's `calibration_curve(strategy="uniform")`, whose bin $b$ holds the values in
# $(b/10, (b+1)/10]$ (and 0 in the first bin); the check below compares our bins with it.

# %%
def bin_index(values: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """The equal-width bin of each value in [0, 1], as sklearn.calibration.calibration_curve(strategy='uniform')."""
    return np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], values)


def reliability(confidences: np.ndarray, correct: np.ndarray, n_bins: int = 10):
    """Per non-empty bin: mean confidence, accuracy and count; and the ECE."""
    bins = bin_index(confidences, n_bins)
    rows = [(confidences[bins == b].mean(), correct[bins == b].mean(), int((bins == b).sum()))
            for b in range(n_bins) if (bins == b).any()]
    mean_confidence, accuracy, count = (np.array(column) for column in zip(*rows))
    ece = float(np.sum(count / len(confidences) * np.abs(accuracy - mean_confidence)))
    return mean_confidence, accuracy, count, ece


# Check the binning against scikit-learn, on the probability of "positive" (a curve sklearn computes).
positive_probability = test_probabilities[:, 1].numpy()
true_positive = labels["test"].numpy() == 1
ours_confidence, ours_fraction, _, _ = reliability(positive_probability, true_positive)
library_fraction, library_confidence = calibration_curve(true_positive, positive_probability, n_bins=10)
assert np.allclose(ours_confidence, library_confidence) and np.allclose(ours_fraction, library_fraction)
print("our bins agree with sklearn.calibration.calibration_curve")

# %% [markdown]
# **Temperature scaling** (Guo et al., 2017) divides every logit by one number $T > 0$ before the softmax:
# $T > 1$ softens over-confident probabilities, $T < 1$ sharpens them. The argmax does not change, so the
# accuracy does not either. $T$ is fitted on the **validation** set, by minimising its cross-entropy (here
# over a grid of values), and judged on the **test** set.

# %%
temperatures = np.geomspace(0.05, 20.0, 400)
valid_nll = [F.cross_entropy(valid_logits_analysed / t, labels["valid"]).item() for t in temperatures]
best_temperature = float(temperatures[int(np.argmin(valid_nll))])
print(f"{analysed_name}: temperature fitted on validation T = {best_temperature:.2f}")

calibration = {}
for name, temperature in (("before (T = 1)", 1.0), (f"after (T = {best_temperature:.2f})", best_temperature)):
    probabilities = (test_logits_analysed / temperature).softmax(-1)
    confidences, predicted = probabilities.max(-1)
    correct = (predicted == labels["test"]).numpy()
    calibration[name] = reliability(confidences.numpy(), correct)
    test_nll = F.cross_entropy(test_logits_analysed / temperature, labels["test"]).item()
    print(f"test, {name:18s} accuracy {correct.mean():.1%}   mean confidence {confidences.mean():.3f}   "
          f"ECE {calibration[name][3]:.3f}   cross-entropy {test_nll:.3f}")

_, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
for axis, (name, (mean_confidence, accuracy, count, ece)) in zip(axes, calibration.items()):
    axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    axis.bar(mean_confidence, accuracy, width=0.06, alpha=0.7, label="accuracy of the bin")
    axis.plot(mean_confidence, mean_confidence, "k_", markersize=14, label="mean confidence of the bin")
    for x, y, n in zip(mean_confidence, accuracy, count):
        axis.annotate(str(n), (x, min(y, 0.95) + 0.02), ha="center", fontsize=8)
    axis.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="confidence (probability of the predicted class)",
             title=f"{name}: ECE {ece:.3f}")
    axis.title.set_fontsize(10)
axes[0].set_ylabel("accuracy")
handles, legend_labels = axes[0].get_legend_handles_labels()
plt.figlegend(handles, legend_labels, loc="lower center", ncol=3, fontsize=8)
plt.suptitle(f"Reliability on the test set ({len(texts['test'])} sentences; numbers: sentences per bin)",
             fontsize=10)
plt.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()

# %% [markdown]
# Read the figure with the counts: a binary classifier's confidence is at least 0.5, and before scaling most
# predictions sit in the top bin, so the ECE is dominated by it. With 86 test sentences each bin holds a handful of
# sentences and the ECE itself is noisy; the cross-entropy printed next to it is a steadier measure of the
# same improvement. Temperature scaling left the accuracy exactly where it was.
#
# **Takeaway:** check calibration before using probabilities as confidences (thresholds, abstaining,
# ranking); one temperature fitted on validation data is the simplest fix.

# %% [markdown]
# ## 7. Common mistakes, measured
#
# **Averaging the padding.** A plain `.mean(dim=1)` over the token vectors includes the `[PAD]` positions.
# The same sentence then gets a different vector depending on the longest sentence of its batch:

# %%
sentence = min(texts["valid"], key=len)  # the shortest sentence gets the most padding
alone = tokenizer([sentence], return_tensors="pt")
in_batch = tokenizer([sentence, max(texts["valid"], key=len)], padding=True, return_tensors="pt")
with torch.no_grad():
    states_alone = encoder(**alone).last_hidden_state
    states_in_batch = encoder(**in_batch).last_hidden_state[:1]
print(f"'{sentence}': {alone['input_ids'].shape[1]} tokens alone, padded to {in_batch['input_ids'].shape[1]}")
for name, vector_alone, vector_in_batch in (
        ("mean over all positions", states_alone.mean(1), states_in_batch.mean(1)),
        ("masked mean (library)", library_pooling({"token_embeddings": states_alone,
                                                   "attention_mask": alone["attention_mask"]})["sentence_embedding"],
         library_pooling({"token_embeddings": states_in_batch,
                          "attention_mask": in_batch["attention_mask"][:1]})["sentence_embedding"])):
    print(f"{name:24s} cosine(alone, in a batch) = {F.cosine_similarity(vector_alone, vector_in_batch).item():.4f}")
# The baseline (trained on masked means) fed plain means of the padded validation batch:
plain_mean_valid = F.normalize(layer_outputs["valid"][-1].mean(1), dim=-1).numpy()
flipped = baseline.predict(plain_mean_valid) != baseline.predict(mean_features["valid"])
print(f"validation accuracy with masked means {baseline.score(mean_features['valid'], labels['valid'].numpy()):.1%}, "
      f"with plain means {baseline.score(plain_mean_valid, labels['valid'].numpy()):.1%}; "
      f"{flipped.sum()} of {len(flipped)} predictions change")

# %% [markdown]
# **Reading accuracy on unbalanced data.** Suppose a test set holds 9 positive sentences for every negative
# one, and a broken model answers *positive* every time. Built from our test sentences:

# %%
negatives = [i for i, label in enumerate(labels["test"].tolist()) if label == 0][:4]
positives = [i for i, label in enumerate(labels["test"].tolist()) if label == 1][:36]
unbalanced_truth = labels["test"][negatives + positives].numpy()
always_positive = np.ones_like(unbalanced_truth)
print(f"{len(positives)} positive, {len(negatives)} negative; the model always says positive: "
      f"accuracy {np.mean(always_positive == unbalanced_truth):.0%}, "
      f"macro-F1 {f1_score(unbalanced_truth, always_positive, average='macro'):.3f}")

# %% [markdown]
# **Forgetting `model.eval()`.** In training mode dropout stays active, and the predictions change from one
# call to the next:

# %%
if fine_tuned is not None:
    states_valid = layer_outputs["valid"][NUM_LAYERS - len(fine_tuned.layers)]
    fine_tuned.train()
    with torch.no_grad():
        runs = [fine_tuned(states_valid, masks["valid"]).argmax(-1) for _ in range(2)]
    fine_tuned.eval()
    train_mode_accuracies = ", ".join(f"{(run == labels['valid']).float().mean().item():.1%}" for run in runs)
    print(f"two calls in training mode disagree on {(runs[0] != runs[1]).sum().item()} of {len(runs[0])} "
          f"validation sentences; their accuracies {train_mode_accuracies}; eval mode {history['valid accuracy'][-1]:.1%}")
else:
    print("Exercise 19.3 is not done yet: the effect of dropout at prediction time will appear here.")

# %% [markdown]
# **Choosing on the test set.** Picking the epoch, the learning rate or the temperature by looking at
# test scores turns the test set into a validation set: its score is then optimistic. Above, every choice
# was made on the validation set and the test set was read once.
#
# **`[CLS]` on a model not trained for it.** Section 2: with the same logistic regression, the `[CLS]`
# vector of `all-MiniLM-L6-v2` was a clearly worse feature than the masked mean.

# %% [markdown]
# ### Exercise 19.4 — Temperature scaling (1 point)
#
# You fit a temperature $T = 2.5$ on the validation set of a classifier and apply it to the test set. What
# happens to the test accuracy and to the confidences?
#
# - (a) Accuracy rises: softer probabilities correct some over-confident mistakes.
# - (b) Accuracy falls: dividing the logits by $T$ makes the model less sure of its right answers too.
# - (c) Accuracy is unchanged; the confidences are lower, closer to the observed accuracy if $T$ fits.
# - (d) Nothing changes: the softmax of $\mathbf{z}/T$ equals the softmax of $\mathbf{z}$ for any $T > 0$.
#
# Set `answer_19_4` to `"a"`, `"b"`, `"c"` or `"d"`, and run the grade cell for an explained answer.

# %% nbgrader={"solution": true, "grade_id": "ex19_4"}
### BEGIN SOLUTION
answer_19_4 = "c"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex19_4_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_19_4", answer_19_4, (
    "quiz1:eyJrZXkiOiAiNGE5MjY1ZmIxNTI5NzE3ZTQ0MzJlNDM3ZDBlN2E3OTc2ZjY5M2Y1MzM4YzNlMTVjMjcwNDYwNDNhNj"
    "M0Y2ZlMyIsICJuYW1lIjogImFuc3dlcl8xOV80IiwgIm9wdGlvbnMiOiB7ImEiOiAiK2VRbS9KVXlNcHlOZlpDSWhGekhwTV"
    "VIVWp1dHpjdUM2Q0E5dU5OZTlTbk5SdVNaWXJmcnIrQVA5ZStLOTNjTGlJYVFWcGVtdlgvbFhvSE5sdmZJNjNNTWtYS2lSL2"
    "dGbmYxcVdReDlCaFlncGFMbmlac2RubUdsQXY2MWVBaTE0akpKOG1WNWNIbGhISHBxK1RGQ2pMQjJVdnhVSkI0bjRKdEVsTF"
    "h2OXpkQTNMdytXRm9DakI1WUI5c0dZUjhzRlQzZnA3ZFVKZFIxWDlIb2QzWUJzRFpHWFBNV1UrVWt4NFBsTjEraFJoT1V1Mm"
    "45MlpkeU1Zd0JEcVI4SXdKbSIsICJiIjogIloxdUtNSUVVV2dIWS9oM09lRDhGVUNPK2lYRkNPRU5ianROb0Z6TWNXZmE1Vk"
    "dUWUUxVWVBc3RBSFBCZTRhd01QRGxqTUx5SHFsTWQ2QW5yVWFSdFZrSnRnN1p4cVB3bHR4VTNjMVZKK211eG9mckJQYUxxLz"
    "NVeGhBYndRVm10ZmdDTUZWcGh4UTdUZWJZTnp0TWgxQ2FZdVRiazMvOTIyS0x3UUNBaEt4QTZsQWIwK2VlV2hOY1Iza2pZNT"
    "NDQlZNaTRQMS9sQWcrTXJSamZNdENBVWFHYlR6Vk1oUjYyQjRLSktDTlBMQjdGU3NWTnlLbWxZMDJrakRoTTZRWG9Zd1dMeW"
    "c9PSIsICJjIjogIlozTkx6czljakhOQzRxR21UOUEyREV3VlJVUmpzTkt0ZVU5MkszOWhEcm13NHd5ZjF6NHdVSGVuWno1N2"
    "5lbmJxY3FtdENwMlBON2V2NkFoOEZyYXpsODNCdnhGODJVZjhqbVk2OFhYWmJhRWlablJmdFlDT1BvUFB2Zm5oSFRrYWE4MW"
    "ZKQ1kwUzVIQW5uTnRqQ3ZPT1pGRVNuaE1ENUxaV3RRTVZhQTZPUXNRVFphaUNLTzhncGxqdXA2NHVZcDk5b2NXK3lkNTBCQl"
    "BpMXZSYTA4OTVKcjU2akdBclRJeDA5aWtxVHVMQkFWaUpUNE1MTVNpTWZicDYxSWQxc2VDQWNDNEY0SGN3PT0iLCAiZCI6IC"
    "JTSDMxM2k1azBzTEJqYXBnMjJHdFFqYXpwSzc0TWhFOEg0WTg4L2lyRm1obkVPdkRLNVJESHRGUDlnZVZCM2JEN3NyVjJhRW"
    "ZaOHk3T00vYTVVQm9qYWcwRkFuM293SFVwWVZudXZ2VURlbjdIN0lTVjZsb1FvTFBHZmVvK2p1Q3NOK09nYXgzSi9ZK2NvL2"
    "d5K0NpbXlYem12NFBMS2FRVisxOUhmNjgwSUdUZUdvZ0dUcDF3WURITHhvamhqTUI0clBRQWprMHZ3ZGNpcDRtaFgrUlExcH"
    "ZOVGVtQ0FOTExCSEp1eWpQdU4rTjJrd2VUY3EyNVRpNTg1UT0ifSwgInNhbHQiOiAiNjEyYWRkMDZjY2JiN2VhNSJ9"))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_19_4", answer_19_4, "c", {
    "a": "Dividing every logit of a sentence by the same T > 0 keeps their order, so the predicted class, and "
         "with it the accuracy, cannot change. Only the probabilities move: they get softer for T > 1.",
    "b": "The order of the logits is kept (they are all divided by the same positive number), so every "
         "prediction stays the same and so does the accuracy. The confidences drop, right or wrong answers alike.",
    "c": "Right: dividing by T > 0 keeps the argmax, so the accuracy is unchanged; with T > 1 the probabilities "
         "are softer, and if T was fitted well, the confidence now matches the accuracy better (section 6).",
    "d": "The softmax is invariant to adding a constant to the logits, not to dividing them: softmax(z / T) "
         "is flatter for T > 1 and sharper for T < 1. The argmax is kept, the probabilities are not.",
})
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 19.5 — Reading a small validation set (1 point)
#
# A colleague fine-tunes this classifier with two settings. On the 86 validation sentences, setting A
# scores 81.4 % and setting B 83.7 %. What do you conclude?
#
# - (a) The difference is two sentences, within the noise of 86; prefer the cheaper setting, or measure on
#   more data or with several seeds before choosing.
# - (b) B is better by 2.3 points, a clear gain: adopt it and report its validation accuracy as expected
#   accuracy on new data.
# - (c) Evaluate both on the test set and keep the one with the higher test score, which is unbiased.
# - (d) Compute macro-F1 instead: on a balanced set it separates the two settings better than accuracy.
#
# Set `answer_19_5` to `"a"`, `"b"`, `"c"` or `"d"`, and run the grade cell for an explained answer.

# %% nbgrader={"solution": true, "grade_id": "ex19_5"}
### BEGIN SOLUTION
answer_19_5 = "a"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex19_5_test", "points": 1}
from course.quiz import check_answer

check_answer("answer_19_5", answer_19_5, (
    "quiz1:eyJrZXkiOiAiNTk3ZmJkYjRhZmNhNDZmYTJkMWE4Mjg3NjMxZGZjZTgyYjY3MmJjMWU1NDcwYzFlNTNkYjFhMjlhY2"
    "Y1OTNmMyIsICJuYW1lIjogImFuc3dlcl8xOV81IiwgIm9wdGlvbnMiOiB7ImEiOiAieWc2L0FhK25Vck9SNlZ5YkRCMTZCRD"
    "hXR2p4ajA5YzZWbFNBUGk4aXNIRHdEcjV0R3pBa1d6YXV5YjZiZW9zaU9sTzJheGRvbnJsbUJBdEwyblh6enYrTmZCUFBnc3"
    "pMcnFYSmlaT0lSdnFDMnFHeXdUaW85RkZJNjNnazc0dTFHTzdzM2tLQitUMG9KSTdDNFZzZVlGMW1QS3ZDTFFQZENLRVAvdF"
    "JjQ21ZWUY5dGFzZTByZTA0SnFhbG81TVp2Z1YwTnNuREgzYzZOay9uOTlTSDMxT0VGc3BUQU5YTDBTVndXTzI4TnpHcDhFYm"
    "Q2Zk1SVEN0cWd2aUlwZEMrbjF5Q2c5Zz09IiwgImIiOiAidFBvMXhLRlo5RVpJNVorRng5aSt1dFBDa3FhN2dZRDU4MTVvU0"
    "ZwL2VSZzI1SUhDSWxIZGR6N2h1bmp1VTA4bmN0QnhteldqZnVXc3hwNHZ5RFpLN1QvblcxQ3pKMkNWSE1rbllqZ2NFN0FqQ3"
    "AxSk9NV0V6QmJLZVJueldWWXVNOWZ6WGFocWQ1TkJVK3BlS1Z6ZEkvZkk3MENxdC9sd3F5K1V2ZnN6WWNmK2dlVE45VitYYj"
    "FSY1NzNHVNUzVkbHl5eWhybVdxM3F4eU43NFFsaFBJQmUwaExXQ29wQ1JYdE9jMjZBZDJlQVpwK3VMNDlyQWwxYmlFQT09Ii"
    "wgImMiOiAiMHNBSVpRbE4wdEFFenBwTGtMYytFNm9ZOTg3QlZZbmNpc3I0OFUrbEFYVDlhcGhWQlRVWkd6QU1FeEsvYUJnQV"
    "RLTEhLY1NMYktBR1JBT3k5OFVKRjVaVkI5UW9NbmdMUUp3VVlsY3JQMmJDWWE2aVJBak5TMTQyVGYwR3h4SG5KT1FWZUcxek"
    "4zdDR4N3VENTJMZTZlNDJYaFYvaGo0Mm1nZ3VxSjMyZG1PT1piazFaT1lKN2dZNFJLcy81bDBOWGphWENEMEdodSt2cXJUdD"
    "B4L0FNV2tpYm45UlNJVEgxTnNyQm9HbzBHMC9zOU93IiwgImQiOiAicWdxeVYrOFQydHdFZWgrNzZTbmcrOWx1aXNKWUdYS2"
    "UxbmJqVkRDV3Y4cGNJQnV5QjVtTU1TTUgza0NYc3pIeUl3L0FHZ24wcVJSMndFbDRDNjJ4OUZEczQ0dHRnM0ovdURDcWpOcD"
    "hHaTgxM01GUGhFZkNmR3lFUXNEN0RZMktMSE9XbmtIenRwTEpwUTJCcDg3VHhWVnZOYWlzeCszbXhodWFNRzZvdDFlRG9lY2"
    "pIYlFoS3ZCUmpPeFhESG1jdlpXNktRdz0ifSwgInNhbHQiOiAiMjc3MmVmNzhiYjJlNGZlNCJ9"))
### BEGIN HIDDEN TESTS
from course.quiz import grade_answer

grade_answer("answer_19_5", answer_19_5, "a", {
    "a": "Right: 81.4 % and 83.7 % of 86 are 70 and 72 sentences. The standard error of an accuracy near 80 % "
         "on 86 sentences is about 4 points, so two sentences say little; another seed can swap the order.",
    "b": "2.3 points is two sentences out of 86, well within the noise (a standard error of about 4 points). "
         "And a validation score used to choose is optimistic: it is not an estimate for new data.",
    "c": "Choosing on the test set makes its score optimistic too: the test set then becomes a second "
         "validation set, and nothing unbiased is left to report. Choose on validation, test once.",
    "d": "On a balanced binary set macro-F1 moves with accuracy; it does not add sentences, so the same two "
         "sentences of difference stay within the same noise.",
})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - A classifier on an encoder: pool the token vectors (masked mean, or `[CLS]` for a model trained to use
#   it), dropout, linear layer, cross-entropy on the logits. Padding must not count.
# - Frozen features + logistic regression is a fast, strong baseline. Fine-tuning the top layers adapts the
#   encoder; with a few hundred sentences it does not clearly beat the baseline.
# - Precision, recall and F1 per class; macro-F1 weighs every class the same, micro-F1 is the accuracy; a
#   class never predicted has F1 = 0 and still counts (scikit-learn's convention).
# - A confusion matrix says where the errors are; reading them says why (negations, contrasts).
# - Calibration: reliability diagram and ECE (state the bins); temperature scaling fitted on validation
#   changes the confidences, never the accuracy.
# - Small held-out sets are noisy: quote their size, and choose on validation, not on test.
#
# Next, lesson 20 turns to generation: how a language model chooses the next token.
#
# ## Going further
#
# - Devlin, Chang, Lee, Toutanova (2019). *BERT: Pre-training of Deep Bidirectional Transformers for Language
#   Understanding.* NAACL — the `[CLS]` token and fine-tuning for classification.
# - Reimers, Gurevych (2019). *Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks.* EMNLP — mean
#   pooling and the models behind `all-MiniLM-L6-v2`.
# - Wang, Wei, Dong, Bao, Yang, Zhou (2020). *MiniLM: Deep Self-Attention Distillation for Task-Agnostic
#   Compression of Pre-Trained Transformers.* NeurIPS.
# - Howard, Ruder (2018). *Universal Language Model Fine-tuning for Text Classification.* ACL — gradual
#   unfreezing and discriminative learning rates.
# - Guo, Pleiss, Sun, Weinberger (2017). *On Calibration of Modern Neural Networks.* ICML — ECE and
#   temperature scaling.
# - Ribeiro, Wu, Guestrin, Singh (2020). *Beyond Accuracy: Behavioral Testing of NLP Models with CheckList.*
#   ACL — testing negations and other capabilities on purpose.
# - Documentation: [scikit-learn model evaluation](https://scikit-learn.org/stable/modules/model_evaluation.html),
#   [sentence-transformers](https://sbert.net), transformers' `BertForSequenceClassification`.

# ---
# jupyter:
#   course:
#     title: "Training: data pipeline and hyperparameters"
#     budget_seconds: 75
# ---

# %% [markdown]
# # Lesson 13 · Training: data pipeline and hyperparameters
# {{COLAB_BADGE}}
#
# Lesson 12 assembled an encoder-decoder Transformer. Before lesson 14 trains it into a translator, this
# lesson builds everything *around* the model: batches of sentences of different lengths, the targets the
# decoder learns from, the loss, the optimiser and its learning-rate schedule, and the checks that tell a
# working setup from a broken one. None of these pieces raises an error when it is wrong: a shift by one
# position, a mask built from the wrong thing or a schedule that divides by zero at step 0 either crashes
# late or, worse, trains a model that quietly learns the wrong task.
#
# **You will be able to:**
# 1. turn variable-length sentence pairs into padded batches with a `collate` function and a `DataLoader`,
#    with padding masks built from the lengths (and say why not from the ids);
# 2. build the decoder input and the labels of **teacher forcing**, with `-100` on the padding;
# 3. compute the cross-entropy with `ignore_index` and **label smoothing**, checked against
#    `nn.CrossEntropyLoss`, and explain why a KL-divergence version returns `nan` on exact zeros;
# 4. implement the warm-up + inverse-square-root learning-rate schedule of the 2017 paper and drive
#    `AdamW` with it through `LambdaLR`, with gradient clipping and seeds;
# 5. run the **overfit-one-batch** check, and tell real learning from memorisation: on random token ids the
#    held-out loss never goes below $\log n$, the entropy of the random draw.
#
# **Prerequisites:** lessons 09–12 (masks, tokens and vocabularies, positions, the full model).
# **Time:** about 90 minutes.

# %%
# On Colab, install the course package (it brings PyTorch, transformers and MiniLM's weights).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{{INSTALL_SPEC}}"], check=True)

# %%
import copy
import functools
import math
import random
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import display
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

import course
import course.data as data
from course.checks import call_checking_inputs

course.set_seed(0)
torch.set_num_threads(1)   # tiny models train as fast on one thread, and it is not slowed by other programs
print(f"PyTorch {torch.__version__}")

# %% [markdown]
# ## 1. The data: sentence pairs as lists of ids
#
# The course generates its own English → French sentences (`course.data`): about a hundred English words,
# gender agreement, adjectives before or after the noun, elision, negation and questions. Lesson 14 trains
# on them until the model translates; here they are the **structured** data that a training setup must be
# tested on (section 8 shows why random ids would not do).

# %%
splits = data.translation_splits(seed=0)
print(f"{len(splits.train)} training pairs, {len(splits.valid)} validation pairs, {len(splits.test)} test pairs")
for english, french in splits.train[:3]:
    print(f"  {english:45s} -> {french}")

# %% [markdown]
# Each language gets its own word-level vocabulary (lesson 10), built from the training sentences only. The
# four special tokens come first: `<pad>` = 0, `<bos>` = 1 (begin of sentence), `<eos>` = 2 (end of
# sentence), `<unk>` = 3.

# %%
src_vocab = data.Vocabulary.from_texts(english for english, _ in splits.train)
tgt_vocab = data.Vocabulary.from_texts(french for _, french in splits.train)
PAD_ID = tgt_vocab.pad_id                      # the same id (0) in both vocabularies
assert src_vocab.pad_id == PAD_ID
print("source vocabulary:", src_vocab)
print("target vocabulary:", tgt_vocab)

# %% [markdown]
# A PyTorch **`Dataset`** is anything with `__len__` and `__getitem__`: here it returns one example as a pair
# `(src_ids, tgt_ids)` of Python lists. The convention used in this lesson and the next: the source is the
# English word ids followed by `<eos>` (the encoder sees where the sentence ends); the target is framed as
# `[<bos>, ..., <eos>]`, because the decoder needs a first input (`<bos>`) and must learn to stop (`<eos>`).

# %%
class TranslationDataset(Dataset):
    """(english, french) pairs as examples (src_ids, tgt_ids), lists of ints; tgt_ids = [<bos>, ..., <eos>]."""

    def __init__(self, pairs: list[tuple[str, str]], src_vocab: data.Vocabulary, tgt_vocab: data.Vocabulary):
        self.examples = [(src_vocab.encode(english, eos=True), tgt_vocab.encode(french, bos=True, eos=True))
                         for english, french in pairs]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> tuple[list[int], list[int]]:
        return self.examples[index]


train_dataset = TranslationDataset(splits.train, src_vocab, tgt_vocab)
valid_dataset = TranslationDataset(splits.valid, src_vocab, tgt_vocab)
src_ids, tgt_ids = train_dataset[0]
print("src_ids:", src_ids, "=", [src_vocab.itos[i] for i in src_ids])
print("tgt_ids:", tgt_ids, "=", [tgt_vocab.itos[i] for i in tgt_ids])

# %% [markdown]
# A **`DataLoader`** draws examples from the dataset (shuffled, if asked), groups them into batches and
# hands each batch to a **collate function** that turns a list of examples into tensors. The default one
# stacks examples of equal shape; sentences have different lengths, so it fails:

# %%
try:
    next(iter(DataLoader(train_dataset, batch_size=4)))
except RuntimeError as error:
    print(f"RuntimeError: {error}")

# %% [markdown]
# **Takeaway:** a `Dataset` returns one example, a `DataLoader` groups them; sentences of different lengths
# need a collate function of our own.

# %% [markdown]
# ## 2. A padding collate function
#
# To make a rectangle, shorter sentences are **padded** on the right with the pad id up to the longest one
# *in the batch* (source and target separately), and a **padding mask** records which positions are
# padding. We use the convention of `nn.Transformer` and `nn.MultiheadAttention` (lesson 09): a boolean
# tensor, **`True` = padding** (blocked as a key).
#
# Build the masks from the **lengths**, not with `ids == pad_id`. The two agree only as long as no real token
# has the pad id, and that is not always so: GPT-2 has no pad token and is usually padded with its
# end-of-text token (lesson 10). If we padded our targets with `<eos>` in the same way, the real `<eos>` that
# ends each target would have the pad id, a mask computed from the ids would call it padding, and the model
# would never be taught to stop. The lengths are known exactly when the batch is built, so a mask built from
# them is right in every case.

# %% [markdown]
# ### Exercise 13.1 — `collate` (3 points)
#
# Write `collate(batch, pad_id)`:
# - `batch`: a list of examples `(src_ids, tgt_ids)`, each a list of ints (any lengths ≥ 1);
# - return a `dict` with four tensors:
#   - `"src"`: `torch.long`, shape `(batch, src_len)`, `src_len` = the longest source in the batch; each
#     row holds the ids of one source, followed (on the **right**) by `pad_id` up to `src_len`;
#   - `"tgt"`: `torch.long`, shape `(batch, tgt_len)`, the same for the targets (`tgt_len` = the longest
#     target, independent of `src_len`);
#   - `"src_padding_mask"`, `"tgt_padding_mask"`: `torch.bool`, same shapes, **`True` at padding positions**,
#     built from the lengths of the lists (a real token may have the id `pad_id`);
# - do not modify the lists of `batch` (the `DataLoader` hands you the dataset's own lists).

# %% nbgrader={"solution": true, "grade_id": "ex13_1"}
def collate(batch: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a list of (src_ids, tgt_ids) examples into tensors, with padding masks built from the lengths.

    Args:
        batch: examples (src_ids, tgt_ids), lists of ints.
        pad_id: the id written into padding positions.
    Returns:
        {"src": long (batch, src_len), "tgt": long (batch, tgt_len),
         "src_padding_mask": bool (batch, src_len), "tgt_padding_mask": bool (batch, tgt_len)};
        padding on the right, masks True at padding.
    """
    ### BEGIN SOLUTION
    result = {}
    for side, index in (("src", 0), ("tgt", 1)):
        sequences = [example[index] for example in batch]
        lengths = torch.tensor([len(sequence) for sequence in sequences])         # (batch,)
        ids = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        result[side] = ids
        result[f"{side}_padding_mask"] = torch.arange(ids.shape[1])[None, :] >= lengths[:, None]
    return result
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex13_1_test", "points": 3}
# Self-check: a small batch, then the GPT-2 situation where the pad id is also the id of a real <eos>.
example_batch = [([5, 6, 7], [1, 8, 2]), ([9], [1, 10, 11, 12, 2])]
collated = call_checking_inputs(collate, example_batch, 0)
assert isinstance(collated, dict) and set(collated) == {"src", "tgt", "src_padding_mask", "tgt_padding_mask"}, (
    "collate must return a dict with the keys 'src', 'tgt', 'src_padding_mask', 'tgt_padding_mask'")
assert collated["src"].dtype == torch.long and collated["tgt"].dtype == torch.long, "ids must be torch.long"
assert collated["src_padding_mask"].dtype == torch.bool, "masks must be torch.bool (True = padding)"
assert collated["src"].tolist() == [[5, 6, 7], [9, 0, 0]], (
    f"src should be [[5, 6, 7], [9, 0, 0]] (padding on the right, up to the longest SOURCE), "
    f"got {collated['src'].tolist()}")
assert collated["tgt"].tolist() == [[1, 8, 2, 0, 0], [1, 10, 11, 12, 2]], (
    f"tgt should be [[1, 8, 2, 0, 0], [1, 10, 11, 12, 2]], got {collated['tgt'].tolist()}")
assert collated["src_padding_mask"].tolist() == [[False, False, False], [False, True, True]], (
    f"src_padding_mask should be True exactly at the padding, got {collated['src_padding_mask'].tolist()}")
eos_as_pad = collate([([5, 6], [1, 7, 2]), ([8, 9], [1, 7, 7, 7, 2])], pad_id=2)   # pad id = id of <eos>
assert eos_as_pad["tgt"].tolist() == [[1, 7, 2, 2, 2], [1, 7, 7, 7, 2]], (
    f"with pad_id=2, tgt should be [[1, 7, 2, 2, 2], [1, 7, 7, 7, 2]], got {eos_as_pad['tgt'].tolist()}")
assert eos_as_pad["tgt_padding_mask"].tolist() == [[False, False, False, True, True], [False] * 5], (
    "with pad_id = 2 = <eos>, the real <eos> at position 2 of the first target was marked as padding: build "
    "the masks from the LENGTHS of the lists (position >= length), not from `ids == pad_id`; "
    f"got {eos_as_pad['tgt_padding_mask'].tolist()}")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _reference_collate(batch, pad_id):
    out = {}
    for side, index in (("src", 0), ("tgt", 1)):
        lengths = [len(example[index]) for example in batch]
        width = max(lengths)
        out[side] = torch.tensor([list(example[index]) + [pad_id] * (width - len(example[index]))
                                  for example in batch], dtype=torch.long)
        out[f"{side}_padding_mask"] = torch.tensor([[position >= length for position in range(width)]
                                                    for length in lengths], dtype=torch.bool)
    return out


def _left_padded(batch, index, pad_id):
    width = max(len(example[index]) for example in batch)
    return [[pad_id] * (width - len(example[index])) + list(example[index]) for example in batch]


def _check_collate():
    rng = random.Random(13)
    cases = []
    for pad_id, batch_size in [(0, 5), (7, 4), (2, 3), (0, 6)]:
        batch = []
        for _ in range(batch_size):
            src = [rng.randrange(0, 12) for _ in range(rng.randint(1, 8))]
            tgt = [1] + [rng.randrange(3, 12) for _ in range(rng.randint(0, 7))] + [2]
            batch.append((src, tgt))
        batch[0][0][0] = pad_id                  # a real source token with the pad id
        batch[1] = (batch[1][0] + [3] * 4, batch[1][1])   # the longest source is not the first example
        cases.append((batch, pad_id))
    cases.append(([([4, 5], [1, 6, 2])], 0))                                     # one example: no padding
    cases.append(([([4, 5, 6, 7, 8, 9], [1, 2]), ([4], [1, 6, 6, 2])], 0))      # long source, short target
    for batch, pad_id in cases:
        got = call_checking_inputs(collate, batch, pad_id)
        expected = _reference_collate(batch, pad_id)
        assert isinstance(got, dict) and set(got) >= set(expected), (
            "collate must return a dict with the keys 'src', 'tgt', 'src_padding_mask', 'tgt_padding_mask'")
        for side, index in (("src", 0), ("tgt", 1)):
            ids, mask = got[side], got[f"{side}_padding_mask"]
            want_ids, want_mask = expected[side], expected[f"{side}_padding_mask"]
            assert isinstance(ids, torch.Tensor) and ids.dtype == torch.long, (
                f"{side} must be a torch.long tensor (embeddings need integer ids), got "
                f"{getattr(ids, 'dtype', type(ids).__name__)}")
            assert isinstance(mask, torch.Tensor) and mask.dtype == torch.bool, (
                f"{side}_padding_mask must be a torch.bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
            assert ids.shape == want_ids.shape, (
                f"{side} should have shape (batch, longest {side} in the batch) = {tuple(want_ids.shape)}, got "
                f"{tuple(ids.shape)} (pad the sources and the targets each to their OWN longest sequence)")
            assert mask.shape == want_mask.shape, (
                f"{side}_padding_mask should have the shape of {side}, {tuple(want_mask.shape)}, "
                f"got {tuple(mask.shape)}")
            if not torch.equal(ids, want_ids):
                if ids.tolist() == _left_padded(batch, index, pad_id):
                    raise AssertionError(f"{side} is padded on the LEFT; pad on the right (the tokens first)")
                real = ~want_mask
                if torch.equal(ids[real], want_ids[real]):
                    raise AssertionError(
                        f"the real tokens of {side} are right, but the padding positions do not hold pad_id={pad_id}: "
                        f"pad with the given pad_id (not always 0); got {ids.tolist()}")
                raise AssertionError(f"with pad_id={pad_id}, {side} should be {want_ids.tolist()}, got {ids.tolist()}")
            if not torch.equal(mask, want_mask):
                if torch.equal(mask, ~want_mask):
                    raise AssertionError(f"{side}_padding_mask is inverted: it must be True at PADDING positions "
                                         "(the convention of nn.Transformer's key_padding_mask)")
                if torch.equal(mask, ids == pad_id):
                    raise AssertionError(
                        f"{side}_padding_mask marks a real token whose id is pad_id={pad_id} as padding: build "
                        "the mask from the lengths of the lists, not from `ids == pad_id`")
                raise AssertionError(f"{side}_padding_mask should be {want_mask.tolist()}, got {mask.tolist()}")
    # It works as a DataLoader's collate_fn.
    loader = DataLoader([([5, 6], [1, 7, 2]), ([8], [1, 2])], batch_size=2,
                        collate_fn=functools.partial(collate, pad_id=0))
    assert next(iter(loader))["src"].tolist() == [[5, 6], [8, 0]]


_check_collate()
### END HIDDEN TESTS

# %% [markdown]
# With `functools.partial` the collate function becomes the `DataLoader`'s `collate_fn`. Shuffling draws
# from a `torch.Generator` of our own, so the order of the batches is reproducible (section 6).

# %%
def make_loader(dataset, batch_size: int = 32, seed: int = 0) -> DataLoader:
    """Shuffled batches of `dataset` through `collate`, in an order fixed by `seed`."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=True,
                      collate_fn=functools.partial(collate, pad_id=PAD_ID),
                      generator=torch.Generator().manual_seed(seed))


try:
    batch = next(iter(make_loader(train_dataset, batch_size=8)))
    for key, value in batch.items():
        print(f"{key:17s} {str(value.dtype):12s} {tuple(value.shape)}")
    print(f"share of padding in the targets of this batch: {batch['tgt_padding_mask'].float().mean():.0%}")
    course.plot_mask(batch["tgt_padding_mask"], [str(p) for p in range(batch["tgt"].shape[1])],
                     query_tokens=[f"example {i}" for i in range(8)], convention="blocked",
                     title="tgt_padding_mask of one batch", xlabel="target position", ylabel="example")
    plt.show()
except (NotImplementedError, NameError):
    print("Complete Exercise 13.1 to batch the data.")

# %% [markdown]
# **Takeaway:** pad on the right up to the longest sequence of the batch, and build the masks from the
# lengths: the mask is then right even when a real token shares the pad id.

# %% [markdown]
# ## 3. Teacher forcing: decoder input and labels
#
# The decoder predicts the target one token at a time, each prediction conditioned on the tokens before
# it. At inference it reads its own previous outputs; in training it reads the **true** previous tokens
# (lesson 07: **teacher forcing**), so that every position is trained at once, in parallel, behind the causal
# mask. From one target `[<bos>, le, chat, dort, ., <eos>]`:
#
# | position | 0 | 1 | 2 | 3 | 4 |
# |---|---|---|---|---|---|
# | decoder input (`tgt[:, :-1]`) | `<bos>` | le | chat | dort | . |
# | label (`tgt[:, 1:]`) | le | chat | dort | . | `<eos>` |
#
# The decoder input is the target **shifted right** (it starts with `<bos>` and drops the last token), the
# labels are the target **shifted left** (they drop `<bos>`): position $t$ reads tokens $0..t$ and must
# predict token $t+1$. In a padded batch, label positions that are padding get the value **`-100`**, the
# `ignore_index` of `nn.CrossEntropyLoss` (lesson 09): they must not be graded. The decoder input keeps its
# pad ids (an embedding needs valid ids); its padding mask is `tgt_padding_mask[:, :-1]`.

# %% [markdown]
# ### Exercise 13.2 — `shift_targets` (2 points)
#
# Write `shift_targets(tgt, pad_id, padding_mask=None)`:
# - `tgt`: `torch.long`, shape `(batch, tgt_len)`, the padded targets `[<bos>, ..., <eos>, pad, ...]`;
# - return `(decoder_input, labels)`, two `torch.long` tensors of shape `(batch, tgt_len - 1)`:
#   `decoder_input = tgt[:, :-1]` unchanged, and `labels = tgt[:, 1:]` with **`-100` at padding positions**;
# - the padding positions are given by `padding_mask` (bool `(batch, tgt_len)`, `True` = padding, as
#   `collate` returns it) when it is passed; without it, positions whose id equals `pad_id` are padding;
# - do not modify `tgt` (careful: `tgt[:, 1:]` is a *view* of `tgt`, and writing into a view writes into
#   `tgt`).

# %% nbgrader={"solution": true, "grade_id": "ex13_2"}
def shift_targets(tgt: torch.Tensor, pad_id: int,
                  padding_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder input and labels for teacher forcing.

    Args:
        tgt: long (batch, tgt_len), [<bos>, ..., <eos>] padded on the right.
        pad_id: the padding id (used to find the padding when padding_mask is None).
        padding_mask: optional bool (batch, tgt_len), True at padding positions.
    Returns:
        decoder_input: long (batch, tgt_len - 1) = tgt[:, :-1].
        labels: long (batch, tgt_len - 1) = tgt[:, 1:] with -100 where the label position is padding.
    """
    ### BEGIN SOLUTION
    if padding_mask is None:
        padding_mask = tgt == pad_id
    decoder_input = tgt[:, :-1]
    labels = tgt[:, 1:].masked_fill(padding_mask[:, 1:], -100)     # out of place: a new tensor
    return decoder_input, labels
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex13_2_test", "points": 2}
# Self-check: one padded batch, tgt left untouched.
tgt_check = torch.tensor([[1, 5, 6, 2, 0, 0],
                          [1, 7, 8, 9, 4, 2]])
decoder_input_check, labels_check = call_checking_inputs(shift_targets, tgt_check, 0)
assert decoder_input_check.tolist() == [[1, 5, 6, 2, 0], [1, 7, 8, 9, 4]], (
    "decoder_input should be tgt[:, :-1] (it starts with <bos> and drops the last column): expected "
    f"[[1, 5, 6, 2, 0], [1, 7, 8, 9, 4]], got {decoder_input_check.tolist()}")
assert labels_check.tolist() == [[5, 6, 2, -100, -100], [7, 8, 9, 4, 2]], (
    "labels should be tgt[:, 1:] (the NEXT token at each position) with -100 at the padding: expected "
    f"[[5, 6, 2, -100, -100], [7, 8, 9, 4, 2]], got {labels_check.tolist()}")
assert labels_check.dtype == torch.long, f"labels must be torch.long (class indices), got {labels_check.dtype}"
gpt2_like = torch.tensor([[1, 5, 6, 2, 2, 2], [1, 5, 6, 7, 8, 2]])     # pad id 2 = id of <eos>
gpt2_mask = torch.tensor([[False] * 4 + [True] * 2, [False] * 6])
_, gpt2_labels = call_checking_inputs(shift_targets, gpt2_like, 2, gpt2_mask)
assert gpt2_labels.tolist() == [[5, 6, 2, -100, -100], [5, 6, 7, 8, 2]], (
    "when padding_mask is given it decides what is padding: the <eos> at position 3 of the first target is real "
    f"although its id equals pad_id=2; got {gpt2_labels.tolist()}")
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _check_shift():
    torch.manual_seed(7)
    for pad_id in (0, 3):
        lengths = torch.tensor([2, 7, 4, 5])
        tgt = torch.randint(4, 20, (4, 7))
        tgt[:, 0] = 1
        tgt[torch.arange(4), lengths - 1] = 2
        tgt[torch.arange(7)[None, :] >= lengths[:, None]] = pad_id
        decoder_input, labels = call_checking_inputs(shift_targets, tgt, pad_id)
        assert decoder_input.shape == labels.shape == (4, 6), (
            f"both outputs must have shape (batch, tgt_len - 1) = (4, 6), got {tuple(decoder_input.shape)} and "
            f"{tuple(labels.shape)}")
        if torch.equal(decoder_input, tgt[:, 1:]):
            raise AssertionError("decoder_input and labels are swapped or shifted the wrong way: the decoder READS "
                                 "tgt[:, :-1] (starting with <bos>) and PREDICTS tgt[:, 1:]")
        assert torch.equal(decoder_input, tgt[:, :-1]), (
            "decoder_input must be exactly tgt[:, :-1], pad ids included (an embedding cannot look up -100)")
        expected = tgt[:, 1:].clone()
        expected[(torch.arange(1, 7)[None, :] >= lengths[:, None])] = -100
        if torch.equal(labels, tgt[:, 1:]):
            raise AssertionError("the padding positions of the labels must be -100 (ignore_index), not pad_id: "
                                 "otherwise the loss also grades the padding")
        if torch.equal(labels, tgt[:, :-1]):
            raise AssertionError("labels must be tgt[:, 1:]: position t predicts the NEXT token")
        assert torch.equal(labels, expected), (
            f"with pad_id={pad_id} expected labels {expected.tolist()}, got {labels.tolist()}")
        assert labels.dtype == torch.long, f"labels must be torch.long, got {labels.dtype}"
    # The padding mask, when given, decides: here the pad id is the id of <eos> (as GPT-2 is often padded).
    tgt = torch.tensor([[1, 5, 6, 2, 2, 2], [1, 5, 6, 7, 8, 2]])
    mask = torch.tensor([[False] * 4 + [True] * 2, [False] * 6])
    _, labels = call_checking_inputs(shift_targets, tgt, 2, mask)
    assert labels.tolist() == [[5, 6, 2, -100, -100], [5, 6, 7, 8, 2]], (
        "when padding_mask is given, use it to find the padding: the <eos> at position 3 of the first target "
        f"is real although its id equals pad_id=2; expected [[5, 6, 2, -100, -100], [5, 6, 7, 8, 2]], got "
        f"{labels.tolist()}")
    # The shortest possible target: [<bos>, <eos>].
    decoder_input, labels = shift_targets(torch.tensor([[1, 2]]), 0)
    assert decoder_input.tolist() == [[1]] and labels.tolist() == [[2]]


_check_shift()
### END HIDDEN TESTS

# %% [markdown]
# On the first example of the batch of section 2: each decoder input token sits above the label the model
# must predict from it (and from everything to its left).

# %%
try:
    decoder_input, labels = shift_targets(batch["tgt"], PAD_ID, batch["tgt_padding_mask"])
    print(f"{'position':>8}  {'decoder input':>13}  label")
    for position, (read, label) in enumerate(zip(decoder_input[0].tolist(), labels[0].tolist())):
        print(f"{position:>8}  {tgt_vocab.itos[read]:>13}  {tgt_vocab.itos[label] if label != -100 else -100}")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1 and 13.2 to see the shifted targets.")

# %% [markdown]
# **Takeaway:** decoder input = target without its last token, labels = target without `<bos>`, `-100` on
# padding; an off-by-one here lets the model copy its input instead of predicting the next token.

# %% [markdown]
# ## 4. The model and the loss
#
# The model is lesson 12's `Seq2SeqTransformer`, copied here (lesson 12's reference solution, written
# compactly): embeddings scaled by $\sqrt{d_\text{model}}$ plus sinusoidal positions, an encoder and a decoder
# stack, and an output projection tied to the target embedding. `forward(src, tgt, src_padding_mask,
# tgt_padding_mask)` returns logits of shape `(batch, tgt_len, tgt_vocab_size)`; both masks use `True` =
# padding.

# %%
def sinusoidal_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """(seq_len, d_model) float32: sin in even dimensions, cos in odd ones, pair i at frequency 10000^(-2i/d)."""
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]
    frequencies = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    encoding = torch.zeros(seq_len, d_model)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies)
    return encoding


class Seq2SeqTransformer(nn.Module):
    """Encoder-decoder Transformer (lesson 12), batch first. Padding masks: bool (batch, len), True = padding."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 128, nhead: int = 4,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, dim_feedforward: int = 256,
                 dropout: float = 0.1, pad_id: int = 0, max_len: int = 256, norm_first: bool = False) -> None:
        super().__init__()
        self.d_model, self.pad_id, self.max_len = d_model, pad_id, max_len
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        self.register_buffer("positional_encoding", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        encoder_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                   norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(encoder_layer, num_encoder_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        decoder_layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                   norm_first=norm_first)
        self.decoder = nn.TransformerDecoder(decoder_layer, num_decoder_layers, norm=nn.LayerNorm(d_model))
        self.output_projection = nn.Linear(d_model, tgt_vocab_size, bias=False)
        self.output_projection.weight = self.tgt_embedding.weight   # tied
        for parameter in [*self.encoder.parameters(), *self.decoder.parameters()]:
            if parameter.dim() > 1:
                nn.init.xavier_uniform_(parameter)
        with torch.no_grad():
            for embedding in (self.src_embedding, self.tgt_embedding):
                nn.init.normal_(embedding.weight, mean=0.0, std=d_model ** -0.5)
                embedding.weight[pad_id].zero_()

    def embed(self, ids: torch.Tensor, embedding: nn.Embedding) -> torch.Tensor:
        return self.dropout(embedding(ids) * math.sqrt(self.d_model) + self.positional_encoding[: ids.shape[1]])

    def encode(self, src, src_padding_mask=None):
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id
        return self.encoder(self.embed(src, self.src_embedding), src_key_padding_mask=src_padding_mask)

    def decode(self, tgt, memory, src_padding_mask=None, tgt_padding_mask=None):
        if tgt_padding_mask is None:
            tgt_padding_mask = tgt == self.pad_id
        causal = torch.ones(tgt.shape[1], tgt.shape[1], dtype=torch.bool, device=tgt.device).triu(1)
        decoded = self.decoder(self.embed(tgt, self.tgt_embedding), memory, tgt_mask=causal,
                               tgt_key_padding_mask=tgt_padding_mask, memory_key_padding_mask=src_padding_mask)
        return self.output_projection(decoded)                                  # (batch, tgt_len, vocab)

    def forward(self, src, tgt, src_padding_mask=None, tgt_padding_mask=None):
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id
        return self.decode(tgt, self.encode(src, src_padding_mask), src_padding_mask, tgt_padding_mask)


MODEL_CONFIG = dict(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=128,
                    dropout=0.1, pad_id=PAD_ID)


def make_model(seed: int = 0, **changes) -> Seq2SeqTransformer:
    """A fresh model with the lesson's tiny configuration; the seed fixes its initial weights."""
    torch.manual_seed(seed)
    return Seq2SeqTransformer(len(src_vocab), len(tgt_vocab), **{**MODEL_CONFIG, **changes})


model = make_model()
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")

# %% [markdown]
# ### Cross-entropy over a batch of sequences
#
# The logits have shape `(batch, tgt_len - 1, V)` and the labels `(batch, tgt_len - 1)`. `F.cross_entropy`
# wants the classes on axis 1, so flatten batch and positions into one axis: `(N, V)` against `(N,)`. With
# `ignore_index=-100` (the default), the mean runs over the **real** label positions only, whatever the
# padding. An untrained model spreads its probability over the $V$ target words, so its loss starts near
# $\log V$, the loss of a uniform guess, or above it (random logits that do not depend on the label do worse
# than a uniform guess, on average). A first
# loss far from $\log V$ is worth investigating before anything else.

# %%
try:
    model.eval()
    with torch.no_grad():
        logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
    vocab_size = logits.shape[-1]
    flat_logits, flat_labels = logits.reshape(-1, vocab_size), labels.reshape(-1)      # (N, V), (N,)
    loss = F.cross_entropy(flat_logits, flat_labels, ignore_index=-100)
    per_position = F.cross_entropy(flat_logits, flat_labels, ignore_index=-100, reduction="none")
    kept = flat_labels != -100
    print(f"logits {tuple(logits.shape)}, labels {tuple(labels.shape)}")
    print(f"cross-entropy of the untrained model: {loss:.4f}   (log V = log {vocab_size} = {math.log(vocab_size):.4f})")
    print(f"sum over the {int(kept.sum())} real positions / their number: {per_position.sum() / kept.sum():.4f}")
    print(f"the same with the classes on axis 1, (batch, V, len): "
          f"{F.cross_entropy(logits.transpose(1, 2), labels):.4f}")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1 and 13.2 to compute the loss of a batch.")

# %% [markdown]
# ### Label smoothing
#
# The one-hot target asks the model to give probability 1 to the right word, which it can only approach by
# growing its logits without bound. **Label smoothing** (Szegedy et al., 2016; used by Vaswani et al., 2017,
# with $\varepsilon = 0.1$) replaces the one-hot target by a mixture with the uniform distribution over the
# $V$ classes, $q = (1 - \varepsilon)\,\text{one-hot}(y) + \varepsilon / V$, and minimises the cross-entropy
# $-\sum_v q_v \log p_v$ with the model's probabilities $p$:
#
# $$\mathcal{L}_\varepsilon = (1 - \varepsilon)\,\big(-\log p_y\big) + \varepsilon\,\frac{1}{V}\sum_{v=1}^{V}
# \big(-\log p_v\big).$$
#
# This is the definition of `nn.CrossEntropyLoss(label_smoothing=ε)`. Written by hand from the log-softmax,
# and checked against it with padding labels in the batch:

# %%
def smoothed_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, smoothing: float,
                           ignore_index: int = -100) -> torch.Tensor:
    """Label-smoothed cross-entropy, mean over the kept positions. logits (N, V), labels (N,)."""
    keep = labels != ignore_index
    log_probs = logits[keep].log_softmax(dim=-1)                              # (n_kept, V), stable
    nll = -log_probs.gather(1, labels[keep][:, None]).squeeze(1)              # (n_kept,)  -log p_y
    uniform_part = -log_probs.mean(dim=-1)                                    # (n_kept,)  mean_v -log p_v
    return ((1 - smoothing) * nll + smoothing * uniform_part).mean()


torch.manual_seed(0)
test_logits = 3 * torch.randn(50, 20)
test_labels = torch.randint(0, 20, (50,))
test_labels[::4] = -100                                                       # some padding positions
for smoothing in (0.0, 0.1, 0.3):
    reference = nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=smoothing)(test_logits, test_labels)
    mine = smoothed_cross_entropy(test_logits, test_labels, smoothing)
    torch.testing.assert_close(mine, reference)
    print(f"smoothing {smoothing}: by hand {mine:.6f}   nn.CrossEntropyLoss {reference:.6f}")

# %% [markdown]
# Smoothing puts a **floor** under the loss: the best prediction is $p = q$ itself, and its loss is the
# entropy $H(q) > 0$. A training curve with smoothing flattens out above zero, and an overfit check
# (section 7) must switch smoothing off or compare with this floor.

# %%
def smoothing_floor(smoothing: float, vocab_size: int) -> float:
    """The smallest possible label-smoothed loss: the entropy of the smoothed target."""
    q_right, q_other = 1 - smoothing + smoothing / vocab_size, smoothing / vocab_size
    return -(q_right * math.log(q_right) + (vocab_size - 1) * q_other * math.log(q_other))


best_logits = torch.full((1, len(tgt_vocab)), math.log(0.1 / len(tgt_vocab)))
best_logits[0, 5] = math.log(1 - 0.1 + 0.1 / len(tgt_vocab))                 # log q: the best possible model
print(f"floor of the loss with smoothing 0.1 and V = {len(tgt_vocab)}: {smoothing_floor(0.1, len(tgt_vocab)):.4f}")
print(f"nn.CrossEntropyLoss of the prediction p = q:             "
      f"{F.cross_entropy(best_logits, torch.tensor([5]), label_smoothing=0.1):.4f}")

# %% [markdown]
# ### Why not the KL-divergence version?
#
# The Annotated Transformer (Rush et al.) writes label smoothing as a KL divergence: it builds the smoothed
# target distribution (with $\varepsilon / (V-2)$ on the other words, 0 on the padding column, rows of
# padding labels zeroed) and calls `nn.KLDivLoss`, which takes **log-probabilities** as input. A compact
# copy:

# %%
def annotated_label_smoothing(log_probs: torch.Tensor, target: torch.Tensor, padding_idx: int,
                              smoothing: float) -> torch.Tensor:
    """The KL-divergence form of the Annotated Transformer. log_probs (N, V), target (N,) with pad ids."""
    true_dist = torch.full_like(log_probs, smoothing / (log_probs.shape[1] - 2))
    true_dist.scatter_(1, target[:, None], 1.0 - smoothing)
    true_dist[:, padding_idx] = 0
    true_dist[target == padding_idx] = 0
    return nn.KLDivLoss(reduction="sum")(log_probs, true_dist)


confident_logits = torch.tensor([[0.0, 2.0, 120.0, 1.0, 3.0]])     # a confident model: 120 >> the rest
target = torch.tensor([2])
probabilities = confident_logits.softmax(dim=-1)
print("softmax:", probabilities.tolist(), "<- exact zeros in float32")
print(f"KL form, fed log(softmax):        {annotated_label_smoothing(probabilities.log(), target, 0, 0.1)}")
kl_from_log_softmax = annotated_label_smoothing(confident_logits.log_softmax(dim=-1), target, 0, 0.1)
print(f"KL form, fed log_softmax(logits): {kl_from_log_softmax:.4f}")
print(f"nn.CrossEntropyLoss(label_smoothing=0.1) on the logits: "
      f"{nn.CrossEntropyLoss(label_smoothing=0.1)(confident_logits, target):.4f}")

# %% [markdown]
# Fed `probabilities.log()`, the KL form returns `nan`. The softmax of a confident model underflows to
# **exact zeros** in float32, whose log is $-\infty$: where the smoothed target is positive,
# $q\,(\log q - (-\infty)) = +\infty$, and in the padding column, where the target is exactly 0, PyTorch
# computes $0 \cdot (-\infty) =$ `nan`. Its own worked example feeds hand-written probabilities with a 0 in
# the padding column, and with current PyTorch it returns `nan` too. Fed `log_softmax`, the KL form is
# finite, but it is not the same loss: it subtracts the entropy of the target (a constant, no effect on the
# gradients), spreads $\varepsilon$ over the $V-2$ other words (none on the padding column, none extra on the
# right word) instead of $\varepsilon/V$ on all $V$, and sums instead of averaging. `nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=ε)` works from the
# logits with a stable log-softmax and skips the `-100` labels: use it.
#
# **Takeaway:** flatten to `(N, V)` and `(N,)`, ignore `-100`, and let `nn.CrossEntropyLoss` do the label
# smoothing; a smoothed loss has a floor $H(q) > 0$.

# %% [markdown]
# ## 5. The learning-rate schedule: warm-up, then $1/\sqrt{\text{step}}$
#
# Vaswani et al. (2017) train with Adam and a learning rate that grows linearly for `warmup_steps` updates,
# then decays as the inverse square root of the step number:
#
# $$\text{lr}(\text{step}) = d_\text{model}^{-0.5}\cdot\min\!\big(\text{step}^{-0.5},\;
# \text{step}\cdot\text{warmup}^{-1.5}\big).$$
#
# The two terms are equal at $\text{step} = \text{warmup}$, where the schedule peaks at
# $(d_\text{model}\cdot\text{warmup})^{-0.5}$. The warm-up matters for post-norm Transformers such as the
# 2017 model (lesson 06): at the start, Adam's estimates of the gradient scale are poor and large updates can
# derail training; pre-norm models are more forgiving (Xiong et al., 2020). Wider models get smaller
# rates through the $d_\text{model}^{-0.5}$ factor.
#
# **Step 0.** Read literally, the formula divides by zero at step 0 ($0^{-0.5}$). It is not a corner case:
# `torch.optim.lr_scheduler.LambdaLR` multiplies the optimiser's base rate by `lr_lambda(k)`, where `k` counts
# the scheduler's steps, and it calls `lr_lambda(0)` in its constructor: the very first update uses the rate
# of step 0. We follow the Annotated Transformer and treat step 0 as step 1, so the first update already
# moves the weights, with the smallest rate of the warm-up. (Hugging Face's `get_inverse_sqrt_schedule`
# returns 0 at step 0 instead: its first update leaves the weights unchanged (AdamW's moment estimates
# still take in that gradient).)

# %% [markdown]
# ### Exercise 13.3 — `lr_at(step)` (3 points)
#
# Write `lr_at(step, d_model=512, warmup_steps=4000)`:
# - return, as a Python `float`, the learning rate of the formula above for an integer `step` ≥ 0, with
#   `d_model` and `warmup_steps` ≥ 1 given (the defaults are the paper's);
# - **step 0 is computed as step 1**: `lr_at(0) == lr_at(1)`, finite and positive, no division by zero;
# - so that `LambdaLR(optimizer, lr_lambda=lr_at)` with a base rate of 1.0 gives update number `k`
#   (counting from 0) the rate `lr_at(k)`.

# %% nbgrader={"solution": true, "grade_id": "ex13_3"}
def lr_at(step: int, d_model: int = 512, warmup_steps: int = 4000) -> float:
    """Learning rate of Vaswani et al. (2017): linear warm-up, then inverse square root of the step.

    Args:
        step: the number of updates done so far (0 for the first update); step 0 is computed as step 1.
        d_model: the model width.
        warmup_steps: the step at which the schedule peaks.
    Returns:
        d_model^-0.5 * min(step^-0.5, step * warmup_steps^-1.5), as a float.
    """
    ### BEGIN SOLUTION
    step = max(step, 1)
    return float(d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex13_3_test", "points": 3}
# Self-check: step 0, the peak, and a real optimiser driven by LambdaLR.
assert isinstance(lr_at(100), float), f"lr_at must return a Python float, got {type(lr_at(100)).__name__}"
assert lr_at(3999) < lr_at(4000) and lr_at(4001) < lr_at(4000), (
    "the peak must be exactly at step == warmup_steps = 4000 (an off-by-one such as step + 1 moves it)")
peak_value = (512 * 4000) ** -0.5
assert math.isclose(lr_at(4000), peak_value, rel_tol=1e-6), (
    f"with d_model=512, warmup_steps=4000 the schedule peaks at step 4000 with (512 * 4000)^-0.5 = {peak_value:.6e}; "
    f"lr_at(4000) returned {lr_at(4000):.6e} (check the factor d_model^-0.5 and the exponents)")
assert math.isclose(lr_at(100, 64, 100), (64 * 100) ** -0.5, rel_tol=1e-6), (
    "use the arguments d_model and warmup_steps, not the paper's numbers")
try:
    lr_at(0)
except ZeroDivisionError as error:
    raise AssertionError("lr_at(0) divides by zero: compute step 0 as step 1 (LambdaLR calls lr_lambda(0) as soon "
                         "as it is created)") from error
assert math.isclose(lr_at(0), lr_at(1), rel_tol=1e-12) and lr_at(1) > 0, (
    f"step 0 must be computed as step 1: lr_at(0) = {lr_at(0)}, lr_at(1) = {lr_at(1)}")
check_optimizer = torch.optim.AdamW([nn.Parameter(torch.zeros(3))], lr=1.0)
check_scheduler = torch.optim.lr_scheduler.LambdaLR(check_optimizer, lr_lambda=lr_at)   # calls lr_at(0)
assert math.isclose(check_optimizer.param_groups[0]["lr"], lr_at(1), rel_tol=1e-6)
print("Self-check passed.")
### BEGIN HIDDEN TESTS
def _reference_lr(step, d_model, warmup_steps):
    step = max(step, 1)
    return d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)


def _check_lr_at():
    from transformers import get_inverse_sqrt_schedule

    for d_model, warmup_steps in [(512, 4000), (64, 100), (128, 7), (1024, 1)]:
        try:
            value_0 = lr_at(0, d_model=d_model, warmup_steps=warmup_steps)
        except ZeroDivisionError as error:
            raise AssertionError("lr_at(0) divides by zero: compute step 0 as step 1 (step = max(step, 1)); "
                                 "LambdaLR calls lr_lambda(0) as soon as it is created") from error
        assert math.isfinite(value_0) and value_0 > 0, f"lr_at(0) must be finite and positive, got {value_0}"
        steps = range(0, 3 * warmup_steps + 5)
        values = [lr_at(step, d_model=d_model, warmup_steps=warmup_steps) for step in steps]
        best = max(range(1, len(values)), key=values.__getitem__)          # (step 0 equals step 1)
        assert best == warmup_steps, (
            f"with warmup_steps={warmup_steps} the schedule must peak at step {warmup_steps}, yours peaks at step "
            f"{best} " + ("(an off-by-one such as step + 1?)" if abs(best - warmup_steps) <= 1 else
                          "(does lr_at use its d_model and warmup_steps arguments?)"))
        peak = (d_model * warmup_steps) ** -0.5
        ratio = values[warmup_steps] / peak
        if math.isclose(ratio, d_model ** 0.5, rel_tol=1e-6) or math.isclose(ratio, d_model, rel_tol=1e-6):
            raise AssertionError("the factor d_model^-0.5 is missing or wrong: the peak must be "
                                 "(d_model * warmup)^-0.5")
        for step, value in zip(steps, values):
            assert math.isclose(value, _reference_lr(step, d_model, warmup_steps), rel_tol=1e-6), (
                f"d_model={d_model}, warmup_steps={warmup_steps}: lr_at({step}) should be "
                f"{_reference_lr(step, d_model, warmup_steps):.6e}, got {value:.6e}")
        if warmup_steps > 100:
            continue
        # Library reference: Hugging Face's inverse-square-root schedule times the peak, from step 1 on.
        parameter = nn.Parameter(torch.zeros(2))
        optimizer = torch.optim.AdamW([parameter], lr=peak)
        scheduler = get_inverse_sqrt_schedule(optimizer, num_warmup_steps=warmup_steps)
        for step in range(0, 2 * warmup_steps + 3):
            if step >= 1:
                library_lr = optimizer.param_groups[0]["lr"]
                assert math.isclose(library_lr, lr_at(step, d_model, warmup_steps), rel_tol=1e-6), (
                    f"at step {step} transformers' get_inverse_sqrt_schedule gives {library_lr:.6e}, "
                    f"lr_at gives {lr_at(step, d_model, warmup_steps):.6e}")
            parameter.grad = torch.ones(2)
            optimizer.step()
            scheduler.step()
    # LambdaLR driving a real optimiser with the learner's schedule: update k must use the rate of step k.
    model_check = nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model_check.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda=functools.partial(lr_at, d_model=32, warmup_steps=10))
    for k in range(35):
        assert math.isclose(optimizer.param_groups[0]["lr"], _reference_lr(k, 32, 10), rel_tol=1e-6), (
            f"update {k} of an optimiser driven by LambdaLR(lr_lambda=lr_at) uses lr "
            f"{optimizer.param_groups[0]['lr']:.6e}, but the rate of step {k} is {_reference_lr(k, 32, 10):.6e}")
        model_check(torch.randn(4, 3)).pow(2).mean().backward()
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
    assert isinstance(lr_at(5, 64, 10), float), "lr_at must return a Python float"


_check_lr_at()
### END HIDDEN TESTS

# %% [markdown]
# The paper's schedule, and the one we use for our tiny model ($d_\text{model} = 64$, 100 warm-up steps),
# next to Hugging Face's `get_inverse_sqrt_schedule` driving a real optimiser: they agree from step 1 on.

# %%
try:
    from transformers import get_inverse_sqrt_schedule

    WARMUP_STEPS = 100
    hf_optimizer = torch.optim.AdamW([nn.Parameter(torch.zeros(1))], lr=(64 * WARMUP_STEPS) ** -0.5)
    hf_scheduler = get_inverse_sqrt_schedule(hf_optimizer, num_warmup_steps=WARMUP_STEPS)
    hf_rates = []
    for _ in range(401):
        hf_rates.append(hf_optimizer.param_groups[0]["lr"])
        hf_optimizer.step()
        hf_scheduler.step()
    for step in (0, 1, 50, 100, 400):
        print(f"step {step:4d}: lr_at = {lr_at(step, 64, WARMUP_STEPS):.3e}   Hugging Face = {hf_rates[step]:.3e}")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    paper_steps = list(range(0, 20001, 100))
    course.plot_curves(paper_steps, {"d_model = 512, warmup 4000": [lr_at(s) for s in paper_steps],
                                     "d_model = 256, warmup 4000": [lr_at(s, 256) for s in paper_steps],
                                     "d_model = 512, warmup 8000": [lr_at(s, 512, 8000) for s in paper_steps]},
                       xlabel="step", ylabel="learning rate", title="The 2017 schedule (paper sizes)", ax=left)
    our_steps = list(range(400))
    course.plot_curves(our_steps, {"lr_at(step, 64, 100)": [lr_at(s, 64, WARMUP_STEPS) for s in our_steps],
                                   "get_inverse_sqrt_schedule": hf_rates[:400]},
                       xlabel="step", ylabel="learning rate", title="Our tiny model", ax=right)
    for ax in (left, right):
        for line in ax.lines:
            line.set_marker("")
        ax.legend()
    plt.tight_layout()
    plt.show()
except (NotImplementedError, NameError):
    print("Complete Exercise 13.3 to draw the schedule.")

# %% [markdown]
# **Takeaway:** warm-up then $1/\sqrt{\text{step}}$, peak $(d_\text{model}\cdot\text{warmup})^{-0.5}$ at
# step = warmup; `LambdaLR` evaluates step 0 at once, so the formula must be defined there.

# %% [markdown]
# ## 6. AdamW, gradient clipping and seeds
#
# **AdamW** (Loshchilov & Hutter, 2019). Adam with `weight_decay` adds $\lambda w$ to the gradient, and
# Adam then divides the gradient by its own running scale: the decay of a weight with no other gradient is
# normalised away, and every weight moves by about the learning rate, large or small. AdamW instead
# **decouples** the decay: $w \leftarrow w - \text{lr}\,\lambda\,w$ after the Adam step, a shrinkage
# proportional to the weight. One update of a weight whose loss gradient is zero:

# %%
for start in (1.0, 100.0):
    for optimizer_class in (torch.optim.Adam, torch.optim.AdamW):
        weight = nn.Parameter(torch.tensor([start]))
        optimizer = optimizer_class([weight], lr=0.01, weight_decay=0.1)
        weight.grad = torch.zeros(1)                     # no gradient from the loss
        optimizer.step()
        print(f"{optimizer_class.__name__:5s} w = {start:5.1f} -> {weight.item():.4f}   "
              f"(moved by {start - weight.item():.4f})")

# %% [markdown]
# Adam moved both weights by the learning rate (0.01); AdamW shrank each by the same *fraction*,
# $\text{lr}\cdot\lambda = 10^{-3}$, as weight decay is meant to. We use `torch.optim.AdamW` with the paper's
# $\beta_2 = 0.98$.
#
# **Gradient clipping** rescales the whole gradient when its norm (all parameters together) exceeds a
# threshold, so that one bad batch cannot throw the weights far away. `torch.nn.utils.clip_grad_norm_` clips
# in place and **returns the norm measured before clipping**: log that value, it is the one that shows spikes.
# Clip after `loss.backward()` and before `optimizer.step()`.

# %%
try:
    model = make_model()
    model.train()
    logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
    F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)).backward()
    returned_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    norm_after = torch.linalg.vector_norm(
        torch.stack([p.grad.norm() for p in model.parameters() if p.grad is not None]))
    print(f"clip_grad_norm_ returned {returned_norm:.4f} (before clipping); norm after clipping: {norm_after:.4f}")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1 and 13.2 to compute a gradient.")

# %% [markdown]
# **Seeds.** A run is reproducible when every source of randomness is fixed: the initial weights and dropout
# (PyTorch's global generator: `torch.manual_seed`, here through `course.set_seed`, which also seeds Python
# and NumPy), and the order of the batches (the `DataLoader`'s own `generator`, section 2). Here is the
# training function used in the rest of the lesson; it logs the loss, the learning rate, the gradient norm
# and, every `eval_every` steps, the held-out loss. Two short runs with the same seed give identical numbers.

# %%
def held_out_loss(model: nn.Module, dataset, *, words_only: bool = False, batch_size: int = 250) -> float:
    """Mean cross-entropy per target token on `dataset`, in eval mode (no dropout, no smoothing).

    words_only=True also leaves out the <eos> labels (section 8 explains why).
    """
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            batch = collate([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))], PAD_ID)
            decoder_input, labels = shift_targets(batch["tgt"], PAD_ID, batch["tgt_padding_mask"])
            if words_only:
                labels = labels.masked_fill(labels == tgt_vocab.eos_id, -100)
            logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                     reduction="sum").item()
            count += int((labels != -100).sum())
    model.train(was_training)
    return total / count


def train(model: nn.Module, dataset, steps: int, *, seed: int = 0, batch_size: int = 32,
          warmup_steps: int = 100, label_smoothing: float = 0.1, max_grad_norm: float = 1.0,
          valid_dataset=None, eval_every: int = 50, live_plot: bool = False, desc: str = "training") -> dict:
    """Train `model` for `steps` updates on shuffled batches of `dataset`; returns the logged history."""
    course.set_seed(seed)                                              # dropout draws from the global generator
    loader = make_loader(dataset, batch_size=batch_size, seed=seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.01)
    d_model = model.d_model
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda=lambda step: lr_at(step, d_model=d_model, warmup_steps=warmup_steps))
    loss_function = nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=label_smoothing)
    history = {"loss": [], "lr": [], "grad_norm": [], "eval_step": [], "held_out": []}
    if live_plot:
        figure, live_ax = plt.subplots(figsize=(7, 3.5))
        handle = display(figure, display_id=True)
        plt.close(figure)
    model.train()
    progress = tqdm(total=steps, desc=desc)
    while len(history["loss"]) < steps:
        for batch in loader:
            decoder_input, labels = shift_targets(batch["tgt"], PAD_ID, batch["tgt_padding_mask"])
            logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
            loss = loss_function(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            history["lr"].append(optimizer.param_groups[0]["lr"])    # the rate this update uses
            optimizer.step()
            scheduler.step()
            history["loss"].append(loss.item())
            history["grad_norm"].append(grad_norm.item())
            step = len(history["loss"])
            progress.update(1)
            if valid_dataset is not None and (step % eval_every == 0 or step == steps):
                history["eval_step"].append(step)
                history["held_out"].append(held_out_loss(model, valid_dataset, words_only=True))
                progress.set_postfix(loss=f"{loss.item():.3f}", held_out=f"{history['held_out'][-1]:.3f}")
                if live_plot:
                    live_ax.clear()
                    course.plot_curves(range(1, step + 1), {"training loss (with smoothing)": history["loss"]},
                                       xlabel="step", ylabel="cross-entropy", title="Training (live)", ax=live_ax)
                    live_ax.plot(history["eval_step"], history["held_out"], "o-", label="held-out loss per word")
                    live_ax.legend()
                    if handle is not None:                     # None outside IPython
                        handle.update(figure)
            if step == steps:
                break
    progress.close()
    return history


try:
    first = train(make_model(seed=0), train_dataset, steps=5, desc="seed 0")["loss"]
    again = train(make_model(seed=0), train_dataset, steps=5, desc="seed 0 again")["loss"]
    other = train(make_model(seed=1), train_dataset, steps=5, seed=1, desc="seed 1")["loss"]
    print("seed 0:      ", [round(value, 6) for value in first])
    print("seed 0 again:", [round(value, 6) for value in again], "identical:", first == again)
    print("seed 1:      ", [round(value, 6) for value in other])
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 to run the training function.")

# %% [markdown]
# Bit-for-bit equality holds on one machine with one PyTorch version; other hardware or thread counts may
# change the last digits (`torch.use_deterministic_algorithms(True)` rules out the nondeterministic kernels).
#
# **Takeaway:** AdamW decays weights proportionally; log the norm that `clip_grad_norm_` returns; seed the
# global generator *and* the `DataLoader`.

# %% [markdown]
# ## 7. The overfit-one-batch check
#
# Before a long run, check that the setup **can learn at all**: train on one single batch, again and again.
# Even a model of a few tens of thousands of parameters can memorise eight sentences, so the loss must fall
# to nearly zero within a hundred steps or so (Karpathy, 2019, "A Recipe for Training Neural Networks"). If it
# does not, something is broken: the labels do not match the inputs, the gradients do not reach the weights,
# the learning rate is off by orders of magnitude. Switch off what limits memorisation: dropout (build the
# model with `dropout=0.0`) and label smoothing (its floor, section 4).
#
# The check is necessary, not sufficient: a model that reads its own labels (no shift) passes it even
# faster (section 9). Its first loss is a second check: it should be close to $\log V$.

# %% [markdown]
# ### Exercise 13.4 — pass the overfit-one-batch check (2 points)
#
# Write `overfit_one_batch(model, batch, pad_id, steps=100, lr=3e-3, max_grad_norm=1.0)`, which trains
# `model` on the one collated `batch` (a dict from `collate`) and returns the list of the `steps` losses, as
# Python floats. Exactly:
# - put the model in training mode; create `torch.optim.AdamW(model.parameters(), lr=lr)` (other settings
#   left at their defaults; no schedule);
# - at each step: get the decoder input and labels with your `shift_targets` (pass the batch's
#   `tgt_padding_mask`); compute the logits with both padding masks (the decoder's is
#   `batch["tgt_padding_mask"][:, :-1]`); the loss is the mean cross-entropy over the non-`-100` labels,
#   **without** label smoothing; clear the old gradients, backpropagate, clip the gradient norm to
#   `max_grad_norm` with `torch.nn.utils.clip_grad_norm_`, update; record the loss (its value before the
#   update);
# - do not modify `batch`.
#
# The check below builds a small model without dropout (one layer each side, width 32) and expects the loss to
# fall below 0.1.

# %% nbgrader={"solution": true, "grade_id": "ex13_4"}
def overfit_one_batch(model: nn.Module, batch: dict[str, torch.Tensor], pad_id: int, steps: int = 100,
                      lr: float = 3e-3, max_grad_norm: float = 1.0) -> list[float]:
    """Train `model` on one batch for `steps` updates of AdamW; return the loss of each step.

    Args:
        model: a Seq2SeqTransformer (forward(src, tgt, src_padding_mask, tgt_padding_mask) -> logits).
        batch: a dict from collate.
        pad_id: the padding id.
        steps, lr, max_grad_norm: number of updates, AdamW learning rate, clipping threshold.
    Returns:
        the `steps` losses (floats), each measured before its update.
    """
    ### BEGIN SOLUTION
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    decoder_input, labels = shift_targets(batch["tgt"], pad_id, batch["tgt_padding_mask"])
    losses = []
    for _ in range(steps):
        logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex13_4_test", "points": 2}
# Self-check: the overfit-one-batch check on eight training sentences.
SMALL_CONFIG = dict(d_model=32, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64,
                    dropout=0.0, pad_id=PAD_ID)
one_batch = collate([train_dataset[i] for i in range(8)], PAD_ID)
probe_tgt = one_batch["tgt"].clone()
probe_input, _ = shift_targets(probe_tgt, PAD_ID, one_batch["tgt_padding_mask"])
assert torch.equal(probe_tgt, one_batch["tgt"]) and bool((probe_input >= 0).all()), (
    "overfit_one_batch uses your shift_targets, which changes tgt or puts -100 into the decoder input: "
    "fix Exercise 13.2 first")
torch.manual_seed(0)
small_model = Seq2SeqTransformer(len(src_vocab), len(tgt_vocab), **SMALL_CONFIG)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")        # e.g. float(loss) on a tensor that requires grad: harmless here
    overfit_losses = call_checking_inputs(functools.partial(overfit_one_batch, small_model), one_batch, PAD_ID,
                                          100, name="overfit_one_batch")
assert isinstance(overfit_losses, list) and len(overfit_losses) == 100, (
    f"return a list of the 100 losses, got {type(overfit_losses).__name__} of length {len(overfit_losses)}")
assert all(isinstance(value, float) for value in overfit_losses), "each loss must be a Python float (loss.item())"
assert abs(overfit_losses[0] - math.log(len(tgt_vocab))) < 1.0, (
    f"the first loss of an untrained model should be near log V = {math.log(len(tgt_vocab)):.2f}, got "
    f"{overfit_losses[0]:.2f}")
print(f"loss: first {overfit_losses[0]:.3f}, step 50 {overfit_losses[49]:.3f}, last {overfit_losses[-1]:.4f}")
assert overfit_losses[-1] < 0.1, (
    f"the loss on one batch should fall below 0.1 in 100 steps, it ended at {overfit_losses[-1]:.3f}: check that "
    "the gradients are cleared, backpropagated and applied at every step by one torch.optim.AdamW, and that "
    "the loss has no label smoothing (its floor is above 0)")
print("Self-check passed: the setup can memorise one batch.")
# Self-check 2: the mode, the masks, the optimizer, zero_grad and clipping, watched during 4 steps.
from torch.optim.optimizer import register_optimizer_step_pre_hook

_seen = {"optimizers": set(), "steps": 0, "zero_grads": 0, "too_large": 0, "type": None, "lr": None}
_received = []


def _before_step(optimizer, args, kwargs):
    _seen["optimizers"].add(id(optimizer)); _seen["steps"] += 1
    _seen["type"], _seen["lr"] = type(optimizer), optimizer.param_groups[0]["lr"]
    grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    if float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))) > 0.05 * (1 + 1e-3):
        _seen["too_large"] += 1


def _counted(original):
    def zero_grad(self, *args, **kwargs):
        _seen["zero_grads"] += 1
        return original(self, *args, **kwargs)
    return zero_grad


class _SpyModel(Seq2SeqTransformer):
    def forward(self, src, tgt, src_padding_mask=None, tgt_padding_mask=None):
        _received.append((src_padding_mask, tgt_padding_mask))
        return super().forward(src, tgt, src_padding_mask, tgt_padding_mask)


torch.manual_seed(1)
spy_model = _SpyModel(len(src_vocab), len(tgt_vocab), **{**SMALL_CONFIG, "dropout": 0.1}).eval()
_originals = torch.optim.Optimizer.zero_grad, nn.Module.zero_grad
step_handle = register_optimizer_step_pre_hook(_before_step)
torch.optim.Optimizer.zero_grad, nn.Module.zero_grad = map(_counted, _originals)
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        overfit_one_batch(spy_model, one_batch, PAD_ID, 4, lr=1e-2, max_grad_norm=0.05)
finally:
    torch.optim.Optimizer.zero_grad, nn.Module.zero_grad = _originals
    step_handle.remove()
assert spy_model.training, "call model.train() in overfit_one_batch: the model may arrive in eval mode (dropout off)"
assert len(_received) == 4 and all(
    s is not None and t is not None and torch.equal(s, one_batch["src_padding_mask"])
    and torch.equal(t, one_batch["tgt_padding_mask"][:, :-1]) for s, t in _received), (
    "pass both padding masks to the model: batch['src_padding_mask'] and batch['tgt_padding_mask'][:, :-1]")
assert _seen["steps"] == 4 and len(_seen["optimizers"]) == 1, (
    "create ONE optimizer before the loop and call optimizer.step() once per step "
    f"(saw {_seen['steps']} steps on {len(_seen['optimizers'])} optimizers)")
assert _seen["type"] is torch.optim.AdamW and _seen["lr"] == 1e-2, (
    f"use torch.optim.AdamW(model.parameters(), lr=lr); got {_seen['type'].__name__} with lr={_seen['lr']}")
assert _seen["zero_grads"] >= 4, "clear the old gradients at every step (optimizer.zero_grad())"
assert _seen["too_large"] == 0, (
    "a gradient reached optimizer.step() with a norm above max_grad_norm: call "
    "torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm) after backward() and before step()")
print("Self-check passed: training mode, masks, optimizer, zero_grad and clipping.")
### BEGIN HIDDEN TESTS
def _reference_overfit(model, batch, pad_id, steps, lr, max_grad_norm):
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    decoder_input = batch["tgt"][:, :-1]
    labels = batch["tgt"][:, 1:].masked_fill(batch["tgt_padding_mask"][:, 1:], -100)
    losses = []
    for _ in range(steps):
        logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses


def _reference_collate_for_overfit(batch, pad_id):
    out = {}
    for side, index in (("src", 0), ("tgt", 1)):
        lengths = torch.tensor([len(example[index]) for example in batch])
        ids = torch.full((len(batch), int(lengths.max())), pad_id, dtype=torch.long)
        for row, example in enumerate(batch):
            ids[row, : len(example[index])] = torch.tensor(example[index])
        out[side], out[f"{side}_padding_mask"] = ids, torch.arange(ids.shape[1])[None, :] >= lengths[:, None]
    return out


def _reference_shift_for_overfit(tgt, pad_id, padding_mask=None):
    if padding_mask is None:
        padding_mask = tgt == pad_id
    return tgt[:, :-1], tgt[:, 1:].masked_fill(padding_mask[:, 1:], -100)


class _RecordingModel(Seq2SeqTransformer):
    """Records the padding masks that each forward call receives."""

    def forward(self, src, tgt, src_padding_mask=None, tgt_padding_mask=None):
        self.received = (src_padding_mask, tgt_padding_mask)
        return super().forward(src, tgt, src_padding_mask, tgt_padding_mask)


def _check_overfit():
    # Graded on its own: the batch is built, and the shift done, by reference versions of Exercises 13.1-13.2.
    fresh_examples = [(src_vocab.encode(english, eos=True), tgt_vocab.encode(french, bos=True, eos=True))
                      for english, french in splits.train[10:16]]
    hidden_batch = _reference_collate_for_overfit(fresh_examples, PAD_ID)
    assert hidden_batch["src_padding_mask"].any() and hidden_batch["tgt_padding_mask"].any()
    for dropout, lr, max_grad_norm, seed in [(0.1, 1e-2, 0.05, 3), (0.0, 3e-3, 1.0, 4)]:
        torch.manual_seed(seed)
        base = _RecordingModel(len(src_vocab), len(tgt_vocab), **{**SMALL_CONFIG, "dropout": dropout})
        base.eval()                                            # the function must switch training mode on itself
        student_model, reference_model = copy.deepcopy(base), copy.deepcopy(base)
        torch.manual_seed(100 + seed)
        students_shift = globals().get("shift_targets")
        globals()["shift_targets"] = _reference_shift_for_overfit
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = call_checking_inputs(functools.partial(overfit_one_batch, student_model), hidden_batch, PAD_ID,
                                           steps=6, lr=lr, max_grad_norm=max_grad_norm, name="overfit_one_batch")
        finally:
            globals()["shift_targets"] = students_shift
        torch.manual_seed(100 + seed)
        want = _reference_overfit(reference_model, hidden_batch, PAD_ID, 6, lr, max_grad_norm)
        assert len(got) == 6, f"steps=6 must give 6 losses, got {len(got)}"
        src_mask, tgt_mask = student_model.received
        assert src_mask is not None and torch.equal(src_mask, hidden_batch["src_padding_mask"]), (
            "pass the batch's src_padding_mask to the model (the model cannot know the lengths by itself)")
        assert tgt_mask is not None and torch.equal(tgt_mask, hidden_batch["tgt_padding_mask"][:, :-1]), (
            "pass the decoder's padding mask to the model: batch['tgt_padding_mask'][:, :-1], the mask of the "
            "decoder input")
        assert abs(got[0] - want[0]) < 1e-4, (
            f"(dropout={dropout}) the first loss is {got[0]:.5f}, the reference computes {want[0]:.5f} on the same "
            "untrained model: check the training mode (model.train()), the shift (labels = tgt[:, 1:]), the -100 on "
            "the padding, both padding masks passed to the model, and no label smoothing")
        for step, (mine, reference) in enumerate(zip(got, want)):
            assert abs(mine - reference) < 2e-4, (
                f"(lr={lr}, max_grad_norm={max_grad_norm}) the loss of step {step} is {mine:.5f}, the reference "
                f"gives {reference:.5f}: check that each step clears the old gradients (optimizer.zero_grad()), "
                "clips the gradient norm to max_grad_norm AFTER backward and BEFORE optimizer.step(), and uses "
                "AdamW(model.parameters(), lr=lr) created once")
        assert student_model.training, "leave the model in training mode"


_check_overfit()
### END HIDDEN TESTS

# %% [markdown]
# The whole curve of the check, drawn on a log scale: the loss falls from about $\log V$ by orders of
# magnitude.

# %%
try:
    print(f"the check model has {sum(p.numel() for p in small_model.parameters()):,} parameters")
    course.plot_curves(range(1, len(overfit_losses) + 1), {"one batch of 8 sentences": overfit_losses},
                       xlabel="step", ylabel="cross-entropy", title="Overfit-one-batch check", logy=True)
    plt.show()
except (NotImplementedError, NameError):
    print("Complete Exercise 13.4 to draw the curve.")

# %% [markdown]
# **Takeaway:** if the model cannot memorise one batch, no amount of data will help; if it can, the setup is
# wired together, and the next question is whether it *generalises*.

# %% [markdown]
# ## 8. Training for real, and the random-ids trap
#
# Now the full pipeline on all 6000 training pairs: shuffled batches, the warm-up schedule, AdamW, label
# smoothing 0.1, clipping at 1.0, a progress bar and a loss curve that updates during training (in
# JupyterLab, the figure below redraws itself every 50 steps). `TRAIN_STEPS` is kept small so the notebook
# runs in well under a minute; raise it (to 2000, say) to train further: lesson 14 does it properly.
#
# The **held-out loss** is measured on the 500 validation pairs, which the model never trains on. We leave
# out the `<eos>` labels there (only in this measurement), for a reason that the second experiment makes
# clear.

# %%
TRAIN_STEPS = 200          # raise to train longer
try:
    structured_model = make_model(seed=0)
    structured = train(structured_model, train_dataset, TRAIN_STEPS, valid_dataset=valid_dataset,
                       live_plot=True, desc="structured data")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 to train the model.")

# %% [markdown]
# **The trap.** Many tutorials "illustrate" training on random token ids: it needs no data, and the loss
# goes down. Let us do the same with our pipeline: every word of every pair replaced by a uniformly random id
# of its vocabulary (the specials, `<bos>` and the two `<eos>`, stay in place, so the lengths are unchanged).
#
# On such data there is nothing to learn. Each random target word is drawn uniformly from $n$ ids (every id
# but the four specials), independently of everything else, so whatever a model predicts, its expected loss
# on a new random word is at least the entropy of the draw, $\log n$ (Gibbs' inequality). That is why the
# held-out loss leaves out `<eos>`: its position follows from the length of the source, which the random
# pairs keep, and is not what we want to measure.

# %%
FIRST_WORD_ID = max(PAD_ID, tgt_vocab.bos_id, tgt_vocab.eos_id, tgt_vocab.unk_id) + 1    # 4: after the specials


def random_ids_like(dataset, seed: int) -> list[tuple[list[int], list[int]]]:
    """Examples with the lengths and specials of `dataset`, every word replaced by a uniformly random id."""
    rng = random.Random(seed)
    examples = []
    for src, tgt in (dataset[i] for i in range(len(dataset))):
        random_src = [rng.randrange(FIRST_WORD_ID, len(src_vocab)) for _ in src[:-1]] + [src[-1]]
        random_tgt = [tgt[0]] + [rng.randrange(FIRST_WORD_ID, len(tgt_vocab)) for _ in tgt[1:-1]] + [tgt[-1]]
        examples.append((random_src, random_tgt))
    return examples


random_train, random_valid = random_ids_like(train_dataset, seed=1), random_ids_like(valid_dataset, seed=2)
n_words = len(tgt_vocab) - FIRST_WORD_ID
print(f"n = {n_words} possible target words, log n = {math.log(n_words):.3f}")
try:
    random_model = make_model(seed=0)
    random_run = train(random_model, random_train, TRAIN_STEPS, valid_dataset=random_valid, desc="random ids")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 to train on random ids.")

# %% [markdown]
# A third run makes the trap complete: random ids again, but only 128 training pairs, as a tutorial that
# generates one small random data set would have. The model sees each pair many times.

# %%
try:
    memorising_model = make_model(seed=0)
    memorising = train(memorising_model, random_train[:128], 150, valid_dataset=random_valid, eval_every=150,
                       desc="128 random pairs")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 to train on random ids.")

# %%
def running_mean(values: list[float], window: int = 20) -> list[float]:
    """Mean of the last `window` values at each step (a smoother training curve)."""
    return [sum(values[max(0, i - window + 1): i + 1]) / len(values[max(0, i - window + 1): i + 1])
            for i in range(len(values))]


try:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
    course.plot_curves(range(1, TRAIN_STEPS + 1),
                       {"structured data": running_mean(structured["loss"]),
                        "random ids (6000 pairs)": running_mean(random_run["loss"])},
                       xlabel="step", ylabel="training loss (smoothed labels, mean of 20 steps)",
                       title="Training loss: both go down", ax=left)
    course.plot_curves(structured["eval_step"], {"structured data": structured["held_out"],
                                                 "random ids (6000 pairs)": random_run["held_out"]},
                       xlabel="step", ylabel="held-out loss per word (nats)",
                       title="Held-out loss: only structure can be learned", ax=right)
    for ax in (left, right):
        ax.axhline(math.log(n_words), color="grey", linestyle="--", label=f"log n = {math.log(n_words):.2f}")
        ax.legend()
    plt.tight_layout()
    plt.show()

    print(f"{'run':>26}  {'first loss':>10}  {'last loss (20 steps)':>20}  {'held-out per word':>17}")
    for name, history in [("structured, 6000 pairs", structured), ("random ids, 6000 pairs", random_run),
                          ("random ids, 128 pairs", memorising)]:
        print(f"{name:>26}  {history['loss'][0]:>10.3f}  {running_mean(history['loss'])[-1]:>20.3f}  "
              f"{history['held_out'][-1]:>17.3f}")
    print(f"{'log n':>26}  {math.log(n_words):>10.3f}")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 to compare the runs.")

# %% [markdown]
# Read the table and the curves (the exact numbers vary a little with the machine):
# - **Structured data**: the held-out loss per word falls far below $\log n$: the model has learned
#   something about French and about translating that carries over to sentences it never saw.
# - **Random ids, 6000 pairs**: the training loss goes down too, from its initial value to a little below
#   $\log n$: the model learns that the specials never appear inside a sentence, that the other ids are
#   equally likely, and where `<eos>` falls (the random pairs keep the real lengths); nothing else. On the
#   words, the held-out loss stays at $\log n$ or above: it cannot go lower.
# - **Random ids, 128 pairs**: the training loss falls much further, because the model **memorises** the
#   pairs it sees again and again, and its held-out loss ends well above $\log n$: confident memorised guesses
#   are wrong on new data.
#
# A falling training loss proves that the optimiser works, not that the model learns anything useful; only
# a held-out measurement on data with structure does. That is why this course trains on a generated language
# with real rules, and why lesson 15 is about evaluation.
#
# The logged gradient norms and learning rates of the structured run:

# %%
try:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 2.9))
    course.plot_curves(range(1, TRAIN_STEPS + 1), {"before clipping": structured["grad_norm"]},
                       xlabel="step", ylabel="gradient norm", title="Gradient norm (clipped at 1.0)", ax=left)
    course.plot_curves(range(1, TRAIN_STEPS + 1), {"lr_at(step, 64, 100)": structured["lr"]},
                       xlabel="step", ylabel="learning rate", title="Learning rate used by each update", ax=right)
    for line in left.lines + right.lines:
        line.set_markersize(0)
    plt.tight_layout()
    plt.show()
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 to see the logs.")

# %% [markdown]
# **Takeaway:** judge training by a held-out loss on structured data; on random ids a held-out loss can never
# beat $\log n$, and a falling training loss there only measures memorisation.

# %% [markdown]
# ## 9. Common mistakes
#
# | mistake | what happens | fix |
# |---|---|---|
# | padding masks from `ids == pad_id` | a real token with the pad id (GPT-2's `<eos>` as pad) is ignored; the model never learns to stop (section 2) | masks from the lengths |
# | no shift, or shifted the wrong way | the model sees the label it must predict and learns to copy (below) | input `tgt[:, :-1]`, labels `tgt[:, 1:]` |
# | labels at padding not set to `-100` | the loss grades padding: a sentence's loss depends on its batch (below) | `-100` where the label is padding |
# | `labels[labels == pad] = -100` on `tgt[:, 1:]` | writes into the caller's `tgt` through the view | `masked_fill` (out of place) or `.clone()` |
# | the formula of the schedule used literally | `ZeroDivisionError` as soon as `LambdaLR` is created (below) | compute step 0 as step 1 |
# | KL-divergence label smoothing on probabilities | `inf`/`nan` as soon as a probability underflows to 0 (section 4) | `nn.CrossEntropyLoss(label_smoothing=...)` on logits |
# | label smoothing or dropout in the overfit check | the loss stops at the floor $H(q)$ or stays noisy (sections 4, 7) | switch both off for the check |
# | logging the gradient norm after clipping | spikes are invisible: the logged norm never exceeds the threshold (section 6) | log the value `clip_grad_norm_` returns |
# | forgetting `optimizer.zero_grad()` | gradients add up over the steps | clear them every step |
# | `model.eval()` for validation, no `model.train()` after | dropout stays off for the rest of training | restore the mode (as `held_out_loss` does) |
# | training on random ids "to illustrate" | the loss falls but nothing is learned (section 8) | data with structure, a held-out loss |
#
# **No shift.** A model trained with `labels = decoder_input` (both `tgt[:, :-1]`) overfits one batch even
# faster: it only has to copy the token at its own position. At inference it has learned nothing: fed
# `<bos>`, it predicts `<bos>`.

# %%
def copy_task_losses(steps: int = 60) -> tuple[list[float], int]:
    """Train a small model with the labels NOT shifted; return its losses and its prediction after <bos>."""
    torch.manual_seed(0)
    model = Seq2SeqTransformer(len(src_vocab), len(tgt_vocab), **SMALL_CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    wrong_input = one_batch["tgt"][:, :-1]
    wrong_labels = wrong_input.masked_fill(one_batch["tgt_padding_mask"][:, :-1], -100)    # no shift: a copy task
    losses = []
    for _ in range(steps):
        logits = model(one_batch["src"], wrong_input, one_batch["src_padding_mask"],
                       one_batch["tgt_padding_mask"][:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), wrong_labels.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        first_prediction = model.eval()(one_batch["src"][:1], torch.tensor([[tgt_vocab.bos_id]]))[0, 0].argmax()
    return losses, int(first_prediction)


try:
    copy_losses, prediction_after_bos = copy_task_losses()
    for step in (10, 30, 60):
        print(f"step {step:2d}: loss without the shift {copy_losses[step - 1]:.4f}, "
              f"with the shift (Exercise 13.4) {overfit_losses[step - 1]:.4f}")
    print(f"the model trained without the shift predicts, after <bos>: {tgt_vocab.itos[prediction_after_bos]!r}")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1 and 13.4 to run this comparison.")

# %% [markdown]
# **Padding graded.** With the pad id as label instead of `-100`, the loss also counts the padding
# positions, so the loss of a sentence depends on the other sentences of its batch, which decide how much
# padding it gets. (A model trained like that also spends capacity on predicting `<pad>` after `<pad>`, an
# easy task that makes its loss look better than its translations are.) The loss of the shortest validation
# sentence, alone and in a batch with the longest one, measured on the trained model:

# %%
def first_example_loss(examples, pads_graded: bool) -> float:
    """Loss of the trained model on the first example of `examples`, collated into one batch."""
    batch = collate(examples, PAD_ID)
    decoder_input, labels = shift_targets(batch["tgt"], PAD_ID, batch["tgt_padding_mask"])
    if pads_graded:
        labels = batch["tgt"][:, 1:]                                   # the mistake: pad ids as labels
    structured_model.eval()
    with torch.no_grad():
        logits = structured_model(batch["src"], decoder_input, batch["src_padding_mask"],
                                  batch["tgt_padding_mask"][:, :-1])
    return F.cross_entropy(logits[0], labels[0]).item()               # ignores -100 labels


try:
    lengths = [len(valid_dataset[i][1]) for i in range(len(valid_dataset))]
    shortest, longest = valid_dataset[lengths.index(min(lengths))], valid_dataset[lengths.index(max(lengths))]
    for pads_graded, name in [(False, "-100 on padding"), (True, "padding graded")]:
        alone = first_example_loss([shortest], pads_graded)
        with_longer = first_example_loss([shortest, longest], pads_graded)
        print(f"{name:>16}: alone {alone:.4f}, in a batch with a longer sentence {with_longer:.4f}")
except (NotImplementedError, NameError):
    print("Complete Exercises 13.1–13.3 and train the model to run this comparison.")

# %% [markdown]
# **The schedule at step 0.** The formula typed in as it is printed in the paper crashes before the first
# update, because `LambdaLR` evaluates it at step 0 in its constructor:

# %%
def literal_schedule(step: int, d_model: int = 64, warmup_steps: int = 100) -> float:
    return d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)


try:
    torch.optim.lr_scheduler.LambdaLR(torch.optim.AdamW([nn.Parameter(torch.zeros(1))], lr=1.0), literal_schedule)
except ZeroDivisionError as error:
    print(f"ZeroDivisionError: {error}")

# %% [markdown]
# **Takeaway:** every mistake in this table trains without an error message; the checks of this lesson (masks
# from lengths, an exact shift, `-100`, step 0, the overfit check, a held-out loss) are how to catch them.

# %% [markdown]
# ## Summary
#
# - A `Dataset` returns `(src_ids, tgt_ids)`; a `DataLoader` with a **collate** function pads on the right to
#   the longest sequence of the batch and returns padding masks (`True` = padding) built from the lengths.
# - **Teacher forcing**: decoder input `tgt[:, :-1]`, labels `tgt[:, 1:]` with `-100` on padding; the loss is
#   the cross-entropy over `(N, V)` logits, ignoring `-100`.
# - **Label smoothing** $\varepsilon$: target $(1-\varepsilon)$ one-hot $+\ \varepsilon/V$; use
#   `nn.CrossEntropyLoss(label_smoothing=ε)` on logits; the loss then has a floor $H(q) > 0$.
# - **Schedule**: $d_\text{model}^{-0.5}\min(\text{step}^{-0.5}, \text{step}\cdot\text{warmup}^{-1.5})$, peak
#   at step = warmup, step 0 computed as step 1 because `LambdaLR` evaluates it at once; **AdamW** decouples
#   weight decay; **clipping** returns the norm before clipping; **seeds** for weights, dropout and shuffling.
# - **Overfit one batch** first (loss from about $\log V$ to about 0), then judge learning by a **held-out**
#   loss on **structured** data: on random ids it cannot go below $\log n$.
#
# ## Going further
#
# - Vaswani et al. (2017), *Attention Is All You Need*, section 5.3 (optimizer and schedule) and 5.4 (label
#   smoothing, residual dropout).
# - Szegedy et al. (2016), *Rethinking the Inception Architecture for Computer Vision* — label smoothing;
#   Müller, Kornblith & Hinton (2019), *When Does Label Smoothing Help?*
# - Loshchilov & Hutter (2019), *Decoupled Weight Decay Regularization* — AdamW; and (2017), *SGDR:
#   Stochastic Gradient Descent with Warm Restarts* — the cosine schedule, the other common choice.
# - Pascanu, Mikolov & Bengio (2013), *On the difficulty of training recurrent neural networks* — gradient
#   clipping.
# - Xiong et al. (2020), *On Layer Normalization in the Transformer Architecture* — why post-norm needs the
#   warm-up and pre-norm less so; Popel & Bojar (2018), *Training Tips for the Transformer Model*.
# - Karpathy (2019), *A Recipe for Training Neural Networks* (blog post) — overfit one batch, and much more.
# - Rush et al., *The Annotated Transformer* (2018, updated 2022) — the whole training setup in one notebook.
# - PyTorch documentation: [`torch.utils.data`](https://pytorch.org/docs/stable/data.html) (`Dataset`,
#   `DataLoader`, `collate_fn`), [`nn.CrossEntropyLoss`](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html),
#   [`LambdaLR`](https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LambdaLR.html),
#   [reproducibility](https://pytorch.org/docs/stable/notes/randomness.html).
# - Bucketing sentences of similar length into the same batch reduces padding: see `torch.utils.data.Sampler`.

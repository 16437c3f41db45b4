"""Typical wrong answers for lesson 13 (training setup), graded together in one extra submission.

Exercise 13.4 uses the learner's `shift_targets` in its visible check (its hidden tests use reference versions
of Exercises 13.1-13.2), so a `shift_targets` that writes into `tgt` or puts -100 into the decoder input also
costs the points of 13.4: those two mistakes are graded in VARIANTS of their own.
"""

WRONG = {
    # Masks from the ids instead of the lengths: a real token with the pad id (an <eos> used as pad) is "padding".
    "ex13_1": '''
def collate(batch, pad_id):
    result = {}
    for side, index in (("src", 0), ("tgt", 1)):
        sequences = [example[index] for example in batch]
        width = max(len(sequence) for sequence in sequences)
        ids = torch.tensor([list(sequence) + [pad_id] * (width - len(sequence)) for sequence in sequences])
        result[side] = ids
        result[f"{side}_padding_mask"] = ids == pad_id
    return result
''',
    # Shifted the wrong way: the decoder reads tgt[:, 1:] and predicts tgt[:, :-1].
    "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    if padding_mask is None:
        padding_mask = tgt == pad_id
    return tgt[:, 1:], tgt[:, :-1].masked_fill(padding_mask[:, :-1], -100)
''',
    # The formula typed in literally: ZeroDivisionError at step 0 (LambdaLR calls lr_lambda(0) at once).
    "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    return float(d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5))
''',
    # Forgets optimizer.zero_grad(): the gradients add up over the steps.
    "ex13_4": '''
def overfit_one_batch(model, batch, pad_id, steps=100, lr=3e-3, max_grad_norm=1.0):
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    decoder_input, labels = shift_targets(batch["tgt"], pad_id, batch["tgt_padding_mask"])
    losses = []
    for _ in range(steps):
        logits = model(batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses
''',
}

# The reference overfit_one_batch, with one placeholder per typical mistake of Exercise 13.4.
_OVERFIT = '''
def overfit_one_batch(model, batch, pad_id, steps=100, lr=3e-3, max_grad_norm=1.0):
    {train}
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    decoder_input, labels = {shift}
    losses = []
    for _ in range(steps):
        logits = model({model_args})
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1){loss_options})
        optimizer.zero_grad()
        loss.backward()
        {clip}
        optimizer.step()
        losses.append(loss.item())
    return losses
'''
_RIGHT = dict(train="model.train()", shift='shift_targets(batch["tgt"], pad_id, batch["tgt_padding_mask"])',
              model_args='batch["src"], decoder_input, batch["src_padding_mask"], batch["tgt_padding_mask"][:, :-1]',
              loss_options="", clip="torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)")


def _overfit(**mistake: str) -> str:
    return _OVERFIT.format(**{**_RIGHT, **mistake})


# The reference collate with its padded rows and its masks as placeholders.
_COLLATE = '''
def collate(batch, pad_id):
    result = {{}}
    for side, index in (("src", 0), ("tgt", 1)):
        sequences = [example[index] for example in batch]
        width = max(len(sequence) for sequence in sequences)
        lengths = torch.tensor([len(sequence) for sequence in sequences])
        result[side] = torch.tensor([{rows} for sequence in sequences], dtype=torch.long)
        result[f"{{side}}_padding_mask"] = {masks}
    return result
'''
_RIGHT_ROWS = "list(sequence) + [pad_id] * (width - len(sequence))"
_RIGHT_MASKS = "torch.arange(width)[None, :] >= lengths[:, None]"

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 13_training_setup --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Left padding (the side for batched generation, not for training batches).
        "ex13_1": _COLLATE.format(rows="[pad_id] * (width - len(sequence)) + list(sequence)",
                                  masks="torch.arange(width)[None, :] < (width - lengths)[:, None]"),
        # Ignores the padding mask it is given: ids equal to pad_id are always padding.
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    return tgt[:, :-1], tgt[:, 1:].masked_fill(tgt[:, 1:] == pad_id, -100)
''',
        # Forgets the d_model factor.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    step = max(step, 1)
    return float(min(step ** -0.5, step * warmup_steps ** -1.5))
''',
        # No gradient clipping.
        "ex13_4": _overfit(clip="pass"),
    },
    {
        # Pads with 0 whatever pad_id is.
        "ex13_1": _COLLATE.format(rows="list(sequence) + [0] * (width - len(sequence))", masks=_RIGHT_MASKS),
        # Labels keep the pad id: the padding is graded.
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    return tgt[:, :-1], tgt[:, 1:].clone()
''',
        # Counts steps from 1 (step + 1): peak one step early, no crash at 0.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    step = step + 1
    return float(d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5))
''',
        # Leaves the model in whatever mode it was (eval): dropout off.
        "ex13_4": _overfit(train="pass"),
    },
    {
        # Pads the caller's lists in place (extend).
        "ex13_1": '''
def collate(batch, pad_id):
    result = {}
    for side, index in (("src", 0), ("tgt", 1)):
        sequences = [example[index] for example in batch]
        lengths = torch.tensor([len(sequence) for sequence in sequences])
        width = int(lengths.max())
        for sequence in sequences:
            sequence.extend([pad_id] * (width - len(sequence)))
        result[side] = torch.tensor(sequences, dtype=torch.long)
        result[f"{side}_padding_mask"] = torch.arange(width)[None, :] >= lengths[:, None]
    return result
''',
        # Hugging Face's linear warm-up from 0: lr_at(0) = 0.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    if step == 0:
        return 0.0
    return float(d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5))
''',
        # Combines the given mask with the ids: a real <eos> whose id equals pad_id becomes padding.
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    padding = tgt == pad_id if padding_mask is None else padding_mask | (tgt == pad_id)
    return tgt[:, :-1], tgt[:, 1:].masked_fill(padding[:, 1:], -100)
''',
        # No padding masks given to the model.
        "ex13_4": _overfit(model_args='batch["src"], decoder_input'),
    },
    {
        # Inverted masks: True at the real tokens.
        "ex13_1": _COLLATE.format(rows=_RIGHT_ROWS, masks="torch.arange(width)[None, :] < lengths[:, None]"),
        # warmup^-0.5 instead of warmup^-1.5 in the warm-up branch.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    step = max(step, 1)
    return float(d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -0.5))
''',
        # The padding mask aligned with the decoder input ([:, :-1]) instead of the labels ([:, 1:]).
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    if padding_mask is None:
        padding_mask = tgt == pad_id
    return tgt[:, :-1], tgt[:, 1:].masked_fill(padding_mask[:, :-1], -100)
''',
        # Label smoothing left on in the overfit check.
        "ex13_4": _overfit(loss_options=", label_smoothing=0.1"),
    },
    {
        # Pads sources and targets to one common length.
        "ex13_1": '''
def collate(batch, pad_id):
    width = max(len(sequence) for example in batch for sequence in example)
    result = {}
    for side, index in (("src", 0), ("tgt", 1)):
        sequences = [example[index] for example in batch]
        lengths = torch.tensor([len(sequence) for sequence in sequences])
        result[side] = torch.tensor([list(sequence) + [pad_id] * (width - len(sequence)) for sequence in sequences])
        result[f"{side}_padding_mask"] = torch.arange(width)[None, :] >= lengths[:, None]
    return result
''',
        # Labels converted to int32 (cross_entropy wants torch.long class indices).
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    if padding_mask is None:
        padding_mask = tgt == pad_id
    return tgt[:, :-1], tgt[:, 1:].masked_fill(padding_mask[:, 1:], -100).to(torch.int32)
''',
        # Multiplies by sqrt(d_model) instead of dividing.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    step = max(step, 1)
    return float(d_model ** 0.5 * min(step ** -0.5, step * warmup_steps ** -1.5))
''',
        # No shift: the labels are the decoder input (a copy task).
        "ex13_4": _overfit(shift='batch["tgt"][:, :-1], '
                                 'batch["tgt"][:, :-1].masked_fill(batch["tgt_padding_mask"][:, :-1], -100)'),
    },
    {
        # Sorts the batch by source length (the rows no longer follow the examples).
        "ex13_1": '''
def collate(batch, pad_id):
    batch = sorted(batch, key=lambda example: len(example[0]), reverse=True)
    result = {}
    for side, index in (("src", 0), ("tgt", 1)):
        sequences = [example[index] for example in batch]
        width = max(len(sequence) for sequence in sequences)
        lengths = torch.tensor([len(sequence) for sequence in sequences])
        result[side] = torch.tensor([list(sequence) + [pad_id] * (width - len(sequence)) for sequence in sequences])
        result[f"{side}_padding_mask"] = torch.arange(width)[None, :] >= lengths[:, None]
    return result
''',
        # The paper's numbers typed into the body instead of the arguments.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    step = max(step, 1)
    return float(512 ** -0.5 * min(step ** -0.5, step * 4000 ** -1.5))
''',
        # Writes -100 into a view of tgt: the caller's targets are modified in place.
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    if padding_mask is None:
        padding_mask = tgt == pad_id
    decoder_input = tgt[:, :-1]
    labels = tgt[:, 1:]
    labels[padding_mask[:, 1:]] = -100
    return decoder_input, labels
''',
    },
    {
        # Mask with > instead of >=: the first padding position counts as a real token.
        "ex13_1": _COLLATE.format(rows=_RIGHT_ROWS, masks="torch.arange(width)[None, :] > lengths[:, None]"),
        # max instead of min: the rate grows forever.
        "ex13_3": '''
def lr_at(step, d_model=512, warmup_steps=4000):
    step = max(step, 1)
    return float(d_model ** -0.5 * max(step ** -0.5, step * warmup_steps ** -1.5))
''',
        # Puts -100 into the decoder input too (an embedding cannot look it up).
        "ex13_2": '''
def shift_targets(tgt, pad_id, padding_mask=None):
    if padding_mask is None:
        padding_mask = tgt == pad_id
    masked = tgt.masked_fill(padding_mask, -100)
    return masked[:, :-1], masked[:, 1:]
''',
    },
    {
        # Adam instead of AdamW (no decoupled weight decay).
        "ex13_4": _overfit().replace("torch.optim.AdamW", "torch.optim.Adam"),
        # Token ids as int32 instead of torch.long.
        "ex13_1": _COLLATE.format(rows=_RIGHT_ROWS, masks=_RIGHT_MASKS).replace("torch.long", "torch.int32"),
    },
    {
        # Clips after optimizer.step(): the step has already used the unclipped gradient.
        "ex13_4": _overfit(clip="pass").replace(
            "        optimizer.step()\n",
            "        optimizer.step()\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n"),
    },
    {
        # Creates the optimizer inside the loop: AdamW's moment estimates restart at every step.
        "ex13_4": _overfit().replace("    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)\n", "").replace(
            "        logits =", "        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)\n        logits ="),
    },
]

"""Typical wrong answers for lesson 09 (masking), graded together in one extra submission."""

WRONG = {
    # Inverted convention: True at the padding, as nn.MultiheadAttention's key_padding_mask wants.
    "ex09_1": '''
def padding_mask(input_ids, pad_id):
    return (input_ids == pad_id)[:, None, None, :]
''',
    # Off-by-one diagonal: blocks the token itself (first row fully masked).
    "ex09_2a": '''
def causal_mask(seq_len):
    return torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)
''',
    # OR instead of AND for "may attend" masks: a query may read the future and the pads.
    "ex09_2b": '''
def combine_masks(padding, causal=None):
    if causal is None:
        k_len = padding.shape[-1]
        causal = torch.ones(k_len, k_len, dtype=torch.bool)
    return padding | causal
''',
    # Switched | to & but kept the "blocked" padding mask and the shifted diagonal: both bugs remain.
    "ex09_3": '''
def decoder_mask(input_ids, pad_id):
    seq_len = input_ids.shape[-1]
    padding = (input_ids == pad_id)[:, None, None, :]
    causal = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)
    return padding & causal
''',
    # Plausible but false: right pads are blocked as keys like any other pad (option b).
    "ex09_4": '''
answer_09_4 = "b"
''',
}

# Exercise 09.3 (grade_id ex09_3) is graded for partial fixes: this answer fixes the convention bug (padding test passes)
# but keeps the causal mask that excludes the diagonal (causal test fails).
PARTIAL = {
    "answers": {
        "ex09_3": '''
def decoder_mask(input_ids, pad_id):
    seq_len = input_ids.shape[-1]
    real = (input_ids != pad_id)[:, None, None, :]
    causal = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)
    return real & causal
''',
    },
    "full": ["ex09_3_test_a"],
    "zero": ["ex09_3_test_b"],
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 09_masking --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Builds the mask from the number of real tokens: right only when the padding is on the right.
        "ex09_1": '''
def padding_mask(input_ids, pad_id):
    lengths = (input_ids != pad_id).sum(dim=-1)
    positions = torch.arange(input_ids.shape[-1])
    return (positions[None, :] < lengths[:, None])[:, None, None, :]
''',
        # The same length-based padding inside the decoder mask.
        "ex09_3": '''
def decoder_mask(input_ids, pad_id):
    seq_len = input_ids.shape[-1]
    lengths = (input_ids != pad_id).sum(dim=-1)
    real = (torch.arange(seq_len)[None, :] < lengths[:, None])[:, None, None, :]
    return real & torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool))
''',
        "ex09_4": 'answer_09_4 = "a"\n',
    },
    {
        # Marks everything after the FIRST pad as padding (a cumulative product): wrong with left padding.
        "ex09_1": '''
def padding_mask(input_ids, pad_id):
    return (input_ids != pad_id).long().cumprod(dim=-1).bool()[:, None, None, :]
''',
        "ex09_4": 'answer_09_4 = "d"\n',
    },
]

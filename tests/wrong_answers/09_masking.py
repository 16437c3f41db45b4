"""Typical wrong answers for lesson 09 (masking), graded together in one extra submission."""

WRONG = {
    # Inverted convention: True at the padding, as nn.MultiheadAttention's key_padding_mask wants.
    "ex09_1": '''
def padding_mask(input_ids, pad_id):
    return (input_ids == pad_id)[:, None, None, :]
''',
    # Off-by-one diagonal: blocks the token itself (first row fully masked).
    "ex09_2": '''
def causal_mask(seq_len):
    return torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)
''',
    # OR instead of AND for "may attend" masks: a query may read the future and the pads.
    "ex09_3": '''
def combine_masks(padding, causal=None):
    if causal is None:
        k_len = padding.shape[-1]
        causal = torch.ones(k_len, k_len, dtype=torch.bool)
    return padding | causal
''',
    # Switched | to & but kept the "blocked" padding mask and the shifted diagonal: both bugs remain.
    "ex09_4": '''
def decoder_mask(input_ids, pad_id):
    seq_len = input_ids.shape[-1]
    padding = (input_ids == pad_id)[:, None, None, :]
    causal = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)
    return padding & causal
''',
    # Plausible but false: right pads are blocked as keys like any other pad.
    "ex09_5": '''
answer_09_4 = "c"
''',
}

# Exercise 09.3 (grade_id ex09_4) is graded for partial fixes: this answer fixes the convention bug (padding test passes)
# but keeps the causal mask that excludes the diagonal (causal test fails).
PARTIAL = {
    "answers": {
        "ex09_4": '''
def decoder_mask(input_ids, pad_id):
    seq_len = input_ids.shape[-1]
    real = (input_ids != pad_id)[:, None, None, :]
    causal = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool), diagonal=-1)
    return real & causal
''',
    },
    "full": ["ex09_4_test_a"],
    "zero": ["ex09_4_test_b"],
}

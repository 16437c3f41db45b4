"""Typical wrong answers for lesson 04, graded together in one extra submission."""

WRONG = {
    # The classic tutorial bug: the 1/sqrt(d_k) scale is forgotten.
    "ex04_1": '''
def attention_scores(q, k):
    return q @ k.transpose(-2, -1)
''',
    # Softmax over the query axis: each key's column sums to 1 instead of each query's row.
    "ex04_2": '''
def attention_weights(scores, mask=None):
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-2)
''',
    # Scales by sqrt(d_k) correctly but normalises over the queries (and so also breaks under masks).
    "ex04_3": '''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-2)
    return weights @ v, weights
''',
    # Believes the variance is sqrt(d_k) (that is the standard deviation).
    "ex04_4": 'answer_04_4 = "c"\n',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 04_attention --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Scales the caller's queries in place.
        "ex04_1": '''
def attention_scores(q, k):
    q /= math.sqrt(q.shape[-1])
    return q @ k.transpose(-2, -1)
''',
        # Fills the caller's scores in place (masked_fill_ instead of masked_fill).
        "ex04_2": '''
def attention_weights(scores, mask=None):
    if mask is not None:
        scores.masked_fill_(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)
''',
        "ex04_4": 'answer_04_4 = "a"\n',
    },
    {
        # The textbook softmax without the row maximum subtracted: exp overflows on large scores.
        "ex04_2": '''
def attention_weights(scores, mask=None):
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    exp_scores = scores.exp()
    return exp_scores / exp_scores.sum(dim=-1, keepdim=True)
''',
        "ex04_4": 'answer_04_4 = "d"\n',
    },
    {
        # Calls the library for the output (the self-check compares with it) and computes the weights apart.
        "ex04_3": '''
def scaled_dot_product_attention(q, k, v, mask=None):
    weights = attention_weights(attention_scores(q, k), mask)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), weights
''',
    },
    {
        # Forces float32 "for stability": float64 inputs come back as float32.
        "ex04_3": '''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32)
    return weights @ v.float(), weights
''',
    },
]

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
    "ex04_4": 'answer_04_4 = "b"\n',
}

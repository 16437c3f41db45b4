"""Typical wrong answers for lesson 08, graded together in one extra submission."""

WRONG = {
    # Ignores `approximate`, always uses the tanh form, and forgets its cubic term 0.044715 x^3:
    # wrong for the exact form (test_a) and for the tanh form (test_b).
    "ex08_1": '''
def gelu(x, approximate="none"):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * x))
''',
    # The syllabus trap: torch.var's default is the UNBIASED variance (divides by d - 1).
    "ex08_2": '''
def layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    variance = x.var(dim=-1, keepdim=True)
    return weight * (x - mean) / torch.sqrt(variance + eps) + bias
''',
    # eps added outside the square root: invisible with unit-scale inputs and eps = 1e-6.
    "ex08_3": '''
def rms_norm(x, weight, eps=1e-6):
    rms = x.pow(2).mean(dim=-1, keepdim=True).sqrt()
    return weight * x / (rms + eps)
''',
    # Believes LayerNorm is chosen for speed.
    "ex08_4": 'answer_08_4 = "a"\n',
}

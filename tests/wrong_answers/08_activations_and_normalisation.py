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

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 08_activations_and_normalisation --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # The shortcut: the library's GELU, which the self-checks compare with.
        "ex08_1": '''
def gelu(x, approximate="none"):
    return F.gelu(x, approximate=approximate)
''',
        # The textbook one-pass variance E[x^2] - mean^2: right on small inputs, NaN when the mean is large.
        "ex08_2": '''
def layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    variance = (x * x).mean(dim=-1, keepdim=True) - mean * mean
    return weight * (x - mean) / torch.sqrt(variance + eps) + bias
''',
        # The shortcut: nn.RMSNorm's functional form.
        "ex08_3": '''
def rms_norm(x, weight, eps=1e-6):
    return F.rms_norm(x, (x.shape[-1],), weight, eps)
''',
        "ex08_4": 'answer_08_4 = "c"\n',
    },
    {
        # Exact form right, but the tanh option computed in float32 whatever the input.
        "ex08_1": '''
def gelu(x, approximate="none"):
    if approximate == "tanh":
        x32 = x.float()
        return 0.5 * x32 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x32 + 0.044715 * x32**3)))
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
''',
        # Normalises in place: the caller's activations are overwritten.
        "ex08_2": '''
def layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    variance = x.var(dim=-1, keepdim=True, correction=0)
    x -= mean
    x /= torch.sqrt(variance + eps)
    return weight * x + bias
''',
        "ex08_4": 'answer_08_4 = "d"\n',
    },
]

"""Typical wrong answers for lesson 11, graded together in one extra submission."""

WRONG = {
    # The classic off-by-one: the cosine of pair i uses exponent (2i+1)/d, i.e. the dimension index j.
    "ex11_1": '''
def sinusoidal_encoding(seq_len, d_model):
    if d_model % 2:
        raise ValueError("d_model must be even")
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]
    dims = torch.arange(d_model, dtype=torch.float32)
    angles = positions / 10000.0 ** (dims / d_model)
    encoding = torch.zeros(seq_len, d_model)
    encoding[:, 0::2] = torch.sin(angles[:, 0::2])
    encoding[:, 1::2] = torch.cos(angles[:, 1::2])
    return encoding
''',
    # Rotates the pairs the wrong way round (angle -m*theta) and with positions starting at 1.
    "ex11_2": '''
def apply_rope(x, base=10000.0):
    seq_len, d = x.shape[-2], x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    angles = torch.arange(1, seq_len + 1, dtype=torch.float32)[:, None] * theta
    cos, sin = torch.cos(angles), torch.sin(angles)
    even, odd = x[..., 0::2], x[..., 1::2]
    rotated = torch.empty_like(x)
    rotated[..., 0::2] = even * cos + odd * sin
    rotated[..., 1::2] = -even * sin + odd * cos
    return rotated
''',
    # Believes each token's output changes with its new neighbours.
    "ex11_3": 'answer_11_3 = "b"\n',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 11_positional_encoding --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Right values, computed entry by entry with math.sin / math.cos in a double Python loop.
        "ex11_1": '''
def sinusoidal_encoding(seq_len, d_model):
    if d_model % 2:
        raise ValueError("d_model must be even")
    rows = []
    for pos in range(seq_len):
        row = []
        for i in range(0, d_model, 2):
            angle = pos / 10000 ** (i / d_model)
            row += [math.sin(angle), math.cos(angle)]
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32).reshape(seq_len, d_model)
''',
        # Rotates the caller's tensor in place (the visible checks then compare x with itself).
        "ex11_2": '''
def apply_rope(x, base=10000.0):
    seq_len, d = x.shape[-2], x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    angles = torch.arange(seq_len, dtype=torch.float32)[:, None] * theta
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    even, odd = x[..., 0::2].clone(), x[..., 1::2].clone()
    x[..., 0::2] = even * cos - odd * sin
    x[..., 1::2] = even * sin + odd * cos
    return x
''',
        "ex11_3": 'answer_11_3 = "a"\n',
    },
    {
        # A Python loop over positions, each row with tensor operations.
        "ex11_1": '''
def sinusoidal_encoding(seq_len, d_model):
    if d_model % 2:
        raise ValueError("d_model must be even")
    frequencies = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    encoding = torch.zeros(seq_len, d_model)
    for pos in range(seq_len):
        encoding[pos, 0::2] = torch.sin(pos * frequencies)
        encoding[pos, 1::2] = torch.cos(pos * frequencies)
    return encoding
''',
        # The output buffer made without the input's dtype: float64 in, float32 out.
        "ex11_2": '''
def apply_rope(x, base=10000.0):
    seq_len, d = x.shape[-2], x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    angles = torch.arange(seq_len, dtype=torch.float32)[:, None] * theta
    cos, sin = torch.cos(angles), torch.sin(angles)
    even, odd = x[..., 0::2], x[..., 1::2]
    rotated = torch.empty(x.shape)
    rotated[..., 0::2] = even * cos - odd * sin
    rotated[..., 1::2] = even * sin + odd * cos
    return rotated
''',
        "ex11_3": 'answer_11_3 = "c"\n',
    },
]

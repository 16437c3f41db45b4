"""Typical wrong answers for lesson 05, graded together in one extra submission."""

WRONG = {
    # Heads split with a plain reshape (no transpose): each "head" mixes features of different tokens.
    "ex05_1": '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=True):
        super().__init__()
        self.d_model, self.num_heads, self.d_head = d_model, num_heads, d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        batch, q_len, _ = query.shape
        k_len = key.shape[1]
        q = self.q_proj(query).reshape(batch, self.num_heads, q_len, self.d_head)
        k = self.k_proj(key).reshape(batch, self.num_heads, k_len, self.d_head)
        v = self.v_proj(value).reshape(batch, self.num_heads, k_len, self.d_head)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask, float("-inf"))
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        weights = scores.softmax(dim=-1)
        output = (weights @ v).reshape(batch, q_len, self.d_model)
        return self.out_proj(output), weights
''',
    # The buggy module copied unchanged: heads read only a slice of the features, scale by sqrt(d_model).
    "ex05_2": '''
class FixedMultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.q_heads = nn.ModuleList([nn.Linear(self.d_head, self.d_head) for _ in range(num_heads)])
        self.k_heads = nn.ModuleList([nn.Linear(self.d_head, self.d_head) for _ in range(num_heads)])
        self.v_heads = nn.ModuleList([nn.Linear(self.d_head, self.d_head) for _ in range(num_heads)])
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query, key, value, attn_mask=None):
        head_outputs = []
        for h in range(self.num_heads):
            features = slice(h * self.d_head, (h + 1) * self.d_head)
            q = self.q_heads[h](query[..., features])
            k = self.k_heads[h](key[..., features])
            v = self.v_heads[h](value[..., features])
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_model)
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            weights = scores.softmax(dim=-1)
            head_outputs.append(weights @ v)
        return self.out_proj(torch.cat(head_outputs, dim=-1))
''',
    # BERT-base's sink, not MiniLM's measured one.
    "ex05_3": 'answer_05_3 = "c"\n',
}

# Exercise 05.2 fixed only halfway: every head now reads the whole token vector (bug 1 fixed), but the
# scores are still divided by sqrt(d_model) (bug 2 left). Test a must pass, test b must fail.
PARTIAL = {
    "answers": {"ex05_2": '''
class FixedMultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.q_heads = nn.ModuleList([nn.Linear(d_model, self.d_head) for _ in range(num_heads)])
        self.k_heads = nn.ModuleList([nn.Linear(d_model, self.d_head) for _ in range(num_heads)])
        self.v_heads = nn.ModuleList([nn.Linear(d_model, self.d_head) for _ in range(num_heads)])
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query, key, value, attn_mask=None):
        head_outputs = []
        for h in range(self.num_heads):
            q = self.q_heads[h](query)
            k = self.k_heads[h](key)
            v = self.v_heads[h](value)
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_model)
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            weights = scores.softmax(dim=-1)
            head_outputs.append(weights @ v)
        return self.out_proj(torch.cat(head_outputs, dim=-1))
'''},
    "full": ["ex05_2_test_a"],
    "zero": ["ex05_2_test_b"],
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 05_multi_head_attention --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
_MHA_HEAD = '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=True):
        super().__init__()
        self.d_model, self.num_heads, self.d_head = d_model, num_heads, d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def split(self, x):
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.d_head).transpose(1, 2)

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        batch, q_len, _ = query.shape
        k_len = key.shape[1]
        q, k, v = self.split(self.q_proj(query)), self.split(self.k_proj(key)), self.split(self.v_proj(value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
'''
_MHA_TAIL = '''
        weights = scores.softmax(dim=-1)
        heads = weights @ v
        return self.out_proj(heads.transpose(1, 2).reshape(batch, q_len, self.d_model)), weights
'''
VARIANTS = [
    # attn_mask is only applied when a key_padding_mask comes with it (the tests used to pass both together).
    {"ex05_1": _MHA_HEAD + '''
        if key_padding_mask is not None:
            blocked = key_padding_mask[:, None, None, :]
            if attn_mask is not None:
                blocked = blocked | attn_mask
            scores = scores.masked_fill(blocked, float("-inf"))
''' + _MHA_TAIL, "ex05_3": 'answer_05_3 = "a"\n'},
    # Rebuilds the padding mask from the number of real tokens, assuming the padding is at the END.
    {"ex05_1": _MHA_HEAD + '''
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask, float("-inf"))
        if key_padding_mask is not None:
            lengths = (~key_padding_mask).sum(dim=-1)
            blocked = torch.arange(k_len)[None, :] >= lengths[:, None]
            scores = scores.masked_fill(blocked[:, None, None, :], float("-inf"))
''' + _MHA_TAIL, "ex05_3": 'answer_05_3 = "d"\n'},
    # The library shortcut for the head outputs; the weights computed on the side to return them.
    {"ex05_1": _MHA_HEAD + '''
        allowed = torch.ones(batch, 1, q_len, k_len, dtype=torch.bool)
        if attn_mask is not None:
            allowed = allowed & ~attn_mask
        if key_padding_mask is not None:
            allowed = allowed & ~key_padding_mask[:, None, None, :]
        weights = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
        heads = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.out_proj(heads.transpose(1, 2).reshape(batch, q_len, self.d_model)), weights
'''},
]

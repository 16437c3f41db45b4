"""Typical wrong answers for lesson 06, graded together in one extra submission."""

WRONG = {
    # The activation is forgotten: two linear maps back to back collapse into one linear map.
    "ex06_1": '''
class PositionwiseFeedForward(nn.Module):
    def __init__(self, d_model, d_ff, activation="relu", dropout=0.0):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(activation)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.linear2(self.dropout(self.linear1(x)))
''',
    # Post-norm and pre-norm swapped (norm_first read the wrong way round).
    "ex06_2": '''
class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", norm_first=False):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.ffn = PositionwiseFeedForward(d_model, dim_feedforward, activation, dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        def sa(z):
            return self.dropout1(self.self_attn(z, z, z, attn_mask=src_mask,
                                                key_padding_mask=src_key_padding_mask)[0])
        x = src
        if not self.norm_first:
            x = x + sa(self.norm1(x))
            x = x + self.dropout2(self.ffn(self.norm2(x)))
        else:
            x = self.norm1(x + sa(x))
            x = self.norm2(x + self.dropout2(self.ffn(x)))
        return x
''',
    # The quiz: believes every layer's output is normalised in pre-norm.
    "ex06_3": 'answer_06_3 = "b"\n',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 06_encoder_layer --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Right formulas, but `x = src; x += ...` adds the sub-layers into the caller's tensor.
        "ex06_2": '''
class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", norm_first=False):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.ffn = PositionwiseFeedForward(d_model, dim_feedforward, activation, dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        def sa(z):
            return self.dropout1(self.self_attn(z, z, z, attn_mask=src_mask,
                                                key_padding_mask=src_key_padding_mask)[0])
        x = src
        if self.norm_first:
            x += sa(self.norm1(x))
            x += self.dropout2(self.ffn(self.norm2(x)))
        else:
            x = self.norm1(x + sa(x))
            x = self.norm2(x + self.dropout2(self.ffn(x)))
        return x
''',
        "ex06_3": 'answer_06_3 = "c"\n',
    },
    {
        # The shortcut: wrap nn.TransformerEncoderLayer and expose its parts under the asked names.
        "ex06_2": '''
class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", norm_first=False):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                batch_first=True, norm_first=norm_first)
        self.ffn = PositionwiseFeedForward(d_model, dim_feedforward, activation, dropout)
        self.layer.linear1, self.layer.linear2, self.layer.dropout = self.ffn.linear1, self.ffn.linear2, self.ffn.dropout
        self.self_attn, self.norm1, self.norm2 = self.layer.self_attn, self.layer.norm1, self.layer.norm2
        self.dropout1, self.dropout2 = self.layer.dropout1, self.layer.dropout2
        self.norm_first = norm_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        return self.layer(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask)
''',
        "ex06_3": 'answer_06_3 = "d"\n',
    },
]

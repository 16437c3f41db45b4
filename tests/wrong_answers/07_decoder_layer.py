"""Typical wrong answers for lesson 07, graded together in one extra submission."""

WRONG = {
    # The trap of the lesson: ONE attention module used for both self-attention and cross-attention.
    "ex07_1": '''
class DecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.cross_attn = self.self_attn  # "same shapes, so why build it twice?"
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, tgt, memory, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None):
        def sa(z):
            return self.dropout1(self.self_attn(z, z, z, attn_mask=tgt_mask,
                                                key_padding_mask=tgt_key_padding_mask)[0])
        def ca(z):
            return self.dropout2(self.cross_attn(z, memory, memory, key_padding_mask=memory_key_padding_mask)[0])
        def ff(z):
            return self.dropout3(self.linear2(self.dropout(F.relu(self.linear1(z)))))
        x = tgt
        if self.norm_first:
            x = x + sa(self.norm1(x))
            x = x + ca(self.norm2(x))
            x = x + ff(self.norm3(x))
        else:
            x = self.norm1(x + sa(x))
            x = self.norm2(x + ca(x))
            x = self.norm3(x + ff(x))
        return x
''',
    # No causal mask on the prefixes: right for one layer, wrong as soon as layers are stacked.
    "ex07_2": '''
def decode_step_by_step(decoder, tgt, memory, memory_key_padding_mask=None):
    outputs = []
    for length in range(1, tgt.shape[1] + 1):
        output = decoder(tgt[:, :length], memory, memory_key_padding_mask=memory_key_padding_mask)
        outputs.append(output[:, -1])
    return torch.stack(outputs, dim=1)
''',
    # The quiz: keys and values from the target (the "cross-attention reads the target" bug).
    "ex07_3": 'answer_07_3 = "a"\n',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 07_decoder_layer --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
_DECODER_INIT = '''
class DecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.norm_first = norm_first
'''
VARIANTS = [
    {
        # Right formulas, but `x = tgt; x += ...` in pre-norm adds the sub-layers into the caller's tensor.
        "ex07_1": _DECODER_INIT + '''
    def forward(self, tgt, memory, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None):
        def sa(z):
            return self.dropout1(self.self_attn(z, z, z, attn_mask=tgt_mask,
                                                key_padding_mask=tgt_key_padding_mask)[0])
        def ca(z):
            return self.dropout2(self.cross_attn(z, memory, memory, key_padding_mask=memory_key_padding_mask)[0])
        def ff(z):
            return self.dropout3(self.linear2(self.dropout(F.relu(self.linear1(z)))))
        x = tgt
        if self.norm_first:
            x += sa(self.norm1(x))
            x += ca(self.norm2(x))
            x += ff(self.norm3(x))
        else:
            x = self.norm1(x + sa(x))
            x = self.norm2(x + ca(x))
            x = self.norm3(x + ff(x))
        return x
''',
        # The outputs collected in a float32 buffer: a float64 decoder gives float32 results.
        "ex07_2": '''
def decode_step_by_step(decoder, tgt, memory, memory_key_padding_mask=None):
    batch, tgt_len, d_model = tgt.shape
    outputs = torch.zeros(batch, tgt_len, d_model)
    for length in range(1, tgt_len + 1):
        output = decoder(tgt[:, :length], memory, tgt_mask=causal_blocked_mask(length),
                         memory_key_padding_mask=memory_key_padding_mask)
        outputs[:, length - 1] = output[:, -1]
    return outputs
''',
        "ex07_3": 'answer_07_3 = "b"\n',
    },
    {
        # The shortcut: wrap nn.TransformerDecoderLayer and expose its parts under the asked names.
        "ex07_1": '''
class DecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, norm_first=False):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                norm_first=norm_first)
        self.self_attn, self.cross_attn = self.layer.self_attn, self.layer.multihead_attn
        self.linear1, self.linear2, self.dropout = self.layer.linear1, self.layer.linear2, self.layer.dropout
        self.norm1, self.norm2, self.norm3 = self.layer.norm1, self.layer.norm2, self.layer.norm3
        self.dropout1, self.dropout2, self.dropout3 = self.layer.dropout1, self.layer.dropout2, self.layer.dropout3
        self.norm_first = norm_first

    def forward(self, tgt, memory, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None):
        return self.layer(tgt, memory, tgt_mask=tgt_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                          memory_key_padding_mask=memory_key_padding_mask)
''',
        "ex07_3": 'answer_07_3 = "c"\n',
    },
]

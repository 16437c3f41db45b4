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

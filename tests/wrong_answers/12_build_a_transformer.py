"""Typical wrong answers for lesson 12, graded together in one extra submission."""

# The constructor of Exercise 12.1 is given; a wrong answer keeps it and gets the methods wrong.
_CONSTRUCTOR = '''
class Seq2SeqTransformer(nn.Module):
    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=128, nhead=4, num_encoder_layers=2,
                 num_decoder_layers=2, dim_feedforward=256, dropout=0.1, pad_id=0, max_len=256, norm_first=False):
        super().__init__()
        self.d_model, self.pad_id, self.max_len = d_model, pad_id, max_len
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        self.register_buffer("positional_encoding", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        encoder_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                   norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(encoder_layer, num_encoder_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        decoder_layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True,
                                                   norm_first=norm_first)
        self.decoder = nn.TransformerDecoder(decoder_layer, num_decoder_layers, norm=nn.LayerNorm(d_model))
        self.output_projection = nn.Linear(d_model, tgt_vocab_size, bias=False)
        self.output_projection.weight = self.tgt_embedding.weight
        self.reset_parameters()

    def reset_parameters(self):
        for parameter in [*self.encoder.parameters(), *self.decoder.parameters()]:
            if parameter.dim() > 1:
                nn.init.xavier_uniform_(parameter)
        with torch.no_grad():
            for embedding in (self.src_embedding, self.tgt_embedding):
                nn.init.normal_(embedding.weight, mean=0.0, std=self.d_model ** -0.5)
                embedding.weight[self.pad_id].zero_()

    @staticmethod
    def causal_mask(size, device=None):
        return torch.ones(size, size, dtype=torch.bool, device=device).triu(diagonal=1)

    def embed(self, ids, embedding):
        return self.dropout(embedding(ids) * math.sqrt(self.d_model) + self.positional_encoding[: ids.shape[1]])
'''

WRONG = {
    # The convention trap of the lesson: default padding masks built as "True = real token to keep"
    # (Hugging Face's attention_mask, F.scaled_dot_product_attention) and handed to nn.Transformer*, which
    # reads True as padding. Explicit masks are passed on unchanged, so only the defaults are inverted.
    "ex12_1": _CONSTRUCTOR + '''
    def encode(self, src, src_padding_mask=None):
        if src_padding_mask is None:
            src_padding_mask = src != self.pad_id
        return self.encoder(self.embed(src, self.src_embedding), src_key_padding_mask=src_padding_mask)

    def decode(self, tgt, memory, src_padding_mask=None, tgt_padding_mask=None):
        if tgt_padding_mask is None:
            tgt_padding_mask = tgt != self.pad_id
        output = self.decoder(self.embed(tgt, self.tgt_embedding), memory,
                              tgt_mask=self.causal_mask(tgt.shape[1], tgt.device),
                              tgt_key_padding_mask=tgt_padding_mask, memory_key_padding_mask=src_padding_mask)
        return self.output_projection(output)

    def forward(self, src, tgt, src_padding_mask=None, tgt_padding_mask=None):
        if src_padding_mask is None:
            src_padding_mask = src != self.pad_id
        return self.decode(tgt, self.encode(src, src_padding_mask), src_padding_mask, tgt_padding_mask)
''',
    # The source padding mask reaches every decode call but not encode: model.encode(src) rebuilds it from the
    # ids, which only looks harmless (an explicit mask, e.g. a real token with the pad id, is lost in the encoder).
    "ex12_2": '''
def greedy_decode(model, src, bos_id, eos_id, max_new_tokens, src_padding_mask=None):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        if src_padding_mask is None:
            src_padding_mask = src == model.pad_id
        memory = model.encode(src)
        tokens = torch.full((src.shape[0], 1), bos_id, dtype=torch.long)
        finished = torch.zeros(src.shape[0], dtype=torch.bool)
        for _ in range(max_new_tokens):
            next_token = model.decode(tokens, memory, src_padding_mask)[:, -1].argmax(-1)
            next_token = next_token.masked_fill(finished, model.pad_id)
            tokens = torch.cat([tokens, next_token[:, None]], dim=1)
            finished |= next_token == eos_id
            if finished.all():
                break
    model.train(was_training)
    return tokens[:, 1:]
''',
    # The quiz: "the encoder already ignored the padding" (the memory at padded positions is not zero).
    "ex12_3": 'answer_12_3 = "d"\n',
}

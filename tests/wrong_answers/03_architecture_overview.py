"""Typical wrong answers for lesson 03, graded together in one extra submission."""

WRONG = {
    # Counts embeddings, linear maps and biases but forgets every LayerNorm (ln_1, ln_2 and the final ln_f).
    "ex03_1": '''
def count_parameters(config, lm_head=False):
    fields = dict(config) if isinstance(config, dict) else config.to_dict()
    d, vocab, positions = fields["n_embd"], fields["vocab_size"], fields["n_positions"]
    d_ff = fields.get("n_inner") or 4 * d
    attention = (d * 3 * d + 3 * d) + (d * d + d)
    feed_forward = (d * d_ff + d_ff) + (d_ff * d + d)
    total = vocab * d + positions * d + fields["n_layer"] * (attention + feed_forward)
    if lm_head and not fields.get("tie_word_embeddings", True):
        total += d * vocab
    return total
''',
    # Believes attention returns the length of its KEYS: the decoder output (and everything after it) gets
    # the source length, and the cross-attention weights come out transposed.
    "ex03_2": '''
def transformer_shapes(batch, src_len, tgt_len, d_model, nhead, dim_feedforward, vocab_size, num_layers):
    return {
        "src_embedded": (batch, src_len, d_model),
        "memory": (batch, src_len, d_model),
        "tgt_embedded": (batch, tgt_len, d_model),
        "decoder_self_attention_weights": (batch, nhead, tgt_len, tgt_len),
        "cross_attention_weights": (batch, nhead, src_len, tgt_len),
        "decoder_ffn_hidden": (batch, src_len, dim_feedforward),
        "decoder_output": (batch, src_len, d_model),
        "logits": (batch, src_len, vocab_size),
    }
''',
    # Wires decoder layer i to encoder layer i; thinks more heads means more parameters.
    "ex03_3": 'answer_03_3a = "c"\nanswer_03_3b = "b"\n',
}

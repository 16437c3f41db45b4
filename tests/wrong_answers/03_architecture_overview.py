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

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 03_architecture_overview --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # The forbidden shortcut: build the model (on the meta device, so it is fast) and sum numel().
        "ex03_1": '''
def count_parameters(config, lm_head=False):
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Model
    config = GPT2Config(**config) if isinstance(config, dict) else config
    with torch.device("meta"):
        model = GPT2LMHeadModel(config) if lm_head else GPT2Model(config)
    return sum(parameter.numel() for parameter in model.parameters())
''',
        # Forgets the head axis (nn.MultiheadAttention averages the heads by default) and assumes d_ff = 4 d.
        "ex03_2": '''
def transformer_shapes(batch, src_len, tgt_len, d_model, nhead, dim_feedforward, vocab_size, num_layers):
    return {
        "src_embedded": (batch, src_len, d_model),
        "memory": (batch, src_len, d_model),
        "tgt_embedded": (batch, tgt_len, d_model),
        "decoder_self_attention_weights": (batch, tgt_len, tgt_len),
        "cross_attention_weights": (batch, tgt_len, src_len),
        "decoder_ffn_hidden": (batch, tgt_len, 4 * d_model),
        "decoder_output": (batch, tgt_len, d_model),
        "logits": (batch, tgt_len, vocab_size),
    }
''',
        "ex03_3": 'answer_03_3a = "b"\nanswer_03_3b = "a"\n',
    },
    {
        "ex03_3": 'answer_03_3a = "d"\nanswer_03_3b = "d"\n',
    },
]

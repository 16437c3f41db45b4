"""Typical wrong answers for lesson 20 (text generation), graded together in one extra submission."""

WRONG = {
    # Multiplies by the temperature instead of dividing: T < 1 flattens instead of sharpening.
    "ex20_1": '''
def apply_temperature(logits, temperature):
    if not temperature > 0:
        raise ValueError("temperature must be positive")
    return logits * temperature
''',
    # Off by one: `<=` also removes the k-th largest, so k - 1 tokens survive.
    "ex20_2": '''
def top_k_filter(logits, k):
    if k <= 0:
        return logits.clone()
    k = min(k, logits.shape[-1])
    kth_largest = logits.topk(k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits <= kth_largest, float("-inf"))
''',
    # Excludes the token that crosses p (keeps only tokens whose cumulative probability is below p).
    "ex20_3": '''
def top_p_filter(logits, p, min_tokens_to_keep=1):
    if p >= 1.0:
        return logits.clone()
    sorted_logits, sorted_indices = logits.sort(dim=-1, descending=True)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative >= p
    remove_sorted[..., :min_tokens_to_keep] = False
    remove = remove_sorted.scatter(-1, sorted_indices, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))
''',
    # Always divides: a negative logit divided by the penalty moves towards 0, the repeat gets MORE likely.
    "ex20_4": '''
def repetition_penalty(logits, input_ids, penalty):
    seen = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, input_ids, True)
    return torch.where(seen, logits / penalty, logits)
''',
    # Never stops at the end token: always max_new_tokens steps, and rows go on after their eos.
    "ex20_5": '''
def greedy_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            logits = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        next_tokens = logits.argmax(dim=-1)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
    return sequences
''',
    # Warpers in the wrong order: top-p before the temperature (the nucleus is cut on the wrong distribution).
    "ex20_6": '''
def sample_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None,
                    temperature=1.0, top_k=0, top_p=1.0, penalty=1.0):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            scores = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        if penalty != 1.0:
            scores = repetition_penalty(scores, sequences, penalty)
        scores = apply_temperature(top_k_filter(top_p_filter(scores, top_p), top_k), temperature)
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
    # Tempting: "the model's config wins".
    "ex20_7": 'answer_20_7 = "d"\n',
    # Tempting: top-p alone, forgetting the silent top-k 50.
    "ex20_8": 'answer_20_8 = "a"\n',
}

_GREEDY_HEADER = '''
def greedy_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
'''

_SAMPLER_HEADER = '''
def sample_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None,
                    temperature=1.0, top_k=0, top_p=1.0, penalty=1.0):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            scores = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        if penalty != 1.0:
            scores = repetition_penalty(scores, sequences, penalty)
'''

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 20_text_generation --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Temperature applied to the probabilities: softmax first, then divided by T (not logits any more).
        "ex20_1": '''
def apply_temperature(logits, temperature):
    if not temperature > 0:
        raise ValueError("temperature must be positive")
    return logits.softmax(dim=-1) / temperature
''',
        # Ties broken by index: exactly k tokens from topk's indices, a token tied with the k-th is dropped.
        "ex20_2": '''
def top_k_filter(logits, k):
    if k <= 0:
        return logits.clone()
    k = min(k, logits.shape[-1])
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, logits.topk(k, dim=-1).indices, True)
    return logits.masked_fill(~keep, float("-inf"))
''',
        # Sorted ascending (copied half of the library's trick): keeps the LEAST likely tokens.
        "ex20_3": '''
def top_p_filter(logits, p, min_tokens_to_keep=1):
    if p >= 1.0:
        return logits.clone()
    sorted_logits, sorted_indices = logits.sort(dim=-1)
    probs = sorted_logits.softmax(dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs
    remove_sorted = mass_before >= p
    remove_sorted[..., :min_tokens_to_keep] = False
    remove = remove_sorted.scatter(-1, sorted_indices, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))
''',
        # Penalised once per occurrence (penalty ** count) instead of once per token.
        "ex20_4": '''
def repetition_penalty(logits, input_ids, penalty):
    counts = torch.zeros_like(logits).scatter_add(-1, input_ids, torch.ones_like(input_ids, dtype=logits.dtype))
    factor = penalty ** counts
    return torch.where(logits < 0, logits * factor, logits / factor)
''',
        # Ignores the attention mask and the positions: padded rows see pads and shifted positions.
        "ex20_5": _GREEDY_HEADER + '''        with torch.no_grad():
            logits = model(input_ids=sequences).logits[:, -1]
        next_tokens = logits.argmax(dim=-1).masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
        # Samples from the unfiltered softmax: temperature, top-k and top-p never applied.
        "ex20_6": '''
def sample_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None,
                    temperature=1.0, top_k=0, top_p=1.0, penalty=1.0):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            scores = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
        "ex20_7": 'answer_20_7 = "a"\n',
        "ex20_8": 'answer_20_8 = "b"\n',
    },
    {
        # Top-p that excludes the crossing token AND forgets min_tokens_to_keep: confident rows lose every token.
        "ex20_3": '''
def top_p_filter(logits, p, min_tokens_to_keep=1):
    if p >= 1.0:
        return logits.clone()
    sorted_logits, sorted_indices = logits.sort(dim=-1, descending=True)
    remove_sorted = sorted_logits.softmax(dim=-1).cumsum(dim=-1) > p
    remove = remove_sorted.scatter(-1, sorted_indices, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))
''',
        # Penalty uses the tokens of every row for every row (input_ids flattened).
        "ex20_4": '''
def repetition_penalty(logits, input_ids, penalty):
    seen = torch.zeros(logits.shape[-1], dtype=torch.bool).scatter(0, input_ids.flatten(), True)
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen, penalised, logits)
''',
        # Stops as soon as ONE row has finished (any instead of all).
        "ex20_5": _GREEDY_HEADER + '''        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            logits = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        next_tokens = logits.argmax(dim=-1).masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.any():
            break
    return sequences
''',
        # Positions 0..len-1 for every row (no position_ids): left-padded rows are shifted.
        "ex20_6": '''
def sample_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None,
                    temperature=1.0, top_k=0, top_p=1.0, penalty=1.0):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        with torch.no_grad():
            scores = model(input_ids=sequences, attention_mask=mask).logits[:, -1]
        if penalty != 1.0:
            scores = repetition_penalty(scores, sequences, penalty)
        scores = top_p_filter(top_k_filter(apply_temperature(scores, temperature), top_k), top_p)
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
        "ex20_7": 'answer_20_7 = "c"\n',
        "ex20_8": 'answer_20_8 = "c"\n',
    },
    {
        # Finished rows are not padded: they keep generating after their eos.
        "ex20_5": _GREEDY_HEADER + '''        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            logits = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        next_tokens = logits.argmax(dim=-1)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
        # The repetition penalty applied after the warpers (on -inf and scaled logits) instead of first.
        "ex20_6": '''
def sample_generate(model, input_ids, max_new_tokens, eos_token_id, pad_token_id, attention_mask=None,
                    temperature=1.0, top_k=0, top_p=1.0, penalty=1.0):
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    sequences, mask = input_ids, attention_mask
    finished = torch.zeros(len(sequences), dtype=torch.bool)
    for _ in range(max_new_tokens):
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            scores = model(input_ids=sequences, attention_mask=mask, position_ids=position_ids).logits[:, -1]
        scores = top_p_filter(top_k_filter(apply_temperature(scores, temperature), top_k), top_p)
        if penalty != 1.0:
            scores = repetition_penalty(scores, sequences, penalty)
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
    },
    {
        # Pads the finished rows but never stops early: always max_new_tokens steps, even when all rows are done.
        "ex20_6": _SAMPLER_HEADER + '''        scores = top_p_filter(top_k_filter(apply_temperature(scores, temperature), top_k), top_p)
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
    return sequences
''',
    },
    {
        # Top-p before top-k: with a small k, the nucleus is cut from the whole distribution, not from the k best.
        "ex20_6": _SAMPLER_HEADER + '''        scores = top_k_filter(top_p_filter(apply_temperature(scores, temperature), top_p), top_k)
        next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        next_tokens = next_tokens.masked_fill(finished, pad_token_id)
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(next_tokens[:, None])], dim=1)
        finished = finished | (next_tokens == eos_token_id)
        if finished.all():
            break
    return sequences
''',
    },
]

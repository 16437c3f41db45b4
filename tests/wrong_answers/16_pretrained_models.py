"""Typical wrong answers for lesson 16 (pretrained models), graded together in one extra submission."""

WRONG = {
    # Mean over every position: the padding counts.
    "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    return last_hidden_state.mean(dim=-2)
''',
    # One padded batch, then the last column: for a shorter text (right padding) that column is padding.
    "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    with torch.no_grad():
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        probabilities = model(**batch).logits[:, -1].softmax(dim=-1)
    top = probabilities.topk(k, dim=-1)
    results = [[(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(values, indices)]
               for values, indices in zip(top.values, top.indices)]
    return results[0] if isinstance(text, str) else results
''',
    # Every selected token becomes [MASK]: no random tokens, none left unchanged.
    "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    masked = torch.where(selected, torch.full_like(input_ids, mask_token_id), input_ids)
    return masked, labels
''',
    # Tempting: "more targets, more signal".
    "ex16_4": 'answer_16_4 = "a"\n',
}

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 16_pretrained_models --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # The sum of the real tokens' vectors, not their mean.
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    return (last_hidden_state * attention_mask.to(last_hidden_state.dtype).unsqueeze(-1)).sum(dim=-2)
''',
        # Softmax over the wrong axis (the sequence), then the last position.
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            probabilities = model(**tokenizer(one_text, return_tensors="pt")).logits.softmax(dim=1)[0, -1]
            top = probabilities.topk(k)
            results.append([(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # Labels on every token (the loss would count the 85 % visible tokens).
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    masked = torch.where(selected & (action < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, masked)
    labels = input_ids.masked_fill(special_tokens_mask, -100)
    return masked, labels
''',
        "ex16_4": 'answer_16_4 = "c"\n',
    },
    {
        # Divides by the padded length instead of the number of real tokens.
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    weights = attention_mask.to(last_hidden_state.dtype).unsqueeze(-1)
    return (last_hidden_state * weights).sum(dim=-2) / last_hidden_state.shape[-2]
''',
        # Position 0 instead of the last one.
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            probabilities = model(**tokenizer(one_text, return_tensors="pt")).logits[0, 0].softmax(dim=-1)
            top = probabilities.topk(k)
            results.append([(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # Selects special tokens and padding too.
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = torch.rand(input_ids.shape, generator=generator) < mlm_probability
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    masked = torch.where(selected & (action < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, masked)
    return masked, labels
''',
        "ex16_4": 'answer_16_4 = "d"\n',
    },
    {
        # Forgets to cast the int64 mask: matmul refuses mixed dtypes.
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    summed = (attention_mask.unsqueeze(-2) @ last_hidden_state).squeeze(-2)
    return summed / attention_mask.sum(dim=-1, keepdim=True).clamp(min=1e-9)
''',
        # Logits instead of probabilities.
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            logits = model(**tokenizer(one_text, return_tensors="pt")).logits[0, -1]
            top = logits.topk(k)
            results.append([(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # The random share taken as 10 % of the remaining 20 %: 2 % random, 18 % unchanged.
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    to_mask = selected & (torch.rand(input_ids.shape, generator=generator) < 0.8)
    to_random = selected & ~to_mask & (torch.rand(input_ids.shape, generator=generator) < 0.1)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    masked = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(to_random, random_ids, masked)
    return masked, labels
''',
    },
    {
        # No clamp: a row without any real token gives nan.
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    weights = attention_mask.to(last_hidden_state.dtype).unsqueeze(-1)
    return (last_hidden_state * weights).sum(dim=-2) / weights.sum(dim=-2)
''',
        # Log-probabilities instead of probabilities.
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            scores = model(**tokenizer(one_text, return_tensors="pt")).logits[0, -1].log_softmax(dim=-1)
            top = scores.topk(k)
            results.append([(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # The global random generator instead of `generator`.
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    action = torch.rand(input_ids.shape)
    random_ids = torch.randint(vocab_size, input_ids.shape)
    masked = torch.where(selected & (action < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, masked)
    return masked, labels
''',
    },
    {
        # Normalises inside the pooling (MiniLM's next module does that).
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    weights = attention_mask.to(last_hidden_state.dtype).unsqueeze(-1)
    pooled = (last_hidden_state * weights).sum(dim=-2) / weights.sum(dim=-2).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)
''',
        # Ignores k: always the top 5.
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            probabilities = model(**tokenizer(one_text, return_tensors="pt")).logits[0, -1].softmax(dim=-1)
            top = probabilities.topk(5)
            results.append([(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # Writes the masks into the caller's input_ids (in place).
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    input_ids[selected & (action < 0.8)] = mask_token_id
    to_random = selected & (action >= 0.8) & (action < 0.9)
    input_ids[to_random] = random_ids[to_random]
    return input_ids, labels
''',
    },
    {
        # Casts to float32: a float64 input loses its precision.
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    weights = attention_mask.float().unsqueeze(-1)
    hidden = last_hidden_state.float()
    return (hidden * weights).sum(dim=-2) / weights.sum(dim=-2).clamp(min=1e-9)
''',
        # Sorted in increasing order (the k LEAST probable tokens).
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            probabilities = model(**tokenizer(one_text, return_tensors="pt")).logits[0, -1].softmax(dim=-1)
            top = probabilities.topk(k, largest=False)
            results.append([(int(i), tokenizer.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # Labels inverted: the original token where NOT selected, -100 at the selected positions.
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, torch.full_like(input_ids, -100), input_ids)
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    masked = torch.where(selected & (action < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, masked)
    return masked, labels
''',
    },
    {
        # A Python loop over the batch (right values, not vectorised).
        "ex16_1": '''
def mean_pool(last_hidden_state, attention_mask):
    flat_hidden = last_hidden_state.reshape(-1, *last_hidden_state.shape[-2:])
    flat_mask = attention_mask.reshape(-1, attention_mask.shape[-1])
    rows = []
    for hidden, mask in zip(flat_hidden, flat_mask):
        weights = mask.to(hidden.dtype).unsqueeze(-1)
        rows.append((hidden * weights).sum(dim=0) / weights.sum().clamp(min=1e-9))
    return torch.stack(rows).reshape(*last_hidden_state.shape[:-2], last_hidden_state.shape[-1])
''',
        # Returns tensors instead of Python numbers.
        "ex16_2": '''
def top_k_next_tokens(model, tokenizer, text, k=5):
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    with torch.no_grad():
        for one_text in texts:
            probabilities = model(**tokenizer(one_text, return_tensors="pt")).logits[0, -1].softmax(dim=-1)
            top = probabilities.topk(k)
            results.append([(i, tokenizer.decode([int(i)]), p) for p, i in zip(top.values, top.indices)])
    return results[0] if isinstance(text, str) else results
''',
        # Random replacement drawn independently of the selection: 10 % of ALL tokens get a random id.
        "ex16_3": '''
def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, generator, mlm_probability=0.15):
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_tokens_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    to_mask = selected & (torch.rand(input_ids.shape, generator=generator) < 0.8)
    to_random = ~to_mask & ~special_tokens_mask & (torch.rand(input_ids.shape, generator=generator) < 0.1)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    masked = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(to_random, random_ids, masked)
    return masked, labels
''',
    },
]

"""Typical wrong answers for lesson 17 (fine-tuning), graded together in one extra submission."""

WRONG = {
    # Selects the head by name: on the tied GPT, named_parameters() lists it as transformer.wte.weight -> 0.
    "ex17_1": '''
def freeze_all_but_head(model):
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith("lm_head")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
''',
    # scaling = alpha (forgets the division by r).
    "ex17_2": '''
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        for parameter in self.base.parameters():
            parameter.requires_grad = False
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha

    def forward(self, x):
        return self.base(x) + self.scaling * ((x @ self.lora_A.T) @ self.lora_B.T)
''',
    # labels = input_ids (the prompt is trained on), padding masked.
    "ex17_3": '''
def build_clm_example(prompt, completion, tokenizer, max_len):
    ids = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    ids = ids + tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    n = max_len - len(ids)
    return {"input_ids": ids + [tokenizer.pad_token_id] * n, "attention_mask": [1] * len(ids) + [0] * n,
            "labels": ids + [-100] * n}
''',
    "ex17_4": 'answer_17_4 = "c"\n',
    "ex17_5": 'answer_17_5 = "b"\n',
}

_CLM_RIGHT_START = '''
def build_clm_example(prompt, completion, tokenizer, max_len):
    eos_id, pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    if pad_id is None or pad_id == eos_id:
        raise ValueError("pad")
    p = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    c = tokenizer(completion, add_special_tokens=False)["input_ids"] + [eos_id]
    if len(c) >= max_len:
        raise ValueError("long")
'''

_LORA = '''
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        for parameter in self.base.parameters():
            parameter.requires_grad = FROZEN
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(B_INIT(base.out_features, r))
        self.scaling = SCALING

    def forward(self, x):
        return self.base(x) + self.scaling * ((x @ self.lora_A.T) @ self.lora_B.T)
'''


def _lora(frozen="False", b_init="torch.zeros", scaling="alpha / r"):
    return _LORA.replace("FROZEN", frozen).replace("B_INIT", b_init).replace("SCALING", scaling)


VARIANTS = [
    {
        # Freezes the head too: nothing trains.
        "ex17_1": '''
def freeze_all_but_head(model):
    for parameter in model.parameters():
        parameter.requires_grad = False
    return 0
''',
        # scaling = 1 / r.
        "ex17_2": _lora(scaling="1 / r"),
        # The end token twice (one appended to the completion, one more at the end).
        "ex17_3": _CLM_RIGHT_START + '''
    c = c + [eos_id]
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    return {"input_ids": p + c + [pad_id] * n, "attention_mask": [1] * (len(p) + len(c)) + [0] * n,
            "labels": [-100] * len(p) + c + [-100] * n}
''',
        "ex17_4": 'answer_17_4 = "a"\n',
        "ex17_5": 'answer_17_5 = "a"\n',
    },
    {
        # Counts the tied matrix twice.
        "ex17_1": '''
def freeze_all_but_head(model):
    for parameter in model.parameters():
        parameter.requires_grad = False
    for parameter in model.get_output_embeddings().parameters():
        parameter.requires_grad = True
    return sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False) if p.requires_grad)
''',
        # B initialised at random: the adapted model does not start equal to the base.
        "ex17_2": _lora(b_init="torch.randn"),
        # Padding labelled (labels = ids on the padding too).
        "ex17_3": _CLM_RIGHT_START + '''
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    return {"input_ids": p + c + [pad_id] * n, "attention_mask": [1] * (len(p) + len(c)) + [0] * n,
            "labels": [-100] * len(p) + c + [pad_id] * n}
''',
        "ex17_4": 'answer_17_4 = "d"\n',
        "ex17_5": 'answer_17_5 = "c"\n',
    },
    {
        # Does not freeze the rest first: parameters already trainable stay trainable.
        "ex17_1": '''
def freeze_all_but_head(model):
    for parameter in model.get_output_embeddings().parameters():
        parameter.requires_grad = True
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
''',
        # Base layer not frozen.
        "ex17_2": _lora(frozen="True"),
        # pad = eos: pads with the end token (and no check of the tokenizer).
        "ex17_3": '''
def build_clm_example(prompt, completion, tokenizer, max_len):
    eos_id = tokenizer.eos_token_id
    p = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    c = tokenizer(completion, add_special_tokens=False)["input_ids"] + [eos_id]
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    return {"input_ids": p + c + [eos_id] * n, "attention_mask": [1] * (len(p) + len(c)) + [0] * n,
            "labels": [-100] * len(p) + c + [-100] * n}
''',
    },
    {
        # Off by one on the prompt boundary: the last prompt token (the separator) is labelled.
        "ex17_3": _CLM_RIGHT_START + '''
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    ids = p + c
    return {"input_ids": ids + [pad_id] * n, "attention_mask": [1] * len(ids) + [0] * n,
            "labels": [-100] * (len(p) - 1) + ids[len(p) - 1:] + [-100] * n}
''',
    },
    {
        # Truncation that drops the end token (cut the end of the sequence).
        "ex17_3": _CLM_RIGHT_START + '''
    ids = (p + c)[:max_len]
    labels = ([-100] * len(p) + c)[:max_len]
    n = max_len - len(ids)
    return {"input_ids": ids + [pad_id] * n, "attention_mask": [1] * len(ids) + [0] * n,
            "labels": labels + [-100] * n}
''',
    },
    {
        # No end token at all.
        "ex17_3": _CLM_RIGHT_START + '''
    c = c[:-1]
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    return {"input_ids": p + c + [pad_id] * n, "attention_mask": [1] * (len(p) + len(c)) + [0] * n,
            "labels": [-100] * len(p) + c + [-100] * n}
''',
    },
    {
        # Hard-coded ids of the course's tokenizer (eos 0, pad 1).
        "ex17_3": '''
def build_clm_example(prompt, completion, tokenizer, max_len):
    if tokenizer.pad_token_id is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        raise ValueError("pad")
    p = tokenizer(prompt + SEPARATOR, add_special_tokens=False)["input_ids"]
    c = tokenizer(completion, add_special_tokens=False)["input_ids"] + [0]
    if len(c) >= max_len:
        raise ValueError("long")
    p = p[max(0, len(p) + len(c) - max_len):]
    n = max_len - len(p) - len(c)
    return {"input_ids": p + c + [1] * n, "attention_mask": [1] * (len(p) + len(c)) + [0] * n,
            "labels": [-100] * len(p) + c + [-100] * n}
''',
    },
]

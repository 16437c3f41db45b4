"""Typical wrong answers for lesson 10, graded together in one extra submission."""

WRONG = {
    # Two classic mistakes: pair counts not weighted by word frequency (every word counts once; test_a), and
    # the merge done by string replacement on the space-joined symbols (Sennrich et al.'s snippet without its
    # symbol-boundary regex), which also merges across symbols: ('ab', 'c') becomes ('abc',) (test_b).
    "ex10_1a": '''
def bpe_train_step(word_freqs):
    pair_counts = Counter()
    for word, freq in word_freqs.items():
        for pair in zip(word, word[1:]):
            pair_counts[pair] += 1  # forgot the frequency
    best_pair = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
    new_word_freqs = {}
    for word, freq in word_freqs.items():
        text = " ".join(word).replace(best_pair[0] + " " + best_pair[1], best_pair[0] + best_pair[1])
        merged = tuple(text.split(" "))
        new_word_freqs[merged] = new_word_freqs.get(merged, 0) + freq
    return best_pair, new_word_freqs
''',
    # Merges applied to the first matching pair in the word, ignoring the order they were learned in.
    "ex10_1b": '''
def bpe_encode(word, merges):
    symbols = list(word)
    known = set(merges)
    changed = True
    while changed:
        changed = False
        for i in range(len(symbols) - 1):
            if (symbols[i], symbols[i + 1]) in known:
                symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
                changed = True
                break
    return symbols
''',
    # attention_mask inverted: 1 on padding, 0 on real tokens.
    "ex10_2": '''
def pad_batch(sequences, pad_id, side="right", max_length=None):
    if max_length is not None:
        sequences = [list(seq)[:max_length] for seq in sequences]
    length = max_length if max_length is not None else max(len(seq) for seq in sequences)
    input_ids, attention_mask = [], []
    for seq in sequences:
        n_pad = length - len(seq)
        if side == "right":
            input_ids.append(list(seq) + [pad_id] * n_pad)
            attention_mask.append([0] * len(seq) + [1] * n_pad)
        else:
            input_ids.append([pad_id] * n_pad + list(seq))
            attention_mask.append([1] * n_pad + [0] * len(seq))
    return torch.tensor(input_ids), torch.tensor(attention_mask)
''',
    # "The attention mask handles it."
    "ex10_3": '''
answer_10_3 = "d"
''',
    # F.one_hot without num_classes (width = ids.max() + 1) and a hard-coded float32 cast.
    "ex10_4": '''
def one_hot_embed(ids, weight):
    return F.one_hot(ids).float() @ weight
''',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 10_tokenization_and_embeddings --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Right pair and merge, but the caller's dict is overwritten with the merged corpus.
        "ex10_1a": '''
def bpe_train_step(word_freqs):
    pair_counts = Counter()
    for word, freq in word_freqs.items():
        for pair in zip(word, word[1:]):
            pair_counts[pair] += freq
    best_pair = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
    merged_freqs = {}
    for word, freq in word_freqs.items():
        merged, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best_pair:
                merged.append(word[i] + word[i + 1])
                i += 2
            else:
                merged.append(word[i])
                i += 1
        merged_freqs[tuple(merged)] = merged_freqs.get(tuple(merged), 0) + freq
    word_freqs.clear()
    word_freqs.update(merged_freqs)
    return best_pair, word_freqs
''',
        # Consumes the caller's merge list with pop(0).
        "ex10_1b": '''
def bpe_encode(word, merges):
    symbols = list(word)
    while merges:
        left, right = merges.pop(0)
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == left and symbols[i + 1] == right:
                merged.append(left + right)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols
''',
        # The attention mask computed from the ids: a real token whose id equals pad_id is masked out.
        "ex10_2": '''
def pad_batch(sequences, pad_id, side="right", max_length=None):
    if max_length is not None:
        sequences = [list(seq)[:max_length] for seq in sequences]
    length = max_length if max_length is not None else max(len(seq) for seq in sequences)
    rows = []
    for seq in sequences:
        padding = [pad_id] * (length - len(seq))
        rows.append(list(seq) + padding if side == "right" else padding + list(seq))
    input_ids = torch.tensor(rows, dtype=torch.long)
    return input_ids, (input_ids != pad_id).long()
''',
        "ex10_3": 'answer_10_3 = "c"\n',
    },
    {
        # Pads the caller's lists in place (extend / insert).
        "ex10_2": '''
def pad_batch(sequences, pad_id, side="right", max_length=None):
    if max_length is not None:
        sequences = [seq[:max_length] for seq in sequences]
    length = max_length if max_length is not None else max(len(seq) for seq in sequences)
    masks = []
    for seq in sequences:
        n_pad = length - len(seq)
        if side == "right":
            masks.append([1] * len(seq) + [0] * n_pad)
            seq.extend([pad_id] * n_pad)
        else:
            masks.append([0] * n_pad + [1] * len(seq))
            seq[:0] = [pad_id] * n_pad
    return torch.tensor(sequences, dtype=torch.long), torch.tensor(masks, dtype=torch.long)
''',
        "ex10_3": 'answer_10_3 = "b"\n',
    },
]

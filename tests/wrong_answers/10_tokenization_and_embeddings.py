"""Typical wrong answers for lesson 10, graded together in one extra submission."""

WRONG = {
    # Two classic mistakes: pair counts not weighted by word frequency (every word counts once; test_a), and
    # the merge done by string replacement on the space-joined symbols (Sennrich et al.'s snippet without its
    # symbol-boundary regex), which also merges across symbols: ('ab', 'c') becomes ('abc',) (test_b).
    "ex10_1": '''
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
    "ex10_2": '''
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
    "ex10_3": '''
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
    "ex10_4": '''
answer_10_3 = "d"
''',
    # F.one_hot without num_classes (width = ids.max() + 1) and a hard-coded float32 cast.
    "ex10_5": '''
def one_hot_embed(ids, weight):
    return F.one_hot(ids).float() @ weight
''',
}

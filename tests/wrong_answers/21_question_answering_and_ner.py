"""Typical wrong answers for lesson 21 (question answering and named entities), graded together."""

WRONG = {
    # The best start and the best end taken separately (only inside the context): an end before the start.
    "ex21_1": '''
def best_span(start_logits, end_logits, max_len, allowed):
    if not bool(allowed.any()):
        raise ValueError("no allowed token")
    start = int(start_logits.masked_fill(~allowed, float("-inf")).argmax())
    end = int(end_logits.masked_fill(~allowed, float("-inf")).argmax())
    return start, end
''',
    # The word's label copied onto every piece (the "label all tokens" habit), specials -100.
    "ex21_2": '''
def align_labels(word_ids, labels):
    return [-100 if word_id is None else int(labels[word_id]) for word_id in word_ids]
''',
    # Token-level F1 over the non-O tags instead of entities.
    "ex21_3": '''
def entity_f1(true_tags, pred_tags):
    pairs = [(t, p) for ts, ps in zip(true_tags, pred_tags) for t, p in zip(ts, ps)]
    correct = sum(t == p != "O" for t, p in pairs)
    predicted, gold = sum(p != "O" for _, p in pairs), sum(t != "O" for t, _ in pairs)
    return 0.0 if correct == 0 else 2 * correct / (predicted + gold)
''',
    "ex21_4": 'answer_21_4 = "a"\n',
    "ex21_5": 'answer_21_5 = "d"\n',
}

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 21_question_answering_and_ner --variants`.
VARIANTS = [
    {
        # end < start allowed: the square table without the triangle mask (only the length cap from above).
        "ex21_1": '''
def best_span(start_logits, end_logits, max_len, allowed):
    if not bool(allowed.any()):
        raise ValueError("no allowed token")
    n = start_logits.shape[0]
    scores = start_logits[:, None] + end_logits[None, :]
    positions = torch.arange(n)
    length = positions[None, :] - positions[:, None] + 1
    valid = (length <= max_len) & allowed[:, None] & allowed[None, :]
    flat = int(scores.masked_fill(~valid, float("-inf")).reshape(-1).argmax())
    return flat // n, flat % n
''',
        # Special tokens labelled O (0) instead of -100.
        "ex21_2": '''
def align_labels(word_ids, labels):
    aligned, previous = [], None
    for word_id in word_ids:
        if word_id is None:
            aligned.append(0)
        elif word_id == previous:
            aligned.append(-100)
        else:
            aligned.append(int(labels[word_id]))
        previous = word_id
    return aligned
''',
        # Ignores the type: a span counts whatever its label.
        "ex21_3": '''
def entity_f1(true_tags, pred_tags):
    def spans(sentences):
        found = set()
        for number, tags in enumerate(sentences):
            start, kind = None, None
            for index, tag in enumerate(list(tags) + ["O"]):
                prefix, tag_kind = (tag[0], tag[2:]) if tag != "O" else ("O", None)
                if start is not None and (prefix != "I" or tag_kind != kind):
                    found.add((number, start, index - 1))
                    start = None
                if prefix == "B" or (prefix == "I" and start is None):
                    start, kind = index, tag_kind
        return found
    gold, predicted = spans(true_tags), spans(pred_tags)
    correct = len(gold & predicted)
    if correct == 0:
        return 0.0
    p, r = correct / len(predicted), correct / len(gold)
    return 2 * p * r / (p + r)
''',
        "ex21_4": 'answer_21_4 = "b"\n',
        "ex21_5": 'answer_21_5 = "b"\n',
    },
    {
        # Question tokens allowed: only padding (the tail) is masked, from the first allowed token onwards.
        "ex21_1": '''
def best_span(start_logits, end_logits, max_len, allowed):
    if not bool(allowed.any()):
        raise ValueError("no allowed token")
    n = start_logits.shape[0]
    last = int(torch.nonzero(allowed)[-1])
    best, best_score = None, float("-inf")
    for start in range(0, last + 1):
        for end in range(start, min(start + max_len, last + 1)):
            score = float(start_logits[start] + end_logits[end])
            if score > best_score:
                best, best_score = (start, end), score
    return best
''',
        # B- label copied on continuation pieces of B- words only, I- pieces -100 (still labels pieces).
        "ex21_2": '''
def align_labels(word_ids, labels):
    aligned, previous = [], None
    for word_id in word_ids:
        if word_id is None:
            aligned.append(-100)
        elif word_id == previous:
            aligned.append(int(labels[word_id]) if labels[word_id] % 2 == 1 else -100)
        else:
            aligned.append(int(labels[word_id]))
        previous = word_id
    return aligned
''',
        # Strict reading: an I- without B- is not an entity (seqeval mode="strict"), unlike the default.
        "ex21_3": '''
def entity_f1(true_tags, pred_tags):
    def spans(sentences):
        found = set()
        for number, tags in enumerate(sentences):
            start, kind = None, None
            for index, tag in enumerate(list(tags) + ["O"]):
                prefix, tag_kind = (tag[0], tag[2:]) if tag != "O" else ("O", None)
                if start is not None and (prefix != "I" or tag_kind != kind):
                    found.add((number, start, index - 1, kind))
                    start = None
                if prefix == "B":
                    start, kind = index, tag_kind
        return found
    gold, predicted = spans(true_tags), spans(pred_tags)
    correct = len(gold & predicted)
    if correct == 0:
        return 0.0
    p, r = correct / len(predicted), correct / len(gold)
    return 2 * p * r / (p + r)
''',
        "ex21_4": 'answer_21_4 = "d"\n',
        "ex21_5": 'answer_21_5 = "c"\n',
    },
    {
        # Off by one on max_len: end - start <= max_len (spans of max_len + 1 tokens).
        "ex21_1": '''
def best_span(start_logits, end_logits, max_len, allowed):
    if not bool(allowed.any()):
        raise ValueError("no allowed token")
    n = start_logits.shape[0]
    scores = start_logits[:, None] + end_logits[None, :]
    positions = torch.arange(n)
    gap = positions[None, :] - positions[:, None]
    valid = (gap >= 0) & (gap <= max_len) & allowed[:, None] & allowed[None, :]
    flat = int(scores.masked_fill(~valid, float("-inf")).reshape(-1).argmax())
    return flat // n, flat % n
''',
        # "First piece" by a set of seen word ids: breaks when word ids restart (second sequence of a pair).
        "ex21_2": '''
def align_labels(word_ids, labels):
    aligned, seen = [], set()
    for word_id in word_ids:
        if word_id is None or word_id in seen:
            aligned.append(-100)
        else:
            seen.add(word_id)
            aligned.append(int(labels[word_id]))
    return aligned
''',
        # Flattens the corpus without a separator: an entity can run across two sentences.
        "ex21_3": '''
def entity_f1(true_tags, pred_tags):
    def spans(sentences):
        tags = [tag for sentence in sentences for tag in sentence] + ["O"]
        found, start, kind = set(), None, None
        for index, tag in enumerate(tags):
            prefix, tag_kind = (tag[0], tag[2:]) if tag != "O" else ("O", None)
            if start is not None and (prefix != "I" or tag_kind != kind):
                found.add((start, index - 1, kind))
                start = None
            if prefix == "B" or (prefix == "I" and start is None):
                start, kind = index, tag_kind
        return found
    gold, predicted = spans(true_tags), spans(pred_tags)
    correct = len(gold & predicted)
    if correct == 0:
        return 0.0
    p, r = correct / len(predicted), correct / len(gold)
    return 2 * p * r / (p + r)
''',
    },
    {
        # Returns tensors, not ints (and masks nothing for an empty context: no ValueError).
        "ex21_1": '''
def best_span(start_logits, end_logits, max_len, allowed):
    n = start_logits.shape[0]
    scores = start_logits[:, None] + end_logits[None, :]
    positions = torch.arange(n)
    length = positions[None, :] - positions[:, None] + 1
    valid = (length >= 1) & (length <= max_len) & allowed[:, None] & allowed[None, :]
    flat = scores.masked_fill(~valid, float("-inf")).reshape(-1).argmax()
    return flat // n, flat % n
''',
        # Off by one: labels[word_id - 1].
        "ex21_2": '''
def align_labels(word_ids, labels):
    aligned, previous = [], None
    for word_id in word_ids:
        aligned.append(-100 if word_id is None or word_id == previous else int(labels[word_id - 1]))
        previous = word_id
    return aligned
''',
        # Macro average over types instead of the micro average over all entities.
        "ex21_3": '''
def entity_f1(true_tags, pred_tags):
    def spans(sentences):
        found = set()
        for number, tags in enumerate(sentences):
            start, kind = None, None
            for index, tag in enumerate(list(tags) + ["O"]):
                prefix, tag_kind = (tag[0], tag[2:]) if tag != "O" else ("O", None)
                if start is not None and (prefix != "I" or tag_kind != kind):
                    found.add((number, start, index - 1, kind))
                    start = None
                if prefix == "B" or (prefix == "I" and start is None):
                    start, kind = index, tag_kind
        return found
    gold, predicted = spans(true_tags), spans(pred_tags)
    scores = []
    for kind in {k for *_, k in gold | predicted}:
        g = {s for s in gold if s[3] == kind}
        p = {s for s in predicted if s[3] == kind}
        c = len(g & p)
        scores.append(0.0 if c == 0 else 2 * c / (len(g) + len(p)))
    return sum(scores) / len(scores) if scores else 0.0
''',
    },
    {
        # Greedy: the best allowed start first, then the best end after it (not the best pair).
        "ex21_1": '''
def best_span(start_logits, end_logits, max_len, allowed):
    if not bool(allowed.any()):
        raise ValueError("no allowed token")
    n = start_logits.shape[0]
    start = int(start_logits.masked_fill(~allowed, float("-inf")).argmax())
    ends = [e for e in range(start, min(start + max_len, n)) if bool(allowed[e])]
    end = max(ends, key=lambda e: float(end_logits[e]))
    return start, end
''',
        # `previous` not updated on special tokens (a `continue` skips it): after [SEP], word 0 of the second
        # sequence is taken for a continuation when the first sequence ended on word 0.
        "ex21_2": '''
def align_labels(word_ids, labels):
    aligned, previous = [], None
    for word_id in word_ids:
        if word_id is None:
            aligned.append(-100)
            continue
        aligned.append(-100 if word_id == previous else int(labels[word_id]))
        previous = word_id
    return aligned
''',
    },
]

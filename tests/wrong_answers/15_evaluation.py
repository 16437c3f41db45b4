"""Typical wrong answers for lesson 15 (evaluation), graded together in one extra submission."""

WRONG = {
    # The mean of per-sentence perplexities instead of exp(mean loss over every token of the corpus).
    "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if loss.dim() == 0:
        return math.exp(loss.item())
    if mask is None:
        mask = torch.ones_like(loss, dtype=torch.bool)
    losses = loss.reshape(-1, loss.shape[-1])
    counted = mask.reshape(-1, mask.shape[-1])
    per_sentence = (losses * counted).sum(dim=-1) / counted.sum(dim=-1)
    return per_sentence.exp().mean().item()
''',
    # Sentence-level BLEU (clipped, no smoothing) averaged over the corpus instead of corpus BLEU.
    "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    scores = []
    for candidate, reference in zip(candidates, references):
        log_precision = 0.0
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches = sum(min(count, ref[gram]) for gram, count in cand.items())
            if matches == 0:
                log_precision = None
                break
            log_precision += math.log(matches / sum(cand.values())) / max_order
        if log_precision is None:
            scores.append(0.0)
            continue
        c, r = len(candidate), len(reference)
        bp = 1.0 if c > r else math.exp(1 - r / c)
        scores.append(100.0 * bp * math.exp(log_precision))
    return sum(scores) / len(scores)
''',
    # Removes identical records, then splits the RECORDS: a prompt with two records (different ids or
    # responses) still lands in two splits.
    "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    unique = []
    for record in records:
        if record not in unique:
            unique.append(record)
    random.Random(seed).shuffle(unique)
    n_valid, n_test = round(valid_fraction * len(unique)), round(test_fraction * len(unique))
    return unique[n_valid + n_test:], unique[:n_valid], unique[n_valid:n_valid + n_test]
''',
    # Tempting: "a model never does better on new data", so the validation loss must be buggy.
    "ex15_4": 'answer_15_4 = "c"\n',
}

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 15_evaluation --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Log base 2: 2 ** loss although F.cross_entropy is in nats.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss, dtype=torch.float64)
    counted = loss if mask is None else loss[mask]
    if counted.numel() == 0:
        raise ValueError("empty")
    return 2 ** counted.mean().item()
''',
        # Unclipped counts: every candidate n-gram found in the reference counts, however often it repeats.
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(count for gram, count in cand.items() if gram in ref)
            totals[n - 1] += sum(cand.values())
    if min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
        # Non-deterministic: the global generator, never seeded.
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    first = {}
    for record in records:
        first.setdefault(key(record), record)
    keys = list(first)
    random.shuffle(keys)
    n_valid, n_test = round(valid_fraction * len(keys)), round(test_fraction * len(keys))
    return ([first[k] for k in keys[n_valid + n_test:]], [first[k] for k in keys[:n_valid]],
            [first[k] for k in keys[n_valid:n_valid + n_test]])
''',
        "ex15_4": 'answer_15_4 = "a"\n',
    },
    {
        # Padding counted: the mask is ignored.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if loss.numel() == 0:
        raise ValueError("empty")
    return math.exp(loss.mean().item())
''',
        # Brevity penalty per sentence (then the corpus precisions): lengths not summed first.
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, penalties = [0] * max_order, [0] * max_order, []
    for candidate, reference in zip(candidates, references):
        c, r = len(candidate), len(reference)
        penalties.append(1.0 if c > r else (math.exp(1 - r / c) if c else 0.0))
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    if min(matches) == 0:
        return 0.0
    bp = sum(penalties) / len(penalties)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
        # Depends on hash order: list(set(keys)) before a seeded shuffle.
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    keys = list({key(record) for record in records})
    random.Random(seed).shuffle(keys)
    first = {}
    for record in records:
        first.setdefault(key(record), record)
    n_valid, n_test = round(valid_fraction * len(keys)), round(test_fraction * len(keys))
    return ([first[k] for k in keys[n_valid + n_test:]], [first[k] for k in keys[:n_valid]],
            [first[k] for k in keys[n_valid:n_valid + n_test]])
''',
        "ex15_4": 'answer_15_4 = "b"\n',
    },
    {
        # Modifies the caller's losses in place (masked_fill_) to zero the padding.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss)
    if mask is None:
        return math.exp(loss.double().mean().item())
    if not mask.any():
        raise ValueError("empty")
    loss.masked_fill_(~mask, 0.0)
    return math.exp((loss.sum() / mask.sum()).item())
''',
        # Wrong ratio in the brevity penalty: exp(1 - c/r) instead of exp(1 - r/c).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    if min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1 - c / r)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
        # Shuffles the caller's list in place (and splits the records, not the keys, after a dedup by key).
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    random.Random(seed).shuffle(records)
    seen, unique = set(), []
    for record in records:
        if key(record) not in seen:
            seen.add(key(record))
            unique.append(record)
    n_valid, n_test = round(valid_fraction * len(unique)), round(test_fraction * len(unique))
    return unique[n_valid + n_test:], unique[:n_valid], unique[n_valid:n_valid + n_test]
''',
    },
    {
        # Mean of per-sentence mean losses, then exp: a 1-token sentence weighs as much as a long one.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if loss.dim() == 0:
        return math.exp(loss.item())
    if mask is None:
        mask = torch.ones_like(loss, dtype=torch.bool)
    if not mask.any():
        raise ValueError("empty")
    losses = loss.reshape(-1, loss.shape[-1])
    counted = mask.reshape(-1, mask.shape[-1])
    per_sentence = (losses * counted).sum(dim=-1) / counted.sum(dim=-1).clamp(min=1)
    return math.exp(per_sentence[counted.any(dim=-1)].mean().item())
''',
        # Off by one in the orders: range(1, max_order) stops at n = max_order - 1.
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [], [], 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
    for n in range(1, max_order):
        m = t = 0
        for candidate, reference in zip(candidates, references):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            m += sum(min(count, ref[gram]) for gram, count in cand.items())
            t += sum(cand.values())
        matches.append(m)
        totals.append(t)
    if not matches or min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / len(matches))
''',
        # Seeds the global generator: deterministic, but it resets the caller's random state.
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    first = {}
    for record in records:
        first.setdefault(key(record), record)
    keys = list(first)
    random.seed(seed)
    random.shuffle(keys)
    n_valid, n_test = round(valid_fraction * len(keys)), round(test_fraction * len(keys))
    return ([first[k] for k in keys[n_valid + n_test:]], [first[k] for k in keys[:n_valid]],
            [first[k] for k in keys[n_valid:n_valid + n_test]])
''',
    },
    {
        # Returns nan when nothing counts instead of raising.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss, dtype=torch.float64)
    counted = loss if mask is None else loss[mask]
    return math.exp(counted.mean().item())
''',
        # Consumes the caller's lists with pop() (the score itself is right).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    while candidates:
        candidate, reference = candidates.pop(), references.pop()
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    if min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
        # Keeps the LAST record of each key, and truncates the sizes with int() instead of round().
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    last = {}
    for record in records:
        last[key(record)] = record
    keys = list(last)
    random.Random(seed).shuffle(keys)
    n_valid, n_test = int(valid_fraction * len(keys)), int(test_fraction * len(keys))
    return ([last[k] for k in keys[n_valid + n_test:]], [last[k] for k in keys[:n_valid]],
            [last[k] for k in keys[n_valid:n_valid + n_test]])
''',
    },
    {
        # Applies the brevity "penalty" also when the candidates are longer (a bonus above 1).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    if min(matches) == 0:
        return 0.0
    bp = math.exp(1 - r / c)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
        # Sorted keys, no shuffle: deterministic but the seed does nothing (the test set is always the same).
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    first = {}
    for record in records:
        first.setdefault(key(record), record)
    keys = sorted(first)
    n_valid, n_test = round(valid_fraction * len(keys)), round(test_fraction * len(keys))
    return ([first[k] for k in keys[n_valid + n_test:]], [first[k] for k in keys[:n_valid]],
            [first[k] for k in keys[n_valid:n_valid + n_test]])
''',
    },
    {
        # zip without a length check, and math.log(0) on a zero precision (crashes instead of 0.0).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
    },
    {
        # Returns a 0-dim tensor instead of a Python float.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss, dtype=torch.float64)
    counted = loss if mask is None else loss[mask]
    if counted.numel() == 0:
        raise ValueError("empty")
    return counted.mean().exp()
''',
        # Lower-cases the tokens before counting ("Le" and "le" then match).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        candidate, reference = [t.lower() for t in candidate], [t.lower() for t in reference]
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    if min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return 100.0 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order)
''',
        # Keeps the LAST record of each key (sizes right, rounding right).
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    last = {}
    for record in records:
        last[key(record)] = record
    keys = list(last)
    random.Random(seed).shuffle(keys)
    n_valid, n_test = round(valid_fraction * len(keys)), round(test_fraction * len(keys))
    return ([last[k] for k in keys[n_valid + n_test:]], [last[k] for k in keys[:n_valid]],
            [last[k] for k in keys[n_valid:n_valid + n_test]])
''',
    },
    {
        # Casts to float32 (.float()): a float64 loss loses precision.
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.as_tensor(loss).float()
    counted = loss if mask is None else loss[mask]
    if counted.numel() == 0:
        raise ValueError("empty")
    return torch.exp(counted.mean()).item()
''',
        # Counts the n-grams, then lets sacrebleu's compute_bleu do the rest (a forbidden shortcut).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    return sacrebleu.metrics.bleu.BLEU.compute_bleu(matches, totals, c, r, smooth_method="none",
                                                    max_ngram_order=max_order).score
''',
        # Rounds the TRAIN size and gives the rest to test: the test split has the wrong size.
        "ex15_3": '''
def dedup_split(records, key, valid_fraction=0.1, test_fraction=0.1, seed=0):
    first = {}
    for record in records:
        first.setdefault(key(record), record)
    keys = list(first)
    random.Random(seed).shuffle(keys)
    k = len(keys)
    n_train, n_valid = round((1 - valid_fraction - test_fraction) * k), round(valid_fraction * k)
    return ([first[x] for x in keys[:n_train]], [first[x] for x in keys[n_train:n_train + n_valid]],
            [first[x] for x in keys[n_train + n_valid:]])
''',
    },
    {
        # torch.tensor(a_tensor) instead of torch.as_tensor: a UserWarning on stderr (nbgrader gives 0).
        "ex15_1": '''
def perplexity(loss, mask=None):
    loss = torch.tensor(loss, dtype=torch.float64)
    counted = loss if mask is None else loss[mask]
    if counted.numel() == 0:
        raise ValueError("empty")
    return math.exp(counted.mean().item())
''',
        # An epsilon in the log instead of returning 0.0 on a zero precision (a tiny positive score).
        "ex15_2": '''
def bleu(candidates, references, max_order=4):
    if len(candidates) != len(references):
        raise ValueError("lengths differ")
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for candidate, reference in zip(candidates, references):
        c, r = c + len(candidate), r + len(reference)
        for n in range(1, max_order + 1):
            cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
            ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
            matches[n - 1] += sum(min(count, ref[gram]) for gram, count in cand.items())
            totals[n - 1] += sum(cand.values())
    bp = 1.0 if c > r else math.exp(1 - r / max(c, 1))
    return 100.0 * bp * math.exp(sum(math.log(max(m / t if t else 0.0, 1e-300)) for m, t in zip(matches, totals))
                                 / max_order)
''',
    },
]

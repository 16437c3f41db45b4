"""Typical wrong answers for lesson 18 (translation and summarisation), graded together in one extra submission."""

WRONG = {
    # The textbook beam that shrinks: the running beams are only the non-eos candidates among the beam_size best,
    # so every finished hypothesis removes a beam (generate keeps beam_size running beams).
    "ex18_1": '''
def beam_search(score_fn, start, vocab, beam_size, max_len, eos):
    running, finished = [((), 0.0)], []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            for token, log_prob in zip(vocab, score_fn((start, *tokens))):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda c: c[1], reverse=True)
        running = []
        for tokens, score in candidates[:beam_size]:
            if tokens[-1] == eos or step == max_len:
                finished.append((tokens, score))
            else:
                running.append((tokens, score))
        if not running:
            break
    finished.sort(key=lambda h: h[1], reverse=True)
    return finished[:beam_size]
''',
    # ROUGE-L with the longest common SUBSTRING (contiguous) instead of the longest common subsequence.
    "ex18_2": '''
def rouge_1_and_l(reference, candidate):
    def f1(overlap):
        if overlap == 0:
            return 0.0
        p, r = overlap / len(candidate), overlap / len(reference)
        return 2 * p * r / (p + r)
    ref_counts = Counter(reference)
    overlap = sum(min(c, ref_counts[t]) for t, c in Counter(candidate).items())
    longest = 0
    previous = [0] * (len(candidate) + 1)
    for a in reference:
        current = [0]
        for j, b in enumerate(candidate, start=1):
            current.append(previous[j - 1] + 1 if a == b else 0)
        longest = max(longest, max(current))
        previous = current
    return f1(overlap), f1(longest)
''',
    # Tempting: "early_stopping=False" sounds like it switches something off.
    "ex18_3": 'answer_18_3 = "a"\n',
    # Tempting: a length penalty of 0 sounds neutral, so "make it negative".
    "ex18_4": 'answer_18_4 = "b"\n',
}

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 18_translation_and_summarisation --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Every candidate ending with eos becomes a hypothesis, even outside the beam_size best of its step
        # (caught only since the rule test makes such a candidate beat the later hypotheses).
        "ex18_1": '''
def beam_search(score_fn, start, vocab, beam_size, max_len, eos):
    running, finished = [((), 0.0)], []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            for token, log_prob in zip(vocab, score_fn((start, *tokens))):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda c: c[1], reverse=True)
        finished += [c for c in candidates if c[0][-1] == eos]
        if step == max_len:
            finished += [c for c in candidates[:beam_size] if c[0][-1] != eos]
        running = [c for c in candidates if c[0][-1] != eos][:beam_size]
    finished.sort(key=lambda h: h[1], reverse=True)
    return finished[:beam_size]
''',
        # Recall instead of F1.
        "ex18_2": '''
def rouge_1_and_l(reference, candidate):
    if not reference or not candidate:
        return 0.0, 0.0
    ref_counts = Counter(reference)
    overlap = sum(min(c, ref_counts[t]) for t, c in Counter(candidate).items())
    table = [[0] * (len(candidate) + 1) for _ in range(len(reference) + 1)]
    for i, a in enumerate(reference, start=1):
        for j, b in enumerate(candidate, start=1):
            table[i][j] = table[i - 1][j - 1] + 1 if a == b else max(table[i - 1][j], table[i][j - 1])
    return overlap / len(reference), table[-1][-1] / len(reference)
''',
        "ex18_3": 'answer_18_3 = "c"\n',
        "ex18_4": 'answer_18_4 = "a"\n',
    },
    {
        # Ranks by the mean log-probability per token (length_penalty=1) instead of the sum.
        "ex18_1": '''
def beam_search(score_fn, start, vocab, beam_size, max_len, eos):
    running, finished = [((), 0.0)], []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            for token, log_prob in zip(vocab, score_fn((start, *tokens))):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda c: c[1] / len(c[0]), reverse=True)
        for tokens, score in candidates[:beam_size]:
            if tokens[-1] == eos or step == max_len:
                finished.append((tokens, score))
        running = [c for c in candidates if c[0][-1] != eos][:beam_size]
    finished.sort(key=lambda h: h[1] / len(h[0]), reverse=True)
    return finished[:beam_size]
''',
        # Unclipped unigram counts: every candidate token found in the reference counts, however often.
        "ex18_2": '''
def rouge_1_and_l(reference, candidate):
    def f1(overlap):
        if overlap == 0:
            return 0.0
        p, r = overlap / len(candidate), overlap / len(reference)
        return 2 * p * r / (p + r)
    overlap = sum(1 for token in candidate if token in reference)
    table = [[0] * (len(candidate) + 1) for _ in range(len(reference) + 1)]
    for i, a in enumerate(reference, start=1):
        for j, b in enumerate(candidate, start=1):
            table[i][j] = table[i - 1][j - 1] + 1 if a == b else max(table[i - 1][j], table[i][j - 1])
    return f1(overlap), f1(table[-1][-1])
''',
        "ex18_3": 'answer_18_3 = "d"\n',
        "ex18_4": 'answer_18_4 = "d"\n',
    },
    {
        # Only sequences that end with eos are hypotheses: a beam cut by max_len is lost.
        "ex18_1": '''
def beam_search(score_fn, start, vocab, beam_size, max_len, eos):
    running, finished = [((), 0.0)], []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            for token, log_prob in zip(vocab, score_fn((start, *tokens))):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda c: c[1], reverse=True)
        finished += [c for c in candidates[:beam_size] if c[0][-1] == eos]
        running = [c for c in candidates if c[0][-1] != eos][:beam_size]
    finished.sort(key=lambda h: h[1], reverse=True)
    return finished[:beam_size]
''',
        # LCS by a greedy two-pointer walk (matches the first equal tokens), not dynamic programming.
        "ex18_2": '''
def rouge_1_and_l(reference, candidate):
    def f1(overlap):
        if overlap == 0:
            return 0.0
        p, r = overlap / len(candidate), overlap / len(reference)
        return 2 * p * r / (p + r)
    ref_counts = Counter(reference)
    overlap = sum(min(c, ref_counts[t]) for t, c in Counter(candidate).items())
    lcs, j = 0, 0
    for a in reference:
        for k in range(j, len(candidate)):
            if candidate[k] == a:
                lcs, j = lcs + 1, k + 1
                break
    return f1(overlap), f1(lcs)
''',
        "ex18_3": 'answer_18_3 = "a"\n',
        "ex18_4": 'answer_18_4 = "a"\n',
    },
    {
        # Returns the tokens with the start token in front.
        "ex18_1": '''
def beam_search(score_fn, start, vocab, beam_size, max_len, eos):
    running, finished = [((start,), 0.0)], []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            for token, log_prob in zip(vocab, score_fn(tokens)):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda c: c[1], reverse=True)
        for tokens, score in candidates[:beam_size]:
            if tokens[-1] == eos or step == max_len:
                finished.append((tokens, score))
        running = [c for c in candidates if c[0][-1] != eos][:beam_size]
    finished.sort(key=lambda h: h[1], reverse=True)
    return finished[:beam_size]
''',
        # Modifies the caller's lists (sorts them to count overlaps), which also breaks the LCS.
        "ex18_2": '''
def rouge_1_and_l(reference, candidate):
    def f1(overlap):
        if overlap == 0:
            return 0.0
        p, r = overlap / len(candidate), overlap / len(reference)
        return 2 * p * r / (p + r)
    ref_counts = Counter(reference)
    overlap = sum(min(c, ref_counts[t]) for t, c in Counter(candidate).items())
    reference.sort()
    candidate.sort()
    table = [[0] * (len(candidate) + 1) for _ in range(len(reference) + 1)]
    for i, a in enumerate(reference, start=1):
        for j, b in enumerate(candidate, start=1):
            table[i][j] = table[i - 1][j - 1] + 1 if a == b else max(table[i - 1][j], table[i][j - 1])
    return f1(overlap), f1(table[-1][-1])
''',
        "ex18_3": 'answer_18_3 = "d"\n',
        "ex18_4": 'answer_18_4 = "d"\n',
    },
    {
        # Stops as soon as beam_size hypotheses are finished (generate's early_stopping=True), although a running
        # beam may still beat the worst of them.
        "ex18_1": '''
def beam_search(score_fn, start, vocab, beam_size, max_len, eos):
    running, finished = [((), 0.0)], []
    for step in range(1, max_len + 1):
        candidates = []
        for tokens, score in running:
            for token, log_prob in zip(vocab, score_fn((start, *tokens))):
                candidates.append(((*tokens, token), score + float(log_prob)))
        candidates.sort(key=lambda c: c[1], reverse=True)
        for tokens, score in candidates[:beam_size]:
            if tokens[-1] == eos or step == max_len:
                finished.append((tokens, score))
        if len(finished) >= beam_size:
            break
        running = [c for c in candidates if c[0][-1] != eos][:beam_size]
    finished.sort(key=lambda h: h[1], reverse=True)
    return finished[:beam_size]
''',
    },
]

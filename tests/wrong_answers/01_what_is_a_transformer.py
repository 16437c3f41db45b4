"""Typical wrong answers for lesson 01, graded together in one extra submission."""

WRONG = {
    # The raw dot product: forgets to divide by the norms, so the result grows with the vectors' lengths.
    "ex01_1": '''
def cosine_similarity(a, b, eps=1e-8):
    return (a * b).sum(dim=-1)
''',
    # Normalises each feature column across the batch (dim=0) instead of each row (dim=-1).
    "ex01_2": '''
def similarity_matrix(embeddings, eps=1e-8):
    unit = embeddings / embeddings.norm(dim=0, keepdim=True).clamp_min(eps)
    return unit @ unit.T
''',
    # MiniLM taken for a generator, bidirectional attention thought to help next-token training, T5/BART
    # taken for encoder-only models.
    "ex01_3": '''
answer_01_3a = "a"
answer_01_3b = "a"
answer_01_3c = "b"
''',
}

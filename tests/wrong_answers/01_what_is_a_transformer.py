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
    # MiniLM taken for a generator (decoder-only), bidirectional attention thought to help next-token
    # training, T5/BART taken for encoder-only models.
    "ex01_3": '''
answer_01_3a = "b"
answer_01_3b = "a"
answer_01_3c = "b"
''',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 01_what_is_a_transformer --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Normalises the caller's vectors in place; the result is right, so the visible check passes.
        "ex01_1": '''
def cosine_similarity(a, b, eps=1e-8):
    a /= a.norm(dim=-1, keepdim=True).clamp_min(eps)
    b /= b.norm(dim=-1, keepdim=True).clamp_min(eps)
    return (a * b).sum(dim=-1)
''',
        # Normalises the caller's embeddings in place.
        "ex01_2": '''
def similarity_matrix(embeddings, eps=1e-8):
    embeddings /= embeddings.norm(dim=-1, keepdim=True).clamp_min(eps)
    return embeddings @ embeddings.T
''',
        "ex01_3": 'answer_01_3a = "c"\nanswer_01_3b = "b"\nanswer_01_3c = "a"\n',
    },
    {
        # The library, renamed on import so that a search for "F.cosine_similarity" finds nothing.
        "ex01_1": '''
from torch.nn.functional import cosine_similarity as _library_cosine_similarity


def cosine_similarity(a, b, eps=1e-8):
    return _library_cosine_similarity(a, b, dim=-1, eps=eps)
''',
        # One row at a time in a Python loop (the spec asks for no loop over the rows).
        "ex01_2": '''
def similarity_matrix(embeddings, eps=1e-8):
    unit = embeddings / embeddings.norm(dim=-1, keepdim=True).clamp_min(eps)
    return torch.stack([unit @ unit[i] for i in range(unit.shape[0])])
''',
        "ex01_3": 'answer_01_3a = "d"\nanswer_01_3b = "c"\nanswer_01_3c = "d"\n',
    },
]

"""Typical wrong answers for lesson 23 (challenges and limits), graded together in one extra submission."""

WRONG = {
    # Least squares on LINEAR axes: the slope of seconds against lengths, not of ln(seconds) against ln(L).
    "ex23_1": '''
def fit_exponent(lengths, seconds):
    x = np.asarray(torch.as_tensor(lengths, dtype=torch.float64))
    y = np.asarray(torch.as_tensor(seconds, dtype=torch.float64))
    if x.shape != y.shape or len(x) < 2 or (x <= 0).any() or (y <= 0).any() or (x == x[0]).all():
        raise ValueError("bad input")
    return float(np.polyfit(x, y, 1)[0])
''',
    # Dot products instead of cosines: the result depends on the lengths of the embeddings.
    "ex23_2": '''
def association_effect_size(X, Y, A, B):
    def association(W):
        return (W @ A.T).mean(dim=1) - (W @ B.T).mean(dim=1)

    s_x, s_y = association(X), association(Y)
    return ((s_x.mean() - s_y.mean()) / torch.cat([s_x, s_y]).std()).item()
''',
    # One-sided: counts T_i >= T only (about half the two-sided p when T > 0, near 1 when T < 0).
    "ex23_3": '''
def permutation_p_value(X, Y, A, B, n_permutations=5000, seed=0):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    scores = torch.cat([association(X), association(Y)])
    n_x = len(X)
    observed = scores[:n_x].mean() - scores[n_x:].mean()
    generator = torch.Generator().manual_seed(seed)
    orders = torch.stack([torch.randperm(len(scores), generator=generator) for _ in range(n_permutations)])
    shuffled = scores[orders]
    statistics = shuffled[:, :n_x].mean(dim=1) - shuffled[:, n_x:].mean(dim=1)
    return (1 + (statistics >= observed - 1e-12).sum().item()) / (1 + n_permutations)
''',
    # Tempting: "fused" sounds like "fewer operations".
    "ex23_4": 'answer_23_4 = "a"\n',
    # Tempting: an 8-gram looks too long to be shared by chance.
    "ex23_5": 'answer_23_5 = "a"\n',
}

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 23_challenges_and_limits --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Axes swapped: regresses ln(L) on ln(t) and inverts the slope (right only on exact power laws).
        "ex23_1": '''
def fit_exponent(lengths, seconds):
    x = np.asarray(torch.as_tensor(lengths, dtype=torch.float64))
    y = np.asarray(torch.as_tensor(seconds, dtype=torch.float64))
    if x.shape != y.shape or len(x) < 2 or (x <= 0).any() or (y <= 0).any() or (x == x[0]).all():
        raise ValueError("bad input")
    return float(1 / np.polyfit(np.log(y), np.log(x), 1)[0])
''',
        # No standardisation: the difference of the mean associations, not divided by the pooled std.
        "ex23_2": '''
def association_effect_size(X, Y, A, B):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    return (association(X).mean() - association(Y).mean()).item()
''',
        # No +1: the observed labelling is not counted, so p can be exactly 0.
        "ex23_3": '''
def permutation_p_value(X, Y, A, B, n_permutations=5000, seed=0):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    scores = torch.cat([association(X), association(Y)])
    n_x = len(X)
    observed = scores[:n_x].mean() - scores[n_x:].mean()
    generator = torch.Generator().manual_seed(seed)
    orders = torch.stack([torch.randperm(len(scores), generator=generator) for _ in range(n_permutations)])
    shuffled = scores[orders]
    statistics = shuffled[:, :n_x].mean(dim=1) - shuffled[:, n_x:].mean(dim=1)
    return (statistics.abs() >= observed.abs() - 1e-12).sum().item() / n_permutations
''',
        "ex23_4": 'answer_23_4 = "c"\n',
        "ex23_5": 'answer_23_5 = "b"\n',
    },
    {
        # Log of one axis only (semi-log fit): the slope of ln(t) against L.
        "ex23_1": '''
def fit_exponent(lengths, seconds):
    x = np.asarray(torch.as_tensor(lengths, dtype=torch.float64))
    y = np.asarray(torch.as_tensor(seconds, dtype=torch.float64))
    if x.shape != y.shape or len(x) < 2 or (x <= 0).any() or (y <= 0).any() or (x == x[0]).all():
        raise ValueError("bad input")
    return float(np.polyfit(x, np.log(y), 1)[0])
''',
        # Population std (divisor n) instead of the sample std stated in the exercise.
        "ex23_2": '''
def association_effect_size(X, Y, A, B):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    s_x, s_y = association(X), association(Y)
    return ((s_x.mean() - s_y.mean()) / torch.cat([s_x, s_y]).std(correction=0)).item()
''',
        # One-sided doubled: 2 * p_one_sided, which is not the two-sided p for skewed permutation distributions
        # and exceeds 1 when T < 0.
        "ex23_3": '''
def permutation_p_value(X, Y, A, B, n_permutations=5000, seed=0):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    scores = torch.cat([association(X), association(Y)])
    n_x = len(X)
    observed = scores[:n_x].mean() - scores[n_x:].mean()
    generator = torch.Generator().manual_seed(seed)
    orders = torch.stack([torch.randperm(len(scores), generator=generator) for _ in range(n_permutations)])
    shuffled = scores[orders]
    statistics = shuffled[:, :n_x].mean(dim=1) - shuffled[:, n_x:].mean(dim=1)
    return 2 * (1 + (statistics >= observed - 1e-12).sum().item()) / (1 + n_permutations)
''',
        "ex23_4": 'answer_23_4 = "d"\n',
        "ex23_5": 'answer_23_5 = "c"\n',
    },
    {
        # Slope through the two end points only: right on exact power laws, wrong on noisy measurements.
        "ex23_1": '''
def fit_exponent(lengths, seconds):
    x = np.asarray(torch.as_tensor(lengths, dtype=torch.float64))
    y = np.asarray(torch.as_tensor(seconds, dtype=torch.float64))
    if x.shape != y.shape or len(x) < 2 or (x <= 0).any() or (y <= 0).any() or (x == x[0]).all():
        raise ValueError("bad input")
    return float(np.log(y[-1] / y[0]) / np.log(x[-1] / x[0]))
''',
        # Divides by the mean of the two groups' standard deviations instead of the std of the pooled values.
        "ex23_2": '''
def association_effect_size(X, Y, A, B):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    s_x, s_y = association(X), association(Y)
    return ((s_x.mean() - s_y.mean()) / ((s_x.std() + s_y.std()) / 2)).item()
''',
        # Strict inequality: ties with the observed |T| are not counted (p = 1 / (1 + n) when every T_i ties).
        "ex23_3": '''
def permutation_p_value(X, Y, A, B, n_permutations=5000, seed=0):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    scores = torch.cat([association(X), association(Y)])
    n_x = len(X)
    observed = scores[:n_x].mean() - scores[n_x:].mean()
    generator = torch.Generator().manual_seed(seed)
    orders = torch.stack([torch.randperm(len(scores), generator=generator) for _ in range(n_permutations)])
    shuffled = scores[orders]
    statistics = shuffled[:, :n_x].mean(dim=1) - shuffled[:, n_x:].mean(dim=1)
    return (1 + (statistics.abs() > observed.abs()).sum().item()) / (1 + n_permutations)
''',
    },
    {
        # Mixed logarithm bases: log10 of the times, ln of the lengths (slope off by a factor ln 10).
        "ex23_1": '''
def fit_exponent(lengths, seconds):
    x = np.asarray(torch.as_tensor(lengths, dtype=torch.float64))
    y = np.asarray(torch.as_tensor(seconds, dtype=torch.float64))
    if x.shape != y.shape or len(x) < 2 or (x <= 0).any() or (y <= 0).any() or (x == x[0]).all():
        raise ValueError("bad input")
    return float(np.polyfit(np.log(x), np.log10(y), 1)[0])
''',
        # Cosine of the mean attribute vector instead of the mean of the cosines.
        "ex23_2": '''
def association_effect_size(X, Y, A, B):
    def association(W):
        return F.cosine_similarity(W, A.mean(dim=0, keepdim=True), dim=-1) - F.cosine_similarity(
            W, B.mean(dim=0, keepdim=True), dim=-1)

    s_x, s_y = association(X), association(Y)
    return ((s_x.mean() - s_y.mean()) / torch.cat([s_x, s_y]).std()).item()
''',
        # Reseeds PyTorch's GLOBAL generator instead of using its own torch.Generator: deterministic, but it
        # changes the random numbers of everything that runs after it.
        "ex23_3": '''
def permutation_p_value(X, Y, A, B, n_permutations=5000, seed=0):
    def association(W):
        unit = lambda M: M / M.norm(dim=-1, keepdim=True)
        return (unit(W) @ unit(A).T).mean(dim=1) - (unit(W) @ unit(B).T).mean(dim=1)

    scores = torch.cat([association(X), association(Y)])
    n_x = len(X)
    observed = scores[:n_x].mean() - scores[n_x:].mean()
    torch.manual_seed(seed)
    orders = torch.stack([torch.randperm(len(scores)) for _ in range(n_permutations)])
    shuffled = scores[orders]
    statistics = shuffled[:, :n_x].mean(dim=1) - shuffled[:, n_x:].mean(dim=1)
    return (1 + (statistics.abs() >= observed.abs() - 1e-12).sum().item()) / (1 + n_permutations)
''',
    },
]

"""Typical wrong answers for lesson 19 (text classification), graded together in one extra submission."""

WRONG = {
    # Mean over every position: the padding vectors count, so the sentence vector depends on the batch.
    "ex19_1": '''
class ClassificationHead(nn.Module):
    def __init__(self, hidden_size, num_labels, dropout=0.1, pooling="mean"):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(pooling)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states, attention_mask):
        pooled = hidden_states[..., 0, :] if self.pooling == "cls" else hidden_states.mean(dim=-2)
        return self.classifier(self.dropout(pooled))
''',
    # Micro-F1: pooled counts, which for single-label data is the accuracy.
    "ex19_2": '''
def precision_recall_f1(y_true, y_pred):
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("bad lengths")
    scores = {}
    for label in sorted(set(y_true) | set(y_pred)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred))
        scores[label] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
                         2 * tp / (2 * tp + fp + fn))
    return scores


def f1_macro(y_true, y_pred):
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("bad lengths")
    tp = sum(t == p for t, p in zip(y_true, y_pred))
    fp = fn = len(y_true) - tp
    return float(2 * tp / (2 * tp + fp + fn))
''',
    # One learning rate "that works for a new network", 1e-2, for the pretrained layers too.
    "ex19_3": '''
def fine_tuning_settings():
    return {"trainable_layers": 2, "epochs": 4, "encoder_lr": 1e-2, "head_lr": 1e-2}
''',
    # Tempting: softer probabilities "fix" over-confident mistakes.
    "ex19_4": 'answer_19_4 = "a"\n',
    # Tempting: 2.3 points looks like a clear gain.
    "ex19_5": 'answer_19_5 = "b"\n',
}

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 19_text_classification --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Returns probabilities: a softmax after the linear layer.
        "ex19_1": '''
class ClassificationHead(nn.Module):
    def __init__(self, hidden_size, num_labels, dropout=0.1, pooling="mean"):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(pooling)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states, attention_mask):
        if self.pooling == "cls":
            pooled = hidden_states[..., 0, :]
        else:
            weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)
            pooled = (hidden_states * weights).sum(-2) / weights.sum(-2).clamp(min=1.0)
        return self.classifier(self.dropout(pooled)).softmax(dim=-1)
''',
        # Weighted-F1: classes weighted by their support.
        "ex19_2": '''
def precision_recall_f1(y_true, y_pred):
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("bad lengths")
    scores = {}
    for label in sorted(set(y_true) | set(y_pred)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred))
        scores[label] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
                         2 * tp / (2 * tp + fp + fn))
    return scores


def f1_macro(y_true, y_pred):
    scores = precision_recall_f1(y_true, y_pred)
    support = Counter(np.asarray(y_true).tolist())
    return float(sum(support[label] * f1 for label, (_, _, f1) in scores.items()) / len(y_true))
''',
        # Over the time budget: more epochs "to be sure".
        "ex19_3": '''
def fine_tuning_settings():
    return {"trainable_layers": 3, "epochs": 6, "encoder_lr": 1e-4, "head_lr": 1e-3}
''',
        "ex19_4": 'answer_19_4 = "d"\n',
        "ex19_5": 'answer_19_5 = "c"\n',
    },
    {
        # Dropout after the linear layer (on the logits) instead of on the pooled vector.
        "ex19_1": '''
class ClassificationHead(nn.Module):
    def __init__(self, hidden_size, num_labels, dropout=0.1, pooling="mean"):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(pooling)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states, attention_mask):
        if self.pooling == "cls":
            pooled = hidden_states[..., 0, :]
        else:
            weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)
            pooled = (hidden_states * weights).sum(-2) / weights.sum(-2).clamp(min=1.0)
        return self.dropout(self.classifier(pooled))
''',
        # F1 as 2PR / (P + R) with P = 0/0 left as nan: a class never predicted poisons the mean.
        "ex19_2": '''
def precision_recall_f1(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError("bad lengths")
    scores = {}
    for label in sorted(set(y_true.tolist()) | set(y_pred.tolist())):
        tp = float(np.sum((y_true == label) & (y_pred == label)))
        predicted, actual = float(np.sum(y_pred == label)), float(np.sum(y_true == label))
        precision = tp / predicted if predicted else float("nan")
        recall = tp / actual if actual else float("nan")
        scores[label] = (precision, recall, 2 * precision * recall / (precision + recall) if tp else float("nan"))
    return scores


def f1_macro(y_true, y_pred):
    scores = precision_recall_f1(y_true, y_pred)
    return float(np.mean([f1 for _, _, f1 in scores.values()]))
''',
        # One learning rate for everything, under a key of its own: the settings are refused, nothing is trained.
        "ex19_3": '''
def fine_tuning_settings():
    return {"trainable_layers": 2, "epochs": 4, "lr": 1e-4}
''',
        "ex19_4": 'answer_19_4 = "b"\n',
        "ex19_5": 'answer_19_5 = "d"\n',
    },
    {
        # No guard against an empty row (nan), and the mask multiplied into the caller's tensor in place.
        "ex19_1": '''
class ClassificationHead(nn.Module):
    def __init__(self, hidden_size, num_labels, dropout=0.1, pooling="mean"):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(pooling)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states, attention_mask):
        if self.pooling == "cls":
            pooled = hidden_states[..., 0, :]
        else:
            weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)
            hidden_states *= weights
            pooled = hidden_states.sum(-2) / weights.sum(-2)
        return self.classifier(self.dropout(pooled))
''',
        # Skips the classes never predicted: averages only over the labels found in y_pred.
        "ex19_2": '''
def precision_recall_f1(y_true, y_pred):
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("bad lengths")
    scores = {}
    for label in sorted(set(y_pred)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred))
        scores[label] = (tp / (tp + fp), tp / (tp + fn) if tp + fn else 0.0, 2 * tp / (2 * tp + fp + fn))
    return scores


def f1_macro(y_true, y_pred):
    scores = precision_recall_f1(y_true, y_pred)
    return float(sum(f1 for _, _, f1 in scores.values()) / len(scores))
''',
    },
    {
        # pooling="cls" ignored (always the mean), and dropout applied with F.dropout, active in eval mode too.
        "ex19_1": '''
class ClassificationHead(nn.Module):
    def __init__(self, hidden_size, num_labels, dropout=0.1, pooling="mean"):
        super().__init__()
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states, attention_mask):
        weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)
        pooled = (hidden_states * weights).sum(-2) / weights.sum(-2).clamp(min=1.0)
        return self.classifier(F.dropout(pooled, self.dropout.p))
''',
        # Classes taken from y_true only: a label that only the model predicts is not scored.
        "ex19_2": '''
def precision_recall_f1(y_true, y_pred):
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("bad lengths")
    scores = {}
    for label in sorted(set(y_true)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred))
        scores[label] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn), 2 * tp / (2 * tp + fp + fn))
    return scores


def f1_macro(y_true, y_pred):
    scores = precision_recall_f1(y_true, y_pred)
    return float(sum(f1 for _, _, f1 in scores.values()) / len(scores))
''',
    },
    {
        # pooling="cls" written as hidden_states[:, 0]: right for (batch, seq_len, hidden), wrong with extra leading
        # axes (it takes the second axis's first entry, not the first token).
        "ex19_1": '''
class ClassificationHead(nn.Module):
    def __init__(self, hidden_size, num_labels, dropout=0.1, pooling="mean"):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(pooling)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states, attention_mask):
        if self.pooling == "cls":
            pooled = hidden_states[:, 0]
        else:
            weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)
            pooled = (hidden_states * weights).sum(-2) / weights.sum(-2).clamp(min=1.0)
        return self.classifier(self.dropout(pooled))
''',
        # The forbidden shortcut: the counts read from scikit-learn's confusion matrix.
        "ex19_2": '''
def precision_recall_f1(y_true, y_pred):
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("bad lengths")
    classes = sorted(set(y_true) | set(y_pred))
    matrix = confusion_matrix(y_true, y_pred, labels=classes)
    scores = {}
    for i, label in enumerate(classes):
        tp = int(matrix[i, i])
        fp, fn = int(matrix[:, i].sum()) - tp, int(matrix[i].sum()) - tp
        scores[label] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0,
                         2 * tp / (2 * tp + fp + fn))
    return scores


def f1_macro(y_true, y_pred):
    scores = precision_recall_f1(y_true, y_pred)
    return float(sum(f1 for _, _, f1 in scores.values()) / len(scores))
''',
    },
]

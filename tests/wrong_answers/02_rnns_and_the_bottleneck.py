"""Typical wrong answers for lesson 02, graded together in one extra submission."""

WRONG = {
    # The second bias is forgotten: nn.RNN adds both b_ih and b_hh.
    "ex02_1": '''
def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T)
''',
    # Loops over time correctly but stacks the states along dim 0: (seq_len, batch, hidden), the layout of
    # nn.RNN without batch_first.
    "ex02_2": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
        states.append(h)
    return torch.stack(states), h
''',
    # Differentiates h_T.sum() instead of every component of h_T: the norm of a vector-Jacobian product.
    "ex02_3": '''
def gradient_norms(rnn, x):
    x = x.detach().requires_grad_(True)
    outputs, _ = rnn(x[None])
    (grad,) = torch.autograd.grad(outputs[0, -1].sum(), x)
    return grad.norm(dim=1)
''',
    # Believes the decay comes only from tanh saturation.
    "ex02_4": 'answer_02_4 = "d"\n',
}

# More typical mistakes, one per exercise in each dict, graded on top of the reference solution with
# `python tests/grading.py 02_rnns_and_the_bottleneck --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # The library shortcut: an nn.RNNCell with the given weights copied in.
        "ex02_1": '''
def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    cell = nn.RNNCell(W_ih.shape[1], W_ih.shape[0]).to(x_t.dtype)
    with torch.no_grad():
        for mine, given in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (W_ih, W_hh, b_ih, b_hh)):
            mine.copy_(given)
    return cell(x_t, h_prev)
''',
        # Right Jacobian, but switches on requires_grad of the caller's tensor.
        "ex02_3": '''
def gradient_norms(rnn, x):
    x.requires_grad_(True)
    outputs, _ = rnn(x[None])
    h_T = outputs[0, -1]
    rows = [torch.autograd.grad(h_T[i], x, retain_graph=True)[0] for i in range(h_T.shape[0])]
    return torch.stack(rows).pow(2).sum(dim=(0, 2)).sqrt()
''',
        "ex02_4": 'answer_02_4 = "a"\n',
    },
    {
        # The library shortcut: nn.RNN with the given weights copied in.
        "ex02_2": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    layer = nn.RNN(W_ih.shape[1], W_ih.shape[0], batch_first=True).to(x.dtype)
    with torch.no_grad():
        for mine, given in zip(layer.parameters(), (W_ih, W_hh, b_ih, b_hh)):
            mine.copy_(given)
    outputs, h_n = layer(x, h0[None])
    return outputs, h_n[0]
''',
        "ex02_4": 'answer_02_4 = "c"\n',
    },
    {
        # A preallocated output buffer made without dtype=x.dtype: float64 inputs give float32 outputs.
        "ex02_2": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    batch, seq_len, _ = x.shape
    outputs = torch.zeros(batch, seq_len, W_hh.shape[0])
    h = h0
    for t in range(seq_len):
        h = rnn_step(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
        outputs[:, t] = h
    return outputs, h
''',
    },
]

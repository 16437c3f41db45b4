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

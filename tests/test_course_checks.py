"""Unit tests of course.checks: every check passes a correct function and fails the typical mistake."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course.checks import (
    ForbiddenCallError,
    assert_dtype,
    assert_finite_and_close,
    assert_no_loop_over,
    assert_no_python_loops,
    call_checking_inputs,
    count_torch_calls,
    forbidden,
)


# --- call_checking_inputs ---------------------------------------------------------------------------------

def test_inputs_unchanged_passes_and_returns_the_result():
    x = torch.randn(3)
    result = call_checking_inputs(lambda t: t * 2, x)
    torch.testing.assert_close(result, x * 2)


@pytest.mark.parametrize("mutate", [
    lambda t: t.add_(1),
    lambda t: t.masked_fill_(t > 0, 0.0),
    lambda t: t.__setitem__(0, 99.0),
])
def test_inputs_modified_in_place_fail_with_the_argument_name(mutate):
    def learner(scores, mask=None):
        mutate(scores)
        return scores

    with pytest.raises(AssertionError, match="modified its argument `scores` in place"):
        call_checking_inputs(learner, torch.randn(4))


def test_lists_dicts_keywords_and_modules_are_checked():
    def pad(sequences):
        for sequence in sequences:
            sequence.append(0)
        return sequences

    with pytest.raises(AssertionError, match="`sequences`"):
        call_checking_inputs(pad, [[1, 2], [3]])
    with pytest.raises(AssertionError, match="`mask`"):
        call_checking_inputs(lambda x, mask: mask.logical_not_(), torch.ones(2),
                             mask=torch.ones(2, dtype=torch.bool))
    layer = torch.nn.Linear(2, 2)

    def scale_weights(module):
        with torch.no_grad():
            module.weight.mul_(2)

    with pytest.raises(AssertionError, match="`module`"):
        call_checking_inputs(scale_weights, layer)
    assert call_checking_inputs(lambda d: dict(d, b=2), {"a": 1}) == {"a": 1, "b": 2}


# --- assert_dtype ---------------------------------------------------------------------------------------

def test_assert_dtype():
    assert_dtype(torch.zeros(2, dtype=torch.float64), torch.float64)
    with pytest.raises(AssertionError, match=r"dtype torch.float32, but the input was torch.float64"):
        assert_dtype(torch.zeros(2), torch.float64, "the weights")
    with pytest.raises(AssertionError, match="must be a torch.Tensor"):
        assert_dtype([0.0], torch.float32)


# --- forbidden ----------------------------------------------------------------------------------------------

def test_forbidden_blocks_module_attribute_and_aliases_then_restores():
    original = F.scaled_dot_product_attention
    namespace = {"sdpa": original, "other": 1}

    def learner(q):
        return F.scaled_dot_product_attention(q, q, q)

    q = torch.randn(1, 2, 3)
    path = "torch.nn.functional.scaled_dot_product_attention"
    with forbidden(path, namespace=namespace, reason="Use softmax."):
        with pytest.raises(ForbiddenCallError, match=f"do not call {path}. Use softmax"):
            learner(q)
        with pytest.raises(ForbiddenCallError):
            namespace["sdpa"](q, q, q)
        assert namespace["other"] == 1
    assert F.scaled_dot_product_attention is original and namespace["sdpa"] is original
    learner(q)


def test_forbidden_blocks_classes_and_is_an_assertion_error():
    with forbidden("torch.nn.RNN"):
        with pytest.raises(AssertionError, match="torch.nn.RNN"):
            torch.nn.RNN(2, 3)
    assert isinstance(torch.nn.RNN(2, 3), torch.nn.Module)


def test_forbidden_class_attributes_keep_their_kind_when_restored():
    original = torch.nn.Transformer.__dict__["generate_square_subsequent_mask"]
    with forbidden("torch.nn.Transformer.generate_square_subsequent_mask"):
        with pytest.raises(ForbiddenCallError):
            torch.nn.Transformer.generate_square_subsequent_mask(3)
    assert torch.nn.Transformer.__dict__["generate_square_subsequent_mask"] is original
    assert torch.nn.Transformer.generate_square_subsequent_mask(2).shape == (2, 2)
    with forbidden("torch.nn.Linear.extra_repr"):  # inherited from nothing: defined on Linear itself
        with pytest.raises(ForbiddenCallError):
            torch.nn.Linear(1, 1).extra_repr()
    assert "in_features=1" in torch.nn.Linear(1, 1).extra_repr()
    with forbidden("torch.nn.Linear.__repr__"):  # inherited from nn.Module: removed again afterwards
        with pytest.raises(ForbiddenCallError):
            repr(torch.nn.Linear(1, 1))
    assert "__repr__" not in torch.nn.Linear.__dict__


def test_forbidden_restores_after_an_exception_and_rejects_bad_paths():
    original = torch.softmax
    with pytest.raises(RuntimeError), forbidden("torch.softmax"):
        raise RuntimeError
    assert torch.softmax is original
    with pytest.raises((ValueError, AttributeError)):
        with forbidden("nonexistent_module_xyz.f"):
            pass


# --- loops -------------------------------------------------------------------------------------------------

def _vectorised(n):
    return torch.arange(n, dtype=torch.float32).sin()


def _looped(n):
    return torch.stack([torch.tensor(float(i)).sin() for i in range(n)])


def test_count_torch_calls_counts_functions_methods_and_operators():
    result, calls = count_torch_calls(lambda x: (x + 1).sum() * torch.exp(x).mean(), torch.ones(3))
    assert calls >= 5 and result.item() == pytest.approx(6 * math.e)


def test_assert_no_loop_over():
    assert_no_loop_over(_vectorised, lambda n: (n,))
    with pytest.raises(AssertionError, match=r"loops over the positions in Python"):
        assert_no_loop_over(_looped, lambda n: (n,), name="encoding")


def test_assert_no_python_loops():
    assert_no_python_loops(_vectorised)
    with pytest.raises(AssertionError, match="comprehension"):
        assert_no_python_loops(_looped)

    def with_for(n):
        total = 0
        for i in range(n):
            total += math.sin(i)
        return torch.tensor(total)

    with pytest.raises(AssertionError, match="Python loop"):
        assert_no_python_loops(with_for)
    assert_no_python_loops(len)  # no source: nothing to check


# --- numerical stability ------------------------------------------------------------------------------------

def test_assert_finite_and_close():
    x = torch.tensor([[1000.0, 999.0, 0.0]])
    expected = torch.softmax(x, dim=-1)
    assert_finite_and_close(torch.softmax(x, dim=-1), expected)
    naive = x.exp() / x.exp().sum(-1, keepdim=True)
    with pytest.raises(AssertionError, match="inf/nan values on large inputs.*subtract the row maximum"):
        assert_finite_and_close(naive, expected, hint="subtract the row maximum")
    with pytest.raises(AssertionError, match="wrong on large inputs"):
        assert_finite_and_close(expected + 0.1, expected)


def test_call_checking_inputs_names_a_module_argument_and_sees_non_persistent_buffers():
    from course import checks

    class Shifter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("table", torch.zeros(3), persistent=False)

        def forward(self, x, shift):
            shift += 1
            return x

    with pytest.raises(AssertionError, match="`shift`"):
        checks.call_checking_inputs(Shifter(), torch.ones(2), torch.ones(2))

    def touch_buffer(model, x):
        model.table.add_(1)
        return x

    with pytest.raises(AssertionError, match="`model`"):
        checks.call_checking_inputs(touch_buffer, Shifter(), torch.ones(2))


def test_call_checking_inputs_accepts_unchanged_nan():
    from course import checks

    data = torch.tensor([1.0, float("nan")])
    checks.call_checking_inputs(lambda x: x * 2, data)

"""Reusable checks for the graded cells: the mistakes a student makes beyond the one an exercise names.

Grade cells import these (``from course.checks import ...``) instead of copying the same ten lines into
every lesson. Each check raises an ``AssertionError`` whose message teaches: it says what went wrong, why
it matters and how to fix it, so that the same text serves the visible self-check and nbgrader's feedback.

- :func:`call_checking_inputs` — call the learner's function and fail if it changed an argument in place
  (``x += 1``, ``x.masked_fill_(...)``, ``list.append`` on an argument, ``x[...] = ...``).
- :func:`assert_dtype` — float64 in must give float64 out (no hard-coded ``torch.float32``, no
  ``torch.tensor(...)`` that forgets the input's dtype).
- :func:`forbidden` — a context manager that blocks library functions or classes while the learner's code
  runs (``F.scaled_dot_product_attention``, ``nn.RNN``, building the whole model to count its parameters).
- :func:`count_torch_calls` / :func:`assert_no_loop_over` — "vectorised, no Python loop": the number of
  tensor operations must not grow with the length of an axis.
- :func:`assert_no_python_loops` — no ``for``/``while``/comprehension in a function's source (for loops
  that run in plain Python and never touch a tensor).
- :func:`assert_finite_and_close` — stable on large inputs: no ``inf``/``nan`` and the right values
  (a softmax without the row maximum subtracted, a one-pass variance ``E[x²] − μ²``).

This module holds checks only, never the answer to an exercise.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib
import inspect
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

__all__ = [
    "ForbiddenCallError",
    "assert_dtype",
    "assert_finite_and_close",
    "assert_no_loop_over",
    "assert_no_python_loops",
    "call_checking_inputs",
    "count_torch_calls",
    "forbidden",
]


# --- inputs modified in place ------------------------------------------------------------------------------

def _snapshot(value: Any) -> Any:
    """A deep copy of ``value`` that tensors survive unchanged (detached clones)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        return {name: tensor.detach().clone() for name, tensor in _module_tensors(value).items()}
    if isinstance(value, Mapping):
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snapshot(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_snapshot(item) for item in value)
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that cannot be copied is not checked
        return value


def _module_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and ALL buffers (``state_dict`` leaves out buffers registered with ``persistent=False``)."""
    return {**dict(module.named_parameters()), **{f"buffer:{name}": buffer for name, buffer in module.named_buffers()}}


def _equal_tensors(before: torch.Tensor, after: torch.Tensor) -> bool:
    """Exactly equal, counting NaN as equal to NaN (an unchanged input may hold NaN)."""
    after = after.detach()
    if before.is_floating_point() or before.is_complex():
        return torch.equal(before.isnan(), after.isnan()) and torch.equal(before.nan_to_num(), after.nan_to_num())
    return torch.equal(before, after)


def _same(before: Any, after: Any) -> bool:
    if isinstance(after, torch.Tensor):
        return (isinstance(before, torch.Tensor) and before.shape == after.shape
                and before.dtype == after.dtype and _equal_tensors(before, after))
    if isinstance(after, torch.nn.Module):
        state = _module_tensors(after)
        return set(state) == set(before) and all(_equal_tensors(before[name], state[name]) for name in state)
    if isinstance(after, Mapping):
        return (isinstance(before, Mapping) and set(before) == set(after)
                and all(_same(before[key], after[key]) for key in after))
    if isinstance(after, (list, tuple)):
        return (isinstance(before, (list, tuple)) and len(before) == len(after)
                and all(_same(x, y) for x, y in zip(before, after)))
    try:
        return bool(before == after)
    except Exception:
        return True


def call_checking_inputs(function: Callable[..., Any], *args: Any, name: str | None = None,
                         **kwargs: Any) -> Any:
    """Call ``function(*args, **kwargs)`` and fail if it modified any of its arguments in place.

    Tensors (compared exactly, shape, dtype and values), lists, tuples, dicts and ``nn.Module`` weights are
    compared before and after the call. A function that writes into its input passes a naive self-check,
    because the check then compares the modified tensor with itself.

    Args:
        function: the learner's function.
        *args, **kwargs: its arguments.
        name: how to call the function in the message (default: its ``__name__``).

    Returns:
        Whatever ``function`` returns.
    """
    label = name or getattr(function, "__name__", "your function")
    before_args = [_snapshot(arg) for arg in args]
    before_kwargs = {key: _snapshot(value) for key, value in kwargs.items()}
    result = function(*args, **kwargs)
    signature_names: list[str] = []
    with contextlib.suppress(TypeError, ValueError):
        # For a module, name the arguments of its forward (the module's own signature is (*args, **kwargs)).
        target = function.forward if isinstance(function, torch.nn.Module) else function
        signature_names = [parameter.name for parameter in inspect.signature(target).parameters.values()
                           if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)]
    for position, (before, after) in enumerate(zip(before_args, args)):
        if not _same(before, after):
            known = position < len(signature_names)
            argument = signature_names[position] if known else f"argument {position + 1}"
            raise AssertionError(
                f"{label} modified its argument `{argument}` in place. The caller's data must not change: "
                "avoid "
                "in-place operations on inputs (`x += ...`, `x[...] = ...`, `x.masked_fill_(...)`, "
                "`list.append`/`extend` on an argument); compute a new tensor (`x = x + ...`, "
                "`x.masked_fill(...)`) or work on a copy (`x.clone()`, `list(seq)`)")
    for key, before in before_kwargs.items():
        if not _same(before, kwargs[key]):
            raise AssertionError(
                f"{label} modified its argument `{key}` in place. The caller's data must not change: use "
                "out-of-place operations (`x = x + ...`, `x.masked_fill(...)`) or work on a copy")
    return result


# --- dtype ------------------------------------------------------------------------------------------------

def assert_dtype(output: torch.Tensor, expected: torch.dtype, what: str = "the result") -> None:
    """Fail unless ``output`` is a tensor of dtype ``expected``, with a message that says how dtypes get lost.

    Args:
        output: the learner's result.
        expected: the dtype it must have (usually the input's dtype).
        what: how to name ``output`` in the message.
    """
    assert isinstance(output, torch.Tensor), f"{what} must be a torch.Tensor, got {type(output).__name__}"
    assert output.dtype == expected, (
        f"{what}: dtype {output.dtype}, but the input was {expected}. Keep the input's dtype: a hard-coded "
        "`dtype=torch.float32`, a `torch.tensor(...)`/`torch.zeros(...)` built without `dtype=x.dtype`, or "
        "`.float()` silently changes it")


# --- forbidden shortcuts ---------------------------------------------------------------------------------

class ForbiddenCallError(AssertionError):
    """Raised when the learner's code calls a function that the exercise asks them to write themselves."""


def _resolve(path: str) -> tuple[Any, str, Any]:
    """``"torch.nn.functional.gelu"`` -> (the module or class that holds it, ``"gelu"``, the object)."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:-1]:
            owner = getattr(owner, attribute)
        return owner, parts[-1], getattr(owner, parts[-1])
    raise ValueError(f"cannot resolve {path!r}: give a full dotted path such as 'torch.nn.functional.gelu'")


@contextlib.contextmanager
def forbidden(*paths: str, namespace: dict[str, Any] | None = None, reason: str = "") -> Iterator[None]:
    """Within the ``with`` block, every object named in ``paths`` raises :class:`ForbiddenCallError` if called.

    The object is replaced where it lives (``torch.nn.functional.gelu``), and also in ``namespace`` (pass
    ``globals()`` from a notebook) under any name bound to it, so ``from torch.nn.functional import gelu``
    or ``gelu = F.gelu`` in the learner's notebook are blocked too. Everything is restored on exit.

    Only wrap the learner's call: the grade cell computes its reference outside the block.

    Args:
        *paths: dotted paths, e.g. ``"torch.nn.functional.scaled_dot_product_attention"``, ``"torch.nn.RNN"``.
        namespace: the notebook's globals, to catch aliases.
        reason: a sentence that says what to do instead.
    """
    _missing = object()
    replaced: list[tuple[Any, str, Any]] = []
    try:
        for path in paths:
            owner, attribute, original = _resolve(path)
            # What to put back: the raw entry (a staticmethod stays a staticmethod), or nothing if inherited.
            raw = owner.__dict__.get(attribute, _missing) if isinstance(owner, type) else original

            def blocked(*args: Any, _path: str = path, **kwargs: Any) -> Any:
                message = f"this exercise asks you to write it yourself: do not call {_path}"
                raise ForbiddenCallError(message + (f". {reason}" if reason else ""))

            replaced.append((owner, attribute, raw))
            setattr(owner, attribute, staticmethod(blocked) if isinstance(owner, type) else blocked)
            if namespace is not None:
                for key, value in list(namespace.items()):
                    if value is original:
                        replaced.append((namespace, key, original))
                        namespace[key] = blocked
        yield
    finally:
        for owner, attribute, original in reversed(replaced):
            if isinstance(owner, dict):
                owner[attribute] = original
            elif original is _missing:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)


# --- vectorised, no Python loop ---------------------------------------------------------------------------

class _CountingMode(TorchFunctionMode):
    """Counts every torch function, tensor method and operator called while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        self.calls += 1
        return func(*args, **(kwargs or {}))


def count_torch_calls(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """Call ``function`` and count the tensor operations it runs (torch functions, methods, operators).

    Returns:
        ``(result, number_of_calls)``.
    """
    with _CountingMode() as mode:
        result = function(*args, **kwargs)
    return result, mode.calls


def assert_no_loop_over(function: Callable[..., Any], make_args: Callable[[int], Sequence[Any]], *,
                        sizes: tuple[int, int] = (4, 12), what: str = "positions",
                        name: str | None = None) -> None:
    """Fail if the number of tensor operations grows with the size of one axis (a Python loop over it).

    A vectorised function runs the same operations whatever the length; a loop over ``n`` positions runs
    about ``n`` times more. ``make_args(n)`` builds the arguments for length ``n``; the function is called
    for the two ``sizes`` and the counts are compared.

    Args:
        function: the learner's function.
        make_args: ``n -> args`` (a tuple of positional arguments).
        sizes: two lengths to compare.
        what: the name of the axis, for the message ("positions", "time steps", "rows").
        name: how to call the function in the message.
    """
    label = name or getattr(function, "__name__", "your function")
    counts = [count_torch_calls(function, *make_args(size))[1] for size in sizes]
    assert counts[0] == counts[1], (
        f"{label} runs {counts[0]} tensor operations for {sizes[0]} {what} and {counts[1]} for {sizes[1]}: "
        "it "
        f"loops over the {what} in Python. Write it with whole-tensor operations (broadcasting, matrix "
        "products, `torch.arange`) so that one call handles every position at once")


def assert_no_python_loops(function: Callable[..., Any], name: str | None = None) -> None:
    """Fail if the source of ``function`` contains a ``for``/``while`` loop or a comprehension.

    Use it where a loop would run in plain Python (``math.sin`` in a double loop, then ``torch.tensor``),
    which :func:`assert_no_loop_over` cannot see. If the source is not available, the check passes.
    """
    label = name or getattr(function, "__name__", "your function")
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, loops):
            kind = "loop" if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) else "comprehension"
            raise AssertionError(
                f"{label} uses a Python {kind} (line {node.lineno} of the function); the exercise asks for a "
                "vectorised function: build whole tensors with `torch.arange`, broadcasting and tensor "
                "operations instead of visiting entries one by one")


# --- numerical stability -------------------------------------------------------------------------------

def assert_finite_and_close(actual: torch.Tensor, expected: torch.Tensor, *, what: str = "the result",
                            hint: str = "", atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Fail if ``actual`` holds ``inf``/``nan`` where ``expected`` is finite, or differs from it.

    For large inputs: a softmax without the row maximum subtracted overflows to ``inf``/``nan``; a one-pass
    variance ``E[x²] − μ²`` loses every digit when the mean is large. ``hint`` says which fix applies.
    """
    assert isinstance(actual, torch.Tensor), f"{what} must be a torch.Tensor, got {type(actual).__name__}"
    bad = ~torch.isfinite(actual) & torch.isfinite(expected)
    assert not bad.any(), (
        f"{what} contains {int(bad.sum())} inf/nan values on large inputs where the exact answer is finite"
        + (f": {hint}" if hint else ""))
    torch.testing.assert_close(actual, expected, atol=atol, rtol=rtol, check_dtype=False,
                               msg=lambda default: f"{what} is wrong on large inputs"
                               + (f": {hint}" if hint else "") + f"\n{default}")

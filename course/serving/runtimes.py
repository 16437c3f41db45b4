"""What runs the classifier behind the service: PyTorch or ONNX Runtime, in float32 or dynamic int8.

Each runtime gives the service the same object: ``labels`` and ``predict_proba(texts) -> (len(texts),
n_labels)`` probabilities.

- ``torch``: the :class:`~course.models.sentiment.SentimentClassifier` itself, or, with ``int8``, a copy
  whose ``nn.Linear`` layers (the 36 of the encoder's six layers, MiniLM's pooler, which the classifier does
  not use, and the head) are dynamically quantised (:func:`quantize_int8`); the embedding tables stay float32;
- ``onnxruntime``: the classifier exported to ONNX (:func:`export_onnx`), run by an ``InferenceSession``
  (:class:`OnnxClassifier`); with ``int8``, quantised by ONNX Runtime (:func:`quantize_onnx`): the same linear
  layers but the pooler, which the export drops as unused (``MatMul`` -> ``MatMulInteger``), and also the
  embedding tables (``Gather``, uint8, one scale per table), hence its smaller file. The export runs once,
  at start-up, into a temporary folder (the benchmark prints how long the service takes to start).

The weight matrices of the linear layers are quantised **per channel** (one scale per output row) in both
runtimes; ``benchmarks/lesson22_optimisation.py`` measures that against one scale per matrix (agreement with
float32 and speed). The activations are quantised at run time with one scale per tensor, computed over the
whole batch: an int8 answer for a text can change with the other texts of the same batch (lesson 22 measures
it). Lesson 22 explains dynamic quantisation and ONNX export step by step.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from pathlib import Path

import torch

RUNTIMES = ("torch", "onnxruntime")
INPUT_NAMES = ("input_ids", "attention_mask")


@contextlib.contextmanager
def _quiet():
    """Silence the exporters' and quantisers' progress output (stdout, warnings, INFO/WARNING logs): a hint
    about "pre-processing" from ONNX Runtime's quantiser, the missing optional torchvision from the exporter.
    Process-wide while it lasts (stdout, the root logger): meant for start-up, before anything is served."""
    loggers = [logging.getLogger(), logging.getLogger("torch")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def quantize_int8(model: torch.nn.Module, per_channel: bool = True) -> torch.nn.Module:
    """A copy of ``model`` whose ``nn.Linear`` layers are dynamically quantised to int8
    (``torch.ao.quantization.quantize_dynamic``; its deprecation warning is silenced here, lesson 22 explains
    it). ``per_channel``: one weight scale per output row (default) rather than one per matrix."""
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig

    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    with _quiet():
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear: qconfig}, dtype=torch.qint8)


def export_onnx(model: torch.nn.Module, path: Path | str) -> Path:
    """Export the classifier to ONNX with ``torch.onnx.export(dynamo=True)``: inputs ``input_ids`` and
    ``attention_mask`` ``(batch, sequence)``, both axes dynamic; output ``logits``. The weights may go to an
    external data file beside ``path``; keep the folder together."""
    path = Path(path)
    example = model.tokenize(["An example sentence.", "Another one."])
    dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("sequence")}
    with _quiet():
        torch.onnx.export(model, tuple(example[name] for name in INPUT_NAMES), str(path), dynamo=True,
                          input_names=list(INPUT_NAMES), output_names=["logits"],
                          dynamic_shapes={name: dims for name in INPUT_NAMES})
    return path


def quantize_onnx(source: Path | str, target: Path | str, per_channel: bool = True) -> Path:
    """ONNX Runtime's dynamic int8 quantisation of the model at ``source`` (int8 weights, activations
    quantised at run time), written to ``target``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=per_channel)
    return Path(target)


def check_runtime(runtime: str) -> None:
    """Raise ``ValueError`` naming the runtimes there are, unless ``runtime`` is one of them."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")


def inference_session(path: Path | str, threads: int | None = None):
    """An ONNX Runtime session on the CPU for the model at ``path``: one inter-op thread, ``threads`` intra-op
    threads (None: ONNX Runtime's default, one per core), errors only in its log."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxClassifier:
    """The sentiment classifier run by ONNX Runtime: same ``labels`` and ``predict_proba`` as the PyTorch
    model (the tokenizer is the model's), the network an ``onnxruntime.InferenceSession``.

    Args:
        model: the PyTorch classifier to export (only its tokenizer is kept afterwards).
        int8: quantise the exported model with :func:`quantize_onnx`.
        threads: ONNX Runtime's intra-op threads (None: its default, one per core).
    """

    def __init__(self, model, *, int8: bool = False, threads: int | None = None):
        self.labels = tuple(model.labels)
        self.tokenizer, self.max_length = model.tokenizer, model.max_length
        # ignore_cleanup_errors: Windows refuses to delete a file that ONNX Runtime still has mapped.
        with tempfile.TemporaryDirectory(prefix="course_serving_onnx_", ignore_cleanup_errors=True) as folder:
            path = export_onnx(model, Path(folder) / "model.onnx")
            if int8:
                path = quantize_onnx(path, Path(folder) / "model.int8.onnx")
            # The session is built from the files now. Removing them afterwards is safe on POSIX systems even
            # where ONNX Runtime memory-maps the external data (the mapping keeps the data alive).
            self.session = inference_session(path, threads)

    def logits(self, texts: list[str]) -> torch.Tensor:
        from course.models.sentiment import tokenize

        batch = tokenize(self.tokenizer, texts, self.max_length)
        (logits,) = self.session.run(["logits"], {name: batch[name].numpy() for name in INPUT_NAMES})
        return torch.from_numpy(logits)

    def predict_proba(self, texts: list[str]) -> torch.Tensor:
        """Class probabilities ``(len(texts), n_labels)``, float32, in the order of :attr:`labels`."""
        return torch.softmax(self.logits(texts), dim=-1)


def prepare(model, runtime: str = "torch", *, int8: bool = False, threads: int | None = None):
    """The object the service calls: ``model`` as is, quantised, or exported to ONNX Runtime."""
    check_runtime(runtime)
    if runtime == "onnxruntime":
        return OnnxClassifier(model, int8=int8, threads=threads)
    return quantize_int8(model) if int8 else model

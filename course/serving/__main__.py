"""``python -m course.serving [--host 127.0.0.1] [--port 8000] [--model-dir DIR] [--threads N]
[--runtime torch|onnxruntime] [--int8]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course.serving.runtimes import RUNTIMES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.serving", description="Serve the course's sentiment model.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="folder holding the classifier's config.json and model.safetensors "
                             "(default: the checkpoint the course ships)")
    parser.add_argument("--threads", type=int, default=1, help="threads for inference (default 1)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="torch",
                        help="run the model with PyTorch (default) or ONNX Runtime (exported to ONNX at start-up)")
    parser.add_argument("--int8", action="store_true",
                        help="serve the model dynamically quantised to int8 (in the chosen runtime)")
    arguments = parser.parse_args(argv)

    import uvicorn

    from course.models.minilm import ModelNotInstalledError
    from course.serving.app import create_app

    try:
        app = create_app(model_dir=arguments.model_dir, threads=arguments.threads, runtime=arguments.runtime,
                         int8=arguments.int8)
    except (ModelNotInstalledError, FileNotFoundError) as error:
        print(f"course.serving: cannot start: {error}", file=sys.stderr)
        return 1
    uvicorn.run(app, host=arguments.host, port=arguments.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())

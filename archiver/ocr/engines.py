"""The recogniser's network on one of its engines, from the same weights: ONNX Runtime runs crnn.onnx
(fp32; a worker that reads lines never imports torch) or crnn-int8.onnx (the same graph with INT8
convolutions, training/quantize.py), PyTorch runs crnn.pt (the reference path; bf16 for the CNN where
the CPU computes it natively).
Both take a padded batch (N, 1, 32, W) and give probabilities (N, W / stride, classes)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from archiver.errors import RecognizerUnavailable

from .spec import ModelConfig

PRECISIONS = ("auto", "bf16", "fp32")  # of the torch engine
TORCH_FILE = "crnn.pt"
ONNX_FILE = "crnn.onnx"  # exported from crnn.pt by `python -m training.train --export`
ONNX_INT8_FILE = "crnn-int8.onnx"  # crnn.onnx with INT8 convolutions, written by the same export
ONNX_FILES = {"onnx": ONNX_FILE, "onnx-int8": ONNX_INT8_FILE}  # the ONNX Runtime engines and their graphs
ENGINES = (*ONNX_FILES, "torch")
# INT8 convolutions: 1.2-1.4x the lines per second of fp32 with the CER within 0.01 points at every scan
# level (bench.ocr on 600 gov-dev lines, with the language model; docs/benchmarks.md)
DEFAULT_ENGINE = "onnx-int8"
# A line read with less confidence than this is read again by the second weights (ocr.second_weights). On the
# 600 gov-dev lines of bench.ocr, CJK characters misread clean / office / poor: 25 / 46 / 380 without, 25 / 42 /
# 275 at 0.7, 34 / 43 / 265 at 0.8 (clean lines harmed); README "The recogniser", second reading.
SECOND_BELOW = 0.7
WEIGHTS_DIGEST = "crnn_pt_sha256"  # the ONNX file's metadata: the crnn.pt it was exported from


def weights_digest(weights: Path) -> str:
    return hashlib.sha256((weights / TORCH_FILE).read_bytes()).hexdigest()


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively; emulated bf16 would be slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class OnnxNet:
    def __init__(self, weights: Path, threads: int, engine: str = "onnx"):
        import onnxruntime as ort

        path = weights / ONNX_FILES[engine]
        if not path.is_file():
            raise RecognizerUnavailable(f"ocr.engine is {engine} but {path} is missing "
                                        f"(python -m training.train --export writes it; or set ocr.engine: torch)")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # warnings about unused initialisers are not the user's business
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise RecognizerUnavailable(f"{path} does not load: {str(exc).strip().splitlines()[0]}") from None
        made_from = self.session.get_modelmeta().custom_metadata_map.get(WEIGHTS_DIGEST)
        if made_from != weights_digest(weights):
            raise RecognizerUnavailable(f"{path} was not exported from the {TORCH_FILE} beside it "
                                        f"(python -m training.train --export writes both)")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"x": x})[0]


class TorchNet:
    def __init__(self, weights: Path, config: ModelConfig, threads: int, precision: str):
        import torch

        from .model import CRNN, Probabilities

        self.torch, self.threads = torch, threads
        crnn = CRNN(config)
        try:
            state = torch.load(weights / TORCH_FILE, map_location="cpu", weights_only=True)
            crnn.load_state_dict({k: v.float() for k, v in state.items()})
        except (RuntimeError, KeyError, EOFError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RecognizerUnavailable(f"recogniser weights in {weights} do not fit the model config: {first}") from None
        self.net = Probabilities(crnn).eval()
        # bf16 for the CNN (the LSTM stays fp32 inside the model): reads agree with fp32 on real
        # lines (CER 6.54 % vs 6.57 % on 200 gov-dev office-scan lines) at ~1.5x the speed.
        self.bf16 = precision == "bf16" or (precision == "auto" and native_bf16())
        if self.bf16:
            self.net = self.net.to(memory_format=torch.channels_last)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        torch.set_num_threads(self.threads)
        t = torch.from_numpy(x)
        if self.bf16:
            t = t.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return self.net(t).float().numpy()

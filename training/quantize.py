"""crnn-int8.onnx: the exported graph with its convolutions in INT8 (static, QDQ), calibrated on our own
synthetic lines (never on gov-dev or gongwen-real).

Dynamic INT8 is slow for convolutions on these CPUs (ConvInteger) and they are 60 % of the forward
pass, so the activation ranges are fixed ahead from CALIBRATION_LINES rendered lines instead. Weights
are per output channel; the LSTM and the classifier stay fp32 (INT8 of the classifier's MatMul cost
+0.30 CER points on bench.ocr's 600 office-scan gov-dev lines, greedy). Which graph a reader runs is `ocr.engine` (onnx | onnx-int8)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from archiver.ocr.charset import Charset
from archiver.ocr.engines import ONNX_FILE, ONNX_INT8_FILE, WEIGHTS_DIGEST
from archiver.ocr.prep import normalise, pad_batch
from archiver.ocr.spec import ModelConfig

from .synth import LineSynth

CALIBRATION_LINES = 512  # on bench.ocr's clean lines, greedy: 96 gave CER +0.07 points against fp32, 512 -0.04
CALIBRATION_BATCH = 16
CALIBRATION_SEED = 123


def calibration_batches(weights: Path, lines: int = CALIBRATION_LINES) -> list[np.ndarray]:
    cfg = ModelConfig.load(weights / "config.json")
    synth = LineSynth(Charset.load(weights / "charset.txt"), seed=CALIBRATION_SEED)
    items = sorted((normalise(synth.sample().image, cfg.width_scale) for _ in range(lines)), key=lambda a: a.shape[1])
    return [pad_batch(items[i:i + CALIBRATION_BATCH], cfg.stride)[0] for i in range(0, len(items), CALIBRATION_BATCH)]


def quantize_onnx(weights: Path, lines: int = CALIBRATION_LINES) -> Path:
    """weights/crnn-int8.onnx from weights/crnn.onnx, carrying its metadata (the crnn.pt it came from)."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    feeds = iter(calibration_batches(weights, lines))

    class Lines(CalibrationDataReader):
        def get_next(self):
            x = next(feeds, None)
            return None if x is None else {"x": x}

    src = weights / ONNX_FILE
    dest = weights / ONNX_INT8_FILE
    with tempfile.TemporaryDirectory() as tmp:
        pre, out = Path(tmp) / "pre.onnx", Path(tmp) / "int8.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out), Lines(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"])
        graph = onnx.load(str(out))
        del graph.metadata_props[:]
        for entry in onnx.load(str(src)).metadata_props:
            if entry.key == WEIGHTS_DIGEST:
                graph.metadata_props.add().CopyFrom(entry)
        tmp_dest = dest.with_name(dest.name + ".tmp")
        onnx.save(graph, str(tmp_dest))
        tmp_dest.replace(dest)
    return dest

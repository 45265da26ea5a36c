"""The recogniser's architecture settings, saved as config.json beside the weights: read by both
inference engines (PyTorch and ONNX Runtime) and by training, without importing torch."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelConfig:
    """Architecture settings; saved as JSON beside the weights and checked on load."""

    num_classes: int
    charset_digest: str
    height: int = 32
    channels: tuple[int, ...] = (32, 64, 128, 128, 192, 192, 256)
    lstm_hidden: int = 128
    lstm_layers: int = 2
    dropout: float = 0.1
    # Horizontal stride of the CNN: one output column per 8 input pixels (a hanzi at height 32
    # gives about 4 columns, a digit 2: enough for CTC's blanks between repeats).
    stride: int = 8
    # Horizontal stretch of a line after scaling it to `height`: more columns per glyph, so that a
    # doubled digit (00, 11) or a decimal point between digits has room for CTC's blanks. A model
    # is trained and read at the same stretch.
    width_scale: float = 1.0

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "ModelConfig":
        data = json.loads(path.read_text(encoding="utf-8"))
        data["channels"] = tuple(data["channels"])
        return cls(**data)

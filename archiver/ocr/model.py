"""The CRNN: a small VGG-style CNN that turns a 32-pixel-high line into columns, a BiLSTM, and a
per-column classifier trained with CTC."""
from __future__ import annotations

import torch
from torch import nn

from .spec import ModelConfig

__all__ = ["CRNN", "ModelConfig", "count_parameters"]


def _conv(cin: int, cout: int, kernel=3, padding=1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, padding=padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class CRNN(nn.Module):
    """Input: (N, 1, 32, W) floats in [0, 1], ink 1. Output: (T=W/stride, N, classes) logits."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.height != 32:
            raise ValueError("this CNN is laid out for 32-pixel-high lines")
        self.stride = cfg.stride
        c = cfg.channels
        layers: list[nn.Module] = []
        layers += _conv(1, c[0]) + [nn.MaxPool2d(2, 2)]  # 16 x W/2
        layers += _conv(c[0], c[1]) + [nn.MaxPool2d(2, 2)]  # 8 x W/4
        pool3 = (2, 2) if cfg.stride == 8 else (2, 1)
        layers += _conv(c[1], c[2]) + _conv(c[2], c[3]) + [nn.MaxPool2d(pool3, pool3)]  # 4 x W/stride
        layers += _conv(c[3], c[4]) + _conv(c[4], c[5]) + [nn.MaxPool2d((2, 1), (2, 1))]  # 2 x W/4
        layers += _conv(c[5], c[6], kernel=(2, 3), padding=(0, 1))  # 1 x W/4
        self.cnn = nn.Sequential(*layers)
        self.rnn = nn.LSTM(c[6], cfg.lstm_hidden, num_layers=cfg.lstm_layers, bidirectional=True,
                           dropout=cfg.dropout if cfg.lstm_layers > 1 else 0.0)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(2 * cfg.lstm_hidden, cfg.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        f = self.cnn(x)  # N, C, 1, T
        return f.squeeze(2).permute(2, 0, 1)  # T, N, C

    def sequence(self, f: torch.Tensor) -> torch.Tensor:
        # The LSTM runs in fp32 even under bf16 autocast: recurrent state in bf16 drifts.
        with torch.autocast(device_type=f.device.type, enabled=False):
            out, _ = self.rnn(f.float())
        return self.fc(self.dropout(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sequence(self.features(x))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class Probabilities(nn.Module):
    """The CRNN with its softmax, batch first: (N, 1, 32, W) -> (N, T, classes) probabilities. What
    both inference engines run (PyTorch directly, ONNX Runtime as the exported graph)."""

    def __init__(self, crnn: CRNN):
        super().__init__()
        self.crnn = crnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.crnn(x).float().softmax(2).permute(1, 0, 2)

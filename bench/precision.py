"""Is bf16 autocast numerically sound for our CRNN? Compares CTC loss and best paths of the same
weights in fp32 and under bf16 autocast (the LSTM and CTC stay fp32 by design).

    python -m bench.precision [--run runs/ocr] [--n 64]"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from archiver.ocr.charset import Charset
from archiver.ocr.model import CRNN, ModelConfig
from archiver.ocr.prep import normalise, pad_batch
from training.synth import LineSynth


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, default=Path("runs/ocr"))
    ap.add_argument("--n", type=int, default=64)
    args = ap.parse_args(argv)
    cs, cfg = Charset.load(args.run / "charset.txt"), ModelConfig.load(args.run / "config.json")
    model = CRNN(cfg)
    model.load_state_dict(torch.load(args.run / "best.pt", weights_only=True, map_location="cpu")["model"])
    model = model.eval().to(memory_format=torch.channels_last)
    synth = LineSynth(cs, seed=4242)
    samples = [synth.sample() for _ in range(args.n)]
    x, lengths = pad_batch([normalise(s.image, cfg.width_scale) for s in samples], cfg.stride)
    x = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)
    targets = torch.tensor([cs.index[c] for s in samples for c in s.text])
    tl = torch.tensor([len(s.text) for s in samples])
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    with torch.inference_mode():
        lp32 = model(x).float().log_softmax(2)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            lp16 = model(x).float().log_softmax(2)
        l32 = ctc(lp32, targets, torch.from_numpy(lengths), tl).item()
        l16 = ctc(lp16, targets, torch.from_numpy(lengths), tl).item()
    agree = (lp32.argmax(2) == lp16.argmax(2)).float().mean().item()
    print(f"CTC loss fp32 {l32:.4f}  bf16 {l16:.4f}  (relative difference {abs(l16 - l32) / l32:.2%})")
    print(f"best-path agreement {agree:.2%} over {lp32.shape[0] * lp32.shape[1]} columns")


if __name__ == "__main__":
    main()

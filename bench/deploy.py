"""Deployment options for the recogniser on this CPU: PyTorch fp32 (the reference path) against
PyTorch dynamic INT8 (LSTM and classifier), ONNX Runtime fp32 and ONNX Runtime dynamic INT8, on the
same gov-dev line crops, the same batches and the same greedy decoding, in one run.

    python -m bench.deploy [--level office] [--threads 1 2] [--runs 5] [--out docs/benchmarks.md]

Only the network's forward pass is timed (normalisation, batching and decoding are the same code for
every variant). Timings are medians of --runs passes, the variants interleaved within each pass so
that a busy machine slows them alike. Needs the benchmark extras (onnx, onnxruntime)."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from archiver.ocr.charset import Charset
from archiver.ocr.decode import greedy_decode
from archiver.ocr.engines import ONNX_FILE, ONNX_INT8_FILE, TORCH_FILE, OnnxNet, TorchNet
from archiver.ocr.prep import normalise, pad_batch
from archiver.ocr.recognizer import DEFAULT_WEIGHTS
from archiver.ocr.spec import ModelConfig
from bench import govdev
from bench.ocr import score_by_kind, scanned_cuts
from bench.report import write_section


def onnx_int8(src: Path, dest: Path, ops: list[str] | None) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, op_types_to_quantize=ops)
    return dest


def variants(weights: Path, cfg: ModelConfig, tmp: Path, threads: int) -> dict:
    """name -> (forward: batch -> probabilities, file size); the first is the reference."""
    reference = TorchNet(weights, cfg, threads, "fp32")
    int8 = TorchNet(weights, cfg, threads, "fp32")
    int8.net = torch.ao.quantization.quantize_dynamic(int8.net, {nn.LSTM, nn.Linear}, dtype=torch.qint8)
    out = {"pytorch fp32": (reference, (weights / TORCH_FILE).stat().st_size),
           "pytorch int8 (dynamic)": (int8, None),
           "onnxruntime fp32": (OnnxNet(weights, threads), (weights / ONNX_FILE).stat().st_size)}
    if (weights / ONNX_INT8_FILE).is_file():  # the shipped INT8 graph (static, convolutions only)
        out["onnxruntime int8 static convolutions"] = (OnnxNet(weights, threads, "onnx-int8"),
                                                        (weights / ONNX_INT8_FILE).stat().st_size)
    for name, ops in (("onnxruntime int8 (dynamic)", None),
                      # INT8 convolutions (ConvInteger) are slow on many CPUs: the LSTM and classifier alone
                      ("onnxruntime int8 LSTM+classifier", ["LSTM", "MatMul", "Gemm"])):
        q = tmp / f"{threads}-{name}".replace(" ", "_").replace("+", "_")
        q.mkdir()
        for f in ("config.json", "charset.txt", TORCH_FILE):
            (q / f).write_bytes((weights / f).read_bytes())
        onnx_int8(weights / ONNX_FILE, q / ONNX_FILE, ops)
        out[name] = (OnnxNet(q, threads), (q / ONNX_FILE).stat().st_size)  # the metadata is carried over
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cjk", type=int, default=400)
    ap.add_argument("--num", type=int, default=200)
    ap.add_argument("--level", default="office")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    cfg, charset = ModelConfig.load(args.weights / "config.json"), Charset.load(args.weights / "charset.txt")
    root = govdev.default_root()
    lines = govdev.select(govdev.read_lines(root), args.cjk, args.num, seed=2)
    cuts = scanned_cuts(root, lines, args.level)
    items = [normalise(c, cfg.width_scale) for _, c in cuts]
    order = sorted(range(len(items)), key=lambda i: items[i].shape[1])
    batches = []
    for s in range(0, len(order), args.batch):
        idx = order[s:s + args.batch]
        x, lengths = pad_batch([items[i] for i in idx], cfg.stride)
        batches.append((idx, x, lengths))
    refs = [ln.text for ln, _ in cuts]
    is_cjk = [ln.has_cjk for ln, _ in cuts]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            torch.set_num_threads(threads)
            runs = variants(args.weights, cfg, Path(tmp), threads)
            times = {name: [] for name in runs}
            preds = {}
            for _ in range(args.runs):
                for name, (run, _) in runs.items():
                    texts = [""] * len(items)
                    dt = 0.0
                    for idx, x, lengths in batches:
                        t = time.perf_counter()
                        probs = run(x)
                        dt += time.perf_counter() - t
                        for j, i in enumerate(idx):
                            texts[i] = charset.decode(greedy_decode(probs[j], int(lengths[j]))[0])
                    times[name].append(dt)
                    preds[name] = texts
            base = statistics.median(times["pytorch fp32"])
            for name, (_, size) in runs.items():
                p = preds[name]
                cjk, num = score_by_kind(p, refs, is_cjk)
                agree = np.mean([a == b for a, b in zip(p, preds["pytorch fp32"])])
                med = statistics.median(times[name])
                rows.append((threads, name, cjk[0], num[0], agree, 1000 * med / len(items), base / med, size))
                print(f"threads {threads} {name:28s} CJK CER {cjk[0]:.2%} numeric {num[0]:.2%} same text {agree:.1%} "
                      f"{1000 * med / len(items):.2f} ms/line x{base / med:.2f}", flush=True)
    table = ("| threads | variant | CJK CER | numeric CER | lines read as PyTorch fp32 reads them | forward ms/line | "
             "speed vs PyTorch fp32 | file MB |\n|---|---|---|---|---|---|---|---|\n" +
             "".join(f"| {th} | {n} | {a:.2%} | {b:.2%} | {c:.1%} | {d:.2f} | {e:.2f}× | "
                     f"{'-' if z is None else f'{z / 2**20:.1f}'} |\n" for th, n, a, b, c, d, e, z in rows))
    print()
    print(table)
    if args.out:
        cmd = "python -m bench.deploy " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
        write_section(args.out, "deploy", f"## Recogniser deployment options (gov-dev lines, {args.level} scan)\n\n"
                      f"`{cmd.strip()}`: {len(items)} line crops ({args.cjk} CJK + {args.num} numeric sampled, seed 2), "
                      f"batches of {args.batch}, greedy decoding, forward pass timed, median of {args.runs} interleaved "
                      f"passes.\n\n{table}")


if __name__ == "__main__":
    main()

"""Train the CRNN on synthetic lines: resumable checkpoints, periodic evaluation on a fixed
synthetic set and on real gov-dev lines (never trained on), a CER log, bf16 autocast on CPU.

    python -m training.train --out runs/ocr --hours 2
    python -m training.train --out runs/ocr --export archiver/ocr/weights
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

from archiver.ocr.charset import Charset, score_normalise
from archiver.ocr.decode import best_path, greedy_decode
from archiver.ocr.metrics import cer
from archiver.ocr.engines import ONNX_FILE, TORCH_FILE, WEIGHTS_DIGEST, TorchNet, native_bf16, weights_digest
from archiver.ocr.model import CRNN, ModelConfig, count_parameters
from archiver.ocr.prep import normalise, pad_batch
from . import augment
from .quantize import quantize_onnx
from .synth import LineSynth


class SynthStream(IterableDataset):
    """Endless batches of synthetic lines, grouped by width so padding stays small."""

    def __init__(self, charset: Charset, batch_size: int, seed: int, cfg: ModelConfig, low_res: float,
                 low_res_floor: float = augment.LOW_RES_FLOOR, neighbours: float = augment.NEIGHBOURS):
        self.charset, self.batch_size, self.seed, self.low_res = charset, batch_size, seed, low_res
        self.low_res_floor, self.neighbours = low_res_floor, neighbours
        self.stride, self.width_scale = cfg.stride, cfg.width_scale

    def __iter__(self):
        import cv2

        cv2.setNumThreads(1)
        info = torch.utils.data.get_worker_info()
        seed = self.seed * 1000 + (info.id if info else 0)
        synth = LineSynth(self.charset, seed=seed, low_res=self.low_res, low_res_floor=self.low_res_floor,
                          neighbours=self.neighbours)
        rng = random.Random(seed)
        index = self.charset.index
        while True:
            pool = [synth.sample() for _ in range(self.batch_size * 8)]
            pool.sort(key=lambda s: s.image.shape[1])
            batches = [pool[i:i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
            rng.shuffle(batches)
            for b in batches:
                x, lengths = pad_batch([normalise(s.image, self.width_scale) for s in b], self.stride)
                targets = [index[c] for s in b for c in s.text]
                target_lengths = [len(s.text) for s in b]
                yield (torch.from_numpy(x), torch.from_numpy(lengths),
                       torch.tensor(targets, dtype=torch.long), torch.tensor(target_lengths, dtype=torch.long))


def lr_at(progress: float, base: float, warmup: float = 0.02) -> float:
    """Warm-up then cosine decay over the time budget (progress in [0, 1])."""
    if progress < warmup:
        return base * max(progress / warmup, 0.05)
    p = min(1.0, (progress - warmup) / (1 - warmup))
    return base * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * p)))


@torch.inference_mode()
def predict(model: CRNN, images: list[np.ndarray], charset: Charset, width_scale: float = 1.0,
            batch_size: int = 64) -> list[str]:
    """Texts for line images (uint8), in order; used for evaluation."""
    model.eval()
    items = [normalise(im, width_scale) for im in images]
    order = sorted(range(len(items)), key=lambda i: items[i].shape[1])
    out = [""] * len(items)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        x, lengths = pad_batch([items[i] for i in idx], model.stride)
        probs = model(torch.from_numpy(x)).float().softmax(2).permute(1, 0, 2).numpy()
        for j, i in enumerate(idx):
            ids, _ = greedy_decode(probs[j], int(lengths[j]))
            out[i] = charset.decode(ids)
    model.train()
    return out


def corpus_cer(preds: list[str], refs: list[str]) -> float:
    errors = sum(cer(score_normalise(p), score_normalise(r)) * max(1, len(score_normalise(r))) for p, r in zip(preds, refs))
    return errors / max(1, sum(max(1, len(score_normalise(r))) for r in refs))


class Evaluator:
    """Fixed evaluation sets: synthetic (seeded) and real gov-dev lines when available."""

    def __init__(self, charset: Charset, n_synth: int = 400, n_real_cjk: int = 300, n_real_num: int = 150):
        synth = LineSynth(charset, seed=987654)
        s = [synth.sample() for _ in range(n_synth)]
        self.sets: dict[str, tuple[list[np.ndarray], list[str]]] = {"synth": ([x.image for x in s], [x.text for x in s])}
        if n_real_cjk + n_real_num == 0:
            return
        try:
            from bench import govdev

            root = govdev.default_root()
            lines = govdev.select(govdev.read_lines(root), n_real_cjk, n_real_num, seed=1)
            cuts = govdev.cut_lines(root, lines, dpi=200)
            self.sets["real_cjk"] = ([c for ln, c in cuts if ln.has_cjk], [ln.text for ln, c in cuts if ln.has_cjk])
            self.sets["real_num"] = ([c for ln, c in cuts if not ln.has_cjk], [ln.text for ln, c in cuts if not ln.has_cjk])
        except (OSError, ImportError) as exc:  # gov-dev is optional for training
            print(f"real evaluation lines unavailable: {exc}", file=sys.stderr)

    def run(self, model: CRNN, charset: Charset, width_scale: float) -> dict[str, float]:
        return {name: corpus_cer(predict(model, imgs, charset, width_scale), refs)
                for name, (imgs, refs) in self.sets.items()}


def save_checkpoint(path: Path, model, opt, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state}, tmp)
    tmp.replace(path)


def export(run_dir: Path, dest: Path, which: str = "best") -> None:
    """Write fp16 weights, config and charset for the recogniser, and the ONNX graph made from them."""
    dest.mkdir(parents=True, exist_ok=True)
    ckpt = torch.load(run_dir / f"{which}.pt", map_location="cpu", weights_only=True)
    cfg = ModelConfig.load(run_dir / "config.json")
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in ckpt["model"].items()}
    torch.save(half, dest / TORCH_FILE)
    cfg.save(dest / "config.json")
    Charset.load(run_dir / "charset.txt").save(dest / "charset.txt")
    export_onnx(dest)
    print(f"exported {which} (step {ckpt['state']['step']}, {ckpt['state'].get('metrics')}) to {dest}")


def export_onnx(weights: Path) -> None:
    """crnn.onnx beside crnn.pt, made from the fp16 weights as saved (both engines compute with the same
    numbers), its metadata naming the crnn.pt it came from so that a stale graph is refused on load; and
    crnn-int8.onnx from it (training/quantize.py)."""
    import onnx

    net = TorchNet(weights, ModelConfig.load(weights / "config.json"), threads=1, precision="fp32").net
    tmp = weights / (ONNX_FILE + ".tmp")
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice, and an LSTM batch-size
        warnings.simplefilter("ignore")  # caution that does not apply (no initial state is exported)
        torch.onnx.export(net, (torch.zeros(1, 1, 32, 160),), str(tmp), input_names=["x"], output_names=["probs"],
                          dynamic_axes={"x": {0: "n", 3: "w"}, "probs": {0: "n", 1: "t"}}, opset_version=17, dynamo=False)
    graph = onnx.load(str(tmp))
    entry = graph.metadata_props.add()
    entry.key, entry.value = WEIGHTS_DIGEST, weights_digest(weights)
    onnx.save(graph, str(tmp))
    tmp.replace(weights / ONNX_FILE)
    quantize_onnx(weights)


def _run_files(out: Path, init: str | None, width_scale: float | None) -> tuple[Charset, ModelConfig]:
    """The run's charset and model config: its own when resuming, else those of --init, else new ones
    (a new run may set the width stretch; a resumed one keeps its own)."""
    if (out / "charset.txt").exists():
        return Charset.load(out / "charset.txt"), ModelConfig.load(out / "config.json")
    if init:
        charset, cfg = Charset.load(Path(init) / "charset.txt"), ModelConfig.load(Path(init) / "config.json")
        default = Charset.default()
        if extends(default, charset):  # symbols added to the alphabet since those weights: grow the output layer
            charset = default
            cfg = replace(cfg, num_classes=default.num_classes, charset_digest=default.digest)
    else:
        charset = Charset.default()
        cfg = ModelConfig(num_classes=charset.num_classes, charset_digest=charset.digest)
    if width_scale is not None:
        cfg = replace(cfg, width_scale=width_scale)
    charset.save(out / "charset.txt")
    cfg.save(out / "config.json")
    return charset, cfg


def extends(charset: Charset, base: Charset) -> bool:
    """charset is base with symbols appended (charset.ADDED): weights of base can grow into it."""
    n = len(base.chars)
    return len(charset.chars) > n and charset.chars[:n] == base.chars


# An added symbol starts as the output row of the symbol it looks most like, this many nats less likely, so
# that the grown model reads as before until training shows it the new glyph.
LIKENESS = {"〈": "《", "〉": "》"}
GROWN_OFFSET = 3.0


def grow_head(state_dict: dict, charset: Charset, base: Charset) -> dict:
    """The weights of a model over base, with output rows added for charset's appended symbols."""
    if charset == base:
        return state_dict
    weight, bias = state_dict["fc.weight"], state_dict["fc.bias"]
    rows, biases = [weight], [bias]
    for ch in charset.chars[len(base.chars):]:
        donor = base.index[LIKENESS[ch]]
        rows.append(weight[donor:donor + 1])
        biases.append(bias[donor:donor + 1] - GROWN_OFFSET)
    return {**state_dict, "fc.weight": torch.cat(rows), "fc.bias": torch.cat(biases)}


def _start_from(model, opt, state: dict, out: Path, init: str | None, cfg, charset, device) -> None:
    """Resume from the run's last checkpoint, or start a new run from committed weights (--init): how
    training carries over between sessions, whose run folders do not survive (optimizer and schedule fresh)."""
    if (out / "last.pt").exists():
        ckpt = torch.load(out / "last.pt", map_location=device, weights_only=True)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        state.update(ckpt["state"])
        print(f"resumed at step {state['step']} ({state['seen']} lines, {state['elapsed'] / 3600:.2f} h)")
    elif init:
        state_dict, init_charset = load_exported(Path(init), cfg, charset, device, "--init")
        model.load_state_dict(grow_head(state_dict, charset, init_charset))
        print(f"initialised from {init}" + (f", output layer grown by {''.join(charset.chars[len(init_charset.chars):])}"
                                             if charset != init_charset else ""))


def load_exported(folder: Path, cfg: ModelConfig, charset: Charset, device, option: str) -> tuple[dict, Charset]:
    """Exported weights (fp32 state dict) and their charset, for a run of this config and charset: the same
    model, over the same alphabet or one this run's extends (charset.ADDED)."""
    own, own_charset = ModelConfig.load(folder / "config.json"), Charset.load(folder / "charset.txt")
    if replace(own, width_scale=cfg.width_scale, num_classes=cfg.num_classes, charset_digest=cfg.charset_digest) != cfg \
            or not (own_charset == charset or extends(charset, own_charset)):
        sys.exit(f"{option} {folder}: its config.json/charset.txt differ from this run's")
    state = torch.load(folder / TORCH_FILE, map_location=device, weights_only=True)
    return {k: v.float() for k, v in state.items()}, own_charset


def load_teacher(folder: Path, cfg: ModelConfig, charset: Charset, device) -> CRNN:
    """Frozen exported weights whose readings a fine-tune is held to (--distil); their alphabet may lack the
    symbols added since (charset.ADDED), the run's first classes being theirs."""
    state_dict, own_charset = load_exported(folder, cfg, charset, device, "--distil")
    teacher = CRNN(replace(cfg, num_classes=own_charset.num_classes, charset_digest=own_charset.digest)).to(device)
    teacher.load_state_dict(state_dict)
    if device.type == "cpu":
        teacher = teacher.to(memory_format=torch.channels_last)
    return teacher.eval().requires_grad_(False)


def read_right(teacher_log_probs: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor,
               target_lengths: torch.Tensor) -> torch.Tensor:
    """(N,) bool: the lines whose greedy reading by the teacher is their label (class ids, CTC blank 0)."""
    best = teacher_log_probs.argmax(2).T.cpu().numpy()  # (N, T)
    labels = torch.split(targets.cpu(), target_lengths.cpu().tolist())
    right = [best_path(row[:n], np.ones(n))[0] == label.tolist()
             for row, n, label in zip(best, lengths.cpu().tolist(), labels)]
    return torch.tensor(right, dtype=torch.bool)


def distillation(log_probs: torch.Tensor, teacher_log_probs: torch.Tensor, lengths: torch.Tensor,
                 lines: torch.Tensor | None = None) -> torch.Tensor:
    """KL(teacher || student) per output column, averaged over the columns that hold the lines (not padding),
    of the lines chosen by `lines` ((N,) bool, default all): keeps a fine-tune reading what the teacher read
    where the CTC loss does not pull it elsewhere."""
    kl = (teacher_log_probs.exp() * (teacher_log_probs - log_probs)).sum(2)  # (T, N)
    mask = torch.arange(kl.shape[0], device=kl.device)[:, None] < lengths.to(kl.device)[None, :]
    if lines is not None:
        mask = mask & lines.to(kl.device)[None, :]
    return (kl * mask).sum() / mask.sum().clamp(min=1)


def _step(model, opt, ctc, batch, device, use_bf16: bool, teacher: CRNN | None = None,
          distil_weight: float = 0.0) -> tuple[float, int]:
    """One optimisation step on a batch; returns its loss and its number of lines."""
    x, lengths, targets, target_lengths = batch
    x = x.to(device)
    if device.type == "cpu":
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16 or device.type == "cuda"):
        logits = model(x)
        if teacher is not None:
            with torch.no_grad():
                teacher_logits = teacher(x)
    log_probs = logits.float().log_softmax(2)
    loss = ctc(log_probs, targets.to(device), lengths.to(device), target_lengths.to(device))
    if teacher is not None:  # over the teacher's classes (a grown run's new symbols are left to the CTC loss),
        # on the lines the teacher reads right: the rest are left to the CTC loss too, so that the run can
        # learn what the teacher misreads (low-resolution lines, marks it never saw) instead of being held to it
        n = teacher_logits.shape[2]
        ours = log_probs if n == log_probs.shape[2] else logits[..., :n].float().log_softmax(2)
        teacher_log_probs = teacher_logits.float().log_softmax(2)
        right = read_right(teacher_log_probs, lengths, targets, target_lengths)
        loss = loss + distil_weight * distillation(ours, teacher_log_probs, lengths, right)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return loss.item(), x.shape[0]


def _evaluate(evaluator, model, charset, cfg, opt, state: dict, losses: list[float], out: Path, log) -> None:
    """Measure, log a row, checkpoint last.pt, and best.pt when the key figure improved."""
    metrics = evaluator.run(model, charset, cfg.width_scale)
    state["metrics"] = metrics
    log.write(f"{state['step']}\t{state['seen']}\t{state['elapsed'] / 3600:.3f}\t{np.mean(losses[-200:]):.4f}\t"
              f"{opt.param_groups[0]['lr']:.2e}\t" + "\t".join(f"{v:.4f}" for v in metrics.values()) + "\n")
    log.flush()
    print("eval", {k: round(v, 4) for k, v in metrics.items()}, flush=True)
    save_checkpoint(out / "last.pt", model, opt, state)
    key = metrics.get("real_cjk", metrics["synth"])
    if key < state["best"]:
        state["best"] = key
        save_checkpoint(out / "best.pt", model, opt, state)


def train(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    charset, cfg = _run_files(out, args.init, args.width_scale)
    model = CRNN(cfg).to(device)
    if device.type == "cpu":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    state = {"step": 0, "seen": 0, "elapsed": 0.0, "best": float("inf"), "metrics": None}
    _start_from(model, opt, state, out, args.init, cfg, charset, device)
    print(f"model {count_parameters(model):,} parameters, {cfg.num_classes} classes, width x{cfg.width_scale:g}, "
          f"device {device}")
    teacher = load_teacher(Path(args.distil), cfg, charset, device) if args.distil else None
    evaluator = Evaluator(charset, n_synth=args.eval_synth, n_real_cjk=args.eval_real, n_real_num=args.eval_real // 2)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    loader = DataLoader(SynthStream(charset, args.batch, args.seed + state["step"], cfg, args.low_res, args.low_res_floor,
                                   args.neighbours), batch_size=None,
                        num_workers=args.workers, prefetch_factor=4 if args.workers else None,
                        # fork after OpenMP/OpenCV thread pools exist deadlocks: start workers fresh
                        multiprocessing_context="spawn" if args.workers else None)
    budget = args.hours * 3600
    log = open(out / "log.tsv", "a", encoding="utf-8")
    if log.tell() == 0:
        log.write("step\tseen\thours\tloss\tlr\t" + "\t".join(f"cer_{k}" for k in evaluator.sets) + "\n")
    t_last, t_eval, losses = time.time(), time.time(), []
    # bf16 autocast only where the CPU computes bf16 natively: emulated, a step took minutes here (2-core EPYC)
    use_bf16 = device.type == "cpu" and not args.fp32 and native_bf16()
    print(f"CNN in {'bfloat16' if use_bf16 else 'float32'} on {device}", flush=True)
    for batch in loader:
        for g in opt.param_groups:
            g["lr"] = lr_at(state["elapsed"] / budget, args.lr)
        loss, n = _step(model, opt, ctc, batch, device, use_bf16, teacher, args.distil_weight)
        losses.append(loss)
        now = time.time()
        state["elapsed"] += now - t_last
        t_last = now
        state["step"] += 1
        state["seen"] += n
        if state["step"] % 50 == 0:
            print(f"step {state['step']} seen {state['seen']} loss {np.mean(losses[-50:]):.3f} "
                  f"lr {opt.param_groups[0]['lr']:.2e} {state['elapsed'] / 3600:.2f}h", flush=True)
        done = state["elapsed"] >= budget or state["step"] >= args.max_steps
        if now - t_eval >= args.eval_minutes * 60 or done:
            _evaluate(evaluator, model, charset, cfg, opt, state, losses, out, log)
            t_eval = t_last = time.time()  # evaluation time does not count against the training budget
        if done:
            break
    log.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="train-ocr", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/ocr", help="run folder: checkpoints, log.tsv, config")
    p.add_argument("--hours", type=float, default=2.0, help="training time budget (drives the LR schedule)")
    p.add_argument("--max-steps", type=int, default=10**9)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=1, help="synthesis worker processes")
    p.add_argument("--eval-minutes", type=float, default=10.0)
    p.add_argument("--eval-synth", type=int, default=400)
    p.add_argument("--eval-real", type=int, default=300, help="real gov-dev lines with hanzi to measure on (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--low-res", type=float, default=augment.LOW_RES,
                   help="share of synthetic lines also scanned at low resolution (poor, fax-like scans)")
    p.add_argument("--low-res-floor", type=float, default=augment.LOW_RES_FLOOR,
                   help="the smallest scale of the fax-like half of those (share of the line's height)")
    p.add_argument("--neighbours", type=float, default=augment.NEIGHBOURS,
                   help="share of lines with the edge of the line above or below in the crop")
    p.add_argument("--fp32", action="store_true", help="no bf16 autocast on CPU")
    p.add_argument("--cpu", action="store_true", help="ignore CUDA")
    p.add_argument("--width-scale", type=float, default=None,
                   help="a new run's horizontal stretch of lines (ModelConfig.width_scale; default: that of --init, else 1)")
    p.add_argument("--distil", metavar="DIR", help="hold the run to these exported weights' readings "
                   "of the lines they read right (a KL term beside the CTC loss; e.g. the weights a fine-tune "
                   "starts from)")
    p.add_argument("--distil-weight", type=float, default=1.0, help="weight of the --distil term")
    p.add_argument("--init", metavar="DIR", help="start a new run from exported weights (e.g. archiver/ocr/weights)")
    p.add_argument("--export", metavar="DIR", help="export the run's best weights (fp16) to DIR and exit")
    p.add_argument("--which", default="best", choices=["best", "last"])
    p.add_argument("--onnx", metavar="DIR", help="(re)write DIR/crnn.onnx and DIR/crnn-int8.onnx from DIR/crnn.pt and exit")
    args = p.parse_args(argv)
    if args.onnx:
        export_onnx(Path(args.onnx))
    elif args.export:
        export(Path(args.out), Path(args.export), args.which)
    else:
        train(args)


if __name__ == "__main__":
    main()

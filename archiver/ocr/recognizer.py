"""Inference: load the committed weights once, read batches of line images sorted by width, decode
each line (CTC greedy, or a prefix beam search with the character language model `lm.npz` beside the
weights) with a confidence per line. The network runs on ONNX Runtime or PyTorch (engines.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archiver.errors import RecognizerUnavailable
from archiver.resources import WEIGHTS

from .beam import DEFAULT_LM_WEIGHT, beam_decode
from .charset import Charset
from .dates import DateReader
from .decode import greedy_decode
from .engines import DEFAULT_ENGINE, ENGINES, PRECISIONS, SECOND_BELOW, TORCH_FILE, OnnxNet, TorchNet
from .lm import CharLM
from .prep import MAX_WIDTH, TAIL, normalise, pad_batch
from .spec import ModelConfig

DEFAULT_WEIGHTS = WEIGHTS
LM_FILE = "lm.npz"  # the character language model, built by `python -m training.build_lm`
DECODERS = ("greedy", "beam")
BATCH_COLUMNS = 1024  # output columns per batch (x 6,959 classes x 4 bytes: 28 MB of probabilities)


# The numeral 一 is never written before an Arabic digit after a digit or a figure's unit (the corpus: no
# [0-9年月日号%]一[0-9]); the dash of a range (2021—2025年, 5—10人, 1月—3月) is, and in most faces it is drawn as
# 一 is, so the recogniser reads it as the hanzi: the context settles it.
_DASH_BETWEEN_DIGITS = re.compile(r"(?<=[0-9年月日号%])一(?=[0-9])")
RANGE_DASH = "—"


def settle_marks(text: str) -> str:
    """The reading with the marks its context settles: 一 between figures (2021一2025, 1月一3月) is a range's dash."""
    return _DASH_BETWEEN_DIGITS.sub(RANGE_DASH, text)


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float


def _check_files(folder: Path) -> None:
    missing = [n for n in (TORCH_FILE, "config.json", "charset.txt") if not (folder / n).is_file()]
    if missing:
        raise RecognizerUnavailable(f"no trained recogniser: {', '.join(missing)} missing in {folder}")


class Recognizer:
    """Reads text lines. Construct once; `read` is safe to call repeatedly."""

    def __init__(self, weights: Path = DEFAULT_WEIGHTS, threads: int = 2, batch_size: int = 32,
                 precision: str = "auto", decoder: str = "greedy", lm_weight: float = DEFAULT_LM_WEIGHT,
                 beam_width: int = 8, engine: str = DEFAULT_ENGINE, date_grammar: bool = True,
                 second: Path | None = None, second_below: float = SECOND_BELOW, lm: CharLM | None = None):
        weights = Path(weights)
        _check_files(weights)
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, got {decoder!r}")
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.lm = lm
        if decoder == "beam" and lm is None:
            if not (weights / LM_FILE).is_file():
                raise RecognizerUnavailable(f"ocr.decoder is beam but {weights / LM_FILE} is missing "
                                            f"(python -m training.build_lm builds it)")
            self.lm = CharLM.load(weights / LM_FILE)  # once per process
        self.decoder, self.lm_weight, self.beam_width = decoder, lm_weight, beam_width
        self.charset = Charset.load(weights / "charset.txt")
        self.config = ModelConfig.load(weights / "config.json")
        if self.config.charset_digest != self.charset.digest or self.config.num_classes != self.charset.num_classes:
            raise RecognizerUnavailable(
                f"recogniser weights in {weights} do not match their charset "
                f"(config {self.config.charset_digest}/{self.config.num_classes}, "
                f"charset {self.charset.digest}/{self.charset.num_classes})")
        self.engine = engine
        self.dates = DateReader(self.charset) if date_grammar else None  # date-shaped lines read as dates
        # precision applies to PyTorch only (ONNX Runtime runs the exported graph: fp32, or INT8 convolutions)
        self.net = TorchNet(weights, self.config, threads, precision) if engine == "torch" else OnnxNet(weights, threads, engine)
        self.batch_size = batch_size
        # the second reader: weights trained on small type scanned fax-like, for the lines this one reads unsure
        # (none below a threshold of 0: off)
        self.second, self.second_below = None, second_below
        if second is not None and second_below > 0:
            self.second = Recognizer(second, threads, batch_size, precision, decoder, lm_weight, beam_width, engine,
                                     date_grammar, lm=self.lm)

    def decode(self, probs: np.ndarray, length: int) -> tuple[list[int], float]:
        if self.decoder == "beam":
            return beam_decode(probs, self.charset, self.lm, length=length, beam=self.beam_width,
                               lm_weight=self.lm_weight)
        return greedy_decode(probs, length)

    def _batches(self, items: list[tuple[int, np.ndarray]]):
        """Runs of width-sorted lines, at most batch_size lines and BATCH_COLUMNS output columns each: the
        probabilities of a batch are lines x columns x classes floats (32 wide lines would be ~300 MB)."""
        chunk: list[tuple[int, np.ndarray]] = []
        for item in items:
            columns = (len(chunk) + 1) * -(-(item[1].shape[1] + TAIL) // self.config.stride)  # the widest is the last
            if chunk and (len(chunk) == self.batch_size or columns > BATCH_COLUMNS):
                yield chunk
                chunk = []
            chunk.append(item)
        if chunk:
            yield chunk

    def read(self, images: list[np.ndarray]) -> list[Reading]:
        """One Reading per line image (uint8 grey or RGB, ink dark). Unreadable crops read as empty."""
        out = [Reading("", 0.0)] * len(images)
        items: list[tuple[int, np.ndarray]] = []
        for i, img in enumerate(images):
            if img is None or img.ndim not in (2, 3) or img.shape[0] < 4 or img.shape[1] < 4:
                continue  # empty or degenerate crop: nothing to read
            x = normalise(img, self.config.width_scale)
            if x.shape[1] > MAX_WIDTH:
                x = x[:, :MAX_WIDTH]  # beyond ~128 characters the line is cut rather than exhausting memory
            items.append((i, x))
        items.sort(key=lambda t: t[1].shape[1])
        for chunk in self._batches(items):
            x, lengths = pad_batch([t[1] for t in chunk], self.config.stride)
            probs = self.net(x)
            for j, (i, _) in enumerate(chunk):
                ids, conf = self.decode(probs[j], int(lengths[j]))
                text = self.charset.decode(ids)
                if self.dates is not None:
                    text = self.dates.read(probs[j], int(lengths[j]), text) or text
                out[i] = Reading(settle_marks(text), conf)
        if self.second is not None:
            self._read_again(images, out)
        return out

    def _read_again(self, images: list[np.ndarray], out: list[Reading]) -> None:
        """The lines read with a confidence below second_below are read by the second weights, and their text
        stands, not the surer of the two: the two weights' confidences are not on one scale (at bench.ocr's
        poor level the second is the less sure on a third of the lines it reads better). The confidence stays
        the first reading's, the scale ocr.low_confidence and ocr.min_confidence are set on."""
        unsure = [i for i, r in enumerate(out) if r.confidence < self.second_below]
        for i, again in zip(unsure, self.second.read([images[i] for i in unsure])):
            out[i] = Reading(again.text, out[i].confidence)

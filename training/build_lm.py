"""Build the character n-gram language model used by the CTC beam decoder (archiver/ocr/lm.py).

    python -m training.build_lm --out archiver/ocr/weights/lm.npz

Text: the official-register corpus (../shared/data/corpus/*.txt.gz, one paragraph a line), folded
as the recogniser's labels are (charset.fold: whitespace dropped, full-width letters and digits to
ASCII), plus lines drawn from training.textgen.TextSource (发文字号, dates, amounts, phone
numbers, headings, repeated digits, 公文 lines) so that numbers and their surroundings are modelled.
Nothing under ../shared/data/gov-dev or ../shared/data/gongwen-real is read: those are for measuring.

Model: interpolated modified Kneser-Ney (continuation counts below the top order, three discounts
per order from the count-of-counts), estimated on the full counts, then pruned by raw count (an
n-gram of order n is kept when it was seen at least prune[n] times; thresholds never decrease with
the order, so every kept n-gram's prefix and suffix are kept too) and the back-off weights
renormalised over what is kept. Stored as natural-log probabilities in a back-off (ARPA-like)
layout, see archiver/ocr/lm.py for the file format. Characters outside the charset break the text
(no n-gram spans them); paragraph and line starts are not modelled (a recognised line is usually a
wrapped piece of a sentence), so the empty context means the unigram distribution.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

from archiver.ocr.charset import Charset, fold

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpus"
CHARSET = ROOT / "archiver" / "ocr" / "weights" / "charset.txt"
FORBIDDEN = ("gov-dev", "gongwen-real")  # evaluation data: never train on it

# How many lines each TextSource method contributes (about 400,000 draws in all).
GENERATED = {"doc_number": 30_000, "date": 50_000, "amount": 80_000, "phone": 30_000,
             "heading": 40_000, "repeated_digits": 80_000, "gongwen": 90_000}


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def corpus_paragraphs(folder: Path, sample: float, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for path in sorted(folder.glob("*.txt.gz")):
        if any(f in str(path.resolve()) for f in FORBIDDEN):
            raise SystemExit(f"refusing to train on evaluation data: {path}")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if sample < 1.0 and rng.random() >= sample:
                    continue
                line = fold(line)
                if len(line) >= 2:
                    out.append(line)
    return out


def generated_lines(charset: Charset, scale: float) -> list[str]:
    from training.textgen import TextSource

    src = TextSource(charset, seed=7, corpus=[])
    out: list[str] = []
    for name, n in GENERATED.items():
        fn = getattr(src, name)
        for _ in range(int(n * scale)):
            out.append(fold(fn()))
    return out


def encode(texts: list[str], charset: Charset) -> tuple[np.ndarray, str]:
    """All texts as one id array, 0 between texts and wherever a character is outside the charset.
    Returns the ids and the model's vocabulary (id i is vocab[i - 1]), most frequent first."""
    joined = "\n".join(texts)
    cps = np.frombuffer(("\n" + joined + "\n").encode("utf-32-le"), dtype=np.uint32)
    in_cs = np.zeros(0x110000, dtype=bool)
    for ch in charset.chars:
        in_cs[ord(ch)] = True
    cps = np.where(in_cs[cps], cps, 0)
    uniq, counts = np.unique(cps[cps > 0], return_counts=True)
    order = np.argsort(-counts, kind="stable")
    vocab_cps = uniq[order]
    table = np.zeros(0x110000, dtype=np.int32)
    table[vocab_cps] = np.arange(1, len(vocab_cps) + 1, dtype=np.int32)
    ids = table[cps]
    return ids, "".join(chr(int(c)) for c in vocab_cps)


def window_keys(ids: np.ndarray, n: int, V: int, allow_first_sep: bool = False) -> np.ndarray:
    """Base-V keys of every length-n window free of separators (the first element may be one
    when allow_first_sep)."""
    L = len(ids)
    if L < n:
        return np.zeros(0, dtype=np.uint64)
    sep = np.concatenate([[0], np.cumsum(ids == 0)])
    lo = 1 if allow_first_sep else 0
    ok = (sep[n:L + 1] - sep[lo:L - n + 1 + lo]) == 0
    starts = np.nonzero(ok)[0]
    key = np.zeros(len(starts), dtype=np.uint64)
    Vu = np.uint64(V)
    for j in range(n):
        key = key * Vu + ids[starts + j].astype(np.uint64)
    return key


def discounts(counts: np.ndarray) -> tuple[float, float, float]:
    n = [int(np.sum(counts == k)) for k in (1, 2, 3, 4)]
    if min(n) == 0:
        return 0.5, 1.0, 1.5
    y = n[0] / (n[0] + 2 * n[1])
    d1 = 1 - 2 * y * n[1] / n[0]
    d2 = 2 - 3 * y * n[2] / n[1]
    d3 = 3 - 4 * y * n[3] / n[2]
    return max(d1, 0.05), max(d2, 0.05), max(d3, 0.05)


def build(ids: np.ndarray, V: int, order: int, prune: list[int], log=print) -> dict:
    """Interpolated modified Kneser-Ney, pruned; returns per-order sorted keys, ln p and ln bow."""
    Vu = np.uint64(V)
    tables = []  # per order: dict(keys, lp, bow)
    for n in range(1, order + 1):
        t0 = time.time()
        keys, raw = np.unique(window_keys(ids, n, V), return_counts=True)
        if n < order:  # continuation counts: distinct left neighbours (a text start counts as one)
            ext = np.unique(window_keys(ids, n + 1, V, allow_first_sep=True))
            suffix = ext % (Vu ** np.uint64(n))
            sk, cont = np.unique(suffix, return_counts=True)
            assert np.array_equal(sk, keys), "every n-gram has a left neighbour"
            del ext, suffix, sk
            c = cont
        else:
            c = raw
        d1, d2, d3 = discounts(c)
        disc = np.where(c == 1, d1, np.where(c == 2, d2, d3))
        if n == 1:
            S = c.sum()
            gamma = (d1 * np.sum(c == 1) + d2 * np.sum(c == 2) + d3 * np.sum(c >= 3)) / S
            p = (c - disc) / S + gamma / V  # V - 1 seen characters and <unk> share the uniform part
            unk_lp = float(np.log(gamma / V))
            keep = np.ones(len(keys), dtype=bool)
            kept_keys, kept_p = keys, p
        else:
            ctx = keys // Vu
            starts = np.concatenate([[0], np.nonzero(ctx[1:] != ctx[:-1])[0] + 1])
            group = np.repeat(np.arange(len(starts)), np.diff(np.concatenate([starts, [len(keys)]])))
            S = np.add.reduceat(c, starts).astype(np.float64)
            gam = (d1 * np.add.reduceat((c == 1).astype(np.int64), starts)
                   + d2 * np.add.reduceat((c == 2).astype(np.int64), starts)
                   + d3 * np.add.reduceat((c >= 3).astype(np.int64), starts)) / S
            keep = raw >= prune[n - 1]
            kk = keys[keep]
            g = group[keep]
            lower = tables[-1]
            suf = kk % (Vu ** np.uint64(n - 1))
            pos = np.searchsorted(lower["keys"], suf)
            assert np.all(lower["keys"][pos] == suf), "suffix closure"
            p_low = np.exp(lower["lp"][pos])
            kept_p = (c[keep] - disc[keep]) / S[g] + gam[g] * p_low
            kept_keys = kk
            # back-off weights of the contexts (order n-1 entries), renormalised over kept n-grams
            kctx = kk // Vu
            cpos = np.searchsorted(lower["keys"], kctx)
            assert np.all(lower["keys"][cpos] == kctx), "prefix closure"
            sum_p = np.bincount(cpos, weights=kept_p, minlength=len(lower["keys"]))
            sum_low = np.bincount(cpos, weights=p_low, minlength=len(lower["keys"]))
            num = np.clip(1.0 - sum_p, 1e-12, None)
            den = np.clip(1.0 - sum_low, 1e-12, None)
            lower["bow"] = np.where(sum_p > 0, np.log(num) - np.log(den), 0.0)
        tables.append({"keys": kept_keys, "lp": np.log(kept_p), "bow": np.zeros(len(kept_keys))})
        log(f"  order {n}: {len(keys):,} n-grams, {int(keep.sum()):,} kept (count >= {prune[n - 1]}), "
            f"D = {d1:.3f}/{d2:.3f}/{d3:.3f}, {time.time() - t0:.1f} s")
        del keys, raw, c
    return {"tables": tables, "unk_lp": unk_lp}


def save(path: Path, model: dict, vocab: str, meta: dict) -> None:
    """File layout: per order n, ch{n} (uint16 last character id), dpar{n} (uint32 step of the index of
    the prefix in order n-1, so entries sorted by key), lp{n} (float16 ln p), bow{n} (float16 ln
    back-off weight, orders < max); vocab (the characters, id = position + 1); meta (JSON)."""
    arrays: dict[str, np.ndarray] = {}
    tables = model["tables"]
    V = len(vocab) + 1
    Vu = np.uint64(V)
    for n, t in enumerate(tables, start=1):
        keys = t["keys"]
        arrays[f"ch{n}"] = (keys % Vu).astype(np.uint16)
        if n > 1:
            par = np.searchsorted(tables[n - 2]["keys"], keys // Vu)
            arrays[f"dpar{n}"] = np.diff(np.concatenate([[0], par])).astype(np.uint32)
        arrays[f"lp{n}"] = t["lp"].astype(np.float16)
        if n < len(tables):
            arrays[f"bow{n}"] = t["bow"].astype(np.float16)
    arrays["vocab"] = np.array(vocab)
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def evaluate(lm, texts: list[str]) -> tuple[float, float, float]:
    """Per-character perplexity on held-out text, and the mean cost (-ln p) of a hanzi."""
    tot, n, cjk_tot, cjk_n = 0.0, 0, 0.0, 0
    for text in texts:
        for i, ch in enumerate(text):
            s = lm.score(text[max(0, i - lm.order + 1):i], ch)
            tot += s
            n += 1
            if is_cjk(ch):
                cjk_tot += s
                cjk_n += 1
    return float(np.exp(-tot / max(n, 1))), -cjk_tot / max(cjk_n, 1), float(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "archiver" / "ocr" / "weights" / "lm.npz")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--prune", default="1,2,2,3,3",
                    help="minimum raw count per order, comma-separated, non-decreasing")
    ap.add_argument("--sample", type=float, default=1.0, help="fraction of corpus paragraphs used")
    ap.add_argument("--gen-scale", type=float, default=1.0, help="scale the generated line counts")
    ap.add_argument("--heldout-every", type=int, default=200,
                    help="every k-th corpus paragraph is held out to measure perplexity")
    args = ap.parse_args(argv)
    prune = [int(x) for x in args.prune.split(",")]
    if len(prune) != args.order or any(b < a for a, b in zip(prune, prune[1:])):
        ap.error("--prune needs one non-decreasing threshold per order")
    t_start = time.time()
    charset = Charset.load(CHARSET)
    paras = corpus_paragraphs(args.corpus, args.sample, seed=7)
    if not paras:
        raise SystemExit(f"no corpus text under {args.corpus}")
    heldout = paras[::args.heldout_every]
    train = [p for i, p in enumerate(paras) if i % args.heldout_every]
    print(f"corpus: {len(train):,} paragraphs, {sum(map(len, train)):,} characters "
          f"({len(heldout):,} held out), {time.time() - t_start:.0f} s")
    gen = generated_lines(charset, args.gen_scale)
    print(f"generated: {len(gen):,} lines, {sum(map(len, gen)):,} characters, {time.time() - t_start:.0f} s")
    ids, vocab = encode(train + gen, charset)
    V = len(vocab) + 1
    if V ** args.order >= 2 ** 64:
        raise SystemExit(f"vocabulary of {V} too large for order {args.order} keys")
    print(f"vocabulary: {len(vocab):,} characters; {len(ids):,} positions")
    model = build(ids, V, args.order, prune)
    del ids
    counts = [len(t["keys"]) for t in model["tables"]]
    meta = {"order": args.order, "prune": prune, "V": V, "unk_lp": model["unk_lp"], "counts": counts,
            "train_chars": sum(map(len, train)) + sum(map(len, gen)), "log": "ln",
            "sources": [p.name for p in sorted(args.corpus.glob("*.txt.gz"))] + ["textgen(seed=7)"]}
    save(args.out, model, vocab, meta)
    # measure on held-out paragraphs, then store the mean hanzi cost (default insertion bonus scale)
    from archiver.ocr.lm import CharLM

    lm = CharLM.from_file(args.out)
    ppl, cjk_cost, n = evaluate(lm, heldout[:2000])
    meta.update({"heldout_ppl": round(ppl, 3), "cjk_mean_cost": round(cjk_cost, 4), "heldout_chars": int(n)})
    save(args.out, model, vocab, meta)
    size = args.out.stat().st_size
    print(f"held-out: perplexity {ppl:.2f} per character, mean hanzi cost {cjk_cost:.3f} nats "
          f"({int(n):,} characters)")
    print(f"wrote {args.out}: {size / 1e6:.2f} MB, order {args.order}, n-grams per order "
          f"{', '.join(f'{c:,}' for c in counts)} (total {sum(counts):,}), {time.time() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

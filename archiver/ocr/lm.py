"""Character n-gram language model for CTC beam decoding (runtime only: numpy and the standard library).

The model is built by `python -m training.build_lm` (interpolated modified Kneser-Ney over the
official-register corpus plus generated numeric lines, pruned by count, back-off weights
renormalised over what was kept). All scores are natural logarithms.

File (np.savez_compressed): `vocab` (the characters; id i is vocab[i - 1], id 0 means unknown), `meta`
(JSON: order, V = len(vocab) + 1, unk_lp, counts, cjk_mean_cost, ...), and per order n: `ch{n}` (the
last character's id), `dpar{n}` (n > 1: step of the index of the (n-1)-gram prefix), `lp{n}` (ln p of
the last character given the others) and `bow{n}` (n < order: ln back-off weight of the n-gram used as
a context). An n-gram's key is its ids read as a base-V number (ids start at 1, so keys of different
orders never collide); at load each order is rebuilt as a sorted uint64 key array (orders 2..N concatenated, which keeps them sorted) with
ln p and ln back-off arrays, 16 bytes an n-gram in memory, looked up with np.searchsorted, in batches
(`score_hist`, what the beam decoder uses) or one at a time (`score`).

A context is carried as its "history": a tuple of order-1 keys, entry j the key of the context's last
j+1 characters, 0 where the context is shorter or was cut by an unknown character. `extend` appends a
character to a history in O(order) integer operations.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from archiver.resources import WEIGHTS

DEFAULT_LM = WEIGHTS / "lm.npz"


class CharLM:
    """Back-off character n-gram model; `score` is ln P(ch | last order-1 characters of context)."""

    def __init__(self, vocab: str, order: int, keys: list[np.ndarray], lp: list[np.ndarray],
                 bow: list[np.ndarray], unk_lp: float, meta: dict | None = None):
        """keys[n-1], lp[n-1]: the sorted keys and ln p of order n; bow[n-1] (n < order): ln back-off."""
        self.vocab = vocab
        self.order = order
        self.V = len(vocab) + 1
        self.ids = {ch: i + 1 for i, ch in enumerate(vocab)}
        self.unk_lp = float(unk_lp)
        self.meta = meta or {}
        # mean -ln p of a hanzi on held-out text: the scale of the default per-hanzi insertion bonus
        self.cjk_mean_cost = float(self.meta.get("cjk_mean_cost", 3.0))
        self.counts = [len(k) for k in keys]
        # unigrams indexed directly by id (id 0 = <unk>)
        u = keys[0].astype(np.int64)
        self._lp1 = np.full(self.V, self.unk_lp, dtype=np.float64)
        self._lp1[u] = lp[0]
        self._bow1 = np.zeros(self.V, dtype=np.float64)
        if order > 1:
            self._bow1[u] = bow[0]
        # orders 2..N in one sorted array: a key of order n lies in [V^(n-1), V^n), so the
        # concatenation in order is sorted already
        if order > 1:
            self._keys = np.concatenate(keys[1:])
            self._lp = np.concatenate(lp[1:]).astype(np.float32)
            self._bow = np.concatenate(bow[1:] + [np.zeros(len(keys[-1]), dtype=np.float32)]).astype(np.float32)
        else:
            self._keys = np.zeros(1, dtype=np.uint64)
            self._lp = self._bow = np.zeros(1, dtype=np.float32)
        self._last = len(self._keys) - 1
        self._Vu = np.uint64(self.V)
        self.empty_hist: tuple[int, ...] = (0,) * (order - 1)

    # --- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str = DEFAULT_LM) -> "CharLM":
        """The model in `path`, loaded once per process (cached on the resolved path)."""
        return _load_cached(str(Path(path).resolve()))

    @classmethod
    def from_file(cls, path: Path | str) -> "CharLM":
        """Read `path` now, bypassing the cache."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            vocab = str(z["vocab"])
            order = int(meta["order"])
            Vu = np.uint64(len(vocab) + 1)
            keys, lp, bow = [], [], []
            for n in range(1, order + 1):
                ch = z[f"ch{n}"].astype(np.uint64)
                if n == 1:
                    k = ch
                else:
                    par = np.cumsum(z[f"dpar{n}"].astype(np.int64))
                    k = keys[-1][par] * Vu + ch
                keys.append(k)
                lp.append(z[f"lp{n}"].astype(np.float32))
                if n < order:
                    bow.append(z[f"bow{n}"].astype(np.float32))
        return cls(vocab, order, keys, lp, bow, meta["unk_lp"], meta)

    # --- histories ------------------------------------------------------------------------
    def char_id(self, ch: str) -> int:
        """The model's id of a character, 0 when the model has never seen it (<unk>)."""
        return self.ids.get(ch, 0)

    def extend(self, hist: tuple[int, ...], w: int) -> tuple[int, ...]:
        """The history after appending id w (0, unknown, cuts the context)."""
        if w == 0 or self.order == 1:
            return self.empty_hist
        V = self.V
        return (w,) + tuple(h * V + w if h else 0 for h in hist[:-1])

    def history(self, context: str) -> tuple[int, ...]:
        h = self.empty_hist
        for c in context[-(self.order - 1):] if self.order > 1 else "":
            h = self.extend(h, self.ids.get(c, 0))
        return h

    # --- scoring --------------------------------------------------------------------------
    def score_hist(self, hists, ws) -> np.ndarray:
        """ln P(w | history) for parallel sequences of histories and ids, vectorised: every
        context length is looked up at once, then the longest hit plus the back-off weights of the
        longer contexts that missed."""
        ws = np.asarray(ws, dtype=np.int64).reshape(-1)
        B = len(ws)
        if B == 0:
            return np.zeros(0, dtype=np.float64)
        lp1 = self._lp1[ws]
        if self.order == 1:
            return lp1
        H = np.asarray(hists, dtype=np.uint64).reshape(B, self.order - 1)
        valid = H > 0
        ng = H * self._Vu + ws.astype(np.uint64)[:, None]
        keys = self._keys
        pos = np.minimum(keys.searchsorted(ng), self._last)
        found = (keys[pos] == ng) & valid
        cpos = np.minimum(keys.searchsorted(H), self._last)
        ctx_hit = (keys[cpos] == H) & valid
        bows = np.where(ctx_hit, self._bow[cpos], 0.0)
        bows[:, 0] = np.where(valid[:, 0], self._bow1[H[:, 0].astype(np.int64)], 0.0)
        # column j is the context of length j+1; tail[:, j] = sum of bows of contexts longer than j
        tail = np.zeros_like(bows)
        tail[:, :-1] = np.cumsum(bows[:, :0:-1], axis=1)[:, ::-1]
        any_hit = found.any(axis=1)
        j = (self.order - 2) - found[:, ::-1].argmax(axis=1)
        rows = np.arange(B)
        hit_score = self._lp[pos[rows, j]] + tail[rows, j]
        back_score = lp1 + bows.sum(axis=1)
        out = np.where(any_hit, hit_score, back_score)
        out[ws == 0] = self.unk_lp
        return out

    def score_one(self, hist: tuple[int, ...], w: int) -> float:
        """ln P(w | history) for one pair (scalar lookups, no array building)."""
        if w == 0:
            return self.unk_lp
        V = self.V
        keys = self._keys
        acc = 0.0
        for L in range(self.order - 1, 0, -1):
            h = hist[L - 1]
            if not h:
                continue
            k = np.uint64(h * V + w)
            pos = int(keys.searchsorted(k))
            if pos <= self._last and keys[pos] == k:
                return acc + float(self._lp[pos])
            if L == 1:
                acc += float(self._bow1[h])
            else:
                hu = np.uint64(h)
                p2 = int(keys.searchsorted(hu))
                if p2 <= self._last and keys[p2] == hu:
                    acc += float(self._bow[p2])
        return acc + float(self._lp1[w])

    def score_ids(self, ctx, w: int) -> float:
        """ln P(w | ctx) with ids, ctx's most recent id last."""
        h = self.empty_hist
        for c in list(ctx)[-(self.order - 1):] if self.order > 1 else []:
            h = self.extend(h, int(c))
        return self.score_one(h, int(w))

    def score(self, context: str, ch: str) -> float:
        """ln P(ch | context): only the last order-1 characters of context count; a character the
        model does not know gets the <unk> floor (and, inside the context, cuts it there)."""
        return self.score_one(self.history(context), self.ids.get(ch, 0))

    def sentence_logprob(self, text: str) -> float:
        """Sum of ln P over the characters of text (folded, whitespace dropped); the first
        character is scored with an empty context (a line is not assumed to start a sentence)."""
        from .charset import fold

        ids = [self.ids.get(c, 0) for c in fold(text)]
        hists = []
        h = self.empty_hist
        for w in ids:
            hists.append(h)
            h = self.extend(h, w)
        return float(self.score_hist(hists, ids).sum()) if ids else 0.0

    @property
    def num_ngrams(self) -> int:
        return sum(self.counts)

    def __repr__(self) -> str:
        return f"CharLM(order={self.order}, vocab={len(self.vocab)}, ngrams={self.num_ngrams})"


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> CharLM:
    return CharLM.from_file(path)

"""Text normalisation and hashed word + character n-gram features, vectorised with numpy.

A whole batch is normalised as one string (regexes run once, in C) and its n-grams are
hashed with a polynomial rolling hash over code points, so featurising needs no Python loop
per text. The hash is defined here, not by a library, so a saved model stays valid across
numpy, scipy and scikit-learn versions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# Links as posted, and as SentiMix tokenised them: "https // t . co / xyz".
_URL = re.compile(
    r"https?[ \t]*:?[ \t]*//[ \t]*(?:t[ \t]*\.[ \t]*co|tco)[ \t]*/[ \t]*[^\s]+"
    r"|https?://[^\s]+|www\.[^\s]+"
)
# With mention_names=False, mentions become "@user" as in TweetEval ("@name", "@name@host",
# SentiMix's "@ name"); tried in 2026-11, not shipped (docs/models.md).
_MENTION = re.compile(r"(?<![\w@])@ ?\w+(?:@[\w.-]*\w)?")
_MENTION_SPLIT = re.compile(r"@ (?=\w)")  # SentiMix splits "@name" into "@ name"
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_REPEAT = re.compile(r"([^\n])\1{2,}")  # "soooo" -> "sooo"

_U64 = np.uint64
_BASE = _U64(0x100000001B3)  # odd, so invertible modulo 2**64
_BASE_INV = _U64(pow(int(_BASE), -1, 2**64))
_MASK = (1 << 64) - 1
_NL = 10  # "\n" separates texts in a batch
_VOWELS = np.frombuffer("aeiou".encode("utf-32-le"), dtype=np.uint32)


@dataclass(frozen=True)
class FeatureConfig:
    """How texts become hashed features; saved with the model. n_features is a power of 2."""

    n_features: int = 2**20
    char_min: int = 1
    char_max: int = 5
    word_ngrams: int = 2
    skeleton: bool = False  # also hash each word without inner vowels or doubled letters
    mention_names: bool = True  # keep "@name" as a token; False: every mention is "@user"


def normalise(texts: list[str], mention_names: bool = True) -> str:
    """Return the batch as one lower-cased string, texts separated by newlines."""
    joined = "\n".join(t.replace("\n", " ") for t in texts)
    if "\\u" in joined:
        joined = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), joined)
    joined = _URL.sub(" http ", joined)
    if mention_names:
        joined = _MENTION_SPLIT.sub("@", joined)
    else:
        joined = _MENTION.sub("@user", joined)
    joined = joined.lower()
    joined = _REPEAT.sub(r"\1\1\1", joined)
    return _SPACE.sub(" ", joined)


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """Class of each BMP code point: 0 space, 1 word character, 2 symbol, 3 newline."""
    table = np.full(0x10000, 2, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M":
            table[cp] = 1
        elif ch.isspace():
            table[cp] = 0
    table[_NL] = 3
    return table


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads polynomial hashes over all bits."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _skeleton(cps: np.ndarray) -> np.ndarray:
    """Drop vowels that follow a letter, then doubled letters: "bahut" -> "bht"."""
    letter = ((cps >= 97) & (cps <= 122)) | ((cps >= 0xC0) & (cps < 0x2000))
    prev_letter = np.concatenate([[False], letter[:-1]])
    cps = cps[~(np.isin(cps, _VOWELS) & prev_letter)]
    letter = ((cps >= 97) & (cps <= 122)) | ((cps >= 0xC0) & (cps < 0x2000))
    doubled = np.concatenate([[False], (cps[1:] == cps[:-1]) & letter[1:]])
    return cps[~doubled]


class _Batch:
    """A batch as code points with prefix hashes, so any span hashes in O(1)."""

    def __init__(self, cps: np.ndarray) -> None:
        self.cps = cps
        n = len(cps)
        with np.errstate(over="ignore"):
            powers = np.full(n + 1, _BASE, dtype=_U64)
            powers[0] = 1
            powers = np.cumprod(powers, dtype=_U64)
            inv_powers = np.full(n + 1, _BASE_INV, dtype=_U64)
            inv_powers[0] = 1
            self.inv_powers = np.cumprod(inv_powers, dtype=_U64)
            self.prefix = np.zeros(n + 1, dtype=_U64)
            self.prefix[1:] = np.cumsum((cps.astype(_U64) + _U64(1)) * powers[:n], dtype=_U64)
        self.newline = cps == _NL
        self.doc_of = np.cumsum(self.newline) - 1  # text of each position (-1 before the first)

    def span_hash(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (self.prefix[end] - self.prefix[start]) * self.inv_powers[start]

    def tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """Word tokens: runs of word characters (with a leading # or @), or one symbol.

        Returns (text index, hash) of each token in order.
        """
        cps = self.cps
        table = _word_table()
        kind = np.where(cps < 0x10000, table[np.minimum(cps, 0xFFFF)], 2).astype(np.int8)
        word = kind == 1
        prev_word = np.concatenate([[False], word[:-1]])
        next_word = np.concatenate([word[1:], [False]])
        starts = np.flatnonzero(word & ~prev_word)
        ends = np.flatnonzero(word & ~next_word) + 1
        sigil = np.isin(cps, (35, 64))  # "#", "@"
        prefixed = (starts > 0) & sigil[np.maximum(starts - 1, 0)]
        starts = np.where(prefixed, starts - 1, starts)
        symbols = np.flatnonzero(((kind == 2) & ~sigil) | (sigil & ~next_word))
        tok_start = np.concatenate([starts, symbols])
        tok_end = np.concatenate([ends, symbols + 1])
        order = np.argsort(tok_start, kind="stable")
        tok_start, tok_end = tok_start[order], tok_end[order]
        with np.errstate(over="ignore"):
            return self.doc_of[tok_start], _mix(
                self.span_hash(tok_start, tok_end) ^ _U64(0x5BD1E995)
            )


def token_hashes(words: list[str]) -> np.ndarray:
    """Hash of each word as the featuriser hashes a token (0 if it is not one token)."""
    batch = _Batch(_code_points("\n" + normalise(words) + "\n"))
    doc, h = batch.tokens()
    out = np.zeros(len(words), dtype=_U64)
    counts = np.bincount(doc[(doc >= 0) & (doc < len(words))], minlength=len(words))
    single = np.flatnonzero(counts == 1)
    index = {int(d): i for i, d in enumerate(doc)}
    for d in single:
        out[d] = h[index[int(d)]]
    return out


@dataclass(frozen=True)
class Lexicon:
    """Sorted token hashes with a class each: 1-4 sentiment strength, NEGATOR for negations."""

    hashes: np.ndarray  # uint64, sorted
    classes: np.ndarray  # uint8

    NEGATOR = 255


def hashed_ngrams(
    texts: list[str], config: FeatureConfig, lexicon: Lexicon | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (row, column) of every n-gram occurrence; row indexes `texts`.

    With a lexicon, each lexicon word also adds a feature for its class (negated when the
    token before it is a negation), so words rare in training still carry their polarity.
    """
    batch = _Batch(_code_points("\n" + normalise(texts, config.mention_names) + "\n"))
    n = len(batch.cps)
    newline, doc_of = batch.newline, batch.doc_of
    nl_prefix = np.concatenate([[0], np.cumsum(newline)])
    rows, cols = [], []
    with np.errstate(over="ignore"):
        # Character n-grams; a newline may only stand at an edge, as a boundary marker.
        for size in range(config.char_min, config.char_max + 1):
            start = np.arange(0, n - size + 1)
            end = start + size
            if size == 1:
                keep = ~newline
            elif size == 2:
                keep = ~(newline[start] & newline[start + 1])
            else:
                keep = nl_prefix[end - 1] == nl_prefix[start + 1]
            start, end = start[keep], end[keep]
            rows.append(doc_of[start])
            cols.append(batch.span_hash(start, end) + _U64(size))

        tok_doc, tok_hash = batch.tokens()
        rows.append(tok_doc)
        cols.append(tok_hash)
        for size in range(2, config.word_ngrams + 1):
            if len(tok_hash) < size:
                break
            same = tok_doc[size - 1 :] == tok_doc[: len(tok_doc) - size + 1]
            h = tok_hash[: len(tok_hash) - size + 1].copy()
            for k in range(1, size):
                h = _mix(h * _U64(31) + tok_hash[k : len(tok_hash) - size + 1 + k])
            rows.append(tok_doc[: len(tok_doc) - size + 1][same])
            cols.append(h[same] + _U64(size))

        if config.skeleton:
            # Hinglish spells by ear: "bahut", "bhut" and "bahot" share the skeleton "bht".
            skel_doc, skel_hash = _Batch(_skeleton(batch.cps)).tokens()
            rows.append(skel_doc)
            cols.append(skel_hash ^ _U64(0x5E1E70))

        if lexicon is not None and len(tok_hash) and len(lexicon.hashes):
            at = np.minimum(np.searchsorted(lexicon.hashes, tok_hash), len(lexicon.hashes) - 1)
            hit = lexicon.hashes[at] == tok_hash
            cls = np.where(hit, lexicon.classes[at], 0).astype(_U64)
            negator = cls == Lexicon.NEGATOR
            negated = np.zeros(len(tok_hash), dtype=bool)
            negated[1:] = negator[:-1] & (tok_doc[1:] == tok_doc[:-1])
            polar = hit & ~negator
            rows.append(tok_doc[polar])
            cols.append(_U64(0xC0FFEE) + cls[polar] + _U64(16) * negated[polar])

        row = np.concatenate(rows)
        col = np.concatenate(cols)
        # Fibonacci hashing: the top bits of an odd multiple index the feature table.
        shift = _U64(64 - (config.n_features.bit_length() - 1))
        col = ((col * _U64(0x9E3779B97F4A7C15)) >> shift).astype(np.int64)
    valid = (row >= 0) & (row < len(texts))
    return row[valid].astype(np.int64), col[valid]


def tf_triples(
    texts: list[str], config: FeatureConfig, lexicon: Lexicon | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (row, column, sublinear term frequency) with one entry per distinct pair."""
    row, col = hashed_ngrams(texts, config, lexicon)
    keys, counts = np.unique(row * config.n_features + col, return_counts=True)
    return keys // config.n_features, keys % config.n_features, 1.0 + np.log(counts)

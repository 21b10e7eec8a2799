"""Sentiment word lists for the lexicon features, used at training time.

English valences come from VADER's lexicon (vaderSentiment, MIT licence), read from the
installed wheel; Hinglish words are a small hand-written list. Training stores only the
hashes and classes in the model file, so inference needs neither.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from chaupal.insights.sentiment.features import Lexicon, token_hashes

# Romanised Hindi as posted, with the common spellings; 2 = strong.
HINGLISH_POSITIVE = {
    "accha": 1, "acha": 1, "achha": 1, "acchi": 1, "achi": 1, "achhi": 1, "acche": 1,
    "ache": 1, "achhe": 1, "badhiya": 2, "badiya": 2, "badhia": 2, "shandar": 2,
    "shaandar": 2, "zabardast": 2, "jabardast": 2, "behtareen": 2, "behtarin": 2,
    "shabash": 2, "dhanyavad": 2, "dhanyawad": 2, "dhanyavaad": 2, "shukriya": 2,
    "badhai": 2, "badhaai": 2, "mubarak": 2, "shubhkamnaye": 2, "shubhkamnayen": 2,
    "khush": 1, "khushi": 1, "pyar": 1, "pyaar": 1, "sundar": 1, "khubsurat": 2,
    "mast": 1, "sahi": 1, "jai": 1, "jay": 1, "garv": 1, "saras": 1, "sneh": 1,
    "safal": 1, "safalta": 1, "vikas": 1, "umeed": 1, "ummid": 1, "aashirwad": 1,
    "pasand": 1, "maza": 1, "mazaa": 1, "wah": 2, "waah": 2, "salaam": 1, "salam": 1,
    "sukh": 1, "shanti": 1, "dil": 1, "sammaan": 1, "samman": 1, "imandar": 1,
}  # fmt: skip
HINGLISH_NEGATIVE = {
    "bekar": 2, "bekaar": 2, "bakwas": 2, "bakwaas": 2, "ghatiya": 2, "chor": 2,
    "chorr": 2, "sharam": 2, "sharm": 2, "sharmnak": 2, "sharmanak": 2, "besharam": 2,
    "jhooth": 2, "jhoot": 2, "jhuth": 2, "jhootha": 2, "jhutha": 2, "galat": 1,
    "bura": 1, "buri": 1, "bure": 1, "ganda": 1, "gandi": 1, "gande": 1, "pagal": 1,
    "murkh": 2, "moorkh": 2, "nafrat": 2, "gussa": 1, "dukh": 1, "dukhi": 1,
    "barbad": 2, "barbaad": 2, "kharab": 1, "kharaab": 1, "bhrasht": 2,
    "bhrashtachar": 2, "dhokha": 2, "dhoka": 2, "gaddar": 2, "gadar": 2, "kutta": 2,
    "kutte": 2, "saala": 2, "sala": 1, "chutiya": 2, "chutiye": 2, "harami": 2,
    "bewakoof": 2, "bevkoof": 2, "bewakuf": 2, "nalayak": 2, "naalayak": 2,
    "andh": 1, "andhbhakt": 2, "bhakt": 1, "dalal": 2, "lootera": 2, "loot": 1,
    "mushkil": 1, "pareshan": 1, "pareshani": 1, "maut": 1, "hinsa": 1, "dar": 1,
    "naraz": 1, "naraaz": 1, "afsos": 1, "haar": 1, "nakam": 1, "naakam": 1,
    "mehngai": 1, "mahangai": 1, "berozgari": 1, "sharmindagi": 2, "kalank": 2,
}  # fmt: skip
NEGATORS = (
    "not", "no", "never", "nor", "cannot", "dont", "don't", "isnt", "wasnt", "nahi", "nahin",
    "nhi", "nai", "na", "mat", "bina",
)  # fmt: skip


def _vader() -> dict[str, float]:
    ref = resources.files("vaderSentiment") / "vader_lexicon.txt"
    out = {}
    for line in ref.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            out[parts[0]] = float(parts[1])
    return out


def _class(valence: float) -> int:
    """1 negative, 2 strongly negative, 3 positive, 4 strongly positive."""
    if valence < 0:
        return 2 if valence <= -2 else 1
    return 4 if valence >= 2 else 3


def build() -> Lexicon:
    words: dict[str, int] = {w: _class(v) for w, v in _vader().items() if abs(v) >= 0.5}
    words.update({w: 2 + 2 * s for w, s in HINGLISH_POSITIVE.items()})
    words.update({w: s for w, s in HINGLISH_NEGATIVE.items()})
    words.update({w: Lexicon.NEGATOR for w in NEGATORS})
    names = list(words)
    hashes = token_hashes(names)
    keep = hashes != 0
    order = np.argsort(hashes[keep])
    classes = np.array([words[n] for n in names], dtype=np.uint8)[keep]
    return Lexicon(hashes=hashes[keep][order], classes=classes[order])

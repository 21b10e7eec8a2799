"""Pure text helpers of the reaction monitor: the script-and-word-based language guess
(en, hi, hi-Latn for romanised Hindi/Hinglish, und), the question test, and the terms of a post."""

# ruff: noqa: SIM905  (word lists read better as whitespace-separated text)
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from chaupal.insights.monitor.stopwords import ALL as STOP_WORDS

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.\-]+(?:@[\w.\-]+)?")
_SENTENCE = re.compile(r"(?:^|[.!।\n]+)\s*([^.!।\n]+)")

# Frequent romanised-Hindi words that are not English words (so "to", "me", "main" are out).
HINGLISH_MARKERS = frozenset(
    """
    hai hain nahi nahin kya kyun kyon kyu kaise kab kahan kaun kitna kitne kitni aur bhi ke ki
    ka ko se mein yeh ye woh wo bahut bohot bhai sarkar accha acha achha theek thik ji abhi sab
    kuch koi tha thi raha rahi rahe gaya gayi karo karna karne kiya liye toh hoga hogi hua hui
    chahiye sakta sakte sakti mujhe hume humein humara hamara unka iska uska yahan wahan jab
    phir fir lekin magar sirf zyada jyada paisa paise bijli pani kab tak bilkul bekaar bekar
    """.split()
)
ENGLISH_QUESTION_STARTS = frozenset(
    "what why how when where who whom whose which is are am was were can could will would "
    "should shall do does did has have may might".split()
)
HINDI_QUESTION_WORDS = frozenset(
    "क्या क्यों क्यूँ क्यूं कैसे कब कहाँ कहां कौन कितना कितने कितनी किसने किसको किसका किसकी".split()
)
HINGLISH_QUESTION_WORDS = frozenset(
    "kya kyun kyon kyu kaise kab kahan kaun kitna kitne kitni kisne kisko kiska kiski".split()
)


def strip_noise(text: str) -> str:
    """The text without links and @mentions (a reply starts with the mentions it answers)."""
    return _MENTION.sub(" ", _URL.sub(" ", text))


def words(text: str) -> list[str]:
    """Runs of letters, marks and digits (Devanagari matras stay inside words), NFC, casefolded;
    a leading '#' is kept so hashtags stay recognisable."""
    out: list[str] = []
    current: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.category(ch)[0] in "LMN" or (ch == "'" and current) or (ch == "#" and not current):
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return [w.strip("'").casefold() for w in out if w.strip("#'")]


def _script_counts(text: str) -> tuple[int, int, int]:
    devanagari = latin = other = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if "\u0900" <= ch <= "\u097f":
            devanagari += 1
        elif ch.isascii() or "\u00c0" <= ch <= "\u024f":
            latin += 1
        else:
            other += 1
    return devanagari, latin, other


def detect_language(text: str) -> str:
    """"hi" (Devanagari), "hi-Latn" (romanised Hindi or Hinglish), "en" or "und"."""
    clean = strip_noise(text)
    devanagari, latin, other = _script_counts(clean)
    if devanagari and devanagari >= latin:
        return "hi"
    if not latin or other > latin:
        return "und"
    tokens = [w.lstrip("#") for w in words(clean) if not w.startswith("#")]
    markers = sum(1 for w in tokens if w in HINGLISH_MARKERS)
    if markers >= 2 or (markers and len(tokens) <= 4) or (tokens and markers / len(tokens) >= 0.15):
        return "hi-Latn"
    return "en"


def is_question(text: str) -> bool:
    """A question mark, a Hindi/Hinglish question word anywhere, or an English sentence that
    starts with a question word ("When will ...", "Is there ...")."""
    clean = strip_noise(text)
    if "?" in clean or "？" in clean:
        return True
    tokens = set(words(clean))
    if tokens & HINDI_QUESTION_WORDS or tokens & HINGLISH_QUESTION_WORDS:
        return True
    for sentence in _SENTENCE.findall(clean):
        first = words(sentence[:40])
        exclamation = first[:1] in (["what"], ["how"]) and first[1:2] in (["a"], ["an"])  # "What a day"
        if first and first[0] in ENGLISH_QUESTION_STARTS and len(first) >= 3 and not exclamation:
            return True
    return False


def terms(text: str) -> set[str]:
    """The distinct terms of one post for the top-terms count: no stop-words, numbers,
    links, mentions or one-letter words; hashtags count as '#tag'."""
    out = set()
    for w in words(strip_noise(text)):
        bare = w.lstrip("#")
        if len(bare) < 2 or bare.isdigit() or bare in STOP_WORDS:
            continue
        if len(bare) == 2 and bare.isascii():
            continue
        out.add(w if w.startswith("#") else bare)
    return out


def top_terms(texts: Iterable[str], limit: int) -> list[dict[str, int | str]]:
    """The `limit` terms in most posts (each post counts a term once), ties by term."""
    counts: dict[str, int] = {}
    for text in texts:
        for term in terms(text):
            counts[term] = counts.get(term, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"term": term, "count": n} for term, n in ranked]

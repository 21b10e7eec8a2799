"""Romanise Devanagari Hindi the way Hinglish posts spell it, so Hindi text shares the
Hinglish model's features: common words from a small hand-written table, the rest letter by
letter with the final inherent vowel dropped ("कहना" -> "kahna", "सरकार" -> "sarkar").
"""

from __future__ import annotations

import re

_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n",
    "च": "ch", "छ": "chh", "ज": "j", "झ": "jh", "ञ": "n",
    "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n",
    "त": "t", "थ": "th", "द": "d", "ध": "dh", "न": "n",
    "प": "p", "फ": "ph", "ब": "b", "भ": "bh", "म": "m",
    "य": "y", "र": "r", "ल": "l", "ळ": "l", "व": "v",
    "श": "sh", "ष": "sh", "स": "s", "ह": "h",
    "क़": "q", "ख़": "kh", "ग़": "g", "ज़": "z", "ड़": "d", "ढ़": "rh", "फ़": "f", "य़": "y",
}  # fmt: skip
_NUKTA_BASE = {"क": "क़", "ख": "ख़", "ग": "ग़", "ज": "ज़", "ड": "ड़", "ढ": "ढ़", "फ": "फ़", "य": "य़"}
_VOWELS = {
    "अ": "a", "आ": "aa", "इ": "i", "ई": "ee", "उ": "u", "ऊ": "oo", "ऋ": "ri",
    "ए": "e", "ऐ": "ai", "ओ": "o", "औ": "au", "ऑ": "o",
}  # fmt: skip
_MATRAS = {
    "ा": "a", "ि": "i", "ी": "i", "ु": "u", "ू": "u", "ृ": "ri",
    "े": "e", "ै": "ai", "ो": "o", "ौ": "au", "ॉ": "o",
}  # fmt: skip
_VOWEL_SIGN = {
    "आ": "ा", "इ": "ि", "ई": "ी", "उ": "ु", "ऊ": "ू", "ए": "े", "ऐ": "ै", "ओ": "ो", "औ": "ौ",
}  # fmt: skip
_LABIALS = {"प", "फ", "ब", "भ", "म"}
_VIRAMA = "्"
_SCHWA = "ə"
_NASAL = {"ं": "n", "ँ": "n", "ः": "h"}
_DIGITS = {chr(0x0966 + i): str(i) for i in range(10)}
_PUNCT = {"।": ".", "॥": "."}

# Frequent words whose everyday Hinglish spelling the letter rules miss.
_WORDS = {
    "है": "hai", "हैं": "hain", "था": "tha", "थी": "thi", "थे": "the", "हो": "ho",
    "नहीं": "nahi", "नही": "nahi", "ना": "na", "मत": "mat", "क्या": "kya", "क्यों": "kyu",
    "में": "mein", "मैं": "main", "हम": "hum", "तुम": "tum", "आप": "aap", "यह": "yeh",
    "ये": "ye", "वह": "woh", "वो": "wo", "और": "aur", "भी": "bhi", "तो": "toh",
    "के": "ke", "की": "ki", "का": "ka", "को": "ko", "से": "se", "पर": "par",
    "बहुत": "bahut", "अच्छा": "accha", "अच्छी": "acchi", "अच्छे": "acche",
    "बुरा": "bura", "बुरी": "buri", "बुरे": "bure", "बेकार": "bekar", "घटिया": "ghatiya",
    "शानदार": "shandar", "बढ़िया": "badhiya", "बधाई": "badhai", "धन्यवाद": "dhanyavad",
    "शुक्रिया": "shukriya", "प्यार": "pyar", "खुश": "khush", "खुशी": "khushi",
    "दुख": "dukh", "दुःख": "dukh", "शर्म": "sharam", "शर्मनाक": "sharmnak",
    "गलत": "galat", "ग़लत": "galat", "सही": "sahi", "झूठ": "jhooth", "झूठा": "jhootha",
    "चोर": "chor", "बेशर्म": "besharam", "मूर्ख": "murkh", "पागल": "pagal",
    "सुंदर": "sundar", "सुन्दर": "sundar", "जय": "jai", "हिंद": "hind", "भारत": "bharat",
    "देश": "desh", "सरकार": "sarkar", "जी": "ji", "सर": "sir", "लोग": "log",
    "कर": "kar", "करो": "karo", "करें": "karein", "रहा": "raha", "रही": "rahi",
    "गया": "gaya", "गई": "gayi", "दिया": "diya", "किया": "kiya", "लिए": "liye",
    "अब": "ab", "कब": "kab", "सब": "sab", "कुछ": "kuch", "एक": "ek", "हाँ": "haan",
    "हां": "haan", "वाह": "wah", "बधाइयाँ": "badhaiyan", "शुभकामनाएं": "shubhkamnaye",
    "शुभकामनाएँ": "shubhkamnaye", "नफरत": "nafrat", "नफ़रत": "nafrat", "गुस्सा": "gussa",
    "दिल": "dil", "साथ": "saath", "बात": "baat", "काम": "kaam", "मोदी": "modi",
}  # fmt: skip

_DEVANAGARI = re.compile(r"[\u0900-\u097F]+")


def has_devanagari(text: str) -> bool:
    return _DEVANAGARI.search(text) is not None


def _letters(word: str) -> str:
    # Units are [text, vowel]; vowel is _SCHWA (inherent), "" (none) or a written vowel.
    units: list[list[str]] = []
    chars = list(word)
    i = 0
    while i < len(chars):
        ch = chars[i]
        if i + 1 < len(chars) and chars[i + 1] == "\u093c" and ch in _NUKTA_BASE:
            ch = _NUKTA_BASE[ch]
            i += 1
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if ch in _CONSONANTS:
            if nxt in _MATRAS:
                units.append([_CONSONANTS[ch], _MATRAS[nxt]])
                i += 1
            elif nxt == _VIRAMA:
                units.append([_CONSONANTS[ch], ""])
                i += 1
            else:
                units.append([_CONSONANTS[ch], _SCHWA])
        elif ch in _VOWELS:  # after another letter, written short: "koee" -> "koi"
            units.append(
                ["", _MATRAS.get(_VOWEL_SIGN.get(ch, ""), _VOWELS[ch]) if units else _VOWELS[ch]]
            )
        elif ch in _MATRAS:
            units.append(["", _MATRAS[ch]])
        elif ch in _NASAL:
            units.append(["m" if ch == "ं" and nxt in _LABIALS else _NASAL[ch], ""])
        elif ch in _DIGITS or ch in _PUNCT:
            units.append([_DIGITS.get(ch) or _PUNCT[ch], ""])
        elif ch != "\u093c":
            units.append([ch, ""])
        i += 1
    # Schwa deletion: the last inherent vowel goes ("sarkar"), and so does one between a
    # vowel and a consonant that carries a written vowel ("kahana" -> "kahna").
    syllables = [k for k, u in enumerate(units) if u[1]]
    if len(syllables) > 1 and units[syllables[-1]][1] == _SCHWA:
        units[syllables[-1]][1] = ""
    for a, b, c in zip(syllables, syllables[1:], syllables[2:]):
        if units[b][1] == _SCHWA and units[a][1] and units[c][1] not in ("", _SCHWA) and c == b + 1:
            units[b][1] = ""
    return "".join(t + ("a" if v == _SCHWA else v) for t, v in units)


def romanise(text: str) -> str:
    """Return `text` with every Devanagari word written in Hinglish-style Latin letters."""
    return _DEVANAGARI.sub(lambda m: _WORDS.get(m.group(0)) or _letters(m.group(0)), text)

"""Pure text helpers: the language guess, the question test and top terms without stop-words."""

from __future__ import annotations

import pytest

from chaupal.insights.monitor.text import detect_language, is_question, terms, top_terms


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("@pmo When will the new metro line open", "en"),
        ("Great work by the ministry!", "en"),
        ("@PMO yeh scheme bilkul bekaar hai", "hi-Latn"),
        ("bahut accha kaam kiya sarkar ne", "hi-Latn"),
        ("यह योजना बहुत अच्छी है", "hi"),
        ("12345 !!!", "und"),
        ("நல்ல திட்டம்", "und"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("When will the metro reach Noida", True),
        ("@pmo Is there any update on the scheme", True),
        ("Thanks. Can you share the link", True),
        ("Is this real?", True),
        ("paisa kab milega", True),
        ("yeh kya ho raha hai", True),
        ("यह योजना कब शुरू होगी", True),
        ("I will vote when ready", False),
        ("Great work!", False),
        ("What a wonderful announcement", False),
        ("https://example.org/why?x=1 nice", False),  # a ? inside a link is not a question
        ("@who_is_this thanks", False),
    ],
)
def test_is_question(text, question):
    assert is_question(text) is question


def test_terms__stop_words_links_mentions_and_numbers_left_out():
    got = terms("@pmo The new #Metro line is great and the metro fare is low 2026 https://x.example/a hai")
    assert got == {"new", "#metro", "line", "great", "metro", "fare", "low"}
    assert terms("यह योजना बहुत अच्छी है और मेट्रो") == {"योजना", "अच्छी", "मेट्रो"}
    assert terms("yeh scheme bilkul bekaar hai kya") == {"scheme", "bilkul", "bekaar"}


def test_top_terms__counts_each_post_once_and_ranks():
    texts = ["metro metro metro", "metro fare", "fare hike", "budget"]
    assert top_terms(texts, 2) == [{"term": "fare", "count": 2}, {"term": "metro", "count": 2}]

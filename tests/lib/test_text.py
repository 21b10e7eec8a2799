"""Status text parsing: links, mentions, hashtags in any script, paragraphs, escaping,
Mastodon's character counting, and properties that hold for any input."""

from __future__ import annotations

import re

import nh3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaupal.lib.text import (
    count_chars,
    normalize,
    parse,
    plain_html,
    render_html,
    sanitize,
    tag_key,
)

BASE = "https://chaupal.test"
URLS = {("alice", ""): f"{BASE}/@alice", ("bob", "example.org"): "https://example.org/@bob"}


def html_of(text: str) -> str:
    return render_html(parse(text), base_url=BASE, mention_url=URLS)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(e.kind, e.value) for e in parse(text).entities]


# --- hashtags ------------------------------------------------------------------------------


def test_hashtags__devanagari_with_matras_and_virama():
    assert parse("जय #भारत!").tags == ["भारत"]
    assert parse("#स्वच्छ_भारत अभियान").tags == ["स्वच्छ_भारत"]
    assert parse("#हिन्दी, #क्षेत्र।").tags == ["हिन्दी", "क्षेत्र"]


def test_hashtags__other_scripts():
    assert parse("#தமிழ் #বাংলা #日本語 #Ελλάδα #مرحبا").tags == [
        "தமிழ்",
        "বাংলা",
        "日本語",
        "Ελλάδα",
        "مرحبا",
    ]


def test_hashtags__hinglish_mixed():
    assert parse("Aaj ka #DigitalIndia aur #चुनाव2024 dekho").tags == ["DigitalIndia", "चुनाव2024"]


def test_hashtags__need_a_letter_and_a_word_boundary():
    assert parse("#123 #_ a#b http://x/#y c&#39; #1a").tags == ["1a"]


def test_hashtags__deduplicated_case_insensitively_first_spelling_kept():
    assert parse("#India #INDIA #india").tags == ["India"]
    assert tag_key("INDIA") == tag_key("india") == "india"


def test_hashtags__nfc_normalised():
    decomposed = "#cafe\u0301"
    assert parse(decomposed).tags == ["café"]
    assert tag_key("cafe\u0301") == tag_key("CAFÉ")


def test_hashtag_html__mastodon_shape_with_encoded_href():
    out = html_of("#भारत")
    assert out == (
        '<p><a href="https://chaupal.test/tags/%E0%A4%AD%E0%A4%BE%E0%A4%B0%E0%A4%A4" '
        'class="mention hashtag" rel="tag">#<span>भारत</span></a></p>'
    )


def test_hashtags__trailing_joiner_not_part_of_tag():
    assert parse("#a\u200c b").tags == ["a"]


# --- mentions ------------------------------------------------------------------------------


def test_mentions__local_and_remote():
    assert parse("hi @alice and @Bob@Example.org.").mentions == [
        ("alice", ""),
        ("Bob", "example.org"),
    ]


def test_mentions__not_inside_emails_or_words():
    assert parse("mail me: someone@example.org or a/@b or x=@c").mentions == []


def test_mentions__deduplicated_case_insensitively():
    assert parse("@alice @ALICE @alice").mentions == [("alice", "")]


def test_mention_html__resolved_linked_unresolved_plain():
    out = html_of("@alice @nobody @bob@example.org")
    assert (
        '<span class="h-card" translate="no"><a href="https://chaupal.test/@alice" '
        'class="u-url mention">@<span>alice</span></a></span>'
    ) in out
    assert " @nobody " in out
    assert 'href="https://example.org/@bob"' in out and "@<span>bob</span>" in out


# --- links ---------------------------------------------------------------------------------


def test_links__query_string_kept():
    assert kinds("see https://example.org/a?b=1&c=2#frag now") == [
        ("url", "https://example.org/a?b=1&c=2#frag")
    ]


def test_links__balanced_parentheses_kept_unbalanced_dropped():
    assert kinds("https://en.wikipedia.org/wiki/Foo_(bar)") == [
        ("url", "https://en.wikipedia.org/wiki/Foo_(bar)")
    ]
    assert kinds("(see https://example.org/x)") == [("url", "https://example.org/x")]


def test_links__trailing_punctuation_and_danda_dropped():
    assert kinds("go to https://eci.gov.in/voter.") == [("url", "https://eci.gov.in/voter")]
    assert kinds("देखें https://eci.gov.in।") == [("url", "https://eci.gov.in")]


def test_links__only_http_and_https_with_a_host():
    assert kinds("javascript:alert(1) ftp://x.org http://localhost https:// http://a") == []


def test_link_html__mastodon_display_trimming():
    url = "https://www.example.org/" + "a" * 40
    out = html_of(url)
    assert '<span class="invisible">https://www.</span>' in out
    assert f'<span class="ellipsis">{("example.org/" + "a" * 40)[:30]}</span>' in out
    assert 'rel="nofollow noopener noreferrer"' in out and 'target="_blank"' in out


def test_link_html__ampersand_escaped_in_href():
    assert 'href="https://example.org/?a=1&amp;b=2"' in html_of("https://example.org/?a=1&b=2")


def test_link__hashtag_and_mention_inside_url_not_parsed():
    assert kinds("https://example.org/@alice/#tag") == [("url", "https://example.org/@alice/#tag")]


# --- paragraphs and escaping ---------------------------------------------------------------


def test_paragraphs_and_line_breaks():
    assert html_of("one\ntwo\n\n\nthree\r\nfour") == "<p>one<br>two</p><p>three<br>four</p>"


def test_html_in_text_is_escaped():
    assert html_of("<b>bold</b> & <script>alert(1)</script>") == (
        "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_xss_attempts_stay_inert():
    for attack in [
        "<img src=x onerror=alert(1)>",
        'https://example.org/"onmouseover="alert(1)',
        "https://example.org/<script>",
        "#<script>alert(1)</script>",
        "@alice<svg/onload=alert(1)>",
        "javascript:alert(1)//https://x.org",
        "<a href='javascript:alert(1)'>x</a>",
    ]:
        out = html_of(attack)
        assert "<script" not in out and "<img" not in out and "<svg" not in out
        assert "javascript:" not in re.sub(r">[^<]*<", "><", out)  # never inside a tag
        assert not re.search(r"<[^>]+\son\w+=", out)


def test_plain_html_escapes_without_entities():
    assert plain_html("#tag @alice\nx<y") == "<p>#tag @alice<br>x&lt;y</p>"


def test_normalize__nfc_strip_unix_newlines():
    assert normalize("  cafe\u0301\r\n ") == "café"


# --- counting ------------------------------------------------------------------------------


def test_count__url_is_23_chars():
    assert count_chars("https://example.org/" + "x" * 100) == 23
    assert count_chars("a https://e.org") == 2 + 23


def test_count__remote_mention_counts_username_only():
    assert count_chars("@bob@example.org") == len("@bob")


def test_count__combining_marks_not_counted():
    assert count_chars("भारत") == 3  # भा + र + त, as a reader counts them
    assert count_chars("cafe\u0301") == 4


def test_count__emoji_sequences_one_each():
    assert count_chars("👍🏽") == 1
    assert count_chars("🇮🇳") == 1
    assert count_chars("👨‍👩‍👧") == 1


# --- properties ----------------------------------------------------------------------------

ALPHABET = st.sampled_from(
    list("abcXYZ019 _-.,!?()[]<>&\"'/:;=@#\n\r\t")
    + [
        "https://",
        "http://",
        "www.",
        ".org",
        "भारत",
        "ि",
        "्",
        "\u200c",
        "\u200d",
        "日本",
        "👍",
        "\u0301",
        "<script>",
        "javascript:",
        "&amp;",
        "#भारत",
        "@alice",
    ]
)
TEXTS = st.lists(ALPHABET, max_size=40).map("".join) | st.text(max_size=200)
CHECKS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(TEXTS)
def test_property__never_raises_and_output_is_a_fixed_point_of_nh3(text: str):
    out = html_of(text)
    assert sanitize(out) == out
    assert (
        nh3.clean(
            out,
            link_rel=None,
            attributes={
                "a": {"href", "rel", "target", "translate", "class"},
                "span": {"class", "translate"},
            },
        )
        == out
    )
    assert count_chars(text) >= 0


@CHECKS
@given(TEXTS)
def test_property__no_script_injection(text: str):
    out = html_of(text)
    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", out))
    assert tags <= {"p", "br", "a", "span"}
    for href in re.findall(r'href="([^"]*)"', out):
        assert href.startswith(("http://", "https://"))
    assert not re.search(r"<[^>]+\son\w+\s*=", out)


@CHECKS
@given(TEXTS)
def test_property__entities_do_not_overlap_and_match_text(text: str):
    parsed = parse(text)
    last = -1
    for e in parsed.entities:
        assert e.start >= last
        assert e.start < e.end
        last = e.end
        raw = parsed.text[e.start : e.end]
        if e.kind == "url":
            assert raw == e.value
        elif e.kind == "hashtag":
            assert raw[1:] == e.value

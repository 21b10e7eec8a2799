"""Remote HTML keeps Mastodon's markup and loses everything else."""

from __future__ import annotations

from chaupal.federation.sanitize import plain_text, sanitize_html


def test_sanitize__mention_and_hashtag_markup_survive_with_safe_link_attributes():
    html = (
        '<p><span class="h-card"><a href="https://gov.example/@min" class="u-url mention">'
        '@<span>min</span></a></span> <a href="https://gov.example/tags/budget" class="mention '
        'hashtag" rel="tag">#<span>budget</span></a></p>'
    )
    out = sanitize_html(html)
    assert '<span class="h-card">' in out
    assert 'class="u-url mention"' in out
    assert 'class="mention hashtag"' in out
    assert out.count('rel="nofollow noopener"') == 2
    assert out.count('target="_blank"') == 2


def test_sanitize__lists_quotes_and_code_kept_headings_reduced_to_text():
    out = sanitize_html(
        "<h1>Title</h1><blockquote><ol start=\"2\"><li><code>x</code></li></ol></blockquote>"
        "<pre>y</pre><del>z</del><em>e</em><strong>s</strong><b>b</b><i>i</i><u>u</u>"
    )
    assert out.startswith("Title<blockquote><ol start=\"2\"><li><code>x</code></li></ol>")
    for tag in ("pre", "del", "em", "strong", "b", "i", "u"):
        assert f"<{tag}>" in out


def test_sanitize__other_schemes_allowed_relative_and_data_links_lose_href():
    out = sanitize_html(
        '<a href="gemini://g.example/">g</a><a href="magnet:?xt=1">m</a>'
        '<a href="/relative">r</a><a href="data:text/html,hi">d</a>'
    )
    assert 'href="gemini://g.example/"' in out and 'href="magnet:?xt=1"' in out
    assert "relative" not in out and "data:" not in out


def test_sanitize__unknown_classes_dropped():
    out = sanitize_html('<span class="invisible evil">x</span><a href="https://a" class="big">y</a>')
    assert 'class="invisible"' in out and "evil" not in out and "big" not in out


def test_sanitize__max_chars_cuts_and_closes_open_tags():
    out = sanitize_html("<p>" + "a" * 50 + "</p>", max_chars=20)
    assert out == "<p>" + "a" * 17 + "</p>"


def test_plain_text__no_markup_and_no_control_characters():
    assert plain_text("<b>Finance</b> &amp; Budget\x07<script>x</script>") == "Finance & Budget"
    assert plain_text(None) == ""
    assert plain_text("x" * 900, max_chars=10) == "x" * 10

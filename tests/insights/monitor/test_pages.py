"""The /monitor page and its /monitor/panel fragment: the form, each kind of subject, the
server-rendered SVG, the stream and panel URLs the script uses, and errors as pages."""

from __future__ import annotations

import re

from tests.insights.monitor.test_reactions_api import _world


async def test_monitor__form_only_without_subject(client):
    r = await client.get("/monitor")
    assert r.status_code == 200
    assert '<form method="get" action="/monitor"' in r.text and 'id="monitor"' not in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


async def test_monitor__post_by_link__charts_lists_and_live_urls(client, make_user):
    _, citizens, root, replies = await _world(client, make_user)
    await client.post(f"/api/v1/statuses/{replies[0]['id']}/favourite", headers=citizens[1].headers)
    r = await client.get("/monitor", params={"kind": "status", "value": root["url"]})
    assert r.status_code == 200, r.text
    page = r.text
    assert f'data-stream="/api/chaupal/v1/streaming/reactions?subject=status%3A{root["id"]}"' in page
    assert f'data-panel="/monitor/panel?subject=status%3A{root["id"]}"' in page
    assert '<script src="/static/monitor.js" defer></script>' in page
    assert 'id="monitor-total" data-total="6"' in page
    assert page.count("<svg") == 3 and 'class="bar ' in page
    assert "Wonderful news" in page  # the most-engaged reply
    assert "yeh metro kab tak banegi?" in page  # an unanswered question
    assert "style=" not in page.split('id="monitor"', 1)[1]  # CSP: no inline styles
    assert not re.search(r"<script>(?!</script>)", page)  # no inline script


async def test_monitor__tag_keyword_and_account_by_username(client, make_user):
    await _world(client, make_user)
    for kind, value, total in (("tag", "#metro", 1), ("keyword", "metro", 4), ("account", "@pmo", 6)):
        r = await client.get("/monitor", params={"kind": kind, "value": value, "window": "1h"})
        assert r.status_code == 200, (kind, r.text[:300])
        assert f'data-total="{total}"' in r.text, kind
        assert "window=1h" in r.text


async def test_monitor__unknown_or_private__error_page(client, make_user):
    pmo, _, _, _ = await _world(client, make_user)
    r = await client.get("/monitor", params={"kind": "account", "value": "@nobody"})
    assert r.status_code == 404 and "Nothing public to monitor" in r.text
    private = (await client.post("/api/v1/statuses", headers=pmo.headers,
                                 json={"status": "followers", "visibility": "private"})).json()
    r = await client.get("/monitor", params={"kind": "status", "value": private["id"]})
    assert r.status_code == 404
    r = await client.get("/monitor", params={"kind": "keyword", "value": "!!!"})
    assert r.status_code == 422 and 'role="alert"' in r.text


async def test_panel__fragment_and_errors(client, make_user):
    _, _, root, _ = await _world(client, make_user)
    r = await client.get("/monitor/panel", params={"subject": f"status:{root['id']}", "window": "6h"})
    assert r.status_code == 200 and "<html" not in r.text and 'data-total="6"' in r.text
    assert (await client.get("/monitor/panel", params={"subject": "nonsense"})).status_code == 422
    assert (await client.get("/monitor/panel", params={"subject": "tag:x", "window": "99d"})).status_code == 422
    assert (await client.get("/monitor/panel")).status_code == 422

"""Safety 9: remote HTML is sanitised before it is stored: no script, style, event-handler
attribute or `javascript:` URL survives a delivered post, its content warning, or a remote
profile (note and fields)."""

from __future__ import annotations

import re

from sqlalchemy import select

from chaupal.models import Account, Status
from tests.federation.inbox_helpers import deliver, network  # noqa: F401

NASTY = (
    '<p onclick="steal()">hi<script>alert(1)</script><style>body{display:none}</style>'
    '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">a</a>'
    '<a href="JaVaScRiPt&#58;alert(4)">b</a><a href=" javascript:alert(5)">c</a>'
    '<svg onload="alert(6)"><a href="vbscript:x">d</a></svg>'
    '<iframe src="https://evil.example/"></iframe><span style="color:red" onmouseover="x()">s</span>'
    '<a href="https://ok.example/" onfocus="x()" class="mention evil">ok</a></p>'
)


def assert_safe(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "<style", "<iframe", "<svg", "<img", "javascript:", "vbscript:", "style="):
        assert bad not in lowered, (bad, html)
    assert not re.search(r"\son[a-z]+\s*=", lowered), html


async def test_delivered_post__content_and_spoiler_sanitised(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    note = alice.note("1", content=NASTY, summary="<b onclick=x()>cw</b><script>1</script>")

    r = await deliver(client, alice, alice.create(note))

    assert r.status_code == 202, r.text
    status = await session.scalar(select(Status).where(Status.uri == note["id"]))
    assert_safe(status.content)
    assert_safe(status.spoiler_text)
    assert 'href="https://ok.example/"' in status.content  # the allowed markup stays
    assert status.spoiler_text == "cw"


async def test_remote_profile__note_and_fields_sanitised(client, session, network):  # noqa: F811
    alice = network.actor(
        "remote.example", "alice",
        summary=NASTY,
        name='<script>x</script>Alice<img src=x onerror="y()">',
        attachment=[{"type": "PropertyValue", "name": "<b>site</b>", "value": NASTY}],
    )

    r = await deliver(client, alice, alice.create(alice.note("1")))

    assert r.status_code == 202, r.text
    account = await session.scalar(select(Account).where(Account.uri == alice.uri))
    assert_safe(account.note_html)
    assert_safe(account.display_name)
    assert account.display_name == "Alice"
    assert_safe(account.fields[0]["value"])
    assert account.fields[0]["name"] == "site"


async def test_edit_of_delivered_post__sanitised_too(client, session, network):  # noqa: F811
    alice = network.actor("remote.example", "alice")
    note = alice.note("1")
    assert (await deliver(client, alice, alice.create(note))).status_code == 202

    edited = dict(note, content=NASTY, updated="2026-11-01T11:00:00Z")
    r = await deliver(client, alice, alice.activity("Update", edited, "upd-1"))

    assert r.status_code == 202, r.text
    session.expire_all()
    status = await session.scalar(select(Status).where(Status.uri == note["id"]))
    assert_safe(status.content)
    assert status.edited_at is not None

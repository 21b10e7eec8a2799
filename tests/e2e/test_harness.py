"""The e2e helpers themselves: the entity shape checker and the form-reading browser."""

from __future__ import annotations

from typing import Any

from tests.e2e.browser import parse_page
from tests.e2e.entities import entity_errors

ACCOUNT = {
    "id": "1",
    "username": "alice",
    "acct": "alice",
    "display_name": "",
    "group": False,
    "locked": False,
    "bot": False,
    "created_at": "2024-01-01T00:00:00.000Z",
    "following_count": 0,
    "followers_count": 0,
    "statuses_count": 0,
    "note": "",
    "url": "http://x/@alice",
    "uri": "http://x/users/alice",
    "avatar": "http://x/a.png",
    "header": "http://x/h.png",
    "avatar_static": "http://x/a.png",
    "header_static": "http://x/h.png",
    "fields": [],
    "emojis": [],
    "indexable": False,
    "hide_collections": False,
}


def _status(**changes: object) -> dict[str, Any]:
    raw = {
        "id": "10",
        "uri": "http://x/s/10",
        "url": None,
        "account": dict(ACCOUNT),
        "content": "<p>hi</p>",
        "created_at": "2024-01-01T00:00:00.000Z",
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "mentions": [],
        "media_attachments": [],
        "emojis": [],
        "tags": [{"name": "x", "url": "http://x/tags/x"}],
        "reblog": None,
    }
    raw.update(changes)
    return raw


def test_entity_errors__valid_status__none() -> None:
    assert entity_errors(_status(), "Status") == []


def test_entity_errors__missing_required_field__reported() -> None:
    status = _status()
    del status["replies_count"]
    assert any("replies_count: missing or null" in e for e in entity_errors(status, "Status"))


def test_entity_errors__wrong_types_and_nulls__reported() -> None:
    status = _status(favourites_count="3", created_at="yesterday", spoiler_text=None, id=10)
    errors = "\n".join(entity_errors(status, "Status"))
    assert "Status.id: expected MaybeSnowflakeIdType" in errors
    assert "favourites_count: expected int" in errors
    assert "created_at: expected an ISO 8601 date" in errors
    assert "spoiler_text: missing or null" in errors


def test_entity_errors__nested_entities_checked() -> None:
    status = _status(tags=[{"name": "x"}])
    del status["account"]["acct"]
    errors = "\n".join(entity_errors(status, "Status"))
    assert "Status.account.acct: missing" in errors
    assert "Status.tags[0].url: missing" in errors


def test_parse_page__reads_forms_buttons_and_code() -> None:
    page = parse_page(
        """<form method="post" action="/auth/sign_in">
        <input type="hidden" name="csrf_token" value="t1"><input name="username">
        <input type="password" name="password"><button type="submit">Go</button></form>
        <form method="post" action="/oauth/authorize"><input type="hidden" name="scope" value="read">
        <button name="decision" value="approve">Yes</button><button name="decision" value="deny">No</button>
        </form><code id="authorization-code"> abc123 </code>"""
    )
    sign_in, consent = page.forms
    assert sign_in.action == "/auth/sign_in" and sign_in.fields["csrf_token"] == "t1"
    assert sign_in.types["password"] == "password"
    assert consent.buttons == [("decision", "approve"), ("decision", "deny")]
    assert page.code == "abc123"

"""What Chaupal sends matches what Mastodon's documentation says it sends and accepts: every key
of each fixture (tests/federation/fixtures/, written from that documentation) is present with a
value of the same shape, and our JSON-LD context gives the documented terms the same IRIs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from chaupal.config import Settings
from chaupal.federation import render
from chaupal.models import Account, MediaAttachment, Status

FIXTURES = Path(__file__).parent / "fixtures"
PREFIXES = {
    "as": "https://www.w3.org/ns/activitystreams#",
    "toot": "http://joinmastodon.org/ns#",
    "schema": "http://schema.org#",
}
SETTINGS = Settings(data_dir=Path("/nonexistent-not-used"), domain="chaupal.test", https=True)
WHEN = datetime(2026, 11, 28, 9, 30, 0)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "url" if value.startswith(("https://", "http://")) else "string"
    if isinstance(value, list):
        return "list"
    return "object"


def assert_same_shape(expected: Any, actual: Any, path: str = "$") -> None:
    """`actual` has every key of `expected`, each value of the same kind, recursively."""
    want, got = _kind(expected), _kind(actual)
    if want == "null":
        return  # documented as optional/absent: anything we send is fine
    if want == "string" and got == "url":
        return  # a URL is a string too (e.g. `name` fields may hold one)
    assert want == got, f"{path}: expected {want}, got {got} ({actual!r})"
    if want == "object":
        for key, value in expected.items():
            if key.startswith("_") or key == "@context":
                continue
            assert key in actual, f"{path}.{key} missing"
            assert_same_shape(value, actual[key], f"{path}.{key}")
    elif want == "list" and expected and actual:
        for i, item in enumerate(actual):
            candidates = [e for e in expected if _kind(e) == _kind(item)]
            for discriminator in ("type", "rel"):  # AS objects by type, JRD links by rel
                if _kind(item) == "object" and discriminator in item:
                    same = [e for e in candidates if e.get(discriminator) == item[discriminator]]
                    candidates = same or candidates
            assert candidates, f"{path}[{i}]: {item!r} matches no documented item"
            assert_same_shape(candidates[0], item, f"{path}[{i}]")


def _expand(term_value: Any) -> str:
    iri = term_value["@id"] if isinstance(term_value, dict) else term_value
    prefix, _, rest = iri.partition(":")
    return PREFIXES[prefix] + rest if prefix in PREFIXES and not rest.startswith("//") else iri


def assert_matches(name: str, ours: dict[str, Any]) -> None:
    doc = fixture(name)
    assert_same_shape(doc, ours)
    for dotted, value in doc.get("_exact", {}).items():
        got: Any = ours
        for part in dotted.split("."):
            got = got[part]
        assert got == value, f"{dotted}: {got!r} != {value!r}"
    assert ours["@context"] == render.AS_CONTEXT
    context = doc.get("@context")
    if isinstance(context, list):
        ours_terms = next(c for c in render.AS_CONTEXT if isinstance(c, dict))
        for part in context:
            if isinstance(part, str):
                assert part in render.AS_CONTEXT
                continue
            for term, definition in part.items():
                if term in PREFIXES:
                    assert ours_terms.get(term, PREFIXES[term]) == PREFIXES[term]
                    continue
                assert term in ours_terms, f"context term {term} not defined"
                assert _expand(ours_terms[term]) == _expand(definition), term


def _author(**fields: Any) -> Account:
    defaults: dict[str, Any] = {
        "id": 101,
        "username": "finmin",
        "username_lower": "finmin",
        "domain": "",
        "display_name": "Finance Ministry",
        "note_html": "<p>Official account</p>",
        "kind": "institution",
        "verification": "government",
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "created_at": WHEN,
        "fields": [
            {
                "name": "Website",
                "value": "https://finmin.example",
                "value_html": '<a href="https://finmin.example">finmin.example</a>',
            }
        ],
        "avatar_path": "accounts/avatars/a.jpg",
        "header_path": "accounts/headers/h.png",
        "public_key": "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n",
        "private_key": "x",
    }
    defaults.update(fields)
    return Account(**defaults)


def _remote(username: str = "bob", domain: str = "mastodon.example") -> Account:
    return Account(
        id=202,
        username=username,
        username_lower=username,
        domain=domain,
        uri=f"https://{domain}/users/{username}",
        inbox_url=f"https://{domain}/users/{username}/inbox",
    )


def _status(author: Account, **fields: Any) -> Status:
    defaults: dict[str, Any] = {
        "id": 5001,
        "account_id": author.id,
        "uri": f"{SETTINGS.base_url}/users/{author.username}/statuses/5001",
        "url": f"{SETTINGS.base_url}/@{author.username}/5001",
        "text": "Budget #cats",
        "content": "<p>Budget</p>",
        "spoiler_text": "budget",
        "sensitive": True,
        "visibility": "public",
        "language": "en",
        "created_at": WHEN,
        "edited_at": None,
        "reblog_of_id": None,
    }
    defaults.update(fields)
    return Status(**defaults)


def _media() -> MediaAttachment:
    return MediaAttachment(
        id=9,
        type="image",
        file_path="m/abc.png",
        content_type="image/png",
        description="A chart",
        focus_x=-0.5,
        focus_y=0.25,
        blurhash="UBL_:rOpGG-oBUNG",
        meta={"original": {"width": 640, "height": 480}},
    )


def _note(**status_fields: Any) -> dict[str, Any]:
    author = _author()
    return render.note(
        SETTINGS,
        _status(author, **status_fields),
        author=author,
        mentions=[_remote()],
        tags=["cats"],
        media=[_media()],
        in_reply_to_uri="https://mastodon.example/users/bob/statuses/9",
    )


async def test_actor__matches_mastodons_documented_actor(session):
    account = _author(public_key=None, private_key=None)
    session.add(account)
    await session.flush()
    doc = await render.actor(session, SETTINGS, account)
    assert_matches("actor", {**doc, "type": "Person"})  # shape; the type is checked below
    assert doc["type"] == "Organization"
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert doc["publicKey"]["id"] == f"{doc['id']}#main-key"
    assert doc["endpoints"]["sharedInbox"] == "https://chaupal.test/inbox"
    assert doc["verification"] == "government" and doc["accountKind"] == "institution"


def test_actor_type__bots_are_services_people_persons_institutions_organizations():
    assert render.actor_type(_author(bot=True)) == "Service"
    assert render.actor_type(_author(kind="person")) == "Person"
    assert render.actor_type(_author(kind="institution")) == "Organization"


def test_note__matches_mastodons_documented_note():
    doc = _note()
    assert_matches("note", doc)
    assert doc["contentMap"] == {"en": "<p>Budget</p>"}
    assert doc["tag"][0] == {
        "type": "Mention",
        "href": "https://mastodon.example/users/bob",
        "name": "@bob@mastodon.example",
    }
    assert doc["attachment"][0]["focalPoint"] == [-0.5, 0.25]


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [render.PUBLIC], ["F", "B"]),
        ("unlisted", ["F"], [render.PUBLIC, "B"]),
        ("private", ["F"], ["B"]),
        ("direct", ["B"], []),
    ],
)
def test_note__addressing_follows_mastodons_visibility_rules(visibility, to, cc):
    names = {
        "F": "https://chaupal.test/users/finmin/followers",
        "B": "https://mastodon.example/users/bob",
    }
    doc = _note(visibility=visibility)
    assert doc["to"] == [names.get(x, x) for x in to]
    assert doc["cc"] == [names.get(x, x) for x in cc]


def test_note__no_content_warning__summary_is_null_and_edits_carry_updated():
    doc = _note(spoiler_text="", sensitive=False, edited_at=datetime(2026, 11, 28, 10, 0, 0))
    assert doc["summary"] is None and doc["sensitive"] is False
    assert doc["updated"] == "2026-11-28T10:00:00Z"


def test_create__matches_documented_create():
    doc = render.create(_note())
    assert_matches("create", doc)
    assert doc["id"] == "https://chaupal.test/users/finmin/statuses/5001/activity"
    assert "@context" not in doc["object"]


def test_update__matches_documented_update():
    doc = render.update(
        _note(edited_at=datetime(2026, 11, 28, 10, 0, 0)), at=datetime(2026, 11, 28, 10, 0, 0)
    )
    assert_matches("update", doc)
    assert (
        doc["id"]
        == f"https://chaupal.test/users/finmin/statuses/5001#updates/{render.unix_ms(datetime(2026, 11, 28, 10))}"
    )


def test_delete__matches_documented_delete():
    doc = render.delete(
        "https://chaupal.test/users/finmin", "https://chaupal.test/users/finmin/statuses/5001"
    )
    assert_matches("delete", doc)
    assert doc["id"] == "https://chaupal.test/users/finmin/statuses/5001#delete"


def test_delete__of_the_actor_itself__object_is_the_actor_id():
    doc = render.delete("https://chaupal.test/users/finmin", "https://chaupal.test/users/finmin")
    assert doc["object"] == "https://chaupal.test/users/finmin"


def test_follow__matches_documented_follow():
    doc = render.follow(SETTINGS, _author(), "https://mastodon.example/users/bob", 77)
    assert_matches("follow", doc)
    assert doc["id"] == "https://chaupal.test/follows/77"


def test_accept_and_reject__embed_the_follow():
    doc = render.accept(
        SETTINGS, _author(), "https://mastodon.example/f/1", "https://mastodon.example/users/bob", 5
    )
    assert_matches("accept", doc)
    assert doc["id"] == "https://chaupal.test/users/finmin#accepts/follows/5"
    assert doc["object"]["object"] == "https://chaupal.test/users/finmin"
    rej = render.reject(
        SETTINGS, _author(), "https://mastodon.example/f/1", "https://mastodon.example/users/bob", 5
    )
    assert rej["type"] == "Reject" and rej["id"].endswith("#rejects/follows/5")


def test_announce__matches_documented_announce():
    author = _author(kind="person")
    reblog = _status(
        author, id=6001, uri="https://chaupal.test/users/finmin/statuses/6001/activity"
    )
    doc = render.announce(
        SETTINGS,
        author,
        reblog,
        "https://mastodon.example/users/bob/statuses/1",
        "https://mastodon.example/users/bob",
    )
    assert_matches("announce", doc)
    assert doc["id"] == "https://chaupal.test/users/finmin/statuses/6001/activity"
    assert doc["to"] == [render.PUBLIC]
    assert "https://mastodon.example/users/bob" in doc["cc"]


def test_like__matches_documented_like():
    doc = render.like(SETTINGS, _author(), 42, "https://mastodon.example/users/bob/statuses/1")
    assert_matches("like", doc)
    assert doc["id"] == "https://chaupal.test/users/finmin#likes/42"


def test_undo__wraps_the_original_with_its_id_plus_undo():
    original = render.like(SETTINGS, _author(), 42, "https://mastodon.example/users/bob/statuses/1")
    doc = render.undo(original)
    assert doc["id"] == "https://chaupal.test/users/finmin#likes/42/undo"
    assert doc["object"]["type"] == "Like" and "@context" not in doc["object"]
    assert doc["actor"] == original["actor"]


async def test_update_person__matches_documented_update_of_a_profile(session):
    account = _author(kind="person", public_key=None, private_key=None)
    session.add(account)
    await session.flush()
    doc = render.update_person(await render.actor(session, SETTINGS, account), at=WHEN)
    assert_matches("update_person", doc)
    assert doc["id"] == f"https://chaupal.test/users/finmin#updates/{render.unix_ms(WHEN)}"


def test_block_move_flag__shapes_mastodon_documents():
    author = _author()
    blk = render.block(SETTINGS, author, "https://mastodon.example/users/bob", 3)
    assert (blk["type"], blk["object"], blk["to"]) == (
        "Block",
        "https://mastodon.example/users/bob",
        ["https://mastodon.example/users/bob"],
    )
    assert blk["id"] == "https://chaupal.test/blocks/3"
    mv = render.move(SETTINGS, author, "https://alice.example/users/finmin", 1)
    assert (mv["object"], mv["target"]) == (
        "https://chaupal.test/users/finmin",
        "https://alice.example/users/finmin",
    )
    fl = render.flag(
        SETTINGS,
        "https://chaupal.test/users/finmin",
        "https://mastodon.example/users/bob",
        ["https://mastodon.example/users/bob/statuses/1"],
        "spam",
        8,
    )
    assert fl["object"] == [
        "https://mastodon.example/users/bob",
        "https://mastodon.example/users/bob/statuses/1",
    ]
    assert fl["content"] == "spam"


def test_context__declares_every_extension_term_we_emit():
    terms = next(c for c in render.AS_CONTEXT if isinstance(c, dict))
    for term in (
        "manuallyApprovesFollowers",
        "discoverable",
        "indexable",
        "featured",
        "sensitive",
        "Hashtag",
        "focalPoint",
        "blurhash",
        "PropertyValue",
        "value",
        "verification",
        "accountKind",
    ):
        assert term in terms, term
    assert terms["chaupal"].startswith("urn:")  # our own terms claim no one's domain


def mastodon_visibility(doc: dict[str, Any], followers: str) -> str:
    """Visibility as Mastodon's documentation says it derives it from addressing
    (activitypub.md, "Mentions for addressing and notifications")."""
    to, cc = doc["to"], doc["cc"]
    if render.PUBLIC in to:
        return "public"
    if render.PUBLIC in cc:
        return "unlisted"
    if followers in to or followers in cc:
        return "private"
    mentioned = {t["href"] for t in doc["tag"] if t["type"] == "Mention"}
    return "direct" if set(to + cc) <= mentioned else "limited"


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
def test_note__mastodon_reads_back_the_visibility_we_meant(visibility):
    doc = _note(visibility=visibility)
    followers = "https://chaupal.test/users/finmin/followers"
    assert mastodon_visibility(doc, followers) == visibility
    create = render.create(doc)
    assert (create["to"], create["cc"]) == (doc["to"], doc["cc"])
    assert mastodon_visibility(create["object"], followers) == visibility


@pytest.mark.parametrize(
    "key", ["id", "type", "attributedTo", "to", "cc", "content", "published", "tag", "attachment"]
)
def test_fixture_check__a_note_missing_a_documented_key__fails(key):
    doc = _note()
    del doc[key]
    with pytest.raises(AssertionError):
        assert_matches("note", doc)


def test_fixture_check__wrong_shapes__fail():
    doc = _note()
    with pytest.raises(AssertionError):
        assert_matches("note", {**doc, "to": render.PUBLIC})  # a string where a list is documented
    with pytest.raises(AssertionError):
        assert_matches("note", {**doc, "sensitive": "yes"})
    with pytest.raises(AssertionError):
        assert_matches("create", {**render.create(doc), "type": "Add"})

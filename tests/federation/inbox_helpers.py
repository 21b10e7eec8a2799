"""Inbox test kit: remote actors with real key pairs, a fake network (actor documents, Notes
and WebFinger answers served from a dict through `chaupal.federation.fetch`), and signed
POSTs to our inboxes through the ASGI app."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chaupal.federation import fetch
from chaupal.federation.httpsig import sign_headers
from chaupal.federation.keys import generate_keypair

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
BASE = "http://chaupal.test"


@dataclass
class RemoteActor:
    uri: str
    username: str
    private_pem: str
    public_pem: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def host(self) -> str:
        return urlsplit(self.uri).netloc

    @property
    def followers(self) -> str:
        return f"{self.uri}/followers"

    def document(self) -> dict[str, Any]:
        doc = {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.username.title(),
            "summary": "<p>remote</p>",
            "inbox": f"{self.uri}/inbox",
            "outbox": f"{self.uri}/outbox",
            "followers": self.followers,
            "following": f"{self.uri}/following",
            "endpoints": {"sharedInbox": f"https://{self.host}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem},
        }
        doc.update(self.extra)
        return doc

    def note(self, suffix: str, content: str = "<p>hello</p>", **extra: Any) -> dict[str, Any]:
        uri = f"{self.uri}/statuses/{suffix}"
        doc = {
            "id": uri,
            "type": "Note",
            "attributedTo": self.uri,
            "content": content,
            "published": "2026-11-01T10:00:00Z",
            "to": [PUBLIC],
            "cc": [self.followers],
        }
        doc.update(extra)
        return doc

    def create(self, note: dict[str, Any], activity_id: str | None = None) -> dict[str, Any]:
        return {
            "@context": AS,
            "id": activity_id or f"{note['id']}/activity",
            "type": "Create",
            "actor": self.uri,
            "object": note,
            "to": note.get("to"),
            "cc": note.get("cc"),
        }

    def activity(self, kind: str, obj: Any, suffix: str, **extra: Any) -> dict[str, Any]:
        return {"@context": AS, "id": f"{self.uri}#{suffix}", "type": kind, "actor": self.uri,
                "object": obj, **extra}


def new_actor(host: str, username: str, **extra: Any) -> RemoteActor:
    private, public = generate_keypair()
    return RemoteActor(f"https://{host}/users/{username}", username, private, public, extra)


class FakeNetwork:
    """URL -> document; `fetch_object`/`fetch_json` answer from it or raise FetchError."""

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}
        self.webfinger: dict[tuple[str, str], dict[str, Any]] = {}
        self.fetched: list[str] = []
        self.statuses: dict[str, int] = {}  # URL -> HTTP status answered instead of a document

    def add_actor(self, actor: RemoteActor) -> RemoteActor:
        self.docs[actor.uri] = actor.document()
        return actor

    def actor(self, host: str, username: str, **extra: Any) -> RemoteActor:
        return self.add_actor(new_actor(host, username, **extra))

    def add_webfinger(self, host: str, resource: str, actor_uri: str | None, subject: str | None = None) -> None:
        links = [] if actor_uri is None else [
            {"rel": "self", "type": "application/activity+json", "href": actor_uri}
        ]
        self.webfinger[(host, resource)] = {"subject": subject or resource, "links": links}

    async def fetch_object(self, settings: Any, url: str, **_: Any) -> Any:
        self.fetched.append(url)
        answer = self.statuses.get(url.split("#", 1)[0])
        if answer is not None:
            raise fetch.FetchError(f"{answer} from {url}", status=answer)
        doc = self.docs.get(url.split("#", 1)[0])
        if doc is None:
            raise fetch.FetchError(f"404 from {url}", status=404)
        return json.loads(json.dumps(doc))

    async def fetch_json(self, settings: Any, url: str, **_: Any) -> Any:
        self.fetched.append(url)
        parts = urlsplit(url)
        resource = parse_qs(parts.query).get("resource", [""])[0]
        doc = self.webfinger.get((parts.netloc, resource))
        if doc is None:
            raise fetch.FetchError(f"404 from {url}")
        return json.loads(json.dumps(doc))


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    net = FakeNetwork()
    monkeypatch.setattr(fetch, "fetch_object", net.fetch_object)
    monkeypatch.setattr(fetch, "fetch_json", net.fetch_json, raising=False)
    from chaupal.federation import policy

    policy.clear_cache()
    return net


def signed(actor: RemoteActor, path: str, activity: dict[str, Any], *, key: RemoteActor | None = None,
           content_type: str = "application/activity+json") -> tuple[bytes, dict[str, str]]:
    """Body and headers of a POST to `path` signed by `key` (default: the actor itself)."""
    signer = key or actor
    body = json.dumps(activity).encode()
    headers = sign_headers("POST", f"{BASE}{path}", body, signer.key_id, signer.private_pem)
    headers["Content-Type"] = content_type
    return body, headers


async def deliver(client: Any, actor: RemoteActor, activity: dict[str, Any], *, path: str = "/inbox",
                  key: RemoteActor | None = None) -> Any:
    body, headers = signed(actor, path, activity, key=key)
    return await client.post(path, content=body, headers=headers)

"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials."""

from __future__ import annotations

from tests.web.flows import OOB


async def test_create_app__credential_application_shape(client):
    r = await client.post("/api/v1/apps", data={
        "client_name": "Tusky", "redirect_uris": "https://a.example/cb\nmyapp://cb",
        "scopes": "read write:statuses", "website": "https://tusky.example"})
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["name"] == "Tusky" and app["website"] == "https://tusky.example"
    assert app["scopes"] == ["read", "write:statuses"]
    assert app["redirect_uris"] == ["https://a.example/cb", "myapp://cb"]
    assert app["redirect_uri"] == "https://a.example/cb\nmyapp://cb"
    assert app["client_id"] and app["client_secret"] and app["client_secret_expires_at"] == 0
    assert app["vapid_key"] == "" and isinstance(app["id"], str)


async def test_create_app__redirect_uris_as_array_and_default_scope(client):
    r = await client.post("/api/v1/apps", json={"client_name": "x", "redirect_uris": [OOB, "https://b.example/"]})
    assert r.status_code == 200
    assert r.json()["redirect_uris"] == [OOB, "https://b.example/"]
    assert r.json()["scopes"] == ["read"]


async def test_create_app__unknown_scope__422(client):
    r = await client.post("/api/v1/apps", json={"client_name": "x", "redirect_uris": OOB, "scopes": "read admin:everything"})
    assert r.status_code == 422 and "scope" in r.json()["error"]


async def test_create_app__name_limit_from_settings(client, settings):
    ok = await client.post("/api/v1/apps", json={"client_name": "n" * settings.max_app_name_chars, "redirect_uris": OOB})
    assert ok.status_code == 200
    r = await client.post("/api/v1/apps", json={"client_name": "n" * (settings.max_app_name_chars + 1), "redirect_uris": OOB})
    assert r.status_code == 422 and "too long" in r.json()["error"]


async def test_create_app__redirect_uri_limit_from_settings(client, settings):
    base = "https://a.example/"
    ok = base + "x" * (settings.max_redirect_uri_chars - len(base))
    assert (await client.post("/api/v1/apps", json={"client_name": "x", "redirect_uris": ok})).status_code == 200
    r = await client.post("/api/v1/apps", json={"client_name": "x", "redirect_uris": ok + "x"})
    assert r.status_code == 422


async def test_create_app__bad_input__422(client):
    for body in (
        {"redirect_uris": OOB},  # no name
        {"client_name": "x"},  # no redirect URI
        {"client_name": "x", "redirect_uris": "not a uri"},
        {"client_name": "x", "redirect_uris": "https://a.example/cb#frag"},
        {"client_name": "x", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "x", "redirect_uris": OOB, "website": "ftp://x"},
        {"client_name": ["x"], "redirect_uris": OOB},
    ):
        r = await client.post("/api/v1/apps", json=body)
        assert r.status_code == 422, (body, r.text)
        assert "error" in r.json()


async def test_create_app__nul_character__400(client):
    r = await client.post("/api/v1/apps", json={"client_name": "a\x00b", "redirect_uris": OOB})
    assert r.status_code == 400 and "error" in r.json()


async def test_create_app__malformed_json__400(client):
    r = await client.post("/api/v1/apps", content=b'{"client_name": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()


async def test_verify_credentials__no_token__401(client):
    r = await client.get("/api/v1/apps/verify_credentials")
    assert r.status_code == 401 and "error" in r.json()


async def test_verify_credentials__bad_token__401(client):
    r = await client.get("/api/v1/apps/verify_credentials", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401

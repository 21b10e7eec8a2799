"""TOTP two-factor: enrolment and disabling through the API and the settings page, sign-in
step two with replay protection and rate limits, and the settings that bound it."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp

from chaupal.actions.otp import matching_step
from tests.gov.staff_world import Codes, enable_otp, make_world, user_row
from tests.web.flows import csrf_from, sign_in

OTP = "/api/chaupal/v1/otp"


def test_matching_step_accepts_only_the_window() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_800_000_000.0
    step = int(now // 30)
    assert matching_step(secret, totp.at(now), 1, now) == step
    assert matching_step(secret, totp.at(now - 30), 1, now) == step - 1
    assert matching_step(secret, totp.at(now - 60), 1, now) is None  # otp_valid_window = 1
    assert matching_step(secret, totp.at(now - 60), 2, now) == step - 2
    assert matching_step(secret, "12345", 1, now) is None
    assert matching_step(secret, "abcdef", 1, now) is None
    assert matching_step(secret, None, 1, now) is None


async def test_enrol_confirm_and_disable_through_the_api(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.otp_valid_window = 4
    alice = await make_user("alice")
    assert (await client.get(OTP, headers=alice.headers)).json() == {"enabled": False, "enabled_at": None, "pending": False}
    r = await client.post(f"{OTP}/enable", headers=alice.headers, json={"code": "123456"})
    assert r.status_code == 422  # no set-up yet
    r = await client.post(f"{OTP}/setup", headers=alice.headers)
    assert r.status_code == 200
    secret, uri = r.json()["secret"], r.json()["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and secret in uri and "alice" in uri
    assert (await client.get(OTP, headers=alice.headers)).json()["pending"] is True
    codes = Codes(secret)
    bad = "000000" if codes.totp.now() != "000000" else "111111"
    assert (await client.post(f"{OTP}/enable", headers=alice.headers, json={"code": bad})).status_code == 403
    r = await client.post(f"{OTP}/enable", headers=alice.headers, json={"code": codes.next()})
    assert r.status_code == 200 and r.json()["enabled"] is True
    assert (await user_row(app, alice.user_id)).otp_enabled_at is not None
    assert (await client.post(f"{OTP}/setup", headers=alice.headers)).status_code == 422
    assert (await client.post(f"{OTP}/disable", headers=alice.headers, json={})).status_code == 403
    r = await client.post(f"{OTP}/disable", headers=alice.headers, json={"code": codes.next()})
    assert r.status_code == 200 and r.json()["enabled"] is False
    row = await user_row(app, alice.user_id)
    assert row.otp_secret is None and row.otp_enabled_at is None


async def test_a_code_is_accepted_once(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.otp_valid_window = 4
    w = await make_world(app, client, make_user, verification="government")
    codes = await enable_otp(client, w.editor)
    code = codes.next()
    url = f"/api/chaupal/v1/institutions/{w.ministry_id}/token"
    body = {"client_id": w.client_id, "scopes": "read", "otp": code}
    assert (await client.post(url, headers=w.editor.headers, json=body)).status_code == 200
    r = await client.post(url, headers=w.editor.headers, json=body)
    assert r.status_code == 403 and "already used" in r.json()["error"]
    # An older step than the last one used is refused too.
    older = codes.totp.generate_otp(codes.step - 1)
    assert (await client.post(url, headers=w.editor.headers, json={**body, "otp": older})).status_code == 403


async def test_code_checks_are_rate_limited_per_user(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.rate_limit_otp = 2
    alice = await make_user("alice")
    await client.post(f"{OTP}/setup", headers=alice.headers)
    statuses = [(await client.post(f"{OTP}/enable", headers=alice.headers, json={"code": "000000"})).status_code
                for _ in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429


async def _password_step(client: Any, login: str) -> Any:
    page = await client.get("/auth/sign_in", params={"next": "/home"})
    return await client.post("/auth/sign_in", data={"username": login, "password": "password123", "next": "/home",
                                                    "csrf_token": csrf_from(page.text)})


async def test_web_sign_in_asks_for_the_code(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.otp_valid_window = 4
    alice = await make_user("alice")
    codes = await enable_otp(client, alice)
    r = await _password_step(client, "alice")
    assert r.status_code == 200 and "two-factor code" in r.text
    assert "chaupal_session" not in r.cookies
    pending = re.search(r'name="pending" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf_from(r.text), "pending": pending, "next": "/home"}
    wrong = await client.post("/auth/sign_in/otp", data={**form, "code": "99999"})
    assert wrong.status_code == 401
    forged = await client.post("/auth/sign_in/otp", data={**form, "pending": pending[:-2] + "00", "code": codes.next()})
    assert forged.status_code == 401 and "password again" in forged.text
    code = codes.next()
    ok = await client.post("/auth/sign_in/otp", data={**form, "code": code})
    assert ok.status_code == 303 and ok.headers["location"] == "/home"
    home = await client.get("/home")
    assert home.status_code == 200
    # The same code cannot sign in a second time.
    again = await client.post("/auth/sign_in/otp", data={**form, "csrf_token": csrf_from(home.text), "code": code})
    assert again.status_code == 401


async def test_pending_sign_in_expires(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.otp_valid_window = 4
    settings.otp_sign_in_ttl_seconds = 0
    alice = await make_user("alice")
    codes = await enable_otp(client, alice)
    r = await _password_step(client, "alice")
    pending = re.search(r'name="pending" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    expired = await client.post("/auth/sign_in/otp", data={
        "csrf_token": csrf_from(r.text), "pending": pending, "code": codes.next()})
    assert expired.status_code == 401 and "took too long" in expired.text


async def test_sign_in_step_two_counts_toward_the_sign_in_limit(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.rate_limit_sign_in = 2
    settings.otp_valid_window = 4
    alice = await make_user("alice")
    await enable_otp(client, alice)
    r = await _password_step(client, "alice")  # 1
    pending = re.search(r'name="pending" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf_from(r.text), "pending": pending, "code": "000000"}
    await client.post("/auth/sign_in/otp", data=form)  # 2
    assert (await client.post("/auth/sign_in/otp", data=form)).status_code == 429


async def test_settings_page_enrols_and_disables(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.otp_valid_window = 4
    await make_user("alice")
    await sign_in(client, "alice")
    page = await client.get("/settings/otp")
    assert page.status_code == 200 and "off" in page.text
    page = await client.post("/settings/otp/setup", data={"csrf_token": csrf_from(page.text)})
    secret = re.search(r'id="otp-secret">([A-Z2-7]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert "otpauth://totp/" in page.text
    codes = Codes(secret)
    page = await client.post("/settings/otp/enable", data={"csrf_token": csrf_from(page.text), "code": codes.next()})
    assert page.status_code == 200 and "is on" in page.text
    page = await client.post("/settings/otp/disable", data={"csrf_token": csrf_from(page.text), "code": "12"})
    assert page.status_code == 403
    page = await client.post("/settings/otp/disable", data={"csrf_token": csrf_from(page.text), "code": codes.next()})
    assert page.status_code == 200 and "is off" in page.text


async def test_web_switch_to_a_government_account_needs_totp_and_a_code(
    client: Any, app: Any, make_user: Any, settings: Any
) -> None:
    settings.otp_valid_window = 4
    w = await make_world(app, client, make_user, verification="government")
    await sign_in(client, "editor")
    home = await client.get("/home")
    data = {"csrf_token": csrf_from(home.text), "account_id": str(w.ministry_id), "next": "/home"}
    r = await client.post("/web/acting", data=data)
    assert r.status_code == 403 and "/settings/otp" in r.text
    codes = await enable_otp(client, w.editor)
    r = await client.post("/web/acting", data=data)
    assert r.status_code == 200 and 'name="otp"' in r.text  # asks for the code
    r = await client.post("/web/acting", data={**data, "otp": "00000"})
    assert r.status_code == 403
    r = await client.post("/web/acting", data={**data, "otp": codes.next()})
    assert r.status_code == 303
    assert "Acting as @ministry" in (await client.get("/home")).text
    # Back to yourself.
    r = await client.post("/web/acting", data={**data, "account_id": str(w.editor.account_id)})
    assert r.status_code == 303 and "Acting as" not in (await client.get("/home")).text


def test_codes_helper_is_in_sync_with_the_clock() -> None:
    codes = Codes(pyotp.random_base32(), start_offset=0)
    assert codes.next() == codes.totp.at(time.time()) or int(time.time() // 30) != codes.step

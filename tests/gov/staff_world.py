"""Shared set-up for the institution staff tests: a ministry account (no user behind it), its
owner, editor and analyst, an outsider, a registered app, and TOTP helpers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp

from chaupal.actions.members import check_add_member
from chaupal.db import utcnow
from chaupal.models import Account, InstitutionProfile, User


async def make_institution(app: Any, username: str = "ministry", verification: str | None = None) -> int:
    async with app.state.sessions() as s:
        account = Account(
            username=username, username_lower=username.lower(), display_name=f"Ministry {username}",
            kind="institution", verification=verification,
            verified_at=utcnow() if verification else None,
        )
        s.add(account)
        await s.flush()
        s.add(InstitutionProfile(account_id=account.id, category="ministry"))
        await s.commit()
        return account.id


async def add_member(app: Any, institution_id: int, username: str, role: str) -> None:
    async with app.state.sessions() as s:
        inst = await s.get(Account, institution_id)
        assert inst is not None
        await check_add_member(s, inst, None, role=role, username=username)
        await s.commit()


@dataclass
class World:
    ministry_id: int
    owner: Any
    editor: Any
    analyst: Any
    outsider: Any
    client_id: str
    client_secret: str


async def make_world(app: Any, client: httpx.AsyncClient, make_user: Any, verification: str | None = None) -> World:
    ministry = await make_institution(app, verification=verification)
    owner = await make_user("owner")
    editor = await make_user("editor")
    analyst = await make_user("analyst")
    outsider = await make_user("outsider")
    for user, role in ((owner, "owner"), (editor, "editor"), (analyst, "analyst")):
        await add_member(app, ministry, user.username, role)
    r = await client.post(
        "/api/v1/apps",
        json={"client_name": "Desk app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
              "scopes": "read write follow push"},
    )
    assert r.status_code == 200, r.text
    return World(ministry, owner, editor, analyst, outsider, r.json()["client_id"], r.json()["client_secret"])


async def delegate(
    client: httpx.AsyncClient, world: World, user: Any, scopes: str = "read write follow", **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/chaupal/v1/institutions/{world.ministry_id}/token",
        headers=user.headers, json={"client_id": world.client_id, "scopes": scopes, **extra},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Codes:
    """Successive TOTP codes, one time step apart, starting a little in the past (tests set a
    wide `otp_valid_window`, so several codes are accepted in a row without waiting)."""

    def __init__(self, secret: str, start_offset: int = -2) -> None:
        self.totp = pyotp.TOTP(secret)
        self.step = int(time.time() // 30) + start_offset - 1

    def next(self) -> str:
        self.step += 1
        return self.totp.generate_otp(self.step)


async def enable_otp(client: httpx.AsyncClient, user: Any) -> Codes:
    r = await client.post("/api/chaupal/v1/otp/setup", headers=user.headers)
    assert r.status_code == 200, r.text
    codes = Codes(r.json()["secret"])
    r = await client.post("/api/chaupal/v1/otp/enable", headers=user.headers, json={"code": codes.next()})
    assert r.status_code == 200, r.text
    return codes


async def user_row(app: Any, user_id: int) -> User:
    async with app.state.sessions() as s:
        row = await s.get(User, user_id)
        assert row is not None
        return row

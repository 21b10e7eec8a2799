"""Look-alike names: the skeleton, and impersonation flags raised on sign-up and rename."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chaupal.gov.confusables import MIN_SKELETON_CHARS, comparable, skeleton
from chaupal.models import ModerationFlag
from tests.gov.verification_helpers import ADMIN, make_institution, make_staff

CYRILLIC_A = "\u0430"


@pytest.mark.parametrize(
    "imitation",
    [
        f"PMOIndi{CYRILLIC_A}",  # Cyrillic а
        "PMO_lndia",  # lower-case L for capital I, underscore
        "PM0India",  # zero for O
        "pmo.india",
        "PMO India",
        "ＰＭＯＩｎｄｉａ",  # fullwidth (NFKC)
        "PMO\u200bIndia",  # zero-width space
        "ΡΜΟΙndia",  # Greek capitals Rho, Mu, Omicron, Iota
    ],
)
def test_skeleton__lookalikes_of_pmoindia__equal(imitation):
    assert skeleton(imitation) == skeleton("PMOIndia")


def test_skeleton__rn_looks_like_m():
    assert skeleton("FinMinIndia") == skeleton("FinMlnIndia") == skeleton("FinrnInIndia")


@pytest.mark.parametrize("other", ["PMOKerala", "PMIndia", "MEAIndia", "Narendra", "प्रधानमंत्री"])
def test_skeleton__different_names__differ(other):
    assert skeleton(other) != skeleton("PMOIndia")


def test_comparable__too_short__none():
    assert comparable("a" * (MIN_SKELETON_CHARS - 1)) is None
    assert comparable("_-.") is None
    assert comparable("abc" if MIN_SKELETON_CHARS <= 3 else "abcd") is not None


async def _verified_pmo(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", "PMO India", category="office")
    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification", json={"type": "government", "evidence": "gazette"},
        headers=mod.headers,
    )
    assert r.status_code == 200
    return pmo


async def _flags(app) -> list[ModerationFlag]:
    async with app.state.sessions() as s:
        return list((await s.scalars(select(ModerationFlag).order_by(ModerationFlag.id))).all())


async def test_sign_up__lookalike_username__flagged(app, client, settings, make_user):
    pmo = await _verified_pmo(app, client, settings, make_user)
    fake = await make_user("PMO_lndia")
    flags = await _flags(app)
    assert [(f.account_id, f.related_account_id, f.kind) for f in flags] == [
        (fake.account_id, pmo, "impersonation")
    ]
    assert {m["field"] for m in flags[0].detail["matches"]} == {"username"}


async def test_rename__cyrillic_display_name__flagged_once(app, client, settings, make_user):
    pmo = await _verified_pmo(app, client, settings, make_user)
    fan = await make_user("pmfan")
    assert await _flags(app) == []
    for _ in range(2):  # a second save of the same name does not add a second open flag
        r = await client.patch(
            "/api/v1/accounts/update_credentials", json={"display_name": f"PMO Indi{CYRILLIC_A}"},
            headers=fan.headers,
        )
        assert r.status_code == 200, r.text
    flags = await _flags(app)
    assert [(f.account_id, f.related_account_id) for f in flags] == [(fan.account_id, pmo)]
    assert flags[0].detail["matches"][0]["field"] == "display_name"


async def test_rename__display_name_imitating_username__flagged(app, client, settings, make_user):
    pmo = await _verified_pmo(app, client, settings, make_user)
    fan = await make_user("pmfan")
    r = await client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "PMO-lndia"}, headers=fan.headers
    )
    assert r.status_code == 200
    assert [f.related_account_id for f in await _flags(app)] == [pmo]


async def test_legitimately_different_names__not_flagged(app, client, settings, make_user):
    await _verified_pmo(app, client, settings, make_user)
    fan = await make_user("PMOKerala")
    r = await client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "CM's Office, Kerala"},
        headers=fan.headers,
    )
    assert r.status_code == 200
    await make_user("IndiaPMO_fan")
    assert await _flags(app) == []


async def test_unverified_accounts__not_protected(app, client, settings, make_user):
    await make_institution(app, settings, "PMOIndia", "PMO India")
    await make_user("PMO_lndia")
    assert await _flags(app) == []


async def test_verified_account_renaming_itself__not_flagged(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    person = await make_user("narendra")
    async with app.state.sessions() as s:
        from chaupal.actions.gov_accounts import do_set_verification
        from chaupal.models import Account

        account = await s.get(Account, person.account_id)
        await do_set_verification(s, account, "notable", "press", None)
        await s.commit()
    r = await client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "narendra"}, headers=person.headers
    )
    assert r.status_code == 200
    assert await _flags(app) == []
    assert mod  # the moderator exists but plays no part here


async def test_institution_created_by_moderator__lookalike__flagged(app, client, settings, make_user):
    pmo = await _verified_pmo(app, client, settings, make_user)
    mod = await make_staff(app, make_user, "mod2")
    r = await client.post(
        f"{ADMIN}/institutions", json={"username": "PM0_India", "category": "office"}, headers=mod.headers
    )
    assert r.status_code == 200
    assert [f.related_account_id for f in await _flags(app)] == [pmo]


async def test_verification__lookalikes_registered_before__flagged_once(app, client, settings, make_user):
    early_fake = await make_user("PMO_lndia")
    fan = await make_user("someone")
    r = await client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "PMO  Іndia"}, headers=fan.headers
    )
    assert r.status_code == 200
    await make_user("IndiaPMO_fan")  # different: never flagged
    assert await _flags(app) == []  # nothing to imitate yet

    pmo = await _verified_pmo(app, client, settings, make_user)

    flags = await _flags(app)
    assert sorted((f.account_id, f.related_account_id) for f in flags) == sorted(
        [(early_fake.account_id, pmo), (fan.account_id, pmo)]
    )
    # Verifying again (a changed type) raises no second flag for the same pair.
    mod = await make_staff(app, make_user, "mod2")
    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification", json={"type": "organisation", "evidence": "re-typed"},
        headers=mod.headers,
    )
    assert r.status_code == 200
    assert len(await _flags(app)) == 2

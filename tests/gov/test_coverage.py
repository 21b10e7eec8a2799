"""Coverage: importing the expected-entities YAML file (all or nothing, idempotent) and the
report's states (verified, unverified, inactive, missing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from chaupal.actions.coverage import check_import_coverage
from chaupal.errors import ApiError
from chaupal.gov.coverage import coverage_report
from chaupal.gov.coverage_file import CoverageFileError, parse_coverage_file
from chaupal.models import ExpectedEntity
from tests.gov.factories import make_institution, make_status

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cabinet.yaml"

SMALL = """
government:
  key: ruritania
  name: Government of Ruritania
  jurisdiction: Ruritania
  entities:
    - key: r.finance
      name: Ministry of Finance
      username: RuriFinance
      children:
        - key: r.finance.tax
          name: Tax Department
          category: department
    - key: r.health
      name: Ministry of Health
    - key: r.defence
      name: Ministry of Defence
      username: RuriDefence
    - key: r.post
      name: Post Office
      category: office
      username: RuriPost
"""


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(ExpectedEntity))


async def test_example_cabinet_file__imports(session, settings):
    result = await check_import_coverage(session, settings, EXAMPLE.read_bytes())
    await session.commit()
    assert result["government"] == "demo" and result["created"] == result["total"] > 10
    rows = {r.key: r for r in await session.scalars(select(ExpectedEntity))}
    assert rows["demo"].category == "government" and rows["demo"].parent_key is None
    assert rows["demo.finance.deptofrevenue"].parent_key == "demo.finance"
    assert rows["demo.finance"].category == "ministry"  # the default below the government
    assert rows["demo.delhi"].jurisdiction == "Delhi" and rows["demo.health"].jurisdiction == "India"


async def test_example_cabinet_file__matches_the_demo_cabinet(session, settings):
    """The example updates the demo's own declared cabinet in place (same government key)."""
    from chaupal.demo.gov import cabinet_yaml

    await check_import_coverage(session, settings, cabinet_yaml())
    result = await check_import_coverage(session, settings, EXAMPLE.read_bytes())
    assert (result["created"], result["updated"], result["removed"]) == (1, 0, 1)  # +Delhi, -Culture


async def test_import__twice__idempotent_and_updates_and_removes(session, settings):
    first = await check_import_coverage(session, settings, SMALL)
    await session.commit()
    assert first["created"] == 6 and first["removed"] == 0
    again = await check_import_coverage(session, settings, SMALL)
    await session.commit()
    assert (again["created"], again["updated"], again["removed"], again["unchanged"]) == (0, 0, 0, 6)
    changed = SMALL.replace("Ministry of Health", "Ministry of Health and Welfare").replace(
        "    - key: r.defence\n      name: Ministry of Defence\n      username: RuriDefence\n", ""
    )
    third = await check_import_coverage(session, settings, changed)
    await session.commit()
    assert (third["created"], third["updated"], third["removed"]) == (0, 1, 1)
    assert await _count(session) == 5
    health = await session.scalar(select(ExpectedEntity).where(ExpectedEntity.key == "r.health"))
    assert health.name == "Ministry of Health and Welfare"


BAD = """
government:
  key: Bad Key
  name: Government
  jurisdiction: X
  entities:
    - key: ok.one
      name: Fine
    - key: ok.one
      name: Duplicate key
    - name: No key
      category: ministri
      colour: blue
"""


async def test_import__bad_file__refused_listing_problems_and_nothing_imported(session, settings):
    await check_import_coverage(session, settings, SMALL)
    await session.commit()
    with pytest.raises(ApiError) as err:
        await check_import_coverage(session, settings, BAD)
    await session.rollback()
    message = err.value.message
    assert err.value.status == 422
    for fragment in ("government.key", "declared more than once", "entities[2].key: required",
                     "'ministri' is not one of", "unknown field 'colour'"):
        assert fragment in message
    assert await _count(session) == 6  # the earlier import is untouched


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("government: [1, 2", "not valid YAML at line"),
        ("- just a list", "must be a mapping"),
        ("government:\n  key: g\n  name: G\n", "jurisdiction: required"),
        ("government:\n  key: g\n  name: G\n  jurisdiction: X\n  entities: 3\n", "must be a list"),
        ("version: 2\ngovernment:\n  key: g\n  name: G\n  jurisdiction: X\n", "only version 1"),
        ("government:\n  key: g\n  name: G\n  jurisdiction: X\n  username: 'a b'\n", "not a valid username"),
    ],
)
def test_parse__malformed__clear_message(settings, text, fragment):
    with pytest.raises(CoverageFileError) as err:
        parse_coverage_file(text, settings)
    assert fragment in str(err.value)


def test_parse__max_gov_import_entities_setting__enforced(settings):
    small = settings.model_copy(update={"max_gov_import_entities": 3})
    with pytest.raises(CoverageFileError, match="max_gov_import_entities"):
        parse_coverage_file(SMALL, small)
    assert len(parse_coverage_file(SMALL, settings).entities) == 6


def test_parse__max_gov_import_bytes_setting__enforced(settings):
    small = settings.model_copy(update={"max_gov_import_bytes": 100})
    with pytest.raises(CoverageFileError, match="larger than 100 bytes"):
        parse_coverage_file(SMALL, small)


async def test_import__key_of_another_government__refused(session, settings):
    await check_import_coverage(session, settings, SMALL)
    await session.commit()
    other = "government:\n  key: other\n  name: O\n  jurisdiction: O\n  entities:\n    - key: r.health\n      name: H\n"
    with pytest.raises(ApiError, match="already declared by government 'ruritania'"):
        await check_import_coverage(session, settings, other)
    await session.rollback()
    assert await _count(session) == 6


async def test_report__states(session, settings):
    await check_import_coverage(session, settings, SMALL)
    finance = await make_institution(session, "RuriFinance", "Ministry of Finance", verification="government")
    await make_status(session, finance, days_ago=1)
    # Matched by name (no expected username), present but not verified.
    await make_institution(session, "ruri_health_min", "ministry of health")
    # Verified but silent for longer than coverage_inactive_days.
    post = await make_institution(session, "RuriPost", "Post", verification="government")
    await make_status(session, post, days_ago=settings.coverage_inactive_days + 5)
    await session.commit()
    report = await coverage_report(session, settings)
    by_key = {e["key"]: e for e in report["entities"]}
    assert by_key["r.finance"]["state"] == "verified" and by_key["r.finance"]["matched_by"] == "username"
    assert by_key["r.health"]["state"] == "unverified" and by_key["r.health"]["matched_by"] == "name"
    assert by_key["r.post"]["state"] == "inactive" and by_key["r.post"]["verified"] is True
    assert by_key["r.defence"]["state"] == "missing" and by_key["r.defence"]["acct"] is None
    assert by_key["ruritania"]["state"] == "missing"
    assert report["summary"] == {"total": 6, "missing": 3, "unverified": 1, "inactive": 1, "verified": 1}


async def test_report__coverage_inactive_days_setting__enforced(session, settings):
    await check_import_coverage(session, settings, SMALL)
    post = await make_institution(session, "RuriPost", "Post", verification="government")
    await make_status(session, post, days_ago=10)
    await session.commit()
    report = await coverage_report(session, settings.model_copy(update={"coverage_inactive_days": 5}))
    assert {e["key"]: e["state"] for e in report["entities"]}["r.post"] == "inactive"
    report = await coverage_report(session, settings.model_copy(update={"coverage_inactive_days": 15}))
    assert {e["key"]: e["state"] for e in report["entities"]}["r.post"] == "verified"


async def test_coverage_api__public_json(client, session, settings):
    await check_import_coverage(session, settings, SMALL)
    await session.commit()
    r = await client.get("/api/chaupal/v1/coverage", params={"government": "ruritania"})
    assert r.status_code == 200
    body = r.json()
    assert body["summary"]["total"] == 6 and body["inactive_after_days"] == settings.coverage_inactive_days
    r = await client.get("/api/chaupal/v1/coverage", params={"government": "nowhere"})
    assert r.json()["summary"]["total"] == 0

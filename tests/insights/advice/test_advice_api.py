"""Who sees advice (API, web page): the account itself and an institution's owners and analysts
(also an owner's delegated token); editors and others 403. And the CLI `insights advise`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from typer.testing import CliRunner

from chaupal.actions.imports import do_import_x_tweets
from chaupal.cli import app as cli
from chaupal.importers.x_archive import tweet_from_json
from chaupal.models import Account
from tests.gov.staff_world import bearer, delegate, make_world
from tests.importers.archive_factory import synth_items
from tests.web.flows import sign_in


async def _history(app: Any, settings: Any, account_id: int, n: int = 1500) -> None:
    async with app.state.sessions() as s:
        account = await s.get(Account, account_id)
        await do_import_x_tweets(s, settings, account, [tweet_from_json(i, "t") for i in synth_items(5, n=n)])
        await s.commit()


async def test_advice_api__permissions(client: Any, app: Any, settings: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    await _history(app, settings, w.ministry_id)
    url = f"/api/chaupal/v1/accounts/{w.ministry_id}/advice"
    for user in (w.owner, w.analyst):
        r = await client.get(url, headers=user.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["account"]["id"] == str(w.ministry_id)
        hour = next(p for p in body["advice"] if p["factor"] == "hour")
        assert (hour["status"], hour["choice"]) == ("advice", "18:00–20:00") and hour["ci_low"] > 1
        assert body["answering"]["questions"] == 0 and body["method"]["correction"] == "holm"
    for user in (w.editor, w.outsider):
        assert (await client.get(url, headers=user.headers)).status_code == 403
    own = await client.get(f"/api/chaupal/v1/accounts/{w.outsider.account_id}/advice", headers=w.outsider.headers)
    assert own.status_code == 200 and own.json()["posts_analysed"] == 0
    owner_token = (await delegate(client, w, w.owner, scopes="read")).json()["access_token"]
    assert (await client.get(url, headers=bearer(owner_token))).status_code == 200
    editor_token = (await delegate(client, w, w.editor, scopes="read")).json()["access_token"]
    assert (await client.get(url, headers=bearer(editor_token))).status_code == 403
    assert (await client.get(url)).status_code == 401
    assert (await client.get("/api/chaupal/v1/accounts/123/advice", headers=w.owner.headers)).status_code == 404
    assert (await client.get("/api/chaupal/v1/accounts/x'/advice", headers=w.owner.headers)).status_code == 404


async def test_advice_answering__share_and_median_response(client: Any, app: Any, settings: Any, make_user: Any) -> None:
    pmo = await make_user("pmo")
    citizen = await make_user("citizen")
    post = (await client.post("/api/v1/statuses", headers=pmo.headers, json={"status": "New scheme today"})).json()
    asked = []
    for text in ("When does it start?", "Is it for students?", "Thanks!"):
        r = await client.post("/api/v1/statuses", headers=citizen.headers,
                              json={"status": f"@pmo {text}", "in_reply_to_id": post["id"]})
        asked.append(r.json()["id"])
    await client.post("/api/v1/statuses", headers=pmo.headers,
                      json={"status": "@citizen From Monday.", "in_reply_to_id": asked[0]})
    r = await client.get(f"/api/chaupal/v1/accounts/{pmo.account_id}/advice", headers=pmo.headers)
    a = r.json()["answering"]
    assert (a["questions"], a["answered"], a["share_answered"]) == (2, 1, 0.5)
    assert a["median_response_minutes"] is not None and a["median_response_minutes"] >= 0
    limited = settings.model_copy(update={"advice_max_questions": 1})
    from chaupal.insights.advice.answering import answering_summary

    async with app.state.sessions() as s:
        account = await s.get(Account, pmo.account_id)
        assert (await answering_summary(s, limited, account))["scanned"] == 1


async def test_advice_page__own_and_staff_see_it_others_refused(client: Any, app: Any, settings: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    await _history(app, settings, w.ministry_id, n=600)
    page = "/@ministry/advice"
    anonymous = await client.get(page)
    assert anonymous.status_code == 303 and "/auth/sign_in" in anonymous.headers["location"]
    await sign_in(client, "analyst")
    r = await client.get(page)
    assert r.status_code == 200
    assert "Advice for @ministry" in r.text and "<svg" in r.text and "18:00–20:00" in r.text
    assert "Withheld." in r.text and "Answering citizens" in r.text
    client.cookies.clear()
    await sign_in(client, "outsider")
    assert (await client.get(page)).status_code == 403
    assert (await client.get("/@outsider/advice")).status_code == 200
    assert (await client.get("/@nobody/advice")).status_code == 404


async def test_insights_advise_cli__table_and_json(app: Any, settings: Any, make_user: Any) -> None:
    user = await make_user("finmin")
    await _history(app, settings, user.account_id, n=600)
    env = {"CHAUPAL_DATA_DIR": str(settings.data_dir), "CHAUPAL_DATABASE_URL": settings.database_url,
           "CHAUPAL_REDIS_URL": "", "COLUMNS": "200"}
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, ["insights", "advise", *args], env=env, catch_exceptions=False)

    table = await asyncio.to_thread(run, "finmin")
    assert table.exit_code == 0, table.output
    assert "Time of day" in table.output and "withheld" in table.output and "Answering citizens" in table.output
    report = json.loads((await asyncio.to_thread(run, "@FinMin", "--json")).output)
    assert report["posts_analysed"] == 600 and len(report["advice"]) == 7
    missing = await asyncio.to_thread(run, "nobody")
    assert missing.exit_code == 1 and "No local account" in missing.output

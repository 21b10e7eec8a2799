"""The reaction monitor's JSON for a post, a hashtag, a keyword and an account's mentions:
numbers equal a direct count of the replies posted; public data only (private posts, blocks,
suspended authors); questions answered by the account drop off the list."""

from __future__ import annotations

from collections import Counter

from chaupal.db import utcnow
from chaupal.insights.sentiment import classify
from chaupal.models import Account
from tests.insights.monitor.util import post

REPLIES = [
    "Wonderful news, thank you so much!",
    "This is terrible, the fares are too high",
    "When will the metro reach my district?",
    "yeh metro kab tak banegi?",
    "यह योजना बहुत अच्छी है",
    "Metro fares look fine to me",
]


async def _world(client, make_user):
    pmo = await make_user("pmo")
    citizens = [await make_user(f"citizen{n}") for n in range(3)]
    root = await post(client, pmo, "The new #Metro line opens today")
    replies = []
    for n, text in enumerate(REPLIES):
        replies.append(await post(client, citizens[n % 3], text, in_reply_to_id=root["id"]))
    return pmo, citizens, root, replies


async def test_status__counts_sentiment_languages_terms_equal_direct_count(client, make_user):
    pmo, citizens, root, replies = await _world(client, make_user)
    nested = await post(client, citizens[0], "I agree, the fares are high", in_reply_to_id=replies[1]["id"])
    quote = await post(client, citizens[1], f"Read this: {root['url']}")
    await post(client, pmo, "Thank you all", in_reply_to_id=root["id"])  # the account's own: not a reaction
    await post(client, citizens[2], "secret", in_reply_to_id=root["id"], visibility="private")
    await post(client, citizens[2], "elsewhere entirely")
    r = await client.get(f"/api/chaupal/v1/reactions/statuses/{root['id']}")
    assert r.status_code == 200, r.text
    data = r.json()
    texts = REPLIES + ["I agree, the fares are high", f"Read this: {root['url']}"]
    assert data["total"] == len(texts) == 8 and not data["truncated"]
    assert data["sentiment"] == {k: Counter(classify(texts))[k] for k in ("negative", "neutral", "positive")}
    assert sum(b["count"] for b in data["series"]) == 8
    assert all(b["count"] == b["negative"] + b["neutral"] + b["positive"] for b in data["series"])
    assert data["latest_id"] == quote["id"]
    assert {row["language"]: row["count"] for row in data["languages"]} == {"en": 6, "hi": 1, "hi-Latn": 1}
    terms = {row["term"]: row["count"] for row in data["top_terms"]}
    assert terms["metro"] == 3 and terms["fares"] == 3 and "the" not in terms and "hai" not in terms
    assert data["subject"]["type"] == "status" and data["subject"]["account"]["acct"] == "pmo"
    assert nested["id"] not in {p["id"] for p in data["unanswered_questions"]}  # not a question
    # the window starts at the post: its first bucket holds every reply
    assert data["window"]["since"] <= root["created_at"].replace("Z", "+00:00")


async def test_status__questions_answered_by_the_account_leave_the_list(client, make_user):
    pmo, citizens, root, replies = await _world(client, make_user)
    url = f"/api/chaupal/v1/reactions/statuses/{root['id']}"
    data = (await client.get(url)).json()
    asked = {replies[2]["id"], replies[3]["id"]}
    assert data["questions"] == {"total": 2, "answered": 0, "unanswered": 2}
    assert {p["id"] for p in data["unanswered_questions"]} == asked
    await post(client, citizens[0], "Good question", in_reply_to_id=replies[2]["id"])  # not the account
    await post(client, pmo, "By March, in phase two", in_reply_to_id=replies[2]["id"])
    data = (await client.get(url)).json()
    assert data["questions"] == {"total": 2, "answered": 1, "unanswered": 1}
    assert [p["id"] for p in data["unanswered_questions"]] == [replies[3]["id"]]
    assert data["unanswered_questions"][0]["account"]["acct"] == "citizen0"


async def test_status__most_engaged_ranked_by_favourites_reblogs_replies(client, make_user):
    _, citizens, root, replies = await _world(client, make_user)
    for c in citizens:
        await client.post(f"/api/v1/statuses/{replies[1]['id']}/favourite", headers=c.headers)
    await client.post(f"/api/v1/statuses/{replies[4]['id']}/favourite", headers=citizens[0].headers)
    data = (await client.get(f"/api/chaupal/v1/reactions/statuses/{root['id']}")).json()
    engaged = data["most_engaged"]
    assert [p["id"] for p in engaged[:2]] == [replies[1]["id"], replies[4]["id"]]
    assert engaged[0]["favourites_count"] == 3 and engaged[0]["engagement"] == 3
    assert engaged[0]["sentiment"] in ("negative", "neutral", "positive") and engaged[0]["content"]


async def test_tag_keyword_and_mentions_subjects(client, make_user):
    pmo, citizens, _, _ = await _world(client, make_user)
    await post(client, citizens[0], "#metro fares again")
    await post(client, citizens[1], "@pmo please fix the roads")
    tag = (await client.get("/api/chaupal/v1/reactions/tags/METRO")).json()
    assert tag["total"] == 2 and tag["subject"]["name"] == "Metro"  # the post and the #metro one
    kw = (await client.get("/api/chaupal/v1/reactions/keywords", params={"q": "metr"})).json()
    assert kw["total"] == 5  # prefix match: root, 3 replies mentioning metro, the #metro post
    men = (await client.get(f"/api/chaupal/v1/reactions/accounts/{pmo.account_id}/mentions")).json()
    assert men["total"] == len(REPLIES) + 1  # replies to pmo's post and the @pmo mention
    assert men["subject"]["account"]["acct"] == "pmo"
    unknown = (await client.get("/api/chaupal/v1/reactions/tags/nosuchtag")).json()
    assert unknown["total"] == 0 and len(unknown["series"]) >= 1


async def test_public_data_only__private_root_hidden_blocks_and_suspensions(app, client, make_user):
    pmo, citizens, root, _ = await _world(client, make_user)
    viewer = await make_user("viewer")
    private = await post(client, pmo, "followers only", visibility="private")
    assert (await client.get(f"/api/chaupal/v1/reactions/statuses/{private['id']}")).status_code == 404
    assert (await client.get(f"/api/chaupal/v1/reactions/statuses/{private['id']}",
                             headers=pmo.headers)).status_code == 404  # not even for its author
    await client.post(f"/api/v1/accounts/{viewer.account_id}/block", headers=citizens[0].headers)
    url = f"/api/chaupal/v1/reactions/statuses/{root['id']}"
    assert (await client.get(url)).json()["total"] == 6
    assert (await client.get(url, headers=viewer.headers)).json()["total"] == 4  # citizen0 blocked them
    async with app.state.sessions() as s:
        (await s.get(Account, citizens[1].account_id)).suspended_at = utcnow()
        await s.commit()
    assert (await client.get(url)).json()["total"] == 4
    async with app.state.sessions() as s:
        (await s.get(Account, pmo.account_id)).suspended_at = utcnow()
        await s.commit()
    assert (await client.get(url)).status_code == 404
    assert (await client.get(f"/api/chaupal/v1/reactions/accounts/{pmo.account_id}/mentions")).status_code == 404


async def test_bad_input__4xx(client, make_user):
    _, _, root, _ = await _world(client, make_user)
    base = f"/api/chaupal/v1/reactions/statuses/{root['id']}"
    for params, status in (
        ({"window": "soon"}, 422), ({"window": "0"}, 422), ({"bucket": "x"}, 422), ({"window": "1h", "bucket": "0"}, 422),
    ):
        r = await client.get(base, params=params)
        assert r.status_code == status and "error" in r.json(), (params, r.text)
    assert (await client.get("/api/chaupal/v1/reactions/statuses/abc")).status_code == 404
    assert (await client.get("/api/chaupal/v1/reactions/keywords")).status_code == 422
    assert (await client.get("/api/chaupal/v1/reactions/keywords", params={"q": "!!!"})).status_code == 422
    assert (await client.get("/api/chaupal/v1/reactions/tags/%20")).status_code == 422
    assert (await client.get(base, headers={"Authorization": "Bearer nope"})).status_code == 401

"""Acceptance (issue 7): a report forwarded across servers. A user on A reports an account of B
and one of its posts with `forward=true` (Mastodon.py `report()`); B's moderators find it in
`GET /api/v1/admin/reports`, sent by A's instance actor, with the post and the comment, and
without the reporter's name. Without `forward`, B hears nothing."""

from __future__ import annotations

import json

from tests.federation.e2e.flows import resolve
from tests.federation.e2e.harness import Instance, settle, unique, wait_for


def test_report__forwarded_to_the_reported_accounts_server_anonymously(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    reporter_name, troll_name = unique("reporter"), unique("troll")
    reporter = a.register(reporter_name)
    troll = b.register(troll_name)
    post = troll.status_post("An abusive public post", visibility="public")
    troll_on_a = resolve(reporter, b.handle(troll_name))
    found = reporter.search_v2(post.uri, resolve=True, result_type="statuses").statuses
    [post_on_a] = [s for s in found if s.uri == post.uri]
    moderator = b.client(b.admin_token(unique("admin")))
    troll_id_on_b = troll.me().id

    quiet = reporter.report(troll_on_a.id, status_ids=[post_on_a.id], comment="not forwarded")
    assert quiet.forwarded is False
    report = reporter.report(
        troll_on_a.id, status_ids=[post_on_a.id], comment="Harassment, please look", forward=True, category="other"
    )
    assert report.forwarded is True

    def arrived() -> list:
        return moderator.admin_reports(target_account_id=troll_id_on_b)

    wait_for("the forwarded report on B", lambda: arrived())
    settle(a, b)
    [received] = arrived()  # only the forwarded one: the other never left A
    assert received.comment == "Harassment, please look"
    assert [s.uri for s in received.statuses] == [post.uri]
    assert received.account.domain == a.domain and received.account.username != reporter_name
    raw = json.dumps(moderator.admin_report(received.id), default=str)
    assert reporter_name not in raw

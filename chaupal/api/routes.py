"""The one route table: every router of the app, grouped by resource."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from chaupal.api import oauth
    from chaupal.api.mastodon import (
        accounts,
        admin,
        apps,
        blocks,
        credentials,
        custom_emojis,
        favourites,
        follow_requests,
        instance,
        markers,
        media,
        notifications,
        preferences,
        scheduled_statuses,
        search,
        statuses,
        timelines,
    )
    from chaupal.api.chaupal import gov_admin, gov_public
    from chaupal.api.chaupal import directory as gov_directory
    from chaupal.api.chaupal import leaderboards as gov_leaderboards
    from chaupal.api.chaupal import presences as gov_presences
    from chaupal.api.chaupal import drafts as gov_drafts
    from chaupal.api.chaupal import institutions_staff, otp
    from chaupal.web import pages

    for module in (
        apps,
        instance,
        custom_emojis,
        credentials,  # before accounts: /accounts/verify_credentials beats /accounts/{id}
        accounts,
        admin,
        blocks,
        follow_requests,
        statuses,
        scheduled_statuses,
        media,
        timelines,
        favourites,
        notifications,
        search,
        markers,
        preferences,
    ):
        app.include_router(module.router)
    for module in (gov_admin, gov_public):  # verification, institutions, offices, flags
        app.include_router(module.router)
    app.include_router(gov_drafts.router)  # approval drafts of institutions
    for module in (institutions_staff, otp):  # staff, delegated tokens, audit; two-factor
        app.include_router(module.router)
    from chaupal.api.mastodon import admin_trends, suggestions, trends

    for module in (suggestions, trends, admin_trends):  # who-to-follow and trends (issue 5)
        app.include_router(module.router)
    app.include_router(oauth.router)
    from chaupal.api.chaupal import analytics
    from chaupal.web import analytics_pages

    for module in (analytics, analytics_pages):  # engagement analytics (issue 5), before pages:
        app.include_router(module.router)  # /@user/analytics is not a post
    from chaupal.api.chaupal import advice
    from chaupal.web import advice_pages

    for module in (advice, advice_pages):  # advice from data (issue 5), before pages: /@user/advice
        app.include_router(module.router)
    app.include_router(pages.router)
    for module in (gov_directory, gov_leaderboards, gov_presences):
        app.include_router(module.router)
    from chaupal.api.chaupal import reactions
    from chaupal.web import monitor_pages

    for module in (reactions, monitor_pages):  # the real-time reaction monitor (issue 5)
        app.include_router(module.router)
    from chaupal.api.mastodon import streaming

    app.include_router(streaming.router)  # Mastodon's streaming API: WebSocket and SSE (issue 6)
    from chaupal.api import metrics

    app.include_router(metrics.router)  # GET /metrics for Prometheus (issue 6)
    from chaupal.api.federation import actors, hostmeta, nodeinfo, objects, webfinger
    from chaupal.api.federation import collections as ap_collections

    for module in (webfinger, hostmeta, nodeinfo, actors, ap_collections, objects):  # ActivityPub
        app.include_router(module.router)  # discovery, actors, collections, objects (issue 7)
    from chaupal.api.federation import inbox as ap_inbox

    app.include_router(ap_inbox.router)  # POST /users/{username}/inbox and /inbox (issue 7)
    from chaupal.api.federation import instance_actor as ap_instance_actor

    app.include_router(ap_instance_actor.router)  # GET /actor: the instance actor (issue 7)
    from chaupal.api.mastodon import domain_blocks

    app.include_router(domain_blocks.router)  # domain policy: admin blocks/allows, users' own (issue 7)
    from chaupal.api.chaupal import migration as account_migration

    app.include_router(account_migration.router)  # moving an account: aliases, Move (issue 7)
    from chaupal.api.mastodon import reports

    app.include_router(reports.router)  # POST /api/v1/reports and /api/v1/admin/reports (issue 7)


def iter_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, walking FastAPI's lazily included routers."""
    out: list[tuple[str, str]] = []

    def walk(routes: object, prefix: str = "") -> None:
        for route in routes:  # type: ignore[attr-defined]
            if hasattr(route, "effective_candidates"):
                walk(route.effective_candidates())
                continue
            original = getattr(route, "original_route", route)
            path = getattr(route, "path", None) or getattr(original, "path", "")
            for method in sorted(getattr(original, "methods", None) or ()):
                if method not in ("HEAD", "OPTIONS"):
                    out.append((method, prefix + path))
            if hasattr(original, "routes") and not getattr(original, "methods", None):
                walk(original.routes, prefix + path)

    walk(app.routes)
    return sorted(set(out))

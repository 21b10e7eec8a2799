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
        notifications,
        preferences,
        search,
        statuses,
        timelines,
    )
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
        timelines,
        favourites,
        notifications,
        search,
        markers,
        preferences,
    ):
        app.include_router(module.router)
    app.include_router(oauth.router)
    app.include_router(pages.router)

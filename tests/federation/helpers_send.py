"""Test helpers for the sending side: remote accounts made directly in the database."""

from __future__ import annotations

from typing import Any

from chaupal.models import Account, Follow


async def make_remote(
    app: Any, username: str, domain: str, *, shared: bool = True, follows: int | None = None
) -> Account:
    """A remote account `username@domain` (inbox `https://domain/users/u/inbox`, shared inbox
    `https://domain/inbox` when `shared`), following local account id `follows` if given."""
    async with app.state.sessions() as s:
        actor = f"https://{domain}/users/{username}"
        account = Account(
            username=username,
            username_lower=username.lower(),
            domain=domain,
            uri=actor,
            url=f"https://{domain}/@{username}",
            inbox_url=f"{actor}/inbox",
            shared_inbox_url=f"https://{domain}/inbox" if shared else None,
            key_id=f"{actor}#main-key",
        )
        s.add(account)
        await s.flush()
        if follows is not None:
            s.add(Follow(account_id=account.id, target_account_id=follows))
        await s.commit()
        s.expunge(account)
        return account

"""Domain policy over the API, in Mastodon's shapes: the operator's domain blocks and allows
(`/api/v1/admin/domain_blocks`, `/api/v1/admin/domain_allows`, moderators and admins with
`admin:read:domain_blocks` / `admin:write:domain_blocks` and the `domain_allows` pair, which
`admin:read` / `admin:write` grant) and a user's own blocked domains (`/api/v1/domain_blocks`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.domain_blocks import (
    check_create_domain_allow,
    check_create_domain_block,
    check_user_domain_block,
    do_delete_domain_allow,
    do_delete_domain_block,
    do_update_domain_block,
    do_user_domain_unblock,
)
from chaupal.api.deps import Auth, ReadBlocks, SessionDep, SettingsDep, WriteBlocks
from chaupal.api.mastodon.admin import _staff
from chaupal.api.paging import apply_page, finish, page_from, set_link
from chaupal.api.params import parse
from chaupal.errors import not_found
from chaupal.models.federation import AccountDomainBlock, DomainAllow, DomainBlock
from chaupal.render import iso

router = APIRouter()
BlocksRead = Annotated[Auth, _staff("admin:read:domain_blocks")]
BlocksWrite = Annotated[Auth, _staff("admin:write:domain_blocks")]
AllowsRead = Annotated[Auth, _staff("admin:read:domain_allows")]
AllowsWrite = Annotated[Auth, _staff("admin:write:domain_allows")]
PAGE_DEFAULT, PAGE_MAX = 100, 200  # Mastodon's for these lists


class DomainBlockIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: str | None = None
    severity: str | None = None
    reject_media: bool | None = None
    reject_reports: bool | None = None
    private_comment: str | None = None
    public_comment: str | None = None
    obfuscate: bool | None = None


class DomainIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: str | None = None


def render_domain_block(block: DomainBlock) -> dict[str, Any]:
    """Mastodon's Admin::DomainBlock."""
    import hashlib

    return {
        "id": str(block.id),
        "domain": block.domain,
        "digest": hashlib.sha256(block.domain.encode()).hexdigest(),
        "created_at": iso(block.created_at),
        "severity": block.severity,
        "reject_media": block.reject_media,
        "reject_reports": block.reject_reports,
        "private_comment": block.private_comment or None,
        "public_comment": block.public_comment or None,
        "obfuscate": block.obfuscate,
    }


def render_domain_allow(allow: DomainAllow) -> dict[str, Any]:
    return {"id": str(allow.id), "domain": allow.domain, "created_at": iso(allow.created_at)}


async def _get(session: AsyncSession, model: Any, row_id: str) -> Any:
    if not row_id.isdigit() or len(row_id) > 19:
        raise not_found()
    row = await session.get(model, int(row_id))
    if row is None:
        raise not_found()
    return row


async def _list(request: Request, response: Response, session: AsyncSession, model: Any) -> list[Any]:
    page = page_from(request, PAGE_DEFAULT, PAGE_MAX)
    rows = finish((await session.scalars(apply_page(select(model), model.id, page))).all(), page)
    set_link(request, response, [r.id for r in rows])
    return rows


# --- admin: domain blocks ---------------------------------------------------------------------


@router.get("/api/v1/admin/domain_blocks")
async def list_domain_blocks(
    request: Request, response: Response, session: SessionDep, auth: BlocksRead
) -> list[dict[str, Any]]:
    return [render_domain_block(b) for b in await _list(request, response, session, DomainBlock)]


@router.get("/api/v1/admin/domain_blocks/{block_id}")
async def get_domain_block(block_id: str, session: SessionDep, auth: BlocksRead) -> dict[str, Any]:
    return render_domain_block(await _get(session, DomainBlock, block_id))


@router.post("/api/v1/admin/domain_blocks")
async def create_domain_block(
    request: Request, session: SessionDep, settings: SettingsDep, auth: BlocksWrite
) -> dict[str, Any]:
    params = await parse(request, DomainBlockIn)
    fields = params.model_dump(exclude={"domain"})
    block = await check_create_domain_block(session, settings, _me(auth), params.domain, fields)
    return render_domain_block(block)


@router.put("/api/v1/admin/domain_blocks/{block_id}")
async def update_domain_block(
    block_id: str, request: Request, session: SessionDep, auth: BlocksWrite
) -> dict[str, Any]:
    block = await _get(session, DomainBlock, block_id)
    params = await parse(request, DomainBlockIn)
    block = await do_update_domain_block(session, _me(auth), block, params.model_dump(exclude={"domain"}))
    return render_domain_block(block)


@router.delete("/api/v1/admin/domain_blocks/{block_id}")
async def delete_domain_block(block_id: str, session: SessionDep, auth: BlocksWrite) -> dict[str, Any]:
    await do_delete_domain_block(session, _me(auth), await _get(session, DomainBlock, block_id))
    return {}


# --- admin: domain allows ---------------------------------------------------------------------


@router.get("/api/v1/admin/domain_allows")
async def list_domain_allows(
    request: Request, response: Response, session: SessionDep, auth: AllowsRead
) -> list[dict[str, Any]]:
    return [render_domain_allow(a) for a in await _list(request, response, session, DomainAllow)]


@router.get("/api/v1/admin/domain_allows/{allow_id}")
async def get_domain_allow(allow_id: str, session: SessionDep, auth: AllowsRead) -> dict[str, Any]:
    return render_domain_allow(await _get(session, DomainAllow, allow_id))


@router.post("/api/v1/admin/domain_allows")
async def create_domain_allow(
    request: Request, session: SessionDep, settings: SettingsDep, auth: AllowsWrite
) -> dict[str, Any]:
    params = await parse(request, DomainIn)
    return render_domain_allow(await check_create_domain_allow(session, settings, _me(auth), params.domain))


@router.delete("/api/v1/admin/domain_allows/{allow_id}")
async def delete_domain_allow(allow_id: str, session: SessionDep, auth: AllowsWrite) -> dict[str, Any]:
    await do_delete_domain_allow(session, _me(auth), await _get(session, DomainAllow, allow_id))
    return {}


def _me(auth: Auth) -> int | None:
    return auth.account.id if auth.account is not None else None


# --- a user's own domain blocks ---------------------------------------------------------------


@router.get("/api/v1/domain_blocks")
async def list_user_domain_blocks(
    request: Request, response: Response, session: SessionDep, auth: ReadBlocks
) -> list[str]:
    assert auth.account is not None
    page = page_from(request, PAGE_DEFAULT, PAGE_MAX)
    stmt = select(AccountDomainBlock).where(AccountDomainBlock.account_id == auth.account.id)
    rows = finish((await session.scalars(apply_page(stmt, AccountDomainBlock.id, page))).all(), page)
    set_link(request, response, [r.id for r in rows])
    return [r.domain for r in rows]


@router.post("/api/v1/domain_blocks")
async def block_domain(
    request: Request, session: SessionDep, settings: SettingsDep, auth: WriteBlocks
) -> dict[str, Any]:
    assert auth.account is not None
    params = await parse(request, DomainIn)
    await check_user_domain_block(session, settings, auth.account, params.domain)
    return {}


@router.delete("/api/v1/domain_blocks")
async def unblock_domain(
    request: Request, session: SessionDep, settings: SettingsDep, auth: WriteBlocks
) -> dict[str, Any]:
    assert auth.account is not None
    params = await parse(request, DomainIn)
    await do_user_domain_unblock(session, settings, auth.account, params.domain)
    return {}

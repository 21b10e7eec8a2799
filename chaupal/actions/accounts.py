"""Creating accounts and users, and changing passwords and roles."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.errors import ApiError, unprocessable
from chaupal.models import Account, User
from chaupal.models.accounts import ROLES
from chaupal.security import hash_password

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESERVED = frozenset(
    {"admin", "administrator", "root", "support", "help", "api", "oauth", "static", "system",
     "settings", "about", "auth", "web", "tags", "users", "explore", "search", "notifications",
     "home", "public", "well-known", "chaupal", "postmaster", "webmaster", "moderator"}
)


def check_username(settings: Settings, username: str) -> str:
    username = unicodedata.normalize("NFC", username or "").strip()
    if not username:
        raise unprocessable("username can't be blank")
    if len(username) > settings.max_username_chars:
        raise unprocessable(f"username is too long (maximum is {settings.max_username_chars} characters)")
    if not USERNAME_RE.match(username):
        raise unprocessable("username must contain only letters, numbers and underscores")
    if username.lower() in RESERVED:
        raise unprocessable("username is reserved")
    return username


def check_password(settings: Settings, password: str) -> str:
    if len(password or "") < settings.min_password_chars:
        raise unprocessable(f"password is too short (minimum is {settings.min_password_chars} characters)")
    if len(password) > settings.max_password_chars:
        raise unprocessable(f"password is too long (maximum is {settings.max_password_chars} characters)")
    return password


def check_email(email: str) -> str:
    email = (email or "").strip()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise unprocessable("email is invalid")
    return email.lower()


async def check_create_account(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    email: str,
    password: str,
    role: str = "user",
    approved: bool = True,
    display_name: str = "",
    reason: str | None = None,
    locale: str = "en",
) -> tuple[Account, User]:
    username = check_username(settings, username)
    email = check_email(email)
    check_password(settings, password)
    if role not in ROLES:
        raise unprocessable(f"role must be one of {', '.join(ROLES)}")
    taken = await session.scalar(
        select(Account.id).where(Account.username_lower == username.lower(), Account.domain == "")
    )
    if taken is not None:
        raise unprocessable("username is already taken")
    if await session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise unprocessable("email is already taken")
    return await do_create_account(
        session,
        username=username,
        email=email,
        password_hash=hash_password(password),
        role=role,
        approved=approved,
        display_name=display_name[: settings.max_display_name_chars],
        reason=reason,
        locale=locale,
    )


async def do_create_account(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password_hash: str,
    role: str = "user",
    approved: bool = True,
    display_name: str = "",
    reason: str | None = None,
    locale: str = "en",
    **account_fields: object,
) -> tuple[Account, User]:
    account = Account(
        username=username,
        username_lower=username.lower(),
        display_name=display_name,
        **account_fields,
    )
    session.add(account)
    await session.flush()
    user = User(
        account_id=account.id,
        email=email,
        password_hash=password_hash,
        role=role,
        approved=approved,
        reason=reason,
        locale=locale,
    )
    session.add(user)
    try:
        await session.flush()
    except Exception as exc:  # a concurrent sign-up took the name or email
        raise ApiError(422, "Validation failed: username or email is already taken") from exc
    return account, user

"""SQLAlchemy tables, one module per domain noun. Importing this package registers them all."""

from chaupal.models.accounts import Account, User
from chaupal.models.follows import Block, Follow, FollowRequest, Mute
from chaupal.models.markers import Marker
from chaupal.models.media import MediaAttachment
from chaupal.models.notifications import Notification
from chaupal.models.oauth import AccessToken, Application, AuthorizationCode
from chaupal.models.statuses import (
    Bookmark,
    Favourite,
    IdempotencyKey,
    Mention,
    Status,
    StatusEdit,
    StatusPin,
    StatusTag,
    Tag,
)

__all__ = [
    "AccessToken",
    "Account",
    "Application",
    "AuthorizationCode",
    "Block",
    "Bookmark",
    "Favourite",
    "Follow",
    "FollowRequest",
    "IdempotencyKey",
    "Marker",
    "MediaAttachment",
    "Mention",
    "Mute",
    "Notification",
    "Status",
    "StatusEdit",
    "StatusPin",
    "StatusTag",
    "Tag",
    "User",
]

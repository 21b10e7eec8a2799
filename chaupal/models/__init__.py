"""SQLAlchemy tables, one module per domain noun. Importing this package registers them all."""

from chaupal.models.accounts import Account, User
from chaupal.models.analytics import (
    AccountDaily,
    AccountEvent,
    AnalyticsDay,
    AnalyticsDirtyDay,
    PostDaily,
    StatusOpen,
)
from chaupal.models.discovery import SuggestionDismissal, TrendReview, TrendScore
from chaupal.models.federation import (
    AccountDomainBlock,
    DeliveryDestination,
    DomainAllow,
    DomainBlock,
    ProcessedActivity,
    Tombstone,
)
from chaupal.models.follows import Block, Follow, FollowRequest, Mute
from chaupal.models.gov import (
    AuditEntry,
    ExpectedEntity,
    ExternalAudience,
    ExternalPresence,
    FollowerSnapshot,
    InstitutionMember,
    InstitutionProfile,
    ModerationFlag,
    OfficeHolding,
    VerificationEvent,
)
from chaupal.models.imports import ImportedPost
from chaupal.models.insights import StatusSentiment
from chaupal.models.jobs import Job, ScheduledStatus
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
    "AccountDomainBlock",
    "DeliveryDestination",
    "DomainAllow",
    "DomainBlock",
    "ProcessedActivity",
    "Tombstone",
    "AccessToken",
    "Account",
    "AccountDaily",
    "AccountEvent",
    "AnalyticsDay",
    "AnalyticsDirtyDay",
    "Application",
    "AuditEntry",
    "AuthorizationCode",
    "Block",
    "Bookmark",
    "ExpectedEntity",
    "ExternalAudience",
    "ExternalPresence",
    "Favourite",
    "Follow",
    "FollowRequest",
    "FollowerSnapshot",
    "IdempotencyKey",
    "ImportedPost",
    "InstitutionMember",
    "InstitutionProfile",
    "Job",
    "Marker",
    "MediaAttachment",
    "Mention",
    "ModerationFlag",
    "Mute",
    "Notification",
    "OfficeHolding",
    "PostDaily",
    "ScheduledStatus",
    "Status",
    "StatusEdit",
    "StatusOpen",
    "StatusPin",
    "StatusSentiment",
    "StatusTag",
    "SuggestionDismissal",
    "Tag",
    "TrendReview",
    "TrendScore",
    "User",
    "VerificationEvent",
]

"""Settings for one Chaupal deployment, read from CHAUPAL_* environment variables.

Every limit the platform enforces is a named field here, so operators can see and change it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAUPAL_", extra="ignore")

    # Where things live
    data_dir: Path = Path("./var")
    database_url: str | None = None  # default: sqlite file in data_dir
    database_replica_url: str | None = None  # PostgreSQL read replica for GET/HEAD requests (lag: see docs)
    redis_url: str | None = None  # unset = in-process pub/sub and caches
    redis_prefix: str = "chaupal:"
    domain: str = "127.0.0.1:8000"
    https: bool = False
    secret_key: str | None = None  # default: generated once into data_dir/secret_key
    title: str = "Chaupal"
    description: str = "Open microblogging where governments and citizens talk in public."
    contact_email: str = "admin@example.org"

    registrations: Literal["open", "approval", "closed"] = "open"
    auto_migrate: bool = True  # `serve` on SQLite migrates at start-up

    # Text limits
    max_status_chars: int = 500
    max_mentions_per_status: int = 50
    max_hashtags_per_status: int = 30
    max_spoiler_chars: int = 500
    max_username_chars: int = 30
    max_display_name_chars: int = 64  # Mastodon: 30; official names of ministries need more
    max_note_chars: int = 500
    max_profile_fields: int = 4
    max_field_chars: int = 255
    min_password_chars: int = 8
    max_password_chars: int = 128
    max_request_body_bytes: int = 1_048_576
    max_pins: int = 5
    max_hashtag_chars: int = 100  # longer #words are refused (422)
    context_limit: int = 4096  # ancestors / descendants returned by a thread's context
    context_ancestors_limit_anonymous: int = 40  # without a token, as Mastodon
    context_descendants_limit_anonymous: int = 60
    max_app_name_chars: int = 100
    max_redirect_uri_chars: int = 2000
    max_sign_up_reason_chars: int = 500  # the "why do you want to join" text in approval mode
    max_account_ids_per_request: int = 80  # id[] in relationships, accounts, familiar_followers
    max_mute_duration_seconds: int = 100 * 365 * 24 * 3600  # longer: use 0 (indefinite)
    max_report_comment_chars: int = 1000  # the comment of a report (Mastodon: 1000)

    # Media attachments (Mastodon's limits where it has them)
    max_image_bytes: int = 16 * 1024 * 1024
    max_image_pixels: int = 7680 * 4320  # read from the header, refused before decoding
    max_video_bytes: int = 99 * 1024 * 1024
    max_media_attachments: int = 4  # images per status; a video or gifv goes alone
    max_media_description_chars: int = 1500
    media_image_stored_pixels: int = 3840 * 2160  # larger images are downscaled
    media_preview_pixels: int = 640 * 360  # the `small` preview
    max_avatar_bytes: int = 2 * 1024 * 1024  # profile picture (remote ones larger are not cached)
    max_header_bytes: int = 2 * 1024 * 1024  # profile header image (remote ones larger are not cached)
    media_unattached_ttl_seconds: int = 24 * 3600  # then `chaupal media cleanup` removes them
    media_ffmpeg_timeout_seconds: int = 120  # per ffmpeg/ffprobe run on one upload
    # In-process housekeeping (embedded default): run `chaupal media cleanup` this often; 0 = off
    # (scale-out: leave it on in one process, or run the CLI from cron).
    media_cleanup_interval_seconds: int = 3600
    media_base_url: str | None = None  # default: {base_url}/system/media (a CDN or S3 later)

    # Paging limits (default, maximum) per kind of list, as Mastodon documents them
    page_statuses_default: int = 20
    page_statuses_max: int = 40
    page_accounts_default: int = 40
    page_accounts_max: int = 80
    page_notifications_default: int = 40
    page_notifications_max: int = 80
    notifications_unread_count_default: int = 100
    notifications_unread_count_max: int = 1000
    search_max_results: int = 40

    # OAuth
    auth_code_ttl_seconds: int = 600
    access_token_ttl_seconds: int | None = None  # None: tokens live until revoked, like Mastodon
    access_token_last_used_resolution_seconds: int = 600  # write a token's last_used_at this seldom
    session_ttl_seconds: int = 14 * 24 * 3600

    # Two-factor sign-in (TOTP) and institution staff (issue 4)
    otp_valid_window: int = 1  # codes of this many 30-second steps either side of now are accepted
    otp_sign_in_ttl_seconds: int = 300  # time allowed to enter the code after the password
    rate_limit_otp: int = 10  # two-factor codes tried per user per window (sign-in, API, switching)
    rate_limit_otp_window_seconds: int = 300
    page_audit_default: int = 40  # institution audit log entries per page
    page_audit_max: int = 200
    audit_export_max_rows: int = 100_000  # newest entries in one CSV/JSON export

    # Rate limits (requests per window), Mastodon's defaults
    rate_limit_enabled: bool = True
    rate_limit_requests: int = 300
    rate_limit_window_seconds: int = 300
    rate_limit_sign_in: int = 25
    rate_limit_sign_in_window_seconds: int = 300
    rate_limit_sign_up: int = 5
    rate_limit_sign_up_window_seconds: int = 1800

    idempotency_ttl_seconds: int = 3600

    # Durable job runner (chaupal/jobs): in `serve` (embedded) and/or `chaupal worker` processes
    jobs_in_process: bool = True  # `serve` runs a runner too; turn off when `chaupal worker` runs
    jobs_poll_interval_seconds: float = 1.0  # an idle runner looks for due jobs this often
    jobs_lease_seconds: int = 300  # a claimed job is reclaimed if its runner is silent this long
    jobs_max_attempts: int = 10  # then the job stays `failed`, with its last error, for operators
    jobs_backoff_base_seconds: float = 10.0  # retry n waits about base * 2**(n-1), with jitter
    jobs_backoff_cap_seconds: float = 3600.0  # ... but never longer than this
    jobs_batch_size: int = 10  # jobs claimed per poll (run concurrently on PostgreSQL)
    jobs_shutdown_grace_seconds: float = 5.0  # on stop, a job still running then is handed back
    shutdown_step_timeout_seconds: float = 10.0  # on stop, each clean-up step (jobs, streams, Redis, database) gets this long

    # Home feeds (chaupal/feeds): SQL by default; Redis sorted sets fed by fan-out jobs
    feed_backend: Literal["sql", "redis"] = "sql"  # "redis" needs redis_url (without it: SQL)
    feed_max_entries: int = 800  # newest entries kept per Redis feed; older pages come from SQL
    feed_fanout_batch: int = 1000  # followers per batch (one pipelined Redis round trip each)
    feed_fanout_threshold: int = 50_000  # authors with more followers are merged at read time
    feed_inactive_days: int = 30  # users idle this long get no fan-out; feed rebuilt on return
    feed_reblog_window_hours: int = 48  # a reblog is hidden if its original reached home this recently

    # Prometheus metrics (GET /metrics; docs/operations.md "Monitoring")
    metrics_enabled: bool = True  # off: /metrics answers 404 and requests are not timed
    metrics_token: str | None = None  # set: /metrics wants `Authorization: Bearer <token>`
    metrics_queue_cache_seconds: float = 5.0  # the job-queue query runs at most this often per process

    # Scheduled statuses (Mastodon's limits)
    scheduled_status_min_lead_seconds: int = 300  # scheduled_at must be this far ahead
    max_scheduled_statuses: int = 300  # pending scheduled posts per account
    max_scheduled_statuses_per_day: int = 25  # pending scheduled posts per account and UTC day

    # Live streams (web SSE now; the Mastodon streaming API in issue 6)
    stream_keepalive_seconds: float = 15.0  # an SSE comment this often keeps proxies from closing it
    stream_max_seconds: float = 30 * 60.0  # then the stream ends and the client reconnects
    stream_subscriber_queue: int = 256  # events a slow subscriber may fall behind before it is dropped
    # Mastodon streaming API (/api/v1/streaming): limits are per process
    streaming_max_connections_per_user: int = 20  # open streams of one account (or one app token)
    streaming_max_subscriptions: int = 50  # streams one WebSocket connection may subscribe to
    streaming_auth_recheck_seconds: float = 5.0  # a revoked token or suspended account is cut off this fast

    # Government directory, coverage and leaderboards (issue 4)
    directory_activity_days: int = 30  # "statuses in the last N days" in the directory
    directory_page_default: int = 40
    directory_page_max: int = 200
    directory_tree_max: int = 5000  # entries in the tree view; a larger directory is cut (flag set)
    coverage_inactive_days: int = 30  # a present entity with no post for this long is "inactive"
    max_gov_import_bytes: int = 1_048_576  # a coverage YAML file larger than this is refused
    max_gov_import_entities: int = 5000  # expected entities in one coverage file
    leaderboard_size_default: int = 20
    leaderboard_size_max: int = 100
    leaderboard_period_days_default: int = 30  # days of growth shown by the charts
    leaderboard_period_days_max: int = 366
    snapshot_follower_threshold: int = 1000  # persons with more followers are snapshotted daily
    max_presences_per_account: int = 20  # external presences one account may declare
    max_presence_url_chars: int = 2000
    max_presence_platform_chars: int = 64
    max_audience_source_chars: int = 500

    # Verification, institutions and offices (issue 4)
    max_verification_evidence_chars: int = 2000  # evidence a moderator records with a grant/revoke
    max_office_title_chars: int = 255  # "Prime Minister of India"
    max_jurisdiction_chars: int = 128  # "India", "Kerala" ...
    institution_max_depth: int = 16  # levels of the institution hierarchy (parents above an account)

    # Outgoing fetches (rel="me" profile-link verification)
    fetch_timeout_seconds: float = 10.0  # per request (connect, each read)
    fetch_max_bytes: int = 1_048_576  # a larger page is not read (and does not verify)
    fetch_max_redirects: int = 3
    fetch_allow_private: bool = False  # TEST ONLY: allow loopback/private addresses (SSRF guard off)

    # Federation (ActivityPub, issue 7)
    federation_enabled: bool = True  # off: no inbox, no delivery, no remote fetches
    federation_mode: Literal["open", "allowlist"] = "open"  # allowlist: only domains in domain_allows
    federation_allow_http_loopback: bool = False  # TEST ONLY: plain HTTP to loopback peers (refused elsewhere)
    federation_authorized_fetch: bool = False  # secure mode: AS documents only to signed GETs (allowlist implies it)
    federation_connect_timeout_seconds: float = 5.0  # outgoing ActivityPub fetch/delivery: connect
    federation_request_timeout_seconds: float = 30.0  # whole request, body included
    federation_max_activity_bytes: int = 1_048_576  # a larger remote document or inbox body is refused
    federation_max_redirects: int = 3  # redirects followed by a remote fetch
    federation_signature_skew_seconds: int = 3600  # signed Date may be this far in the future
    federation_signature_max_age_seconds: int = 12 * 3600  # signed Date may be this old
    federation_actor_refresh_seconds: int = 24 * 3600  # remote actors older than this are refetched
    federation_key_refresh_min_seconds: int = 300  # a failed signature refetches the actor's key at most this often
    federation_delivery_batch: int = 500  # remote inboxes enqueued per delivery fan-out job
    federation_delivery_max_attempts: int = 16  # per inbox; backoff doubles (capped, jittered): 3.5-5.3 days in all
    federation_delivery_base_delay_seconds: float = 30.0  # first retry; then doubles, with jitter
    federation_unavailable_after_seconds: int = 7 * 24 * 3600  # failing this long: server unavailable
    federation_unavailable_probe_seconds: int = 24 * 3600  # an unavailable server is retried this rarely
    federation_processed_retention_days: int = 30  # processed inbox activity ids kept for dedupe
    federation_max_remote_attachments: int = 4  # attachments kept per remote post
    federation_max_remote_content_chars: int = 100_000  # longer remote HTML is truncated
    federation_collection_page_size: int = 20  # items per page of outbox/followers/following (Mastodon's 20)
    federation_nodeinfo_cache_seconds: int = 300  # NodeInfo usage counts are recomputed this often
    federation_cache_remote_media: bool = True  # copy remote media through our pipeline (off: remote URLs)
    account_move_cooldown_seconds: int = 30 * 24 * 3600  # a local account may move again only after this (Mastodon: 30 days)
    account_max_aliases: int = 10  # alsoKnownAs entries (accounts moved from) per local account

    # Who-to-follow (issue 5): graph suggestions over a bounded circle of trust, cached per user
    suggestions_default: int = 40  # GET /api/v{1,2}/suggestions limit default (Mastodon's)
    suggestions_max: int = 80
    suggest_circle_max: int = 300  # follows/followers of the user taken into the circle of trust
    suggest_edges_max: int = 20_000  # follow edges loaded around the circle for one ranking
    suggest_walk_steps: int = 10  # personalised PageRank iterations (random-walk length)
    suggest_cache_seconds: int = 600  # a user's ranked candidates are reused this long
    suggest_cache_users: int = 10_000  # users whose candidates one process keeps cached
    suggest_institutions_max: int = 5  # verified government institutions blended in per list
    suggest_pool: int = 200  # institutions / popular accounts considered per ranking

    # Trends (issue 5): decayed distinct-account scores, refreshed by the `trends_refresh` job
    trends_half_life_hours: float = 24.0  # a use this old counts half as much as one made now
    trends_window_days: int = 7  # uses older than this are not counted at all
    trends_min_accounts: int = 2  # distinct accounts needed before anything can trend
    trends_max_statuses: int = 50_000  # newest public statuses scanned per refresh (bounded work)
    trends_kept: int = 100  # items stored per kind and language at each refresh
    trends_auto_approve: bool = False  # small instances: unreviewed items trend (rejected never do)
    trends_tags_default: int = 10  # Mastodon's limits for /api/v1/trends/*
    trends_tags_max: int = 20
    trends_statuses_default: int = 20
    trends_statuses_max: int = 40
    trends_links_default: int = 10
    trends_links_max: int = 20

    # Real-time reaction monitor (issue 5): /api/chaupal/v1/reactions/..., its stream and /monitor
    reactions_window_default_seconds: int = 24 * 3600  # a post's monitor starts at the post instead
    reactions_window_max_seconds: int = 7 * 24 * 3600
    reactions_bucket_min_seconds: int = 10
    reactions_buckets_max: int = 1440  # window / bucket may not exceed this (422)
    reactions_buckets_auto: int = 60  # without `bucket`, the smallest round size giving at most this many
    reactions_scan_max: int = 20_000  # newest matching posts aggregated per answer (`truncated` beyond)
    reactions_top_terms: int = 20
    reactions_top_replies: int = 10  # most-engaged replies listed
    reactions_questions_max: int = 20  # unanswered questions listed (all are counted)
    reactions_keyword_max_chars: int = 100
    reactions_stream_coalesce_seconds: float = 0.2  # a burst of new posts yields one update

    # Engagement analytics (issue 5): daily rollups by the `analytics_rollup` job, open counts
    analytics_final_after_hours: float = 6.0  # a day rolled this long after it ended is final
    analytics_rollup_max_days: int = 31  # days rolled per job run (the rest in the next runs)
    analytics_open_flush_seconds: float = 10.0  # opens counted in memory, written this often
    analytics_open_flush_keys: int = 2000  # ... or as soon as this many posts have pending opens
    analytics_period_days_default: int = 30  # report period when `from` is not given
    analytics_period_days_max: int = 1100  # longest report period (three years)
    analytics_top_posts: int = 10  # top posts listed in a report
    analytics_best_days: int = 3  # best and worst days listed in a report

    # Advice from data (issue 5): per-factor engagement ratios, withheld without enough evidence
    advice_timezone: str = "Asia/Kolkata"  # hours and weekdays are read in this time zone
    advice_min_posts_per_arm: int = 30  # posts needed on each side (a choice and the rest)
    advice_max_posts: int = 5000  # newest top-level posts of the account analysed (bounded work)
    advice_max_questions: int = 5000  # newest questions to the account checked for an answer
    advice_hour_block: int = 2  # hours per time-of-day slot (must divide 24)
    advice_max_hashtags: int = 20  # most used hashtags tested one by one
    x_archive_max_bytes: int = 512 * 1024 * 1024  # tweets*.js of one X archive, in total
    x_archive_max_tweets: int = 500_000  # tweets in one X archive

    # Database pool
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_echo: bool = False

    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("advice_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        """Refuse an unknown zone at start-up, not at the first advice request."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Kolkata)") from None
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chaupal.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.domain}"

    @property
    def streaming_url(self) -> str:
        return f"{'wss' if self.https else 'ws'}://{self.domain}"

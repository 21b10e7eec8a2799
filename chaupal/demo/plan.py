"""The demo's six months of activity, planned as a time-ordered list of events before
anything touches the database: posts, replies, reblogs and favourites."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from chaupal.demo import texts
from chaupal.demo.cast import Persona

DAYS = 182  # two quarters


@dataclass
class Event:
    at: datetime
    kind: str  # post | reply | reblog | favourite
    actor: int  # index into people
    text: str = ""
    language: str | None = None
    visibility: str = "public"
    parent: int | None = None  # index of the event that made the status acted upon


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random moment, busier in the daytime (IST, UTC+5:30) than at night."""
    span = (end - start).total_seconds()
    while True:
        t = start + timedelta(seconds=rng.random() * span)
        hour = (t.hour + 5.5) % 24
        if rng.random() < 0.25 + 0.75 * max(0.0, math.sin(math.pi * (hour - 6) / 17)):
            return t


def plan_events(
    rng: random.Random,
    people: list[Persona],
    followers: dict[int, list[int]],
    now: datetime,
    intensity: float = 1.0,
) -> list[Event]:
    # Moments are drawn on a grid of whole UTC days ending tonight, so the same seed gives
    # the same demo on any day at any hour; the part of tonight still in the future is
    # mirrored into the last hours before `end`.
    end = now - timedelta(minutes=30)
    day_end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    start = day_end - timedelta(days=DAYS)

    def moment() -> datetime:
        t = _moment(rng, start, day_end)
        return t if t <= end else max(start, end - (t - end))

    citizens = [i for i, p in enumerate(people) if p.kind == "citizen"]
    citizen_weights = [max(0.05, people[i].activity) for i in citizens]
    events: list[Event] = []

    def lang_of(i: int) -> str:
        return rng.choice(people[i].languages)

    def new(event: Event) -> int:
        events.append(event)
        return len(events) - 1

    def later(at: datetime, mean_minutes: float) -> datetime:
        return max(at, min(end, at + timedelta(minutes=1 + rng.expovariate(1 / mean_minutes))))

    # Official, party and press posts, each drawing replies, reblogs and favourites.
    for i, p in enumerate(people):
        if p.kind == "citizen":
            continue
        count = int(DAYS * 0.3 * p.activity * intensity * rng.uniform(0.8, 1.2))
        audience = max(1, len(followers.get(i, [])))
        for _ in range(count):
            lang = lang_of(i)
            at = moment()
            post = new(
                Event(
                    at,
                    "post",
                    i,
                    texts.announcement(rng, p.kind, p.topic or "pm", lang),
                    texts.language_code(lang),
                )
            )
            reach = audience * intensity
            fans = followers.get(i) or citizens
            for _ in range(min(len(fans), int(rng.expovariate(1 / max(0.2, reach * 0.0015))))):
                r_lang = rng.choice(("en", "hi", "hinglish"))
                who = rng.choice(fans)
                reply = new(
                    Event(
                        later(at, 90),
                        "reply",
                        who,
                        texts.reply(rng, r_lang),
                        texts.language_code(r_lang),
                        parent=post,
                    )
                )
                if rng.random() < 0.08:
                    new(
                        Event(
                            later(events[reply].at, 240),
                            "reply",
                            i,
                            texts.reply(rng, r_lang, True),
                            texts.language_code(r_lang),
                            parent=reply,
                        )
                    )
            for who in rng.sample(
                fans, min(len(fans), int(rng.expovariate(1 / max(0.2, reach * 0.0015))))
            ):
                new(Event(later(at, 180), "reblog", who, parent=post))
            for who in rng.sample(
                fans, min(len(fans), int(rng.expovariate(1 / max(0.5, reach * 0.004))))
            ):
                new(Event(later(at, 120), "favourite", who, parent=post))

    # Citizens: a heavy-tailed few post a lot; some ask officials questions by @mention.
    officials = [
        i for i, p in enumerate(people) if p.kind in ("head", "office", "ministry", "minister")
    ]
    n_posts = int(len(citizens) * 0.8 * intensity)
    for who in rng.choices(citizens, weights=citizen_weights, k=n_posts):
        lang = lang_of(who)
        at = moment()
        if rng.random() < 0.2:
            to = rng.choice(officials)
            text = texts.question(rng, lang, people[to].username, people[to].topic or "pm")
            post = new(Event(at, "post", who, text, texts.language_code(lang)))
            if rng.random() < 0.25:
                new(
                    Event(
                        later(at, 600),
                        "reply",
                        to,
                        texts.reply(rng, lang, True),
                        texts.language_code(lang),
                        parent=post,
                    )
                )
            continue
        visibility = rng.choices(("public", "unlisted", "private"), weights=(88, 6, 6))[0]
        post = new(
            Event(
                at,
                "post",
                who,
                texts.citizen_post(rng, lang),
                texts.language_code(lang),
                visibility=visibility,
            )
        )
        if visibility != "public":
            continue
        fans = followers.get(who) or []
        for fan in rng.sample(fans, min(len(fans), int(rng.expovariate(1 / 0.8)))):
            new(Event(later(at, 60), "favourite", fan, parent=post))
        if fans and rng.random() < 0.15:
            r_lang = lang_of(who)
            new(
                Event(
                    later(at, 45),
                    "reply",
                    rng.choice(fans),
                    texts.reply(rng, r_lang),
                    texts.language_code(r_lang),
                    parent=post,
                )
            )
        if fans and rng.random() < 0.05:
            new(Event(later(at, 60), "reblog", rng.choice(fans), parent=post))
    order = sorted(range(len(events)), key=lambda k: (events[k].at, k))
    # Children come after their parents (times are always later), so renumbering keeps
    # every parent before its children.
    position = {old: new_pos for new_pos, old in enumerate(order)}
    out = []
    for old in order:
        e = events[old]
        if e.parent is not None:
            e.parent = position[e.parent]
        out.append(e)
    return out

"""A fresh announcement for the live reaction monitor: the PMO posts two hours before the
demo's "now", citizens answer in English, Hindi and Hinglish — pleased, angry, asking — and
the PMO's staff answer some questions; a budget thread with official links trends too."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions import audit
from chaupal.config import Settings
from chaupal.demo.names import CITIES
from chaupal.models import Account, InstitutionMember, User

ANNOUNCEMENT = (
    "Today the Government launches the National Digital Health Mission 2.0: every citizen gets a "
    "health ID, free tele-consultation and e-prescriptions at all district hospitals. Details: "
    "https://pmo.example.gov/ndhm #DigitalHealth #NDHM"
)
BUDGET = (
    "The Union Budget 2026-27 will be presented on 1 February. Share your suggestions on the "
    "portal: https://finance.example.gov/budget-2026 #Budget2026"
)
POSITIVE = {
    "en": [
        "This is excellent news, thank you! Great step for rural families 👏",
        "Wonderful initiative. Free tele-consultation will help my parents a lot.",
        "Proud moment. Well done to the whole team!",
    ],
    "hi": ["बहुत बढ़िया कदम, धन्यवाद! 🙏", "शानदार पहल, गाँव के लोगों को बहुत फायदा होगा।"],
    "hinglish": ["Bahut badhiya initiative hai, thank you 👏", "Zabardast! Maa-papa ke liye bahut helpful hoga."],
}
NEGATIVE = {
    "en": [
        "Terrible. The last health portal never worked and nobody fixed it.",
        "Another announcement, no doctors in our district hospital. Useless.",
        "Stop wasting money on apps. Hospitals in {city} have no medicines.",
    ],
    "hi": ["बेकार घोषणा, अस्पताल में डॉक्टर ही नहीं हैं।", "पिछली योजना का क्या हुआ? बहुत निराशा है।"],
    "hinglish": ["Bilkul bekaar, pehle hospital theek karo 😡", "Kuch nahi badlega, sirf jumla hai."],
}
NEUTRAL = {
    "en": ["The launch event is at 5 pm today.", "Sharing for my friends in {city}."],
    "hi": ["{city} में यह कब से लागू होगा, देखते हैं।"],
    "hinglish": ["Dekhte hain {city} mein kab aata hai."],
}
QUESTIONS = {
    "en": [
        "How do I get the health ID for my mother, who has no smartphone?",
        "When will this start in {city}?",
        "Is the tele-consultation free for private hospitals too?",
        "Where is the helpline number?",
    ],
    "hi": ["{city} में यह सुविधा कब शुरू होगी?", "हेल्थ आईडी कैसे बनाएं?"],
    "hinglish": ["{city} mein kab milega?", "Health ID kaise banega bina Aadhaar ke?"],
}
ANSWERS = [
    ("Thank you for asking. Visit the nearest Common Service Centre; staff will create the health "
    "ID for you. Helpline: 1800-000-0000."),
    "It starts in every district by 1 January. Details: https://pmo.example.gov/ndhm",
    "धन्यवाद। नज़दीकी जन सेवा केंद्र पर हेल्थ आईडी बनाई जा सकती है।",
]


def _text(rng: random.Random, table: dict[str, list[str]], lang: str) -> str:
    return rng.choice(table[lang]).format(city=rng.choice(CITIES))


async def _acting(session: AsyncSession, institution: Account, role: str) -> audit.Acting | None:
    row = (
        await session.execute(
            select(User.id, Account.id, Account.username)
            .join(InstitutionMember, InstitutionMember.user_id == User.id)
            .join(Account, Account.id == User.account_id)
            .where(InstitutionMember.institution_account_id == institution.id, InstitutionMember.role == role)
        )
    ).first()
    return audit.Acting(institution.id, row[0], row[1], row[2], role) if row else None


async def seed_reaction(
    session: AsyncSession, settings: Settings, rng: random.Random, now: datetime, replies: int = 160
) -> dict[str, int]:
    """Post the announcement, the replies, the staff's answers and the budget thread."""
    from chaupal.actions.interactions import check_favourite
    from chaupal.actions.statuses import check_create_status

    pmo = await session.scalar(select(Account).where(Account.username == "PMO"))
    finance = await session.scalar(select(Account).where(Account.username == "MinOfFinance"))
    citizens = list(
        (
            await session.scalars(
                select(Account)
                .join(User, User.account_id == Account.id)
                .where(Account.kind == "person", Account.verification.is_(None), Account.locked.is_(False))
                .order_by(Account.id)
                .limit(400)
            )
        ).all()
    )
    if pmo is None or finance is None or not citizens:
        return {}
    start = now - timedelta(hours=2)
    audit.set_acting(session, await _acting(session, pmo, "editor"))
    post = await check_create_status(
        session, settings, pmo, text=ANNOUNCEMENT, visibility="public", language="en", created_at=start
    )
    audit.set_acting(session, None)
    made = {"replies": 0, "questions": 0, "answered": 0, "favourites": 0}
    questions = []
    langs = ["en", "en", "hi", "hinglish"]
    for k in range(replies):
        # Busiest right after the post, tailing off (minutes since the post).
        at = start + timedelta(minutes=min(115.0, rng.expovariate(1 / 25)))
        who = rng.choice(citizens)
        lang = rng.choice(langs)
        roll = rng.random()
        table = QUESTIONS if roll < 0.25 else POSITIVE if roll < 0.6 else NEGATIVE if roll < 0.85 else NEUTRAL
        reply = await check_create_status(
            session, settings, who, text=f"@PMO {_text(rng, table, lang)}", visibility="public",
            language="en" if lang == "hinglish" else lang, in_reply_to_id=post.id, created_at=at,
        )
        made["replies"] += 1
        if table is QUESTIONS:
            questions.append((reply, at))
            made["questions"] += 1
        if rng.random() < 0.3:
            fan = rng.choice(citizens)
            if fan.id != who.id:
                await check_favourite(session, fan, reply)
                made["favourites"] += 1
        if k % 40 == 39:
            await session.flush()
    audit.set_acting(session, await _acting(session, pmo, "editor"))
    for reply, at in questions[::3]:
        await check_create_status(
            session, settings, pmo, text=rng.choice(ANSWERS), visibility="public",
            in_reply_to_id=reply.id, created_at=min(now - timedelta(minutes=1), at + timedelta(minutes=12)),
        )
        made["answered"] += 1
    audit.set_acting(session, await _acting(session, finance, "owner"))
    budget = await check_create_status(
        session, settings, finance, text=BUDGET, visibility="public", language="en",
        created_at=now - timedelta(hours=5),
    )
    audit.set_acting(session, None)
    for n in range(12):  # citizens share the links and the tag, and mention the ministry
        who = citizens[(n * 7) % len(citizens)]
        link = "https://finance.example.gov/budget-2026" if n % 2 else "https://pmo.example.gov/ndhm"
        await check_create_status(
            session, settings, who,
            text=f"@MinOfFinance my suggestion: cut GST on medicines. {link} #Budget2026",
            visibility="public", language="en", in_reply_to_id=budget.id if n % 3 == 0 else None,
            created_at=now - timedelta(hours=4, minutes=-15 * n),
        )
    return made

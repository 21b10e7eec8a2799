"""Who is in the demo country: the head of government and office, the cabinet of
ministries and ministers, parties, news outlets and generated citizens. All fictional."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from chaupal.demo.names import CITIES, FIRST, JOBS, LAST


@dataclass
class Persona:
    key: str  # stable handle used by the text generator ("pm", "finance", "citizen:42" ...)
    username: str
    display_name: str
    note: str
    kind: str  # head | office | ministry | minister | party | news | citizen
    topic: str | None = None  # ministry topic for officials
    bot: bool = False
    locked: bool = False
    fields: list[dict[str, str]] = field(default_factory=list)
    languages: tuple[str, ...] = ("en",)
    activity: float = 1.0  # relative posting rate


# topic, ministry username, ministry name, minister username, minister name
MINISTRIES = [
    ("finance", "MinOfFinance", "Ministry of Finance", "fm_meera_iyer", "Meera Iyer"),
    (
        "commerce",
        "MinOfCommerce",
        "Ministry of Commerce & Industry",
        "cim_vikram_sethi",
        "Vikram Sethi",
    ),
    (
        "health",
        "MinOfHealth",
        "Ministry of Health & Family Welfare",
        "hm_farida_qureshi",
        "Dr. Farida Qureshi",
    ),
    ("education", "MinOfEducation", "Ministry of Education", "em_rajan_pillai", "Rajan Pillai"),
    ("railways", "MinOfRailways", "Ministry of Railways", "rm_kuldeep_bains", "Kuldeep Bains"),
    (
        "agriculture",
        "MinOfAgriculture",
        "Ministry of Agriculture & Farmers Welfare",
        "am_savitri_yadav",
        "Savitri Yadav",
    ),
    (
        "external",
        "MinOfExternalAffairs",
        "Ministry of External Affairs",
        "eam_arjun_menon",
        "Arjun Menon",
    ),
    (
        "home",
        "MinOfHomeAffairs",
        "Ministry of Home Affairs",
        "ham_devendra_joshi",
        "Devendra Joshi",
    ),
    (
        "environment",
        "MinOfEnvironment",
        "Ministry of Environment, Forest & Climate Change",
        "envm_tara_bhutia",
        "Tara Bhutia",
    ),
    (
        "digital",
        "MinOfDigital",
        "Ministry of Electronics & IT",
        "itm_sameer_kulkarni",
        "Sameer Kulkarni",
    ),
    (
        "rural",
        "MinOfRuralDev",
        "Ministry of Rural Development",
        "rdm_lakshmi_naidu",
        "Lakshmi Naidu",
    ),
    (
        "women",
        "MinOfWomenChild",
        "Ministry of Women & Child Development",
        "wcdm_anjali_deshmukh",
        "Anjali Deshmukh",
    ),
]

PARTIES = [
    ("JanVikasParty", "Jan Vikas Party", "Progress for every village. Official account."),
    (
        "LokSamtaDal",
        "Lok Samta Dal",
        "Samta, nyay, vikas. The official voice of the Lok Samta Dal.",
    ),
    ("NavnirmanFront", "Navnirman Front", "A new politics for a new generation. Official account."),
]

NEWS = [
    (
        "DeshDarpanNews",
        "Desh Darpan News",
        "Breaking news, politics and policy, in Hindi and English.",
    ),
    (
        "MorningLedger",
        "The Morning Ledger",
        "Business, economy and markets. Daily since a long time ago.",
    ),
    ("SamacharEk", "समाचार एक", "हिंदी में सबसे तेज़ ख़बरें। Hindi news, fast."),
    ("MetroWire", "Metro Wire", "Cities, transport, civic life. Tips: tips@example.org"),
]


def officials() -> list[Persona]:
    """The government, parties and press, most followed first."""
    people = [
        Persona(
            "pm",
            "pm_ashok_rao",
            "Ashok Rao",
            "Prime Minister. Sevak of 140 crore citizens. "
            "Personal account; official updates at @PMO.",
            "head",
            "pm",
            activity=1.0,
            languages=("en", "hi"),
        ),
        Persona(
            "pmo",
            "PMO",
            "Prime Minister's Office",
            "Official account of the Prime Minister's Office. प्रधानमंत्री कार्यालय का आधिकारिक खाता।",
            "office",
            "pm",
            activity=2.0,
            fields=[{"name": "Website", "value": "https://pmo.example.gov"}],
            languages=("en", "hi"),
        ),
    ]
    for topic, user, name, muser, mname in MINISTRIES:
        people.append(
            Persona(
                topic,
                user,
                name,
                f"Official account of the {name}.",
                "ministry",
                topic,
                activity=1.0,
                languages=("en", "hi"),
                fields=[{"name": "Website", "value": f"https://{topic}.example.gov"}],
            )
        )
        people.append(
            Persona(
                f"{topic}:minister",
                muser,
                mname,
                f"Union Minister, {name.removeprefix('Ministry of ')}. Views personal.",
                "minister",
                topic,
                activity=0.5,
                languages=("en", "hi", "hinglish"),
            )
        )
    for user, name, note in PARTIES:
        people.append(
            Persona(
                f"party:{user}",
                user,
                name,
                note,
                "party",
                "politics",
                activity=0.6,
                languages=("en", "hi", "hinglish"),
            )
        )
    for user, name, note in NEWS:
        langs = ("hi",) if user == "SamacharEk" else ("en", "hinglish")
        people.append(
            Persona(
                f"news:{user}",
                user,
                name,
                note,
                "news",
                "news",
                activity=2.0,
                bot=user == "MetroWire",
                languages=langs,
            )
        )
    return people


def citizens(rng: random.Random, count: int) -> list[Persona]:
    """`count` generated citizens with unique usernames; activity is heavy-tailed."""
    seen: set[str] = set()
    out: list[Persona] = []
    while len(out) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = (
            f"{first}_{last}".lower()
            if rng.random() < 0.5
            else f"{first.lower()}{last[:1].lower()}"
        )
        username = (
            base if base not in seen and rng.random() < 0.3 else f"{base}{rng.randint(1, 9999)}"
        )
        if username in seen or len(username) > 30:
            continue
        seen.add(username)
        city, job = rng.choice(CITIES), rng.choice(JOBS)
        langs = rng.choice(
            [
                ("en",),
                ("hi",),
                ("hinglish",),
                ("en", "hinglish"),
                ("hi", "hinglish"),
                ("en", "hi", "hinglish"),
            ]
        )
        out.append(
            Persona(
                f"citizen:{len(out)}",
                username,
                f"{first} {last}",
                f"{job.capitalize()} from {city}."
                + (" Opinions my own." if rng.random() < 0.3 else ""),
                "citizen",
                None,
                locked=rng.random() < 0.03,
                languages=langs,
                activity=rng.paretovariate(1.6) - 0.8,
            )
        )
    return out

"""Templates and vocabularies for demo posts in English, Hindi (Devanagari) and Hinglish.

`announcement(rng, topic, lang)` is what an official account says; `citizen_post`,
`reply` and `question` are what people say. Slots are filled from the word lists below."""

from __future__ import annotations

import random

from chaupal.demo.names import CITIES

SCHEMES = {
    "finance": [
        "Jan Bachat Yojana",
        "MSME Credit Guarantee",
        "Digital Rupee pilot",
        "GST simplification",
    ],
    "commerce": [
        "Startup Setu",
        "Export Mitra portal",
        "One District One Product",
        "Make Local Go Global",
    ],
    "health": [
        "Swasthya Card",
        "Mission Indradhanush 2.0",
        "Jan Aushadhi Kendra",
        "TB Mukt Bharat drive",
    ],
    "education": [
        "Vidya Setu scholarships",
        "PM e-Library",
        "Coding in Classrooms",
        "Shiksha Mitra",
    ],
    "railways": [
        "Gati Express",
        "Amrit Station scheme",
        "Kavach safety system",
        "UTS ticketing app",
    ],
    "agriculture": ["Kisan Samman Nidhi", "Soil Health Card", "Fasal Bima", "e-Mandi"],
    "external": ["Videsh Sampark", "Passport Seva", "Diaspora Connect", "Global South Summit"],
    "home": [
        "Aapda Mitra",
        "Cyber Suraksha helpline",
        "Smart Policing",
        "Border Village Programme",
    ],
    "environment": ["Green Credit", "Nagar Van", "Mission LiFE", "Clean Air Programme"],
    "digital": ["BharatNet", "DigiLocker", "Semicon Mission", "Cyber Saathi"],
    "rural": ["Gram Sadak", "Awas Gramin", "Lakhpati Didi", "MGNREGA wages"],
    "women": ["Poshan Abhiyan", "Beti Padhao", "Sakhi One Stop Centres", "Anganwadi upgrade"],
    "pm": ["Viksit Bharat 2047", "Mann Ki Samvad", "Har Ghar Jal", "Swachh Bharat"],
}
HINDI_SCHEME = {
    "finance": "जन बचत योजना",
    "commerce": "स्टार्टअप सेतु",
    "health": "स्वास्थ्य कार्ड",
    "education": "विद्या सेतु छात्रवृत्ति",
    "railways": "गति एक्सप्रेस",
    "agriculture": "किसान सम्मान निधि",
    "external": "पासपोर्ट सेवा",
    "home": "आपदा मित्र",
    "environment": "नगर वन",
    "digital": "डिजिलॉकर",
    "rural": "ग्राम सड़क",
    "women": "पोषण अभियान",
    "pm": "विकसित भारत",
}
TAGS = {
    "finance": ["#Budget2026", "#GST", "#बजट"],
    "commerce": ["#StartupIndia", "#Exports", "#MSME"],
    "health": ["#HealthForAll", "#स्वास्थ्य", "#Vaccination"],
    "education": ["#NEP", "#शिक्षा", "#Exams"],
    "railways": ["#IndianRailways", "#रेलवे", "#GatiExpress"],
    "agriculture": ["#Kisan", "#किसान", "#Monsoon"],
    "external": ["#Diplomacy", "#GlobalSouth", "#Passport"],
    "home": ["#Safety", "#CyberSafety", "#आपदा"],
    "environment": ["#MissionLiFE", "#CleanAir", "#पर्यावरण"],
    "digital": ["#DigitalIndia", "#डिजिटल", "#5G"],
    "rural": ["#GramVikas", "#ग्रामीण", "#Awas"],
    "women": ["#NariShakti", "#नारीशक्ति", "#Poshan"],
    "pm": ["#भारत", "#ViksitBharat", "#MannKiSamvad"],
    "politics": ["#Election", "#चुनाव", "#Democracy"],
    "news": ["#BreakingNews", "#ताज़ा_ख़बर", "#Explained"],
}
COMMON_TAGS = ["#भारत", "#India", "#Chaupal", "#हिंदी"]

OFFICIAL = {
    "en": [
        "Today we launched {scheme} in {city}. {n} families will benefit in the first phase. {tag}",
        "{scheme}: applications are now open until {day} {month}. Apply online or at your nearest centre. {tag}",
        "Progress update on {scheme}: {n} beneficiaries reached this quarter, {pct}% more than last quarter. {tag}",
        "Reviewed {scheme} with officials from {city} today. Faster delivery, less paperwork. {tag} {tag2}",
        "Thank you {city}! Record participation in {scheme} this week. {tag}",
        "Important: helpline for {scheme} now works in 12 languages. Call 1800-{n4} (toll free). {tag}",
        "Budget allocation for {scheme} raised to ₹{crore} crore for this year. {tag}",
    ],
    "hi": [
        "आज {city} में {hscheme} की शुरुआत हुई। पहले चरण में {n} परिवारों को लाभ मिलेगा। {tag}",
        "{hscheme} के लिए आवेदन {day} {hmonth} तक खुले हैं। अपने नज़दीकी केंद्र पर संपर्क करें। {tag}",
        "इस तिमाही {hscheme} से {n} लाभार्थियों तक पहुँचे। सबका साथ, सबका विकास। {tag}",
        "{city} के नागरिकों का धन्यवाद! {hscheme} में रिकॉर्ड भागीदारी। {tag} #भारत",
        "{hscheme} हेल्पलाइन अब 12 भाषाओं में उपलब्ध है: 1800-{n4}। {tag}",
    ],
    "hinglish": [
        "{scheme} ab {city} mein bhi shuru! Pehle phase mein {n} families ko fayda milega. {tag}",
        "Aaj {city} mein {scheme} ka review kiya. Kaam tez hona chahiye, paperwork kam. {tag}",
        "{scheme} ke liye apply karna hai? Last date {day} {month} hai, jaldi kijiye. {tag}",
    ],
}
NEWS_TEMPLATES = {
    "en": [
        "BREAKING: {ministry} announces {scheme} expansion to {city}. {tag}",
        "Explained: what {scheme} means for you, in five points. {tag}",
        "Markets close {updown} {pct}% as investors weigh {scheme} news. {tag}",
        "Ground report from {city}: how {scheme} is working on the ground. {tag}",
    ],
    "hi": [
        "बड़ी ख़बर: {city} में {hscheme} का विस्तार। {tag}",
        "{hscheme} से आपको क्या मिलेगा? जानिए पाँच बातों में। {tag}",
        "{city} से ग्राउंड रिपोर्ट: {hscheme} का असर। {tag} #भारत",
    ],
    "hinglish": [
        "Breaking: {scheme} ka expansion {city} tak. Kya badlega? Thread 👇 {tag}",
        "{city} ki public kya bol rahi hai {scheme} ke baare mein? Ground report. {tag}",
    ],
}
PARTY_TEMPLATES = {
    "en": [
        "Our volunteers held {n} chaupals across {city} this week. Listening first. {tag}",
        "The people of {city} deserve better roads, water and jobs. We will keep raising it. {tag}",
    ],
    "hi": ["{city} में आज जनसभा। आप सबका धन्यवाद! {tag}", "हर गाँव तक विकास, यही हमारा संकल्प। {tag}"],
    "hinglish": ["{city} mein aaj ki rally zabardast rahi! Thank you sabko. {tag}"],
}
CITIZEN = {
    "en": [
        "Morning walk in {city}, the weather is finally nice. {ctag}",
        "Anyone else stuck in traffic near the station in {city} today?",
        "Finished reading about {scheme}. Sounds good on paper, let's see how it works. {tag}",
        "Chai, newspaper and a quiet Sunday. {ctag}",
        "Proud of the students from {city} who topped the exams this year! {tag}",
        "Power cut again in my area in {city}. Third time this week.",
        "The new train to {city} saves me almost two hours. Impressed. #IndianRailways",
    ],
    "hi": [
        "{city} में आज बहुत अच्छा मौसम है। {ctag}",
        "सुबह की चाय और अख़बार, यही असली सुकून है। #भारत",
        "{hscheme} के बारे में पढ़ा, उम्मीद है गाँव तक पहुँचेगा। {tag}",
        "आज {city} में बिजली फिर से गई। कब सुधरेगा?",
    ],
    "hinglish": [
        "Yaar {city} ka traffic kabhi theek hoga kya? 😩",
        "Aaj ki chai ekdum first class thi. {ctag}",
        "{scheme} ka form bhara, process kaafi simple tha honestly. {tag}",
        "Weekend plan: ghar pe rest aur thoda cricket. {ctag}",
        "Bhai {city} mein paani ki problem phir se shuru ho gayi.",
    ],
}
QUESTIONS = {
    "en": [
        "@{to} when will {scheme} reach {city}? Many of us are waiting.",
        "@{to} the portal for {scheme} has been down since morning. Please check.",
        "@{to} thank you for the quick help with my application!",
    ],
    "hi": [
        "@{to} {city} में {hscheme} कब शुरू होगी? कृपया जानकारी दें।",
        "@{to} बहुत अच्छा कदम, धन्यवाद! 🙏",
    ],
    "hinglish": [
        "@{to} {city} mein {scheme} kab aayega? Please update dijiye.",
        "@{to} bahut badhiya initiative hai 👏",
    ],
}
REPLIES = {
    "en": [
        "Great news!",
        "Finally. Took long enough.",
        "How do we apply?",
        "What about {city}?",
        "Well done 👏",
        "Please share the helpline number.",
        "Is this for rural areas too?",
        "Hope it reaches the people who need it.",
    ],
    "hi": ["बहुत बढ़िया! 🙏", "आवेदन कैसे करें?", "{city} का क्या?", "धन्यवाद, अच्छा कदम।", "जय हिंद 🇮🇳"],
    "hinglish": [
        "Badhiya hai!",
        "Apply kaise karein?",
        "{city} ka kya hoga?",
        "Sahi hai boss 👍",
        "Pehle purane vaade poore karo 😅",
    ],
}
OFFICIAL_REPLIES = {
    "en": [
        "Thank you. Please DM your application number and our team will look into it.",
        "Details are on the official portal. The helpline is open 24x7.",
    ],
    "hi": ["धन्यवाद। कृपया अपना आवेदन संख्या साझा करें, हमारी टीम मदद करेगी।"],
    "hinglish": ["Thank you! Team aapse jaldi contact karegi."],
}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
HMONTHS = [
    "जनवरी",
    "फ़रवरी",
    "मार्च",
    "अप्रैल",
    "मई",
    "जून",
    "जुलाई",
    "अगस्त",
    "सितंबर",
    "अक्टूबर",
    "नवंबर",
    "दिसंबर",
]
CITIZEN_TAGS = ["#MondayMotivation", "#Chai", "#Cricket", "#भारत", "#मौसम", "#Weekend", "#Chaupal"]


def _slots(rng: random.Random, topic: str) -> dict[str, str]:
    topic = topic if topic in SCHEMES else rng.choice(list(HINDI_SCHEME))
    tags = TAGS.get(topic, COMMON_TAGS)
    month = rng.randrange(12)
    return {
        "scheme": rng.choice(SCHEMES[topic]),
        "hscheme": HINDI_SCHEME[topic],
        "city": rng.choice(CITIES),
        "tag": rng.choice(tags),
        "tag2": rng.choice(COMMON_TAGS),
        "ctag": rng.choice(CITIZEN_TAGS),
        "n": f"{rng.randint(2, 900) * 100:,}",
        "n4": f"{rng.randint(1000, 9999)}",
        "pct": str(rng.randint(2, 40)),
        "crore": f"{rng.randint(5, 900) * 10:,}",
        "day": str(rng.randint(1, 28)),
        "month": MONTHS[month],
        "hmonth": HMONTHS[month],
        "updown": rng.choice(["up", "down"]),
        "ministry": topic.capitalize() + " ministry",
    }


def _fill(
    rng: random.Random, pool: dict[str, list[str]], lang: str, topic: str, **extra: str
) -> str:
    template = rng.choice(pool.get(lang) or pool["en"])
    return template.format(**_slots(rng, topic), **extra)


def announcement(rng: random.Random, kind: str, topic: str, lang: str) -> str:
    if kind == "news":
        return _fill(rng, NEWS_TEMPLATES, lang, rng.choice(list(SCHEMES)))
    if kind == "party":
        return _fill(rng, PARTY_TEMPLATES, lang, "politics")
    return _fill(rng, OFFICIAL, lang, topic)


def citizen_post(rng: random.Random, lang: str) -> str:
    return _fill(rng, CITIZEN, lang, rng.choice(list(SCHEMES)))


def question(rng: random.Random, lang: str, to: str, topic: str) -> str:
    return _fill(rng, QUESTIONS, lang, topic, to=to)


def reply(rng: random.Random, lang: str, official: bool = False) -> str:
    return _fill(rng, OFFICIAL_REPLIES if official else REPLIES, lang, rng.choice(list(SCHEMES)))


def language_code(lang: str) -> str:
    """Hinglish is Hindi written in Latin script: ISO 639-1 has no code of its own for it."""
    return "en" if lang == "en" else "hi"

"""The bot's own sentences for reasons, splits, escalations and questions back."""

from __future__ import annotations

from bot.guidance.model import Dimension, EscalateTopic, Practice, UnclearKind

_DIMENSION_TITLES = {
    Dimension.WHOSE_CHANGE: "Whose change",
    Dimension.WHAT_CHANGES: "What changes",
    Dimension.BUILT_ON: "What it's built on",
    Dimension.TIME: "Time",
}

_TOPIC_WORDS = {
    EscalateTopic.HARASSMENT: "harassment or bullying",
    EscalateTopic.DISCRIMINATION: "discrimination",
    EscalateTopic.THREAT: "a threat or violence",
    EscalateTopic.SAFETY: "a safety risk",
    EscalateTopic.SELF_HARM: "you may be going through something very hard",
    EscalateTopic.PAY_EQUITY: "a question of fair and equal pay",
    EscalateTopic.FRAUD: "possible fraud",
    EscalateTopic.LEGAL: "a possible legal or policy breach",
}

EXAMPLE_SITUATION = "I want to stop rushing through my slides before my review in June."

_QUESTIONS = {
    UnclearKind.EMPTY: (
        "What's going on? Describe the situation in a sentence or two, for example: "
        f"“{EXAMPLE_SITUATION}”"
    ),
    UnclearKind.GREETING: (
        "Hello! What's going on at work that you'd like some help with? "
        "For example: “Our handoffs to the support team keep failing and we want them redesigned.”"
    ),
    UnclearKind.TOO_SHORT: (
        "Could you tell me a bit more? Who wants to change, and what? For example: "
        "“I'd like advice from someone who moved from nursing into management.”"
    ),
    UnclearKind.OTHER_LANGUAGE: (
        "Sorry, I can only read English for now. Could you describe the situation in English? "
        f"For example: “{EXAMPLE_SITUATION}”"
    ),
    UnclearKind.NO_SITUATION: (
        "I couldn't tell yet what kind of help fits. What would you like to change, and is it "
        "about you or about your team? For example: "
        "“I keep interrupting people in meetings and want to stop by the end of the quarter.”"
    ),
}

_UNCLEAR_REASONS = {
    UnclearKind.EMPTY: "There was no situation to read.",
    UnclearKind.GREETING: "That reads like a greeting rather than a situation.",
    UnclearKind.TOO_SHORT: "A word or two isn't enough to go on.",
    UnclearKind.OTHER_LANGUAGE: "I couldn't read it as English.",
    UnclearKind.NO_SITUATION: "I didn't find who wants to change, or what, in that text.",
}


# A reason is its opening, then its quotes joined by QUOTES_BETWEEN, then REASON_END:
# `Time: there is a concrete goal and a near date (you wrote “by June” and “this quarter”).`
QUOTES_BETWEEN = "” and “"
REASON_END = "”)."


def reason_opening(dimension: Dimension, gloss: str) -> str:
    """A reason up to its first quote: the dimension and what it shows."""
    return f"{_DIMENSION_TITLES[dimension]}: {gloss} (you wrote “"


# Each practice's name as a sentence says it (on Python 3.11 `Practice.X.value` is a
# Python-level property: a dict lookup costs less on the answer's path).
_PRACTICE_WORDS = {p: p.value for p in Practice}


def split(practice: Practice, quote: str, gloss: str) -> str:
    """Say which part of a two-practice situation fits this practice."""
    return f"“{quote}” points to {_PRACTICE_WORDS[practice]}: {gloss}."


# What each practice is about, for a practice the learned net found (no lexicon gloss to use).
_LEARNED_GLOSSES = {
    Practice.COACHING: "a skill or habit of your own to work on, with practice and feedback",
    Practice.MENTORING: "longer-run growth, with advice from someone who has been there",
    Practice.CONSULTING: "a change to how a team or organisation works, with an expert's analysis",
}


def learned_gloss(practice: Practice) -> str:
    """What a practice is about, in a few words."""
    return _LEARNED_GLOSSES[practice]


def learned_reason(practice: Practice, quotes: tuple[str, ...]) -> str:
    """Why the learned net chose a practice: the user's words that weighed most, if any."""
    about = f"{_PRACTICE_WORDS[practice]} ({learned_gloss(practice)})"
    if not quotes:
        return f"Situations worded like yours usually call for {about}."
    said = " and ".join(f"“{q}”" for q in quotes)
    return f"Situations worded like yours (you wrote {said}) usually call for {about}."


def escalate_reason(topic: EscalateTopic, quote: str) -> str:
    """Explain kindly why this is not a coaching, mentoring or consulting matter."""
    return (
        f"What you describe (“{quote}”) sounds like {_TOPIC_WORDS[topic]}. That isn't something "
        "coaching, mentoring or consulting should handle; the people below can help, "
        "in confidence."
    )


def topic_words(topic: EscalateTopic) -> str:
    """Name an escalate topic in plain words."""
    return _TOPIC_WORDS[topic]


def unclear_reason(kind: UnclearKind) -> str:
    """Say briefly why the bot is not guessing."""
    return _UNCLEAR_REASONS[kind]


def question(kind: UnclearKind) -> str:
    """One friendly question back, with an example."""
    return _QUESTIONS[kind]


ESCALATE_UNNAMED_REASON = (
    "Parts of what you describe sound like they may need someone who can act on them, such as"
    " the people team, rather than a coach or a mentor. If I've misread it, add a little more"
    " about what you'd like to change and ask again."
)

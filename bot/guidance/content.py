"""Help and compare content as data; the Block Kit builder renders it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.guidance.model import Dimension, Practice


@dataclass(frozen=True, slots=True)
class Example:
    """A sample situation and the practice it shows."""

    situation: str
    practice: Practice


@dataclass(frozen=True, slots=True)
class HelpText:
    """Everything the help reply says."""

    title: str
    intro: str
    usage: tuple[str, ...]
    examples: tuple[Example, ...]
    privacy: str


@dataclass(frozen=True, slots=True)
class PracticeProfile:
    """One practice described along the four dimensions, in the bot's words."""

    practice: Practice
    one_liner: str
    dimensions: tuple[tuple[Dimension, str], ...]
    sounds_like: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The three practices side by side, plus what they share and what is out of scope."""

    title: str
    profiles: tuple[PracticeProfile, ...]
    overlap: str
    common_ground: str
    not_guidance: str


_COMMAND = "/coach-or-mentor"


def help_text() -> HelpText:
    """Return the usage help with example situations."""
    return HelpText(
        title="Coaching, mentoring or consulting?",
        intro=(
            "Describe what's going on at work in a sentence or two. I'll suggest the kind of "
            "help that fits, tell you why, and offer a next step. Only you see my answer."
        ),
        usage=(
            f"`{_COMMAND} <your situation>`: get a suggestion",
            f"`{_COMMAND} compare`: see the three practices side by side",
            f"`{_COMMAND} help`: show this message",
        ),
        examples=(
            Example(
                "I talk over people in stand-ups and want to break the habit by my next review.",
                Practice.COACHING,
            ),
            Example(
                "I'm a nurse thinking about moving into informatics one day and would love to "
                "hear from someone who made that jump.",
                Practice.MENTORING,
            ),
            Example(
                "Our support and billing teams keep dropping customer handoffs; we need someone "
                "to look at the process and recommend a better one.",
                Practice.CONSULTING,
            ),
            Example(
                "I'm a new team lead: I need to get better at one-to-ones this quarter, and "
                "later I'd like advice on growing into a head-of role.",
                Practice.COACHING,
            ),
        ),
        privacy=(
            "If what you describe involves harassment, discrimination, safety, threats, "
            "self-harm, pay equity, fraud or a legal breach, I'll point you to people who can "
            "help, and I won't keep your words."
        ),
    )


def compare() -> Comparison:
    """Return the three practices side by side, in the project's own words."""
    return Comparison(
        title="Three kinds of guidance, side by side",
        profiles=(
            PracticeProfile(
                Practice.COACHING,
                "Change one thing about how you work, soon, with someone holding you to it.",
                (
                    (Dimension.WHOSE_CHANGE, "You, as one person in the organisation."),
                    (Dimension.WHAT_CHANGES, "A behaviour or a specific skill."),
                    (
                        Dimension.BUILT_ON,
                        "Questions that help you see yourself clearly, then action, "
                        "practice and feedback on your progress.",
                    ),
                    (Dimension.TIME, "Short and goal by goal; about now."),
                ),
                ("run better meetings", "stop interrupting", "by my review", "hold me to it"),
            ),
            PracticeProfile(
                Practice.MENTORING,
                "Grow over the long run with someone who has walked the road before you.",
                (
                    (Dimension.WHOSE_CHANGE, "You, as one person in the organisation."),
                    (Dimension.WHAT_CHANGES, "Your learning and your career as a whole."),
                    (
                        Dimension.BUILT_ON,
                        "Advice, support and introductions from someone more experienced; "
                        "direct feedback mostly when you ask.",
                    ),
                    (Dimension.TIME, "Open-ended and often long; about the future."),
                ),
                (
                    "where my career goes",
                    "someone who has done it",
                    "how things work here",
                    "meet the right people",
                    "I'm new here",
                ),
            ),
            PracticeProfile(
                Practice.CONSULTING,
                "Change how a team or the organisation works, based on expert analysis.",
                (
                    (
                        Dimension.WHOSE_CHANGE,
                        "A team, a process or a structure; people take part as members of it.",
                    ),
                    (Dimension.WHAT_CHANGES, "How the organisation runs or develops."),
                    (
                        Dimension.BUILT_ON,
                        "Expertise: looking at the facts, weighing options, recommending.",
                    ),
                    (Dimension.TIME, "A piece of work with an agreed scope."),
                ),
                ("our team", "our process", "should we", "we need a recommendation"),
            ),
        ),
        overlap=(
            "They often go together: a new manager might want coaching on one skill this "
            "month and a mentor for the years ahead. When both fit, I'll say which part "
            "fits which."
        ),
        common_ground=(
            "All three are guidance built on trust and respect, and all can work with one "
            "person or a whole group. Mentors get something back too: the chance to pass on "
            "what they know and stay close to their field."
        ),
        not_guidance=(
            "Harassment, discrimination, threats, safety, self-harm, pay equity, fraud and "
            "legal or policy breaches aren't coaching, mentoring or consulting matters. For "
            "those I'll point you to the right people instead."
        ),
    )

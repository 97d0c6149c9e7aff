"""Where to send people when a situation is not a guidance matter, and who to ask for consulting."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Resource(enum.StrEnum):
    """The kinds of help a workspace configures."""

    PEOPLE_TEAM = "people_team"
    EMPLOYEE_ASSISTANCE = "employee_assistance"
    ETHICS = "ethics"
    EMERGENCY = "emergency"
    CRISIS = "crisis"


ENV_NAMES: dict[Resource, str] = {
    Resource.PEOPLE_TEAM: "ESCALATION_PEOPLE_TEAM",
    Resource.EMPLOYEE_ASSISTANCE: "ESCALATION_EMPLOYEE_ASSISTANCE",
    Resource.ETHICS: "ESCALATION_ETHICS",
    Resource.EMERGENCY: "ESCALATION_EMERGENCY",
    Resource.CRISIS: "ESCALATION_CRISIS",
}

DEFAULT_TEXTS: dict[Resource, str] = {
    Resource.PEOPLE_TEAM: (
        "*People team (HR)*: talk to them privately through your usual HR contact. They handle"
        " this confidentially and can protect you from retaliation."
    ),
    Resource.EMPLOYEE_ASSISTANCE: (
        "*Employee assistance*: if your company offers an employee assistance programme, it is"
        " free, confidential and often open around the clock."
    ),
    Resource.ETHICS: (
        "*Ethics or speak-up line*: for fraud, legal or policy breaches you can report in"
        " confidence, anonymously where the law allows."
    ),
    Resource.EMERGENCY: (
        "*Emergency*: if anyone is in immediate danger, call your local emergency number now."
    ),
    Resource.CRISIS: (
        "*Right now*: if you are thinking about harming yourself, please contact a local crisis"
        " line or emergency services, or tell someone you trust today. You do not have to carry"
        " this alone."
    ),
}

DEFAULT_CONSULTING_CONTACT = (
    "Talk to your manager or to the operations or people partner for your area: they can scope"
    " the work and bring in the right expertise, from inside the company or outside it."
)

# Which resources answer which kind of situation, most urgent first.
_BY_TOPIC: dict[str, tuple[Resource, ...]] = {
    "self-harm": (Resource.CRISIS, Resource.EMPLOYEE_ASSISTANCE, Resource.EMERGENCY),
    "threat": (Resource.EMERGENCY, Resource.PEOPLE_TEAM, Resource.EMPLOYEE_ASSISTANCE),
    "safety": (Resource.EMERGENCY, Resource.PEOPLE_TEAM),
    "harassment": (Resource.PEOPLE_TEAM, Resource.EMPLOYEE_ASSISTANCE, Resource.ETHICS),
    "discrimination": (Resource.PEOPLE_TEAM, Resource.ETHICS, Resource.EMPLOYEE_ASSISTANCE),
    "pay-equity": (Resource.PEOPLE_TEAM, Resource.ETHICS),
    "fraud": (Resource.ETHICS, Resource.PEOPLE_TEAM),
    "legal": (Resource.ETHICS, Resource.PEOPLE_TEAM),
}
_FALLBACK = (Resource.PEOPLE_TEAM, Resource.EMPLOYEE_ASSISTANCE, Resource.EMERGENCY)


@dataclass(frozen=True)
class GuidanceResources:
    """Workspace-configured texts (admin-written mrkdwn, so links may be included)."""

    texts: Mapping[Resource, str]
    consulting_contact: str = DEFAULT_CONSULTING_CONTACT

    def for_topic(self, topic: str | None) -> tuple[str, ...]:
        """The texts to show for an escalated situation of this topic, most urgent first."""
        kinds = _BY_TOPIC.get(topic or "", _FALLBACK)
        return tuple(self.texts[k] for k in kinds if self.texts.get(k))


def parse_resources(env: Mapping[str, str]) -> GuidanceResources:
    """Read the configured texts; an empty or unset variable keeps the default."""
    texts = {
        kind: (env.get(name, "").strip() or DEFAULT_TEXTS[kind]) for kind, name in ENV_NAMES.items()
    }
    contact = env.get("CONSULTING_CONTACT", "").strip() or DEFAULT_CONSULTING_CONTACT
    return GuidanceResources(texts=texts, consulting_contact=contact)

"""Dimension-tagged signals for the three guidance practices, written from the practice model.

Phrase syntax (see matcher): words, `pre*` prefixes (4+ letters), `_` for any one word and
`...` for a gap of up to three words. Apostrophes are ignored ("don't" == "dont").
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.guidance.model import Dimension, Practice

C, M, K = Practice.COACHING, Practice.MENTORING, Practice.CONSULTING
WHO, WHAT, BASIS, TIME = (
    Dimension.WHOSE_CHANGE,
    Dimension.WHAT_CHANGES,
    Dimension.BUILT_ON,
    Dimension.TIME,
)


@dataclass(frozen=True, slots=True)
class Signal:
    """What one phrase says about one practice on one dimension."""

    practice: Practice
    dimension: Dimension
    weight: float
    gloss: str


# The bot's own words for why a signal matters; one per (practice, kind of signal).
SKILL = Signal(C, WHAT, 0, "a specific skill or habit of yours that you want to change")
SELF = Signal(C, WHO, 0, "the change is in how you yourself act")
ACCOUNT = Signal(C, BASIS, 0, "you want practice, feedback on progress and someone to hold you to it")
SOON = Signal(C, TIME, 0, "there is a concrete goal and a near date")
CAREER = Signal(M, WHAT, 0, "this is about broad, long-run growth rather than one skill")
WISDOM = Signal(M, BASIS, 0, "you want advice and introductions from someone who has been there")
LEARN = Signal(M, WHAT, 0, "you want to learn how a field or a company really works")
BELONG = Signal(M, WHO, 0, "you are finding your footing and your people")
LATER = Signal(M, TIME, 0, "there is no deadline; it is about the years ahead")
ORG = Signal(K, WHO, 0, "the change sits with a team or the organisation, not one person")
SYSTEM = Signal(K, WHAT, 0, "a process or structure needs redesigning")
EXPERT = Signal(K, BASIS, 0, "you want an expert's analysis and a recommendation")
SCOPE = Signal(K, TIME, 0, "it is a piece of work with a scope")
PERSONAL = "it is about you and your own path"


def _w(kind: Signal, weight: float, *phrases: str) -> list[tuple[str, Signal]]:
    """Attach one weight and one kind of signal to several phrases."""
    signal = Signal(kind.practice, kind.dimension, weight, kind.gloss)
    return [(p, signal) for p in phrases]


PRACTICE_PHRASES: list[tuple[str, Signal]] = [
    # --- coaching: a named skill or habit -------------------------------------------------
    *_w(SKILL, 2.5, "run* ... meeting*", "lead* ... meeting*", "chair* ... meeting*",
        "giv* ... feedback", "gave ... feedback", "deliver* ... feedback", "tak* feedback",
        "receiv* feedback", "public speaking", "speak* up", "stop* interrupt*", "interrupt*",
        "delegat*", "procrastinat*", "time management", "manag* my time", "say* no",
        "difficult conversation*", "hard conversation*", "tough conversation*",
        "awkward conversation*", "habit*", "stand* up for myself", "get better at",
        "work on my", "improve how", "get good at", "run* ... session*", "lead* ... session*",
        "facilitat*", "micromanag*", "perfectionis*", "lose my temper", "losing my temper",
        "my temper", "snap* at", "bedside manner", "cold call*", "sales call*", "small talk",
        "push back", "pushing back", "pushback", "speak* in meetings", "presentation skills",
        "active listening", "stop* check*", "stop* saying", "stop* apologi*", "overthink*",
        "de escalat*", "handl* objections", "handle conflict", "prioritis*", "prioritiz*",
        "my focus", "stay* focused", "keep* rambling", "rambl*"),
    *_w(SKILL, 1.5, "present*", "negotiat*", "assertive*", "confiden*", "nervous*",
        "listen*", "pitch*", "defensive*", "impatien*", "boundar*", "conflict*",
        "improve my", "better at", "i keep", "i tend to", "i always", "i struggle",
        "struggl* with", "skill*", "behavio*", "overcommit*", "over commit*", "on time",
        "late to", "my writing", "write clear*", "estimat*", "composure", "stay calm",
        "code review*", "my direct report*", "one on one*", "1 1s", "1on1*", "my new team",
        "first time manager", "new manager", "emotion*", "my reaction*", "overwhelm*",
        "organis* my", "organiz* my", "focus*", "distract*", "shy", "anxious", "anxiety",
        "stutter*", "blank", "freeze", "freezing", "mumbl*", "tone", "calm", "patien*",
        "speak* to", "communicat*", "articulat*", "concise*", "email*", "message*",
        "respond* to", "feedback", "i avoid", "avoid*", "fluster*", "rattled", "panic*",
        "tongue tied", "overreact*", "calmly", "calmer", "clearly", "clearer", "confidently",
        "concisely", "assertively", "brief*", "explain*", "handl* ... better",
        "deal* with ... better", "react* ... better", "respond* ... better", "loosen up", "let go", "trust them", "trust my team"),
    *_w(SELF, 1.5, "how i", "change how", "my own", "the way i", "i come across",
        "come across", "comes across", "myself"),
    # --- coaching: built on practice, feedback and accountability -------------------------
    *_w(ACCOUNT, 2.5, "hold me accountable", "hold* me to", "keep* me accountable",
        "accountab*", "keep me on track", "keep* me honest", "role play*", "roleplay*",
        "track my progress", "feedback on my progress", "practis*", "practic* ... before",
        "rehears*", "check* in on me", "someone to push me", "push me", "coach*",
        "blind spot*", "self awareness", "self aware"),
    *_w(ACCOUNT, 1.5, "practic*", "check in*", "checkin*", "on track", "goal*", "progress",
        "reflect*", "figure out why i", "why i", "nudg*", "weekly", "every week",
        "measur*", "target*", "commit*", "follow through", "stick to", "stick with"),
    # --- coaching: time-limited, present-focused ------------------------------------------
    *_w(SOON, 2.5, "by my ... review", "before my ... review", "by the ... review", "performance review", "by the end of",
        "this quarter", "this month", "next week", "this week", "next month",
        "in _ weeks", "in _ days", "within _ weeks", "within _ months", "by january",
        "by february", "by march", "by april", "by may", "by june", "by july", "by august",
        "by september", "by october", "by november", "by december", "by friday",
        "by monday", "by the summer", "by summer", "by spring", "by autumn", "by fall",
        "by winter", "by christmas", "by the holidays", "before summer", "next _ months",
        "in the next", "by q1", "by q2", "by q3", "by q4", "before the", "before my",
        "upcoming", "deadline*", "90 days", "30 days", "60 days", "six weeks", "six months",
        "3 months", "three months", "two weeks", "few weeks", "next _ weeks", "next review",
        "review cycle", "probation*", "improvement plan", "pip"),
    *_w(SOON, 1.0, "weeks", "right now", "currently", "soon", "quickly", "asap",
        "tomorrow", "next quarter", "q1", "q2", "q3", "q4", "review", "today"),
    # --- mentoring: career direction, growth, the long view --------------------------------
    *_w(CAREER, 2.5, "career*", "carrer*", "long term", "longer term", "grow into",
        "move into", "moving into", "break into", "transition into", "switch into",
        "get into", "path", "direction", "aspir*", "ambition*", "become a", "becoming a",
        "management track", "leadership track", "ic track", "technical track",
        "where i want to be", "next step", "next move", "what next", "whats next",
        "changing careers", "career change", "pivot*", "stay or leave", "stay or go",
        "should i stay", "my future", "the future", "phd", "mba", "grow as",
        "grow in my", "staff engineer", "principal", "head of", "executive*", "cto", "vp",
        "leadership role*", "manage people someday", "people manager", "senior role*",
        "dream*", "calling", "next chapter", "working life", "what comes next", "life after",
        "my path", "long game"),
    *_w(CAREER, 1.5, "promot*", "grow*", "future", "develop* my", "my potential",
        "options for me", "my options", "specialis*", "specializ*", "generalist",
        "switch*", "leave the", "another role", "different role", "new role", "change roles",
        "move to", "moving to"),
    *_w(LEARN, 2.5, "how things work", "how things get done", "how _ works", "how it works",
        "how the company", "how the industry", "how the business", "unwritten rules",
        "learn* the ropes", "show me the ropes", "the ropes", "politics", "navigat*",
        "the industry", "this industry", "the field", "this field", "big picture",
        "business side", "who to ask", "who does what", "how decisions get made",
        "how people", "understand how", "how ... made", "how ... decided", "how ... really",
        "company like this", "a place like this", "catch up", "catching up"),
    *_w(LEARN, 1.5, "learn*", "understand*", "culture", "the company", "industry",
        "landscape", "side of the business"),
    *_w(WISDOM, 3.0, "someone who has done", "someone whos done", "someone who did",
        "someone who has been", "someone whos been", "been there", "been through",
        "done it before", "done this before", "who has done", "whos done", "more experienced",
        "someone experienced", "someone senior", "senior person", "senior colleague*",
        "role model*", "mentor*", "mentee", "sounding board", "introduc* me",
        "introduction*", "intros", "network*", "connections", "connect* with",
        "meet people", "know anyone", "further along", "ahead of me", "walked the path",
        "war stories", "how they got", "how she got", "how he got", "their journey",
        "learn from", "learning from", "sponsor*", "advice*", "advise me", "wisdom",
        "shared their", "share their", "guide me", "guidance", "someone wise", "wise", "someone to talk to about",
        "someone i can ask", "someone to ask", "who has walked"),
    *_w(WISDOM, 1.5, "experienced", "senior*", "someone who", "people who", "talk to someone",
        "someone to talk to", "chat with", "coffee with", "ask questions", "the lay of the land",
        "years of experience", "veteran*", "rely on", "insight*"),
    *_w(BELONG, 3.0, "new joiner*", "just joined", "recently joined", "joined last", "new here",
        "new to the company", "new to the team", "new to the industry", "new to the field",
        "new grad*", "fresh grad*", "recent grad*", "graduate*", "first job", "first role",
        "first year", "first week*", "first month*", "intern", "interns", "internship*",
        "returner*", "returning", "coming back", "came back", "come back", "back to work",
        "back from", "back at work", "after ... treatment", "lost my place", "where i fit",
        "left behind", "caring for", "feel behind", "out of touch", "back after", "parental leave",
        "maternity leave", "paternity leave", "career break", "time off", "sabbatical",
        "only woman", "only women", "only black", "only person", "first generation",
        "under represented", "underrepresented", "minority", "belong*", "fit in",
        "fitting in", "imposter", "impostor", "lonely", "isolat*", "dont know anyone",
        "find my feet", "finding my feet", "footing", "relocat*", "moved here",
        "moved from", "immigra*", "bootcamp", "self taught", "career changer",
        "im a junior", "im junior", "as a junior", "i am a junior", "new to", "onboard*",
        "first time", "out of place"),
    *_w(LATER, 3.0, "no deadline", "no rush", "no hurry", "no timeline", "no time frame",
        "no timeframe", "long run", "over the years", "over time", "next few years",
        "few years", "coming years", "years ahead", "someday", "some day", "one day",
        "eventually", "down the line", "down the road", "open ended", "ongoing",
        "in _ years", "years from now", "five years", "ten years", "5 years", "10 years",
        "3 years", "three years", "two years", "not urgent", "in the long", "lifelong",
        "whole career", "whole of my career"),
    *_w(LATER, 1.0, "years", "a while", "someone to grow with", "over the next year"),
    # --- consulting: the organisation changes ----------------------------------------------
    *_w(ORG, 2.5, "our team*", "our department*", "our company", "our org*", "our business",
        "our division", "our group", "our unit", "our ward", "our clinic", "our store*",
        "our branch*", "our office*", "our startup", "our squad*", "our site", "our plant",
        "our school", "our hospital", "our sales team", "our support team", "our agency",
        "our firm", "our practice", "our engineering", "our product team", "our leadership",
        "our managers", "our staff", "our people", "our customers", "our clients",
        "the department", "department*", "division*", "organisation*", "organization*",
        "company wide", "companywide", "org wide", "across teams", "across the company",
        "across the org", "cross team", "cross functional", "between teams",
        "between departments", "the whole team", "whole team", "everyone on the team",
        "each team", "both teams", "two teams", "three teams", "several teams", "other teams",
        "team of", "the business", "leadership team", "headcount", "my teams"),
    *_w(ORG, 1.5, "org", "orgs", "the firm", "the agency", "the lab", "our lab",
        "the ward", "the unit", "the icu", "the clinic", "the office", "the plant"),
    *_w(ORG, 1.0, "teams", "the team", "my team", "the org", "the company", "staff",
        "everyone", "nobody", "nurses", "engineers", "people keep", "employees", "reps"),
    *_w(SYSTEM, 3.0, "process*", "workflow*", "restructur*", "reorg*", "re org*", "redesign*",
        "structure", "operating model", "tooling", "handoff*", "hand off*", "handover*",
        "bottleneck*", "silo*", "roles and responsibilities", "on call", "oncall",
        "rotation*", "rota", "rotas", "shift pattern*", "staffing", "pricing", "strategy",
        "roadmap*", "overhaul*", "fix our", "team structure", "org chart", "org design",
        "reporting lines", "throughput", "cycle time", "lead time", "governance",
        "approval*", "meeting cadence", "our meetings", "our standup*", "our retro*",
        "backlog", "triage", "intake", "escalation path*", "ticket*", "queue*",
        "sign off", "signoff", "policies", "our policy", "the policy", "remote work policy",
        "hybrid", "return to office", "operations", "ops", "supply chain", "inventory",
        "scheduling", "system", "systems", "crm", "erp", "vendor*", "procure*",
        "integrat*", "migrat*", "merg*", "split the team", "consolidat*", "centralis*",
        "centraliz*", "decentralis*", "decentraliz*", "standardis*", "standardiz*",
        "automat*", "efficien*", "productivity", "kpi*", "okr*", "metrics", "budget*",
        "costs", "cost*", "spend", "revenue", "churn", "turnover", "retention",
        "attrition", "morale", "hiring", "recruit*", "onboarding process",
        "the onboarding", "our onboarding", "rollout", "roll out", "rolling out",
        "implement*", "adopt*", "framework", "methodology", "agile", "scrum", "kanban",
        "pipeline", "architecture", "platform", "infrastructure", "release*", "deploy*",
        "documentation", "knowledge base", "incident*", "capacity", "workload",
        "distribution", "allocat*", "raci", "decision making", "communication between",
        "information flow", "duplicat*", "rework", "inefficien*", "scaling"),
    *_w(SYSTEM, 2.0, "a clearer way", "a better way", "a fair way", "a consistent way",
        "documented", "funded", "funding", "allocation", "who decides", "who owns"),
    *_w(SYSTEM, 1.5, "format", "standup*", "stand up*"),
    *_w(SYSTEM, 1.0, "delays", "delayed", "slow", "scale", "tool", "tools", "setup", "way we"),
    *_w(EXPERT, 3.0, "expert*", "specialist*", "consult*", "recommend*", "analy*",
        "assess*", "audit*", "evaluat*", "diagnos*", "review our", "look at our",
        "outside view", "outside perspective", "outside eyes", "fresh eyes", "external",
        "benchmark*", "best practice*", "industry standard", "which option", "options",
        "pros and cons", "trade off*", "tradeoff*", "should we", "do we", "whether we",
        "which approach", "what approach", "tell us", "help us", "advise us",
        "advise on", "advice on how we", "business case", "build or buy", "buy or build",
        "build vs buy", "make or buy", "figure out how we", "what we should", "how should we",
        "how do we", "how can we", "root cause", "advice on", "need advice", "advice about how",
        "decide which", "decide how", "how to decide", "way to decide", "proposal", "decision",
        "decide between", "decide whether", "choose between", "compare*"),
    *_w(EXPERT, 1.0, "whether to", "model", "plan", "data", "numbers", "research"),
    *_w(SCOPE, 2.0, "project", "engagement", "scope", "scoped", "phase*", "deliverable*",
        "pilot", "initiative", "programme", "program", "by the launch", "next year",
        "this year", "fiscal year", "by year end", "year end", "h1", "h2", "launch*"),
]

# First-person pronouns count toward "whose change"; they are weighed, not listed as phrases.
SINGULAR = frozenset({"i", "me", "my", "myself", "im", "ive", "id", "mine", "ill"})
PLURAL = frozenset({"we", "our", "us", "ours", "ourselves", "weve", "wed"})

GREETINGS = frozenset(
    {
        "hi", "hello", "hey", "heya", "hiya", "yo", "sup", "howdy", "hola", "bonjour", "hallo",
        "ciao", "thanks", "thank", "thx", "ty", "you", "cheers", "good", "morning", "afternoon",
        "evening", "night", "there", "bot", "ok", "okay", "k", "please", "test", "testing",
        "ping", "whats", "up", "how", "are", "u", "doing", "is", "this", "working", "anyone",
        "help", "hmm", "lol", "yes", "no", "nope", "yeah", "yep", "what", "can", "do",
        "question", "a", "quick", "the", "to", "ask", "something", "all", "folks", "team",
        "everyone", "again", "great", "nice", "cool", "awesome", "sorry", "wrong", "channel",
        "oops", "nevermind", "never", "mind", "bye", "goodbye", "see", "ya", "later",
    }
)

# Words that show a text describes a work situation, for answers built on faint signals.
SITUATION_WORDS = frozenset(
    {
        "work", "job", "role", "team", "manager", "boss", "colleague", "colleagues", "coworker",
        "coworkers", "client", "clients", "customer", "customers", "company", "office",
        "shift", "project", "want", "need", "help", "improve", "better", "learn", "struggle",
        "fix", "change", "problem", "issue", "hard", "stuck", "trying", "feel", "lead",
        "report", "reports", "staff", "department", "meeting", "meetings", "career",
    }
)

ENGLISH_FUNCTION_WORDS = frozenset(
    {
        "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with",
        "i", "me", "my", "we", "our", "you", "he", "she", "they", "it", "is", "am", "are",
        "was", "be", "have", "has", "do", "dont", "im", "how", "what", "want", "would",
        "like", "this", "that", "not", "so", "about", "get", "from", "as", "can", "if",
        "when", "need", "help", "keep", "who", "team", "work",
    }
)

# Key words that typos are mended toward (one edit away). Practice words only; the escalate
# module adds its own.
# Key words that typos are mended toward (one edit away); eight letters or more, so that
# ordinary words are never "mended" into them. The escalate module adds its own.
PRACTICE_KEY_WORDS = (
    "mentoring", "mentorship", "coaching", "feedback", "meetings", "presentation",
    "presentations", "presenting", "delegate", "delegating", "processes", "accountable",
    "accountability", "deadline", "department", "organisation", "organization", "restructure",
    "recommendation", "introductions", "networking", "experienced", "interrupting",
    "procrastinating", "procrastination", "confidence", "conversations", "difficult",
    "eventually", "workflow", "practise", "practice", "introduce", "analysis", "structure",
    "direction", "graduate", "returning", "belonging", "strategy", "management",
)

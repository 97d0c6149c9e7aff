"""Concern detector: escalate when concepts co-occur (who, what was done, to what), not phrases.

People rarely name what happened to them ("harassment", "fraud"); they describe it. Each rule
below pairs general concepts, e.g. a protected characteristic near adverse treatment, or a
request near altering a record near an untruth, so that new wordings of the same situation are
caught while harmless mentions of one concept alone are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress

from bot.guidance.escalate import EscalateFinding
from bot.guidance.matcher import Memo, Tokens
from bot.guidance.model import EscalateTopic

H = EscalateTopic.HARASSMENT
D = EscalateTopic.DISCRIMINATION
T = EscalateTopic.THREAT
S = EscalateTopic.SAFETY
SH = EscalateTopic.SELF_HARM
P = EscalateTopic.PAY_EQUITY
F = EscalateTopic.FRAUD
L = EscalateTopic.LEGAL

GAP = "..."
_MAX_GAP = 3
_CACHE_LIMIT = 50_000
_KEY = 3  # letters a prefix is indexed by (the shortest prefix a term may start with)
_QUOTE_SPAN = 8

# fmt: off
# Concept -> terms. A term is words separated by spaces; `pre*` is a prefix, `a|b` a choice,
# `...` skips up to three words. Words are matched as tokenised (lower case, no apostrophes).
CONCEPTS: dict[str, tuple[str, ...]] = {
    # -- who and where
    "me_close": ("up behind me", "behind me", "against me", "up against", "into me", "over me",
                 "past me", "me into the|a|my", "me against", "close to me"),
    "press": ("press|presses|pressed|pressing", "rubs|rubbing|rubbed",
              "lean|leans|leaning|leaned|leant",
              "squeez*", "corner|corners|cornered|cornering", "pin|pins|pinned",
              "ends|end|ended up"),
    "alone": ("nobody|noone else", "no one else", "no one around", "nobody around",
              "when we|were|are alone", "alone with me", "alone with him|her",
              "just the two of us"),
    # -- unwanted personal or sexual attention
    "msg": ("text|texts|texted|texting|dm|dms|dmd|dming|dmed|messag*|snap*|whatsapp*",
            "call|calls|called|calling|rang|rings", "sends|sent|sending me"),
    "late": ("1am", "2am", "3am", "4am", "12am", "11pm", "midnight", "late at night",
             "late night", "middle of the night", "at night", "in the night"),
    "flirt": ("u up", "you awake", "still awake", "winky", "wink|winks|winked|winking",
              "thinking about me", "stop thinking about", "obsessed with me", "fancies me",
              "crush on me", "loves me", "love you", "miss you", "misses me", "come over",
              "kiss|kisses|kissy", "xx|xxx", "sexy", "babe",
              "what im wearing", "what i was wearing", "what i wear",
              "pictures|photos|pics|selfies of me", "send him|her a photo|picture|pic"),
    "appearance_talk": ("comment*", "remark*", "said|says", "told|tells|telling me",
                        "asks|asked|asking", "keeps", "suggest*", "wants|wanted me"),
    "appearance": ("what i wear", "what im wearing", "what i was wearing", "my clothes",
                   "my outfit*", "my skirt*", "my dress*", "my legs", "my figure", "my weight",
                   "my body", "my looks", "how i look", "smile more", "loosen up",
                   "how pretty|hot|attractive", "im pretty|hot|attractive|beautiful|gorgeous"),
    "private_life": ("boyfriend", "girlfriend", "sex life", "love life", "dating",
                     "if im single", "whether im single", "am i single", "my type"),
    "venue": ("hotel", "hotel room", "his|her room", "his|her flat|apartment|house|place",
              "back to his|hers|her", "just the two of us", "weekend away"),
    "lever": ("my promotion|review|contract|bonus|job|career|visa|pay|shifts|reference",
              "promote me", "a raise", "a pay rise", "keep my job", "go permanent"),
    # -- discrimination: a protected characteristic and adverse treatment
    "protected": ("pregnan*", "maternity", "paternity", "wheelchair", "disabled",
                  "disability", "autis*", "adhd", "dyslex*", "deaf", "neurodiver*",
                  "gay", "lesbian", "bisexual", "trans", "transgender", "nonbinary",
                  "non binary", "queer", "lgbt*", "shabbat", "sabbath", "ramadan",
                  "eid", "diwali", "prayer|prayers|pray|praying", "mosque", "church",
                  "synagogue", "kosher", "halal", "hijab", "headscarf", "turban",
                  "religion", "religious", "my faith", "muslim*", "jewish", "christian",
                  "hindu", "sikh", "buddhist", "catholic", "black", "asian", "latino",
                  "latina", "latinx", "hispanic", "arab", "african", "caribbean",
                  "my skin", "skin colour|color", "race", "racial", "ethnic*", "my hair",
                  "my accent", "my name", "where im from", "where i come from",
                  "immigrant*", "foreigner*", "my nationality", "nationality",
                  "over 40|45|50|55|60|65", "too old", "older", "my age", "grey hair",
                  "woman", "women", "female", "females", "girl", "girls", "mother*",
                  "mum|mums|mom|moms", "menopaus*", "same sex"),
    "adverse": ("moved|taken|took|pulled|kept|dropped|cut|frozen|shut|edged off|out",
                "left off",
                "moved|taken|took|pulled|kept|left|cut|frozen|shut me off|out",
                "leave|leaves|leaving|left me off|out", "removed from",
                "exclude*", "passed over", "pass me over",
                "pass|passing on anyone|candidates|applicants|people|them|her|him|cvs",
                "overlooked", "denied", "refused", "rejected",
                "wont|wouldnt|dont|not hire|promote|consider", "not promoted",
                "told me|us i|we cant|couldnt", "told i cant|couldnt", "said i cant|couldnt",
                "not allowed", "not welcome",
                "demoted", "fired", "sacked", "let go", "paid less", "treated differently",
                "different rules", "comments|comment|remarks|remark about",
                "made a comment", "joke|jokes|joking|joked about", "imitat*",
                "impressions of", "fun of", "mocks|mocked|mocking|mockery",
                "tone down", "tone it down", "nickname",
                "change my name", "anglicis*", "hard for clients", "unprofessional",
                "fit the culture", "culture fit", "wont fit", "too emotional",
                "not accessible", "inaccessible", "no ramp", "has stairs", "no lift",
                "freez* me out", "no longer invited", "stopped inviting",
                "always have an excuse", "not suited", "dont belong"),
    "disability": ("wheelchair*", "disabled", "disability", "deaf", "blind", "crutches",
                   "mobility", "walking stick", "guide dog", "hearing aid*", "chronic pain"),
    "barrier": ("stairs", "steps", "no ramp", "no lift", "lift is|was broken|out",
                "not accessible", "inaccessible", "step free", "no captions", "no interpreter",
                "no adjustment*", "adjustments refused|denied", "still nothing",
                "still waiting", "told i|me cant|couldnt", "been told i cant"),
    "since": ("since", "ever since", "after i told", "after telling", "when i told",
              "since telling", "once i told"),
    # -- pay equity
    "pay": ("pay", "paid", "pays", "salary", "salaries", "base", "wage*", "rate", "rates",
            "hourly", "bonus*", "raise", "raises", "pay rise", "earn*", "comp",
            "compensation", "pay band", "on a lower", "on less", "on more"),
    "compare": ("less", "more", "lower", "higher", "didnt change", "didnt get", "same",
                "identical", "equal", "gap", "difference", "underpaid"),
    "peer": ("men", "man", "male", "guy", "new guy", "my peer", "peers", "same role",
             "same level", "same job", "same work", "identical work", "exact same",
             "doing the same", "same shifts", "full timers", "part timers"),
    # -- falsified or misstated records
    "alter": ("change|changing|changed|alter|altering|altered|edit|editing|edited|adjust*|"
              "tweak*|move|moving|moved|shift|shifting|backdat*|fudg*|massag*|amend*|"
              "rewrite|rewriting|bump|bumping",
              "make|making them|it|everything|things line|add|match|balance",
              "make|making the numbers|figures|totals line|match|work|add|balance"),
    "record": ("date|dates|dated", "purchase order*", "orders", "invoice*", "timesheet*",
               "records", "record", "report", "reports", "numbers", "figures", "totals",
               "accounts", "books", "logs", "log", "results", "readings", "hours",
               "mileage", "receipts", "certificate*", "forms", "paperwork", "inspection*",
               "checklist*", "audit", "spend", "expenses", "sales", "revenue", "deals",
               "the data", "test results", "minutes", "signatures", "charts", "notes"),
    "alter_date": ("change|changing|alter|altering|edit|editing|move|moving|shift|shifting|"
                   "adjust|adjusting the|those|some|a|these ... date|dates|timestamp|timestamps",),
    "document": ("order|orders", "invoice*", "contract|contracts", "timesheet*", "records",
                 "logs", "certificate*", "forms", "receipts", "paperwork", "reports",
                 "accounts", "audit", "delivery notes", "statements"),
    "untrue": ("havent|hasnt|hadnt|didnt|werent|wasnt|never closed|happened|signed|shipped",
               "not closed|happened|signed|shipped|delivered|done|seen|checked|yet",
               "when they|it|we|he|she werent|wasnt|hadnt|didnt|arent|isnt",
               "dont|doesnt|didnt match", "dont|doesnt add up", "into q1|q2|q3|q4",
               "into the next|last|previous quarter|year|period|month",
               "fall|falls|land|lands into|in", "so we hit", "to hit the",
               "what we actually", "not real", "never happened", "not true"),
    "book": ("book|booking|booked|record|recording|recorded|log|logging|logged|count|"
             "counting|counted|report|reporting|reported|recognis*|recogniz*|claim*|"
             "invoic*|bill|billing|billed",),
    "mark": ("mark|marking|marked|tick|ticking|ticked|sign|signing|signed|chart|charting|"
             "put|putting|record|recording|log|logging",),
    "status": ("as reviewed|done|complete|completed|checked|seen|inspected|tested|passed|"
               "signed|present|attended|delivered|resolved|closed|approved|safe|clean",),
    "signoff": ("sign|signs|signing|signed off", "certif*", "pass|passing|passed it|them"),
    "unchecked": ("without inspecting|checking|reading|testing|looking|seeing|reviewing|"
                  "doing|visiting|counting|opening",
                  "without ... inspection|check|test|visit"),
    "expense": ("expense|expenses|expensed|expensing", "company card", "corporate card",
                "puts|put|charges|charged|bills|billed ... company|client|business"),
    "personal_use": ("his|her|their wife|husband|partner|family|kids|children|girlfriend|"
                     "boyfriend|mates|friends", "family holiday", "for himself|herself",
                     "personal use", "personal shopping"),
    "code_as": ("code|coded|coding|book|booked|put|expense|label|labelled|classify|file|"
                "bill it|them as", "put it|them through as", "disguis*"),
    # -- money, gifts or favours tied to a decision
    "inducement": ("gift|gifts", "hamper*", "donation*", "as a thank you", "envelope", "cash",
                   "vouchers", "sweetener*", "a little something", "something extra",
                   "cover|covering|pay|paying|paid for ... holiday|trip|flights|hotel|tickets|"
                   "wedding|holidays", "free holiday|trip|flights|tickets", "facilitation",
                   "consultancy|special|extra|unofficial|cash fee", "kickback*", "backhander*",
                   "a cut"),
    "fee": ("fee", "fees", "payment", "pay", "money", "cash", "tip"),
    "speed": ("faster", "quicker", "speed up", "fast track", "expedite*", "jump the queue",
              "go through", "get through", "released", "look the other way",
              "turn a blind eye", "approved"),
    "hint": ("hint*", "suggest*", "said we need|have|should", "asked for", "wants|wanted",
             "would", "unless"),
    "decision": ("tender*", "contract*", "renew*", "bid|bids", "grade|grades", "deal",
                 "award*", "wins|win|won the", "permit*", "licen*", "approval*", "approve",
                 "inspection", "shipment", "released", "customs", "candidates", "hire|hiring",
                 "promot*", "faster", "quicker", "speed up", "fast track", "expedite"),
    "offer": ("offer|offers|offered|offering", "send|sends|sent|sending", "hint*",
              "gave|give|gives|giving", "keeps", "if we|i|you", "in exchange",
              "in return", "promised", "would make", "suggest*", "wants to pay",
              "said we need to pay", "need to pay"),
    "official": ("customs", "officer", "official*", "inspector*", "council",
                 "permit*", "licen*", "police", "border", "port", "government",
                 "ministry", "regulator*", "clerk", "judge"),
    "take_money": ("taking|takes|took|accepting|accepts|accepted|pocketing "
                   "cash|money|backhanders|kickbacks|bribes|gifts",
                   "cash|money from"),
    "third_party": ("agency", "agencies", "supplier*", "vendor*", "contractor*",
                    "recruit*", "bidder*"),
    # -- personal data and secrets
    "data": ("database", "customer|client|patient|staff|employee|personal data|list|"
             "records|details|files|info|information", "sick notes", "sick note",
             "medical", "health records|data|info|conditions", "diagnos*",
             "payroll", "payslips", "salaries",
             "passwords", "password", "api keys", "keys", "credentials", "secrets",
             "tokens", "source code", "personnel files", "hr files", "addresses",
             "phone numbers", "bank details", "cctv"),
    "leak": ("personal gmail|email|account|drive|laptop|phone|dropbox|usb",
             "his|her|their own|personal gmail|email|account|drive|laptop|phone",
             "gmail", "hotmail", "yahoo", "home computer", "public repo*", "public github",
             "publicly", "to the public", "group chat", "whatsapp group", "social media",
             "for laughs", "anyone can open|see|access|read|download",
             "everyone can open|see|access", "temps included", "unencrypted",
             "plain text", "plaintext", "competitor*", "leak*", "screenshot*"),
    "snoop": ("read|reads|reading|monitor*|access*|snoop*|spy*|spies",
              "going|goes|went|look|looks|looking|looked through"),
    "others_msgs": ("everyones|peoples|colleagues|staffs|others "
                    "dms|messages|emails|inbox*|chats|files|calendars|texts",
                    "private messages", "private chats", "said in private",
                    "their dms|messages|inbox*|emails"),
    # -- hazards
    "equipment": ("truck*", "forklift*", "van", "vehicle*", "brake|brakes|braking",
                  "steering", "tyre*", "ladder*", "scaffold*", "machine|machines|machinery",
                  "slicer*", "chainsaw*", "bandsaw*", "guard|guards", "lockout", "tagout",
                  "loto", "harness*", "railing*", "handrail*", "wiring", "wires", "boiler",
                  "gas", "fire exit*", "fire door*", "extinguisher*", "fire alarm*",
                  "sprinkler*", "lift", "hoist*", "crane*", "racking", "shelving",
                  "pallet*", "oven*", "fryer*", "chemical*", "fumes", "ventilation",
                  "roof", "stairs", "conveyor*", "blade*",
                  "interlock*", "emergency stop", "e stop"),
    "defect": ("pulls hard|to", "wobbl*", "shakes", "shaking", "loose", "cracked", "broken",
               "faulty", "leak*", "smells", "spark*", "jams", "jammed", "fails", "failed",
               "doesnt|dont|isnt|wont work|working|stop|stopping|lock",
               "not working", "blocked", "locked", "chained", "missing", "removed",
               "bypass*", "overheat*", "frayed", "exposed", "slippery", "gives way",
               "collaps*", "buckl*", "rusted", "snapped"),
    "ignored": ("reported|flagged|raised it|this|them|that", "report* it|this|that",
                "reportd", "laughed it off", "brushed it off", "brushed off",
                "still being used", "still in use", "still using", "keep using",
                "nobody|noone fixed", "no one fixed", "never fixed", "not been fixed",
                "hasnt been fixed", "still not fixed", "told to use", "use it anyway",
                "crack on", "carry on", "takes too long", "to save time", "push through"),
    "it_context": ("learning", "pipeline*", "build", "builds", "deploy*", "server*",
                   "software", "app", "api", "tests", "ci", "code", "process"),
    "skip": ("skip|skips|skipping|skipped", "bypass*", "disable*", "override*",
             "turn|turning|turned|switch|switching|switched off", "remove|removing|removed",
             "ignore|ignoring|ignored", "prop|propped|propping", "tape|taped|taping",
             "without"),
    "control": ("lockout", "tagout", "loto", "guard|guards", "interlock*", "safety check*",
                "pre use check*", "harness*", "alarm|alarms", "fire door*",
                "emergency stop", "e stop", "isolation", "permit to work", "ppe",
                "goggles", "gloves", "hard hat*", "hi vis", "eye protection",
                "respirator*", "mask|masks", "seatbelt*", "safety brief*"),
    "exhaust": ("signed off with|for|sick", "exhaustion", "collapsed", "fainted",
                "hospitalised", "hospitalized", "stress leave"),
    "load": ("hour week*", "hour shift*", "hours a week", "overtime", "double shift*",
             "no breaks", "without breaks", "push through", "understaffed",
             "short staffed", "months", "every weekend", "back to back shift*",
             "nights in a row", "days straight", "days in a row"),
    # -- hopelessness and self-harm, about oneself or someone else
    "pointless": ("point of|in|to anything|everything|life|living", "point of|in it all",
                  "point of|in going on", "point anymore", "point any more"),
    "give_away": ("giving|given|gave|give|giving away ... my|his|her things|stuff|belongings|"
                  "possessions|books|plants|clothes|records|guitar|games",
                  "giving|given|gave|give ... my|his|her things|stuff|belongings|possessions "
                  "away"),
    "not_around": ("plan|planning|planned on|to be|being around", "not be around",
                   "wont be around", "not going to be around", "not gonna be around",
                   "wont be here", "not be here", "not going to be here"),
    "finality": ("made my|his|her peace", "at peace with", "said my goodbyes",
                 "saying goodbye", "for good", "much longer", "for long", "wont need",
                 "wont matter", "doesnt matter", "any of this", "by then", "anymore",
                 "any more", "my affairs", "everything sorted"),
    "leaving_job": ("leaving", "resign*", "quit", "quitting", "notice", "new job",
                    "new role", "moving", "relocat*", "retir*", "holiday", "vacation",
                    "leave", "sabbatical", "contract ends", "offer"),
    "wake": ("wake up", "wake", "waking up"),
    "wake_neg": ("not|dont|didnt|never|wouldnt|stop", "hope i dont", "wish i wouldnt|didnt",
                 "no reason to"),
    "wake_time": ("early", "earlier", "at", "am", "oclock", "alarm", "morning*",
                  "5am", "6am", "7am", "4am", "shift*", "commute", "on time", "for the"),
    "self_hurt": ("hurt|hurts|hurting|harm|harms|harming|cut|cuts|cutting|burn|burns|"
                  "burning|starv*|punish* himself|herself|themselves|themself|myself",),
    "self_hurt_ok": ("slack", "lifting", "fell", "trip*", "playing", "football", "gym",
                     "running", "cooking", "accident*", "out of", "off from"),
    "pills": ("pills", "tablets", "overdose", "overdos*", "od"),
    "pills_much": ("too many", "all my|his|her|the", "stockpil*", "saving up", "a lot of",
                   "handful"),
    # -- threats, veiled or open
    "knows_mine": ("knows|know which car|house|desk|locker", "knows|know which ... is mine",
                   "knows|know where i|you|we|she|he live|lives|park|parks",
                   "knows|know where my|your kids|children|family",
                   "found|find|figured out where i|you|we live|park",
                   "knows|know my|your address|registration"),
    "if_report": ("if i|you|anyone|we|she|he flag|flags|report|reports|tell|tells|"
                  "complain|complains|say|says|mention|mentions|raise|raises",
                  "if i|you ... again"),
    "consequence": ("regret", "be sorry", "watch", "accident*", "consequences",
                    "pay for it", "knows which|where", "make sure you", "end you", "finish you",
                    "deal with you", "hurt you|me", "youll see", "you will see"),
    "veiled": ("better watch", "watch yourself", "watch your back", "watch your step",
               "better be careful", "youll be sorry", "youll regret", "be a shame if",
               "accidents happen", "make you pay", "knows people"),
    "bring_thing": ("bring|brings|bringing|brought something|stuff|weapons|knives in|to",
                    "bring|brings|bringing|brought a|his|her|my knife|blade|bat|weapon|gun"),
    "retribution": ("sort out", "sort them|him|her|you out", "sort it out", "deal with",
                    "get them|him|her back", "get back at", "teach them|him|her",
                    "make them|him|her pay", "show them", "take care of", "pay back",
                    "get even"),
    # -- retaliation for speaking up
    "spoke_up": ("ethics line|hotline|team|helpline", "whistleblow*", "went|go|gone to hr",
                 "told|emailed|called|contacted hr", "to hr", "hr complaint",
                 "filed|made|raised|lodged|put a|in complaint|grievance",
                 "complained about|to", "grievance*",
                 "reported|reporting him|her|them|my|the|it|this|what",
                 "raised|raising|flagged|flagging ... concern|concerns|gap|breach|"
                 "safety|bullying|harassment|fraud|discrimination", "spoke up", "speaking up",
                 "blew the whistle", "witness", "testified"),
    "payback": ("moved|taken|took|pulled|kept|left|dropped|cut|frozen|freezing|shut|"
                "edged me off|out", "taken|pulled|moved|removed|dropped off|from",
                "freez* me out", "performance plan", "pip", "shifts got cut",
                "hours got cut", "cut in half", "wont look at me", "wont speak to me",
                "stopped speaking|talking to me", "ignor* me", "demoted",
                "fired", "sacked", "let go", "written up", "disciplin*", "worst shift*",
                "worst territory", "worst rota", "given the worst", "bad review",
                "snitch", "rat", "threaten*", "punish*", "role is|was ... restructur*",
                "no longer invited", "stopped inviting", "moved to nights", "excluded"),
    # -- bullying patterns
    "calls_me": ("calls|called|calling|nicknamed me", "refers to me as"),
    "in_public": ("in front of", "publicly", "the whole team|line|office|floor"),
    "laughed_at": ("laugh|laughs|laughed|laughing along", "people|everyone|they|others laugh*",
                   "sniggers", "snigger*"),
    "put_down": ("useless", "stupid", "idiot", "thick", "pathetic", "incompetent",
                 "bins|binned|rips|ripped|tears|tore|throws|threw ... my work",
                 "the intern", "the new girl", "little girl",
                 "the tea lady"),
    "shun": ("stopped speaking|talking to me", "wont speak|talk to me", "silent treatment",
             "cold shoulder", "blank|blanks|blanked me", "ignore|ignores|ignoring me",
             "leave|leaves|left me off|out", "freez* me out", "not invited",
             "excluded me", "exclude me", "stopped inviting me"),
}
# fmt: on


@dataclass(frozen=True, slots=True)
class Rule:
    """Concepts that, all within `window` words of the first, make a concern."""

    family: str
    topic: EscalateTopic
    concepts: tuple[str, ...]
    window: int
    veto: tuple[str, ...] = ()


RULES: tuple[Rule, ...] = (
    # (a) a protected characteristic treated adversely
    Rule("discrimination", D, ("protected", "adverse"), 12),
    Rule("discrimination", D, ("protected", "since", "adverse"), 20),
    Rule("discrimination", D, ("protected", "adverse", "adverse"), 24),
    Rule("discrimination", D, ("disability", "barrier"), 30),
    # (b) unwanted personal or sexual attention
    Rule("attention", H, ("flirt", "msg"), 10),
    Rule("attention", H, ("flirt", "late"), 10),
    Rule("attention", H, ("appearance_talk", "appearance"), 6),
    Rule("attention", H, ("appearance_talk", "private_life"), 5),
    Rule("attention", H, ("venue", "lever"), 12),
    Rule("attention", H, ("press", "me_close"), 4),
    Rule("attention", H, ("alone", "me_close"), 14),
    # pay for the same work differing by group
    Rule("pay", P, ("pay", "compare", "peer"), 16),
    # (c) falsified or misstated records
    Rule("falsify", F, ("alter", "record", "untrue"), 12),
    Rule("falsify", F, ("alter_date", "document"), 8),
    Rule("falsify", F, ("book", "record", "untrue"), 8),
    Rule("falsify", F, ("mark", "status", "untrue"), 10),
    Rule("falsify", F, ("signoff", "unchecked"), 6),
    Rule("falsify", F, ("expense", "personal_use"), 12),
    # (d) money, gifts or favours tied to a decision
    Rule("bribery", F, ("inducement", "decision", "offer"), 14),
    Rule("bribery", F, ("inducement", "official"), 12),
    Rule("bribery", F, ("fee", "speed", "hint"), 14),
    Rule("bribery", F, ("take_money", "third_party"), 6),
    Rule("bribery", F, ("code_as", "inducement"), 16),
    # (e) misuse of personal data or secrets
    Rule("data", L, ("data", "leak"), 12),
    Rule("data", L, ("snoop", "others_msgs"), 5),
    # (f) a hazard reported, ignored or bypassed; people worn down by unsafe load
    Rule("hazard", S, ("equipment", "defect"), 8, veto=("it_context",)),
    Rule("hazard", S, ("equipment", "ignored"), 12),
    Rule("hazard", S, ("skip", "control"), 4),
    Rule("hazard", S, ("exhaust", "load"), 16),
    # (g) hopelessness and self-harm, about oneself or someone else
    Rule("self-harm", SH, ("pointless",), 0),
    Rule("self-harm", SH, ("give_away",), 0),
    Rule("self-harm", SH, ("not_around", "finality"), 14, veto=("leaving_job",)),
    Rule("self-harm", SH, ("wake", "wake_neg"), 3, veto=("wake_time",)),
    Rule("self-harm", SH, ("self_hurt",), 3, veto=("self_hurt_ok",)),
    Rule("self-harm", SH, ("pills", "pills_much"), 3),
    # (h) threats, veiled or open
    Rule("threat", T, ("knows_mine",), 0),
    Rule("threat", T, ("if_report", "consequence"), 16),
    Rule("threat", T, ("veiled",), 0),
    Rule("threat", T, ("bring_thing", "retribution"), 10),
    # (i) retaliation after speaking up
    Rule("retaliation", L, ("spoke_up", "payback"), 20),
    # (j) bullying patterns
    Rule("bullying", H, ("calls_me", "laughed_at"), 24),
    Rule("bullying", H, ("calls_me", "put_down"), 4),
    Rule("bullying", H, ("put_down", "in_public"), 10),
    Rule("bullying", H, ("shun", "shun"), 24),
)
RULE_ORDER: dict[Rule, int] = {rule: n for n, rule in enumerate(RULES)}

Span = tuple[int, int]
# The first steps of every walk from one position, fixed by its word and the next: a concept that
# ends after the word (concept, None, 1), or a node to walk on from `offset` words on ("", node,
# offset). Most words start no term, or one that the next word does not continue: no steps.
_Step = tuple[str, "_Node | None", int]
_NO_WORD = ""  # stands for "no next word"; a token is never empty
# Where a gap after the first word resumes, in the order _walk tries them.
_GAP_OFFSETS = (*range(2, _MAX_GAP + 2), 1)


class _Node:
    """One step of the term trie: concepts that end here and the words that may follow."""

    __slots__ = ("ends", "exact", "gap", "prefixes")

    def __init__(self) -> None:
        """Start with no continuations."""
        self.ends: tuple[str, ...] = ()
        self.exact: dict[str, _Node] = {}
        self.prefixes: list[tuple[str, _Node]] = []
        self.gap: _Node | None = None

    def children(self, element: str) -> list[_Node]:
        """Return (creating them) the nodes reached by one element `a|b*|c` or `...`."""
        if element == GAP:
            if self.gap is None:
                self.gap = _Node()
            return [self.gap]
        nodes = []
        for option in element.split("|"):
            if option.endswith("*"):
                nodes.append(self._prefix_child(option[:-1]))
            else:
                nodes.append(self.exact.setdefault(option, _Node()))
        return nodes

    def _prefix_child(self, prefix: str) -> _Node:
        """Return the node for a prefix, shared by every term that uses it."""
        for known, node in self.prefixes:
            if known == prefix:
                return node
        node = _Node()
        self.prefixes.append((prefix, node))
        return node


def _first_steps(node: _Node) -> tuple[_Step, ...]:
    """The steps from a head node that do not depend on the next word (ConcernDetector.steps)."""
    ends = tuple((concept, None, 1) for concept in node.ends)
    if node.gap is None:
        return ends
    return (*ends, *(("", node.gap, offset) for offset in _GAP_OFFSETS))


def _walk(
    node: _Node, words: Sequence[str], i: int, start: int, found: dict[str, list[Span]]
) -> None:
    """Record every concept whose term continues from `node` at words[i:]."""
    for concept in node.ends:
        found.setdefault(concept, []).append((start, i))
    if node.gap is not None:
        for skip in range(1, _MAX_GAP + 1):
            _walk(node.gap, words, i + skip, start, found)
        _walk(node.gap, words, i, start, found)
    if i >= len(words):
        return
    word = words[i]
    child = node.exact.get(word)
    if child is not None:
        _walk(child, words, i + 1, start, found)
    for prefix, child in node.prefixes:
        if word.startswith(prefix):
            _walk(child, words, i + 1, start, found)


class ConcernDetector:
    """Finds concept occurrences in one pass, then checks the rules whose concepts all occur."""

    def __init__(
        self,
        concepts: dict[str, tuple[str, ...]] | None = None,
        rules: Iterable[Rule] = RULES,
    ) -> None:
        """Compile every term into a trie and index the rules by their first concept."""
        self._root = _Node()
        for concept, terms in (concepts or CONCEPTS).items():
            for term in terms:
                self._add(concept, term)
        # Each rule with its rank in table order and the set of concepts it needs, made here
        # once: hashing a Rule (a frozen dataclass) runs Python code, and `_first` ranks every
        # rule it tries, then checks its concepts with one set comparison.
        self._rules: dict[str, list[tuple[int, Rule, frozenset[str]]]] = {}
        for rule in rules:
            self._rules.setdefault(rule.concepts[0], []).append(
                (RULE_ORDER[rule], rule, frozenset(rule.concepts))
            )
        # The root's prefixes by their first letters (every prefix has at least _KEY of them),
        # each bucket in the root's order: a new word is tried against a few, not all of them.
        self._root_prefixes: dict[str, tuple[tuple[str, _Node], ...]] = {}
        for prefix, node in self._root.prefixes:
            if len(prefix) < _KEY:
                raise ValueError(f"a term must not start with a prefix under {_KEY} letters")
            bucket = self._root_prefixes.get(prefix[:_KEY], ())
            self._root_prefixes[prefix[:_KEY]] = (*bucket, (prefix, node))
        # The steps from each head node that do not depend on the next word, made once.
        self._fixed = {
            node: _first_steps(node)
            for node in (*self._root.exact.values(), *(n for _, n in self._root.prefixes))
        }
        self._heads = Memo(self._heads_of, _CACHE_LIMIT)
        self._steps = Memo(self.steps, _CACHE_LIMIT)

    def _add(self, concept: str, term: str) -> None:
        """Add one term's path to the trie and mark its concept at every end."""
        nodes = [self._root]
        for element in term.split():
            nodes = [child for node in nodes for child in node.children(element)]
        for node in nodes:
            if concept not in node.ends:
                node.ends = (*node.ends, concept)

    def _heads_of(self, word: str) -> tuple[tuple[_Node, tuple[_Step, ...]], ...]:
        """Return the trie nodes a term starting with this word reaches, each with the steps
        from it that do not depend on the next word: the concepts that end there, then where a
        gap after it resumes."""
        root = self._root
        heads = [root.exact[word]] if word in root.exact else []
        heads.extend(
            node for p, node in self._root_prefixes.get(word[:_KEY], ()) if word.startswith(p)
        )
        return tuple((node, self._fixed[node]) for node in heads)

    def starts(self, word: str) -> bool:
        """Tell whether some term starts with this word (else `steps` of any pair that starts
        with it is empty)."""
        return bool(self._heads[word])

    def steps(self, pair: tuple[str, str]) -> tuple[_Step, ...]:
        """Return what walking from each head node of a word does, given the next word (not
        remembered: `occurrences` remembers it per pair)."""
        word, following = pair
        heads = self._heads[word]
        if not heads:
            return ()
        steps: list[_Step] = []
        for node, first_steps in heads:
            # As _walk(node, words, i + 1, ...) goes: ends, the gap, then the next word.
            steps += first_steps
            if following == _NO_WORD:
                continue
            child = node.exact.get(following)
            if child is not None:
                steps.append(("", child, 2))
            if node.prefixes:
                steps.extend(("", c, 2) for p, c in node.prefixes if following.startswith(p))
        return tuple(steps)

    def occurrences(self, tokens: Tokens) -> dict[str, list[Span]]:
        """Return every concept's spans (word positions), in text order."""
        # Per-pair lookups in C.
        return self._occurrences(tokens, list(map(self._steps.__getitem__, tokens.pairs)))

    def _occurrences(
        self, tokens: Tokens, steps: Sequence[tuple[_Step, ...]]
    ) -> dict[str, list[Span]]:
        """`occurrences`, given the `steps` of each of the text's word pairs (`tokens.pairs`)."""
        words = tokens.words
        found: dict[str, list[Span]] = {}
        # Only the positions where a term goes on reach the Python loop.
        for i, first in compress(enumerate(steps), steps):
            for concept, node, offset in first:
                if node is None:
                    found.setdefault(concept, []).append((i, i + offset))
                else:
                    _walk(node, words, i + offset, i, found)
        return found

    def _first(self, found: dict[str, list[Span]]) -> tuple[Rule, Span] | None:
        """Return the first rule (in table order) whose concepts co-occur, with its span."""
        best: tuple[int, Rule, Span] | None = None
        for concept in found:
            for rank, rule, needed in self._rules.get(concept, ()):
                if best is not None and rank >= best[0]:
                    continue
                if not found.keys() >= needed:
                    continue
                span = _satisfied(rule, found)
                if span is not None:
                    best = (rank, rule, span)
        return None if best is None else (best[1], best[2])

    def detect(self, tokens: Tokens) -> EscalateFinding | None:
        """Return the first concern a rule finds, or None."""
        return self.detect_steps(tokens, list(map(self._steps.__getitem__, tokens.pairs)))

    def detect_steps(
        self, tokens: Tokens, steps: Sequence[tuple[_Step, ...]]
    ) -> EscalateFinding | None:
        """`detect`, given the `steps` of each of the text's word pairs (`tokens.pairs`): a
        caller that remembers more per pair looks them up together."""
        found = self._occurrences(tokens, steps)
        if not found:
            return None
        hit = self._first(found)
        return None if hit is None else EscalateFinding(hit[0].topic, *hit[1])

    def family(self, tokens: Tokens) -> str | None:
        """Name the concept family that fires (for tests and explanations)."""
        hit = self._first(self.occurrences(tokens))
        return None if hit is None else hit[0].family


def _gap(a: Span, b: Span) -> int:
    """Words between two spans (0 when they touch or overlap)."""
    return max(b[0] - a[1], a[0] - b[1], 0)


def _satisfied(rule: Rule, found: dict[str, list[Span]]) -> Span | None:
    """Find an anchor with every other concept (and no veto) near it; return a short span."""
    first, *rest = rule.concepts
    vetoes = [s for v in rule.veto for s in found.get(v, ())]
    for anchor in found[first]:
        if any(_gap(anchor, v) <= rule.window for v in vetoes):
            continue
        lo, hi = anchor
        used = [anchor]
        for concept in rest:
            near = _nearest(found[concept], anchor, rule.window, used)
            if near is None:
                break
            used.append(near)
            if max(hi, near[1]) - min(lo, near[0]) <= _QUOTE_SPAN:
                lo, hi = min(lo, near[0]), max(hi, near[1])
        else:
            return lo, hi
    return None


def _nearest(spans: list[Span], anchor: Span, window: int, used: list[Span]) -> Span | None:
    """Return the span closest to the anchor within the window, not one already used."""
    best: Span | None = None
    best_gap = window + 1
    for span in spans:
        if span in used:
            continue
        gap = _gap(anchor, span)
        if gap < best_gap:
            best, best_gap = span, gap
    return best

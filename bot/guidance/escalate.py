"""Signals that make a situation not a guidance matter. Recall first: any hit escalates."""

from __future__ import annotations

from dataclasses import dataclass

from bot.guidance.matcher import Hit
from bot.guidance.model import EscalateTopic

H = EscalateTopic.HARASSMENT
D = EscalateTopic.DISCRIMINATION
T = EscalateTopic.THREAT
S = EscalateTopic.SAFETY
SH = EscalateTopic.SELF_HARM
P = EscalateTopic.PAY_EQUITY
F = EscalateTopic.FRAUD
L = EscalateTopic.LEGAL


def _t(topic: EscalateTopic, *phrases: str) -> list[tuple[str, EscalateTopic | None]]:
    """Tag several phrases with one topic."""
    return [(p, topic) for p in phrases]


_BODY_WORDS = (
    "shoulder*",
    "back",
    "waist",
    "leg",
    "legs",
    "thigh*",
    "hair",
    "arm",
    "arms",
    "hand",
    "hands",
    "knee*",
    "neck",
    "face",
    "bum",
    "butt",
    "chest",
    "breast*",
    "hip",
    "hips",
    "body",
    "bottom",
    "lower back",
)
_FIGURES = (
    "numbers",
    "figures",
    "data",
    "results",
    "books",
    "metrics",
    "accounts",
    "revenue",
    "sales",
    "records",
    "reports",
    "invoices",
    "receipts",
    "expenses",
    "timesheet*",
    "hours",
    "mileage",
    "signature*",
    "reviews",
    "test results",
    "report",
    "invoice",
    "receipt",
    "expense*",
    "documents",
    "paperwork",
    "charts",
    "logs",
    "readings",
    "inventory",
    "forecast*",
    "kpis",
    "audit",
)


def _objects(verbs: tuple[str, ...], objects: tuple[str, ...]) -> list[str]:
    """Cross verbs and objects with a short gap; one-word objects share one phrase per verb."""
    single = "|".join(o for o in objects if " " not in o)
    phrases = [f"{v} ... {single}" for v in verbs] if single else []
    phrases += [f"{v} ... {o}" for v in verbs for o in objects if " " in o]
    return phrases


# fmt: off
# Hand-laid phrase tables: one theme per line reads better than one phrase per line.
ESCALATE_PHRASES: list[tuple[str, EscalateTopic | None]] = [
    # harassment and bullying
    *_t(H, "harass*", "harras*", "harrass*", "sexual*", "grop*", "fondl*", "molest*",
        "stalk*", "leers", "leering", "leered", "ogled", "ogles", "ogling", "catcall*",
        "creep*", "pervert*", "pervy", "bully*", "bulli*",
        "bullies", "intimidat*", "humiliat*", "belittl*", "gaslight*",
        "hostile work", "hostile environment", "abus*", "nudes", "nude",
        "touch* me", "touchy feely", "kiss* me", "kissed me", "hug* me", "rub* my",
        "massag* my", "brush* against", "too close to me", "stands too close", "corner* me",
        "followed me home", "follows me home", "follows me around", "followed me to",
        "ask* me out", "asking me out", "asked me out",
        "date him", "date her", "sleep with", "slept with", "unwanted", "made advances",
        "making advances", "advances on me",
        "flirt*", "yell* at me", "scream* at me", "shout* at me", "swear* at me",
        "swore at me", "curs* at me", "call* me names", "name calling", "called me a",
        "mock* me", "picks on me", "pick* on me", "singl* me out", "target* me",
        "make* fun of me", "laugh* at me", "never asked for", "didnt ask for",
        "send* me ... pics", "send* me ... nudes", "sent me ... pics", "unsolicited",
        "stares at my", "staring at my", "star* at my",
        "comment* on my body", "comment* on my appearance", "comment* on my looks",
        "comment* about my body", "comment* about my appearance", "comment* about my looks",
        "comments about how i look", "my body", "my figure", "my outfit", "what i wear",
        "inappropriat* ... comment*", "inappropriat* ... joke*", "inappropriat* ... touch*",
        "inappropriat* ... message*", "inappropriat* ... text*", "inappropriat* ... photo*",
        "inappropriat* ... picture*", "inappropriat* ... remark*", "inappropriat* ... behav*",
        "inappropriat* with me", "inappropriat* around", "being inappropriate",
        "crossed a line", "crosses the line", "crosses a line", "hand on my", "hands on me",
        "hands on my", "arm around me", "calls me sweetheart", "calls me babe", "calls me honey",
        "calls me sexy", "sexy", "wolf whistl*", "spreading rumours about me",
        "spreads rumours about me", "rumours about me", "rumors about me", "sabotag*",
        "acoso", "harcèlement", "harcelement", "belästigung", "belastigung", "assedio",
        "molestie"),
    *_t(H, *_objects(("touch*", "grab*", "strok*"), _BODY_WORDS)),
    # discrimination
    *_t(D, "discrimin*", "descrimin*", "racis*", "racial*", "sexis*", "homophob*",
        "transphob*", "biphob*", "misogyn*", "bigot*", "slur*", "ableis*", "ableism",
        "ageis*", "agism", "xenophob*", "antisemit*", "anti semit*", "islamophob*",
        "islamaphob*", "n word", "treated differently", "treat me differently",
        "treats me differently", "because of my race", "because of my gender",
        "because of my religion", "because of my age", "because of my accent",
        "because of my skin", "because of my disability", "because of my pregnancy",
        "because of my sexuality", "because of my name", "sexual orientation",
        "because im pregnant", "because i am pregnant", "because i was pregnant",
        "glass ceiling", "too old", "too young for", "my age", "because of age",
        "hijab", "headscarf", "turban", "kippah", "yarmulke", "deadnam*", "misgender*",
        "wrong pronoun*", "discriminación",
        "discrimination", "diskriminier*"),
    # threats and violence
    *_t(T, "threaten*", "threatning", "threats against", "threat against", "made a threat",
        "making threats", "made threats", "death threat*", "violent threat*",
        "physical threat*", "threat to me", "threat to my", "violen*", "assault*",
        "punched", "punching", "punch me", "punch him", "punch her", "punch someone",
        "slapped", "slap me", "slapping", "shoved", "shoving", "shove me", "push* me",
        "pushed me", "kick* me", "hit me", "hits me", "hitting me", "hit her", "hit him",
        "beat me", "beat me up", "beat him up", "beat her up", "beat someone up",
        "beat you up", "weapon*", "gun", "guns", "knife", "knives", "stab", "stabbed",
        "stabbing", "kill you", "kill me", "kill him", "kill her", "kill them", "kill us",
        "kill everyone", "physically hurt", "hurt me physically", "going to hurt",
        "gonna hurt", "will hurt you", "hurt you", "get hurt", "got physical",
        "he will hurt me", "he would hurt me", "hed hurt me", "she will hurt me",
        "she would hurt me", "shed hurt me", "they will hurt me", "they would hurt me",
        "theyd hurt me", "hurt me if", "to hurt me", "hurt me after",
        "getting physical", "physical fight", "fistfight", "fist fight", "fight me",
        "come after me", "watch your back", "know where i live", "knows where i live",
        "blackmail*", "extort*", "menac*", "scared for my life", "fear for my",
        "afraid for my", "waiting for me after", "waiting for me outside", "be waiting for me",
        "waits for me", "wait for me after", "wait for me outside", "showed up at my",
        "turned up at my", "shows up at my", "outside my house", "outside my home",
        "outside my flat", "found out where i live", "knows my address", "make you regret",
        "youll regret", "you ll regret", "regret it", "something bad will happen",
        "something will happen to", "ruin my life", "never work in", "never work ... again",
        "end my career", "destroy my career", "ruin my career", "blacklist*", "make my life hell",
        "threw a chair",
        "threw a stapler", "threw a mug", "threw a cup",
        "threw something", "throws things", "threw things", "throwing things",
        "throw things", "smashed my", "smash my", "smashed the", "attack* me",
        "physically attacked", "bomb", "shoot up", "shoot someone", "choked me",
        "strangl*", "amenaza*"),
    # safety
    *_t(S, "unsafe", "not safe", "isnt safe", "arent safe", "safety", "hazard*", "injur*",
        "dangerous*", "danger", "accident", "accidents", "near miss", "fire exit*",
        "emergency exit*", "fire door*", "blocked exit*", "exit* ... blocked", "asbestos",
        "fumes", "chemical*", "gas leak", "exposed wir*", "live wire*", "electrocut*",
        "no harness*", "without ... harness*", "fall protection", "working at height*",
        "work at height*", "without ... ppe", "without ... protective", "scaffold*", "forklift*",
        "ppe", "protective gear",
        "protective equipment", "needlestick*", "needle stick*", "used needles", "sharps bin",
        "black mould", "black mold", "mould in", "mold in", "carbon monoxide",
        "drunk", "intoxicated", "under the influence", "high at work", "drinking on",
        "drinks on the job", "gas smell", "smell ... gas", "smells of gas", "smell of gas",
        "smell* like gas", "smell ... smoke", "smoke in the", "sparking", "sparks from",
        "trip hazard", "slipped on", "nearly fell", "almost fell", "nearly got hurt",
        "nearly crushed", "hurt my back", "injured my", "my back is", "lift* ... alone",
        "heavy ... alone", "kg", "kilos", "wet floor", "loose wires", "bare wires",
        "machine guard*",
        "guard removed", "fire alarm*", "no ventilation", "lone working", "alone at night",
        "fell off", "fell from", "broken ladder", "unsafe ladder",
        "crushed by", "crush injury", "contaminat*", "infection control",
        "medication error*", "wrong medication", "wrong dose", "sick from", "heat stroke",
        "collapsed at work", "someone collapsed", "fainted"),
    # self-harm and suicidal thoughts
    *_t(SH, "suicid*", "kill* myself", "end* my life", "ending my life", "end it all",
        "ending it all", "self harm*", "selfharm*", "harm* myself", "hurt* myself",
        "hurting myself", "cut* myself", "want to die", "wanna die", "wish i was dead",
        "wish i were dead", "better off dead", "better off without me", "want to live",
        "want to be alive", "want to exist", "want to be here anymore",
        "want to be here any more", "be here anymore", "be around anymore",
        "not be here anymore", "wont be around much longer", "dont want to wake up",
        "never wake up",
        "no reason to live", "nothing to live for", "not worth living", "point in living",
        "point of living", "reason to live", "cant go on", "can not go on", "cannot go on",
        "give up on life", "giving up on life", "take my life", "take my own life",
        "jump off", "disappear forever", "no way out", "not worth it anymore",
        "nobody would miss me", "no one would miss me", "everyone would be better off",
        "disappear for good", "wasnt around", "werent around", "not around anymore",
        "easier if i", "better if i wasnt", "better if i werent", "if i disappeared",
        "if i were gone", "if i was gone", "wasnt here anymore", "stop existing",
        "all to stop", "everything to stop", "cant keep going", "cant keep living",
        "sleep forever", "not wake up", "no point going on", "point in going on",
        "no point carrying on", "point carrying on", "no point in anything",
        "giving my things away", "giving away my", "giving my stuff away", "give my things away",
        "saying goodbye to everyone", "goodbye letter", "stockpil*", "want to disappear",
        "cant see a future", "end things", "all to end", "it to end", "want it over",
        "all my pills", "pills at once", "taking all my", "no point anymore", "no point any more",
        "feel hopeless", "feeling hopeless", "feels hopeless",
        "everything is hopeless", "feel worthless", "feeling worthless", "feel like a burden",
        "im a burden", "i am a burden", "a burden to everyone", "dark thoughts",
        "dark place", "suicidio", "suicide"),
    # pay equity
    *_t(P, "pay gap", "gender pay", "equal pay", "pay equity", "pay parity", "unequal pay",
        "unfair pay", "wage gap", "salary gap", "paid less than", "pays _ less", "pay _ less",
        "pay them less", "pays them less", "pay women less", "pay the women less",
        "paid the women less", "same work for less", "same job for less", "less for the same",
        "equal work", "brecha salarial", "écart salarial"),
    # fraud
    *_t(F, "fraud*", "fruad*", "embezzl*", "kickback*", "brib*", "launder*", "falsif*",
        "forged", "forging", "forgery", "cook* the books", "cooking the books",
        "off the books", "misappropriat*", "insider trading", "backdat*", "back dat*",
        "double bill*", "overbill*", "over bill*", "ponzi", "scam*", "theft", "thief",
        "irregularit*", "misreport*", "tamper*", "shredding documents", "shred documents",
        "shredded documents", "shred the evidence", "kick back", "slush fund",
        "fake ... invoice*", "pocketing", "split* ... purchase*", "split* ... invoice*",
        "split* ... payment*", "split* ... order*", "bypass* ... approval*", "circumvent*",
        "get around the approval", "avoid ... approval", "dont need approval",
        "without approval", "personal expenses on", "company card for personal",
        "cash from the till", "from the till", "own account", "own pocket", "own pockets",
        "backhander*", "through the business as", "through the company as",
        "paying our ... to pick", "paying ... to pick", "paid ... to pick", "to award them",
        *_objects(("shred*", "destroy*", "delete*", "hide", "hid", "dump*", "bin", "burn"),
                  ("files", "documents", "records", "evidence", "emails", "paperwork", "logs")),
                      "ghost employee*", "tax evasion", "evad* tax*",
        "under the table", "cash in hand", "hired his", "hired her", "hiring his", "hiring her",
        "pocket* the", "siphon*",
        "skim* off", "skimming", "stealing from", "steal from", "stole from",
        "stealing money", "steal money", "stole money", "stealing cash", "stole cash",
        "stealing stock", "stealing supplies", "stealing inventory", "stealing drugs",
        "stealing medication", "cover* up", "covered up", "cover it up", "hide it from",
        "hiding it from", "lie to auditors", "lie to the auditors", "lied to auditors",
        "lying to auditors", "lying to the auditors", "lie to investors", "lying to investors",
        "mislead* investors", "mislead* auditors", "mislead* regulators", "lie to customers",
        "lying to customers", "lying to regulators", "fraude",
        *_objects(("me to change", "me to alter", "me to edit", "me to delete", "me to hide",
                   "me to adjust", "me to tweak", "me to fix", "me to remove", "me to rewrite",
                   "us to change", "us to alter", "us to delete", "us to hide", "us to adjust"),
                  _FIGURES),
        *_objects(("fake", "faked", "faking", "fudg*", "doctored", "doctoring", "inflat*",
                   "alter*", "manipulat*", "pad", "pads", "padded", "cook*", "massag*",
                   "fabricat*", "make up the", "made up the", "rigged", "rigging"),
                  _FIGURES)),
    # legal and policy breaches, retaliation
    *_t(L, "illegal*", "ilegal*", "unlawful*", "against the law", "breaking the law",
        "break the law", "broke the law", "breach*", "violat*", "gdpr", "hipaa", "ferpa",
        "data leak*", "leak* ... data", "leak* ... confidential", "leaked",
        "leaking", "personal data", "patient data", "customer data", "patient records",
        "confidential information", "confidential data", "credit card*", "card details",
        "card numbers", "social security", "ssn", "ssns", "bank details", "passwords",
        *_objects(("shar*", "email*", "post*", "sell*", "sold", "leak*", "expos*", "sent",
                   "send*"), ("patient details", "customer details", "client details",
                              "medical records", "health records", "home addresses",
                              "personal details", "private details")), "retaliat*", "whistleblow*",
        "whistle blow*", "lawsuit*", "sue", "suing", "sued", "legal action", "non compliant",
        "noncompliant", "not compliant", "unpaid overtime", "off the clock",
        "wage theft", "minimum wage", "code of conduct", "nda", "conflict of interest",
        "compliance breach*", "compliance violation*",
        "nepotism", "insider information", "antitrust", "anti trust", "price fixing",
        "child labour", "child labor", "labor law*", "labour law*", "employment law",
        "after i reported", "since i reported", "because i reported", "for reporting",
        "report* ... to hr", "went to hr", "go to hr", "going to hr", "complain* to hr",
        "hr complaint", "formal complaint", "my complaint", "a complaint against",
        "withdraw* ... complaint", "drop* ... complaint", "punish* me for", "punished for",
        "hurt my chances", "lose my job if", "fire me if", "fired if i", "or else",
        "record* me without", "without my consent", "plagiar*", "if i report",
        "if i complain", "if i tell anyone", "if i told anyone", "if i go to",
        "not to report", "told not to report", "said not to report", "dont report it",
        "private messages", "private dms", "my private", "personal messages", "my dms",
        "through my phone", "through my messages", "file a complaint",
        "filed a complaint",
        "grievance", "unethical", "illegally", "without consent", "spying",
        "spy on", "read* my email*", "reading my messages", "pirat*", "cheat* customers",
        "cheating customers", "bait and switch", "forced to lie", "told to lie",
        "asked to lie", "asks me to lie", "asked me to lie", "told me to lie",
        "want me to lie", "wants me to lie", "immigration status", "visa status"),
    # suppressors: ordinary phrases that contain an escalate word
    *[(p, None) for p in (
        "touch base", "touching base", "touched base", "keep in touch", "in touch",
        "get in touch", "touch on", "touched on", "touch points", "touchpoint*",
        "threat model*", "threat detection", "threat intel*", "threat hunting",
        "threat landscape", "fraud detection", "fraud prevention", "fraud team",
        "fraud analyst*", "fraud model*", "anti fraud", "antifraud", "psychological safety",
        "safety net", "type safety", "thread safety", "memory safety", "safety culture",
        "kill it", "killing it", "killed it", "kill the project", "kill the feature",
        "kill features", "killer", "hit me up", "it hit me", "hit me that", "hit me how",
        "punch list", "attack surface", "attack vector*", "data breach drill",
        "scheduled pushes", "push me to", "pushed me to", "pushes me to", "pushing me to",
        "push me harder", "push me out of my comfort",
        "breach of sla", "sla breach*", "violating the style", "lint violation*",
        "style violation*", "dangerously close to the deadline", "a danger of",
        "danger of", "in danger of", "by accident", "accident prone",
        "change the numbers i present", "end it there",
        "cover up my nerves", "cover up nerves", "cover up the nerves", "pushback",
        "push back", "stroke of", "sexual harassment training", "harassment training",
        "training on harassment", "safety training", "safety process", "safety review",
        "safety checks", "safety checklist", "safety audit", "new safety", "our safety",
        "ethics line", "data ethics", "ai ethics", "compliance team", "compliance process",
        "compliance reviews", "compliance training", "compliance officer", "compliance role",
        "in compliance", "compliance career", "patient data model", "the back end",
        "back end", "backend", "hand off", "handoff*", "hands on", "on hand",
        "hand over", "handover*", "face to face", "face time", "arm s length",
        "end it early", "ladder of", "career ladder", "promotion ladder", "the ladder",
        "a ladder", "crushing it", "crushed it", "crush it", "high at work is",
        "faint praise", "creep into", "creeping", "scope creep", "feature creep",
        "creeps in", "creeps into", "creep in", "advances in", "technical advances",
        "new advances", "explicit about", "be explicit", "more explicit",
        "follow me on", "follow me in", "follow me around the codebase",
        "follow me through", "shadow me", "shred the", "padding in", "padding on",
        "abuse of the api", "abuse of the system", "rate abuse", "flirt with the idea",
        "not be here tomorrow", "not be here next", "not be here for", "not be here on",
        "not be here in", "wont be around for", "wont be around next", "wont be around on",
        "be around anymore to", "want to live in", "want to live near", "want to live abroad",
        "want to live somewhere", "reason to live in", "end it with", "jump off point",
        "jumping off point", "jump off from", "no way out of this project",
        "degrade*", "degraded", "degradation", "sue me", "the pci", "target* me with ads",
        "crush on", "alter* the plan", "change the numbers on", "physically present",
        "physically in the office", "physically at", "present physically", "throw a party",
        "threw a party", "threw a curveball", "threw a curve", "threw a wrench",
        "stalking horse", "bombed", "a bomb", "the bomb", "slapdash", "accident prone",
        "chemical engineer*", "chemical engineering", "chemicals team", "chemical company",
        "process safety engineer*", "safety engineer*", "safety officer role",
        "safety critical", "safety-critical", "needle in", "needle moving", "move the needle",
        "moving the needle", "moved the needle", "needles moving", "hazard a guess",
        "drunk on", "sequences violating", "gun shy", "gunning for", "the gun",
        "jumped the gun", "jump the gun", "to the gun", "smash it", "smashed it",
        "smashing it", "smash our", "faint hearted", "fell off my radar", "fell off the radar",
        "fell off the roadmap", "fell off the plan", "grievance process", "our ethics",
        "ethics committee", "ethics review", "violent disagreement", "violently agree",
        "attacked the problem", "everyone would be better off if we", "off the books for now",
        # a role, a team or a piece of process work named after a topic, not an incident
        # (from false alarms in train_a..train_j)
        "safety officer", "safety officers", "safety rep", "safety reps", "safety manager",
        "safety lead", "safety committee", "safety briefing*", "safety talk*", "toolbox talk*",
        "safety drill*", "safety inspection*", "safety stats", "safety statistics",
        "safety figures", "safety consultancy", "trust and safety", "ehs director",
        "gdpr training", "gdpr request*", "gdpr process", "data protection officer",
        "subject access request*", "fraud investigator*", "fraud investigation team",
        "fraud analytics", "anti money laundering", "anti bribery", "whistleblowing policy",
        "whistleblowing process", "whistleblowing procedure", "whistleblowing training",
        "grievance procedure*", "grievance handling", "grievance meetings",
        "harassment prevention", "harassment policy", "bullying and harassment policy",
        "feel like a fraud", "feel like such a fraud", "felt like a fraud", "feeling like a fraud",
        "twice my age", "who will push me", "wholl push me", "someone to push me",
    )],
]

# Co-occurrence rules: every concept must appear within `window` words of the others.
CONCEPT_PHRASES: list[tuple[str, str]] = [
    *[(p, "pay") for p in ("pay", "paid", "pays", "paying", "salary", "salaries", "wage",
                           "wages", "compensation", "comp", "earn*", "make", "makes",
                           "making", "bonus*", "raise", "raises", "rate", "rates", "money",
                           "package", "offer", "offered", "stipend")],
    *[(p, "compare") for p in ("less", "more", "lower", "higher", "unequal", "unfair",
                               "gap", "difference", "different", "double", "twice", "half",
                               "fraction", "not the same", "same", "underpaid",
                               "under paid", "overpaid")],
    *[(p, "group") for p in ("women", "woman", "men", "man", "male", "female", "males",
                             "females", "guys", "girls", "gender", "mothers", "moms", "mums",
                             "black", "white", "asian", "latino", "latina", "latinx",
                             "hispanic", "race", "ethnic*", "immigrant*", "foreign*",
                             "older", "younger", "disabled", "gay", "lesbian", "trans",
                             "muslim*", "jewish", "part time", "same job", "same role",
                             "same work", "same title", "same level", "same position",
                             "doing the same", "same grade", "equal work",
                             "equally qualified", "same experience", "same qualifications")],
    *[(p, "protected") for p in (
        "woman", "women", "female", "girl", "girls", "pregnan*", "maternity", "gay",
        "lesbian", "bisexual", "bi", "trans", "transgender", "queer", "lgbt*", "black",
        "asian", "latino", "latina", "latinx", "hispanic", "indian", "arab", "muslim*",
        "jewish", "jew", "christian", "hindu", "sikh", "buddhist", "atheist", "religion",
        "religious", "prayer*", "ramadan", "fasting", "sabbath", "church", "mosque",
        "synagogue", "hijab", "headscarf", "turban", "race", "ethnic*", "skin",
        "skin colour", "skin color", "accent", "my age", "too old", "too young", "older",
        "disabled", "disability", "wheelchair", "autis*", "adhd", "dyslexi*", "deaf",
        "blind", "neurodiver*", "pronoun*", "gender", "nationality", "immigrant*",
        "foreign*", "citizenship", "caste", "menopaus*", "mothers", "moms", "mums", "a mother",
        "a mom", "a mum",
        "being a mom", "being a mum", "have kids", "having kids", "have children",
        "a parent", "pregnancy", "chronic illness", "mental health", "my condition",
        "my illness", "cancer", "my name", "where im from", "where i come from",
        "my background", "my country", "joined the union", "union member")],
    *[(p, "because") for p in ("because", "cause", "bc", "cos", "for being", "due to",
                               "since im", "since i am", "for having")],
    *[(p, "unfair") for p in (
        "passed over", "pass me over", "overlooked", "excluded", "exclude me", "denied",
        "refused", "won t promote", "wont promote", "didnt promote", "not promoted",
        "didnt get promoted", "won t hire", "wont hire", "didnt hire", "not hired",
        "fired", "let go", "demoted", "jokes about", "joke about", "joked about",
        "make fun", "made fun", "makes fun", "mock*", "comments about", "comment about",
        "called me", "said women", "said girls",
        "not allowed", "banned", "told me not to", "shouldnt be", "should not be",
        "cant be", "arent allowed", "dont deserve", "not suited", "wont let me", "dont let me",
        "doesnt let me", "get theirs", "not fit to", "not to wear", "asked me to remove",
        "take off my", "reject*", "skipped", "treated", "treat me", "treats",
        "different rules", "assumes", "assumed", "ridicul*", "imitat*", "no women",
        "no black", "don t hire", "dont hire", "only hire", "only promote", "not a culture fit",
        "culture fit", "too emotional", "hysterical", "stereotyp*")],
    *[(p, "touch") for p in ("touch*", "grab*", "hug*", "kiss*", "rub*", "pat", "pats",
                             "patted", "patting", "stroke*", "massag*", "brush*", "hand on",
                             "hands on", "arm around", "sits too close", "stands too close",
                             "stare*", "staring", "comments on", "texts me at night",
                             "messages me at night", "late night texts", "calls me at night",
                             "wink*", "photos of", "pictures of", "looks at me", "pics", "photos",
                             "pictures", "selfies", "videos")],
    *[(p, "discomfort") for p in ("uncomfortable", "uncomfy", "unwanted", "creepy", "unsafe",
                                  "scared", "afraid", "frightened", "uneasy", "violated",
                                  "wont stop", "doesnt stop", "asked him to stop",
                                  "asked her to stop", "asked them to stop",
                                  "told him to stop", "told her to stop", "without asking",
                                  "without consent", "weird", "gross", "icky", "hate it")],
    *[(p, "contact") for p in ("touch*", "grab*", "rub*", "strok*", "squeez*", "pinch*",
                               "brush*", "pat", "pats", "patted", "patting", "his hand",
                               "her hand", "their hand", "his hands", "her hands", "kiss*",
                               "hug*", "put* his", "put* her", "rest* his", "rest* her",
                               "plac* his", "plac* her", "sniff*", "smell* my")],
    ("my " + "|".join(b for b in _BODY_WORDS if " " not in b), "mybody"),
    ("my lower back", "mybody"),
    *[(p, "paystrict") for p in ("pay", "paid", "paying", "salary", "salaries", "wage", "wages",
                                 "compensation", "rate", "rates", "bonus*", "raise", "raises",
                                 "commission*", "payrise", "pay rise")],
    *[(p, "gender") for p in ("women", "woman", "men", "man", "male", "female", "males",
                              "females", "guys", "girls", "gender", "black", "white", "asian",
                              "hispanic", "latino", "latina", "mothers", "moms", "mums")],
    *[(p, "money") for p in ("cash", "refund*", "money", "payment*", "funds", "purchase*",
                             "expense*", "invoice*", "receipt*", "company card", "petty cash",
                             "donations", "budget")],
    *[(p, "improper") for p in ("hides", "hidden", "hiding", "secretly", "for himself",
                                "for herself", "for themselves", "personal purchase*",
                                "personal use", "own use", "off the books", "under the table",
                                "into his", "into her", "pockets")],
    *[(p, "equipment") for p in ("ladder*", "machine*", "guard*", "brakes", "railing*",
                                 "harness*", "wiring", "lift", "elevator", "forklift*",
                                 "scaffold*", "saw", "press", "boiler", "generator",
                                 "shelving", "racking", "stairs", "stairwell", "van", "truck")],
    *[(p, "failing") for p in ("broken", "faulty", "unsafe", "missing", "nearly", "fell",
                               "falling", "collapsed", "exposed", "leaking", "sparking",
                               "wobbly", "unstable", "overheating", "no guard", "jammed")],
    *[(p, "harm") for p in ("hurt myself", "harm", "die", "dying", "dead", "disappear",
                            "pills", "end it", "end things", "alive", "exist", "burden",
                            "not be here", "not wake up", "my life", "living")],
    *[(p, "despair") for p in ("hopeless", "pointless", "no point", "cant cope",
                               "cant take it", "worthless", "nobody cares", "no one cares",
                               "give up", "giving up", "trapped", "empty", "numb",
                               "intrusive thoughts", "cant do this anymore", "whats the point",
                               "what is the point", "tired of everything", "tired of living",
                               "exhausted by everything")],
]


# fmt: on


@dataclass(frozen=True, slots=True)
class Rule:
    """Concepts that escalate only when they occur close together."""

    topic: EscalateTopic
    concepts: tuple[str, ...]
    window: int
    ordered: bool = False


RULES: tuple[Rule, ...] = (
    Rule(P, ("pay", "compare", "group"), 14),
    Rule(D, ("because", "protected"), 4, ordered=True),
    Rule(D, ("protected", "unfair"), 8),
    Rule(H, ("touch", "discomfort"), 10),
    Rule(H, ("contact", "mybody"), 6),
    Rule(P, ("paystrict", "gender"), 8),
    Rule(F, ("money", "improper"), 8),
    Rule(S, ("equipment", "failing"), 8),
    Rule(SH, ("despair", "harm"), 8),
)
# Each rule with the set of concepts it needs: a rule whose concepts are not all present is skipped.
_RULE_CONCEPTS = tuple((rule, frozenset(rule.concepts)) for rule in RULES)
_FEWEST_CONCEPTS = min(len(needed) for _, needed in _RULE_CONCEPTS)

# Long, distinctive words only: a short key word is one typo away from ordinary words.
ESCALATE_KEY_WORDS = (
    "harassment",
    "harassing",
    "discrimination",
    "discriminated",
    "discriminating",
    "discriminatory",
    "suicidal",
    "threatened",
    "threatening",
    "inappropriate",
    "inappropriately",
    "uncomfortable",
    "bullying",
    "assaulted",
    "fraudulent",
    "embezzlement",
    "embezzling",
    "falsified",
    "falsifying",
    "retaliation",
    "retaliating",
    "whistleblower",
    "illegally",
    "dangerous",
    "hazardous",
    "intimidating",
    "humiliating",
    "homophobic",
    "transphobic",
    "misogynistic",
    "violating",
    "violation",
    "kickbacks",
    "laundering",
    "compensation",
    "touching",
)


@dataclass(frozen=True, slots=True)
class EscalateFinding:
    """The topic that escalated and the words that carried it."""

    topic: EscalateTopic
    start: int
    end: int


def detect(
    phrase_hits: list[Hit[EscalateTopic | None]], concept_hits: list[Hit[str]]
) -> EscalateFinding | None:
    """Return the first escalate finding in the text, or None."""
    # Most texts hit neither list: no call for them.
    found = _first_unsuppressed(phrase_hits) if phrase_hits else None
    if found is not None:
        return found
    return _by_rules(concept_hits) if concept_hits else None


def _by_rules(concept_hits: list[Hit[str]]) -> EscalateFinding | None:
    """Escalate when a rule's concepts occur near each other."""
    positions: dict[str, list[tuple[int, int]]] = {}
    for concept, start, end in concept_hits:
        positions.setdefault(concept, []).append((start, end))
    if len(positions) < _FEWEST_CONCEPTS:
        return None
    for rule, needed in _RULE_CONCEPTS:
        if not positions.keys() >= needed:
            continue
        span = _near(rule, positions)
        if span is not None:
            return EscalateFinding(rule.topic, span[0], span[1])
    return None


URGENCY: tuple[EscalateTopic, ...] = (SH, T, S, H, D, P, F, L)
"""Most urgent first: when one text names several topics, the people it is pointed to are those
of the most urgent (a threat made to stop a report is a threat before it is a legal matter)."""
_RANK = {topic: rank for rank, topic in enumerate(URGENCY)}


def _first_unsuppressed(hits: list[Hit[EscalateTopic | None]]) -> EscalateFinding | None:
    """Return the most urgent topic hit that no suppressor phrase covers (the first, of equals)."""
    shields = [(start, end) for topic, start, end in hits if topic is None]
    best: EscalateFinding | None = None
    for topic, start, end in hits:
        if topic is None or (best is not None and _RANK[topic] >= _RANK[best.topic]):
            continue
        if not any(s <= start and end <= e for s, e in shields):
            best = EscalateFinding(topic, start, end)
    return best


def _near(rule: Rule, positions: dict[str, list[tuple[int, int]]]) -> tuple[int, int] | None:
    """Find one occurrence of every concept within the rule's window; return their span."""
    if any(c not in positions for c in rule.concepts):
        return None
    first, *rest = rule.concepts
    for start, end in positions[first]:
        lo, hi, after = start, end, end
        for concept in rest:
            best = _closest(positions[concept], (start, end), rule.window, after, rule.ordered)
            if best is None:
                break
            lo, hi, after = min(lo, best[0]), max(hi, best[1]), best[1]
        else:
            if hi - lo <= rule.window + 1:
                return lo, hi
    return None


def _closest(
    spans: list[tuple[int, int]], anchor: tuple[int, int], window: int, after: int, ordered: bool
) -> tuple[int, int] | None:
    """Return the span nearest to the anchor within the window (after it, if ordered)."""
    best: tuple[int, int] | None = None
    best_gap = window + 1
    for span in spans:
        if span == anchor or (ordered and span[0] < after):
            continue
        gap = max(span[0] - anchor[1], anchor[0] - span[1], 0)
        if gap < best_gap:
            best, best_gap = span, gap
    return best

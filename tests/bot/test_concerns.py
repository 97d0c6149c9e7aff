"""Concern detector: each concept family fires on indirect wording, and not on harmless mentions."""

from __future__ import annotations

import pytest

from bot.guidance import Practice, classify
from bot.guidance.concerns import CONCEPTS, RULES, ConcernDetector
from bot.guidance.matcher import tokenize

DETECTOR = ConcernDetector()

POSITIVE = [
    pytest.param(
        "Ever since I mentioned I'm expecting, and now "
        "pregnant, I've been taken off the big account.",
        "discrimination",
        id="discrimination-1",
    ),
    pytest.param(
        "After I came out as trans at work I keep getting left off the meeting invites.",
        "discrimination",
        id="discrimination-2",
    ),
    pytest.param(
        "My supervisor jokes about my hijab in team huddles.",
        "discrimination",
        id="discrimination-3",
    ),
    pytest.param(
        "The recruiter said they'd pass on candidates over 55 because they're slow to learn.",
        "discrimination",
        id="discrimination-4",
    ),
    pytest.param(
        "I'm deaf and my manager said I can't join the client visits any more.",
        "discrimination",
        id="discrimination-5",
    ),
    pytest.param(
        "My lead keeps telling me to tone down my accent on calls and use an English nickname.",
        "discrimination",
        id="discrimination-6",
    ),
    pytest.param(
        "My supervisor keeps texting me after midnight asking if I'm still awake.",
        "attention",
        id="attention-1",
    ),
    pytest.param(
        "The regional director said we could discuss my promotion in his hotel room.",
        "attention",
        id="attention-2",
    ),
    pytest.param(
        "A customer keeps asking whether I have a boyfriend every time he comes in.",
        "attention",
        id="attention-3",
    ),
    pytest.param(
        "She somehow always ends up leaning over me at my desk when the office is empty.",
        "attention",
        id="attention-4",
    ),
    pytest.param(
        "My boss sent me a message at 2am with kisses at the end.", "attention", id="attention-5"
    ),
    pytest.param(
        "I found out the men on my grade earn a higher salary for the same role.", "pay", id="pay-1"
    ),
    pytest.param(
        "My manager wants me to record deals that haven't signed yet so the quarter looks better.",
        "falsify",
        id="falsify-1",
    ),
    pytest.param(
        "We're expected to tick the fire checks as done "
        "when nobody did them, so we hit the audit score.",
        "falsify",
        id="falsify-2",
    ),
    pytest.param(
        "The foreman told us to sign off the crane inspection without checking it.",
        "falsify",
        id="falsify-3",
    ),
    pytest.param(
        "They asked me to move the dates on the invoices so they land in the previous quarter.",
        "falsify",
        id="falsify-4",
    ),
    pytest.param(
        "My boss expenses weekends away with her husband as client entertainment.",
        "falsify",
        id="falsify-5",
    ),
    pytest.param(
        "A contractor sent our buyer a case of wine as a thank you and then won the bid.",
        "bribery",
        id="bribery-1",
    ),
    pytest.param(
        "The inspector suggested the licence could be approved "
        "faster if we paid a little extra cash.",
        "bribery",
        id="bribery-2",
    ),
    pytest.param(
        "I think our site manager is pocketing cash from a supplier to keep ordering from them.",
        "bribery",
        id="bribery-3",
    ),
    pytest.param(
        "A colleague forwards patient records to his personal email to work on them at night.",
        "data",
        id="data-1",
    ),
    pytest.param("Someone posted staff salaries in the team WhatsApp group.", "data", id="data-2"),
    pytest.param(
        "Our admin keeps reading colleagues' private messages through the console.",
        "data",
        id="data-3",
    ),
    pytest.param(
        "The forklift's brakes are faulty and we've been told to keep using it.",
        "hazard",
        id="hazard-1",
    ),
    pytest.param(
        "Supervisor told us to skip the guards on the press to keep the line moving.",
        "hazard",
        id="hazard-2",
    ),
    pytest.param(
        "Half the ward has been signed off with exhaustion after months of double shifts.",
        "hazard",
        id="hazard-3",
    ),
    pytest.param(
        "Lately I can't see the point in anything and I've started giving away my books.",
        "self-harm",
        id="self-harm-1",
    ),
    pytest.param(
        "My colleague keeps saying she won't be around much longer and that she's made her peace.",
        "self-harm",
        id="self-harm-2",
    ),
    pytest.param("He told me he's been hurting himself again.", "self-harm", id="self-harm-3"),
    pytest.param(
        "I keep thinking about taking all my pills at once.", "self-harm", id="self-harm-4"
    ),
    pytest.param("Honestly I'd rather not wake up tomorrow.", "self-harm", id="self-harm-5"),
    pytest.param(
        "My coworker told me that if I report him again I'll regret it.", "threat", id="threat-1"
    ),
    pytest.param("A client said he knows where I live.", "threat", id="threat-2"),
    pytest.param("He said I'd better watch my back after the meeting.", "threat", id="threat-3"),
    pytest.param(
        "A student said he'd bring a knife in to deal with the boys who tease him.",
        "threat",
        id="threat-4",
    ),
    pytest.param(
        "After I called the whistleblowing hotline I was "
        "moved to nights and put on a performance plan.",
        "retaliation",
        id="retaliation-1",
    ),
    pytest.param(
        "Since I made a complaint to HR my manager won't speak to me.",
        "retaliation",
        id="retaliation-2",
    ),
    pytest.param(
        "My manager calls me 'the temp' in every meeting and everyone laughs.",
        "bullying",
        id="bullying-1",
    ),
    pytest.param("She rips up my work in front of the whole team.", "bullying", id="bullying-2"),
    pytest.param(
        "The others have stopped talking to me and they leave me off the group chat.",
        "bullying",
        id="bullying-3",
    ),
]

# Harmless mentions of one concept with no adverse treatment or wrongdoing.
HARMLESS = [
    pytest.param(
        "I'm a woman in a mostly male field and I'd love a mentor who has been there.",
        id="i-m-a-woman-in",
    ),
    pytest.param(
        "Our team is killing it in sales this quarter and I want to keep the momentum.",
        id="our-team-is-killing-it",
    ),
    pytest.param(
        "This deadline is murder but I want to plan my week better.",
        id="this-deadline-is-murder-but",
    ),
    pytest.param(
        "I'm returning from maternity leave and want to rebuild my confidence.",
        id="i-m-returning-from-maternity",
    ),
    pytest.param(
        "I'm the only Black engineer here and I'd like a mentor to talk career with.",
        id="i-m-the-only-black",
    ),
    pytest.param(
        "I'm 55 and changing careers into nursing, looking for someone who's done it.",
        id="i-m-and-changing-careers",
    ),
    pytest.param(
        "Our team wants to change how we record sales in the CRM.", id="our-team-wants-to-change"
    ),
    pytest.param(
        "I want to get better at giving feedback on my team's reports before the deadline.",
        id="i-want-to-get-better",
    ),
    pytest.param(
        "My manager asked me to move the meeting notes to the wiki.", id="my-manager-asked-me-to"
    ),
    pytest.param(
        "We need to renew the contract with our cleaning supplier and want a process review.",
        id="we-need-to-renew-the",
    ),
    pytest.param(
        "I'd like to pass on what I've learned to younger women in the field.",
        id="i-d-like-to-pass",
    ),
    pytest.param(
        "I won't be around by then because I'm leaving for a new job.", id="i-won-t-be-around"
    ),
    pytest.param(
        "I don't see the point of our weekly status meeting, it could be an email.",
        id="i-don-t-see-the",
    ),
    pytest.param(
        "I reported a bug and the team ignored it, we need a triage process.",
        id="i-reported-a-bug-and",
    ),
    pytest.param(
        "My manager calls me every morning to check in on the project.",
        id="my-manager-calls-me-every",
    ),
    pytest.param(
        "I feel exhausted after networking events and want to manage my energy.",
        id="i-feel-exhausted-after-networking",
    ),
    pytest.param(
        "I'm autistic and would like a mentor who has navigated work.", id="i-m-autistic-and-would"
    ),
    pytest.param(
        "I want to stop mocking up every design in detail before sharing it.",
        id="i-want-to-stop-mocking",
    ),
    pytest.param(
        "We want an outside view on our vendor gifts and hospitality policy.",
        id="we-want-an-outside-view",
    ),
    pytest.param(
        "Our permit fees went up and we want to speed up how we budget for the council.",
        id="our-permit-fees-went-up",
    ),
    pytest.param(
        "I know which route I want to take in my career, I need a mentor.",
        id="i-know-which-route-i",
    ),
    pytest.param(
        "I'd like coaching on negotiating my salary before my review.", id="i-d-like-coaching-on"
    ),
    pytest.param(
        "Our team restructured and I now report to a new director.",
        id="our-team-restructured-and-i",
    ),
    pytest.param(
        "He cut himself some slack after the launch and that's fine.",
        id="he-cut-himself-some-slack",
    ),
    pytest.param("I want to hold my ground with suppliers in the renewal.", id="i-want-to-hold-my"),
    pytest.param(
        "Our invoices are always late and the dates on them are wrong, we need a better process.",
        id="our-invoices-are-always-late",
    ),
    pytest.param("I'd like to tone down how formal my emails are.", id="i-d-like-to-tone"),
    pytest.param(
        "My manager made a comment about my presentation that I want to learn from.",
        id="my-manager-made-a-comment",
    ),
    pytest.param(
        "I'm pregnant and want to plan my handover before maternity leave.",
        id="i-m-pregnant-and-want",
    ),
    pytest.param(
        "I sign off the weekly reports and want to get quicker at it.", id="i-sign-off-the-weekly"
    ),
    pytest.param(
        "Our nurses do 12-hour shifts and we want to improve the rota process.",
        id="our-nurses-do-hour-shifts",
    ),
]

# Harmless, and the concern detector stays quiet; the older phrase lexicon still escalates
# these (reported to its owner), so only the detector is checked here.
HARMLESS_FOR_DETECTOR = [
    pytest.param(
        "Our safety officer wants to get better at presenting the monthly safety figures.",
        id="our-safety-officer-wants-to",
    ),
    pytest.param(
        "We want to redesign how we export customer data to the analytics platform.",
        id="we-want-to-redesign-how",
    ),
    pytest.param(
        "Our deploy pipeline fails every week and the machine learning builds are broken.",
        id="our-deploy-pipeline-fails-every",
    ),
    pytest.param(
        "I don't want to wake up at 5am for the early shift anymore, how do I talk to my manager?",
        id="i-don-t-want-to",
    ),
    pytest.param(
        "I want someone to run mock interviews with me; I'm a woman going for my first lead role.",
        id="i-want-someone-to-run",
    ),
]


@pytest.mark.parametrize(("text", "family"), POSITIVE)
def test_family_fires_and_the_situation_escalates(text: str, family: str) -> None:
    assert DETECTOR.family(tokenize(text)) == family
    assert classify(text).practice is Practice.ESCALATE


# Known false alarms of the learned safety net (bot/guidance/risk.py): it trades these for recall
# on hinted situations. Strict, so a better model that fixes them makes the test say so.
LEARNED_NET_FALSE_ALARMS = {
    "My manager asked me to move the meeting notes to the wiki.",
    "I won't be around by then because I'm leaving for a new job.",
    "I don't see the point of our weekly status meeting, it could be an email.",
    "My manager calls me every morning to check in on the project.",
    "He cut himself some slack after the launch and that's fine.",
}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            p.values[0],
            id=p.id,
            marks=pytest.mark.xfail(strict=True, reason="learned safety net false alarm"),
        )
        if p.values[0] in LEARNED_NET_FALSE_ALARMS
        else p
        for p in HARMLESS
    ],
)
def test_harmless_mentions_do_not_escalate(text: str) -> None:
    assert DETECTOR.detect(tokenize(text)) is None
    assert classify(text).practice is not Practice.ESCALATE


@pytest.mark.parametrize("text", [p.values[0] for p in HARMLESS])
def test_the_rules_stay_quiet_on_harmless_mentions(text: str) -> None:
    assert DETECTOR.detect(tokenize(text)) is None


@pytest.mark.parametrize("text", HARMLESS_FOR_DETECTOR)
def test_detector_stays_quiet_on_harmless_mentions(text: str) -> None:
    assert DETECTOR.detect(tokenize(text)) is None


def test_every_family_is_covered_by_a_positive_case() -> None:
    covered = {p.values[1] for p in POSITIVE}
    assert {rule.family for rule in RULES} == covered


def test_finding_quotes_a_short_piece_of_the_users_words() -> None:
    text = (
        "Not sure this matters, but for weeks now, whenever the late shift ends, the new "
        "driver somehow ends up pressed up behind me by the lockers and it's getting to me."
    )
    tokens = tokenize(text)
    finding = DETECTOR.detect(tokens)
    assert finding is not None
    quote = tokens.quote(finding.start, finding.end)
    assert quote in text
    assert len(quote.split()) <= 10
    answer = classify(text)
    assert answer.practice is Practice.ESCALATE
    assert answer.escalate_topic is finding.topic
    assert len(answer.reasons) == 1


@pytest.mark.parametrize(
    ("text", "family"),
    [
        pytest.param("I'd rather not wake up tomorrow, honestly.", "self-harm", id="no-veto"),
        pytest.param("I'd rather not wake up at 5am tomorrow, honestly.", None, id="veto-time"),
        pytest.param("She won't be around much longer, she said so.", "self-harm", id="final"),
        pytest.param("She won't be around much longer, she's resigning.", None, id="veto-job"),
    ],
)
def test_a_veto_nearby_cancels_the_rule(text: str, family: str | None) -> None:
    assert DETECTOR.family(tokenize(text)) == family


def test_empty_and_unrelated_text_find_nothing() -> None:
    assert DETECTOR.detect(tokenize("")) is None
    assert DETECTOR.detect(tokenize("The quarterly roadmap review is on Tuesday.")) is None


def test_a_term_starting_with_a_short_prefix_is_refused() -> None:
    # The root's prefixes are indexed by their first three letters.
    with pytest.raises(ValueError, match="under 3 letters"):
        ConcernDetector(concepts={"boss": ("bo*",)}, rules=())


def test_terms_starting_with_prefixes_are_found_by_their_first_letters() -> None:
    detector = ConcernDetector(concepts={"leave": ("resig* from",), "quit": ("resign",)}, rules=())
    found = detector.occurrences(tokenize("i might resign from the team"))
    assert found == {"leave": [(2, 4)], "quit": [(2, 3)]}


def test_starts_is_false_only_where_no_term_starts() -> None:
    """A word `starts` says no term begins with has no first steps, whatever word follows."""
    heads = {term.split()[0] for terms in CONCEPTS.values() for term in terms}
    words = sorted({h.replace("*", "ing") for h in heads if h not in ("_", "...")})
    for word in [*words, "the", "zz", "banana"]:
        if not DETECTOR.starts(word):
            for following in [*words[:50], "", "zz"]:
                assert DETECTOR.steps((word, following)) == ()
    assert all(DETECTOR.starts(w) for w in words if "|" not in w)
    assert not DETECTOR.starts("zz")

"""Synthetic demo data: a realistic field-sales organisation, for trying coachsite out and for benchmarks.

`generate()` writes a competency framework, teams of about ten reps with their district manager,
and about twenty session records per rep over the two years before `today`: every kind of record,
following every rule `coachsite check` applies, with notes written the way a coach writes them.
Competency levels follow per-rep trajectories (improving, plateau, declining) so that trends, gaps
and readiness look like a real organisation's.

Deterministic: the same arguments give byte-identical files (one `random.Random(seed)`, no clock,
no global state, no set iteration). Safe: it refuses a root that exists and is not an empty folder,
and creates every file exclusively, so it can never overwrite anything.

A command (`coachsite demo`) that stands on no stage: it imports nothing of coachsite, and makes
what the source stage reads. Must not: print (it returns the counts of what it wrote), read the
clock, or write outside `root`.
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

FRAMEWORK_ID = "field-sales"
HISTORY_DAYS = 730  # sessions cover the two years before `today`
TEAM_SIZE = 10

SCALE = {1: "Foundational", 2: "Developing", 3: "Proficient", 4: "Advanced", 5: "Expert"}

# id -> (name, area, description, behavioural descriptor of levels 1..5)
COMPETENCIES: dict[str, tuple[str, str, str, tuple[str, str, str, str, str]]] = {
    "call-planning": (
        "Call planning", "skills",
        "Prepares every call: HCP profile, previous notes, a SMART objective, questions and materials.",
        ("No written call objective; previous visit notes rarely checked.",
         "Objectives written for most calls but vague; notes reviewed when prompted.",
         "A SMART objective and fallback for every call; reviews profile, history and open commitments.",
         "Plans each call as a step in a sequence; anticipates objections with prepared responses.",
         "Precise, data-driven plans that colleagues use as a model.")),
    "opening": (
        "Opening the call", "skills",
        "Earns the HCP's attention in the first minute with a relevant reason and an agreed agenda.",
        ("Generic greeting, straight into the detail aid.",
         "Polite, prepared but product-centred opening; checks time only sometimes.",
         "Opens with a reason relevant to the HCP's patients and checks time and agenda.",
         "Tailored openings that start a two-way conversation, even with sceptical HCPs.",
         "Openings turn calls into peer conversations; HCPs extend the time themselves.")),
    "needs-discovery": (
        "Needs discovery", "skills",
        "Questions and listens to understand the HCP's patients, practice, barriers and motivations.",
        ("Few, mostly closed questions; presents before understanding the situation.",
         "Some open questions from a script; misses cues and rarely probes.",
         "Open and probing questions uncover at least one unmet need, summarised before presenting.",
         "Uncovers underlying needs and decision criteria of the wider team; listens more than talks.",
         "Discovery changes how the HCP sees their own patient population.")),
    "clinical-knowledge": (
        "Clinical and product knowledge", "knowledge",
        "Knows the disease area, guidelines and approved data, and applies them to the HCP's patients.",
        ("Knows the core detail-aid messages only.",
         "Recalls data accurately but generically, not linked to the HCP's patients.",
         "Explains guidelines and pivotal data clearly and relates them to the HCP's patient types.",
         "Discusses evidence at specialist level, fairly and on-label, including limitations.",
         "Seen by specialists as a credible scientific partner; briefs colleagues on new evidence.")),
    "market-access": (
        "Market, payer and formulary knowledge", "knowledge",
        "Understands reimbursement, formularies, pathways and who decides in each account.",
        ("Unaware of formulary position or who decides.",
         "Knows the formulary status but not the local pathway or cost arguments.",
         "Explains local status and pathway, knows the decision makers, answers cost questions.",
         "Works proactively with pharmacists and committees; access barriers are in the account plan.",
         "Shapes the regional access strategy; access colleagues seek out their insight.")),
    "objection-handling": (
        "Objection handling", "skills",
        "Clarifies and answers concerns with relevant evidence, without arguing or disparaging.",
        ("Ignores objections or answers defensively.",
         "Answers with a standard response without clarifying the real concern.",
         "Acknowledges, clarifies, responds with evidence and checks the answer was accepted.",
         "Handles complex or repeated objections calmly and anticipates them in planning.",
         "Handles the hardest objections so that HCPs change position; coaches others.")),
    "gaining-commitment": (
        "Gaining commitment", "skills",
        "Summarises the value agreed and asks for a specific, realistic next step.",
        ("Ends the call without asking for a commitment.",
         "Asks in general terms, often too early or without a summary.",
         "Summarises and asks for a specific, measurable commitment, recorded for follow-up.",
         "Times the request to buying signals and follows up previous commitments.",
         "Commitment is the natural outcome of the conversation, up to committee level.")),
    "account-planning": (
        "Territory and account planning", "skills",
        "Segments and prioritises the territory and key accounts and coordinates resources.",
        ("Works call by call from the target list.",
         "Has a territory plan but rarely reviews it.",
         "Segmented plan with account objectives, reviewed quarterly against data.",
         "Multi-stakeholder key-account plans with mapped decision makers and shared actions.",
         "Strategic account plans used as the example across the region.")),
    "compliant-promotion": (
        "Compliant promotion", "behaviours",
        "Promotes on-label within the code of practice; reports adverse events on time, every time.",
        ("Unaware of code requirements; unsupported claims.",
         "Knows the rules but has occasional lapses.",
         "Approved claims only; refers off-label questions; reports adverse events on time.",
         "Stays compliant under pressure and records interactions accurately.",
         "Models compliance and helps colleagues in grey areas.")),
    "collaboration": (
        "Collaboration", "behaviours",
        "Works with MSLs, KAMs, market access and colleagues; shares insight and supports the team.",
        ("Works alone; rarely shares information.",
         "Shares when asked; involves MSLs or KAMs late.",
         "Coordinates on shared accounts and shares customer insight in team meetings.",
         "Initiates cross-functional work and peer-coaches colleagues.",
         "Builds networks that deliver for the region; develops others.")),
}
COMPETENCY_IDS = tuple(COMPETENCIES)
CUSTOMER_FACING = ("opening", "needs-discovery", "clinical-knowledge", "objection-handling",
                   "gaining-commitment")
TESTED = ("clinical-knowledge", "market-access", "compliant-promotion")


def _profile(*levels: int) -> dict[str, int]:
    return dict(zip(COMPETENCY_IDS, levels))


# id -> (name, expected level per competency, next roles)
ROLES: dict[str, tuple[str, dict[str, int], tuple[str, ...]]] = {
    "associate-rep": ("Associate sales representative", _profile(2, 2, 2, 2, 2, 2, 2, 2, 3, 2), ("sales-rep",)),
    "sales-rep": ("Sales representative", _profile(3, 3, 3, 3, 3, 3, 3, 2, 4, 3),
                  ("senior-rep", "key-account-manager")),
    "senior-rep": ("Senior sales representative", _profile(4, 3, 4, 4, 3, 4, 4, 3, 4, 4),
                   ("key-account-manager", "district-manager")),
    "key-account-manager": ("Key account manager", _profile(4, 3, 4, 4, 4, 4, 4, 4, 4, 4), ("district-manager",)),
    "district-manager": ("District sales manager", _profile(4, 4, 4, 4, 4, 4, 4, 4, 4, 5), ()),
}

# where a role's reps start, on average, and how each competency tends to differ from that
ROLE_BASE = {"associate-rep": 1.9, "sales-rep": 2.8, "senior-rep": 3.5, "key-account-manager": 3.6}
COMPETENCY_OFFSET = {"compliant-promotion": 0.8, "collaboration": 0.2, "account-planning": -0.3,
                     "market-access": -0.2, "opening": 0.2}
KAM_OFFSET = {"account-planning": 0.6, "market-access": 0.6}

FIRST_NAMES = (
    "Amara", "Anna", "Lukas", "Sofia", "Mateo", "Yuki", "Priya", "Arjun", "Chloé", "Liam", "Noah", "Emma",
    "Fatima", "Omar", "Ingrid", "Søren", "Zoë", "José", "María", "Giulia", "Marco", "Aisha", "Kwame",
    "Wei", "Mei", "Hiroshi", "Olga", "Dmitri", "Katarzyna", "Piotr", "Eszter", "Bálint", "Nora", "Elif",
    "Emre", "Leila", "Hamid", "Tomás", "Inês", "João", "Camille", "Théo", "Freya", "Oskar", "Hanna",
    "Mikael", "Aino", "Niamh", "Ciarán", "Siobhan", "Rhys", "Megan", "Kofi", "Adaeze", "Chidi",
    "Thandiwe", "Sipho", "Rafael", "Lucía", "Diego", "Valentina", "Nikos", "Eleni", "Jakub", "Tereza",
    "Ravi", "Ananya", "Sanjay", "Nadia", "Youssef", "Salma", "Jonas", "Lena", "Felix", "Mia", "David",
    "Sarah", "Daniel", "Laura", "Ahmed", "Hana", "Ji-woo", "Min-jun", "Tariq", "Rania", "Beatriz",
    "Sven", "Astrid", "Henrik", "Maja", "Pablo", "Carmen", "Isabel", "Hugo", "Manon", "Gabriel",
    "Alice", "Ruth", "Samuel", "Esther", "Ivan", "Mila", "Zanele", "Yaw", "Aleksandra", "Mehmet",
)
LAST_NAMES = (
    "Okafor", "Müller", "Schmidt", "García", "Fernández", "Rossi", "Bianchi", "Tanaka", "Suzuki", "Sato",
    "Patel", "Sharma", "Singh", "Kowalski", "Nowak", "Novák", "Dvořák", "Horváth", "Nagy", "Yılmaz",
    "Demir", "Kaya", "Haddad", "Khalil", "Mansour", "Nguyen", "Tran", "Kim", "Park", "Lee", "Wang",
    "Zhang", "Chen", "Silva", "Santos", "Oliveira", "Costa", "Dubois", "Martin", "Bernard", "Lefèvre",
    "Jensen", "Nielsen", "Hansen", "Andersson", "Johansson", "Lindqvist", "Virtanen", "Korhonen",
    "Murphy", "O'Brien", "Kelly", "Jones", "Williams", "Evans", "Mensah", "Boateng", "Adeyemi", "Nkosi",
    "Dlamini", "Mokoena", "Ivanova", "Petrov", "Popescu", "Ionescu", "Papadopoulos", "Georgiou",
    "van Dijk", "de Vries", "Janssen", "Peeters", "Fischer", "Weber", "Becker", "Hoffmann", "Romano",
    "Ricci", "Moreno", "Romero", "Álvarez", "Kaur", "Iyer", "Reddy", "Rahman", "Hussain", "Ali",
    "Cohen", "Levi", "Friedman", "Campbell", "Stewart", "Walsh", "Byrne", "Ortega", "Wójcik", "Øverland",
    "Łukasik", "Strauß", "Abiodun", "Osei", "Takahashi", "Yamamoto", "Nakamura", "Gómez", "Bauer",
)
CITIES = (
    "Lyon", "Milan", "Madrid", "Lisbon", "Porto", "Dublin", "Leeds", "Bristol", "Glasgow", "Warsaw",
    "Kraków", "Prague", "Vienna", "Munich", "Hamburg", "Cologne", "Rotterdam", "Antwerp", "Copenhagen",
    "Stockholm", "Oslo", "Helsinki", "Zürich", "Geneva", "Barcelona", "Valencia", "Seville", "Turin",
    "Naples", "Marseille", "Toulouse", "Bordeaux", "Nantes", "Lille", "Brussels", "Budapest",
    "Bratislava", "Ljubljana", "Zagreb", "Athens", "Bucharest", "Tallinn", "Riga", "Vilnius",
    "Edinburgh", "Cardiff", "Manchester", "Birmingham", "Gothenburg", "Aarhus",
)

# therapy area -> (product, HCPs seen, objections heard, competitor)
AREAS_OF_THERAPY: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str]] = {
    "cardiometabolic": (
        "Glycora",
        ("GP", "diabetologist", "practice nurse", "cardiologist", "hospital pharmacist", "practice pharmacist"),
        ("the cost compared with generics", "worries about genital infections",
         "the guideline still listing it second-line", "patients being stable on their current DPP-4",
         "it not yet being on the local formulary", "having no time to review stable patients"),
        "the DPP-4 inhibitor most practices use"),
    "respiratory": (
        "Respivane",
        ("GP", "respiratory nurse specialist", "pulmonologist", "community pharmacist", "practice nurse",
         "hospital pharmacist"),
        ("patients struggling with inhaler technique", "the cost of switching a stable patient",
         "the formulary preferring the cheaper triple therapy", "having no time for inhaler reviews",
         "a competitor's claim about device errors"),
        "the cheaper triple-therapy inhaler"),
    "immunology": (
        "Immulex",
        ("rheumatologist", "dermatologist", "specialist nurse", "hospital pharmacist", "homecare lead",
         "gastroenterologist"),
        ("the biosimilar tender price", "the homecare set-up paperwork", "uncertainty about infection risk",
         "prior-authorisation delays", "patients doing well on the current biologic"),
        "the adalimumab biosimilar on tender"),
    "oncology": (
        "Oncovire",
        ("oncologist", "haematologist", "oncology pharmacist", "clinical nurse specialist",
         "MDT coordinator"),
        ("the MDT protocol already naming the comparator", "toxicity management in older patients",
         "the budget impact on the pharmacy", "waiting for the health technology assessment",
         "the infusion chair capacity"),
        "the standard-of-care regimen in the MDT protocol"),
}
ACCOUNT_PATTERNS = ("{city} General Hospital", "University Hospital {city}", "St Luke's Hospital",
                    "Riverside Medical Centre", "Parkview Health Centre", "{city} North Primary Care Network",
                    "Hillside Surgery", "Northgate Medical Practice", "Queen's Road Surgery", "Lakeside Polyclinic")
AREA_ACCOUNTS = {"cardiometabolic": "{city} Heart and Diabetes Clinic", "respiratory": "{city} Chest Clinic",
                 "immunology": "{city} Rheumatology and Skin Centre", "oncology": "{city} Cancer Centre"}
PHYSICIANS = frozenset(("GP", "diabetologist", "cardiologist", "pulmonologist", "rheumatologist", "dermatologist",
                        "gastroenterologist", "oncologist", "haematologist"))
MATERIALS = ("the detail aid", "the approved budget-impact model", "the patient-selection leaflet",
             "the guideline summary", "the device demonstrator", "the pivotal-trial reprint",
             "the formulary submission pack")

# --- what a coach writes about a competency at a level: weak (1-2), solid (3), strong (4-5) ------
OBSERVATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "call-planning": (
        ("{name} arrived without a written call objective and opened the detail aid at page one; the "
         "notes from the last visit had not been read.",
         "The plan for {account} was a list of product messages rather than a call objective, so there "
         "was nothing to measure the call against.",
         "We rebuilt the call plan in the car: {name} did not know what the {hcp} had agreed to last time."),
        ("{name} had a SMART objective for the call (agree to try {product} in two suitable patients) and a "
         "fallback if time was short.",
         "The plan covered the {hcp}'s prescribing data, the open commitment from the last visit and three "
         "prepared questions.",
         "Pre-call planning was solid: objective, likely objection ({objection}) and the material to answer "
         "it were all ready."),
        ("The plan treated this visit as step three of a sequence for {account}, with {objection} "
         "anticipated and an approved answer ready.",
         "{name} adapted the plan in the car park after a message from the MSL, and the new objective was "
         "sharper than the original.",
         "Call planning was exemplary; I asked {name} to walk the team through the template at the next "
         "meeting.")),
    "opening": (
        ("The opening was a generic greeting straight into the product; the {hcp} checked the clock twice "
         "in the first minute.",
         "{name} did not check how much time the {hcp} had, and the call was cut short before any question "
         "was asked.",
         "The opening was product-centred (\"I'd like to update you on {product}\") and the {hcp} politely "
         "disengaged."),
        ("{name} opened with the patient type we discussed last time and checked the time available before "
         "starting.",
         "A good opening: a relevant reason for the visit, a clear purpose and agreement on the agenda.",
         "The opening linked the visit to the new local pathway, which got the {hcp}'s attention quickly."),
        ("Within the first minute the {hcp} was talking about their own patients; it felt like a peer "
         "conversation.",
         "{name} tailored the opening to the {hcp}'s audit project, and the call ran ten minutes longer "
         "than booked at the {hcp}'s request.")),
    "needs-discovery": (
        ("Mostly closed questions; {name} presented before finding out how the {hcp} currently manages "
         "these patients.",
         "The {hcp} mentioned {objection} twice as an aside and it was not picked up.",
         "Discovery was a script of three questions; the answers were neither probed nor summarised."),
        ("{name} used open questions to find out that the {hcp} sees several patients not controlled on "
         "current therapy, and summarised before presenting.",
         "Good probing on the {hcp}'s current practice; one unmet need was clearly identified and confirmed.",
         "Listening was active: {name} paraphrased the {hcp}'s concern before responding."),
        ("Discovery uncovered the decision criteria of the whole practice team, not only the {hcp}'s, and "
         "every later message tied back to them.",
         "{name} talked for less than a third of the call; the {hcp} described a patient group they had "
         "not thought of as eligible until then.")),
    "clinical-knowledge": (
        ("When the {hcp} asked about the subgroup data, {name} could only repeat the headline message of "
         "the detail aid.",
         "{name} quoted the trial result correctly but could not relate it to the {hcp}'s patients."),
        ("Product and trial data were explained accurately and linked to the {hcp}'s patient types, "
         "on-label throughout.",
         "{name} handled a question on the guideline position of {product} confidently and fairly."),
        ("{name} discussed the evidence at specialist level, including its limitations and the "
         "competitor data, and chose exactly the study that answered the {hcp}'s question.",
         "The {hcp} asked {name} to present the new data at the next practice meeting.")),
    "market-access": (
        ("{name} did not know whether {product} is on the formulary at {account}, or who decides.",
         "The cost question came up and {name} had no approved budget-impact material to hand."),
        ("{name} explained the local formulary status and the prescribing pathway clearly and named the "
         "hospital pharmacist as the person to involve.",
         "The cost question was answered with the approved value dossier, with an offer to brief the "
         "practice pharmacist."),
        ("{name} had already met the hospital pharmacist and put the next formulary committee date into "
         "the account plan.",
         "Access barriers at {account} are built into the plan, with the market access manager lined up "
         "for the committee submission.")),
    "objection-handling": (
        ("When the {hcp} raised {objection}, {name} answered at once with the standard line and moved on; "
         "the real concern was never clarified.",
         "{name} became defensive about {objection} and started comparing with {competitor}, which did not "
         "land."),
        ("{name} acknowledged the concern about {objection}, asked what lay behind it, answered with the "
         "approved data and checked the answer was accepted.",
         "Objection handling followed the model well: clarify, respond, confirm."),
        ("The {hcp} pushed back hard on {objection}; {name} stayed calm, turned it into a discussion of "
         "patient need, and the {hcp} changed position.",
         "{name} had anticipated {objection} in the plan and addressed it before the {hcp} raised it.")),
    "gaining-commitment": (
        ("The call ended with \"I'll leave this with you\"; no commitment was asked for.",
         "{name} asked for commitment too early, before any need had been agreed, and got a polite "
         "\"maybe\"."),
        ("{name} summarised the agreed benefits and asked the {hcp} to try {product} in two named patient "
         "types; the commitment is in the CRM.",
         "A specific next step was agreed: the {hcp} will review three patients before our next visit."),
        ("The commitment came naturally at the end: the {hcp} proposed adding {product} to the practice "
         "protocol.",
         "{name} followed up last visit's commitment first, then secured the next step at practice level.")),
    "account-planning": (
        ("There is no written plan for {account}; {name} works from the target list call by call.",
         "The territory plan has not been updated since the realignment, and call frequencies no longer "
         "match the potential."),
        ("{name}'s plan for {account} segments the prescribers, sets objectives and was reviewed against "
         "last quarter's data.",
         "We reviewed the territory plan together: priorities are clear and the channel mix was adjusted "
         "for the hard-to-see HCPs."),
        ("The {account} plan maps every decision maker, including the pharmacist and the clinical lead, "
         "with agreed cross-functional actions.",
         "{name}'s account plan is now the template for the district.")),
    "compliant-promotion": (
        ("{name} made a comparative claim that is not in the approved material; we went through the code "
         "requirements after the call.",
         "An adverse event mentioned during a call was reported two days late; we went over the 24-hour "
         "rule."),
        ("All claims were on-label and from approved material; the off-label question was correctly "
         "referred to Medical Information.",
         "{name} reported the adverse event the {hcp} mentioned the same afternoon."),
        ("When the {hcp} pushed for off-label dosing information, {name} stayed firmly on-label and "
         "offered an MSL contact instead.",
         "{name} spotted a grey-area request in the team chat and helped a colleague handle it correctly.")),
    "collaboration": (
        ("{name} has not involved the MSL at {account} although the {hcp} asked for scientific support "
         "twice.",
         "Insight from the call did not reach the KAM who owns the account."),
        ("{name} coordinated with the KAM before the visit and shared the outcome in the team channel "
         "afterwards.",
         "The MSL referral was made correctly and followed up within the week."),
        ("{name} set up a joint account plan with the MSL and market access, and is peer-coaching a new "
         "colleague on it.",
         "Colleagues now bring their tricky accounts to {name} before the team meeting.")),
}

OBJECTIVES: dict[str, tuple[str, ...]] = {
    "call-planning": ("Write a SMART objective and a fallback for every planned call next week",
                      "Review the notes and open commitments before each of the next five calls",
                      "Plan the next three visits at {account} as one sequence"),
    "opening": ("Open the next three calls at {account} with a patient-relevant reason and a time check",
                "Prepare two openings linked to the new local pathway"),
    "needs-discovery": ("Prepare three open questions on current practice for the {hcp} at {account}",
                        "Summarise the HCP's need before presenting, in every call",
                        "Let the HCP talk for at least half of the next ride-along calls"),
    "clinical-knowledge": ("Complete the e-learning module on the subgroup data before the next ride-along",
                           "Prepare a one-minute answer on the guideline position of {product}"),
    "market-access": ("Book a meeting with the hospital pharmacist at {account} on the formulary timeline",
                      "Practise the approved budget-impact conversation with the market access manager"),
    "objection-handling": ("Role-play clarify-respond-confirm on {objection} with a colleague",
                           "Write down the three objections heard most this month and the approved answers"),
    "gaining-commitment": ("Ask for a specific, measurable commitment at the end of every call",
                           "Open each follow-up call by checking last visit's commitment"),
    "account-planning": ("Update the {account} account plan with decision makers and next steps",
                         "Review call frequencies against potential for the top twenty HCPs"),
    "compliant-promotion": ("Re-read the code of practice section on comparative claims",
                            "Report every adverse event within 24 hours and log it in the CRM"),
    "collaboration": ("Set up a joint visit with the MSL at {account}",
                      "Share the {account} insight at the next team meeting"),
}

COACHING_CONTEXTS = (  # (slug, sentence)
    ("field-coaching", "Field day with {name} around {city}: {calls} calls, including {account}."),
    ("field-coaching", "Coaching conversation after a day of calls; {calls} calls, the last one with {a_hcp} "
                       "at {account}."),
    ("virtual-coaching", "Virtual coaching session reviewing last week's calls and the CRM notes for "
                         "{account}."),
    ("role-play", "Role-play session ahead of the {account} visit, followed by a debrief of last week's "
                  "calls."),
    ("joint-visit", "Half-day joint visit: {calls} calls in primary care and one with the {hcp} at "
                    "{account}."),
)
REFLECTIONS = (
    "{name}'s own view: \"I know I rush when the waiting room is full.\"",
    "{name}'s own view: \"I felt more confident than last time, but I lost the thread after the "
    "objection.\"",
    "{name} said the preparation made the difference and wants to keep the same routine.",
    "{name} felt the call went better than I did; we replayed the middle part together to compare.",
    "{name}'s own view: \"I need to prepare the cost question better.\"",
    "{name} was self-critical about the close, more than the call deserved.",
    "Asked what to do differently, {name} named the same point I had noted, which is a good sign.",
)
PROGRESS = {
    "up": ("Clear progress on {comp} since the last session.",
           "This is a step up on {comp} from the previous ride-along.",
           "The work on {comp} is showing: noticeably more confident than in the spring."),
    "same": ("Much the same picture on {comp} as last time.",
             "{Comp} is consistent now, but not yet at the next level.",
             "No real change on {comp}; we talked about what would make the difference."),
    "down": ("{Comp} was weaker than in previous sessions; {name} mentioned {reason}.",
             "A step back on {comp}, which {name} links to {reason}.",
             "{Comp} has slipped since the last review; we discussed {reason} openly."),
}
FOLLOW_UPS = ("done, with two examples from last week.", "partly done; {name} tried it on two calls.",
              "not yet; the launch week got in the way.", "done, and it is becoming a habit.",
              "done for most calls, not yet with the hard-to-see HCPs.")
DECLINE_REASONS = ("the longer drives since the territory realignment", "the pressure of the quarter-end "
                   "targets", "covering a colleague's territory for six weeks", "the launch workload",
                   "losing two key accounts to the tender", "the new CRM taking up admin time")
AGREEMENTS = (
    "We agreed to keep {comp} as the focus for the next two sessions.",
    "Next ride-along in about six weeks; {name} will send the call plans the day before.",
    "We agreed {name} will try the approach on the next five calls and bring examples.",
    "I will join the {account} visit next month to see it in a harder call.",
    "{name} will pair up with a senior colleague for one day on this.",
)
RESULT_SENTENCES = (
    ("The {hcp} listened but made no commitment; a follow-up visit is booked.",
     "The call ended politely without a next step; the {hcp} took the leaflet."),
    ("The {hcp} agreed to try {product} in two suitable patients and to review them at the next visit.",
     "The {hcp} agreed to look at three patients on current therapy before the next call."),
    ("The {hcp} agreed to add {product} to the practice protocol and asked for an MSL meeting on the data.",
     "The {hcp} committed to a patient review with the wider team and invited {name} to the next team "
     "meeting."),
)
SITUATIONS = (
    "Planned call with {doctor}, {a_hcp} at {account}, who mostly uses {competitor}.",
    "Follow-up call with {doctor} ({hcp}, {account}) after last month's commitment to review patients.",
    "First call with {doctor}, {a_hcp} new to {account}; ten minutes booked between clinics.",
    "Call with {doctor}, {a_hcp} at {account}, who raised {objection} on the last visit.",
)
SURVEY_COMMENTS = (
    "\"Always prepared and knows our patients.\"",
    "\"Useful visits, but sometimes too long.\"",
    "\"Helpful with the formulary questions.\"",
    "\"I would like more data on older patients.\"",
    "\"Reliable follow-up after every visit.\"",
    "\"Could listen more before presenting.\"",
)
DISPUTES = (
    "I don't agree with the {comp} rating: the {hcp}'s question came after you had left the call, and I "
    "followed it up by email the same day.",
    "The notes leave out that the {hcp} had only five minutes; I would like to discuss the {comp} rating "
    "before approving.",
    "I think {comp} deserves a higher rating: the commitment was agreed, it is in the CRM.",
    "I disagree with the comment on {comp}; this account was handed over to me two weeks earlier.",
)


# --- small helpers ----------------------------------------------------------------------------

def _ascii_id(text: str) -> str:
    """A display name to an id: lowercase ASCII letters, digits and hyphens."""
    text = text.translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


_TRANSLITERATE = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "Ae",
                                "ı": "i", "đ": "d", "Đ": "D"})


def _q(text: str) -> str:
    """A YAML double-quoted scalar: a JSON string is one, and safe for any text."""
    return json.dumps(text, ensure_ascii=False)


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _weekday(day: date, low: date, high: date) -> date:
    """Move a weekend day to a nearby weekday within [low, high] (unchanged if there is none)."""
    weekday = day.weekday()
    if weekday < 5:
        return day
    for shift in ((-1, 2) if weekday == 5 else (1, -2)):
        candidate = day + timedelta(days=shift)
        if low <= candidate <= high:
            return candidate
    return day


def framework_yaml() -> str:
    """The demo framework as YAML text."""
    lines = ["# A compact field-sales framework written by `coachsite demo` (synthetic demo data).",
             f"name: {_q('Field sales — life sciences (demo)')}",
             f"description: {_q('Competencies and job success profiles of a synthetic field-sales organisation.')}",
             "scale: {" + ", ".join(f"{level}: {name}" for level, name in SCALE.items()) + "}",
             "competencies:"]
    for competency, (name, area, description, levels) in COMPETENCIES.items():
        lines += [f"  {competency}:", f"    name: {_q(name)}", f"    area: {area}",
                  f"    description: {_q(description)}", "    levels:"]
        lines += [f"      {level}: {_q(text)}" for level, text in enumerate(levels, start=1)]
    lines.append("roles:")
    for role, (name, expected, next_roles) in ROLES.items():
        lines += [f"  {role}:", f"    name: {_q(name)}",
                  "    expected: {" + ", ".join(f"{c}: {v}" for c, v in expected.items()) + "}",
                  f"    next: [{', '.join(next_roles)}]"]
    return "\n".join(lines) + "\n"


# --- the organisation -------------------------------------------------------------------------

@dataclass
class _Team:
    id: str
    name: str
    city: str
    area: str
    manager: str = ""
    manager_name: str = ""
    review_day: int = 0  # days before today of the latest annual review round
    survey_day: int = 0
    test_day: int = 0
    accounts: tuple[str, ...] = ()


@dataclass
class _Rep:
    id: str
    name: str
    first: str
    role: str
    team: _Team
    joined: date
    trajectory: str  # improving | plateau | declining
    level: dict[str, float] = field(default_factory=dict)  # latent level, moves over time
    drift: dict[str, float] = field(default_factory=dict)  # levels per year once the change starts
    change_day: int = 0  # days after the history starts when the drift starts
    self_bias: float = 0.0
    cadence: float = 50.0  # mean days between coaching sessions


@dataclass
class _Session:
    day: date
    kind: str
    slug: str
    context: int = 0  # coaching: which of COACHING_CONTEXTS
    review: str = ""  # manager-assessment: Annual | Mid-year | Probation


class _Generator:
    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.people: set[str] = set()

    # names and people

    def person_name(self) -> tuple[str, str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        return _unique(_ascii_id(name), self.people), name, first

    def teams(self, count: int) -> list[_Team]:
        cities = list(CITIES)
        self.rng.shuffle(cities)
        taken: set[str] = set()
        teams = []
        for index in range(count):
            city = cities[index % len(cities)]
            round_ = index // len(cities)
            name = f"{city} district" + (f" {round_ + 1}" if round_ else "")
            team = _Team(_unique(_ascii_id(name.replace(" district", "")), taken), name, city,
                         self.rng.choice(tuple(AREAS_OF_THERAPY)))
            team.review_day = self.rng.randint(20, 340)
            team.survey_day = self.rng.randint(10, 360)
            team.test_day = self.rng.randint(5, 270)
            patterns = list(ACCOUNT_PATTERNS)
            self.rng.shuffle(patterns)
            team.accounts = tuple(p.format(city=city) for p in [AREA_ACCOUNTS[team.area]] + patterns[:5])
            team.manager, team.manager_name, _ = self.person_name()
            teams.append(team)
        return teams

    def joined(self) -> date:
        earliest = date(self.today.year - 11, 1, 1)
        latest = self.today - timedelta(days=21)
        if self.rng.random() < 0.13:  # new hires
            low = max(earliest, self.today - timedelta(days=365))
        else:
            low, latest = earliest, max(earliest, self.today - timedelta(days=366))
        span = max((latest - low).days, 0)
        return low + timedelta(days=self.rng.randint(0, span))

    def rep(self, team: _Team) -> _Rep:
        rng = self.rng
        person_id, name, first = self.person_name()
        joined = self.joined()
        tenure = (self.today - joined).days / 365.25
        roll = rng.random()
        if tenure < 1.5:
            role = "associate-rep" if roll < 0.65 else "sales-rep"
        elif tenure < 5:
            role = "sales-rep" if roll < 0.9 else "senior-rep"
        else:
            role = "sales-rep" if roll < 0.55 else "senior-rep" if roll < 0.83 else "key-account-manager"
        history_start = (self.today - timedelta(days=HISTORY_DAYS))
        new = joined > history_start - timedelta(days=180)
        roll = rng.random()
        trajectory = ("improving" if new and roll < 0.8 else "improving" if roll < 0.4
                      else "declining" if roll > 0.78 else "plateau")
        rep = _Rep(person_id, name, first, role, team, joined, trajectory)
        ability = rng.gauss(0, 0.3)
        base = ROLE_BASE[role] - (0.4 if new else 0.0)
        for competency in COMPETENCY_IDS:
            offset = COMPETENCY_OFFSET.get(competency, 0.0)
            if role == "key-account-manager":
                offset += KAM_OFFSET.get(competency, 0.0)
            rep.level[competency] = _clamp(base + offset + ability + rng.gauss(0, 0.35), 1.0, 4.9)
            if trajectory == "improving":
                rep.drift[competency] = rng.uniform(0.4, 1.2) if rng.random() < 0.7 else rng.uniform(0, 0.3)
            elif trajectory == "declining":
                rep.drift[competency] = rng.uniform(-1.1, -0.5) if rng.random() < 0.6 else rng.gauss(0, 0.1)
            else:
                rep.drift[competency] = rng.gauss(0, 0.08)
        rep.change_day = {"improving": rng.randint(0, 400), "declining": rng.randint(200, 520),
                          "plateau": 0}[trajectory]
        rep.self_bias = rng.choice((0.6, 0.4, 0.0, 0.0, -0.4))
        rep.cadence = rng.uniform(45, 85)  # mean days between coaching sessions after the first year
        return rep

    # the calendar of one rep

    def schedule(self, rep: _Rep) -> list[_Session]:
        rng, today, team = self.rng, self.today, rep.team
        start = max(rep.joined, today - timedelta(days=HISTORY_DAYS))
        found: list[tuple[date, str]] = []

        def add(day: date, kind: str) -> None:
            day = _weekday(day, start, today)
            if start <= day <= today:
                found.append((day, kind))

        # coaching and observed calls, counted back from today so the last one is recent for most
        day = today - timedelta(days=rng.randint(1, max(2, int(rep.cadence * 1.05))))
        while day >= start:
            early = (day - rep.joined).days < 240
            add(day, "observed-call" if rng.random() < (0.65 if early else 0.45) else "coaching")
            cadence = rep.cadence if (day - rep.joined).days > 365 else min(rep.cadence, 34.0)  # onboarding
            day -= timedelta(days=max(7, int(cadence * rng.uniform(0.65, 1.35))))
        # reviews every half year (the annual one after a self-assessment); a probation review for new hires
        review, annual = today - timedelta(days=team.review_day + rng.randint(-6, 6)), team.review_day < 182
        while review >= start:
            if (review - rep.joined).days >= 150:
                if annual:
                    add(review - timedelta(days=rng.randint(3, 12)), "self-assessment")
                add(review, "manager-assessment" if annual else "mid-year-review")
            review -= timedelta(days=182 + rng.randint(-5, 5))
            annual = not annual
        probation = rep.joined + timedelta(days=rng.randint(85, 100))
        if rep.joined >= start and probation <= today:
            add(probation - timedelta(days=rng.randint(2, 6)), "self-assessment")
            add(probation, "probation-review")
        if (today - start).days > 240 and rng.random() < 0.7:
            add(start + timedelta(days=rng.randint(200, (today - start).days)), "review-360")
        survey = today - timedelta(days=team.survey_day + rng.randint(0, 10))
        while survey >= start:
            if (survey - rep.joined).days >= 180:
                add(survey, "customer-survey")
            survey -= timedelta(days=365)
        test = today - timedelta(days=team.test_day + rng.randint(0, 5))
        while test >= start:
            if (test - rep.joined).days >= 60:
                add(test, "knowledge-test")
            test -= timedelta(days=300)

        order = {kind: index for index, kind in enumerate(
            ("self-assessment", "probation-review", "manager-assessment", "mid-year-review", "review-360",
             "customer-survey", "knowledge-test", "observed-call", "coaching"))}
        found.sort(key=lambda item: (item[0], order[item[1]]))
        sessions = []
        names: set[str] = set()
        for day, kind in found:
            context = rng.randrange(len(COACHING_CONTEXTS)) if kind == "coaching" else 0
            slug = {"manager-assessment": "annual-review", "review-360": "360-review",
                    "coaching": COACHING_CONTEXTS[context][0]}.get(kind, kind)
            review = {"manager-assessment": "Annual", "mid-year-review": "Mid-year",
                      "probation-review": "Probation"}.get(kind, "")
            name = _unique(f"{day.isoformat()}-{slug}", names)
            sessions.append(_Session(day, "manager-assessment" if review else kind, name[11:], context, review))
        return sessions

    # levels over time

    def advance(self, rep: _Rep, history_start: date, previous: date | None, day: date) -> None:
        """Move the rep's latent levels from `previous` to `day`: drift after the change, plus a random walk."""
        if previous is None:
            return
        days = (day - previous).days
        if days <= 0:
            return
        change = history_start + timedelta(days=rep.change_day)
        active = max(0, (day - max(previous, change)).days)
        wander = 0.05 * math.sqrt(days / 30)
        for competency in COMPETENCY_IDS:
            value = rep.level[competency] + rep.drift[competency] * active / 365 + self.rng.gauss(0, wander)
            rep.level[competency] = _clamp(value, 0.8, 5.3)

    def rate(self, value: float, spread: float, bias: float = 0.0) -> int:
        return int(_clamp(round(value + bias + self.rng.gauss(0, spread)), 1, 5))

    # --- the files ---------------------------------------------------------------------------

    def context(self, rep: _Rep) -> dict[str, str]:
        """The names one session's notes talk about."""
        rng, team = self.rng, rep.team
        product, hcps, objections, competitor = AREAS_OF_THERAPY[team.area]
        hcp = rng.choice(hcps)
        return {"name": rep.first, "product": product, "hcp": hcp,
                "a_hcp": ("an " if hcp[0] in "aeiouAEIOU" or hcp.startswith(("MDT", "MSL")) else "a ") + hcp,
                "objection": rng.choice(objections), "competitor": competitor,
                "account": rng.choice(team.accounts), "city": team.city,
                "doctor": (f"Dr {rng.choice(LAST_NAMES)}" if hcp in PHYSICIANS
                           else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"),
                "calls": str(rng.randint(4, 8)),
                "reason": rng.choice(DECLINE_REASONS), "manager": team.manager_name.split(" ")[0]}

    def observation(self, competency: str, level: int, values: dict[str, str]) -> str:
        weak, solid, strong = OBSERVATIONS[competency]
        pool = weak if level <= 2 else solid if level == 3 else strong
        return self.rng.choice(pool).format(**values)

    def objectives(self, competencies: list[str], values: dict[str, str], most: int = 2) -> list[str]:
        found: list[str] = []
        for competency in competencies[:most]:
            text = self.rng.choice(OBJECTIVES[competency]).format(**values)
            if text not in found:
                found.append(text)
        return found

    def status(self, kind: str, day: date) -> str:
        age, roll = (self.today - day).days, self.rng.random()
        if age <= 3:
            status = "draft" if roll < 0.3 else "shared"
        elif age <= 14:
            status = "shared" if roll < 0.7 else "approved" if roll < 0.95 else "draft"
        elif age <= 45:
            status = "approved" if roll < 0.65 else "shared" if roll < 0.9 else "disputed" if roll < 0.96 else "draft"
        else:
            status = ("approved" if roll < 0.915 else "shared" if roll < 0.945 else "disputed" if roll < 0.985
                      else "draft")
        if status == "disputed" and kind not in ("coaching", "observed-call", "manager-assessment", "review-360"):
            status = "approved"
        return status

    def session_file(self, rep: _Rep, session: _Session, state: dict) -> str:
        """One session record: front matter and notes, consistent with the rep's levels on that day."""
        rng, kind, values = self.rng, session.kind, self.context(rep)
        level, last = rep.level, state["last"]
        front = [f"date: {session.day.isoformat()}", f"kind: {kind}"]
        ratings: dict[str, int] = {}
        benchmark: dict[str, int] = {}
        objectives: list[str] = []
        body: list[str] = []

        if kind in ("coaching", "observed-call"):
            if state["focus_left"] <= 0:
                expected = ROLES[rep.role][1]
                ranked = sorted(COMPETENCY_IDS, key=lambda c: level[c] - expected[c] + rng.gauss(0, 0.5))
                state["focus"] = ranked[:1 if rng.random() < 0.65 else 2]
                state["focus_left"] = rng.randint(2, 3)
            state["focus_left"] -= 1
            focus = state["focus"]
            ratings = {c: self.rate(level[c], 0.3) for c in focus}
            front += [f"coach: {rep.team.manager}", f"focus: [{', '.join(focus)}]"]
            observed = []
            for competency in focus:
                name = COMPETENCIES[competency][0]
                text = self.observation(competency, ratings[competency], values)
                if competency in last:
                    move = "up" if ratings[competency] > last[competency] else \
                        "down" if ratings[competency] < last[competency] else "same"
                    text += " " + rng.choice(PROGRESS[move]).format(comp=name.lower(), Comp=name, **values)
                observed.append(text)
            closing = [rng.choice(REFLECTIONS).format(**values),
                       rng.choice(AGREEMENTS).format(comp=COMPETENCIES[focus[0]][0].lower(), **values)]
            follow_up = ""
            if state["objectives"]:
                follow_up = (f"Follow-up on last session's objective (\"{state['objectives'][0]}\"): "
                             + rng.choice(FOLLOW_UPS).format(**values))
            if kind == "coaching":
                body.append(COACHING_CONTEXTS[session.context][1].format(**values)
                            + (" " + follow_up if follow_up else ""))
                for competency, text in zip(focus, observed):
                    body.append(f"**{COMPETENCIES[competency][0]}** ({ratings[competency]}, "
                                f"{SCALE[ratings[competency]].lower()}). {text}")
                other = rng.choice([c for c in COMPETENCY_IDS if c not in focus])
                if rng.random() < 0.35 or sum(map(len, body)) < 450:
                    body.append("Outside today's focus: " + self.observation(other, rng.choice((2, 3, 4)), values))
                body.append(" ".join(closing))
            else:
                involvement = rng.choices(("observe", "assist", "lead"),
                                          (0.35, 0.35, 0.3) if (session.day - rep.joined).days < 240
                                          else (0.65, 0.3, 0.05))[0]
                front.append(f"involvement: {involvement}")
                plan = rng.choice(("agree with the {hcp} to try {product} in two suitable patients",
                                   "find out how the {hcp} selects patients for second-line therapy",
                                   "get agreement to a patient review with the practice team",
                                   "follow up last visit's commitment and agree the next step"))
                body += ["## Pre-call plan",
                         f"Objective: {plan.format(**values)}. Likely objection: {values['objection']}. "
                         f"Material: {rng.choice(MATERIALS)}.",
                         "## Situation / task", rng.choice(SITUATIONS).format(**values),
                         "## Action",
                         {"observe": "I observed only and stayed out of the conversation.",
                          "assist": "I stepped in once, to ask the {hcp} about current practice.",
                          "lead": "I led the first half as a demonstration; {name} took over for the close."
                          }[involvement].format(**values) + " " + " ".join(observed),
                         "## Result",
                         rng.choice(RESULT_SENTENCES[min(2, max(0, min(ratings.values()) - 2))]).format(**values),
                         "## Debrief", " ".join(([follow_up] if follow_up else []) + closing)]
            objectives = self.objectives(focus, values)
            state["objectives"] = objectives
            for competency in focus:
                level[competency] = min(5.3, level[competency] + {"improving": 0.1, "plateau": 0.0,
                                                                  "declining": 0.0}[rep.trajectory])
        elif kind in ("self-assessment", "manager-assessment", "review-360"):
            if kind == "self-assessment":
                ratings = {c: self.rate(level[c], 0.35, rep.self_bias) for c in COMPETENCY_IDS}
            elif kind == "manager-assessment":
                ratings = {c: self.rate(level[c], 0.25) for c in COMPETENCY_IDS}
                front.append(f"coach: {rep.team.manager}")
            else:
                raters = rng.randint(4, 9)
                ratings = {c: self.rate(level[c], 0.4, 0.1) for c in COMPETENCY_IDS}
                front.append(f"raters: {raters}")
            ranked = sorted(COMPETENCY_IDS, key=lambda c: (-ratings[c], rng.random()))
            strong, weak = ranked[:2], ranked[-2:][::-1]
            names = {c: COMPETENCIES[c][0].lower() for c in COMPETENCY_IDS}
            if kind == "self-assessment":
                probation = "probation" if (session.day - rep.joined).days < 150 else "annual"
                body += [f"My self-assessment for the {probation} review.",
                         f"I feel strongest in {names[strong[0]]} and {names[strong[1]]}. "
                         + rng.choice(("Most of my HCPs now expect a real conversation, not a product update.",
                                       "The feedback from my accounts has been good this year.",
                                       "I have put a lot of work into this since the last review.")),
                         f"The hardest part for me is still {names[weak[0]]}, especially with {values['objection']}. "
                         f"I would like more ride-alongs with {values['manager']} on {names[weak[0]]} and "
                         f"{names[weak[1]]}, and to " + rng.choice((
                             "shadow a key account manager for a day.",
                             "join the formulary preparation for {account}.".format(**values),
                             "take the advanced objection-handling workshop.",
                             "present a case at the next team meeting.")),
                         rng.choice(("Workload has been high with the launch, but I kept my call rate.",
                                     "I think my ratings are honest; happy to discuss where we differ.",
                                     "Compared with last year I plan my weeks much better."))]
                objectives = self.objectives(weak, values, most=1)
            elif kind == "manager-assessment":
                review = session.review
                period = "half year" if review == "Mid-year" else "first months" if review == "Probation" else "year"
                trend = {"improving": f"Overall a {period} of real progress; {rep.first} is using the coaching well.",
                         "plateau": f"A stable {period}: {rep.first} delivers consistently but has not moved on "
                                    f"the development areas.",
                         "declining": f"A harder {period}; several areas have slipped and we agreed to look at "
                                      f"{values['reason']} together."}[rep.trajectory]
                body += [f"{review} review with {rep.first}, with "
                         + ("the self-assessment and " if review != "Mid-year" else "")
                         + f"the ride-along notes of the {period} on the table.",
                         f"Strengths: {names[strong[0]]} and {names[strong[1]]}. "
                         + self.observation(strong[0], ratings[strong[0]], values),
                         f"Development areas: {names[weak[0]]} and {names[weak[1]]}. "
                         + self.observation(weak[0], ratings[weak[0]], values),
                         trend,
                         "The ratings below are my view against the framework's descriptors; "
                         + ("they are based on the ride-alongs since the last review." if review == "Mid-year" else
                            "where they differ from the self-assessment we discussed the evidence call by call.")]
                objectives = self.objectives(weak, values)
            else:
                peers = raters - 3
                body += [f"360 feedback for {rep.first} from {raters} raters: {peers} "
                         f"peer{'s' if peers != 1 else ''}, the MSL, a key account manager and "
                         f"{values['manager']}.",
                         f"Most consistent praise: {names[strong[0]]} (\""
                         + rng.choice(("always the first to share what works",
                                       "the HCPs trust {name}", "well prepared for every joint visit",
                                       "keeps the whole account team informed")).format(**values)
                         + f"\"). Also rated highly: {names[strong[1]]}.",
                         f"Most mentioned development area: {names[weak[0]]} (\""
                         + rng.choice(("could involve the MSL earlier", "sometimes promises follow-ups that slip",
                                       "hard to reach in launch weeks", "could share account insight more"))
                         + "\").",
                         rng.choice(("Several raters mentioned the work on {account} as an example.",
                                     "Peers value the help with {hcp} calls; the MSL asks for earlier referrals.",
                                     "The written comments are consistent with this year's ride-along notes.",
                                     "Two raters noted more confidence since the last review."
                                     )).format(**values),
                         f"We will go through the themes together at the next coaching session and compare them "
                         f"with {rep.first}'s self-assessment."]
                objectives = [f"Discuss the 360 themes on {names[weak[0]]} at the next coaching session"]
        elif kind == "customer-survey":
            responses, rate = rng.randint(9, 34), rng.randint(18, 46)
            ratings = {c: self.rate(level[c], 0.45, 0.1) for c in CUSTOMER_FACING}
            benchmark = {c: int(_clamp(round(rng.gauss(3.0, 0.6)), 1, 5)) for c in CUSTOMER_FACING}
            ahead = [COMPETENCIES[c][0].lower() for c in CUSTOMER_FACING if ratings[c] > benchmark[c]]
            behind = [COMPETENCIES[c][0].lower() for c in CUSTOMER_FACING if ratings[c] < benchmark[c]]
            comments = rng.sample(SURVEY_COMMENTS, 2)
            body += [f"Customer survey of {rep.first}'s territory by the independent survey provider: "
                     f"{responses} HCPs answered ({rate}% response rate).",
                     f"Customers rated {rep.first} on five call skills, and the representative of "
                     f"{values['competitor']} on the same scale (benchmark).",
                     f"Comments included {comments[0]} and {comments[1]}",
                     (f"Ahead of the competitor on {', '.join(ahead)}. " if ahead else "")
                     + (f"Behind on {', '.join(behind)}; worth a look at the next ride-along." if behind
                        else "Not behind the competitor on any skill.")]
        else:  # knowledge-test
            scores = {c: int(_clamp(round(35 + 13 * level[c] + rng.gauss(0, 6)), 0, 100)) for c in TESTED}
            questions = rng.choice((30, 40, 50))
            module = rng.choice(("Quarterly product", "Guideline update", "Launch readiness", "Annual compliance"))
            body += [f"{module} knowledge test: {questions} questions on {values['product']}, the treatment "
                     f"guidelines, local access and the code of practice. Pass mark 70%.",
                     "Clinical and product: {0}%. Market access: {1}%. Compliance: {2}%.".format(*scores.values()),
                     ("Passed on the first attempt." if min(scores.values()) >= 70 else
                      "Below the pass mark on one section; a retake is planned.")
                     + " Most questions missed were on " + rng.choice((
                         "the new subgroup data", "the local prescribing pathway", "adverse event reporting timelines",
                         "the updated guideline", "the hospitality rules", "the budget-impact assumptions")) + ".",
                     "Results are discussed at the next coaching session and feed the development plan."]
            front.append("scores:")
            front += [f"  {c}: {v}" for c, v in scores.items()]

        if ratings:
            front.append("ratings:")
            front += [f"  {c}: {v}" for c, v in ratings.items()]
        if kind == "customer-survey":
            front.append("benchmark:")
            front += [f"  {c}: {v}" for c, v in benchmark.items()]
        if objectives:
            front.append("objectives:")
            front += [f"  - {_q(text)}" for text in objectives]
        status = self.status(kind, session.day)
        front.append(f"status: {status}")
        if status == "approved":
            approved = min(self.today, session.day + timedelta(days=rng.choice((0, 1, 1, 2, 3, 4, 6, 9))))
            front.append(f"approved_on: {approved.isoformat()}")
        elif status == "disputed":
            rated = next(iter(ratings), "call-planning")
            front.append("dispute: " + _q(rng.choice(DISPUTES).format(comp=COMPETENCIES[rated][0].lower(),
                                                                        **values)))
        if kind in ("coaching", "observed-call", "manager-assessment"):
            for competency, value in ratings.items():
                last[competency] = value
        return "---\n" + "\n".join(front) + "\n---\n" + "\n\n".join(body) + "\n"

    def person_file(self, rep: _Rep) -> str:
        expected = ROLES[rep.role][1]
        gaps = sorted(COMPETENCY_IDS, key=lambda c: (rep.level[c] - expected[c], c))
        values = self.context(rep)
        next_roles = [ROLES[r][0].lower() for r in ROLES[rep.role][2]]
        lines = ["## Development plan", "",
                 f"{ROLES[rep.role][0]} in the {rep.team.name} team since {rep.joined.year}. "
                 + (f"Interested in growing towards {' or '.join(next_roles)}." if next_roles else ""), ""]
        lines += [f"- {COMPETENCIES[c][0]}: {self.rng.choice(OBJECTIVES[c]).format(**values)}." for c in gaps[:2]]
        lines.append(f"- Keep {COMPETENCIES[gaps[-1]][0].lower()} as a strength: "
                     f"share examples at the team meeting.")
        return (f"---\nname: {_q(rep.name)}\nrole: {rep.role}\nteam: {rep.team.id}\n"
                f"joined: {rep.joined.isoformat()}\n---\n" + "\n".join(lines) + "\n")

    def manager_file(self, team: _Team) -> str:
        joined = date(self.today.year - 11, 1, 1) + timedelta(days=self.rng.randint(0, 6 * 365))
        return (f"---\nname: {_q(team.manager_name)}\nrole: district-manager\nteam: {team.id}\n"
                f"joined: {joined.isoformat()}\n---\n## Development plan\n\n"
                f"District manager of the {team.name}. Coaching goal this year: a ride-along or coaching "
                f"session with every rep at least every six weeks, and every record approved within a week.\n")

    def team_file(self, team: _Team) -> str:
        product, _, _, _ = AREAS_OF_THERAPY[team.area]
        focus = self.rng.sample(COMPETENCY_IDS, 2)
        goals = [f"## Goals for {self.today.year}", "",
                 f"Therapy area: {team.area}; main product: {product}.", "",
                 f"- {product} listed on the formulary at {team.accounts[0]} and {team.accounts[1]}.",
                 "- A ride-along or coaching session with every rep at least every six weeks.",
                 f"- Every rep at or above the expected level in {COMPETENCIES[focus[0]][0].lower()} "
                 f"and {COMPETENCIES[focus[1]][0].lower()} by the end of the year.",
                 f"- Joint account plans with the MSL team for the top {self.rng.randint(5, 12)} accounts.",
                 "- Every coaching record shared within two days and approved within a week."]
        return (f"---\nname: {_q(team.name)}\nmanager: {team.manager}\nframework: {FRAMEWORK_ID}\n---\n"
                + "\n".join(goals) + "\n")


def _prepare_root(root: Path) -> None:
    """Create root, or accept it empty; refuse anything else so no user file is ever touched."""
    if root.is_symlink() and not root.exists():
        raise ValueError(f"'{root}' is a broken symbolic link; give a new or empty folder")
    if root.exists():
        if not root.is_dir():
            raise ValueError(f"'{root}' exists and is not a folder; give a new or empty folder")
        if any(root.iterdir()):
            raise ValueError(f"'{root}' is not empty; the demo is written only into a new or empty "
                             f"folder, so it never overwrites your files")
        return
    root.mkdir(parents=True)


README = """\
# Synthetic coaching records

Generated by `coachsite demo --reps {reps} --seed {seed} --today {today}`. Every person, account and
note here is invented; names are drawn at random from lists of first and last names.

Try: `coachsite check`, `coachsite report`.
"""


def generate(root: Path, reps: int, seed: int = 0, today: date = date(2026, 11, 26)) -> dict[str, int]:
    """Write a synthetic organisation of `reps` reps into `root` (new or empty); return the counts.

    Raises ValueError when root exists and is not an empty folder, or reps < 1. Deterministic: the same
    arguments write byte-identical files.
    """
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ValueError(f"reps must be a whole number of at least 1, not {reps!r}")
    root = Path(root)
    _prepare_root(root)
    generator = _Generator(random.Random(seed), today)
    counts = {"files": 0, "sessions": 0, "reps": reps, "teams": 0}
    made: set[Path] = set()

    def write(relative: str, text: str) -> None:
        path = root / relative
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "xb") as handle:  # exclusive: never overwrite
            handle.write(text.encode("utf-8"))
        counts["files"] += 1

    write("README.md", README.format(reps=reps, seed=seed, today=today.isoformat()))
    write("coachsite.toml", 'title = "Demo Pharma — field coaching (synthetic data)"\n')
    write(f"frameworks/{FRAMEWORK_ID}.yaml", framework_yaml())
    team_count = math.ceil(reps / TEAM_SIZE)
    teams = generator.teams(team_count)
    counts["teams"] = team_count
    history_start = today - timedelta(days=HISTORY_DAYS)
    for index, team in enumerate(teams):
        write(f"records/teams/{team.id}.md", generator.team_file(team))
        write(f"records/people/{team.manager}.md", generator.manager_file(team))
        size = reps // team_count + (1 if index < reps % team_count else 0)
        for _ in range(size):
            rep = generator.rep(team)
            sessions = generator.schedule(rep)
            state = {"focus": [], "focus_left": 0, "last": {}, "objectives": []}
            previous: date | None = None
            for session in sessions:
                generator.advance(rep, history_start, previous, session.day)
                previous = session.day
                write(f"records/sessions/{rep.id}/{session.day.isoformat()}-{session.slug}.md",
                      generator.session_file(rep, session, state))
                counts["sessions"] += 1
            write(f"records/people/{rep.id}.md", generator.person_file(rep))
    return counts

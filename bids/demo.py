"""Demo data for ``manage.py seed_demo``: the public record of the Police Transformation Fund and
bids in every workflow state generated around it.

Rows are written with ``bulk_create``, not through ``bids.services``: the services stamp the
present time on every event, while a demo needs a history that runs from 2014 to the present,
and a benchmark needs tens of thousands of bids in minutes. The builders below therefore
replay what the services would have written — the same statuses, events, notes and the same
``Tranche.paid`` / ``Tranche.spent`` sums — with dates of their own. docs/decisions/demo-data.md
explains the choices.

The data set describes the world as it stands on ``AS_OF``. The generated part comes in units
of ``UNIT_BIDS`` bids, each drawn from its own fixed seed, so ``--scale N`` builds units 0 to
N-1 and a later run only adds the units that are missing.
"""

import datetime
import random
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, get_hasher
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import reset_queries, transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from bids.models import (
    Award,
    AwardShare,
    Bid,
    BidEvent,
    Clarification,
    Criterion,
    Envelope,
    Fund,
    FundingLine,
    FundingRound,
    Payment,
    Review,
    Score,
    SpendCategory,
    SpendReturn,
    Tranche,
    weighted,
)
from bids.permissions import ANALYSTS, APPROVERS
from bids.reference import sync_groups
from forces.models import Collaboration, CollaborationMembership, Force, OfficeMembership
from fundtracker.money import MONEY_FIELD, ZERO, format_gbp
from fundtracker.years import fy_label

Status = Bid.Status
Action = BidEvent.Action
TrancheStatus = Tranche.Status
ReturnStatus = SpendReturn.Status
Recommendation = Review.Recommendation

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
# The demo's "today": nothing in the data happens after it, whatever day the seed runs.
AS_OF = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SEED = "fundtracker-demo"
BATCH_SIZE = 1000
UNIT_BIDS = 500
DAY = datetime.timedelta(days=1)


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    first_name: str
    last_name: str
    staff: bool = False
    superuser: bool = False
    group: str = ""
    force: str = ""
    job_title: str = ""


# Documented in docs/decisions/demo-data.md and printed by every run: for a local demo only.
DEMO_ACCOUNTS = [
    DemoAccount(
        "Administrator (superuser)",
        "admin",
        "demo-admin-2016",
        "Alex",
        "Morgan",
        staff=True,
        superuser=True,
    ),
    DemoAccount(
        "Analyst", "analyst", "demo-analyst-2016", "Priya", "Shah", staff=True, group=ANALYSTS
    ),
    DemoAccount(
        "Second analyst",
        "analyst2",
        "demo-reviewer-2016",
        "Tom",
        "Okafor",
        staff=True,
        group=ANALYSTS,
    ),
    DemoAccount(
        "Approver", "approver", "demo-approver-2016", "Helen", "Marsh", staff=True, group=APPROVERS
    ),
    DemoAccount(
        "PCC office, Nottinghamshire (lead of the East Midlands bid)",
        "notts-office",
        "demo-eastmids-lead-2016",
        "Sam",
        "Carter",
        force="nottinghamshire",
        job_title="Head of strategy, Office of the PCC",
    ),
    DemoAccount(
        "PCC office, Leicestershire (partner)",
        "leics-office",
        "demo-eastmids-partner-2016",
        "Jo",
        "Patel",
        force="leicestershire",
        job_title="Policy officer, Office of the PCC",
    ),
]
# More analysts so bids can have three or four reviewers, and a second approver; they cannot
# sign in (unusable passwords) and exist only as names in the generated history.
POOL_ANALYSTS = ["analyst3", "analyst4", "analyst5", "analyst6", "analyst7", "analyst8"]
POOL_APPROVERS = ["approver2"]

FIRST_NAMES = [
    "Aisha", "Ben", "Catherine", "Daniel", "Eleanor", "Farid", "Grace", "Harry", "Imogen",
    "James", "Kiran", "Laura", "Mohammed", "Nadia", "Owen", "Rachel", "Simon", "Tariq",
    "Una", "Victoria", "William", "Yasmin", "Zoe", "Gareth", "Rhian", "Siobhan", "Declan",
    "Fiona", "Graham", "Hannah", "Ian", "Joanne", "Kevin", "Lucy", "Martin", "Nicola",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Bennett", "Chowdhury", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Mitchell", "Nolan", "O'Brien", "Parker", "Quinn", "Roberts",
    "Singh", "Thomas", "Underwood", "Vaughan", "Walker", "Young", "Ahmed", "Brennan", "Clarke",
    "Dixon", "Ellis", "Foster", "Griffiths", "Hall", "Jenkins", "Kaur", "Lloyd", "Morris",
]  # fmt: skip


@dataclass
class AccountResult:
    account: DemoAccount
    state: str  # "created", "kept" or "changed"


def ensure_accounts() -> list[AccountResult]:
    """Create the demo accounts, or leave existing ones (and their passwords) as they are."""
    sync_groups()
    groups = {g.name: g for g in Group.objects.filter(name__in=[ANALYSTS, APPROVERS])}
    forces = {f.slug: f for f in Force.objects.filter(slug__in=[a.force for a in DEMO_ACCOUNTS])}
    results = []
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = User(
                username=account.username,
                first_name=account.first_name,
                last_name=account.last_name,
                email=f"{account.username}@example.org",
                is_staff=account.staff,
                is_superuser=account.superuser,
            )
            validate_password(account.password, user)
            user.password = _demo_password_hash(account.password)
            user.save()
            state = "created"
        else:
            # Keep whatever password the account has; only report when it is no longer ours.
            # No setter: checking must not re-hash (and slow down) the stored password.
            state = "kept" if check_password(account.password, user.password) else "changed"
            changed = False
            for name, value in (("is_staff", account.staff), ("is_superuser", account.superuser)):
                if value and not getattr(user, name):
                    setattr(user, name, True)
                    changed = True
            if changed:
                user.save(update_fields=["is_staff", "is_superuser"])
        if account.group:
            user.groups.add(groups[account.group])
        if account.force:
            OfficeMembership.objects.get_or_create(
                user=user,
                defaults={"force": forces[account.force], "job_title": account.job_title},
            )
        results.append(AccountResult(account, state))
    return results


def _demo_password_hash(password: str) -> str:
    """The password hashed with a low PBKDF2 work factor.

    The demo passwords are published, so a slow hash protects nothing, and the default million
    iterations would take most of a run. Django re-hashes with its full work factor at the first
    sign-in. Other hashers (or a test's) are used as configured.
    """
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=1000)
    return hasher.encode(password, hasher.salt())


def _ensure_pool_users(forces: list[Force]) -> None:
    """One PCC office user for every force without a demo account, and the reviewer pool."""
    demo_forces = {a.force for a in DEMO_ACCOUNTS if a.force}
    wanted: dict[str, tuple[str, Force | None]] = {}
    rng = random.Random(f"{SEED}-people")
    for username in POOL_ANALYSTS:
        wanted[username] = (ANALYSTS, None)
    for username in POOL_APPROVERS:
        wanted[username] = (APPROVERS, None)
    for force in forces:
        if force.slug not in demo_forces:
            wanted[f"{force.slug}-office"] = ("", force)
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    new = []
    for username in wanted:  # draw names for every user so names do not depend on what exists
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if username not in existing:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                is_staff=bool(wanted[username][0]),
            )
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new, batch_size=BATCH_SIZE)
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    groups = {g.name: g for g in Group.objects.filter(name__in=[ANALYSTS, APPROVERS])}
    through = User.groups.through
    in_group = set(
        through.objects.filter(user__username__in=wanted).values_list("user_id", "group_id")
    )
    through.objects.bulk_create(
        [
            through(user_id=users[name].pk, group_id=groups[group].pk)
            for name, (group, _) in wanted.items()
            if group and (users[name].pk, groups[group].pk) not in in_group
        ]
    )
    with_office = set(
        OfficeMembership.objects.filter(user__username__in=wanted).values_list("user_id", flat=True)
    )
    OfficeMembership.objects.bulk_create(
        [
            OfficeMembership(
                user=users[name], force=force, job_title="Policy officer, Office of the PCC"
            )
            for name, (_, force) in wanted.items()
            if force is not None and users[name].pk not in with_office
        ]
    )


# --------------------------------------------------------------------------- funds and rounds


FUNDS = [
    (
        "PTF",
        "Police Transformation Fund",
        "police-transformation-fund",
        "Home Office fund for transforming policing: £76.4m in 2016/17 and £175m a year from "
        "2017/18.",
    ),
    (
        "PIF",
        "Police Innovation Fund",
        "police-innovation-fund",
        "The Police Transformation Fund's predecessor, for 2014/15 and 2015/16.",
    ),
]

# (name, weight, max score, guidance)
CRITERIA = [
    (
        "Strategic fit",
        Decimal(20),
        5,
        "Fit with the Policing Vision 2025, the fund's priorities and the police and crime plan.",
    ),
    (
        "Public outcomes through innovation",
        Decimal(25),
        10,
        "What the public will notice: safer places, victims better served, crime prevented — "
        "and how new the approach is.",
    ),
    (
        "Collaboration and scale",
        Decimal(20),
        5,
        "Work with other forces and public services, and how far the benefits could spread.",
    ),
    (
        "Deliverability",
        Decimal(20),
        5,
        "Plan, governance, milestones, risks and the capacity to deliver them.",
    ),
    (
        "Value for money",
        Decimal(15),
        5,
        "Costs, cashable and non-cashable benefits, local match funding and sustainability.",
    ),
]

CATEGORY_SLUGS = [
    "armed-policing",
    "digital",
    "specialist-capabilities",
    "child-sexual-abuse-and-exploitation",
    "forensics",
    "collaboration-and-shared-services",
    "workforce",
    "other-transformation",
]

# What the 2016/17 round set aside for 2016/17 (design §1: £76.4m, of which £34m armed policing,
# £4.6m digital and £3m specialist capabilities; the split of the rest is ours).
ENVELOPES_2016 = {
    "armed-policing": 34_000_000,
    "digital": 4_600_000,
    "specialist-capabilities": 3_000_000,
    "child-sexual-abuse-and-exploitation": 6_500_000,
    "forensics": 5_200_000,
    "collaboration-and-shared-services": 14_600_000,
    "workforce": 4_500_000,
    "other-transformation": 4_000_000,
}
# £175m a year from 2017/18 (design §1), split by us.
ENVELOPES_175M = {
    "armed-policing": 30_000_000,
    "digital": 60_000_000,
    "specialist-capabilities": 35_000_000,
    "child-sexual-abuse-and-exploitation": 12_000_000,
    "forensics": 15_000_000,
    "collaboration-and-shared-services": 10_000_000,
    "workforce": 8_000_000,
    "other-transformation": 5_000_000,
}


@dataclass(frozen=True)
class RoundSpec:
    key: str
    fund: str
    name: str
    first_year: int
    last_year: int
    opens: datetime.date
    closes: datetime.date
    decision: datetime.date | None
    published: datetime.datetime | None
    status: str
    # {(financial year, category slug): pounds}; every other year and category of the round
    # gets an envelope sized from the awards made (``refresh_derived_envelopes``).
    envelopes: dict = field(default_factory=dict)
    size: float = 1.0  # scales the amounts generated bids ask for

    @property
    def slug(self) -> str:
        return slugify(f"{self.fund} {self.name.replace('/', '-')}")

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """``hour``:``minute`` in London on ``day``, in UTC.

    Every time is kept in UTC so that adding days is the same across a change of clocks,
    whether a round was just created (London time) or read back (UTC).
    """
    local = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
    return local.astimezone(UTC)


D = datetime.date
OPEN_ROUND, CLOSED_ROUND = "ptf-2027", "ptf-2026-2"


def _yearly_round(year: int) -> RoundSpec:
    """A made-up annual PTF round after 2017/18: bids in the winter, awards before April."""
    return RoundSpec(
        f"ptf-{year}",
        "PTF",
        f"{fy_label(year)} round 1",
        year,
        year + 2,
        D(year - 1, 10, 2),
        D(year, 1, 31),
        D(year, 3, 16),
        _at(D(year, 3, 30), 9, 30),
        FundingRound.Status.DECIDED,
    )


BASE_ROUNDS = [
    RoundSpec(
        "pif-2014",
        "PIF",
        "2014/15 round 1",
        2014,
        2014,
        D(2013, 10, 1),
        D(2014, 1, 17),
        D(2014, 3, 14),
        _at(D(2014, 3, 28), 9, 30),
        FundingRound.Status.DECIDED,
    ),
    RoundSpec(
        "pif-2015",
        "PIF",
        "2015/16 round 1",
        2015,
        2015,
        D(2014, 10, 1),
        D(2015, 1, 16),
        D(2015, 3, 13),
        _at(D(2015, 3, 27), 9, 30),
        FundingRound.Status.DECIDED,
    ),
    RoundSpec(
        "ptf-2016",
        "PTF",
        "2016/17 round 1",
        2016,
        2017,
        D(2016, 2, 1),
        D(2016, 4, 29),
        D(2016, 7, 28),
        _at(D(2016, 8, 5), 9, 30),
        FundingRound.Status.DECIDED,
        envelopes={
            **{(2016, slug): amount for slug, amount in ENVELOPES_2016.items()},
            (2017, "digital"): 4_000_000,
            (2017, "forensics"): 500_000,
            (2017, "other-transformation"): 1_200_000,
        },
    ),
    RoundSpec(
        "ptf-2017",
        "PTF",
        "2017/18 round 1",
        2017,
        2019,
        D(2016, 11, 1),
        D(2017, 2, 10),
        D(2017, 8, 10),
        _at(D(2017, 8, 23), 9, 30),
        FundingRound.Status.DECIDED,
        envelopes={(2017, slug): amount for slug, amount in ENVELOPES_175M.items()},
        size=2.5,
    ),
    *(_yearly_round(year) for year in range(2018, 2027)),
    RoundSpec(
        CLOSED_ROUND,
        "PTF",
        "2026/27 round 2",
        2026,
        2027,
        D(2026, 6, 1),
        D(2026, 9, 30),
        D(2026, 12, 11),
        None,
        FundingRound.Status.CLOSED,
    ),
    RoundSpec(
        OPEN_ROUND,
        "PTF",
        "2027/28 round 1",
        2027,
        2028,
        D(2026, 10, 1),
        D(2027, 1, 31),
        D(2027, 3, 19),
        None,
        FundingRound.Status.OPEN,
        envelopes={
            **{(2027, slug): amount for slug, amount in ENVELOPES_175M.items()},
            **{(2028, slug): amount // 2 for slug, amount in ENVELOPES_175M.items()},
        },
    ),
]

SUPPLEMENTARY_CALLS = ["national capabilities call", "force transformation call"]
SUPPLEMENTARY_YEARS = range(2018, 2024)


def supplementary_round(index: int) -> RoundSpec:
    """Extra rounds that hold the decided bids of units 1 and up (only ``--scale`` > 1).

    Their years are all past, so every tranche has its payments and four spend returns.
    """
    year = SUPPLEMENTARY_YEARS[index // len(SUPPLEMENTARY_CALLS)]
    call = index % len(SUPPLEMENTARY_CALLS)
    opens, closes, decision, published = [
        (D(year - 1, 4, 3), D(year - 1, 6, 30), D(year - 1, 10, 13), D(year - 1, 10, 27)),
        (D(year - 1, 6, 1), D(year - 1, 8, 31), D(year - 1, 12, 1), D(year - 1, 12, 15)),
    ][call]
    return RoundSpec(
        f"supplementary-{index}",
        "PTF",
        f"{fy_label(year)} {SUPPLEMENTARY_CALLS[call]}",
        year,
        year + 2,
        opens,
        closes,
        decision,
        _at(published, 9, 30),
        FundingRound.Status.DECIDED,
    )


SUPPLEMENTARY_COUNT = len(SUPPLEMENTARY_YEARS) * len(SUPPLEMENTARY_CALLS)


def round_specs(scale: int) -> list[RoundSpec]:
    extra = min(max(scale - 1, 0), SUPPLEMENTARY_COUNT)
    return [*BASE_ROUNDS, *(supplementary_round(i) for i in range(extra))]


def _ensure_rounds(specs: list[RoundSpec], funds: dict[str, Fund], categories) -> dict:
    """Create missing rounds, criteria and fixed envelopes; existing ones are left alone."""
    existing = {r.slug: r for r in FundingRound.objects.filter(slug__in=[s.slug for s in specs])}
    rounds = {}
    for spec in specs:
        funding_round = existing.get(spec.slug)
        if funding_round is None:
            funding_round = FundingRound.objects.create(
                fund=funds[spec.fund],
                name=spec.name,
                slug=spec.slug,
                first_financial_year=spec.first_year,
                last_financial_year=spec.last_year,
                opens_at=_at(spec.opens, 9),
                closes_at=_at(spec.closes, 17),
                decision_date=spec.decision,
                results_published_at=spec.published,
                status=spec.status,
            )
        rounds[spec.key] = funding_round
    have = set(Criterion.objects.filter(round__in=rounds.values()).values_list("round_id", "name"))
    Criterion.objects.bulk_create(
        [
            Criterion(
                round=r, name=name, weight=weight, max_score=top, guidance=guidance, order=order
            )
            for r in rounds.values()
            for order, (name, weight, top, guidance) in enumerate(CRITERIA, start=1)
            if (r.pk, name) not in have
        ]
    )
    have = set(
        Envelope.objects.filter(round__in=rounds.values()).values_list(
            "round_id", "category_id", "financial_year"
        )
    )
    Envelope.objects.bulk_create(
        [
            Envelope(
                round=rounds[spec.key],
                category=categories[slug],
                financial_year=year,
                amount=Decimal(amount),
            )
            for spec in specs
            for (year, slug), amount in spec.envelopes.items()
            if (rounds[spec.key].pk, categories[slug].pk, year) not in have
        ]
    )
    return rounds


def refresh_derived_envelopes(specs: list[RoundSpec], rounds: dict) -> None:
    """Size every envelope not fixed by the public record from what the round awarded.

    The envelope is the allocation plus 10–34 % headroom (a fixed share per envelope), rounded
    up to £100,000, and at least £500,000, so awards always fit inside their envelopes.
    """
    categories = list(SpendCategory.objects.filter(slug__in=CATEGORY_SLUGS))
    round_ids = [rounds[s.key].pk for s in specs]
    allocated = {
        (row["award__bid__round"], row["award__bid__spend_category"], row["financial_year"]): row[
            "total"
        ]
        for row in Tranche.objects.filter(award__bid__round__in=round_ids)
        .values("award__bid__round", "award__bid__spend_category", "financial_year")
        .annotate(total=Sum("amount"))
    }
    existing = {
        (e.round_id, e.category_id, e.financial_year): e
        for e in Envelope.objects.filter(round__in=round_ids)
    }
    new, changed = [], []
    for spec in specs:
        funding_round = rounds[spec.key]
        for year in spec.years:
            for category in categories:
                if (year, category.slug) in spec.envelopes:
                    continue
                key = (funding_round.pk, category.pk, year)
                spent = int(allocated.get(key) or 0)
                headroom = 110 + zlib.crc32(f"{spec.slug}/{category.slug}/{year}".encode()) % 25
                amount = Decimal(max(-(-spent * headroom // 100 // 100_000) * 100_000, 500_000))
                envelope = existing.get(key)
                if envelope is None:
                    new.append(
                        Envelope(
                            round=funding_round,
                            category=category,
                            financial_year=year,
                            amount=amount,
                        )
                    )
                elif envelope.amount != amount:
                    envelope.amount = amount
                    changed.append(envelope)
    Envelope.objects.bulk_create(new, batch_size=BATCH_SIZE)
    Envelope.objects.bulk_update(changed, ["amount"], batch_size=BATCH_SIZE)


# --------------------------------------------------------------------------- collaborations


# (slug, name, lead, partners, description)
COLLABORATIONS = [
    (
        "east-midlands-tri-force",
        "East Midlands tri-force",
        "nottinghamshire",
        ["leicestershire", "northamptonshire"],
        "Nottinghamshire, Leicestershire and Northamptonshire: one technology plan for three "
        "forces.",
    ),
    (
        "south-east-digital-partnership",
        "South East digital information-sharing partnership",
        "hampshire",
        ["surrey", "sussex", "thames-valley"],
        "Four forces of the South East sharing information on one digital platform.",
    ),
    (
        "eastern-seven-force-athena",
        "Eastern seven-force collaboration (Athena)",
        "hertfordshire",
        ["bedfordshire", "cambridgeshire", "norfolk", "suffolk", "essex", "kent"],
        "Seven forces of the East of England and Kent sharing the Athena IT system for "
        "investigations, custody and case preparation.",
    ),
    (
        "north-east-tri-force",
        "North East tri-force",
        "northumbria",
        ["durham", "cleveland"],
        "The three forces of the North East region.",
    ),
    (
        "yorkshire-and-the-humber-regional",
        "Yorkshire and the Humber regional collaboration",
        "west-yorkshire",
        ["south-yorkshire", "north-yorkshire", "humberside"],
        "The four forces of Yorkshire and the Humber.",
    ),
    (
        "north-west-regional",
        "North West regional collaboration",
        "greater-manchester",
        ["lancashire", "merseyside", "cheshire", "cumbria"],
        "The five forces of the North West.",
    ),
    (
        "west-midlands-regional",
        "West Midlands regional collaboration",
        "west-midlands",
        ["staffordshire", "west-mercia", "warwickshire"],
        "The four forces of the West Midlands region.",
    ),
    (
        "south-west-five-force",
        "South West five-force collaboration",
        "avon-and-somerset",
        ["devon-and-cornwall", "dorset", "gloucestershire", "wiltshire"],
        "The five forces of the South West.",
    ),
    (
        "all-wales",
        "All-Wales policing collaboration",
        "south-wales",
        ["gwent", "dyfed-powys", "north-wales"],
        "The four Welsh forces.",
    ),
    (
        "london-forces",
        "London forces collaboration",
        "metropolitan",
        ["city-of-london", "btp"],
        "The Metropolitan Police Service, City of London Police and British Transport Police.",
    ),
]


def _ensure_collaborations(forces: dict[str, Force]) -> None:
    have = {c.slug: c for c in Collaboration.objects.all()}
    for slug, name, _, _, description in COLLABORATIONS:
        if slug not in have:
            have[slug] = Collaboration.objects.create(slug=slug, name=name, description=description)
    members = set(CollaborationMembership.objects.values_list("collaboration_id", "force_id"))
    CollaborationMembership.objects.bulk_create(
        [
            CollaborationMembership(
                collaboration=have[slug],
                force=forces[member],
                role=CollaborationMembership.Role.LEAD
                if member == lead
                else CollaborationMembership.Role.PARTNER,
            )
            for slug, _, lead, partners, _ in COLLABORATIONS
            for member in [lead, *partners]
            if (have[slug].pk, forces[member].pk) not in members
        ]
    )


# --------------------------------------------------------------------------- the public record


@dataclass(frozen=True)
class RealAward:
    number: int
    lead: str
    partners: tuple[str, ...]
    collaboration: str | None
    title: str
    category: str
    tranches: dict
    summary: str
    problem: str
    bid_type: str = Bid.BidType.IMPLEMENTATION_READY


# The 2016/17 round: "£23m to 14 projects led by 10 forces". The first four and Norfolk's three
# projects are on the public record (design §1; Norfolk's amounts were not published, so ours are
# made up); the other seven are plausible inventions that complete the round.
REAL_AWARDS = [
    RealAward(
        1,
        "nottinghamshire",
        ("leicestershire", "northamptonshire"),
        "east-midlands-tri-force",
        "East Midlands integrated technology",
        "digital",
        {2016: 2_240_000, 2017: 3_500_000},
        "Nottinghamshire, Leicestershire and Northamptonshire will replace three forces' "
        "separate systems with one integrated technology platform.",
        "Three forces run different systems for the same work and pay to maintain all three.",
    ),
    RealAward(
        2,
        "hampshire",
        ("surrey", "sussex", "thames-valley"),
        "south-east-digital-partnership",
        "Digital information-sharing platform for the South East",
        "digital",
        {2016: 1_500_000},
        "Hampshire, Surrey, Sussex and Thames Valley will share intelligence and case "
        "information on one digital platform.",
        "Officers cannot see what neighbouring forces know about the people they deal with.",
    ),
    RealAward(
        3,
        "west-yorkshire",
        (),
        None,
        "Digital transmission of crime-scene images (fingerprints and footwear marks)",
        "forensics",
        {2016: 280_000, 2017: 420_000},
        "Crime-scene examiners will send images of fingerprints and footwear marks digitally, "
        "so identifications come in hours rather than days.",
        "Lifts and photographs travel by courier to the bureau, so identifications take days.",
    ),
    RealAward(
        4,
        "hertfordshire",
        ("bedfordshire", "cambridgeshire", "norfolk", "suffolk", "essex", "kent"),
        "eastern-seven-force-athena",
        "Strategic collaboration: the Athena shared IT system",
        "collaboration-and-shared-services",
        {2016: 660_000},
        "Seven forces will deepen their strategic collaboration on the shared Athena system for "
        "investigations, custody and case preparation.",
        "Each force runs its own processes around the shared system, losing its benefits.",
    ),
    RealAward(
        5,
        "norfolk",
        (),
        None,
        "Facial recognition in the Child Abuse Image Database",
        "child-sexual-abuse-and-exploitation",
        {2016: 420_000},
        "Facial recognition in the Child Abuse Image Database will help identify victims and "
        "offenders faster and spare investigators repeated viewing of images.",
        "Investigators search images by hand; victims in new images go unidentified for months.",
    ),
    RealAward(
        6,
        "norfolk",
        (),
        None,
        "Online child sexual exploitation: digital triage for investigators",
        "child-sexual-abuse-and-exploitation",
        {2016: 310_000},
        "Triage tools will let investigators find indecent images on seized devices within "
        "hours, so children at risk are safeguarded sooner.",
        "Seized devices wait months for examination while suspects stay in contact with children.",
    ),
    RealAward(
        7,
        "norfolk",
        (),
        None,
        "Child sexual abuse victims' hub with health and social care",
        "child-sexual-abuse-and-exploitation",
        {2016: 270_000},
        "A hub shared with health and social care will support victims of child sexual abuse "
        "from first report to court.",
        "Victims tell their story to several agencies and many withdraw before trial.",
        Bid.BidType.PROOF_OF_CONCEPT,
    ),
    RealAward(
        8,
        "metropolitan",
        (),
        None,
        "Firearms training pipeline for the armed policing uplift",
        "armed-policing",
        {2016: 3_400_000},
        "More instructors and range time to train the additional armed officers London needs.",
        "Training capacity limits how quickly London can add the armed officers it needs.",
    ),
    RealAward(
        9,
        "metropolitan",
        (),
        None,
        "Body-worn video for armed officers",
        "armed-policing",
        {2016: 1_200_000},
        "Every armed officer will wear a camera, recording deployments for evidence and "
        "accountability.",
        "Armed deployments are recorded only in officers' notes, which are contested afterwards.",
    ),
    RealAward(
        10,
        "west-midlands",
        (),
        None,
        "Regional counter-terrorism armed response training",
        "armed-policing",
        {2016: 2_500_000},
        "Training for counter-terrorism specialist firearms officers serving the region.",
        "The region relies on other forces for its counter-terrorism specialist firearms officers.",
    ),
    RealAward(
        11,
        "west-midlands",
        (),
        None,
        "Data-driven insights: a shared analytics capability",
        "other-transformation",
        {2016: 1_400_000, 2017: 1_100_000},
        "One analytics platform that joins the force's data to predict demand and spot "
        "vulnerable people earlier.",
        "Data sits in dozens of systems that cannot be searched together.",
        Bid.BidType.PROOF_OF_CONCEPT,
    ),
    RealAward(
        12,
        "greater-manchester",
        (),
        None,
        "Shared control room with fire and rescue",
        "collaboration-and-shared-services",
        {2016: 1_800_000},
        "Police and fire and rescue will take and dispatch emergency calls from one control room.",
        "Two control rooms take calls about the same incidents and dispatch separately.",
    ),
    RealAward(
        13,
        "avon-and-somerset",
        (),
        None,
        "Regional cyber crime and digital forensics capability",
        "specialist-capabilities",
        {2016: 1_150_000},
        "A regional team to investigate cyber crime and examine digital devices for the South "
        "West forces.",
        "No force in the region can investigate complex cyber crime on its own.",
    ),
    RealAward(
        14,
        "lancashire",
        (),
        None,
        "Specialist training for child sexual exploitation investigators",
        "workforce",
        {2016: 850_000},
        "Accredited training for detectives and staff who investigate child sexual exploitation.",
        "Few investigators are trained for the complexity of child sexual exploitation cases.",
    ),
]


def real_reference(award: RealAward) -> str:
    return f"PTF-2016-{award.number:04d}"


# --------------------------------------------------------------------------- themes and words


@dataclass(frozen=True)
class Theme:
    category: str
    title: str
    does: str
    outcome: str
    problem: str


THEMES = [
    Theme(
        "digital",
        "Body-worn video for frontline officers",
        "issue body-worn cameras to every response and neighbourhood officer",
        "more early guilty pleas and fewer complaints",
        "Officers' accounts of incidents are disputed in court and in complaints.",
    ),
    Theme(
        "digital",
        "Digital evidence transfer to the Crown Prosecution Service",
        "send case files and media to prosecutors digitally instead of on discs",
        "cases are ready for the first hearing",
        "Officers still burn video evidence to discs and drive them to prosecutors.",
    ),
    Theme(
        "digital",
        "Mobile data for response and neighbourhood officers",
        "give officers tablets with access to force systems on patrol",
        "officers spend more of their shift in the community",
        "Officers return to the station to check records and write up reports.",
    ),
    Theme(
        "digital",
        "Digital interview recording",
        "replace tape-based interview recording with digital recording and secure storage",
        "interviews are shared with prosecutors the same day",
        "Interview tapes are copied by hand and the machines are out of support.",
    ),
    Theme(
        "digital",
        "Online crime reporting and digital public contact",
        "let the public report crime and follow their case online",
        "call handlers are free for emergencies",
        "Non-emergency calls take most call handlers' time.",
    ),
    Theme(
        "digital",
        "Digital evidence management system",
        "store all digital evidence in one searchable, audited system",
        "evidence is found in minutes and kept only as long as it is needed",
        "Digital evidence sits on discs, drives and desktops across the force.",
    ),
    Theme(
        "digital",
        "Cloud migration of core policing systems",
        "move records, intelligence and case systems to an assured cloud service",
        "systems stay available and cost less to run",
        "Ageing data centres are expensive and fail at busy times.",
    ),
    Theme(
        "armed-policing",
        "Armed response vehicle uplift",
        "recruit, train and equip additional armed response vehicle crews",
        "armed officers reach a terrorist attack within minutes",
        "Armed response times in rural areas fall short of the national standard.",
    ),
    Theme(
        "armed-policing",
        "Firearms training facility",
        "build a modern indoor range and scenario village shared by neighbouring forces",
        "armed officers train for realistic threats close to home",
        "Officers travel hundreds of miles to train on scenarios they may face.",
    ),
    Theme(
        "armed-policing",
        "Counter-terrorism specialist firearms officers",
        "train more counter-terrorism specialist firearms officers",
        "the region can respond to a marauding terrorist attack",
        "The region depends on mutual aid for its counter-terrorism response.",
    ),
    Theme(
        "armed-policing",
        "Less-lethal options: Taser training and equipment",
        "train more officers in Taser use and the decision-making that goes with it",
        "dangerous incidents are resolved with less harm",
        "Few frontline officers carry less-lethal options.",
    ),
    Theme(
        "specialist-capabilities",
        "Regional cyber crime unit",
        "build a regional team to investigate cyber crime and support victims",
        "victims of online fraud and hacking get an investigation, not just a crime number",
        "Cyber crime is rising while few officers have the skills to investigate it.",
    ),
    Theme(
        "specialist-capabilities",
        "Shared surveillance capability",
        "combine the forces' surveillance teams under one command",
        "covert operations are available to every force at any time",
        "Each force keeps a small surveillance team that cannot cover every operation.",
    ),
    Theme(
        "specialist-capabilities",
        "Drone capability for search and major incidents",
        "operate drones for missing-person searches, road collisions and major incidents",
        "searches are quicker and the helicopter is kept for what only it can do",
        "Searches for missing people take many officers and hours.",
    ),
    Theme(
        "specialist-capabilities",
        "Automatic number plate recognition (ANPR) network upgrade",
        "replace and extend the ANPR camera network on the strategic road network",
        "travelling criminals are stopped before they reach the next force area",
        "Gaps in ANPR coverage let organised criminals move unseen.",
    ),
    Theme(
        "specialist-capabilities",
        "Regional organised crime unit asset recovery team",
        "expand financial investigation and asset recovery in the regional unit",
        "criminals lose the proceeds of their crimes",
        "Confiscation orders go unenforced for lack of financial investigators.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Child Abuse Image Database grading and triage",
        "connect the force's image grading to the Child Abuse Image Database",
        "victims in images are identified and safeguarded sooner",
        "Investigators grade the same images again for every case.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Online child sexual exploitation investigation team",
        "set up a dedicated team for online child sexual exploitation referrals",
        "referrals are assessed within days and children at risk are safeguarded",
        "Referrals from the National Crime Agency wait months for assessment.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Multi-agency safeguarding hub",
        "bring police, social care, health and education into one safeguarding hub",
        "concerns about a child are shared and acted on the same day",
        "Agencies hold pieces of information that no one puts together.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Missing children and exploitation mapping",
        "map missing episodes, locations and associates to spot exploitation early",
        "exploited children are found and protected earlier",
        "Repeat missing episodes are handled one at a time.",
    ),
    Theme(
        "forensics",
        "Digital forensics triage kiosks",
        "put self-service triage kiosks for phones in every custody suite",
        "devices are returned to victims in days, not months",
        "Backlogs in the digital forensics unit delay charging decisions.",
    ),
    Theme(
        "forensics",
        "Rapid fingerprint and DNA processing",
        "process fingerprints and DNA from priority crime scenes within 24 hours",
        "offenders are identified before they reoffend",
        "Forensic results arrive weeks after the scene was examined.",
    ),
    Theme(
        "forensics",
        "Accreditation of digital forensic laboratories",
        "bring the digital forensic laboratories to ISO 17025 accreditation",
        "digital evidence stands up in court",
        "The Forensic Science Regulator's standards are not yet met.",
    ),
    Theme(
        "forensics",
        "Forensic collision investigation collaboration",
        "combine collision investigation units across neighbouring forces",
        "roads reopen sooner and families get answers faster",
        "Small units struggle to meet the demand of fatal collisions.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Shared control room with fire and rescue",
        "take and dispatch police and fire calls from one control room",
        "the public gets a joined-up response to emergencies",
        "Two control rooms handle the same incidents separately.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Blue-light estate sharing",
        "co-locate police, fire and ambulance teams in shared stations",
        "money saved on buildings stays in frontline services",
        "Police and fire stations stand half-empty a few streets apart.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Regional shared HR and finance service",
        "merge the forces' human resources, payroll and finance teams",
        "back-office savings are reinvested in neighbourhood policing",
        "Each force runs its own back office on its own systems.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Mental health street triage",
        "send mental health nurses with officers to people in crisis",
        "fewer people in crisis are detained in police cells",
        "People in mental health crisis end up in custody for want of another place.",
    ),
    Theme(
        "workforce",
        "Degree-holder entry and police apprenticeships",
        "introduce the new entry routes for constables with a university partner",
        "new officers are trained to a national professional standard",
        "Recruits' training has not kept pace with the complexity of the job.",
    ),
    Theme(
        "workforce",
        "Wellbeing and occupational health for officers and staff",
        "offer trauma support and faster occupational health referrals",
        "fewer days are lost to sickness and stress",
        "Sickness absence after traumatic incidents is rising.",
    ),
    Theme(
        "workforce",
        "Leadership development for sergeants and inspectors",
        "run a leadership programme for first-line supervisors",
        "supervisors lead change rather than resist it",
        "Supervisors are promoted without preparation for leading teams.",
    ),
    Theme(
        "workforce",
        "Detective recruitment and training pipeline",
        "recruit and train detectives through a direct-entry programme",
        "serious cases are investigated by accredited detectives",
        "A shortage of detectives leaves serious crimes with trainee investigators.",
    ),
    Theme(
        "other-transformation",
        "Demand analytics and predictive resourcing",
        "model demand from calls, crimes and partner data to plan shifts",
        "officers are where they are needed when they are needed",
        "Shift patterns follow habit rather than demand.",
    ),
    Theme(
        "other-transformation",
        "Domestic abuse perpetrator programme",
        "run a programme that challenges domestic abuse perpetrators to change",
        "fewer victims suffer repeat abuse",
        "Repeat domestic abuse takes a large share of response time.",
    ),
    Theme(
        "other-transformation",
        "Integrated offender management with partners",
        "manage prolific offenders jointly with probation, health and housing",
        "prolific offenders commit fewer crimes",
        "A small group of offenders commits a large share of crime.",
    ),
    Theme(
        "other-transformation",
        "Rural crime partnership",
        "set up a rural crime team with farmers, landowners and wildlife groups",
        "rural communities trust the police to tackle crime that matters to them",
        "Rural crime goes unreported because victims expect no response.",
    ),
]

DELIVERY = [
    "Delivery is planned in three phases, with benefits measured against a baseline agreed "
    "with the Home Office.",
    "A programme board chaired by the deputy chief constable will oversee delivery.",
    "The approach has been tested in a pilot and will now be rolled out force-wide.",
    "Procurement will use a national framework to shorten the timetable.",
    "An independent evaluation by a university partner is built into the plan.",
    "Running costs after the grant ends are built into the medium-term financial plan.",
]
CASE = [
    "Doing nothing would leave the force unable to meet rising demand within its budget.",
    "The HMIC PEEL inspection asked the force to improve in this area.",
    "Other forces have shown the approach works; the grant pays for the change, not the "
    "running cost.",
    "Without investment now, the cost of the current arrangements will keep rising.",
]
CLARIFICATION_QUESTIONS = [
    "How will the running costs be met once the grant ends?",
    "Please break down the 'other costs' line of the funding profile.",
    "Which partner forces have signed letters of support, and when will the rest sign?",
    "How does this bid relate to the national programme in the same area?",
    "What baseline will you measure the benefits against, and who will measure them?",
    "Please explain the drop in local match funding in the second year.",
    "What are the main procurement risks and how will you manage them?",
]
CLARIFICATION_ANSWERS = [
    "Running costs are built into the medium-term financial plan from the third year.",
    "The line covers project management, training backfill and the independent evaluation.",
    "All partners have now signed; the letters are attached to the bid.",
    "The bid has been designed with the national programme team and uses its standards.",
    "The baseline is last year's performance data; the university partner will evaluate.",
    "The second year's match funding falls because the capital purchases happen in year one.",
    "We will buy through a national framework; the main risk is supplier capacity.",
]
CONFLICT_DETAILS = [
    "I worked in the lead force's change team until last year.",
    "A close family member is employed by the lead force.",
    "I advised the partner forces on an earlier version of this bid.",
]
JUSTIFICATIONS = {
    # score band: (strong, good, adequate, weak)
    "Strategic fit": (
        "Squarely on the fund's priorities and the police and crime plan.",
        "Fits the fund's priorities; the local plan link could be clearer.",
        "Some fit, but the link to national priorities is asserted rather than shown.",
        "Little connection to the fund's priorities.",
    ),
    "Public outcomes through innovation": (
        "Clear, measurable outcomes for the public from a genuinely new approach.",
        "Good outcomes; the approach is new to the force if not to policing.",
        "Outcomes are described but not measured; limited innovation.",
        "Outcomes for the public are unclear.",
    ),
    "Collaboration and scale": (
        "Several forces and partners committed, with a route to national roll-out.",
        "Good partnership working; scale beyond the partners is uncertain.",
        "Single-force bid with some partner involvement.",
        "No meaningful collaboration.",
    ),
    "Deliverability": (
        "Realistic plan, strong governance, risks understood.",
        "Credible plan; some milestones are optimistic.",
        "Plan lacks detail on procurement and resourcing.",
        "Not deliverable in the time or with the resources described.",
    ),
    "Value for money": (
        "Strong benefits case with cashable savings and local match funding.",
        "Reasonable costs; benefits partly quantified.",
        "Costs are high for the benefits shown.",
        "Poor value for money.",
    ),
}
REVIEW_COMMENTS = {
    Recommendation.FUND: "A strong bid; fund as requested.",
    Recommendation.FUND_WITH_CONDITIONS: "Fund, subject to a clearer benefits plan.",
    Recommendation.DO_NOT_FUND: "Does not make the case for funding in this round.",
}
MODERATION = {
    True: [
        "Reviewers agree the bid is strong.",
        "Recommended; the panel should attach a condition on benefits tracking.",
        "Recommended after moderation of the deliverability scores.",
    ],
    False: [
        "Reviewers agree the bid does not meet the threshold.",
        "Not recommended: the benefits case is weak.",
        "Not recommended after moderation: deliverability concerns.",
    ],
}
APPROVAL_NOTES = [
    "Approved by the funding panel.",
    "Approved by the funding panel; progress reports quarterly.",
    "Approved by the funding panel as a proof of concept.",
]
CONDITIONS = [
    "An evaluation plan agreed with the Home Office within three months.",
    "Quarterly benefits reports to the programme board.",
    "Partner forces to confirm their match funding before the second tranche.",
]
REJECTIONS = [
    "The panel did not find a strong enough case for change.",
    "Deliverability risks too high for the amount requested.",
    "The category's envelope is fully allocated to higher-scoring bids.",
    "Duplicates a national programme already funded.",
]
WITHDRAWALS = [
    "The force will fund the project from reserves.",
    "Partner forces could not commit match funding in time.",
    "The project has been merged into a regional bid.",
    "Priorities changed after the new chief constable's review.",
]
SPEND_NARRATIVES = [
    "Project team recruited; supplier onboarding.",
    "Licences and the first phase of the data migration.",
    "Equipment delivered and training under way.",
    "Roll-out to the first two policing areas.",
    "Roll-out completed; benefits tracking started.",
    "Training backfill and change management.",
    "Evaluation fieldwork and final supplier milestone.",
]
RETURN_REASONS = [
    "Please attach the supplier invoices for the equipment line.",
    "The narrative does not match the amount claimed; please reconcile.",
    "Spend includes costs outside the award's scope; please remove them.",
]
WITHHOLD_REASONS = [
    "Milestones missed; the tranche is held until a recovery plan is agreed.",
    "Condition of award not met: evaluation plan outstanding.",
    "Underspend in earlier quarters; the remaining money is held pending review.",
]
NIL_RETURN = "Nil return: the award was confirmed after the quarter ended."


def money(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


# --------------------------------------------------------------------------- the unit plan


# (round key, final status, how many, the status a withdrawn bid had reached)
LIVE_PLAN = [
    (OPEN_ROUND, Status.DRAFT, 30, None),
    (OPEN_ROUND, Status.SUBMITTED, 15, None),
    (OPEN_ROUND, Status.WITHDRAWN, 3, Status.DRAFT),
    (OPEN_ROUND, Status.WITHDRAWN, 2, Status.SUBMITTED),
    (CLOSED_ROUND, Status.SUBMITTED, 10, None),
    (CLOSED_ROUND, Status.UNDER_REVIEW, 25, None),
    (CLOSED_ROUND, Status.CLARIFICATION_REQUESTED, 12, None),
    (CLOSED_ROUND, Status.RECOMMENDED, 15, None),
    (CLOSED_ROUND, Status.NOT_RECOMMENDED, 10, None),
    (CLOSED_ROUND, Status.APPROVED, 8, None),
    (CLOSED_ROUND, Status.REJECTED, 6, None),
    (CLOSED_ROUND, Status.WITHDRAWN, 1, Status.SUBMITTED),
    (CLOSED_ROUND, Status.WITHDRAWN, 2, Status.UNDER_REVIEW),
    (CLOSED_ROUND, Status.WITHDRAWN, 1, Status.CLARIFICATION_REQUESTED),
]
# Decided bids (approved, rejected, withdrawn) of unit 0, by round. Later units put the same
# 310 + 38 + 12 into one supplementary round each.
DECIDED_FIRST_UNIT = {
    "pif-2014": (22, 5, 1),
    "pif-2015": (26, 5, 1),
    "ptf-2016": (0, 14, 3),  # the round's 14 awards are the public record's, not generated
    "ptf-2017": (34, 5, 1),
    **{f"ptf-{year}": (29, 1, 1) for year in range(2018, 2024)},
    "ptf-2024": (20, 1, 0),
    "ptf-2025": (20, 1, 0),
    "ptf-2026": (14, 1, 0),
}
DECIDED_PER_UNIT = (310, 38, 12)
assert sum(a + r + w for a, r, w in DECIDED_FIRST_UNIT.values()) == sum(DECIDED_PER_UNIT)
assert sum(n for _, _, n, _ in LIVE_PLAN) + sum(DECIDED_PER_UNIT) == UNIT_BIDS

# Unit 0 pins a few bids to the demo offices so every demo account has work to see.
PINS = {
    (OPEN_ROUND, Status.DRAFT, 0): ("nottinghamshire", "east-midlands-tri-force"),
    (OPEN_ROUND, Status.DRAFT, 1): ("leicestershire", None),
    (OPEN_ROUND, Status.SUBMITTED, 0): ("nottinghamshire", None),
    (CLOSED_ROUND, Status.UNDER_REVIEW, 0): ("nottinghamshire", "east-midlands-tri-force"),
    (CLOSED_ROUND, Status.CLARIFICATION_REQUESTED, 0): ("nottinghamshire", None),
    (CLOSED_ROUND, Status.RECOMMENDED, 0): ("nottinghamshire", "east-midlands-tri-force"),
    ("ptf-2025", Status.APPROVED, 0): ("nottinghamshire", "east-midlands-tri-force"),
    ("ptf-2024", Status.APPROVED, 0): ("leicestershire", None),
}
# The first under-review bid of unit 0 waits for a new reviewer: analyst2 declared a conflict.
CONFLICT_PIN = (CLOSED_ROUND, Status.UNDER_REVIEW, 0)

STAGE = {
    Status.DRAFT: 0,
    Status.SUBMITTED: 1,
    Status.UNDER_REVIEW: 2,
    Status.CLARIFICATION_REQUESTED: 2,
    Status.RECOMMENDED: 3,
    Status.NOT_RECOMMENDED: 3,
    Status.APPROVED: 4,
    Status.REJECTED: 4,
}


def unit_marker(unit: int) -> str:
    """The reference of a unit's first bid; each unit is written in one transaction."""
    spec = next(s for s in BASE_ROUNDS if s.key == OPEN_ROUND)
    return f"{spec.fund}-{spec.first_year}-{1000 * (unit + 1) + 1:04d}"


def generated_bids():
    """Bids of the generated part: references numbered 1001 and up (the record's are 0001–0999)."""
    return Bid.objects.exclude(reference__regex=r"-0[0-9]{3}$")


# --------------------------------------------------------------------------- building


@dataclass
class RoundCtx:
    spec: RoundSpec
    obj: FundingRound
    criteria: list
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    decide_at: datetime.datetime | None

    @property
    def published(self) -> bool:
        return self.spec.published is not None and self.spec.published <= AS_OF


@dataclass
class Context:
    rounds: dict[str, RoundCtx]
    categories: dict[str, SpendCategory]
    forces: list[Force]
    force_weights: list[float]
    by_slug: dict[str, Force]
    by_region: dict[int, list[Force]]
    collaborations: list[tuple[Collaboration, Force, list[Force]]]
    collab_by_slug: dict[str, tuple[Collaboration, Force, list[Force]]]
    office: dict[int, User]
    analysts: list[User]
    approvers: list[User]
    budgets: dict  # (round id, category id, year) -> pence left in a fixed envelope

    @classmethod
    def load(cls, specs: list[RoundSpec], rounds: dict) -> "Context":
        criteria = defaultdict(list)
        for criterion in Criterion.objects.filter(round__in=rounds.values()).order_by(
            "order", "pk"
        ):
            criteria[criterion.round_id].append(criterion)
        ctxs = {}
        for spec in specs:
            obj = rounds[spec.key]
            decide_at = _at(spec.decision, 14) if spec.published else None
            ctxs[spec.key] = RoundCtx(
                spec,
                obj,
                criteria[obj.pk],
                obj.opens_at.astimezone(UTC),
                obj.closes_at.astimezone(UTC),
                decide_at,
            )
        forces = list(Force.objects.order_by("slug"))
        by_slug = {f.slug: f for f in forces}
        by_region = defaultdict(list)
        for force in forces:
            by_region[force.region_id].append(force)
        memberships = defaultdict(list)
        for m in CollaborationMembership.objects.select_related("force").order_by(
            "collaboration__slug", "role", "force__slug"
        ):
            memberships[m.collaboration_id].append(m)
        collaborations = []
        for collaboration in Collaboration.objects.filter(
            slug__in=[c[0] for c in COLLABORATIONS]
        ).order_by("slug"):
            members = memberships[collaboration.pk]
            lead = next(m.force for m in members if m.role == CollaborationMembership.Role.LEAD)
            partners = [m.force for m in members if m.force != lead]
            collaborations.append((collaboration, lead, partners))
        users = {
            u.username: u
            for u in User.objects.filter(
                Q(username__in=[a.username for a in DEMO_ACCOUNTS])
                | Q(username__in=POOL_ANALYSTS + POOL_APPROVERS)
                | Q(username__endswith="-office")
            )
        }
        by_id = {u.pk: u for u in users.values()}
        office = {}
        for force_id, user_id in (
            OfficeMembership.objects.filter(user__in=by_id)
            .order_by("user__username")
            .values_list("force_id", "user_id")
        ):
            office.setdefault(force_id, by_id[user_id])
        # The demo accounts speak for their forces even if another user shares the office.
        for account in DEMO_ACCOUNTS:
            if account.force:
                office[by_slug[account.force].pk] = users[account.username]
        budgets = {}
        fixed = [(rounds[s.key], y, slug) for s in specs for (y, slug) in s.envelopes]
        if fixed:
            categories = {c.slug: c for c in SpendCategory.objects.all()}
            amounts = {
                (e.round_id, e.category_id, e.financial_year): e.amount
                for e in Envelope.objects.filter(round__in=[r for r, _, _ in fixed])
            }
            used = {
                (row["award__bid__round"], row["award__bid__spend_category"], row["fy"]): row["t"]
                for row in Tranche.objects.filter(award__bid__round__in=[r for r, _, _ in fixed])
                .values("award__bid__round", "award__bid__spend_category", fy=F("financial_year"))
                .annotate(t=Sum("amount"))
            }
            for funding_round, year, slug in fixed:
                key = (funding_round.pk, categories[slug].pk, year)
                if key in amounts:
                    budgets[key] = int((amounts[key] - (used.get(key) or ZERO)) * 100)
        return cls(
            rounds=ctxs,
            categories={c.slug: c for c in SpendCategory.objects.all()},
            forces=forces,
            force_weights=[max(f.population or 0, 400_000) / 1e6 for f in forces],
            by_slug=by_slug,
            by_region=by_region,
            collaborations=collaborations,
            collab_by_slug={c.slug: (c, lead, ps) for c, lead, ps in collaborations},
            office=office,
            analysts=[users[n] for n in ["analyst", "analyst2", *POOL_ANALYSTS]],
            approvers=[users[n] for n in ["approver", *POOL_APPROVERS]],
            budgets=budgets,
        )


@dataclass
class BidSpec:
    round: RoundCtx
    status: str
    withdraw_from: str | None
    lead: Force
    partners: list[Force]
    collaboration: Collaboration | None
    theme: Theme
    title: str
    summary: str
    reference: str
    bid_type: str
    requested: dict  # year -> pounds
    pinned_conflict: bool = False
    real: bool = False


class Batch:
    """Rows of one transaction, inserted parents first so children pick up their keys."""

    def __init__(self) -> None:
        self.bids: list[Bid] = []
        self.partners: list = []
        self.lines: list[FundingLine] = []
        self.clarifications: list[Clarification] = []
        self.reviews: list[Review] = []
        self.scores: list[Score] = []
        self.awards: list[Award] = []
        self.shares: list[AwardShare] = []
        self.tranches: list[Tranche] = []
        self.payments: list[Payment] = []
        self.returns: list[SpendReturn] = []
        self.events: list[BidEvent] = []

    def save(self, *, history: bool = False) -> None:
        order = [
            (Bid, self.bids),
            (Bid.partner_forces.through, self.partners),
            (FundingLine, self.lines),
            (Clarification, self.clarifications),
            (Review, self.reviews),
            (Score, self.scores),
            (Award, self.awards),
            (AwardShare, self.shares),
            (Tranche, self.tranches),
            (Payment, self.payments),
            (SpendReturn, self.returns),
            (BidEvent, self.events),
        ]
        for model, rows in order:
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            if rows and rows[0].pk is None:
                raise RuntimeError(
                    "seed_demo needs a database that returns keys from bulk inserts "
                    "(PostgreSQL, or SQLite 3.35 or newer)."
                )
            if history and hasattr(model, "history"):
                model.history.bulk_history_create(rows, batch_size=BATCH_SIZE)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in vars(self).items()}


class Builder:
    """Replays one bid's life — the rows and events the services would have written."""

    def __init__(self, ctx: Context, rng: random.Random, batch: Batch) -> None:
        self.ctx = ctx
        self.rng = rng
        self.b = batch

    # ----------------------------------------------------------------- time

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        """A moment in working hours between ``start`` and ``end``, just after ``start`` if the
        window is empty, so a chain of calls never goes back in time."""
        rng = self.rng
        if end <= start:
            return start + datetime.timedelta(minutes=rng.randint(5, 90))
        moment = start + (end - start) * rng.random()
        if end - start > DAY:
            local = moment.astimezone(LONDON)
            moment = local.replace(
                hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0
            ).astimezone(UTC)
            moment = min(max(moment, start), end)
        return moment

    def event(self, bid, action, before, after, actor, at, note="") -> None:
        self.b.events.append(
            BidEvent(
                bid=bid,
                action=action,
                from_status=before,
                to_status=after,
                actor_id=actor.pk,
                at=at,
                note=note,
            )
        )

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    # ----------------------------------------------------------------- the bid

    def build(self, s: BidSpec) -> Bid:
        rng, r = self.rng, s.round
        office = self.ctx.office[s.lead.pk]
        reach = s.withdraw_from or s.status
        stage = STAGE[reach]
        tranches = None
        if s.status == Status.APPROVED:
            tranches = self.award_amounts(s)
            if tranches is None:  # no room left in a fixed envelope
                s.status = reach = Status.REJECTED
        # Submissions stop two days before AS_OF so a withdrawal can still follow.
        sub_end = min(r.closes_at, AS_OF - 2 * DAY)
        created = self.between(r.opens_at + DAY, sub_end - 6 * DAY)
        complete = stage >= 1 or rng.random() < 0.4
        submitted = self.between(created + 2 * DAY, sub_end) if stage >= 1 else None
        signed = max(
            (submitted or created + 3 * DAY) - datetime.timedelta(days=rng.randint(1, 9)), created
        )
        total_requested = sum(s.requested.values())
        bid = Bid(
            reference=s.reference,
            round_id=r.obj.pk,
            lead_force_id=s.lead.pk,
            collaboration_id=s.collaboration.pk if s.collaboration else None,
            title=s.title,
            summary=s.summary if complete or rng.random() < 0.5 else "",
            case_for_change=f"{s.theme.problem} {rng.choice(CASE)}" if complete else "",
            spend_category_id=self.ctx.categories[s.theme.category].pk,
            bid_type=s.bid_type,
            local_match_contribution=Decimal(
                int(total_requested * rng.choice([0, 0, 0.05, 0.1, 0.2]) // 1000 * 1000)
            ),
            status=s.status,
            created_by_id=office.pk,
            created_at=created,
            pcc_signoff_name=self.person() if complete else "",
            pcc_signoff_date=signed.date() if complete else None,
            cfo_signoff_name=self.person() if complete else "",
            cfo_signoff_date=signed.date() if complete else None,
        )
        self.b.bids.append(bid)
        self.event(bid, Action.CREATED, Status.DRAFT, Status.DRAFT, office, created)
        through = Bid.partner_forces.through
        self.b.partners.extend(through(bid=bid, force_id=f.pk) for f in s.partners)
        if complete or rng.random() < 0.5:
            self.b.lines.extend(
                FundingLine(bid=bid, financial_year=year, amount=Decimal(amount))
                for year, amount in s.requested.items()
            )
        status, t = Status.DRAFT, created
        if stage >= 1:
            bid.submitted_by_id, bid.submitted_at, t = office.pk, submitted, submitted
            self.event(bid, Action.SUBMITTED, Status.DRAFT, Status.SUBMITTED, office, t)
            status = Status.SUBMITTED
        if stage >= 2:
            status, t = self.assess(bid, s, reach, t)
        if stage == 4:
            approver = rng.choice(self.ctx.approvers)
            if r.decide_at is not None:
                decided = r.decide_at + datetime.timedelta(minutes=rng.randint(0, 180))
            else:
                decided = self.between(t + DAY, AS_OF - datetime.timedelta(hours=2))
            if s.status == Status.APPROVED:
                self.approve(bid, s, tranches, approver, decided, office, status)
            else:
                self.event(
                    bid,
                    Action.REJECTED,
                    status,
                    Status.REJECTED,
                    approver,
                    decided,
                    rng.choice(REJECTIONS),
                )
        if s.withdraw_from:
            end = (r.decide_at - DAY) if r.decide_at else AS_OF - datetime.timedelta(hours=1)
            at = self.between(t + datetime.timedelta(hours=2), end)
            self.event(
                bid, Action.WITHDRAWN, status, Status.WITHDRAWN, office, at, rng.choice(WITHDRAWALS)
            )
        return bid

    def award_amounts(self, s: BidSpec) -> dict | None:
        """Tranches in pounds: usually what was asked, sometimes less; they must fit any fixed
        envelope of the round, or the bid cannot be funded."""
        rng = self.rng
        category = self.ctx.categories[s.theme.category]
        keys = {y: (s.round.obj.pk, category.pk, y) for y in s.requested}
        if s.real:
            amounts = dict(s.requested)
        else:
            factor = 1.0 if rng.random() < 0.75 else rng.uniform(0.7, 0.95)
            amounts = {y: int(a * factor) // 1000 * 1000 for y, a in s.requested.items()}
            room = [
                self.ctx.budgets[k] / (amounts[y] * 100)
                for y, k in keys.items()
                if k in self.ctx.budgets and amounts[y]
            ]
            fit = min([1.0, *room])
            if fit < 0.3:
                return None
            if fit < 1.0:
                amounts = {y: int(a * fit * 0.9) // 1000 * 1000 for y, a in amounts.items()}
        for y, k in keys.items():
            if k in self.ctx.budgets:
                self.ctx.budgets[k] -= amounts[y] * 100
        return amounts

    # ----------------------------------------------------------------- review

    def assess(self, bid: Bid, s: BidSpec, reach: str, t: datetime.datetime):
        """Reviewers, clarifications, reviews and moderation, up to the state ``reach``."""
        rng, r, ctx = self.rng, s.round, self.ctx
        office = ctx.office[s.lead.pk]
        live = r.decide_at is None
        # Live bids must leave time before AS_OF for everything that follows.
        end = AS_OF - 5 * DAY if live else r.decide_at - 7 * DAY
        assign_from = max(t, r.closes_at) + DAY
        assigned = self.between(assign_from, min(assign_from + 12 * DAY, end - 20 * DAY))
        assigner = ctx.analysts[0]
        reviewers = rng.sample(ctx.analysts, rng.choice([3, 4]) + 1)
        spare = reviewers.pop()
        if s.pinned_conflict and ctx.analysts[1] not in reviewers:
            reviewers[0] = ctx.analysts[1]
        status = Status.UNDER_REVIEW
        names = ", ".join(u.get_full_name() for u in reviewers)
        self.event(
            bid, Action.REVIEWERS_ASSIGNED, Status.SUBMITTED, status, assigner, assigned, names
        )
        reviews = [
            Review(bid=bid, reviewer_id=u.pk, assigned_by_id=assigner.pk, assigned_at=assigned)
            for u in reviewers
        ]
        people = {u.pk: u for u in ctx.analysts}
        self.b.reviews.extend(reviews)
        t = assigned
        if s.pinned_conflict or rng.random() < 0.03:
            conflicted = reviews.pop(reviewers.index(ctx.analysts[1]) if s.pinned_conflict else 0)
            t = self.between(t + DAY, t + 3 * DAY)
            details = rng.choice(CONFLICT_DETAILS)
            conflicted.has_conflict, conflicted.conflict_details = True, details
            conflicted.conflict_declared_at = t
            self.event(
                bid,
                Action.CONFLICT_DECLARED,
                status,
                status,
                people[conflicted.reviewer_id],
                t,
                details,
            )
            bid.needs_reassignment = True
            if not s.pinned_conflict:  # the pinned bid still waits for a new reviewer
                t = self.between(t + DAY, t + 4 * DAY)
                replacement = Review(
                    bid=bid, reviewer_id=spare.pk, assigned_by_id=assigner.pk, assigned_at=t
                )
                self.b.reviews.append(replacement)
                reviews.append(replacement)
                self.event(
                    bid,
                    Action.REVIEWERS_ASSIGNED,
                    status,
                    status,
                    assigner,
                    t,
                    spare.get_full_name(),
                )
                bid.needs_reassignment = False
        # An answered question comes before the reviews are submitted, so every review event
        # happens while the bid is under review.
        asks = STAGE[reach] >= 3 or reach == Status.UNDER_REVIEW or rng.random() < 0.2
        if asks and rng.random() < 0.25:
            t = self.clarify(bid, office, t, end - 10 * DAY, answered=True)
        quality = self.quality(s.status)
        all_in = STAGE[reach] >= 3
        submitted_times = []
        for review in reviews:
            state = (
                "submitted"
                if all_in
                else rng.choices(["submitted", "draft", "new"], [45, 30, 25])[0]
            )
            if state == "new":
                continue
            declared = self.between(review.assigned_at, review.assigned_at + 3 * DAY)
            review.has_conflict, review.conflict_declared_at = False, max(declared, t)
            values = self.scores(review, s.round.criteria, quality, partial=state == "draft")
            if state == "draft":
                continue
            score = weighted(values)
            review.recommendation = (
                Recommendation.FUND
                if score >= 65
                else Recommendation.FUND_WITH_CONDITIONS
                if score >= 50
                else Recommendation.DO_NOT_FUND
            )
            review.comments = REVIEW_COMMENTS[review.recommendation]
            review.submitted_at = self.between(review.conflict_declared_at + DAY, end - 3 * DAY)
            submitted_times.append((review.submitted_at, review, score))
        for at, review, score in sorted(submitted_times, key=lambda x: x[0]):
            self.event(
                bid,
                Action.REVIEW_SUBMITTED,
                status,
                status,
                people[review.reviewer_id],
                at,
                f"{review.get_recommendation_display()}, weighted score {score}",
            )
        t = max([t, *(at for at, _, _ in submitted_times)])
        if reach == Status.CLARIFICATION_REQUESTED:
            t = self.clarify(bid, office, t, AS_OF - DAY, answered=False)
            return Status.CLARIFICATION_REQUESTED, t
        if STAGE[reach] < 3:
            return status, t
        recommended = s.status in {Status.RECOMMENDED, Status.APPROVED} or (
            s.status == Status.REJECTED and rng.random() < 0.15
        )
        mean = sum(score for _, _, score in submitted_times) / len(submitted_times)
        moderated = min(max(mean + Decimal(rng.randint(-300, 300)) / 100, Decimal(0)), Decimal(100))
        bid.moderated_score = moderated.quantize(Decimal("0.01"))
        to = Status.RECOMMENDED if recommended else Status.NOT_RECOMMENDED
        t = self.between(t + DAY, end)
        self.event(
            bid,
            Action.MODERATED,
            status,
            to,
            assigner,
            t,
            f"Moderated score {bid.moderated_score}. {rng.choice(MODERATION[recommended])}",
        )
        return to, t

    def clarify(self, bid, office, t, end, *, answered: bool) -> datetime.datetime:
        rng = self.rng
        asker = rng.choice(self.ctx.analysts[:4])
        pick = rng.randrange(len(CLARIFICATION_QUESTIONS))
        asked = self.between(t + DAY, min(t + 8 * DAY, end))
        question = Clarification(
            bid=bid, question=CLARIFICATION_QUESTIONS[pick], asked_by_id=asker.pk, asked_at=asked
        )
        self.b.clarifications.append(question)
        self.event(
            bid,
            Action.CLARIFICATION_ASKED,
            Status.UNDER_REVIEW,
            Status.CLARIFICATION_REQUESTED,
            asker,
            asked,
            question.question,
        )
        if not answered:
            return asked
        question.answer = CLARIFICATION_ANSWERS[pick]
        question.answered_by_id = office.pk
        question.answered_at = self.between(asked + DAY, asked + 8 * DAY)
        self.event(
            bid,
            Action.CLARIFICATION_ANSWERED,
            Status.CLARIFICATION_REQUESTED,
            Status.UNDER_REVIEW,
            office,
            question.answered_at,
            question.answer,
        )
        return question.answered_at

    def quality(self, status: str) -> float:
        if status in {Status.APPROVED, Status.RECOMMENDED}:
            return self.rng.uniform(0.62, 0.95)
        if status in {Status.REJECTED, Status.NOT_RECOMMENDED}:
            return self.rng.uniform(0.2, 0.55)
        return self.rng.uniform(0.3, 0.9)

    def scores(self, review, criteria, quality: float, *, partial: bool) -> list[tuple]:
        """Scores for ``criteria`` around ``quality``; returns what ``weighted`` needs."""
        rng = self.rng
        chosen = criteria[: rng.randint(1, len(criteria) - 1)] if partial else criteria
        rows, values = [], []
        for criterion in chosen:
            top = criterion.max_score
            value = round(quality * top + rng.gauss(0, 0.12 * top))
            value = min(max(value, 0), top)
            share = value / top
            band = 0 if share >= 0.8 else 1 if share >= 0.6 else 2 if share >= 0.4 else 3
            text = JUSTIFICATIONS.get(criterion.name, JUSTIFICATIONS["Strategic fit"])[band]
            rows.append(
                Score(review=review, criterion_id=criterion.pk, value=value, justification=text)
            )
            values.append((value, top, criterion.weight))
        self.b.scores.extend(rows)
        return values

    # ----------------------------------------------------------------- money

    def approve(self, bid, s, tranches, approver, decided, office, before) -> None:
        rng, r = self.rng, s.round
        total = sum(tranches.values())
        reduced = sum(s.requested.values()) != total
        award = Award(
            bid=bid,
            total=Decimal(total),
            conditions=rng.choice(CONDITIONS) if reduced or rng.random() < 0.3 else "",
            decided_by_id=approver.pk,
            decided_at=decided,
            decision_notes=rng.choice(APPROVAL_NOTES),
        )
        self.b.awards.append(award)
        note = ", ".join(f"{fy_label(y)} {format_gbp(a)}" for y, a in sorted(tranches.items()))
        self.event(
            bid,
            Action.APPROVED,
            before,
            Status.APPROVED,
            approver,
            decided,
            f"Award {format_gbp(total)}: {note}",
        )
        if s.partners and not s.real and rng.random() < 0.35:
            self.shares(award, s.lead, s.partners)
        for year, amount in sorted(tranches.items()):
            tranche = Tranche(award=award, financial_year=year, amount=Decimal(amount))
            self.b.tranches.append(tranche)
            if r.published:
                self.tranche_life(bid, tranche, amount * 100, decided, r, office, s.real)

    def shares(self, award, lead, partners) -> None:
        lead_share = self.rng.randint(40, 60) * 100  # hundredths of a per cent
        weights = [max(f.population or 0, 400_000) for f in partners]
        rest = 10_000 - lead_share
        parts = [rest * w // sum(weights) for w in weights]
        parts[0] += rest - sum(parts)
        self.b.shares.append(AwardShare(award=award, force_id=lead.pk, percent=money(lead_share)))
        self.b.shares.extend(
            AwardShare(award=award, force_id=f.pk, percent=money(p))
            for f, p in zip(partners, parts, strict=True)
            if p > 0
        )

    def tranche_life(self, bid, tranche, amount, decided, r, office, real) -> None:
        """Release, payments and quarterly spend returns up to ``AS_OF``; sets paid and spent."""
        rng = self.rng
        year = tranche.financial_year
        label = fy_label(year)
        released = max(_at(D(year, 4, 1), 9), r.spec.published + 3 * DAY)
        if released > AS_OF:
            return  # a future year: scheduled, nothing paid
        analyst = rng.choice(self.ctx.analysts)
        current = D(year + 1, 3, 31) >= AS_OF.date()
        roll = rng.random()
        if real:
            kind = "closed"
        elif current:
            kind = "withheld" if roll < 0.07 else "released"
        elif year >= 2024:
            kind = "withheld" if roll < 0.05 else "released" if roll < 0.2 else "closed"
        else:
            kind = "withheld" if roll < 0.04 else "closed"
        approved = Status.APPROVED
        self.event(bid, Action.TRANCHE_RELEASED, approved, approved, analyst, released, f"{label}.")
        # Payments: in full, or half at the start of the year and half in the autumn.
        paid = 0
        first_on = (released + datetime.timedelta(days=rng.randint(5, 20))).date()
        halves = kind == "withheld" or rng.random() < (0.5 if current else 0.2)
        plan = [(first_on, amount // 2 if halves else amount)]
        if halves and kind != "withheld":
            second_on = D(year, 10, rng.randint(1, 20))
            if second_on < AS_OF.date():
                plan.append((second_on, amount - amount // 2))
        for number, (paid_on, pence) in enumerate(plan, start=1):
            recorded = _at(paid_on, rng.randint(9, 16), rng.randint(0, 59))
            self.b.payments.append(
                Payment(
                    tranche=tranche,
                    amount=money(pence),
                    paid_on=paid_on,
                    reference=f"HO/{bid.reference}/{year}/{number}",
                    recorded_by_id=analyst.pk,
                    recorded_at=recorded,
                )
            )
            self.event(
                bid,
                Action.PAYMENT_RECORDED,
                approved,
                approved,
                analyst,
                recorded,
                f"{format_gbp(money(pence))} against {label}, paid {paid_on:%d %B %Y}",
            )
            paid += pence
        # Quarterly spend: nil before the award, then a profile that rises through the year.
        quarter_ends = [D(year, 6, 30), D(year, 9, 30), D(year, 12, 31), D(year + 1, 3, 31)]
        weights = [
            0 if _at(end, 23) < decided else w * rng.uniform(0.8, 1.2)
            for end, w in zip(quarter_ends, [0.14, 0.22, 0.28, 0.36], strict=True)
        ]
        target = amount * rng.uniform(0.82, 1.0)
        spent, last = 0, released
        for quarter, end in enumerate(quarter_ends, start=1):
            submitted = _at(end + datetime.timedelta(days=rng.randint(7, 28)), 11) + (
                datetime.timedelta(minutes=rng.randint(0, 300))
            )
            submitted = max(submitted, last + datetime.timedelta(hours=1))
            if submitted > AS_OF:
                break
            if kind == "withheld" and quarter > 2:
                break
            share = weights[quarter - 1] / (sum(weights) or 1)
            pence = min(int(target * share), paid - spent) if weights[quarter - 1] else 0
            pence = max(pence, 0)
            final = quarter == 4 and kind == "released" and not current
            if final or (current and quarter == 2):
                state = rng.choices(["verified", "submitted", "returned"], [30, 45, 25])[0]
                if final:
                    state = rng.choice(["submitted", "returned"])
            elif current:
                state = rng.choices(["verified", "submitted", "returned"], [80, 12, 8])[0]
            else:
                state = "verified"
            verified = self.between(submitted + 4 * DAY, submitted + 20 * DAY)
            if state == "verified" and verified > AS_OF:
                state = "submitted"
            spend = SpendReturn(
                tranche=tranche,
                quarter=quarter,
                amount_spent=money(pence),
                narrative=NIL_RETURN if not weights[quarter - 1] else rng.choice(SPEND_NARRATIVES),
                status=state,
                submitted_by_id=office.pk,
                submitted_at=submitted,
            )
            where = f"{label} Q{quarter}"
            submitted_note = f"{where}: {format_gbp(money(pence))} spent"
            if state == "verified" and rng.random() < 0.05:
                # Sent back once, then resubmitted and verified.
                reason = rng.choice(RETURN_REASONS)
                back = self.between(submitted + DAY, submitted + 5 * DAY)
                again = self.between(back + DAY, back + 6 * DAY)
                self.event(
                    bid, Action.SPEND_RETURN_SUBMITTED, approved, approved, office, submitted,
                    submitted_note,
                )  # fmt: skip
                self.event(
                    bid, Action.SPEND_RETURN_RETURNED, approved, approved, analyst, back,
                    f"{where}: {reason}",
                )  # fmt: skip
                spend.submitted_at = submitted = again
                verified = self.between(again + 2 * DAY, again + 14 * DAY)
            self.event(
                bid, Action.SPEND_RETURN_SUBMITTED, approved, approved, office, submitted,
                submitted_note,
            )  # fmt: skip
            last = submitted
            if state == "verified":
                spend.verified_by_id, spend.verified_at = analyst.pk, verified
                self.event(
                    bid, Action.SPEND_RETURN_VERIFIED, approved, approved, analyst, verified, where
                )
                spent += pence
                last = verified
            elif state == "returned":
                reason = rng.choice(RETURN_REASONS)
                spend.returned_reason = reason
                back = min(self.between(submitted + DAY, submitted + 7 * DAY), AS_OF)
                self.event(
                    bid, Action.SPEND_RETURN_RETURNED, approved, approved, analyst, back,
                    f"{where}: {reason}",
                )  # fmt: skip
            self.b.returns.append(spend)
        if kind == "withheld":
            at = self.between(last + 5 * DAY, min(last + 30 * DAY, AS_OF))
            self.event(
                bid,
                Action.TRANCHE_WITHHELD,
                approved,
                approved,
                analyst,
                at,
                f"{label}. {rng.choice(WITHHOLD_REASONS)}",
            )
        elif kind == "closed":
            at = self.between(last + 5 * DAY, min(last + 30 * DAY, AS_OF))
            self.event(bid, Action.TRANCHE_CLOSED, approved, approved, analyst, at, f"{label}.")
        tranche.status = {
            "closed": TrancheStatus.CLOSED,
            "released": TrancheStatus.RELEASED,
            "withheld": TrancheStatus.WITHHELD,
        }[kind]
        tranche.paid, tranche.spent = money(paid), money(spent)


# --------------------------------------------------------------------------- generation


class UnitGenerator:
    """Plans one unit's bids from its own seed and hands each to the ``Builder``."""

    def __init__(self, ctx: Context, unit: int) -> None:
        self.ctx = ctx
        self.unit = unit
        self.rng = random.Random(f"{SEED}-unit-{unit}")
        self.batch = Batch()
        self.builder = Builder(ctx, self.rng, self.batch)
        self.numbers: dict[str, int] = {}

    def reference(self, r: RoundCtx) -> str:
        prefix = f"{r.spec.fund}-{r.spec.first_year}-"
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}{1000 * (self.unit + 1) + self.numbers[prefix]:04d}"

    def plan(self) -> list[tuple[str, str, str | None, int]]:
        rows = [
            (key, status, source, index)
            for key, status, n, source in LIVE_PLAN
            for index in range(n)
        ]
        if self.unit == 0:
            decided = DECIDED_FIRST_UNIT
        else:
            decided = {f"supplementary-{(self.unit - 1) % SUPPLEMENTARY_COUNT}": DECIDED_PER_UNIT}
        for key, (approved, rejected, withdrawn) in decided.items():
            rows += [(key, Status.APPROVED, None, i) for i in range(approved)]
            rows += [(key, Status.REJECTED, None, i) for i in range(rejected)]
            rows += [
                (key, Status.WITHDRAWN, self.rng.choice([Status.SUBMITTED, Status.UNDER_REVIEW]), i)
                for i in range(withdrawn)
            ]
        return rows

    def run(self) -> Batch:
        for key, status, source, index in self.plan():
            pin = PINS.get((key, status, index)) if self.unit == 0 else None
            conflict = self.unit == 0 and (key, status, index) == CONFLICT_PIN
            self.builder.build(self.spec(self.ctx.rounds[key], status, source, pin, conflict))
        return self.batch

    def spec(self, r, status, source, pin, conflict) -> BidSpec:
        rng, ctx = self.rng, self.ctx
        collaboration, partners = None, []
        roll = rng.random()
        if pin:
            lead = ctx.by_slug[pin[0]]
            if pin[1]:
                collaboration, _, partners = ctx.collab_by_slug[pin[1]]
        elif roll < 0.18:
            collaboration, lead, members = rng.choice(ctx.collaborations)
            partners = (
                members if rng.random() < 0.6 else rng.sample(members, max(1, len(members) - 1))
            )
        else:
            lead = rng.choices(ctx.forces, ctx.force_weights)[0]
            if roll < 0.33:
                near = [f for f in ctx.by_region[lead.region_id] if f != lead] or [
                    f for f in ctx.forces if f != lead
                ]
                partners = rng.sample(near, min(len(near), rng.randint(1, 3)))
        theme = rng.choice(THEMES)
        bid_type = (
            Bid.BidType.PROOF_OF_CONCEPT if rng.random() < 0.3 else Bid.BidType.IMPLEMENTATION_READY
        )
        if collaboration:
            title = f"{theme.title} ({collaboration.name})"
        elif partners:
            plural = "s" if len(partners) > 1 else ""
            title = f"{theme.title} with {len(partners)} partner force{plural}"
        elif bid_type == Bid.BidType.PROOF_OF_CONCEPT:
            title = f"{theme.title}: proof of concept"
        else:
            title = rng.choice([theme.title, f"{theme.title}, phase 2", theme.title])
        who = lead.short_name
        if partners:
            names = [f.short_name for f in partners]
            who += " with " + (
                ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            )
        summary = f"{who} will {theme.does}, so that {theme.outcome}. {rng.choice(DELIVERY)}"
        base = (
            rng.lognormvariate(13.0, 0.75)
            * r.spec.size
            * (0.5 if bid_type == Bid.BidType.PROOF_OF_CONCEPT else 1)
        )
        base = min(max(base, 40_000), 8_000_000)
        profile = [1.0, rng.uniform(0.6, 1.1), rng.uniform(0.3, 0.8)]
        requested = {
            year: max(int(base * profile[i]) // 1000 * 1000, 10_000)
            for i, year in enumerate(r.spec.years)
        }
        return BidSpec(
            round=r,
            status=status,
            withdraw_from=source,
            lead=lead,
            partners=partners,
            collaboration=collaboration,
            theme=theme,
            title=title,
            summary=summary,
            reference=self.reference(r),
            bid_type=bid_type,
            requested=requested,
            pinned_conflict=conflict,
        )


def _build_real_awards(ctx: Context, existing: set[str]) -> Batch:
    batch = Batch()
    r = ctx.rounds["ptf-2016"]
    themes = {t.category: t for t in THEMES}
    for real in REAL_AWARDS:
        reference = real_reference(real)
        if reference in existing:
            continue
        rng = random.Random(f"{SEED}-{reference}")
        collaboration = ctx.collab_by_slug[real.collaboration][0] if real.collaboration else None
        theme = themes[real.category]
        theme = Theme(theme.category, real.title, theme.does, theme.outcome, real.problem)
        spec = BidSpec(
            round=r,
            status=Status.APPROVED,
            withdraw_from=None,
            lead=ctx.by_slug[real.lead],
            partners=[ctx.by_slug[p] for p in real.partners],
            collaboration=collaboration,
            theme=theme,
            title=real.title,
            summary=real.summary,
            reference=reference,
            bid_type=real.bid_type,
            requested=dict(real.tranches),
            real=True,
        )
        Builder(ctx, rng, batch).build(spec)
    # History rows dated when each record came into being, by whom, as the services would.
    users = {
        u.pk: u for u in User.objects.filter(Q(groups__isnull=False) | Q(office__isnull=False))
    }
    for bid in batch.bids:
        bid._history_date, bid._history_user = bid.created_at, users[bid.created_by_id]
    for award in batch.awards:
        award._history_date, award._history_user = award.decided_at, users[award.decided_by_id]
        for tranche in [t for t in batch.tranches if t.award is award]:
            tranche._history_date, tranche._history_user = award._history_date, award._history_user
    for line in batch.lines:
        line._history_date, line._history_user = line.bid.created_at, users[line.bid.created_by_id]
    for payment in batch.payments:
        payment._history_date = payment.recorded_at
        payment._history_user = users[payment.recorded_by_id]
    for spend in batch.returns:
        spend._history_date = spend.submitted_at
        spend._history_user = users[spend.submitted_by_id]
    return batch


# --------------------------------------------------------------------------- checks


def tranche_mismatches() -> list[tuple[int, Decimal, Decimal, Decimal, Decimal]]:
    """Tranches whose ``paid`` or ``spent`` differ from their payments and verified returns.

    One query; compared in Python because SQLite sums decimals as floats.
    """
    output = DecimalField(**MONEY_FIELD)
    paid = (
        Payment.objects.filter(tranche=OuterRef("pk"))
        .values("tranche")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    spent = (
        SpendReturn.objects.filter(tranche=OuterRef("pk"), status=ReturnStatus.VERIFIED)
        .values("tranche")
        .annotate(total=Sum("amount_spent"))
        .values("total")
    )
    rows = Tranche.objects.annotate(
        paid_sum=Coalesce(Subquery(paid, output_field=output), Value(ZERO), output_field=output),
        spent_sum=Coalesce(Subquery(spent, output_field=output), Value(ZERO), output_field=output),
    ).values_list("pk", "paid", "paid_sum", "spent", "spent_sum")
    cent = Decimal("0.01")
    return [
        row
        for row in rows.iterator(chunk_size=5000)
        if row[1].quantize(cent) != row[2].quantize(cent)
        or row[3].quantize(cent) != row[4].quantize(cent)
    ]


# --------------------------------------------------------------------------- entry point


@dataclass
class SeedResult:
    accounts: list[AccountResult]
    units_created: list[int]
    real_created: int
    rows: dict[str, int] = field(default_factory=dict)


def seed(*, scale: int = 1, progress: Callable[[str], None] = lambda message: None) -> SeedResult:
    """Build the demo data set: accounts, funds, rounds, the public record and ``scale`` units
    of generated bids. Idempotent: what exists is kept, and only missing parts are added."""
    if scale < 1:
        raise ValueError("The scale is a whole number from 1.")
    accounts = ensure_accounts()
    specs = round_specs(scale)
    with transaction.atomic():
        forces = list(Force.objects.order_by("slug"))
        _ensure_pool_users(forces)
        _ensure_collaborations({f.slug: f for f in forces})
        funds = {}
        for code, name, slug, description in FUNDS:
            funds[code], _ = Fund.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "slug": slug,
                    "sponsor": "Home Office",
                    "description": description,
                },
            )
        categories = {c.slug: c for c in SpendCategory.objects.all()}
        rounds = _ensure_rounds(specs, funds, categories)
    ctx = Context.load(specs, rounds)
    existing_real = set(
        Bid.objects.filter(reference__in=[real_reference(a) for a in REAL_AWARDS]).values_list(
            "reference", flat=True
        )
    )
    result = SeedResult(accounts=accounts, units_created=[], real_created=0)
    totals: dict[str, int] = defaultdict(int)
    if len(existing_real) < len(REAL_AWARDS):
        with transaction.atomic():
            batch = _build_real_awards(ctx, existing_real)
            batch.save(history=True)
        result.real_created = len(batch.bids)
        for name, n in batch.counts().items():
            totals[name] += n
    done = set(
        Bid.objects.filter(reference__in=[unit_marker(u) for u in range(scale)]).values_list(
            "reference", flat=True
        )
    )
    for unit in range(scale):
        if unit_marker(unit) in done:
            continue
        with transaction.atomic():
            batch = UnitGenerator(ctx, unit).run()
            batch.save()
        # With DEBUG on, Django keeps the last 9,000 queries, and bulk inserts are long.
        reset_queries()
        result.units_created.append(unit)
        for name, n in batch.counts().items():
            totals[name] += n
        progress(f"unit {unit + 1} of {scale}: {len(batch.bids)} bids")
    if result.real_created or result.units_created:
        with transaction.atomic():
            refresh_derived_envelopes(specs, rounds)
    result.rows = dict(totals)
    return result

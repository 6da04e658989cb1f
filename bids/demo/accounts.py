"""The demo accounts, whose passwords are published, and the users the history names."""

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, get_hasher
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password

from bids.demo.base import BATCH_SIZE, SEED
from bids.permissions import ANALYSTS, APPROVERS
from bids.reference import sync_groups
from forces.models import Force, OfficeMembership


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


def ensure_pool_users(forces: list[Force]) -> None:
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
    # Names are drawn for every user, so they do not depend on what exists, and never twice: two
    # analysts called Laura Jones could not be told apart where reviewers are chosen.
    taken = {(a.first_name, a.last_name) for a in DEMO_ACCOUNTS}
    for username in wanted:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        while (first, last) in taken:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        taken.add((first, last))
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

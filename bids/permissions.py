"""Who may do what (design §5). Services call these; views and templates ask them too."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

ANALYSTS = "Analysts"
APPROVERS = "Approvers"

AnyUser = User | AnonymousUser


class PermissionDenied(DjangoPermissionDenied):
    """The user's role does not allow the action; the message says why."""


# The groups that give a role under /review/; an account in no such group (and not staff) has
# none, whatever other groups an administrator puts it in.
ROLES = (ANALYSTS, APPROVERS)


def remember_roles(user: User, names) -> None:
    """Keep ``user``'s roles on the object, as read with it (``accounts.backends``)."""
    user._fundtracker_roles = frozenset(names)


def _roles(user: AnyUser) -> frozenset[str]:
    # Kept on the user object: permission checks run many times a request. The sign-in backend
    # reads them with the user; a user object from anywhere else reads them here, once.
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_fundtracker_roles"):
        remember_roles(user, user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return user._fundtracker_roles


def is_analyst(user: AnyUser) -> bool:
    """A member of the Analysts group."""
    return user.is_authenticated and user.is_active and ANALYSTS in _roles(user)


def is_approver(user: AnyUser) -> bool:
    """A member of the Approvers group."""
    return user.is_authenticated and user.is_active and APPROVERS in _roles(user)


def is_caseworker(user: AnyUser) -> bool:
    """Home Office staff who see every bid: analysts, approvers and administrators."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or _roles(user)))


def office_force_id(user: AnyUser) -> int | None:
    """The id of the force whose PCC office the user works in, or ``None``."""
    if not (user.is_authenticated and user.is_active):
        return None
    if not hasattr(user, "_fundtracker_office_force_id"):
        try:
            user._fundtracker_office_force_id = user.office.force_id
        except AttributeError:  # no OfficeMembership
            user._fundtracker_office_force_id = None
    return user._fundtracker_office_force_id


def is_office_of(user: AnyUser, bid) -> bool:
    """The user works in the office of the bid's lead force."""
    force_id = office_force_id(user)
    return force_id is not None and force_id == bid.lead_force_id


def is_partner_office_of(user: AnyUser, bid) -> bool:
    force_id = office_force_id(user)
    return force_id is not None and bid.partner_forces.filter(pk=force_id).exists()


def can_view_bid(user: AnyUser, bid) -> bool:
    """The same rule as ``Bid.objects.visible_to(user)``, for one bid already loaded."""
    from bids.models import Bid

    if is_caseworker(user):
        return True
    if is_office_of(user, bid):
        return True
    if bid.status != Bid.Status.DRAFT and is_partner_office_of(user, bid):
        return True
    return bid.status == Bid.Status.APPROVED and bid.round.is_published


def can_edit_bid(user: AnyUser, bid) -> bool:
    """Only the lead force's office, and only while the bid is a draft."""
    from bids.models import Bid

    return bid.status == Bid.Status.DRAFT and is_office_of(user, bid)


def can_act_for_office(user: AnyUser, bid) -> bool:
    """Submit, withdraw, answer clarifications, file spend returns: the lead force's office."""
    return is_office_of(user, bid)


def can_review(user: AnyUser, bid) -> bool:
    """Analysts may review; whether this one is assigned and unconflicted is the service's check."""
    return is_analyst(user)


def can_decide(user: AnyUser, bid) -> bool:
    """Approvers decide, but never on a bid they were assigned to review."""
    return is_approver(user) and not bid.reviews.filter(reviewer=user).exists()


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)

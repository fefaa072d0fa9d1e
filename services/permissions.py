"""Who may see and do what: pages per role (navigation), which agencies an actor sees, who edits
a report, who reviews. Pages use these to build navigation; services re-check on every write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.enums import Role, RoundState, SubmissionState
from services.errors import ProgressError, UserFacingError

if TYPE_CHECKING:
    from models import ProgressReport, Round

# The submission states in which a focal point may still change their agency's report.
FOCAL_EDITABLE_STATES = frozenset({SubmissionState.draft, SubmissionState.returned})


class PermissionDenied(UserFacingError, PermissionError):
    """The actor may not do this; the message is a catalog key for the UI."""

    def __init__(self, message_key: str = "error.permission_denied") -> None:
        super().__init__(message_key)


@dataclass(frozen=True)
class Actor:
    """The person (or system job) on whose behalf a service runs."""

    user_id: int | None
    username: str
    role: Role | None
    agency_id: int | None = None

    @classmethod
    def system(cls, job: str = "system") -> Actor:
        return cls(user_id=None, username=job, role=None)


# Page keys per role. A page not listed for a role is not given to st.navigation, so it
# cannot be reached even by URL.
PAGES_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.admin: ("home", "overview", "heatmap", "present", "meetings", "plan", "users", "backup", "account"),
    Role.secretariat: (
        "home",
        "entry",
        "review",
        "rounds",
        "overview",
        "heatmap",
        "present",
        "meetings",
        "plan",
        "users",
        "account",
    ),
    Role.chair: ("home", "overview", "heatmap", "present", "meetings", "account"),
    Role.executive: ("home", "overview", "heatmap", "present", "meetings", "account"),
    Role.focal_point: ("home", "entry", "account"),  # their agency's directives are on the home page
    Role.viewer: ("home", "overview", "heatmap", "present", "meetings", "account"),
}

USER_MANAGERS = {Role.admin, Role.secretariat}


def pages_for(role: Role | str) -> tuple[str, ...]:
    return PAGES_BY_ROLE[Role(role)]


def can_view_page(actor: Actor, page: str) -> bool:
    return actor.role is not None and page in pages_for(actor.role)


def require_user_manager(actor: Actor, *, target_role: Role | str | None = None) -> None:
    """Admins manage everyone; the secretariat manages every account except admins."""
    if actor.role not in USER_MANAGERS:
        raise PermissionDenied()
    if target_role is not None and Role(target_role) == Role.admin and actor.role != Role.admin:
        raise PermissionDenied("error.only_admin_manages_admins")


def require_admin(actor: Actor) -> None:
    """Changing the plan's structure, backups and restores: the administrator's work."""
    if actor.role is None or Role(actor.role) != Role.admin:
        raise PermissionDenied("error.admin_only")


# ----------------------------------------------------------------------------- reports
def can_view_agency(actor: Actor, agency_id: int) -> bool:
    """Focal points see their own agency; every other role sees every agency."""
    if actor.role is None:
        return False
    if Role(actor.role) == Role.focal_point:
        return actor.agency_id == agency_id
    return True


def require_view(actor: Actor, agency_id: int) -> None:
    if not can_view_agency(actor, agency_id):
        raise PermissionDenied("error.other_agency")


def require_edit(
    actor: Actor,
    *,
    agency_id: int,
    rnd: Round,
    report: ProgressReport | None,
    correction_reason: str = "",
    figures: bool = True,
) -> None:
    """Focal points edit their own agency's drafts and returned items in an open round; the
    secretariat edits any item, and after a round closes changes figures only with a reason."""
    role = Role(actor.role) if actor.role else None
    if role == Role.focal_point:
        if actor.agency_id != agency_id:
            raise PermissionDenied("error.other_agency")
        if rnd.state != RoundState.open:
            raise PermissionDenied("error.round_closed")
        if report is not None and report.submission_state not in FOCAL_EDITABLE_STATES:
            raise PermissionDenied("error.already_submitted")
        return
    if role == Role.secretariat:
        if rnd.state != RoundState.open and figures and not correction_reason.strip():
            raise ProgressError("error.correction_reason_required")
        return
    raise PermissionDenied()


def require_secretariat(actor: Actor) -> None:
    """Reviewing and running rounds: the secretariat's work."""
    if actor.role is None or Role(actor.role) != Role.secretariat:
        raise PermissionDenied("error.secretariat_only")


def require_digest_manager(actor: Actor) -> None:
    """The chair's digest (its recipients, sending it): the secretariat and admins."""
    if actor.role is None or Role(actor.role) not in USER_MANAGERS:
        raise PermissionDenied("error.digest.not_allowed")

"""Who may see and do what. Pages use these to build navigation; services re-check on every write."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import Role
from services.errors import UserFacingError


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
    Role.admin: ("home", "overview", "heatmap", "present", "users", "account"),
    Role.secretariat: ("home", "entry", "review", "overview", "heatmap", "present", "users", "account"),
    Role.chair: ("home", "overview", "heatmap", "present", "account"),
    Role.executive: ("home", "overview", "heatmap", "present", "account"),
    Role.focal_point: ("home", "entry", "account"),
    Role.viewer: ("home", "overview", "heatmap", "present", "account"),
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

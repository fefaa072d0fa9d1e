import pytest

from models import Role
from services.permissions import PAGES_BY_ROLE, Actor, can_view_page, pages_for


def test_every_role_has_home_and_account():
    for role in Role:
        assert {"home", "account"} <= set(pages_for(role))


@pytest.mark.parametrize("role", list(Role))
def test_only_user_managers_get_the_users_page(role):
    actor = Actor(user_id=1, username="x", role=role)
    assert can_view_page(actor, "users") == (role in (Role.admin, Role.secretariat))


def test_system_actor_sees_no_page():
    assert not can_view_page(Actor.system(), "home")


def test_every_role_is_mapped():
    assert set(PAGES_BY_ROLE) == set(Role)

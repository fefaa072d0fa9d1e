"""Accounts and login: lockout counted in the database, equal cost for unknown usernames."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core.db import make_engine, read_session, write_session
from models import AuditLog, Role, User
from services import passwords, users
from services.passwords import WeakPassword
from services.permissions import Actor, PermissionDenied

LOGIN = Actor.system("login")


def _login(engine, username, password, now=None):
    with write_session(engine, LOGIN) as s:
        return users.authenticate(session=s, username=username, password=password, bcrypt_rounds=4, now=now)


def _actor(engine, username):
    with read_session(engine) as s:
        return users.actor_for(users.get_by_username(session=s, username=username))


def test_demo_password_logs_in_and_resets_the_failure_count(demo_db):
    assert not _login(demo_db, "viewer", "wrong-password").ok
    result = _login(demo_db, "viewer", "demo2563")
    assert result.ok and result.reason == "ok"
    with read_session(demo_db) as s:
        assert users.get_by_username(session=s, username="viewer").failed_login_count == 0


def test_five_failures_lock_for_fifteen_minutes_even_with_the_right_password(demo_db):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    reasons = [_login(demo_db, "chair", "nope-nope", now=now).reason for _ in range(5)]
    assert reasons == ["invalid"] * 4 + ["locked"]
    locked = _login(demo_db, "chair", "demo2563", now=now + timedelta(minutes=14, seconds=59))
    assert not locked.ok and locked.reason == "locked"
    assert locked.locked_until == now + timedelta(minutes=15)
    assert _login(demo_db, "chair", "demo2563", now=now + timedelta(minutes=15, seconds=1)).ok


def test_lock_holds_across_processes(demo_db):
    """Failures from another engine (another process) add up: the count lives in the database."""
    other_process = make_engine(demo_db.url.render_as_string(hide_password=False))
    for engine in (demo_db, other_process, demo_db, other_process, demo_db):
        _login(engine, "executive", "bad-password")
    assert _login(other_process, "executive", "demo2563").reason == "locked"
    other_process.dispose()


def test_failed_logins_are_audited(demo_db):
    _login(demo_db, "viewer", "bad-password")
    with read_session(demo_db) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.field == "failed_login_count", AuditLog.username == "login")).all()
    assert [(r.old_value, r.new_value) for r in rows] == [("0", "1")]


@pytest.mark.parametrize("username", ["nobody", "viewer"])
def test_unknown_and_known_usernames_cost_one_bcrypt_check_of_the_same_cost(demo_db, monkeypatch, username):
    costs = []
    real = passwords.bcrypt.checkpw

    def counting(password, hashed):
        costs.append(passwords.hash_rounds(hashed.decode()))
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting)
    assert not _login(demo_db, username, "wrong-password").ok
    assert costs == [4]


def test_inactive_and_unknown_accounts_are_refused_alike(demo_db):
    with write_session(demo_db, _actor(demo_db, "admin")) as s:
        users.set_active(session=s, actor=_actor(demo_db, "admin"), username="viewer", active=False)
    assert _login(demo_db, "viewer", "demo2563").reason == "invalid"
    assert _login(demo_db, "ghost", "demo2563").reason == "invalid"


def test_credentials_for_the_authenticator_come_from_the_user_table(demo_db):
    with read_session(demo_db) as s:
        creds = users.authenticator_credentials(session=s)
    assert set(creds["usernames"]) >= {"admin", "chair", "focal_otepc", "focal_ict"}
    assert creds["usernames"]["focal_ict"]["roles"] == ["focal_point"]
    assert creds["usernames"]["chair"]["password"].startswith("$2")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"username": "Bad Name"}, "error.username_format"),
        ({"username": "admin"}, "error.username_taken"),
        ({"role": Role.focal_point}, "error.focal_point_needs_agency"),
        ({"role": Role.focal_point, "agency_code": "NOPE"}, "error.unknown_agency"),
    ],
)
def test_create_user_refuses_bad_input(demo_db, kwargs, error):
    args = {"username": "newperson", "display_name": "x", "role": Role.viewer, "password": "long-enough-1"} | kwargs
    with pytest.raises(users.UserInputError) as exc, write_session(demo_db, _actor(demo_db, "admin")) as s:
        users.create_user(session=s, actor=_actor(demo_db, "admin"), bcrypt_rounds=4, **args)
    assert exc.value.message_key == error


@pytest.mark.parametrize("password", ["short", " leading-space", "x" * 80])
def test_weak_passwords_are_refused(demo_db, password):
    with pytest.raises(WeakPassword), write_session(demo_db, _actor(demo_db, "admin")) as s:
        users.create_user(
            session=s,
            actor=_actor(demo_db, "admin"),
            username="newperson",
            display_name="x",
            role=Role.viewer,
            password=password,
            bcrypt_rounds=4,
        )


@pytest.mark.parametrize(
    ("who", "target_role", "allowed"),
    [
        ("admin", Role.admin, True),
        ("secretariat", Role.focal_point, True),
        ("secretariat", Role.admin, False),
        ("chair", Role.viewer, False),
        ("focal_bps", Role.viewer, False),
        ("viewer", Role.viewer, False),
    ],
)
def test_only_user_managers_create_accounts(demo_db, who, target_role, allowed):
    actor = _actor(demo_db, who)
    args = dict(
        username="newperson", display_name="x", role=target_role, password="long-enough-1", agency_code="BPS", bcrypt_rounds=4
    )
    if allowed:
        with write_session(demo_db, actor) as s:
            users.create_user(session=s, actor=actor, **args)
        with read_session(demo_db) as s:
            assert users.get_by_username(session=s, username="newperson").role == target_role
    else:
        with pytest.raises(PermissionDenied), write_session(demo_db, actor) as s:
            users.create_user(session=s, actor=actor, **args)
        with read_session(demo_db) as s:
            assert users.get_by_username(session=s, username="newperson") is None


def test_secretariat_unlocks_a_locked_account(demo_db):
    for _ in range(5):
        _login(demo_db, "focal_bie", "wrong-password")
    assert _login(demo_db, "focal_bie", "demo2563").reason == "locked"
    sec = _actor(demo_db, "secretariat")
    with write_session(demo_db, sec) as s:
        users.unlock_user(session=s, actor=sec, username="focal_bie")
    assert _login(demo_db, "focal_bie", "demo2563").ok


def test_focal_point_cannot_unlock(demo_db):
    focal = _actor(demo_db, "focal_bie")
    with pytest.raises(PermissionDenied), write_session(demo_db, focal) as s:
        users.unlock_user(session=s, actor=focal, username="focal_bps")


def test_change_own_password_needs_the_current_one(demo_db):
    me = _actor(demo_db, "viewer")
    with pytest.raises(users.UserInputError), write_session(demo_db, me) as s:
        users.change_own_password(
            session=s, actor=me, current_password="wrong-one", new_password="new-password-1", bcrypt_rounds=4
        )
    with write_session(demo_db, me) as s:
        users.change_own_password(
            session=s, actor=me, current_password="demo2563", new_password="new-password-1", bcrypt_rounds=4
        )
    assert _login(demo_db, "viewer", "new-password-1").ok
    assert not _login(demo_db, "viewer", "demo2563").ok


def test_focal_point_without_agency_is_refused_by_the_database(db):
    with pytest.raises(Exception, match="(?i)check|constraint"), write_session(db, Actor.system("t")) as s:
        s.add(User(username="orphan", display_name="x", role=Role.focal_point, password_hash="x"))

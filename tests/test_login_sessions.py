"""Login sessions behind the re-login cookie, on SQLite and PostgreSQL: a ticket is redeemed once,
a token stands for its session until that ends (logout, deactivation, password change or reset,
expiry), the table keeps hashes only, and none of it moves the data version."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import db
from core.db import read_session, write_session
from models import AuditLog, LoginSession
from services import login_sessions, users
from services.permissions import Actor
from tests.helpers import actor

SYSTEM = Actor.system("login")
KEY = "k" * 40


def _user_id(engine, username):
    with read_session(engine) as s:
        return users.get_by_username(session=s, username=username).id


def _start(engine, username="chair", days=1.0):
    with write_session(engine, SYSTEM) as s:
        return login_sessions.start(session=s, user_id=_user_id(engine, username), cookie_expiry_days=days, key=KEY)


def _redeem(engine, ticket):
    with write_session(engine, Actor.system("session")) as s:
        found = login_sessions.redeem_ticket(session=s, ticket=ticket, key=KEY)
        return found[0] if found else None


def _user_of(engine, token):
    with read_session(engine) as s:
        found = login_sessions.by_token(session=s, token=token, key=KEY)
        return found[1].username if found else None


def test_a_ticket_is_redeemed_once_for_a_token_that_logs_in_until_logout(demo_db):
    started = _start(demo_db)
    token = _redeem(demo_db, started.ticket)
    assert token and _redeem(demo_db, started.ticket) is None  # one use only
    assert _user_of(demo_db, token) == "chair"
    with read_session(demo_db) as s:
        assert login_sessions.ticket_redeemed(session=s, session_id=started.session_id)
        assert login_sessions.active_user(session=s, session_id=started.session_id).username == "chair"
    with write_session(demo_db, actor(demo_db, "chair")) as s:
        assert login_sessions.revoke(session=s, token=token, key=KEY)
    assert _user_of(demo_db, token) is None
    with read_session(demo_db) as s:
        assert login_sessions.active_user(session=s, session_id=started.session_id) is None
        assert s.get(LoginSession, started.session_id).revoked_reason == "logout"


@pytest.mark.parametrize("junk", ["", "x", "A" * 43, "A" * 5000])
def test_unknown_or_junk_tokens_and_tickets_open_nothing(demo_db, junk):
    _start(demo_db)
    assert _redeem(demo_db, junk) is None
    assert _user_of(demo_db, junk) is None


def test_an_old_ticket_or_an_expired_session_opens_nothing(demo_db):
    started = _start(demo_db)
    later = datetime.now(UTC) + timedelta(seconds=login_sessions.TICKET_SECONDS + 1)
    with write_session(demo_db, SYSTEM) as s:
        assert login_sessions.redeem_ticket(session=s, ticket=started.ticket, key=KEY, now=later) is None
    other = _start(demo_db)
    token = _redeem(demo_db, other.ticket)
    with read_session(demo_db) as s:
        assert (
            login_sessions.by_token(session=s, token=token, key=KEY, now=datetime.now(UTC) + timedelta(days=1, minutes=1)) is None
        )


@pytest.mark.parametrize(
    ("end", "reason"),
    [
        (lambda s, a: users.set_active(session=s, actor=a, username="chair", active=False), "deactivated"),
        (
            lambda s, a: users.reset_password(
                session=s, actor=a, username="chair", new_password="new-password-1", bcrypt_rounds=4
            ),
            "password_reset",
        ),
    ],
    ids=["deactivated", "password-reset"],
)
def test_a_deactivation_or_a_password_reset_ends_every_session_of_the_account(demo_db, end, reason):
    tokens = [_redeem(demo_db, _start(demo_db).ticket) for _ in range(2)]
    with write_session(demo_db, actor(demo_db, "secretariat")) as s:
        end(s, actor(demo_db, "secretariat"))
    assert [_user_of(demo_db, t) for t in tokens] == [None, None]
    with read_session(demo_db) as s:
        assert {r.revoked_reason for r in s.exec(select(LoginSession))} == {reason}


def test_changing_ones_own_password_keeps_the_session_in_use_and_ends_the_others(demo_db):
    here, elsewhere = _start(demo_db), _start(demo_db)
    here_token, elsewhere_token = _redeem(demo_db, here.ticket), _redeem(demo_db, elsewhere.ticket)
    with write_session(demo_db, actor(demo_db, "chair")) as s:
        users.change_own_password(
            session=s,
            actor=actor(demo_db, "chair"),
            current_password="demo2563",
            new_password="another-password-1",
            bcrypt_rounds=4,
            keep_session_id=here.session_id,
        )
    assert (_user_of(demo_db, here_token), _user_of(demo_db, elsewhere_token)) == ("chair", None)


def test_sessions_keep_only_hashes_are_audited_redacted_and_leave_the_data_version(demo_db):
    with read_session(demo_db) as s:
        before = db.data_version(s)
    started = _start(demo_db)
    token = _redeem(demo_db, started.ticket)
    with write_session(demo_db, actor(demo_db, "chair")) as s:
        login_sessions.revoke(session=s, session_id=started.session_id)
    with read_session(demo_db) as s:
        assert db.data_version(s) == before  # no cached page shows sessions: caches stay warm
        row = s.get(LoginSession, started.session_id)
        assert row.token_hash == login_sessions.digest(token, key=KEY) and token not in row.token_hash
        trail = s.exec(select(AuditLog).where(AuditLog.entity == "login_session")).all()
    assert {r.field for r in trail} >= {"user_id", "ticket_hash", "token_hash", "revoked_at"}
    assert all(r.new_value in (None, "***") and r.old_value in (None, "***") for r in trail if r.field.endswith("_hash"))
    assert not any(started.ticket in (r.new_value or "") or token in (r.new_value or "") for r in trail)


def test_a_token_works_only_under_the_key_it_was_made_with(demo_db):
    token = _redeem(demo_db, _start(demo_db).ticket)
    with read_session(demo_db) as s:
        assert login_sessions.by_token(session=s, token=token, key=KEY) is not None
        assert login_sessions.by_token(session=s, token=token, key="another-key-" * 4) is None  # a new COOKIE_KEY: all out

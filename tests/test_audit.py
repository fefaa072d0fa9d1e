"""Every write leaves audit rows in the same transaction; writes without an actor are refused."""

import pytest
from sqlmodel import Session, select

from core.audit import UnauditedWriteError
from core.db import read_session, write_session
from models import Agency, AuditLog, User
from services import users
from services.permissions import Actor

SEC = Actor(user_id=2, username="secretariat", role="secretariat")


def _audit(session, entity):
    return session.exec(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)).all()


def test_create_and_update_are_recorded_with_actor_old_and_new(db):
    with write_session(db, SEC) as s:
        s.add(Agency(code="NEW", name_th="หน่วยงานใหม่", short_name_th="ใหม่"))
    with write_session(db, SEC) as s:
        agency = s.exec(select(Agency).where(Agency.code == "NEW")).one()
        agency.short_name_th = "นม."
        s.add(agency)
    with read_session(db) as s:
        rows = _audit(s, "agency")
        agency_id = s.exec(select(Agency.id).where(Agency.code == "NEW")).one()
    created = [r for r in rows if r.action == "create"]
    assert {r.field for r in created} >= {"code", "name_th", "short_name_th"}
    assert all(r.entity_id == str(agency_id) and r.username == "secretariat" and r.user_id == 2 for r in rows)
    (update,) = [r for r in rows if r.action == "update"]
    assert (update.field, update.old_value, update.new_value) == ("short_name_th", "ใหม่", "นม.")


def test_a_rolled_back_write_leaves_no_audit_rows(db):
    with pytest.raises(RuntimeError), write_session(db, SEC) as s:
        s.add(Agency(code="GONE", name_th="x", short_name_th="x"))
        s.flush()
        raise RuntimeError("the page failed half-way")
    with read_session(db) as s:
        assert s.exec(select(Agency).where(Agency.code == "GONE")).first() is None
        assert _audit(s, "agency") == []


def test_a_write_without_an_actor_is_refused(db):
    with Session(db) as s:
        s.add(Agency(code="SNEAK", name_th="x", short_name_th="x"))
        with pytest.raises(UnauditedWriteError):
            s.commit()
    with read_session(db) as s:
        assert s.exec(select(Agency).where(Agency.code == "SNEAK")).first() is None


def test_password_hashes_never_enter_the_trail(db):
    with write_session(db, Actor.system("test")) as s:
        users.create_user(
            session=s, actor=None, username="someone", display_name="x", role="viewer", password="long-enough-1", bcrypt_rounds=4
        )
    with read_session(db) as s:
        rows = [r for r in _audit(s, "app_user") if r.field == "password_hash"]
        user = s.exec(select(User).where(User.username == "someone")).one()
    assert rows and all(r.new_value == "***" for r in rows)
    assert all(user.password_hash not in (r.new_value or "") for r in rows)

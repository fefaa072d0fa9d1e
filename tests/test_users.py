"""Accounts and login: lockout counted in the database, equal cost for unknown usernames."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core.db import make_engine, read_session, write_session
from models import Agency, AuditLog, LoginSession, Role, User
from services import login_sessions, passwords, users
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


# ----------------------------------------------------------------------------- editing accounts (issue 15)
def _form(engine, manager, username):
    with read_session(engine) as s:
        return users.account_form(session=s, actor=_actor(engine, manager), username=username)


def _edit(engine, manager, username, *, version=None, **changes):
    """Save the edit form of `username` as `manager`, changing `changes` from what the form shows."""
    form = _form(engine, manager, username)
    values = dict(display_name=form.display_name, email=form.email, role=form.role, agency_id=form.agency_id)
    values |= changes
    actor = _actor(engine, manager)
    with write_session(engine, actor) as s:
        return users.update_user(
            session=s, actor=actor, username=username, expected_version=form.version if version is None else version, **values
        )


def _user(engine, username):
    with read_session(engine) as s:
        return users.get_by_username(session=s, username=username)


def _agency(engine, code):
    with read_session(engine) as s:
        return s.exec(select(Agency).where(Agency.code == code)).one()


def _audit(engine, user_id, field):
    with read_session(engine) as s:
        return s.exec(
            select(AuditLog)
            .where(AuditLog.entity == "app_user", AuditLog.entity_id == str(user_id), AuditLog.field == field)
            .order_by(AuditLog.id)
        ).all()


def _live_sessions(engine, user_id):
    with read_session(engine) as s:
        return s.exec(select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))).all()


def _start_session(engine, username):
    user = _user(engine, username)
    with write_session(engine, LOGIN) as s:
        login_sessions.start(session=s, user_id=user.id, cookie_expiry_days=1, key="k" * 32)


@pytest.mark.parametrize(
    ("username", "field", "new", "stored_old", "stored_new"),
    [
        ("viewer", "display_name", "  นางสาวสมใจ ใจดี  ", "ผู้ติดตามผล", "นางสาวสมใจ ใจดี"),
        ("viewer", "email", "somjai@moe.go.th", "", "somjai@moe.go.th"),
        ("viewer", "role", Role.executive, "viewer", "executive"),
        ("focal_bps", "agency_id", "BIE", "BPS", "BIE"),
    ],
)
def test_an_admin_edits_each_field_and_each_change_is_audited_old_and_new(demo_db, username, field, new, stored_old, stored_new):
    codes = {str(_agency(demo_db, c).id): c for c in ("BPS", "BIE")}

    def readable(value):  # agency ids as codes
        return codes.get(value, value) if field == "agency_id" else value

    changes = _edit(demo_db, "admin", username, **{field: _agency(demo_db, new).id if field == "agency_id" else new})
    assert [(c.field, readable(c.old), readable(c.new)) for c in changes] == [(field, stored_old, stored_new)]
    user = _user(demo_db, username)
    stored = getattr(user, field)
    assert readable(str(getattr(stored, "value", stored))) == stored_new
    rows = [r for r in _audit(demo_db, user.id, field) if r.action == "update"]
    assert [(readable(r.old_value), readable(r.new_value), r.username, r.user_id) for r in rows] == [
        (stored_old, stored_new, "admin", _user(demo_db, "admin").id)
    ]
    others = {f for f in users.ACCOUNT_FIELDS if f != field}
    assert not any(r.action == "update" for f in others for r in _audit(demo_db, user.id, f))  # nothing else touched


def test_an_edit_that_changes_nothing_writes_nothing(demo_db):
    before = _audit(demo_db, _user(demo_db, "chair").id, "display_name")
    assert _edit(demo_db, "secretariat", "chair") == []
    assert _audit(demo_db, _user(demo_db, "chair").id, "display_name") == before


@pytest.mark.parametrize(
    ("username", "changes", "error"),
    [
        ("viewer", {"role": Role.focal_point}, "error.focal_point_needs_agency"),
        ("focal_bps", {"role": Role.executive}, "error.agency_only_for_focal_points"),  # the agency left in
        ("focal_bps", {"agency_id": 99999}, "error.unknown_agency"),
        ("viewer", {"email": "not-an-address"}, "error.email_format"),
        ("viewer", {"email": "a@b"}, "error.email_format"),
        ("viewer", {"display_name": "   "}, "error.display_name_required"),
        ("viewer", {"display_name": "ชื่อ\x00ซ่อน"}, "error.text_control_chars"),
        ("viewer", {"display_name": "ก" * 201}, "error.text_too_long"),
        ("viewer", {"role": "overlord"}, "error.unknown_role"),
        ("admin", {"role": Role.viewer}, "error.cannot_change_own_role"),
    ],
)
def test_a_bad_edit_is_refused_and_nothing_changes(demo_db, username, changes, error):
    before = _form(demo_db, "admin", username)
    with pytest.raises(users.UserInputError) as exc:
        _edit(demo_db, "admin", username, **changes)
    assert exc.value.message_key == error
    assert _form(demo_db, "admin", username) == before


@pytest.mark.parametrize(
    ("who", "target", "changes"),
    [
        ("chair", "viewer", {"display_name": "x"}),
        ("focal_bps", "focal_bps", {"display_name": "x"}),
        ("viewer", "viewer", {"email": "v@moe.go.th"}),
        ("executive", "viewer", {"role": Role.chair}),
        ("secretariat", "admin", {"display_name": "x"}),  # only an admin manages admins
        ("secretariat", "viewer", {"role": Role.admin}),  # … or makes one
    ],
)
def test_only_user_managers_edit_accounts(demo_db, who, target, changes):
    before = _form(demo_db, "admin", target)
    actor = _actor(demo_db, who)
    with pytest.raises(PermissionDenied), write_session(demo_db, actor) as s:
        users.update_user(
            session=s,
            actor=actor,
            username=target,
            expected_version=before.version,
            **(
                dict(display_name=before.display_name, email=before.email, role=before.role, agency_id=before.agency_id) | changes
            ),
        )
    assert _form(demo_db, "admin", target) == before


def test_the_secretariat_edits_non_admin_accounts(demo_db):
    _edit(demo_db, "secretariat", "viewer", display_name="ผู้ติดตามผล (สำนักนโยบาย)")
    assert _user(demo_db, "viewer").display_name == "ผู้ติดตามผล (สำนักนโยบาย)"


def test_a_stale_edit_is_refused_naming_who_changed_what_and_nothing_is_written(demo_db):
    shown = _form(demo_db, "admin", "viewer")  # admin opens the form
    _edit(demo_db, "secretariat", "viewer", display_name="ชื่อจากฝ่ายเลขานุการ")  # the secretariat saves first
    audit_before = _audit(demo_db, _user(demo_db, "viewer").id, "email")
    with pytest.raises(users.AccountConflict) as exc:
        _edit(demo_db, "admin", "viewer", version=shown.version, display_name="ชื่อของผู้ดูแล", email="v@moe.go.th")
    assert exc.value.message_key == "error.account_conflict"
    assert exc.value.params["who"] == "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"  # a display name, not a username
    assert [(c.field, c.old, c.new) for c in exc.value.changes] == [("display_name", "ผู้ติดตามผล", "ชื่อจากฝ่ายเลขานุการ")]
    user = _user(demo_db, "viewer")
    assert (user.display_name, user.email) == ("ชื่อจากฝ่ายเลขานุการ", "")
    assert _audit(demo_db, user.id, "email") == audit_before
    # the reloaded form (the current version) saves
    _edit(demo_db, "admin", "viewer", display_name="ชื่อของผู้ดูแล")
    assert _user(demo_db, "viewer").display_name == "ชื่อของผู้ดูแล"


def test_a_password_change_or_a_login_does_not_make_an_open_form_stale(demo_db):
    shown = _form(demo_db, "admin", "viewer")
    assert _login(demo_db, "viewer", "demo2563").ok
    _edit(demo_db, "admin", "viewer", version=shown.version, email="viewer@moe.go.th")
    assert _user(demo_db, "viewer").email == "viewer@moe.go.th"


@pytest.mark.parametrize(
    ("username", "changes", "revoked"),
    [
        ("viewer", {"role": Role.executive}, True),
        ("focal_bps", {"agency_id": "BIE"}, True),
        ("viewer", {"display_name": "ชื่อใหม่", "email": "viewer@moe.go.th"}, False),
    ],
)
def test_a_new_role_or_agency_ends_the_accounts_login_sessions(demo_db, username, changes, revoked):
    _start_session(demo_db, username)
    _start_session(demo_db, username)
    other = _user(demo_db, "chair")
    _start_session(demo_db, "chair")
    changes = dict(changes)  # the parameter is shared by both backends' runs
    if changes.get("agency_id"):
        changes["agency_id"] = _agency(demo_db, changes["agency_id"]).id
    _edit(demo_db, "admin", username, **changes)
    assert len(_live_sessions(demo_db, _user(demo_db, username).id)) == (0 if revoked else 2)
    assert len(_live_sessions(demo_db, other.id)) == 1


def test_a_temporary_password_must_be_changed_at_the_next_login(demo_db):
    sec = _actor(demo_db, "secretariat")
    _start_session(demo_db, "focal_bla")
    with write_session(demo_db, sec) as s:
        users.set_temporary_password(session=s, actor=sec, username="focal_bla", temp_password="temporary-2568", bcrypt_rounds=4)
    user = _user(demo_db, "focal_bla")
    assert user.must_change_password
    assert _live_sessions(demo_db, user.id) == []
    assert [(r.old_value, r.new_value, r.username) for r in _audit(demo_db, user.id, "must_change_password")][-1] == (
        "False",
        "True",
        "secretariat",
    )
    assert [(r.old_value, r.new_value) for r in _audit(demo_db, user.id, "password_hash")][-1] == ("***", "***")
    assert not _login(demo_db, "focal_bla", "demo2563").ok
    assert _login(demo_db, "focal_bla", "temporary-2568").ok  # the temporary password logs in …
    me = _actor(demo_db, "focal_bla")
    with pytest.raises(users.UserInputError) as exc, write_session(demo_db, me) as s:  # … and cannot be kept
        users.change_own_password(
            session=s, actor=me, current_password="temporary-2568", new_password="temporary-2568", bcrypt_rounds=4
        )
    assert exc.value.message_key == "error.password_same_as_temporary"
    with write_session(demo_db, me) as s:
        users.change_own_password(
            session=s, actor=me, current_password="temporary-2568", new_password="my-own-2568", bcrypt_rounds=4
        )
    assert not _user(demo_db, "focal_bla").must_change_password
    assert _login(demo_db, "focal_bla", "my-own-2568").ok


def test_a_temporary_password_unlocks_the_account(demo_db):
    for _ in range(5):
        _login(demo_db, "focal_bie", "wrong-password")
    admin = _actor(demo_db, "admin")
    with write_session(demo_db, admin) as s:
        users.set_temporary_password(
            session=s, actor=admin, username="focal_bie", temp_password="temporary-2568", bcrypt_rounds=4
        )
    assert _login(demo_db, "focal_bie", "temporary-2568").ok


@pytest.mark.parametrize(
    ("who", "target", "error"),
    [
        ("chair", "viewer", "error.permission_denied"),
        ("focal_bps", "focal_bie", "error.permission_denied"),
        ("secretariat", "admin", "error.only_admin_manages_admins"),
        ("admin", "admin", "error.temp_password_self"),
    ],
)
def test_temporary_passwords_are_for_user_managers_and_not_for_themselves(demo_db, who, target, error):
    actor = _actor(demo_db, who)
    with pytest.raises((PermissionDenied, users.UserInputError)) as exc, write_session(demo_db, actor) as s:
        users.set_temporary_password(session=s, actor=actor, username=target, temp_password="temporary-2568", bcrypt_rounds=4)
    assert exc.value.message_key == error
    assert not _user(demo_db, target).must_change_password
    assert _login(demo_db, target, "demo2563").ok


def test_account_history_is_newest_first_with_display_names(demo_db):
    _edit(demo_db, "admin", "viewer", display_name="ผู้ติดตามผล ก")
    _edit(demo_db, "secretariat", "viewer", role=Role.executive, email="viewer@moe.go.th")
    sec = _actor(demo_db, "secretariat")
    with write_session(demo_db, sec) as s:
        users.set_temporary_password(session=s, actor=sec, username="viewer", temp_password="temporary-2568", bcrypt_rounds=4)
    _login(demo_db, "viewer", "wrong-password")  # login bookkeeping is not account history
    with read_session(demo_db) as s:
        history = users.account_history(session=s, actor=_actor(demo_db, "admin"), username="viewer")
    updates = [(c.who, c.field, c.old, c.new) for c in history if c.action == "update"]
    assert updates[:2] == [  # newest first; the temporary password's two fields were one transaction
        ("ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)", "must_change_password", "False", "True"),
        ("ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)", "password_hash", "***", "***"),
    ]
    assert set(updates[2:4]) == {
        ("ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)", "role", "viewer", "executive"),
        ("ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)", "email", "", "viewer@moe.go.th"),
    }
    assert updates[4:] == [("ผู้ดูแลระบบ", "display_name", "ผู้ติดตามผล", "ผู้ติดตามผล ก")]
    assert not any(c.field == "failed_login_count" for c in history)
    assert [c.at for c in history] == sorted((c.at for c in history), reverse=True)
    created = [c for c in history if c.action == "create"]
    assert {c.field for c in created} == {"display_name", "role"} and {c.who for c in created} == {"test-seed"}
    with pytest.raises(PermissionDenied), read_session(demo_db) as s:
        users.account_history(session=s, actor=_actor(demo_db, "chair"), username="viewer")


def test_edits_work_on_a_fresh_database(db):
    """From an empty database: the command line's first admin creates and edits an account."""
    with write_session(db, Actor.system("cli")) as s:
        s.add(Agency(code="BPS", name_th="สำนักนโยบายและแผน", short_name_th="สนย."))
        users.create_user(
            session=s,
            actor=None,
            username="root",
            display_name="ผู้ดูแล",
            role=Role.admin,
            password="long-enough-1",
            bcrypt_rounds=4,
        )
        users.create_user(
            session=s,
            actor=None,
            username="somchai",
            display_name="สมชาย",
            role=Role.viewer,
            password="long-enough-1",
            bcrypt_rounds=4,
        )
    bps = _agency(db, "BPS").id
    changes = _edit(db, "root", "somchai", role=Role.focal_point, agency_id=bps, email="somchai@moe.go.th")
    assert {(c.field, c.new) for c in changes} == {
        ("role", "focal_point"),
        ("agency_id", str(bps)),
        ("email", "somchai@moe.go.th"),
    }
    with read_session(db) as s:
        history = users.account_history(session=s, actor=_actor(db, "root"), username="somchai")
    assert {(c.who, c.field) for c in history if c.action == "update"} == {
        ("ผู้ดูแล", "role"),
        ("ผู้ดูแล", "agency_id"),
        ("ผู้ดูแล", "email"),
    }


def test_create_user_checks_the_email_address(demo_db):
    admin = _actor(demo_db, "admin")
    with pytest.raises(users.UserInputError) as exc, write_session(demo_db, admin) as s:
        users.create_user(
            session=s,
            actor=admin,
            username="newperson",
            display_name="x",
            role=Role.viewer,
            password="long-enough-1",
            email="newperson at moe",
            bcrypt_rounds=4,
        )
    assert exc.value.message_key == "error.email_format"


def test_people_are_shown_by_display_name_in_a_reports_history_and_conflicts(demo_db):
    """Item history, the review conversation, a save conflict and the heatmap's cell detail name
    people by display name; an account renamed since shows its new name."""
    from decimal import Decimal

    from services import heatmap, history, progress
    from services.progress import ReportConflict, ReportInput
    from tests.helpers import assignment, open_round

    rnd = open_round(demo_db)
    item = assignment(demo_db, "BLA", "1.1")
    focal, sec = _actor(demo_db, "focal_bla"), _actor(demo_db, "secretariat")
    with write_session(demo_db, focal) as s:
        saved = progress.save_report(
            session=s,
            actor=focal,
            assignment_id=item.id,
            round_id=rnd.id,
            expected_version=None,
            data=ReportInput(progress_pct=Decimal(40), achievements="ร่าง"),
        )
    _edit(demo_db, "admin", "focal_bla", display_name="นายสมศักดิ์ (สนก.)")
    with write_session(demo_db, sec) as s:
        progress.save_report(
            session=s,
            actor=sec,
            assignment_id=item.id,
            round_id=rnd.id,
            expected_version=saved.version,
            data=ReportInput(progress_pct=Decimal(45), achievements="ร่าง"),
        )
    with read_session(demo_db) as s:
        entries = history.history(session=s, actor=sec, report_id=saved.id)
    who = {e.who for e in entries}
    assert who == {"นายสมศักดิ์ (สนก.)", "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"}
    with pytest.raises(ReportConflict) as exc, write_session(demo_db, focal) as s:
        progress.save_report(
            session=s,
            actor=focal,
            assignment_id=item.id,
            round_id=rnd.id,
            expected_version=saved.version,
            data=ReportInput(progress_pct=Decimal(50), achievements="ของฉัน"),
        )
    assert exc.value.params["who"] == "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"
    assert {c.who for c in exc.value.changes} == {"ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"}
    returned = next(r for r in _reports_with_events(demo_db))
    with read_session(demo_db) as s:
        detail = heatmap.cell_detail(
            session=s, actor=sec, round_id=returned[0], agency_code=returned[1], sub_issue_code=returned[2]
        )
    assert detail.conversation and all(
        detail.people[e.user_id] == _display(demo_db, e.username) for e in detail.conversation if e.user_id
    )


def _reports_with_events(engine):
    """(round id, agency code, sub-issue code) of the demo's reports that have a review conversation."""
    from models import Assignment, ProgressReport, ReviewEvent, SubIssue

    with read_session(engine) as s:
        return s.exec(
            select(ProgressReport.round_id, Agency.code, SubIssue.code)
            .join(Assignment, Assignment.id == ProgressReport.assignment_id)
            .join(Agency, Agency.id == Assignment.agency_id)
            .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
            .where(ProgressReport.id.in_(select(ReviewEvent.report_id)))
        ).all()


def _display(engine, username):
    return _user(engine, username).display_name


def test_two_admins_saving_the_same_form_at_once_never_both_win(demo_db):
    """Both saves start from the same form; one goes through and the other is refused, whatever
    the timing (the row is locked, then the version compared)."""
    import threading

    shown = _form(demo_db, "admin", "viewer")
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def save(manager, name):
        actor = _actor(demo_db, manager)
        barrier.wait()
        try:
            with write_session(demo_db, actor) as s:
                users.update_user(
                    session=s,
                    actor=actor,
                    username="viewer",
                    display_name=name,
                    email="",
                    role=Role.viewer,
                    agency_id=None,
                    expected_version=shown.version,
                )
            outcome[manager] = "saved"
        except users.AccountConflict:
            outcome[manager] = "refused"

    threads = [threading.Thread(target=save, args=a) for a in (("admin", "ชื่อ ก"), ("secretariat", "ชื่อ ข"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(outcome.values()) == ["refused", "saved"]
    winner = next(m for m, o in outcome.items() if o == "saved")
    assert _user(demo_db, "viewer").display_name == {"admin": "ชื่อ ก", "secretariat": "ชื่อ ข"}[winner]
    assert len([r for r in _audit(demo_db, _user(demo_db, "viewer").id, "display_name") if r.action == "update"]) == 1


def test_a_persons_language_is_kept_audited_and_leaves_the_caches_alone(demo_db):
    from core.db import data_version

    with read_session(demo_db) as s:
        chair = users.actor_for(users.get_by_username(session=s, username="chair"))
        before = data_version(s)
    with write_session(demo_db, chair) as s:
        users.set_language(session=s, actor=chair, language="en")
    with pytest.raises(users.UserInputError), write_session(demo_db, chair) as s:
        users.set_language(session=s, actor=chair, language="fr")
    with read_session(demo_db) as s:
        assert users.get_by_username(session=s, username="chair").language == "en"
        assert users.get_by_username(session=s, username="executive").language == "th"
        assert data_version(s) == before  # no cached figure shows it
        rows = s.exec(
            select(AuditLog).where(AuditLog.entity == "app_user", AuditLog.field == "language", AuditLog.action == "update")
        ).all()
        assert [(r.username, r.old_value, r.new_value) for r in rows] == [("chair", "th", "en")]

from datetime import date

from core.db import read_session
from services import home, users


def _summary(engine, username):
    with read_session(engine) as s:
        actor = users.actor_for(users.get_by_username(session=s, username=username))
        return home.summary_for(session=s, actor=actor, today=date(2021, 10, 5))


def test_current_round_is_the_open_one_with_days_to_due(demo_db):
    summary = _summary(demo_db, "chair")
    assert (summary.current_round.fiscal_year, summary.current_round.months) == (2564, 12)
    assert summary.days_to_due == 10  # due 15 ต.ค. 2564
    assert summary.is_demo
    c = summary.counts
    assert (c.assignments, c.missing, c.returned, c.submitted) == (27, 2, 1, 2)
    assert c.reported == c.assignments - c.missing
    assert c.agencies_total == 7


def test_focal_point_sees_their_items_and_returned_comment(demo_db):
    summary = _summary(demo_db, "focal_bps")
    codes = [i.sub_issue_code for i in summary.my_items]
    assert codes == ["1.2", "2.1", "2.2", "2.4", "3.2"]
    returned = [i for i in summary.my_items if i.state == "returned"]
    assert [i.sub_issue_code for i in returned] == ["2.4"] and returned[0].review_comment


def test_focal_point_with_missing_item(demo_db):
    states = {i.sub_issue_code: i.state for i in _summary(demo_db, "focal_bla").my_items}
    assert states["1.1"] == home.MISSING


def test_secretariat_sees_agencies_not_submitted_and_locked_users(demo_db):
    from core.db import write_session
    from services.permissions import Actor

    for _ in range(5):
        with write_session(demo_db, Actor.system("login")) as s:
            users.authenticate(session=s, username="viewer", password="bad-password", bcrypt_rounds=4)
    summary = _summary(demo_db, "secretariat")
    assert summary.locked_users == ["viewer"]
    behind = {a.short_name_th: a.short_name_en for a in summary.agencies_not_submitted}
    assert "สนก." in behind and "สตป." not in behind
    assert behind["สนก."] == "BLA"  # with the English short name the page shows in English


def test_empty_database_has_no_plan(db):
    with read_session(db) as s:
        from services.permissions import Actor

        summary = home.summary_for(session=s, actor=Actor(user_id=1, username="admin", role="admin"))
    assert summary.current_round is None and not summary.is_demo


def test_the_last_meeting_is_one_held_and_its_resolutions_once_circulated(demo_db):
    from datetime import time

    from core.db import write_session
    from services import meetings

    sec = users_actor(demo_db, "secretariat")
    with write_session(demo_db, sec) as s:  # a meeting called for later than today
        meetings.create_meeting(
            session=s,
            actor=sec,
            held_on=date(2021, 11, 1),
            starts_at=time(9, 30),
            venue="ห้อง",
            chair_name="ประธาน",
            chair_title="",
            round_id=None,
        )
    summary = _summary(demo_db, "chair")  # today: 5 Oct 2021
    assert (summary.last_meeting.number, summary.last_meeting.year_be) == (3, 2563)
    assert [kind for kind, _ in summary.last_meeting_resolutions] == ["acknowledge"]


def users_actor(engine, username):
    from core.db import read_session

    with read_session(engine) as s:
        return users.actor_for(users.get_by_username(session=s, username=username))

"""core.runtime's per-run data version: one read per script run, read again after the run's own
write, so every cache a run touches names the same data and a save shows in the same run."""

from core import db, runtime
from services.permissions import Actor


def test_a_run_reads_the_data_version_once_and_again_after_its_own_write(app_env):
    runtime.start_run()
    before = runtime.data_version()
    with db.write_session(runtime.engine(), Actor.system("another process")) as session:
        db.bump_data_version(session)
    assert runtime.data_version() == before  # this run keeps the snapshot it started with
    with runtime.write_session(Actor.system("this run")) as session:
        db.bump_data_version(session)
    assert runtime.data_version() == before + 2  # its own write: read again, both writes seen
    runtime.start_run()
    assert runtime.data_version() == before + 2


def test_cached_account_follows_a_deactivation(app_env):
    runtime.start_run()
    assert runtime.user("chair").active
    with runtime.write_session(Actor.system("secretariat")) as session:
        account = runtime.users.get_by_username(session=session, username="chair")
        account.active = False
        session.add(account)
    assert runtime.user("chair").active is False  # the write moved the version: read again

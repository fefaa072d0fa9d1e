"""Command line for operators: migrate, check the configuration, create the first admin, load a plan, remind, digest.

python cli.py migrate               upgrade the schema (and seed demo data in demo mode)
python cli.py check-config          refuse unsafe settings (exit 1), print where each came from
python cli.py create-admin USERNAME [--name NAME]   password from ADMIN_PASSWORD or a prompt
python cli.py load-plan FILE.yaml   validate a plan file and load it into the database
python cli.py seed-demo             load the demo data set into an empty database
python cli.py remind --before 3 --after 1   remind the agencies behind in each open round due in
                                    3 days or 1 day ago (a daily cron job); --now: today, whatever
                                    the due date
python cli.py digest [--round ID]   e-mail the chair's digest (the round's committee-pack PDF and a
                                    Thai summary) to the recipients kept in the app (a cron job);
                                    default: the round the app shows first; exit 1 when it was not
                                    sent (e-mail off, no recipients, the mail server failed)
python cli.py backup --out FILE.zip every table and evidence file in one archive with a manifest
python cli.py restore FILE.zip      restore an archive into an empty database (checked first;
                                    an older archive is migrated forward; run before the app starts)

Every error is one line on stderr, "COMMAND: refused: …" (a plan file with several problems adds
one indented line per problem), and the exit status says what happened: 0 done, 1 refused or
failed, 2 wrong usage. Set CLI_DEBUG=1 to see the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from core.db import get_engine, read_session, write_session
from core.i18n import MissingTranslation, translate
from core.settings import SettingsError, load_settings
from models import Role, RoundState
from services import backup, demo, digest, reminders, rounds, schema, users
from services.errors import UserFacingError
from services.permissions import Actor
from services.plan_loader import PlanFileError, apply_plan, load_plan_file

MAX_PROBLEMS_SHOWN = 20
MAX_LINE = 500


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (exit 2) instead of the usage text plus the error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: usage error: {_one_line(message)} (python cli.py --help lists the commands)\n")


class _Refused(Exception):
    """A refusal the command states itself (exit 1)."""


def _one_line(text: object, limit: int = MAX_LINE) -> str:
    """`text` fit for one line of a terminal: control characters escaped, long text shortened."""
    flat = " ".join(str(text).splitlines())
    flat = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in flat)
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _say(command: str, text: str) -> None:
    print(f"{command}: {_one_line(text)}", file=sys.stderr)


def _user_message(exc: UserFacingError) -> str:
    try:
        text = translate(exc.message_key, "en", **exc.params)
    except (MissingTranslation, KeyError, IndexError, ValueError):
        text = exc.message_key
    return f"{text} ({exc.message_key})"


def _db_message(exc: SQLAlchemyError) -> str:
    """The driver's first line, without the SQL and parameters SQLAlchemy appends."""
    source = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(source).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _os_message(exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"{text}: {exc.filename}" if exc.filename else text


def _print_plan_refusal(command: str, file: str, exc: PlanFileError) -> None:
    problems = exc.problems or []
    if len(problems) <= 1:
        _say(command, f"refused: {file}: {problems[0] if problems else 'the plan file was refused'}")
        return
    _say(command, f"refused: {file}: the plan was not loaded, {len(problems)} problems:")
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"  {_one_line(problem)}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"  … and {len(problems) - MAX_PROBLEMS_SHOWN} more", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cli.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    sub.add_parser("check-config")
    admin = sub.add_parser("create-admin")
    admin.add_argument("username")
    admin.add_argument("--name", default="ผู้ดูแลระบบ")
    plan = sub.add_parser("load-plan")
    plan.add_argument("file")
    sub.add_parser("seed-demo")
    remind = sub.add_parser("remind", help="remind the agencies behind in each open round (for a daily cron job)")
    remind.add_argument("--before", type=int, action="append", default=[], help="send N days before the due date (repeatable)")
    remind.add_argument("--after", type=int, action="append", default=[], help="send N days after the due date (repeatable)")
    remind.add_argument("--now", action="store_true", help="send today whatever the due date")
    digest_cmd = sub.add_parser("digest", help="e-mail the chair's digest of a round (for a cron job)")
    digest_cmd.add_argument("--round", type=int, default=None, dest="round_id", help="a round id (default: the current one)")
    backup_cmd = sub.add_parser("backup", help="write a backup archive (every table and evidence file, a manifest)")
    backup_cmd.add_argument("--out", required=True, help="the archive to write, e.g. reform-backup.zip")
    restore_cmd = sub.add_parser("restore", help="restore a backup archive into an empty database")
    restore_cmd.add_argument("file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command
    try:
        return _run(args)
    except PlanFileError as exc:
        _print_plan_refusal(command, getattr(args, "file", ""), exc)
    except _Refused as exc:
        _say(command, f"refused: {exc}")
    except UserFacingError as exc:
        _say(command, f"refused: {_user_message(exc)}")
    except SettingsError as exc:
        _say(command, f"refused: {exc}")
    except SQLAlchemyError as exc:
        _say(command, f"database error: {_db_message(exc)}")
    except OSError as exc:
        _say(command, f"failed: {_os_message(exc)}")
    except KeyboardInterrupt:
        _say(command, "interrupted")
        return 130
    except Exception as exc:  # an operator gets one line; CLI_DEBUG=1 shows the traceback
        if os.environ.get("CLI_DEBUG", "").strip().lower() in {"1", "true", "yes"}:
            raise
        _say(command, f"failed: unexpected {type(exc).__name__}: {exc} (set CLI_DEBUG=1 to see the traceback)")
    return 1


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.command == "load-plan":
        spec = load_plan_file(args.file)  # a refused file never touches the database
    engine = get_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    if args.command == "check-config":
        for name, source in sorted(settings.sources.items()):
            print(f"{name:24} from {source}")
        settings.check_secure()
        print("configuration is safe to start" + (" (demo mode)" if settings.demo_mode else ""))
        return 0
    if args.command == "migrate":
        seeded = schema.prepare(engine, settings)
        print(f"database at revision {schema.current_revision(engine)}" + (" with demo data" if seeded else ""))
        return 0
    if args.command in ("backup", "restore"):  # before the upgrade below: neither migrates first
        return _backup_or_restore(engine, Actor.system(f"cli:{args.command}"), settings, args)

    schema.upgrade(engine)
    actor = Actor.system(f"cli:{args.command}")
    if args.command == "create-admin":
        password = os.environ.get("ADMIN_PASSWORD")
        if not password:  # a prompt on a terminal; piped in otherwise (getpass would warn about echo)
            try:
                password = getpass.getpass("Password for the new admin: ") if sys.stdin.isatty() else sys.stdin.readline()
            except EOFError:
                password = ""
            password = password.rstrip("\r\n")
        if not password:
            raise _Refused("no password given: set ADMIN_PASSWORD or type it at the prompt")
        with write_session(engine, actor) as session:
            users.create_user(
                session=session,
                actor=None,
                username=args.username,
                display_name=args.name,
                role=Role.admin,
                password=password,
                bcrypt_rounds=settings.bcrypt_rounds,
            )
        print(f"created admin {args.username}")
        return 0
    if args.command == "load-plan":
        with write_session(engine, actor) as session:  # one transaction: all of the plan or nothing
            created = apply_plan(session=session, spec=spec)
            rounds.create_rounds(session=session, plan=created)
        print(
            f"loaded plan '{_one_line(spec.plan.name_th)}' ({len(spec.agencies)} agencies, {len(spec.main_issues)} main issues)"
        )
        return 0
    if args.command == "remind":
        return _remind(engine, actor, settings, args)
    if args.command == "digest":
        return _digest(engine, actor, settings, args)
    if args.command == "seed-demo":
        with read_session(engine) as session:
            if users.count_users(session=session):
                raise _Refused("the database is not empty")
        with write_session(engine, actor) as session:
            demo.seed_demo(session=session, bcrypt_rounds=settings.bcrypt_rounds)
        print("demo data loaded")
        return 0
    return 2


def _remind(engine, actor: Actor, settings, args: argparse.Namespace) -> int:
    """Each open round due today ± the given days: its agencies behind are reminded (a notice in
    the app; an e-mail when SMTP_HOST is set). One line per agency says what became of the e-mail."""
    if not (args.now or args.before or args.after):
        raise _Refused("say when: --before N, --after N (days around the due date) or --now")
    today = date.today()
    with read_session(engine) as session:
        open_rounds = [r for r in rounds.plan_rounds(session=session, today=today)[0] if r.state == RoundState.open]
    due = [
        r for r in open_rounds if args.now or reminders.due_for_reminder(r.due_date, today, before=args.before, after=args.after)
    ]
    if not due:
        print("no open round is due for a reminder today")
        return 0
    if not settings.smtp_host:
        print("SMTP_HOST is not set: reminders are posted in the app only, no e-mail is sent")
    for rnd in due:
        try:  # logged first; mail is sent outside the transaction
            sent = reminders.send(engine=engine, actor=actor, round_id=rnd.id, settings=settings)
        except UserFacingError as exc:
            print(f"FY{rnd.fiscal_year} {rnd.months} months: {_user_message(exc)}")
            continue
        for s in sent:
            print(
                f"FY{rnd.fiscal_year} {rnd.months} months: {_one_line(s.agency_short_name)}: e-mail {s.email_status}"
                + (f" ({_one_line(s.email_error)})" if s.email_error else "")
            )
    return 0


def _digest(engine, actor: Actor, settings, args: argparse.Namespace) -> int:
    """The chair's digest of one round (--round, else the round the app shows first): built, logged,
    e-mailed, recorded. One Thai line says what happened; exit 1 unless the server accepted it."""
    round_id = args.round_id
    if round_id is None:
        with read_session(engine) as session:
            current = rounds.plan_rounds(session=session, today=date.today())[1]
        if current is None:
            raise _Refused(translate("digest.cli.no_round", "th"))
        round_id = current.id
    done = digest.send_digest(engine=engine, actor=actor, round_id=round_id, settings=settings)
    key = "digest.result.sent_partial" if done.status == "sent" and done.error else digest.outcome_key(done.status)
    line = translate(key, "th", round=done.round_name, n=len(done.recipients), error=done.error)
    if done.status == "sent":
        print(f"digest: {_one_line(line)}")
        return 0
    _say("digest", line)
    return 1


def _backup_or_restore(engine, actor: Actor, settings, args: argparse.Namespace) -> int:
    """`backup --out FILE` (the database as it is, not migrated first) and `restore FILE` (into an
    empty database; a demo archive only in demo mode). A refusal is one Thai line and its key."""
    from pathlib import Path

    try:
        if args.command == "backup":
            out = Path(args.out)
            if out.exists():
                raise _Refused(f"{out} exists already: choose a new file name")
            tmp = out.with_name(out.name + ".part")
            try:
                done = backup.create_backup(engine, actor, evidence_dir=settings.evidence_dir, out=tmp)
                tmp.replace(out)
            finally:
                tmp.unlink(missing_ok=True)
            m = done.manifest
            rows = sum(t["rows"] for t in m["tables"])
            print(
                f"backup written to {out}: {rows:,} rows in {len(m['tables'])} tables, {m['evidence']['files']:,} evidence"
                f" files, revision {m['alembic_revision']}, {done.size_bytes:,} bytes" + (" (demo data)" if m["demo"] else "")
            )
            for name in m["evidence"]["missing"]:
                print(f"  evidence file missing from {settings.evidence_dir}, not in the backup: {_one_line(name)}")
            return 0
        if engine.dialect.name == "sqlite" and engine.url.database:
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        done = backup.restore_backup(
            engine, actor, archive=Path(args.file), evidence_dir=settings.evidence_dir, demo_allowed=settings.demo_mode
        )
    except UserFacingError as exc:
        try:
            text = translate(exc.message_key, "th", **exc.params)
        except (MissingTranslation, KeyError, IndexError, ValueError):
            text = exc.message_key
        raise _Refused(f"{text} ({exc.message_key})") from None
    print(
        f"restored {args.file}: {done.rows:,} rows, {done.files:,} evidence files, database at revision "
        f"{schema.current_revision(engine)}" + (f" (migrated from {done.migrated_from})" if done.migrated_from else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line for operators: migrate, check the configuration, create the first admin, load a plan.

python cli.py migrate               upgrade the schema (and seed demo data in demo mode)
python cli.py check-config          refuse unsafe settings (exit 1), print where each came from
python cli.py create-admin USERNAME [--name NAME]   password from ADMIN_PASSWORD or a prompt
python cli.py load-plan FILE.yaml   validate a plan file and load it into the database
python cli.py seed-demo             load the demo data set into an empty database
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from core.db import get_engine, read_session, write_session
from core.settings import SettingsError, load_settings
from models import Role
from services import database, demo, rounds, users
from services.passwords import WeakPassword
from services.permissions import Actor
from services.plan_loader import PlanFileError, apply_plan, load_plan_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    sub.add_parser("check-config")
    admin = sub.add_parser("create-admin")
    admin.add_argument("username")
    admin.add_argument("--name", default="ผู้ดูแลระบบ")
    plan = sub.add_parser("load-plan")
    plan.add_argument("file")
    sub.add_parser("seed-demo")
    args = parser.parse_args(argv)

    settings = load_settings()
    engine = get_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    if args.command == "check-config":
        for name, source in sorted(settings.sources.items()):
            print(f"{name:24} from {source}")
        try:
            settings.check_secure()
        except SettingsError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        print("configuration is safe to start" + (" (demo mode)" if settings.demo_mode else ""))
        return 0
    if args.command == "migrate":
        seeded = database.prepare(engine, settings)
        print(f"database at revision {database.current_revision(engine)}" + (" with demo data" if seeded else ""))
        return 0

    database.upgrade(engine)
    actor = Actor.system(f"cli:{args.command}")
    if args.command == "create-admin":
        password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass("Password for the new admin: ")
        try:
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
        except (users.UserInputError, WeakPassword) as exc:
            print(f"refused: {exc.args[0]}", file=sys.stderr)
            return 1
        print(f"created admin {args.username}")
        return 0
    if args.command == "load-plan":
        try:
            spec = load_plan_file(args.file)
        except PlanFileError as exc:
            print(f"{args.file}: the plan was not loaded:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        with write_session(engine, actor) as session:
            created = apply_plan(session=session, spec=spec)
            rounds.create_rounds(session=session, plan=created)
        print(f"loaded plan '{spec.plan.name_th}' ({len(spec.agencies)} agencies, {len(spec.main_issues)} main issues)")
        return 0
    if args.command == "seed-demo":
        with read_session(engine) as session:
            if users.count_users(session=session):
                print("refused: the database is not empty", file=sys.stderr)
                return 1
        with write_session(engine, actor) as session:
            demo.seed_demo(session=session, bcrypt_rounds=settings.bcrypt_rounds)
        print("demo data loaded")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

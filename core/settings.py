"""One Settings object, read from the environment, then `st.secrets`, then defaults.

Every setting is listed in SETTINGS with its default and meaning; README's settings table is
kept in step by tests/test_settings.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "reform.db"

# The demo cookie key is public (it is in this file); it is accepted only in demo mode.
DEMO_COOKIE_KEY = "demo-cookie-key-not-secret-change-me-0001"
MIN_COOKIE_KEY_BYTES = 32

# name -> (default, description). Defaults are strings, as they would arrive from the environment.
SETTINGS: dict[str, tuple[str | None, str]] = {
    "DATABASE_URL": (None, "SQLAlchemy URL of a real deployment (PostgreSQL); unset means the embedded SQLite file"),
    "SQLITE_PATH": (str(DEFAULT_SQLITE_PATH), "The embedded SQLite file used when DATABASE_URL is unset"),
    "DEMO_MODE": ("true", "Load demo data and demo accounts on first run (only without DATABASE_URL)"),
    "COOKIE_KEY": (None, "Secret the login tokens are hashed under, at least 32 bytes outside demo mode"),
    "COOKIE_NAME": ("reform_dashboard_auth", "Name of the login cookie"),
    "COOKIE_EXPIRY_DAYS": ("1", "Days a login lasts; 0: until the browser closes (12 hours at most)"),
    "LOGIN_MAX_FAILURES": ("5", "Failed logins before an account is locked"),
    "LOGIN_LOCK_MINUTES": ("15", "Minutes an account stays locked"),
    "BCRYPT_ROUNDS": ("12", "bcrypt cost factor for new password hashes"),
    "SQLITE_BUSY_TIMEOUT_MS": ("15000", "How long a SQLite writer waits for the lock"),
    "PORT": ("8501", "Port for `make run`"),
    "FIGURES_SETTLE_S": (
        "1",
        "Seconds a round's figures, once refreshed, serve readers while more reports are saved; never more than one run behind (0: every run after a save refreshes)",
    ),
    "EVIDENCE_DIR": (str(DATA_DIR / "evidence"), "Folder for uploaded evidence files (outside the web root)"),
    "EVIDENCE_MAX_MB": ("20", "Largest evidence file accepted, in megabytes"),
    "SMTP_HOST": (None, "Mail server for reminder and digest e-mails; unset: reminders are shown in the app only"),
    "SMTP_PORT": ("25", "Mail server port"),
    "SMTP_USER": (None, "Mail server user name (unset: no login)"),
    "SMTP_PASSWORD": (None, "Mail server password"),
    "SMTP_FROM": ("reform-dashboard@localhost", "Sender address of reminder and digest e-mails"),
    "SMTP_STARTTLS": ("false", "Upgrade the mail connection with STARTTLS"),
}


class SettingsError(RuntimeError):
    """The configuration is unsafe or malformed; the app refuses to start."""


def _secrets() -> dict[str, Any]:
    """st.secrets as a plain dict; a missing secrets file (which raises) reads as empty."""
    try:
        import streamlit as st

        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no file, no Streamlit, or a malformed file: fall back to env/defaults
        return {}


def _truthy(value: str | None) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_url_given: bool
    demo_mode: bool
    cookie_key: str
    cookie_name: str
    cookie_expiry_days: float
    login_max_failures: int
    login_lock_minutes: int
    bcrypt_rounds: int
    sqlite_busy_timeout_ms: int
    port: int
    evidence_dir: Path
    evidence_max_bytes: int
    figures_settle_s: float = 1.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "reform-dashboard@localhost"
    smtp_starttls: bool = False
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_secure(self) -> None:
        """Refuse placeholder or short cookie keys outside demo mode."""
        if self.demo_mode:
            return
        key = self.cookie_key or ""
        if not key:
            raise SettingsError("COOKIE_KEY is empty: set a random secret of at least 32 bytes")
        if key == DEMO_COOKIE_KEY:
            raise SettingsError("COOKIE_KEY is the public demo key: set your own secret")
        if len(key.encode("utf-8")) < MIN_COOKIE_KEY_BYTES:
            raise SettingsError(f"COOKIE_KEY is shorter than {MIN_COOKIE_KEY_BYTES} bytes: use a longer secret")


def load_settings(env: dict[str, str] | None = None, secrets: dict[str, Any] | None = None) -> Settings:
    """Read every setting: environment first, then st.secrets, then the default."""
    env = dict(os.environ) if env is None else env
    secrets = _secrets() if secrets is None else secrets
    raw: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for name, (default, _doc) in SETTINGS.items():
        if env.get(name) not in (None, ""):
            raw[name], sources[name] = env[name], "environment"
        elif secrets.get(name) not in (None, ""):
            raw[name], sources[name] = str(secrets[name]), "secrets"
        else:
            raw[name], sources[name] = default, "default"

    url_given = raw["DATABASE_URL"] is not None
    database_url = raw["DATABASE_URL"] or f"sqlite:///{Path(str(raw['SQLITE_PATH'])).resolve()}"
    demo_mode = _truthy(raw["DEMO_MODE"]) and not url_given
    cookie_key = raw["COOKIE_KEY"] or (DEMO_COOKIE_KEY if demo_mode else "")
    try:
        return Settings(
            database_url=database_url,
            database_url_given=url_given,
            demo_mode=demo_mode,
            cookie_key=cookie_key,
            cookie_name=str(raw["COOKIE_NAME"]),
            cookie_expiry_days=float(raw["COOKIE_EXPIRY_DAYS"]),
            login_max_failures=int(raw["LOGIN_MAX_FAILURES"]),
            login_lock_minutes=int(raw["LOGIN_LOCK_MINUTES"]),
            bcrypt_rounds=int(raw["BCRYPT_ROUNDS"]),
            sqlite_busy_timeout_ms=int(raw["SQLITE_BUSY_TIMEOUT_MS"]),
            port=int(raw["PORT"]),
            evidence_dir=Path(str(raw["EVIDENCE_DIR"])).resolve(),
            evidence_max_bytes=int(float(str(raw["EVIDENCE_MAX_MB"])) * 1024 * 1024),
            figures_settle_s=max(0.0, float(raw["FIGURES_SETTLE_S"])),
            smtp_host=str(raw["SMTP_HOST"] or ""),
            smtp_port=int(raw["SMTP_PORT"]),
            smtp_user=str(raw["SMTP_USER"] or ""),
            smtp_password=str(raw["SMTP_PASSWORD"] or ""),
            smtp_from=str(raw["SMTP_FROM"]),
            smtp_starttls=_truthy(raw["SMTP_STARTTLS"]),
            sources=sources,
        )
    except ValueError as exc:
        raise SettingsError(f"A numeric setting is not a number: {exc}") from exc

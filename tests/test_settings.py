import re
from pathlib import Path

import pytest

from core.settings import DEMO_COOKIE_KEY, SETTINGS, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_environment_wins_over_secrets_and_defaults():
    s = load_settings(env={"LOGIN_MAX_FAILURES": "7"}, secrets={"LOGIN_MAX_FAILURES": 9, "LOGIN_LOCK_MINUTES": 30})
    assert s.login_max_failures == 7
    assert s.login_lock_minutes == 30
    assert s.bcrypt_rounds == 12
    assert s.sources["LOGIN_MAX_FAILURES"] == "environment"
    assert s.sources["LOGIN_LOCK_MINUTES"] == "secrets"
    assert s.sources["BCRYPT_ROUNDS"] == "default"


def test_default_is_demo_mode_on_embedded_sqlite():
    s = load_settings(env={}, secrets={})
    assert s.demo_mode and s.is_sqlite and not s.database_url_given
    assert s.database_url.endswith("data/reform.db")
    s.check_secure()  # the demo key is accepted in demo mode


def test_database_url_turns_demo_mode_off():
    s = load_settings(env={"DATABASE_URL": "postgresql://x@h/db", "DEMO_MODE": "true"}, secrets={})
    assert not s.demo_mode


@pytest.mark.parametrize(
    ("key", "message"),
    [("", "empty"), (DEMO_COOKIE_KEY, "demo key"), ("short-key", "shorter than 32 bytes")],
)
def test_outside_demo_mode_unsafe_cookie_keys_are_refused(key, message):
    s = load_settings(env={"DEMO_MODE": "false", "COOKIE_KEY": key}, secrets={})
    with pytest.raises(SettingsError, match=message):
        s.check_secure()


def test_a_long_random_key_is_accepted_outside_demo_mode():
    load_settings(env={"DEMO_MODE": "0", "COOKIE_KEY": "k" * 40}, secrets={}).check_secure()


def test_a_non_numeric_setting_is_a_clear_error():
    with pytest.raises(SettingsError, match="not a number"):
        load_settings(env={"PORT": "eighty"}, secrets={})


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert documented == set(SETTINGS), f"README settings table differs: {documented ^ set(SETTINGS)}"

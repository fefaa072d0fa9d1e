"""The effective Streamlit configuration, read the way the server reads it."""

import os
from pathlib import Path

import pytest
from streamlit import config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def effective():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        config.get_config_options(force_reparse=True)
        yield config.get_option
    finally:
        os.chdir(cwd)
        config.get_config_options(force_reparse=True)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("client.showErrorDetails", "none"),
        ("browser.gatherUsageStats", False),
        ("client.toolbarMode", "viewer"),
        ("server.enableXsrfProtection", True),
        ("server.enableCORS", True),
        ("server.headless", True),
        ("theme.base", "light"),
        ("runner.postScriptGC", False),  # see config.toml and docs/BENCHMARKS.md
    ],
)
def test_hardening_options(effective, option, expected):
    assert effective(option) == expected


def test_upload_limit_fits_evidence_files(effective):
    assert 10 <= effective("server.maxUploadSize") <= 50


def test_theme_has_projector_contrast(effective):
    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    text, background = luminance(effective("theme.textColor")), luminance(effective("theme.backgroundColor"))
    contrast = (max(text, background) + 0.05) / (min(text, background) + 0.05)
    assert contrast >= 12, contrast  # WCAG AAA asks 7:1; a washed-out projector needs more
    assert effective("theme.baseFontSize") >= 16

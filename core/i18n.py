"""The one translation catalog (core/catalog.yaml): Thai first, English second.

`translate(key, lang, **params)` is pure; pages call `ui.widgets.t`, which adds the session's language.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"


class MissingTranslation(KeyError):
    pass


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    with CATALOG_FILE.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~10x faster
    return {str(k): {lang: str(v) for lang, v in entry.items()} for k, entry in data.items()}


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    entry = catalog().get(key)
    if entry is None:
        raise MissingTranslation(key)
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text

"""The server's start-up warm-up (server._warm_up): PyThaiNLP's dictionary and the pages' libraries
are loaded before the first request and frozen out of the garbage collector's full collections."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import gc, json
import server
from pythainlp.tokenize import word_dict_trie
before = gc.get_freeze_count()
server._warm_up()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "trie_loaded": word_dict_trie.cache_info().currsize,
                  "tracked_after": len(gc.get_objects())}))
"""


def test_warm_up_loads_the_dictionary_and_freezes_it():
    # in a fresh interpreter: freezing this test process's objects would outlive the test
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["before"] == 0
    assert found["trie_loaded"] == 1  # the word list was read before any page asked for it
    # the modules and the dictionary (hundreds of thousands of objects) are frozen; little is left tracked
    assert found["frozen"] > 100_000
    assert found["tracked_after"] < found["frozen"] / 10

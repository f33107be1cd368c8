"""The parser benchmark runs from the README: the hand-written reader reads every text itself,
gives the grammar's tree for each, and is faster than the grammar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_parser_benchmark_reads_every_text_fast_and_exactly(tmp_path):
    out = tmp_path / "parser.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "parser.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    for row in json.loads(out.read_text())["results"]:
        assert row["trees_differing"] == 0
        assert row["read_by_fast_reader"] == row["texts"]
        assert row["fast_ms"] < row["grammar_ms"]

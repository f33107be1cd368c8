"""The engine benchmark runs from the README and finds the indexed and linear answers equal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_both_evaluators_agree(tmp_path):
    out = tmp_path / "engine.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "engine.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr  # 1 would mean the evaluators disagree
    figures = json.loads(out.read_text())
    for size in ("10", "100"):
        row = figures["sizes"][size]
        assert row["incidents"]["indexed"] == row["incidents"]["linear"] > 0
        assert row["linear"]["examined"] == 1.0
        assert 0 < row["indexed"]["examined"] < 0.2  # the index narrows the search
    assert "parse" in figures and figures["parse"]["parse_ms_per_kb"] > 0

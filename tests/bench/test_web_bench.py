"""The web benchmark runs from the README: gunicorn serves the board and the evaluate API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_web_benchmark_serves_the_board_and_evaluates(tmp_path):
    out = tmp_path / "web.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "web.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(out.read_text())
    for part in ("board", "evaluate"):
        assert figures[part]["requests_per_s"] > 0
        assert figures[part]["non_2xx"] == 0  # every request was answered, none refused
    assert "board of 500 duties" in figures["targets"][0]["target"]

"""The load benchmark runs from the README: gunicorn under concurrent clients, then an integrity
pass over every answered request (nothing lost, every duty history a chain, audits equal)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_load_benchmark_finds_no_error_and_no_integrity_problem(tmp_path):
    out = tmp_path / "load.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    [sqlite] = json.loads(out.read_text())
    assert sqlite["backend"] == "sqlite" and sqlite["requests"] > 0
    assert sqlite["statuses"].get("201", 0) > 0  # incidents were recorded
    assert sqlite["errors"] == 0 and sqlite["integrity_problems"] == []

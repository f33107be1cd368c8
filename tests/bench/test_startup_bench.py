"""The start-up benchmark runs from the README: a worker starts cold (parsing) and then warm
(loading the compiled forms the cold start wrote, parsing nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_startup_benchmark_starts_cold_then_warm_from_the_table(tmp_path):
    out = tmp_path / "startup.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(out.read_text())
    (size, row), = figures["results"].items()
    n = int(size)
    assert row["cold"]["in_force"] == row["warm"]["in_force"] == n
    assert row["cold"]["parsed"] == n and row["cold"]["stored"] == n
    assert row["compiled_form_rows"] == n
    assert row["warm"]["parsed"] == 0 and row["warm"]["loaded"] == n
    assert row["warm"]["start_s"] > 0 and row["warm"]["rss_mb"] > 0

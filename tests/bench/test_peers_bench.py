"""The peer benchmark runs (`bench/peers.py --quick`): durable-rules and rule-engine, given the
clauses' conditions, find exactly the clauses Compact finds for every incident."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MISSING = [name for name, module in (("durable-rules", "durable"), ("rule-engine", "rule_engine"))
           if importlib.util.find_spec(module) is None]


@pytest.mark.skipif(bool(MISSING), reason=f"the peer engines are not installed ({', '.join(MISSING)}"
                    "): pip install -e '.[bench]'")
def test_quick_peer_benchmark_runs_and_every_peer_finds_what_compact_finds(tmp_path):
    out = tmp_path / "peers.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "peers.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr  # 2 would mean a peer disagreed
    row = json.loads(out.read_text())["sizes"]["100"]
    assert row["mismatches"] == {"durable-rules": 0, "rule-engine": 0}
    assert 0 < row["translated"] <= row["clauses"]
    for engine in ("compact matching", "compact evaluation+JSON", "durable-rules", "rule-engine"):
        assert row["engines"][engine]["n"] == row["incidents"] > 0
        assert row["engines"][engine]["p50_ms"] > 0
    assert "compact matching" in run.stdout and "durable-rules" in run.stdout

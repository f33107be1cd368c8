"""The store benchmark runs from the README: incidents recorded, PDFs rendered and served."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_store_benchmark_records_incidents_and_serves_pdfs(tmp_path):
    out = tmp_path / "store.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "store.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(out.read_text())
    sqlite = figures["results"]["sqlite"]
    assert sqlite["incidents"] == 50 and sqlite["incidents_per_s"] > 0
    assert sqlite["duties_stored"] > 0  # the incidents are aimed at the agreements' regions
    pdf = sqlite["pdf"]
    assert pdf["10 pages"]["pages"] >= 10
    assert pdf["stored"]["served_p50_ms"] > 0
    assert [c["target"] for c in figures["targets"]][1:] == ["10-page PDF under 2.0 s",
                                                            "stored PDF served under 50 ms"]

"""The dissemination benchmark runs from the README: an incident's messages reach a real SMTP
server and a real webhook receiver through one dispatcher, each exactly once, and open boards
poll the version endpoint without a failed request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_dissemination_benchmark_delivers_every_message_once(tmp_path):
    out = tmp_path / "dissemination.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "dissemination.py"), "--quick",
                          "--output", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout
    result = json.loads(out.read_text())
    assert result["quick"] and result["result"] == "PASS" and result["pass"] is True

    sent = result["delivery"]
    assert sent["recorded"] and sent["duties"] == 50  # 5 organisations x 10 clauses
    assert sent["expected"] > 0 and sent["delivered"] == sent["expected"]
    assert sent["missing"] == 0 and sent["duplicates"] == 0 and sent["unexpected"] == 0
    assert sent["bad_messages"] == [] and sent["failed_attempts"] == 0
    assert sent["outbox_states"] == {"delivered": sent["expected"]}
    for channel in ("email", "webhook"):  # both channels carried messages, all of them
        row = sent["by_channel"][channel]
        assert row["expected"] > 0 and row["delivered"] == row["expected"]
    assert sum(r["expected"] for r in sent["by_channel"].values()) == sent["expected"]
    assert 0 < sent["first_message_s"] <= sent["p50_s"] <= sent["p99_s"] \
        <= sent["last_message_s"] <= 30
    assert sent["result"] == "PASS" and sent["pass"] is True and "target" in sent

    boards = result["boards"]
    assert result["failures"] == 0 and boards["failures"] == 0
    assert boards["boards"] == 20 and boards["polls"] > 0
    assert set(boards["statuses"]) <= {"200", "304"} and boards["statuses"].get("304", 0) > 0
    assert boards["share_304_after_first_poll"] == 1.0  # nothing changed: no board refetched
    assert boards["refreshes"] == 0
    for phase in ("baseline", "with_boards"):
        page = boards["board_page"][phase]
        assert page["requests"] > 0 and page["statuses"] == {"200": page["requests"]}
        assert page["p50_ms"] <= page["p99_ms"]
    assert boards["version_p50_ms"] <= boards["version_p99_ms"]
    assert "pass" in boards and "target" in boards

"""The duties of a situation report as CSV: a header row, then one row per duty."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from agreements.models import utc_text
from agreements.reports.situation import Report

HEADER = ("incident", "duty_id", "party_id", "party", "agreement", "clause", "title",
          "modality", "action", "due_utc", "state", "acknowledged_by", "acknowledged_at_utc",
          "last_change", "last_change_by", "last_change_at_utc", "last_change_note", "history")
# A cell a spreadsheet would read as a formula is written as text (a leading apostrophe).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso(moment: datetime | None) -> str:
    return utc_text(moment) or ""


def cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(report: Report) -> list[list[str]]:
    out = [list(HEADER)]
    for d in report.duties:
        ack, last = d.acknowledged, d.last_change
        history = "; ".join(
            f"{iso(a.at)} {a.from_state or 'given'}→{a.to_state} by {a.actor}"
            + (f" ({a.note})" if a.note else "") for a in d.history)
        out.append([cell(v) for v in (
            report.key, d.id, d.party_id, d.party, d.agreement, d.clause, d.title, d.modality,
            d.action, iso(d.due), d.state, ack.actor if ack else "", iso(ack.at) if ack else "",
            f"{last.from_state}→{last.to_state}" if last else "", last.actor if last else "",
            iso(last.at) if last else "", (last.note or "") if last else "", history)])
    return out


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows(report))
    return buffer.getvalue()

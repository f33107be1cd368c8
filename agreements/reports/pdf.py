"""The situation report as a PDF, with the agreement PDFs' rules: WeasyPrint gets the HTML as a
string, no base URL and a fetcher that refuses every URL (agreements.pdf.RefusingURLFetcher), so
nothing an incident, a duty or a channel message says can make it load a file or reach a host;
fonts are the system's (named in the stylesheet), never downloaded."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from weasyprint import CSS, HTML

from agreements.pdf import RefusingURLFetcher, css_string
from agreements.reports.situation import Report

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "report"


def utc(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def render_report_html(report: Report) -> tuple[str, str]:
    env = _environment()
    context = {"report": report}
    return (env.get_template("situation.html").render(context),
            env.get_template("situation.css").render(context))


def render_report_pdf(report: Report) -> bytes:
    html, css = render_report_html(report)
    fetcher = RefusingURLFetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[CSS(string=css, base_url=None, url_fetcher=fetcher)],
        pdf_identifier=hashlib.sha256(report.key.encode("utf-8")).hexdigest()[:32].encode("ascii"))


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["css_string"] = css_string
    env.filters["utc"] = utc
    return env

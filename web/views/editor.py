"""The editor's helpers: formatting and the names for completion (JSON), and the language reference page."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from agreements.errors import NotFound
from dsl.errors import CompactError
from dsl.formatter import format_source
from dsl.names import names_of
from web.keyword_help import HELP
from web.reference import reference
from web.views.agreements import _diagnostic, _json_error, _json_source

bp = Blueprint("editor", __name__)


@bp.route("/agreements/format", methods=["POST"])
def format_text():
    """The text in canonical layout (`compact fmt`), or its syntax error and the text unchanged."""
    source, error = _json_source()
    if error is not None:
        return error
    try:
        formatted = format_source(source)
    except CompactError as exc:
        first = exc.diagnostics[0]
        where = (f" (line {first.span.line}, column {first.span.col})"
                 if first.span is not None else "")
        response, status = _json_error(
            422, f"The text was not formatted: it has a syntax error{where}: {first.message}.")
        body = response.get_json()
        body["diagnostics"] = [_diagnostic(d) for d in exc.diagnostics]
        return jsonify(body), status
    return jsonify({"source": formatted, "changed": formatted != source})


@bp.route("/agreements/names", methods=["POST"])
def names():
    """What the editor offers as the drafter types: every name the text defines, and keywords."""
    source, error = _json_source()
    if error is not None:
        return error
    return jsonify(names_of(source).as_dict())


@bp.route("/help/language")
@login_required
def language():
    try:
        document = reference()
    except OSError:  # an installation without the repository's docs/ folder
        raise NotFound("The language reference (docs/language.md) is not installed with this "
                       "copy of Compact") from None
    return render_template("help/language.html", reference=document,
                           keywords=sorted(HELP.items()))

"""The editor's helpers: Format, the names offered for completion, the language reference page
and the keyword help that links to it, starting a new agreement from a model, and library search
over clauses."""

from __future__ import annotations

import html
import re
from pathlib import Path

from agreements.drafting import create_agreement
from agreements.library_models import SKELETON, models
from dsl.formatter import format_source
from engine.compiler import check_source
from tests.agreements.conftest import LIBRARY, library_text
from web.keyword_help import HELP
from web.reference import reference
from web.source_view import KEYWORDS

from .conftest import TASK_FORCE, TASK_FORCE_ID

ROOT = Path(__file__).resolve().parents[2]
INTRASTATE = "intrastate-mutual-aid.agreement"
MESSY = """agreement messy-one
    title "Messy"
 kind mou
      non-binding
 effective 2026-01-01
party a "A"
party b "B"
clause c "C"
      when incident.type == "flood"
  a must "call b"    within 2 hours
example "e"
 incident \"\"\"{"id": "1", "type": "flood", "reported_at": "2026-02-01T00:00:00Z"}\"\"\"
 expect a must c by 2026-02-01T02:00:00Z
"""


def textarea(response) -> str:
    found = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", response.get_data(as_text=True), re.S)
    return html.unescape(found.group(1))


# ---------------------------------------------------------------- Format

def test_format_returns_the_canonical_layout(app, people, client_for):
    client = client_for(people.drafter)
    response = client.post("/agreements/format", json={"source": MESSY.replace("\n", "\r\n")})
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"source": format_source(MESSY), "changed": True}
    assert "\n  title \"Messy\"\n  kind mou\n" in body["source"]
    assert '  a must "call b" within 2 hours\n' in body["source"]
    again = client.post("/agreements/format", json={"source": body["source"]}).get_json()
    assert again == {"source": body["source"], "changed": False}


def test_format_reports_a_syntax_error_and_changes_nothing(app, people, client_for):
    broken = MESSY.replace('a must "call b"', 'a must call b')
    response = client_for(people.coordinator).post("/agreements/format", json={"source": broken})
    assert response.status_code == 422
    body = response.get_json()
    assert "source" not in body
    first = body["diagnostics"][0]
    assert (first["line"], first["severity"]) == (10, "error")
    assert body["error"]["message"].startswith(
        f"The text was not formatted: it has a syntax error (line 10, column {first['column']}): ")
    assert first["message"] in body["error"]["message"]


def test_format_refuses_what_it_cannot_read(app, people, client_for):
    client = client_for(people.drafter)
    assert client.post("/agreements/format", data="source=x").status_code == 415
    response = client.post("/agreements/format", json={"text": "x"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == 'The JSON needs a "source" text.'
    partner = client_for(people.partners["lakeside_county"])
    assert partner.post("/agreements/format", json={"source": MESSY}).status_code == 403
    assert app.test_client().post("/agreements/format", json={"source": MESSY}).status_code == 401


# ---------------------------------------------------------------- names

def test_the_names_endpoint(app, people, client_for):
    client = client_for(people.drafter)
    body = client.post("/agreements/names", json={"source": library_text(TASK_FORCE)}).get_json()
    assert {"name": "lakeside_county",
            "detail": "Lakeside County Office of Emergency Management"} in body["parties"]
    assert "when" in body["keywords"] and "must not" in body["keywords"]
    assert body["complete"] is True
    assert client_for(people.partners["lakeside_county"]).post(
        "/agreements/names", json={"source": "x"}).status_code == 403


# ---------------------------------------------------------------- the language reference

def test_the_reference_page_has_a_section_for_every_keyword(app, people, client_for):
    response = client_for(people.partners["lakeside_county"]).get("/help/language")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<h1>The Compact agreement language</h1>" in text
    anchors = set(re.findall(r'<h[23] id="([^"]+)"', text))
    assert {"agreement", "party", "role", "trigger", "clause", "deadlines", "costs",
            "conditions", "examples", "static-checks", "evaluation", "cap-alerts"} <= anchors
    for word, (summary, anchor) in HELP.items():
        assert anchor in anchors, f"the help for {word!r} links to #{anchor}, which is missing"
        assert f'<a href="#{anchor}"><code>{html.escape(word)}</code></a>' in text
    # Every word the editor highlights has its help.
    assert KEYWORDS | {"governing law", "withdrawal notice"} <= set(HELP) | {
        "governing", "withdrawal"}
    assert app.test_client().get("/help/language").status_code == 302  # sign in first
    # Every page a signed-in user sees links to it at its foot.
    home = client_for(people.partners["lakeside_county"]).get("/my/duties")
    assert '<a href="/help/language">The agreement language</a></footer>' in \
        home.get_data(as_text=True)


def test_without_the_document_the_reference_page_says_so(app, people, client_for, monkeypatch,
                                                          tmp_path):
    import web.reference
    monkeypatch.setattr(web.reference, "REFERENCE", tmp_path / "missing.md")
    monkeypatch.setattr(web.reference.reference, "__defaults__", (tmp_path / "missing.md",))
    response = client_for(people.drafter).get("/help/language")
    assert response.status_code == 404
    assert "The language reference (docs/language.md) is not installed" in \
        response.get_data(as_text=True)


def test_the_reference_covers_the_language_and_its_example_checks_clean():
    doc = reference()
    blocks = re.findall(r"```\n(.*?)```", (ROOT / "docs" / "language.md").read_text(), re.S)
    _doc, diagnostics, _symbols = check_source(blocks[0])
    assert diagnostics == []
    words = " ".join(text for _, _, text in doc.contents)
    for construct in ("agreement", "recital", "party", "fields", "role", "trigger", "clause",
                      "Deadlines", "Costs", "Comparisons", "is given", "intersects", "breached",
                      "expect", "Errors", "Warnings", "Evaluation", "CAP alerts"):
        assert construct in words


def test_the_readme_points_to_the_reference_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "The full language is in `docs/language.md`" in readme
    assert "../shared/design/language.md" not in readme


# ---------------------------------------------------------------- a new agreement

def test_the_skeleton_checks_without_errors_or_warnings(app, people, client_for):
    _doc, diagnostics, _symbols = check_source(SKELETON)
    assert [d.render() for d in diagnostics] == []
    assert format_source(SKELETON) == SKELETON
    response = client_for(people.drafter).get("/agreements/new")
    assert response.status_code == 200
    assert textarea(response) == SKELETON
    assert "0 errors, 0 warnings" in response.get_data(as_text=True)


def test_a_new_agreement_starts_from_a_model_under_a_new_id(app, people, client_for):
    client = client_for(people.drafter)
    text = client.get("/agreements/new").get_data(as_text=True)
    for model in models():
        assert f'value="{model.name}"' in text and html.escape(model.title) in text
    response = client.get("/agreements/new?model=intrastate-mutual-aid&id=pine-valley-aid")
    assert response.status_code == 200
    source = textarea(response)
    assert source == library_text(INTRASTATE).replace(
        "agreement columbia-intrastate-mutual-aid", "agreement pine-valley-aid")
    saved = client.post("/agreements/new", data={"source": source})
    assert saved.headers["Location"] == "/agreements/pine-valley-aid"
    again = client.get("/agreements/new?model=intrastate-mutual-aid&id=pine-valley-aid")
    assert again.status_code == 409
    assert "An agreement &#39;pine-valley-aid&#39; already exists" in again.get_data(as_text=True)


def test_a_model_needs_a_good_id(app, people, client_for):
    client = client_for(people.drafter)
    response = client.get("/agreements/new?model=intrastate-mutual-aid&id=")
    assert response.status_code == 400
    assert "Give the new agreement an id" in response.get_data(as_text=True)
    assert textarea(response) == SKELETON
    response = client.get("/agreements/new?model=intrastate-mutual-aid&id=two+words")
    assert response.status_code == 400
    assert "&#39;two words&#39; cannot be an agreement id" in response.get_data(as_text=True)
    response = client.get("/agreements/new?model=../../etc/passwd&id=x")
    assert response.status_code == 400
    assert "There is no model agreement" in response.get_data(as_text=True)
    assert client_for(people.coordinator).get(
        "/agreements/new?model=intrastate-mutual-aid&id=x").status_code == 403


# ---------------------------------------------------------------- library search

def test_library_search_finds_a_clause_action_and_names_the_clause(app, session, people,
                                                                   client_for):
    create_agreement(session, people.drafter, library_text(INTRASTATE))
    create_agreement(session, people.drafter, library_text(TASK_FORCE))
    client = client_for(people.coordinator)
    # Only the action of the intrastate agreement's 'mission_number' clause says this.
    action = "statewide resource tracking"
    assert action in library_text(INTRASTATE) and action not in library_text(TASK_FORCE)
    text = client.get("/agreements?q=Statewide+Resource+TRACKING").get_data(as_text=True)
    assert "1 of 2 agreements match." in text
    assert "columbia-intrastate-mutual-aid" in text and TASK_FORCE_ID not in text
    hit = re.search(r'<ul class="clause-hits">(.*?)</ul>', text, re.S).group(1)
    assert "<code>mission_number</code>" in hit
    assert "“State mission tracking”: its action <q" in hit  # the clause, and where it matched
    assert "record the request in the statewide resource tracking system" in hit
    # A clause's text and title are searched too; an agreement's own title still is.
    text = client.get("/agreements?q=thirty+(30)+minutes").get_data(as_text=True)
    assert "its text" in text
    text = client.get("/agreements?q=Joint+Task+Force").get_data(as_text=True)
    assert TASK_FORCE_ID in text


def test_library_search_shows_a_partner_only_what_it_may_see(app, session, people, executed,
                                                             client_for):
    create_agreement(session, people.drafter, library_text(INTRASTATE))  # a draft
    partner = client_for(people.partners["lakeside_county"])
    text = partner.get("/agreements?q=statewide+resource+tracking").get_data(as_text=True)
    assert "columbia-intrastate-mutual-aid" not in text and "mission_number" not in text
    assert "No agreement matches these filters." in text


def test_no_document_or_test_of_the_project_reads_a_file_outside_it():
    outside = re.compile(r"\.\./shared|/work/shared|shared/design")
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    texts += sorted(p for folder in ("tests", "dsl", "engine", "agreements", "web", "bench")
                    for p in (ROOT / folder).rglob("*.py"))
    me = Path(__file__).resolve()
    found = [str(p.relative_to(ROOT)) for p in texts
             if p.resolve() != me and outside.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_an_installed_copy_finds_the_reference_in_its_data_folder(monkeypatch, tmp_path):
    import sysconfig
    import tomllib
    import web.reference
    # pyproject.toml installs docs/language.md as a data file, under share/compact/docs ...
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data_files = config["tool"]["setuptools"]["data-files"]
    assert data_files == {str(web.reference.INSTALLED.parent): ["docs/language.md"]}
    # ... where the page looks when the package stands without the repository around it.
    installed = tmp_path / web.reference.INSTALLED
    installed.parent.mkdir(parents=True)
    installed.write_text("# The agreement language\n\n## A heading\n", encoding="utf-8")
    monkeypatch.setattr(web.reference, "__file__", str(tmp_path / "site" / "web" / "reference.py"))
    monkeypatch.setattr(sysconfig, "get_path", lambda name, scheme=None: str(tmp_path))
    assert web.reference.find_reference() == installed
    assert web.reference.reference(installed).contents[0][2] == "A heading"

"""The `compact` command line as interfaces.md specifies it: exit statuses, outputs, messages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.compiler import load
from engine.evaluator import evaluate
from engine.incidents import load_incident
from tests.engine.samples import LAKESIDE, LAKESIDE_ID, T1, T1_ENGINES_DUTY, cap_alert
from web.cli import main

COMPACT = Path(sys.executable).with_name("compact")

# An agreement with an unknown role on line 13, column 3.
BAD_ROLE = '''\
agreement bad-role
  title "Bad role"
  kind mou
  non-binding
  effective 2026-01-01

party lakeside "Lakeside County"

role assisting is lakeside

clause engines "Engines"
  when incident.type == "flood"
  asisting must "deploy one Type 1 engine strike team" within 4 hours

example "flood"
  incident """{"id": "X", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  expect lakeside must engines
'''

BAD_ROLE_DIAGNOSTIC = (
    "bad-role.agreement:13:3: error: unknown role 'asisting' (did you mean 'assisting'?)\n"
    "   13 |   asisting must \"deploy one Type 1 engine strike team\" within 4 hours\n"
    "      |   ^^^^^^^^"
)

# Fine apart from warnings: no examples, and a trigger that is never used.
WARNED = '''\
agreement warned
  title "Warned"
  kind mou
  non-binding
  effective 2026-01-01

party lakeside "Lakeside County"

trigger unused when incident.type == "wildfire"

clause act "Act"
  when incident.type == "flood"
  lakeside must "act" within 1 hour
'''

# WARNED in a non-canonical layout.
UGLY = '''\
agreement warned
    title "Warned"
 kind mou
  non-binding
  effective 2026-01-01
party lakeside "Lakeside County"
trigger unused when incident.type == "wildfire"
clause act "Act"
      when incident.type == "flood"
  lakeside must "act" within 1 hour
'''

# LAKESIDE with one example that fails in two ways.
FAILING = (LAKESIDE
           .replace("agreement lakeside-riverbend-mutual-aid", "agreement failing-example")
           .replace("expect riverbend must engines by 2026-03-14T13:00:00Z",
                    "expect riverbend must engines by 2026-03-14T12:00:00Z")
           .replace("expect no duty for state", "expect no duty for riverbend"))

DIAGNOSTIC_HEAD = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): "
                             r"(?P<severity>error|warning): .+$")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lakeside.agreement").write_text(LAKESIDE, encoding="utf-8")
    (tmp_path / "bad-role.agreement").write_text(BAD_ROLE, encoding="utf-8")
    (tmp_path / "warned.agreement").write_text(WARNED, encoding="utf-8")
    (tmp_path / "ugly.agreement").write_text(UGLY, encoding="utf-8")
    (tmp_path / "failing.agreement").write_text(FAILING, encoding="utf-8")
    (tmp_path / "incident.json").write_text(json.dumps(T1), encoding="utf-8")
    return tmp_path


def compact(*args, stdin=None):
    """Run the CLI in-process; it must never escape with an exception or show a traceback."""
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"compact {' '.join(args)} raised {result.exception!r}") \
            from result.exception
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    return result


def lakeside_evaluation(inc=T1, at=None) -> dict:
    agreement = load(LAKESIDE, "lakeside.agreement")
    incident = load_incident(json.dumps(inc)) if isinstance(inc, dict) else load_incident(inc)
    return evaluate(incident, [agreement], at=at).as_dict()


# ================================================================ check

def test_check_clean_agreement_exits_0(workdir):
    result = compact("check", "lakeside.agreement")
    assert result.exit_code == 0
    assert "error" not in result.stderr.replace("0 errors", "")
    assert result.stdout == ""


def test_check_with_warnings_exits_0_and_reports_them(workdir):
    result = compact("check", "warned.agreement")
    assert result.exit_code == 0
    heads = [m.groupdict() for m in map(DIAGNOSTIC_HEAD.match, result.stderr.splitlines()) if m]
    assert heads
    assert {h["severity"] for h in heads} == {"warning"}
    assert {h["file"] for h in heads} == {"warned.agreement"}
    assert any("unused" in line for line in result.stderr.splitlines()
               if line.startswith("warned.agreement:9:"))
    assert result.stdout == ""


def test_check_with_errors_exits_1_with_caret_diagnostic(workdir):
    result = compact("check", "bad-role.agreement")
    assert result.exit_code == 1
    assert BAD_ROLE_DIAGNOSTIC + "\n" in result.stderr
    assert any(line.startswith("bad-role.agreement:13:3: error: ")
               for line in result.stderr.splitlines())
    assert result.stdout == ""


def test_check_several_files_fails_if_any_has_errors(workdir):
    result = compact("check", "lakeside.agreement", "bad-role.agreement", "warned.agreement")
    assert result.exit_code == 1
    assert BAD_ROLE_DIAGNOSTIC in result.stderr
    result = compact("check", "lakeside.agreement", "warned.agreement")
    assert result.exit_code == 0


def test_check_syntax_error_names_file_line_and_column(workdir):
    text = WARNED.replace('lakeside must "act" within 1 hour', 'lakeside must "act" within')
    Path("syntax.agreement").write_text(text, encoding="utf-8")
    result = compact("check", "syntax.agreement")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    heads = [(i, DIAGNOSTIC_HEAD.match(line)) for i, line in enumerate(lines)]
    errors = [(i, m) for i, m in heads if m and m["severity"] == "error"]
    assert errors
    i, m = errors[0]
    assert m["file"] == "syntax.agreement"
    line_no = int(m["line"])
    assert re.match(rf"^ *{line_no} \| ", lines[i + 1])
    assert re.match(r"^ +\| *\^+$", lines[i + 2])


def test_check_missing_file_exits_1_without_traceback(workdir):
    result = compact("check", "missing.agreement")
    assert result.exit_code == 1
    assert "missing.agreement" in result.stderr


# ================================================================ fmt

def test_fmt_check_reports_a_needed_change_and_changes_nothing(workdir):
    before = Path("ugly.agreement").read_bytes()
    result = compact("fmt", "--check", "ugly.agreement")
    assert result.exit_code == 1
    assert "ugly.agreement" in result.stderr
    assert Path("ugly.agreement").read_bytes() == before


def test_fmt_check_on_canonical_file_exits_0(workdir):
    result = compact("fmt", "--check", "warned.agreement")
    assert result.exit_code == 0
    assert Path("warned.agreement").read_text(encoding="utf-8") == WARNED


def test_fmt_rewrites_in_canonical_layout(workdir):
    result = compact("fmt", "ugly.agreement")
    assert result.exit_code == 0
    assert Path("ugly.agreement").read_text(encoding="utf-8") == WARNED
    assert compact("fmt", "--check", "ugly.agreement").exit_code == 0
    again = compact("fmt", "ugly.agreement")
    assert again.exit_code == 0
    assert Path("ugly.agreement").read_text(encoding="utf-8") == WARNED


def test_fmt_leaves_the_language_example_as_it_is(workdir):
    result = compact("fmt", "--check", "lakeside.agreement")
    assert result.exit_code == 0
    assert Path("lakeside.agreement").read_text(encoding="utf-8") == LAKESIDE


def test_fmt_of_a_bad_file_exits_1_and_keeps_it(workdir):
    Path("broken.agreement").write_text("agreement\n", encoding="utf-8")
    result = compact("fmt", "broken.agreement")
    assert result.exit_code == 1
    assert Path("broken.agreement").read_text(encoding="utf-8") == "agreement\n"
    assert "broken.agreement:" in result.stderr


# ================================================================ test

def test_test_passing_examples(workdir):
    result = compact("test", "lakeside.agreement")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-1] == "1 passed, 0 failed"
    passes = [line for line in lines if line.startswith("PASS")]
    assert len(passes) == 1
    assert "severe flood in Lakeside with a request" in passes[0]
    assert not any(line.startswith("FAIL") for line in lines)


def test_test_failing_example_exits_1(workdir):
    result = compact("test", "failing.agreement", "lakeside.agreement")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    fails = [line for line in lines if line.startswith("FAIL")]
    passes = [line for line in lines if line.startswith("PASS")]
    assert len(fails) == 1 and "failing.agreement" in fails[0]
    assert "severe flood in Lakeside with a request" in fails[0]
    assert len(passes) == 1 and "lakeside.agreement" in passes[0]
    assert "2026-03-14T13:00:00Z" in result.stdout  # what the failing expectation found


def test_test_agreement_with_errors_counts_as_failed(workdir):
    result = compact("test", "bad-role.agreement")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"
    assert BAD_ROLE_DIAGNOSTIC in result.stderr


def test_test_agreement_with_errors_prints_each_diagnostic_once(workdir):
    # Named by its folder and by itself, the file is tested, and its diagnostic shown, once.
    (workdir / "lib").mkdir()
    (workdir / "lib" / "bad-role.agreement").write_text(BAD_ROLE, encoding="utf-8")
    result = compact("test", "lib", "lib/bad-role.agreement", "./lib/bad-role.agreement")
    assert result.exit_code == 1
    assert result.stderr == BAD_ROLE_DIAGNOSTIC.replace("bad-role.agreement",
                                                        "lib/bad-role.agreement") + "\n"
    assert result.stdout.splitlines() == [
        "ERROR lib/bad-role.agreement: the agreement has errors, so its examples did not run",
        "0 passed, 1 failed"]


# ================================================================ evaluate

def test_evaluate_json_is_the_evaluation_json(workdir):
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json",
                     "--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out == lakeside_evaluation()
    assert T1_ENGINES_DUTY in out["duties"]
    assert out["evaluated_at"] == "2026-03-14T08:00:00Z"
    assert result.stderr == ""


def test_evaluate_agreement_with_warnings_keeps_stdout_pure_json(workdir):
    result = compact("evaluate", "warned.agreement", "lakeside.agreement", "--incident",
                     "incident.json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert [(d["agreement"], d["clause"], d["party"]) for d in out["duties"]] == [
        (LAKESIDE_ID, "notify", "lakeside"),
        ("warned", "act", "lakeside"),
        (LAKESIDE_ID, "engines", "riverbend"),
        (LAKESIDE_ID, "withhold", "riverbend"),
    ]


def test_evaluate_defaults_to_json(workdir):
    default = compact("evaluate", "lakeside.agreement", "--incident", "incident.json")
    explicit = compact("evaluate", "lakeside.agreement", "--incident", "incident.json",
                       "--format", "json")
    assert default.exit_code == 0
    assert default.stdout == explicit.stdout


def test_evaluate_json_is_byte_identical_when_repeated(workdir):
    args = ("evaluate", "lakeside.agreement", "--incident", "incident.json",
            "--at", "2026-03-14T14:00:00Z")
    assert compact(*args).stdout == compact(*args).stdout


def test_evaluate_at(workdir):
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json",
                     "--at", "2026-03-14T09:00:00-05:00")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["evaluated_at"] == "2026-03-14T14:00:00Z"
    assert [(d["clause"], d["party"], d["due"], d["status"]) for d in out["duties"]] == [
        ("notify", "lakeside", "2026-03-14T08:30:00Z", "breached"),
        ("engines", "riverbend", "2026-03-14T13:00:00Z", "breached"),
        ("escalate", "state", "2026-03-14T15:00:00Z", "open"),
        ("withhold", "riverbend", None, "open"),
    ]
    from datetime import datetime
    assert out == lakeside_evaluation(at=datetime.fromisoformat("2026-03-14T14:00:00Z"))


def test_evaluate_text_is_readable(workdir):
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json",
                     "--format", "text")
    assert result.exit_code == 0
    text = result.stdout
    with pytest.raises(ValueError):
        json.loads(text)
    assert "T-1" in text
    for word in ("lakeside", "riverbend", "notify", "engines", "withhold",
                 "deploy one Type 1 engine strike team", "2026-03-14",
                 'incident.requested_by is given (was "lakeside")'):
        assert word in text, word
    assert "13:00" in text and "08:30" in text


def test_evaluate_cap_xml_incident(workdir):
    Path("alert.xml").write_text(cap_alert(status="Exercise"), encoding="utf-8")
    result = compact("evaluate", "lakeside.agreement", "--incident", "alert.xml")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["incident"] == "CAP-2026-0001"
    assert out["exercise"] is True
    assert out["evaluated_at"] == "2026-06-19T04:12:00Z"
    assert out == lakeside_evaluation(cap_alert(status="Exercise"))


def test_evaluate_cap_cancel_gives_no_duties(workdir):
    Path("cancel.xml").write_text(cap_alert(msg_type="Cancel"), encoding="utf-8")
    result = compact("evaluate", "lakeside.agreement", "--incident", "cancel.xml")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["duties"] == []


def test_evaluate_bad_incident_message_as_in_interfaces(workdir):
    Path("incident.json").write_text(json.dumps(dict(T1, displaced="many")), encoding="utf-8")
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json")
    assert result.exit_code == 1
    assert result.stderr == (
        "incident.json: error: $.displaced: 'many' is not a number: write digits without quotes, "
        "such as 12 or 0.5 (field 'displaced' "
        f"of agreement {LAKESIDE_ID})\n")
    assert result.stdout == ""


@pytest.mark.parametrize("content", [
    "{not json", "[1, 2]", "",
    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>",
    cap_alert(status="Draft"),
])
def test_evaluate_unreadable_incident_exits_1(workdir, content):
    Path("incident.json").write_text(content, encoding="utf-8")
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("incident.json: error: ")
    assert result.stdout == ""


def test_evaluate_missing_incident_file_exits_1(workdir):
    result = compact("evaluate", "lakeside.agreement", "--incident", "nowhere.json")
    assert result.exit_code == 1
    assert "nowhere.json" in result.stderr


def test_evaluate_missing_agreement_file_exits_1(workdir):
    result = compact("evaluate", "nowhere.agreement", "--incident", "incident.json")
    assert result.exit_code == 1
    assert "nowhere.agreement" in result.stderr


def test_evaluate_bad_agreement_exits_1_with_diagnostics(workdir):
    result = compact("evaluate", "bad-role.agreement", "--incident", "incident.json")
    assert result.exit_code == 1
    assert BAD_ROLE_DIAGNOSTIC in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ("evaluate", "lakeside.agreement"),                                    # no --incident
    ("evaluate", "--incident", "incident.json"),                           # no agreement
    ("evaluate", "lakeside.agreement", "--incident", "incident.json", "--at", "yesterday"),
    ("evaluate", "lakeside.agreement", "--incident", "incident.json", "--at",
     "2026-03-14T08:00:00"),                                               # no offset
    ("evaluate", "lakeside.agreement", "--incident", "incident.json", "--format", "xml"),
    ("evaluate", "lakeside.agreement", "--incident", "incident.json", "--colour"),
    ("check",),
    ("fmt",),
    ("test",),
    ("no-such-command",),
])
def test_usage_mistakes_exit_2(workdir, args):
    result = compact(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage" in result.stderr or "Error" in result.stderr


# ================================================================ the installed console script

@pytest.mark.skipif(not COMPACT.exists(), reason="the compact console script is not installed")
@pytest.mark.parametrize("args, status", [
    (["check", "bad-role.agreement"], 1),
    (["check", "warned.agreement"], 0),
    (["evaluate", "lakeside.agreement", "--incident", "incident.json"], 0),
    (["evaluate", "lakeside.agreement", "--incident", "bad.json"], 1),
    (["evaluate", "lakeside.agreement", "--incident", "nowhere.json"], 1),
    (["evaluate", "nowhere.agreement", "--incident", "incident.json"], 1),
    (["evaluate", "lakeside.agreement", "--incident", "bomb.xml"], 1),
    (["evaluate", "lakeside.agreement", "--incident", "incident.json", "--at", "soon"], 2),
    (["test", "failing.agreement"], 1),
    (["fmt", "--check", "ugly.agreement"], 1),
    (["bogus"], 2),
])
def test_console_script_exit_status_and_no_traceback(workdir, args, status):
    Path("bad.json").write_text(json.dumps(dict(T1, displaced="many")), encoding="utf-8")
    Path("bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        ']><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&c;</identifier>'
        '</alert>', encoding="utf-8")
    proc = subprocess.run([str(COMPACT), *args], capture_output=True, text=True, timeout=60,
                          cwd=workdir)
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stdout
    assert "Traceback" not in proc.stderr
    if status:
        assert (proc.stdout + proc.stderr).strip()


def test_test_reports_a_status_a_clause_for_a_party_and_a_warning(workdir):
    expects = LAKESIDE.replace(
        "  expect no no_self_deploy",
        "  expect no no_self_deploy\n  expect riverbend must engines breached\n"
        "  expect no engines for riverbend\n  expect no notify for riverbend\n"
        '  expect warning "names no party"')
    Path("v2.agreement").write_text(expects, encoding="utf-8")
    result = compact("test", "v2.agreement")
    assert result.exit_code == 1
    line = expects.split("\n").index("  expect riverbend must engines breached") + 1
    example = expects.split("\n").index('example "severe flood in Lakeside with a request"') + 1
    assert result.stdout.splitlines() == [
        f"FAIL  v2.agreement:{example}: severe flood in Lakeside with a request",
        f"      line {line}: expected riverbend must engines breached, but it is open",
        f"      line {line + 1}: expected no duty from clause engines for riverbend, but "
        "riverbend must engines by 2026-03-14T13:00:00Z",
        f"      line {line + 3}: expected a warning containing 'names no party', but there is "
        "no warning",
        "0 passed, 1 failed"]
    assert result.stderr == ""

"""Run an agreement's `example` blocks: its own Given/When/Then tests."""

from __future__ import annotations

from dataclasses import dataclass

from engine.compiler import CompiledAgreement, Example
from engine.evaluator import evaluate
from engine.incidents import IncidentError, load_json_incident


@dataclass(frozen=True)
class ExampleResult:
    agreement: str
    name: str
    line: int
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_examples(agreement: CompiledAgreement) -> list[ExampleResult]:
    return [run_example(agreement, e) for e in agreement.examples]


def _describe(duty, status: bool = False) -> str:
    due = f" by {duty.due_text}" if duty.due is not None else ""
    return f"{duty.party} {duty.modality} {duty.clause}{due}" + (f" {duty.status}" if status
                                                                 else "")


def run_example(agreement: CompiledAgreement, example: Example) -> ExampleResult:
    def result(failures):
        return ExampleResult(agreement.id, example.name, example.line, tuple(failures))

    try:
        incident = load_json_incident(example.incident_text)
        evaluation = evaluate(incident, [agreement], at=example.at)
    except IncidentError as exc:
        return result([f"the incident is invalid: {m}" for m in exc.messages])
    if evaluation.skipped:
        return result([f"the agreement was not evaluated: {evaluation.skipped[0][1]}"])
    duties = evaluation.duties
    failures = []
    for x in example.expects:
        if x.kind == "duty":
            same_clause = [d for d in duties if d.clause == x.clause and d.party == x.party]
            matching = [d for d in same_clause if d.modality == x.modality]
            if not matching:
                had = "; it has " + ", ".join(_describe(d) for d in same_clause) if same_clause \
                    else f"; {x.party} has no duty from clause {x.clause}"
                failures.append(f"line {x.line}: expected {x.text[len('expect '):]}{had}")
            elif x.by is not None and not any(d.due == x.by for d in matching):
                due = ", ".join(d.due_text or "no due time" for d in matching)
                failures.append(f"line {x.line}: expected {x.text[len('expect '):]}, but it is "
                                f"due {due}")
            elif x.status is not None and not any(
                    d.status == x.status for d in matching if x.by is None or d.due == x.by):
                found = ", ".join(sorted({d.status for d in matching
                                          if x.by is None or d.due == x.by}))
                failures.append(f"line {x.line}: expected {x.text[len('expect '):]}, but it is "
                                f"{found}")
        elif x.kind == "no_clause":
            found = [d for d in duties if d.clause == x.clause
                     and (x.party is None or d.party == x.party)]
            if found:
                whom = f" for {x.party}" if x.party is not None else ""
                failures.append(f"line {x.line}: expected no duty from clause {x.clause}{whom}, "
                                "but " + ", ".join(_describe(d) for d in found))
        elif x.kind == "warning":
            said = [w.message for w in evaluation.warnings]
            if not any(x.warning in m for m in said):
                failures.append(f"line {x.line}: expected a warning containing "
                                f"{x.warning!r}, but " + (
                                    "the warnings are: " + "; ".join(said) if said
                                    else "there is no warning"))
        else:
            found = [d for d in duties if d.party == x.party]
            if found:
                failures.append(f"line {x.line}: expected no duty for {x.party}, but "
                                + ", ".join(_describe(d) for d in found))
    return result(failures)

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


def _describe(duty) -> str:
    due = f" by {duty.due_text}" if duty.due is not None else ""
    return f"{duty.party} {duty.modality} {duty.clause}{due}"


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
        elif x.kind == "no_clause":
            found = [d for d in duties if d.clause == x.clause]
            if found:
                failures.append(f"line {x.line}: expected no duty from clause {x.clause}, but "
                                + ", ".join(_describe(d) for d in found))
        else:
            found = [d for d in duties if d.party == x.party]
            if found:
                failures.append(f"line {x.line}: expected no duty for {x.party}, but "
                                + ", ".join(_describe(d) for d in found))
    return result(failures)

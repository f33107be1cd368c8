"""The incident form's fields in groups: the common CAP fields first, then those read by several agreements, then each agreement's own."""

from __future__ import annotations

from dataclasses import dataclass, field

from agreements import compiled as cache
from agreements.incidents import executed_in_force
from engine.violations import fields_read

# The fields of every incident (and every CAP alert), in the order a person reads an alert.
COMMON = ("id", "type", "status", "severity", "urgency", "certainty", "reported_at", "onset",
          "expires", "area", "region")


@dataclass
class PlacedField:
    """A form field with the agreements in force that read it ([(id, title)])."""

    field: object  # web.incident_form.FormField
    readers: list = field(default_factory=list)
    values_by_agreement: list = field(default_factory=list)  # [(agreement id, [values])]

    @property
    def type_text(self) -> str:
        """What the field holds, as the agreements declare it: `time`, `text, one of 3 values`."""
        name = self.field.type_name
        if name == "any":
            return "several types"
        if self.field.name == "id":
            return "text"
        n = len(self.field.options)
        if self.field.kind in ("choice", "suggest") and n and name == "text":
            return f"text, one of {n} value{'' if n == 1 else 's'}"
        if self.field.kind == "scale":
            return f"one of {n} values"
        return name


@dataclass
class FieldGroup:
    title: str
    slug: str
    note: str
    fields: list[PlacedField]


def _anchor(agreement_id: str) -> str:
    return "fields-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in agreement_id)


def field_groups(session, fields) -> list[FieldGroup]:
    """The form's fields grouped by the agreements in force that read them: the common CAP
    fields (each saying which agreements read it), the fields several agreements read (each
    saying which: one input, not one per agreement, since the incident has one value), then
    per agreement, by title, the fields only it reads. A field `one of` values lists the
    values each agreement gives."""
    agreements = [cache.by_hash(r.content_hash, r.source, f"{r.slug}.agreement")
                  for r in executed_in_force(session)]
    reads = {a.id: fields_read(a) for a in agreements}
    placed = {}
    for f in fields:
        readers = [(a.id, a.title) for a in agreements if f.name in reads[a.id]]
        by_agreement = [(a.id, list(a.one_of[f.name])) for a in agreements
                        if f.name in a.one_of and a.one_of[f.name]]
        placed[f.name] = PlacedField(f, readers, by_agreement)
    groups = [FieldGroup("The incident", "fields-common",
                         "What every incident and every CAP alert says.",
                         [placed[n] for n in COMMON if n in placed])]
    rest = [p for n, p in placed.items() if n not in COMMON]
    several = [p for p in rest if len(p.readers) > 1]
    if several:
        groups.append(FieldGroup("Read by several agreements", "fields-several",
                                 "Each of these fields is read by more than one agreement in "
                                 "force; the agreements are named under each field.", several))
    for agreement in sorted(agreements, key=lambda a: a.title.lower()):
        own = [p for p in rest if [r[0] for r in p.readers] == [agreement.id]]
        if own:
            groups.append(FieldGroup(agreement.title, _anchor(agreement.id),
                                     f"Read only by {agreement.id}.", own))
    unread = [p for p in rest if not p.readers]
    if unread:
        groups.append(FieldGroup("Other fields", "fields-other",
                                 "Declared, but read by no clause in force.", unread))
    return groups

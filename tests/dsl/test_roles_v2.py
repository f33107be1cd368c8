"""The roles of v2 in the checker (language.md, "Additions of v2", Roles and parties): unions
of roles in a fixed role, cycles through them, and `party.id`."""

from __future__ import annotations

from tests.dsl.base_agreement import check_summary, edit

UNION = ("role assisting is parties except requesting, coordinator",
         "role assisting is parties except requesting, coordinator\n"
         "role responders is assisting, coordinator, lakeside")
USED = ('  assisting may "withhold resources needed to protect its own jurisdiction"',
        '  responders may "withhold resources needed to protect its own jurisdiction"')


def test_a_fixed_role_may_list_roles_and_parties():
    assert check_summary(edit(UNION, USED)) == []


def test_a_cycle_of_fixed_roles_is_an_error():
    text = edit(UNION, USED, ("role coordinator is state", "role coordinator is state, responders"))
    assert check_summary(text) == [
        ("error", 31, 6, "role 'coordinator' is defined in terms of itself: coordinator → "
                         "responders → assisting → coordinator"),
        ("error", 31, 6, "role 'coordinator' is defined in terms of itself: coordinator → "
                         "responders → coordinator")]


def test_a_fixed_role_of_itself_is_an_error():
    assert check_summary(edit(("role coordinator is state", "role coordinator is coordinator"))) \
        == [("error", 31, 6, "role 'coordinator' is defined in terms of itself: coordinator → "
                             "coordinator")]


def test_party_id_reads_the_candidates_own_id():
    text = edit(("role affected is parties where party.region == incident.region",
                 'role affected is parties where party.id in ["lakeside", "riverbend"] '
                 "and party.id != incident.requested_by"))
    assert check_summary(text) == []


def test_party_id_is_a_party_not_a_number():
    text = edit(("role affected is parties where party.region == incident.region",
                 "role affected is parties where party.id > 3"))
    assert [d[0] for d in check_summary(text)] == ["error"]


def test_an_attribute_called_id_is_an_error():
    text = edit(('  region "Riverbend"', '  region "Riverbend"\n  id "rb"'))
    assert check_summary(text) == [
        ("error", 20, 3, "a party's id is the name after 'party' ('riverbend'); 'party.id' reads "
                         "it, so no attribute is called 'id'")]

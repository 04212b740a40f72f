from datetime import UTC, datetime

import pytest

from callrouter.domain.rota import join_rotas, parse_rota

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\n"
DESK = HEADER + "SW01,Aisha Khan,social_worker,duty desk,,,Fri,09:00,17:00\n"
EDT = HEADER + "ED01,Chris Ashworth,edt_social_worker,EDT,,,Fri,17:00,01:00\n"
FRIDAY_EVENING = datetime(2025, 10, 24, 18, 0, tzinfo=UTC)  # 19:00 in London


def test_two_rotas_joined_are_worked_as_one():
    joined = join_rotas([parse_rota(DESK), parse_rota(EDT)])

    assert [m.ref for m in joined.staff] == ["SW01", "ED01"]
    assert [s.staff_ref for s in joined.on_shift_at(FRIDAY_EVENING)] == ["ED01"]


def test_one_reference_for_two_different_people_is_refused():
    clash = HEADER + "SW01,Chris Ashworth,edt_social_worker,EDT,,,Sat,09:00,21:00\n"

    with pytest.raises(ValueError, match="'SW01' is a different person"):
        join_rotas([parse_rota(DESK), parse_rota(clash)])
    same_person_more_shifts = HEADER + "SW01,Aisha Khan,social_worker,duty desk,,,Sat,09:00,13:00\n"
    joined = join_rotas([parse_rota(DESK), parse_rota(same_person_more_shifts)])
    assert len(joined.staff) == 1 and len(joined.patterns) == 2

from tests.conftest import codes, session


def test_minimal_repository_checks_clean(mini):
    checked = mini({"records/sessions/ana/2025-03-02-call.md": session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 3}
        """)})
    assert codes(checked) == []

import jifen_conformance


def test_suite_names_the_standard_version_it_checks() -> None:
    assert jifen_conformance.STANDARD_VERSION == "draft-2024-09"

"""jifen-conformance: the standard's checks, clause by clause, against any implementation.

``pytest --pyargs jifen_conformance --jf-driver inprocess|http …`` (see
``docs/conformance/index.md``). The suite's version names the standard version it checks.
"""

SUITE_VERSION = "0.1.0"
STANDARD_VERSION = "draft-2024-09"
SUITE_NAME = f"jifen-conformance {SUITE_VERSION} for standard {STANDARD_VERSION}"

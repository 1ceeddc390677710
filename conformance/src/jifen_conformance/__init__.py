"""jifen-conformance: the standard's checks, clause by clause, against any implementation.

The suite itself lands with issue 8; this package reserves the distribution and carries the
versions it will check.
"""

SUITE_VERSION = "0.1.0"
STANDARD_VERSION = "draft-2024-09"

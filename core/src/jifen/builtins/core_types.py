"""The core's own contributions: the two point kinds, the system accounts and the subject types."""

from __future__ import annotations

from collections.abc import Callable

from jifen import hookimpl
from jifen.model import AccountType, PointKind, SubjectType


@hookimpl
def register_point_kinds(register: Callable[[PointKind], None]) -> None:
    # JF-KIND-1: whole points, spendable, in lots that expire (JF-EXP-1).
    register(PointKind(name="material", label="物质积分 material", scale=0, transferable=True,
                       lots=True))
    # JF-KIND-2/3: one decimal place, never spent, transferred or converted; deductions may
    # take a subject below zero.
    register(PointKind(name="moral", label="品德积分 moral", scale=1, transferable=False,
                       negative_allowed=True))


@hookimpl
def register_account_types(register: Callable[[AccountType], None]) -> None:
    register(AccountType(name="subject", label="subject account", system=False))
    register(AccountType(name="issuance", label="issuance", system=True, negative_allowed=True))
    # JF-FUND-1: material points are issued from pools (pool:material:<code>), whose limit the
    # funding module checks; their balance is minus what they have issued.
    register(AccountType(name="pool", label="funding pool", system=True, negative_allowed=True))
    register(AccountType(name="expiry", label="expired points", system=True))
    register(AccountType(name="settlement", label="merchant settlement", system=True))


@hookimpl
def register_subject_types(register: Callable[[SubjectType], None]) -> None:
    register(SubjectType(name="resident", label="居民 resident", needs_grid=True))
    register(SubjectType(name="household", label="家庭 household", needs_grid=True))
    register(SubjectType(name="grid_worker", label="网格员 grid worker"))
    register(SubjectType(name="department", label="部门 department"))
    register(SubjectType(name="merchant", label="商户 merchant"))
    register(SubjectType(name="organisation", label="组织 organisation"))

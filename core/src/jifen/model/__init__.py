"""Pydantic types of the point model: ids, exact amounts, kinds, tenants, org units, subjects, postings."""

from jifen.model.ids import new_id
from jifen.model.kinds import AccountType, PointKind
from jifen.model.ledger import Leg, LotView, PostingView, TransactionRequest, TransactionView
from jifen.model.org import LEVELS, OrgUnit, OrgUnitCreate, Tenant, TenantCreate
from jifen.model.points import Points
from jifen.model.subjects import HouseholdLink, LinkRole, Subject, SubjectCreate, SubjectType

__all__ = [
    "LEVELS",
    "AccountType",
    "HouseholdLink",
    "Leg",
    "LinkRole",
    "LotView",
    "OrgUnit",
    "OrgUnitCreate",
    "PointKind",
    "Points",
    "PostingView",
    "Subject",
    "SubjectCreate",
    "SubjectType",
    "Tenant",
    "TenantCreate",
    "TransactionRequest",
    "TransactionView",
    "new_id",
]

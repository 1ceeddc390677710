"""Helpers for testing code that uses the grid-evaluation plugin: metrics that give each
default grade, an org tree with two districts and three streets, and tenants built on them."""

from __future__ import annotations

import uuid
from typing import Any

from jifen.platform import Platform
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, make_config
from jifen_grid_evaluation.model import Metrics

MONTH = "2024-02"
A_METRICS = Metrics(orders_done=20, ratings_count=10, ratings_sum=50, responses_count=5,
                    response_minutes=100, inspections=30)          # 100.0 → A, 500 points
B_METRICS = Metrics(orders_done=16, ratings_count=10, ratings_sum=45, responses_count=5,
                    response_minutes=150, inspections=24)          # 86.3 → B, 300 points
C_METRICS = Metrics(orders_done=5, ratings_count=4, ratings_sum=10, inspections=3)  # 42.3 → C, 0

# Two districts, three streets, four grids (for rankings). The reviewers of `make_claims_city`
# need the units "community" and "street".
TREE: dict[str, Any] = {"code": "city", "name": "测试市", "level": "city", "children": [
    {"code": "d1", "name": "一区", "level": "district", "children": [
        {"code": "street", "name": "一街道", "level": "street", "children": [
            {"code": "community", "name": "一社区", "level": "community", "children": [
                {"code": "grid-1", "name": "一网格", "level": "grid"},
                {"code": "grid-2", "name": "二网格", "level": "grid"}]}]},
        {"code": "street-2", "name": "二街道", "level": "street", "children": [
            {"code": "c2", "name": "二社区", "level": "community", "children": [
                {"code": "grid-3", "name": "三网格", "level": "grid"}]}]}]},
    {"code": "d2", "name": "二区", "level": "district", "children": [
        {"code": "street-3", "name": "三街道", "level": "street", "children": [
            {"code": "c3", "name": "三社区", "level": "community", "children": [
                {"code": "grid-4", "name": "四网格", "level": "grid"}]}]}]}]}


def tenant_with_pool(platform: Platform, limit: int) -> ClaimsCity:
    """A tenant whose default pool has ``limit`` points."""
    small = {**TEST_POOL, "limit_points": limit}
    return make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", pools=[small]))


def tenant_with_tree(platform: Platform) -> ClaimsCity:
    """A tenant with two districts and three streets (`TREE`)."""
    return make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", org=TREE))

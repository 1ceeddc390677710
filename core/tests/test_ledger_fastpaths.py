"""The ledger's hot-path shortcuts give exactly what the general code gives (hashes, views)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

from jifen.ledger import _body, _chain_hash, _construct, body_hash, chain_hash
from jifen.model import Leg, PostingView, TransactionRequest, TransactionView

STRINGS = ["", "bench", 'quote " and \\ backslash', "积分 · 居民", "\n\t\x01\u2028"]


def test_body_is_pydantics_json_dump_without_the_key() -> None:
    account = f"subject:{uuid.uuid4()}:material"
    for lot_id in (None, uuid.uuid4()):
        for memo in STRINGS:
            for metadata in ({}, {"b": memo, "a": "1", "理由": "好"}):
                request = TransactionRequest(
                    idempotency_key="k", memo=memo, metadata=metadata,
                    legs=(Leg(account="issuance:material", amount=-7),
                          Leg(account=account, amount=7, lot_id=lot_id)))
                assert _body(request) == request.model_dump(
                    mode="json", exclude={"idempotency_key"})
    with_expiry = TransactionRequest(idempotency_key="k", legs=(
        Leg(account="issuance:material", amount=-7),
        Leg(account=account, amount=7, expires_at=datetime(2030, 1, 1, tzinfo=UTC))))
    assert _body(with_expiry)["legs"][1]["expires_at"] == "2030-01-01T00:00:00Z"
    assert len(body_hash(with_expiry)) == 64


def test_the_batch_chain_hash_is_chain_hash() -> None:
    rng = random.Random(7)
    created: dict[datetime, str] = {}
    for _ in range(500):
        row = {"seq": rng.randint(1, 10**12), "id": uuid.uuid4(),
               "idempotency_key": rng.choice(STRINGS[1:]), "body_hash": f"{rng.getrandbits(256):064x}",
               "memo": rng.choice(STRINGS), "meta": rng.choice([{}, {"b": "1", "a": '"x'}]),
               "reverses_id": rng.choice([None, uuid.uuid4()]),
               "created_at": datetime(2024, 3, 1, 8, tzinfo=rng.choice(
                   [UTC, timezone(timedelta(hours=8))])) + timedelta(microseconds=rng.randint(0, 10**9))}
        postings = [{"id": uuid.uuid4(), "account_id": uuid.uuid4(),
                     "kind": rng.choice(["material", "moral"]),
                     "amount": rng.choice([-1, 1]) * rng.randint(1, 10**6),
                     "lot_id": rng.choice([None, uuid.uuid4()])} for _ in range(rng.randint(1, 4))]
        prev = f"{rng.getrandbits(256):064x}"
        assert _chain_hash(prev, row, postings, created) == chain_hash(prev, row, postings)


def test_construct_is_model_construct() -> None:
    posting = {"id": uuid.uuid4(), "transaction_id": uuid.uuid4(), "account": "issuance:material",
               "kind": "material", "amount": -5, "lot_id": None}
    view = {"tenant_id": uuid.uuid4(), "id": posting["transaction_id"], "seq": 3,
            "idempotency_key": "k", "memo": "m", "metadata": {"a": "b"}, "reverses_id": None,
            "created_at": datetime(2024, 3, 1, tzinfo=UTC), "hash": "0" * 64}
    fast = _construct(TransactionView, {**view, "postings": (_construct(PostingView, posting),)})
    slow = TransactionView.model_construct(**view, postings=(PostingView.model_construct(**posting),))
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_fields_set == slow.model_fields_set
    assert repr(fast) == repr(slow)
    assert TransactionView.model_validate(fast.model_dump()) == fast

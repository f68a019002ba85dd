"""Writes: bill-line ingestion (API batches, hq CSV uploads, the demo feed) and reprocessing.

Idempotency, exactly:
- A completed batch with the client's key answers every later request with that key: the same body
  (SHA-256 of the bytes) gets the stored first response again, marked as a replay, and writes
  nothing; another body is refused (422).
- A batch is applied in ONE transaction that also inserts its IngestBatch row and marks it
  completed. A killed process therefore leaves nothing behind — no lines, no quarantine, no key —
  and a retry with the same key simply runs it.
- While a request holds a key, PostgreSQL's transaction-scoped advisory lock on (client, key) makes
  a concurrent request with the same key fail fast with 409 instead of queueing behind it; the
  lock dies with the transaction or the connection, so a crash never strands a key. The unique
  constraint on (client, idempotency_key) backs this up on every backend (SQLite serialises writers,
  so there the second request waits and then gets the replay).

Writes are set-based: valid lines go into a temporary table (COPY on PostgreSQL) and one
INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <values differ> applies them; the database trigger
of migration 0002 keeps the previous version of every corrected line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import Account
from solutions.selectors import product_ids_by_code

from . import domain
from .conf import billing_setting
from .messages import render_errors
from .models import BillLineVersion, IngestBatch, QuarantinedRecord

REPLAY_HEADER = "Idempotent-Replayed"
DEADLOCK_RETRIES = 3


class BatchInFlight(Exception):
    """Another request with the same idempotency key is being processed right now."""


class IdempotencyKeyReused(Exception):
    """The key was already used for a different body."""

    def __init__(self, batch: IngestBatch) -> None:
        super().__init__(batch.pk)
        self.batch = batch


@dataclass(frozen=True)
class IngestOutcome:
    batch_id: int
    status_code: int
    body: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class ApplyCounts:
    inserted: int
    corrected: int
    skipped_indexes: tuple[int, ...] = ()


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _lock_id(client_id: int, key: str) -> int:
    digest = hashlib.sha256(f"billing-batch:{client_id}:{key}".encode()).digest()
    return int(struct.unpack(">q", digest[:8])[0])


def _try_lock_key(client_id: int, key: str) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: BEGIN IMMEDIATE already serialises writers
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_id(client_id, key)])
        return bool(cursor.fetchone()[0])


def _existing(client_id: int, key: str) -> IngestBatch | None:
    return (
        IngestBatch.objects.filter(client_id=client_id, idempotency_key=key)
        .only("id", "status", "body_sha256", "response_status", "response_body")
        .first()
    )


def _replay(batch: IngestBatch, body_hash: str) -> IngestOutcome:
    if batch.status != IngestBatch.Status.COMPLETED:
        raise BatchInFlight()
    if batch.body_sha256 != body_hash:
        raise IdempotencyKeyReused(batch)
    return IngestOutcome(batch.pk, batch.response_status, batch.response_body or {}, True)


def batch_ingest(
    *,
    client: Any,
    idempotency_key: str,
    body: bytes,
    records: list[Any],
    source: str = IngestBatch.Source.API,
    content_type: str = "application/json",
    today: dt.date | None = None,
) -> IngestOutcome:
    """Validate and apply one batch exactly once per (client, key). Raises BatchInFlight (409) or
    IdempotencyKeyReused (422); everything else about the records is reported in the outcome."""
    body_hash = body_sha256(body)
    found = _existing(client.pk, idempotency_key)
    if found is not None:
        return _replay(found, body_hash)
    latest_period = domain.latest_accepted_period(today or timezone.localdate())
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction.atomic():
                if not _try_lock_key(client.pk, idempotency_key):
                    raise BatchInFlight()
                found = _existing(client.pk, idempotency_key)
                if found is not None:
                    return _replay(found, body_hash)
                return _ingest_locked(
                    client=client,
                    key=idempotency_key,
                    body=body,
                    body_hash=body_hash,
                    records=records,
                    source=source,
                    content_type=content_type,
                    latest_period=latest_period,
                )
        except IntegrityError:
            # Another request committed the same key between our check and our insert.
            found = _existing(client.pk, idempotency_key)
            if found is None:
                raise
            return _replay(found, body_hash)
        except OperationalError as exc:
            # Two batches correcting overlapping lines in opposite orders: PostgreSQL picks a
            # victim; the whole transaction is safe to run again.
            if _is_retryable(exc) and attempt + 1 < DEADLOCK_RETRIES:
                continue
            raise
    raise AssertionError("unreachable")


def _is_retryable(exc: OperationalError) -> bool:
    code = getattr(getattr(exc, "__cause__", None), "pgcode", None)
    return code in ("40P01", "40001")


def _ingest_locked(
    *,
    client: Any,
    key: str,
    body: bytes,
    body_hash: str,
    records: list[Any],
    source: str,
    content_type: str,
    latest_period: dt.date,
) -> IngestOutcome:
    batch = IngestBatch.objects.create(
        idempotency_key=key,
        client=client,
        source=source,
        status=IngestBatch.Status.PROCESSING,
        body_sha256=body_hash,
        content_type=content_type[:100],
        payload=zlib.compress(body, billing_setting("PAYLOAD_COMPRESS_LEVEL")),
        payload_bytes=len(body),
        record_count=len(records),
    )
    account_codes, product_codes = domain.referenced_codes(records)
    checked = domain.validate_batch(
        records,
        account_ids=_account_ids_by_code(account_codes),
        product_ids=product_ids_by_code(product_codes),
        latest_period=latest_period,
    )
    now = timezone.now()
    counts = apply_lines(batch_id=batch.pk, lines=checked.valid, now=now)
    quarantine = [
        QuarantinedRecord(
            batch_id=batch.pk,
            index=rejected.index,
            raw=_raw_json(rejected.record),
            errors=render_errors(rejected.errors),
        )
        for rejected in checked.rejected
    ]
    QuarantinedRecord.objects.bulk_create(quarantine, batch_size=2000)

    batch.inserted_count = counts.inserted
    batch.updated_count = counts.corrected
    batch.unchanged_count = len(checked.valid) - counts.inserted - counts.corrected
    batch.quarantined_count = len(quarantine)
    batch.status = IngestBatch.Status.COMPLETED
    batch.completed_at = timezone.now()
    batch.response_status = 201
    batch.response_body = batch_receipt(batch, quarantine)
    batch.save(
        update_fields=[
            "inserted_count",
            "updated_count",
            "unchanged_count",
            "quarantined_count",
            "status",
            "completed_at",
            "response_status",
            "response_body",
        ]
    )
    return IngestOutcome(batch.pk, 201, batch.response_body, False)


def _raw_json(record: Any) -> str:
    try:
        return orjson.dumps(record).decode()
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(repr(record)).decode()


def batch_receipt(batch: IngestBatch, quarantine: Sequence[QuarantinedRecord]) -> dict[str, Any]:
    """The response to the request that brought the batch (replayed verbatim for the same key)."""
    return {
        "id": batch.pk,
        "idempotency_key": batch.idempotency_key,
        "source": batch.source,
        "status": batch.status,
        "received_at": batch.created_at.isoformat() if batch.created_at else None,
        "completed_at": batch.completed_at.isoformat() if batch.completed_at else None,
        "counts": {
            "records": batch.record_count,
            "inserted": batch.inserted_count,
            "corrected": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "quarantined": batch.quarantined_count,
        },
        "quarantined": [{"index": q.index, "errors": q.errors} for q in quarantine],
    }


def _account_ids_by_code(codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(Account.objects.filter(code__in=list(codes)).values_list("code", "id"))


# --- The set-based write path ---------------------------------------------------------------

_STAGE_COLUMNS = "idx, account_id, period_on, product_id, amount, quantity, member_count"
_UPSERT = """
    INSERT INTO billing_billline
        (account_id, period_on, product_id, amount, quantity, member_count, version, batch_id,
         created_at, updated_at)
    SELECT account_id, period_on, product_id, amount, quantity, member_count, 1, %s, %s, %s
    FROM billing_stage WHERE 1 = 1
    ORDER BY account_id, period_on, product_id
    ON CONFLICT (account_id, period_on, product_id) DO UPDATE SET
        amount = excluded.amount,
        quantity = excluded.quantity,
        member_count = excluded.member_count,
        batch_id = excluded.batch_id,
        updated_at = excluded.updated_at
    WHERE {changed}
"""
_CHANGED = {
    "postgresql": (
        "(billing_billline.amount, billing_billline.quantity, billing_billline.member_count) "
        "IS DISTINCT FROM (excluded.amount, excluded.quantity, excluded.member_count)"
    ),
    "sqlite": (
        "billing_billline.amount IS NOT excluded.amount "
        "OR billing_billline.quantity IS NOT excluded.quantity "
        "OR billing_billline.member_count IS NOT excluded.member_count"
    ),
}
# Reprocessing an old batch must not undo what a newer batch wrote for the same key.
_DROP_SUPERSEDED = """
    DELETE FROM billing_stage WHERE EXISTS (
        SELECT 1 FROM billing_billline l
        WHERE l.account_id = billing_stage.account_id AND l.period_on = billing_stage.period_on
          AND l.product_id = billing_stage.product_id AND l.batch_id > %s
    ) RETURNING idx
"""


def apply_lines(
    *,
    batch_id: int,
    lines: Sequence[domain.ValidLine],
    now: dt.datetime,
    skip_if_newer_than_batch: bool = False,
) -> ApplyCounts:
    """Upsert `lines` (unique natural keys) in one statement; returns what changed. Must run
    inside the caller's transaction."""
    if not lines:
        return ApplyCounts(0, 0)
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            _stage_postgres(cursor, lines)
        else:
            _stage_generic(cursor, lines)
        skipped: tuple[int, ...] = ()
        if skip_if_newer_than_batch:
            cursor.execute(_DROP_SUPERSEDED, [batch_id])
            skipped = tuple(sorted(row[0] for row in cursor.fetchall()))
        corrected_before = BillLineVersion.objects.filter(superseded_by_batch_id=batch_id).count()
        cursor.execute(
            _UPSERT.format(changed=_CHANGED.get(vendor, _CHANGED["sqlite"])), [batch_id, now, now]
        )
        written = cursor.rowcount
        corrected = (
            BillLineVersion.objects.filter(superseded_by_batch_id=batch_id).count()
            - corrected_before
        )
        if vendor != "postgresql":
            cursor.execute("DELETE FROM billing_stage")
    return ApplyCounts(inserted=written - corrected, corrected=corrected, skipped_indexes=skipped)


def _stage_postgres(cursor: Any, lines: Sequence[domain.ValidLine]) -> None:
    cursor.execute("DROP TABLE IF EXISTS pg_temp.billing_stage")
    cursor.execute(
        "CREATE TEMP TABLE billing_stage (idx integer, account_id bigint, period_on date, "
        "product_id bigint, amount numeric(14, 2), quantity bigint, member_count integer) "
        "ON COMMIT DROP"
    )
    null = "\\N"
    buffer = io.StringIO()
    buffer.writelines(
        f"{ln.index}\t{ln.account_id}\t{ln.period_on.isoformat()}\t{ln.product_id}\t"
        f"{ln.amount}\t{ln.quantity}\t{null if ln.member_count is None else ln.member_count}\n"
        for ln in lines
    )
    buffer.seek(0)
    cursor.copy_expert(f"COPY billing_stage ({_STAGE_COLUMNS}) FROM STDIN", buffer)


def _stage_generic(cursor: Any, lines: Sequence[domain.ValidLine]) -> None:
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS billing_stage (idx integer, account_id bigint, "
        "period_on date, product_id bigint, amount decimal, quantity bigint, member_count integer)"
    )
    cursor.execute("DELETE FROM billing_stage")
    cursor.executemany(
        f"INSERT INTO billing_stage ({_STAGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 (constant)
        [
            (
                ln.index,
                ln.account_id,
                ln.period_on.isoformat(),
                ln.product_id,
                str(ln.amount),
                ln.quantity,
                ln.member_count,
            )
            for ln in lines
        ],
    )


# --- Reprocessing the quarantine -------------------------------------------------------------


@dataclass(frozen=True)
class ReprocessResult:
    batch_id: int
    examined: int
    applied: int
    inserted: int
    corrected: int
    superseded: int
    still_open: int


@transaction.atomic
def batch_reprocess(*, batch_id: int, today: dt.date | None = None) -> ReprocessResult:
    """Validate a batch's open quarantined records again against today's reference data (an
    account created since, a product added to the catalogue) and apply the ones now valid."""
    batch = IngestBatch.objects.select_for_update().only("id").get(pk=batch_id)
    open_records = list(
        QuarantinedRecord.objects.select_for_update()
        .filter(batch_id=batch.pk, status=QuarantinedRecord.Status.OPEN)
        .order_by("index")
    )
    if not open_records:
        return ReprocessResult(batch.pk, 0, 0, 0, 0, 0, 0)
    # A duplicate within its batch stays ambiguous whatever the reference data: it needs a new
    # batch from the client, so reprocessing leaves it open.
    parsed = {
        q.index: orjson.loads(q.raw)
        for q in open_records
        if not any(e.get("code") == domain.DUPLICATE_IN_BATCH for e in q.errors)
    }
    records = list(parsed.values())
    account_codes, product_codes = domain.referenced_codes(records)
    account_ids = _account_ids_by_code(account_codes)
    product_ids = product_ids_by_code(product_codes)
    latest_period = domain.latest_accepted_period(today or timezone.localdate())
    valid: list[domain.ValidLine] = []
    seen: set[tuple[int, dt.date, int]] = set()
    still_invalid: dict[int, tuple[domain.RecordError, ...]] = {}
    for index, record in parsed.items():
        result = domain.validate_record(
            index,
            record,
            account_ids=account_ids,
            product_ids=product_ids,
            latest_period=latest_period,
        )
        if isinstance(result, domain.Rejected):
            still_invalid[index] = result.errors
        elif result.key in seen:
            still_invalid[index] = (domain.RecordError("", domain.DUPLICATE_IN_BATCH),)
        else:
            seen.add(result.key)
            valid.append(result)

    now = timezone.now()
    counts = apply_lines(batch_id=batch.pk, lines=valid, now=now, skip_if_newer_than_batch=True)
    skipped = set(counts.skipped_indexes)
    by_index = {q.index: q for q in open_records}
    applied_ids = [by_index[ln.index].pk for ln in valid if ln.index not in skipped]
    QuarantinedRecord.objects.filter(pk__in=applied_ids).update(
        status=QuarantinedRecord.Status.REPROCESSED, reprocessed_at=now
    )
    QuarantinedRecord.objects.filter(pk__in=[by_index[i].pk for i in skipped]).update(
        status=QuarantinedRecord.Status.SUPERSEDED, reprocessed_at=now
    )
    for index, errors in still_invalid.items():
        by_index[index].errors = render_errors(errors)
    QuarantinedRecord.objects.bulk_update(
        [by_index[i] for i in still_invalid], ["errors"], batch_size=2000
    )
    return ReprocessResult(
        batch_id=batch.pk,
        examined=len(parsed),
        applied=len(applied_ids),
        inserted=counts.inserted,
        corrected=counts.corrected,
        superseded=len(skipped),
        still_open=len(still_invalid) + len(open_records) - len(parsed),
    )


def open_quarantine_batch_ids() -> list[int]:
    return list(
        QuarantinedRecord.objects.filter(status=QuarantinedRecord.Status.OPEN)
        .values_list("batch_id", flat=True)
        .distinct()
        .order_by("batch_id")
    )


# --- Retention ---------------------------------------------------------------------------------


def idempotency_keys_expire(*, now: dt.datetime | None = None) -> int:
    """Release idempotency keys older than the retention (≥ 7 days). The batch, its payload and
    its lines stay: only the replay guarantee ends, and a late retry is then harmless because
    the natural key (account, period, product) makes re-applying the same lines a no-op."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=max(7, int(billing_setting("IDEMPOTENCY_KEY_DAYS"))))
    return IngestBatch.objects.filter(
        idempotency_key__isnull=False,
        status=IngestBatch.Status.COMPLETED,
        created_at__lt=cutoff,
    ).update(idempotency_key=None, key_expired_at=now)

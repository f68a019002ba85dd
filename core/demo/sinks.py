"""Writing generated rows: batched INSERTs (the demo on SQLite) or PostgreSQL COPY (the benchmark,
and the demo on PostgreSQL).

Both sinks take the generator's rows (model attnames, in `generator.COLUMNS` order), complete them
with the columns the generator leaves out (timestamps, defaults), shift ids past what the tables
already hold, and optionally write simple-history "created" rows next to them (see
`HISTORY_NOTE`). Neither calls `save()` per row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Max
from django.utils import timezone

from .generator import COLUMNS, TABLE_ORDER, Chunk, Row

HISTORY_NOTE = (
    "Generated rows get one simple-history '+' (created) record each, with no history user, so an "
    "account's audit trail starts at its creation like any account created through a service and "
    "the first real edit shows a proper before/after."
)

# The models whose generated rows get a '+' history record (all tracked models, by default).
TRACKED = frozenset(
    {
        "org.User",
        "accounts.Account",
        "org.AccountTeamMember",
        "accounts.KeyPerson",
        "accounts.Activity",
        "accounts.ServiceRequest",
    }
)


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def current_offsets(labels: Iterable[str] = TABLE_ORDER) -> dict[str, int]:
    """Generated ids start at 1; shift each table past its current maximum id."""
    return {
        label: _model(label)._default_manager.aggregate(m=Max("id"))["m"] or 0 for label in labels
    }


class _Table:
    """How one generated table maps onto its model (and its history model)."""

    def __init__(self, label: str, offsets: dict[str, int], now: Any, with_history: bool) -> None:
        self.label = label
        self.model = _model(label)
        self.gen_columns = COLUMNS[label]
        by_attname = {f.attname: f for f in self.model._meta.concrete_fields}
        unknown = set(self.gen_columns) - set(by_attname)
        if unknown:
            raise ValueError(f"{label}: generator columns {sorted(unknown)} are not model fields")
        # Columns the generator leaves out get the model default, or `now` for timestamps.
        self.tail_columns: list[str] = []
        tail: list[Any] = []
        for attname, f in by_attname.items():
            if attname in self.gen_columns:
                continue
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                value: Any = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise ValueError(f"{label}.{attname} needs a value from the generator")
            self.tail_columns.append(attname)
            tail.append(value)
        self.tail = tuple(tail)
        self.columns = (*self.gen_columns, *self.tail_columns)
        self.db_columns: list[str] = [str(by_attname[c].column) for c in self.columns]
        # Id shifts: the primary key by this table's offset, foreign keys by their target's.
        shifts: list[int] = []
        for attname in self.gen_columns:
            f = by_attname[attname]
            if attname == "id":
                shifts.append(offsets.get(label, 0))
            elif f.is_relation and f.related_model is not None:
                shifts.append(offsets.get(f.related_model._meta.label, 0))
            else:
                shifts.append(0)
        self.shifts = shifts if any(shifts) else None
        self.json_indexes = [
            i for i, c in enumerate(self.columns) if isinstance(by_attname[c], models.JSONField)
        ]
        self.history: _History | None = None
        if with_history and hasattr(self.model, "history"):
            self.history = _History(self.model.history.model, self.columns, now)  # type: ignore[attr-defined]

    def complete(self, rows: list[Row]) -> list[Row]:
        tail = self.tail
        shifts = self.shifts
        if shifts is None:
            return [row + tail for row in rows]
        return [
            tuple(
                None if v is None else v + s if s else v for v, s in zip(row, shifts, strict=True)
            )
            + tail
            for row in rows
        ]


class _History:
    def __init__(self, model: type[models.Model], source_columns: tuple[str, ...], now: Any):
        self.model = model
        fields = [f for f in model._meta.concrete_fields if f.attname != "history_id"]
        position = {c: i for i, c in enumerate(source_columns)}
        fixed = {
            "history_date": now,
            "history_type": "+",
            "history_change_reason": None,
            "history_user_id": None,
        }
        self.pick: list[int | None] = []
        self.constants: list[Any] = []
        for f in fields:
            if f.attname in position:
                self.pick.append(position[f.attname])
                self.constants.append(None)
            elif f.attname in fixed:
                self.pick.append(None)
                self.constants.append(fixed[f.attname])
            else:
                raise ValueError(f"history column {model.__name__}.{f.attname} has no source")
        self.columns = [f.attname for f in fields]
        self.db_columns: list[str] = [str(f.column) for f in fields]
        self.json_indexes = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]

    def rows(self, full_rows: list[Row]) -> list[Row]:
        pick, constants = self.pick, self.constants
        return [
            tuple(row[p] if p is not None else c for p, c in zip(pick, constants, strict=True))
            for row in full_rows
        ]


class _Sink:
    def __init__(
        self,
        *,
        offsets: dict[str, int] | None = None,
        history: frozenset[str] = TRACKED,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        now = timezone.now()
        offsets = offsets if offsets is not None else current_offsets()
        self.offsets = offsets
        self.tables = {
            label: _Table(label, offsets, now, label in history) for label in TABLE_ORDER
        }
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.progress = progress

    def write(self, chunk: Chunk) -> int:
        written = 0
        for label in TABLE_ORDER:
            rows = chunk.rows[label]
            if not rows:
                continue
            table = self.tables[label]
            full = table.complete(rows)
            self._insert(table.model, table.columns, table.db_columns, table.json_indexes, full)
            if table.history is not None:
                h = table.history
                self._insert(h.model, h.columns, h.db_columns, h.json_indexes, h.rows(full))
            self.counts[label] += len(rows)
            written += len(rows)
        if self.progress:
            self.progress("rows", written)
        return written

    def finish(self) -> None:
        """PostgreSQL sequences do not move for explicit ids; point them past the new rows."""
        if connection.vendor != "postgresql":
            return
        used = [t.model for t in self.tables.values()]
        used += [t.history.model for t in self.tables.values() if t.history is not None]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), used):
                cursor.execute(sql)

    def _insert(
        self,
        model: type[models.Model],
        columns: tuple[str, ...] | list[str],
        db_columns: list[str],
        json_indexes: list[int],
        rows: list[Row],
    ) -> None:
        raise NotImplementedError


class BatchInsertSink(_Sink):
    """The demo's sink on SQLite (or any database): multi-row `executemany` INSERTs of 5,000 rows.

    We measured Django's `bulk_create` first: 5,000 accounts with their ~180,000 rows took 43 s on
    this 2-core machine, nearly all of it in per-object model construction and per-field
    preparation. Here each column is adapted once by its own model field (`get_db_prep_save`, the
    same conversion `bulk_create` applies: aware datetimes, dates, JSON), and only for the column
    types that need it, which brings the load down to a few seconds."""

    batch_size = 5000

    def _insert(self, model, columns, db_columns, json_indexes, rows):  # type: ignore[no-untyped-def]
        fields = {f.attname: f for f in model._meta.concrete_fields}
        adapters = [
            (i, fields[c])
            for i, c in enumerate(columns)
            if isinstance(fields[c], models.DateField | models.JSONField)
        ]
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from model meta
            quote(model._meta.db_table),
            ", ".join(quote(c) for c in db_columns),
            ", ".join(["%s"] * len(db_columns)),
        )
        if adapters:
            conn = connections[DEFAULT_DB_ALIAS]  # the real wrapper, not the thread-local proxy
            # Timestamps and dates repeat a lot (every row's created_at is the same instant), so
            # each distinct value is adapted once.
            memo: dict[Any, Any] = {}
            adapted = []
            for row in rows:
                values = list(row)
                for i, f in adapters:
                    value = values[i]
                    if value is None:
                        continue
                    if isinstance(value, list | dict):
                        values[i] = f.get_db_prep_save(value, conn)
                        continue
                    key = (i, value)
                    if key not in memo:
                        memo[key] = f.get_db_prep_save(value, conn)
                    values[i] = memo[key]
                adapted.append(values)
            rows = adapted
        with connection.cursor() as cursor:
            for start in range(0, len(rows), self.batch_size):
                cursor.executemany(sql, rows[start : start + self.batch_size])


class PostgresCopySink(_Sink):
    """The benchmark's sink: one COPY … FROM STDIN (CSV) per table per chunk."""

    NULL = "\\N"

    def __init__(self, **kwargs: Any) -> None:
        if connection.vendor != "postgresql":
            raise RuntimeError("COPY needs PostgreSQL")
        super().__init__(**kwargs)

    def _insert(self, model, columns, db_columns, json_indexes, rows):  # type: ignore[no-untyped-def]
        null = self.NULL
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if json_indexes:
            for row in rows:
                cells = [null if v is None else v for v in row]
                for i in json_indexes:
                    cells[i] = json.dumps(row[i], ensure_ascii=False)
                writer.writerow(cells)
        else:
            writer.writerows([null if v is None else v for v in row] for row in rows)
        buf.seek(0)
        cols = ", ".join(connection.ops.quote_name(c) for c in db_columns)
        sql = (
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({cols}) "
            "FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        )
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.copy_expert(sql, buf)


def sink_for_connection(**kwargs: Any) -> _Sink:
    """COPY on PostgreSQL, batched INSERTs elsewhere."""
    if connection.vendor == "postgresql":
        return PostgresCopySink(**kwargs)
    return BatchInsertSink(**kwargs)

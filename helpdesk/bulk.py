"""Writing many rows in one statement without building a model instance per row (the periodic
sweeps: thousands of events and notifications per batch).

`bulk_create` prepares every value of every row through its field and the driver adapts each
one (at 10,000 complaints with 3 notifications each, seconds of Python). Here the per-row
values travel as ONE JSON parameter — an array of arrays, encoded once by the C encoder — that
the database turns back into a table (`rows_table`): `INSERT … SELECT` from it (`insert_rows`),
or `UPDATE … FROM` it. PostgreSQL reads it with `jsonb_array_elements`, SQLite (the embedded
default) with `json_each`; everything else is the same SQL.

Per-row values are JSON-native: int, str, bool, None, and for a JSONField any value its
encoder (DjangoJSONEncoder or the default) accepts. Values that are the same for every row
(a time, a kind) are ordinary parameters, prepared by their field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Field, JSONField, Model


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _check_encoder(field: Field) -> None:
    encoder = getattr(field, "encoder", None)
    if encoder not in (None, DjangoJSONEncoder):
        raise TypeError(f"{field}: rows are encoded with DjangoJSONEncoder, not {encoder!r}")


def _column(position: int, field: Field) -> str:
    """The SQL that reads value `position` of the JSON row `j` as `field` stores it."""
    if connection.vendor == "postgresql":
        if isinstance(field, JSONField):
            return f"NULLIF(j.v -> {position}, 'null'::jsonb)"
        db_type = field.db_type(connection) or "text"
        return f"(j.v ->> {position})::{db_type.split('(')[0]}"
    if connection.vendor == "sqlite":
        value = f"json_extract(j.value, '$[{position}]')"
        if not isinstance(field, JSONField):
            return value
        # a JSONField stores JSON text: json_extract gives objects and arrays as JSON, but a
        # string unquoted and true/false as 1/0
        kind = f"json_type(j.value, '$[{position}]')"
        return (
            f"CASE {kind} WHEN 'null' THEN NULL WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            f"WHEN 'text' THEN json_quote({value}) ELSE CAST({value} AS TEXT) END"
        )
    raise NotImplementedError(f"helpdesk.bulk: no JSON rows on {connection.vendor}")


def rows_table(fields: Sequence[tuple[str, Field]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """(sql, params) of a parenthesised SELECT yielding `rows` as a table: one column per
    (name, field) of `fields`, typed as that field stores it, and `_n`, the row's position
    (order by it to keep the order of `rows`). One parameter, whatever the number of rows."""
    for _, field in fields:
        if isinstance(field, JSONField):
            _check_encoder(field)
    columns = ", ".join(
        f"{_column(i, field)} AS {connection.ops.quote_name(name)}" for i, (name, field) in enumerate(fields)
    )
    document = json.dumps(rows, cls=DjangoJSONEncoder, separators=(",", ":"))
    if connection.vendor == "postgresql":
        return f"(SELECT {columns}, j.n AS _n FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS j(v, n))", [
            document
        ]
    return f"(SELECT {columns}, j.key AS _n FROM json_each(%s) AS j)", [document]


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    constants: Mapping[str, Any] | None = None,
) -> list[int] | None:
    """Insert one `model` row per item of `rows` (the values of `fields`, in that order) with
    one INSERT … SELECT. `constants` are the values of other fields, the same for every row;
    the remaining fields get their defaults. Returns the new primary keys in the order of
    `rows`, or None where the database cannot return them (SQLite before 3.35)."""
    if not rows:
        return []
    constants = dict(constants or {})
    opts = model._meta
    per_row = [_field(model, name) for name in fields]
    fixed = {_field(model, name): value for name, value in constants.items()}
    for field in opts.concrete_fields:
        if field.primary_key or field in per_row or field in fixed:
            continue
        fixed[field] = field.get_default()
    source, source_params = rows_table([(f"c{i}", field) for i, field in enumerate(per_row)], rows)
    quote = connection.ops.quote_name
    targets = [quote(field.column) for field in [*per_row, *fixed]]
    values = [f"r.c{i}" for i in range(len(per_row))] + ["%s"] * len(fixed)
    params: list[Any] = [field.get_db_prep_save(value, connection) for field, value in fixed.items()]
    returning = connection.features.can_return_rows_from_bulk_insert
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} FROM {source} AS r ORDER BY r._n"
        + (f" RETURNING {quote(opts.pk.column)}" if returning else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *source_params])
        return [pk for (pk,) in cursor.fetchall()] if returning else None

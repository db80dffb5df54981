"""The Bronze contract's columns, as ``docs/bronze-contract.md`` lists them.

A test reads the Parquet files the lander writes and checks they carry exactly these
columns and types, so the external tables and the files never drift apart.
"""

from __future__ import annotations

from rastup_data.catalog.columns import Column, LogicalType

__all__ = ["BRONZE_BAD_COLUMNS", "BRONZE_EVENTS_COLUMNS", "CONTRACT_COLUMNS", "DT_PARTITION"]

_S, _I, _T = LogicalType.STRING, LogicalType.INTEGER, LogicalType.TIMESTAMP

BRONZE_EVENTS_COLUMNS: tuple[Column, ...] = (
    Column("event_id", _S, "ids.event_id, a UUID; unique in Bronze."),
    Column("event", _S, "Event name, e.g. booking.confirmed."),
    Column("v", _I, "Event schema version."),
    Column("occurred_at", _T, "When it happened, as the client said (UTC)."),
    Column("received_at", _T, "Stamped by the collector (UTC)."),
    Column("user_id", _S, "Pseudonymous user id u_..., nullable."),
    Column("anon_id", _S, "Anonymous device id a_..., nullable."),
    Column("session_id", _S, "Session id s_..., nullable."),
    Column("context", _S, "JSON text: app, platform, city, locale."),
    Column("ids", _S, "JSON text: event_id plus domain ids."),
    Column("payload", _S, "JSON text: the event payload as sent."),
)

BRONZE_BAD_COLUMNS: tuple[Column, ...] = (
    Column("received_at", _T, "When the collector saw it (UTC)."),
    Column("code", _S, "Error code (docs/error-codes.md)."),
    Column("message", _S, "What was wrong."),
    Column("event_id", _S, "ids.event_id when it could be read."),
    Column("event", _S, "Event name when it could be read."),
    Column("raw", _S, "The event text exactly as sent."),
)

#: The Hive partition key of Bronze: the UTC date of received_at, as ``dt=YYYY-MM-DD``.
DT_PARTITION = Column("dt", LogicalType.STRING, "UTC date of received_at (YYYY-MM-DD).")

#: Column sets a dataset entry may name in ``datasets.yaml`` (``columns: bronze_events``).
CONTRACT_COLUMNS: dict[str, tuple[Column, ...]] = {
    "bronze_events": BRONZE_EVENTS_COLUMNS,
    "bronze_bad": BRONZE_BAD_COLUMNS,
}

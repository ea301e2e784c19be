"""Where an event sits in the ledger's global order: its notification id, on each store."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int | None:
    """The notification id of one stored event, or ``None`` if there is no such event."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = (
            f"SELECT rowid FROM {recorder.events_table_name}"  # noqa: S608 - a name set in code
            " WHERE originator_id = ? AND originator_version = ?"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id.hex, version))
            row: Any = cursor.fetchone()
            return None if row is None else int(row[0])
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, (originator_id, version))
            found: Any = cursor.fetchone()
            return None if found is None else int(found["notification_id"])
    if isinstance(recorder, POPOApplicationRecorder):
        for note in recorder.select_notifications(1, 1 << 62):
            if note.originator_id == originator_id and note.originator_version == version:
                return note.id
        return None
    raise TypeError(f"no position lookup for {type(recorder).__name__}")

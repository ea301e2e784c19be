"""The disclosure log: every read of a case's data, every share and every police referral,
by subject, by case and by actor, for the data protection officer. No plaintext personal data.

Tables (``<suffix>`` empty for the live view, set for a rebuild beside it), tracked as
``disclosures<suffix>`` in ``asb_projection_tracking``:
- ``asb_view_disclosures<suffix>``: one row per ``Accessed``, ``InformationShared`` and
  ``PoliceReferralMade`` event, keyed by its notification position;
- ``asb_view_disclosure_subjects<suffix>``: (subject, position), the people each is about;
- ``asb_view_disclosure_people<suffix>``: (case, item, person), who a share item names, so a
  share's or referral's subjects are known when it is processed: ``case_summary`` names the
  complainant (the summary is the complaint as they gave it: its description and location);
  ``incident:<id>`` its victims; ``contact_history``, ``support_referral``, ``enforcement``
  and ``risk_assessment`` the people contacted, referred, acted against or assessed so far;
- ``asb_view_disclosure_grants<suffix>``: (position, grant), the break-glass grant each read
  under one (``Accessed.v2``) was made under: the mark the DPO sees on such reads.

Every insert is keyed (the position, or the whole row), so applying an event twice changes
nothing even without the tracking. The queries are in ``projections/disclosures/queries.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from ledger.access import Accessed, AccessedV2
from ledger.enums import Agency
from ledger.events import (
    CaseOpened,
    ContactRecorded,
    EnforcementActionTaken,
    IncidentRecorded,
    InformationShared,
    PoliceReferralMade,
    PoliceReferralMadeV2,
    RiskAssessed,
    SupportReferralMade,
)
from projections.disclosures.model import DisclosureKind
from projections.disclosures.queries import COLUMNS, DisclosureQueries, DisclosureTables
from projections.projection import PagedProjection
from projections.view import View

_PLACES = ", ".join("?" for _ in COLUMNS.split(","))


class DisclosureProjection(PagedProjection["DisclosureLog"]):
    """Reads, shares and referrals into log rows; the events that say who a share names
    into the people table; every other event only moves the tracking."""

    topics = tuple(
        get_topic(cls)
        for cls in (
            Accessed,
            AccessedV2,
            InformationShared,
            PoliceReferralMade,
            PoliceReferralMadeV2,
            CaseOpened,
            IncidentRecorded,
            ContactRecorded,
            SupportReferralMade,
            EnforcementActionTaken,
            RiskAssessed,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event that neither discloses nor names anyone a share could disclose."""
        self.view.insert_tracking(tracking)

    @process_event.register(Accessed)
    def _accessed(self, event: Accessed, tracking: Tracking) -> None:
        self.view.add_access(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(InformationShared)
    def _shared(self, event: InformationShared, tracking: Tracking) -> None:
        self.view.add_share(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(PoliceReferralMade)
    def _referred(self, event: PoliceReferralMade, tracking: Tracking) -> None:
        self.view.add_referral(event, tracking.notification_id)
        self.view.insert_tracking(tracking)

    @process_event.register(CaseOpened)
    def _opened(self, event: CaseOpened, tracking: Tracking) -> None:
        self.view.add_people(event.originator_id, "case_summary", (event.complainant_ref,))
        self.view.insert_tracking(tracking)

    @process_event.register(IncidentRecorded)
    def _incident(self, event: IncidentRecorded, tracking: Tracking) -> None:
        item = f"incident:{event.incident_id}"
        self.view.add_people(event.originator_id, item, event.victim_refs)
        self.view.insert_tracking(tracking)

    @process_event.register(ContactRecorded)
    def _contact(self, event: ContactRecorded, tracking: Tracking) -> None:
        self.view.add_people(event.originator_id, "contact_history", (event.person_ref,))
        self.view.insert_tracking(tracking)

    @process_event.register(SupportReferralMade)
    def _support(self, event: SupportReferralMade, tracking: Tracking) -> None:
        self.view.add_people(event.originator_id, "support_referral", (event.person_ref,))
        self.view.insert_tracking(tracking)

    @process_event.register(EnforcementActionTaken)
    def _enforced(self, event: EnforcementActionTaken, tracking: Tracking) -> None:
        self.view.add_people(event.originator_id, "enforcement", (event.subject_ref,))
        self.view.insert_tracking(tracking)

    @process_event.register(RiskAssessed)
    def _assessed(self, event: RiskAssessed, tracking: Tracking) -> None:
        if event.victim_ref is not None:
            self.view.add_people(event.originator_id, "risk_assessment", (event.victim_ref,))
        self.view.insert_tracking(tracking)


class DisclosureLog(View, DisclosureQueries):
    """Who saw or received what about whom, when and why: for the DPO and auditors."""

    name = "disclosures"
    tables_type = DisclosureTables
    projection_type = DisclosureProjection
    tables: DisclosureTables

    def table_statements(self) -> list[str]:
        uuid, bigint, time = (self.store.types[k] for k in ("uuid", "bigint", "time"))
        index = "asb_view_disclosures" + self.suffix
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tables.rows} ("
            f" position {bigint} PRIMARY KEY, kind TEXT NOT NULL, occurred_at {time} NOT NULL,"
            f" recorded_at {time} NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL,"
            f" actor_organisation TEXT NOT NULL, case_id {uuid}, case_version {bigint},"
            " view_name TEXT NOT NULL, items TEXT NOT NULL, recipient_agency TEXT,"
            " recipient_organisation TEXT, purpose TEXT, lawful_basis TEXT, gateway TEXT,"
            " special_condition TEXT, consent TEXT, authorised_by TEXT, protocol_reference TEXT,"
            f" share_id {uuid}, police_reference TEXT, request_id TEXT, outcome TEXT NOT NULL,"
            " reason TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.tables.subjects} ("
            f" subject_ref {uuid} NOT NULL, position {bigint} NOT NULL,"
            " PRIMARY KEY (subject_ref, position))",
            f"CREATE TABLE IF NOT EXISTS {self.tables.people} ("
            f" case_id {uuid} NOT NULL, item TEXT NOT NULL, person_ref {uuid} NOT NULL,"
            " PRIMARY KEY (case_id, item, person_ref))",
            f"CREATE TABLE IF NOT EXISTS {self.tables.grants} ("
            f" position {bigint} PRIMARY KEY, grant_id {uuid} NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.store.ident(index + '_case')}"
            f" ON {self.tables.rows} (case_id, position)",
            f"CREATE INDEX IF NOT EXISTS {self.store.ident(index + '_actor')}"
            f" ON {self.tables.rows} (actor_id, position)",
            f"CREATE INDEX IF NOT EXISTS {self.store.ident(index + '_subjects_position')}"
            f" ON {self.tables.subjects} (position)",
        ]

    # -------------------------------------------------------------- writing (inside a page)

    def add_access(self, event: Accessed, position: int) -> None:
        self._insert(
            position,
            "access",
            event,
            case_id=event.case_id,
            case_version=event.case_version,
            view=event.view,
            items=(),
            purpose=event.purpose.value,
            request_id=event.request_id,
            outcome=event.outcome.value,
            reason=event.reason,
        )
        self._execute_each(
            f"INSERT INTO {self.tables.subjects} (subject_ref, position)"  # noqa: S608 - names from code
            " VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(self.store.uuid_param(ref), position) for ref in event.subjects],
        )
        if isinstance(event, AccessedV2):
            self.execute(
                f"INSERT INTO {self.tables.grants} (position, grant_id)"  # noqa: S608
                " VALUES (?, ?) ON CONFLICT DO NOTHING",
                (position, self.store.uuid_param(event.grant_id)),
            )

    def add_share(self, event: InformationShared, position: int) -> None:
        self._insert(
            position,
            "share",
            event,
            case_id=event.originator_id,
            case_version=event.originator_version,
            view="share",
            items=event.items,
            recipient_agency=event.recipient.agency.value,
            recipient_organisation=event.recipient.organisation,
            purpose=event.purpose.value,
            lawful_basis=event.lawful_basis.value,
            gateway=event.gateway.value,
            condition=None if event.condition is None else event.condition.value,
            consent=event.consent.value,
            authorised_by=event.authorised_by,
            protocol_reference=event.protocol_reference,
            share_id=event.share_id,
        )
        named = [item.partition(":")[2] for item in event.items if item.startswith("person:")]
        self._execute_each(
            f"INSERT INTO {self.tables.subjects} (subject_ref, position)"  # noqa: S608
            " VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(self.store.uuid_param(UUID(ref)), position) for ref in named],
        )
        self._subjects_named(event.originator_id, event.items, position)

    def add_referral(self, event: PoliceReferralMade, position: int) -> None:
        items = tuple(f"incident:{incident}" for incident in event.incident_ids)
        self._insert(
            position,
            "police_referral",
            event,
            case_id=event.originator_id,
            case_version=event.originator_version,
            view="police_referral",
            items=items,
            occurred_at=event.disseminated_at,
            recipient_agency=Agency.POLICE.value,
            recipient_organisation=getattr(event, "organisation", None),
            police_reference=event.police_reference,
        )
        self._subjects_named(event.originator_id, items, position)

    def add_people(self, case_id: UUID, item: str, people: Iterable[UUID]) -> None:
        """Records that ``item`` of a case, if shared, discloses data about ``people``."""
        self._execute_each(
            f"INSERT INTO {self.tables.people} (case_id, item, person_ref)"  # noqa: S608
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(self.store.uuid_param(case_id), item, self.store.uuid_param(p)) for p in people],
        )

    def _execute_each(self, statement: str, rows: list[tuple[object, ...]]) -> None:
        for row in rows:  # a handful per event: one statement each keeps the page pipelined
            self.execute(statement, row)

    def _subjects_named(self, case_id: UUID, items: tuple[str, ...], position: int) -> None:
        """The people the case's shared items name, as the people table has them so far."""
        if not items:
            return
        self.execute(
            f"INSERT INTO {self.tables.subjects} (subject_ref, position)"  # noqa: S608
            f" SELECT DISTINCT person_ref, CAST(? AS {self.store.types['bigint']})"
            f" FROM {self.tables.people} WHERE case_id = ? AND {self.store.in_list('item')}"
            " ON CONFLICT DO NOTHING",
            (position, self.store.uuid_param(case_id), self.store.list_param(items)),
        )

    def _insert(
        self,
        position: int,
        kind: DisclosureKind,
        event: Any,
        *,
        case_id: UUID | None,
        case_version: int | None,
        view: str,
        items: tuple[str, ...],
        occurred_at: Any = None,
        share_id: UUID | None = None,
        **fields: str | None,
    ) -> None:
        actor = event.actor
        get = fields.get
        self.execute(
            f"INSERT INTO {self.tables.rows} ({COLUMNS}) VALUES ({_PLACES})"  # noqa: S608
            " ON CONFLICT (position) DO NOTHING",
            (
                position,
                kind,
                self.store.time_param(occurred_at or event.occurred_at),
                self.store.time_param(event.timestamp),
                actor.user_id,
                actor.role.value,
                actor.organisation,
                None if case_id is None else self.store.uuid_param(case_id),
                case_version,
                view,
                " ".join(items),
                get("recipient_agency"),
                get("recipient_organisation"),
                get("purpose"),
                get("lawful_basis"),
                get("gateway"),
                get("condition"),
                get("consent"),
                get("authorised_by"),
                get("protocol_reference"),
                None if share_id is None else self.store.uuid_param(share_id),
                get("police_reference"),
                get("request_id"),
                get("outcome") or "disclosed",
                get("reason"),
            ),
        )

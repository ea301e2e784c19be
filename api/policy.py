"""Who may do what: one policy function, default deny, run as a dependency on every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Unauthenticated
from api.errors import forbidden
from api.principal import Principal
from ledger.case import Case
from ledger.enums import AccessPurpose, Role
from ledger.errors import Rule, RuleViolation
from ledger.rules import AUTHORISERS
from ledger.values import Actor
from projections import Visibility


class Action(Enum):
    """Everything a route can do, named for the policy."""

    PUBLIC = "public"  # liveness, readiness, metrics
    OPEN_CASE = "case.open"
    LIST_CASES = "case.list"
    READ_CASE = "case.read"
    READ_EVENTS = "case.events"
    COMMAND = "case.command"  # any change to a case but the ones below
    CONTRIBUTE = "case.contribute"  # add an incident or a contact: partners may too
    ASSIGN = "case.assign"
    READ_TIMELINE = "case.timeline"
    READ_DISCLOSURES = "dpo.disclosures"  # the disclosure log: DPO and auditor only
    READ_STATS = "stats.read"  # counts and timescales, suppressed below 5
    READ_STATS_SUBJECTS = "stats.subjects"  # per-subject rows, under dataset pseudonyms
    READ_CASELOAD = "caseload.read"  # open cases, what is due and overdue
    READ_RISK = "case.risk"  # cumulative-harm risk of a case and its victims
    READ_CASE_REVIEWS = "case_reviews.read"  # the ASB Case Review threshold: staff only
    READ_LEDGER = "ledger.read"  # the Merkle log's checkpoints and proofs: no personal data
    READ_REFERENCE = "reference.read"  # the council's lists: wards, legislation, formats
    READ_ORGANISATIONS = "organisations.read"  # the protocol's signatories: public
    MANAGE_ORGANISATIONS = "organisations.manage"  # register and retire signatories
    SEARCH_PEOPLE = "people.search"  # the person register's blind-index search
    READ_PERSON = "people.read"  # one person across their cases
    MERGE_PEOPLE = "people.merge"  # two records found to be one person
    READ_LINKS = "case.links"  # the cases linked to a case by a person or a place
    SEARCH_PLACES = "places.search"  # the cases at an address
    ERASE_PERSON = "dpo.erase"  # a data protection officer's erasure of a person
    MANAGE_SARS = "dpo.sars.manage"  # record, review and issue subject access requests
    READ_SARS = "dpo.sars.read"  # the subject access queue and drafts: DPO and auditor
    BREAK_GLASS = "case.break_glass"  # a supervisor's time-limited read outside their team
    READ_ALERTS = "dpo.alerts"  # the queue of break-glass uses: DPO and auditor only
    CLOSE_ALERT = "dpo.close_alert"  # the DPO's review of a break-glass use
    MANAGE_HOLDS = "dpo.holds.manage"  # place and lift legal holds: the DPO only
    READ_HOLDS = "dpo.holds.read"  # the legal holds, in force and lifted: DPO and auditor
    AUDIT_CASE = "audit.case"  # the auditor's pages: replay, compare, verify and export a case
    READ_CASE_ACCESSES = "case.accesses"  # who else has seen a case: DPO, auditor, supervisor
    SIGNED_IN = "web.signed_in"  # the web pages' own: home, sign-out; any signed-in person


STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
READERS = frozenset({Role.AUDITOR, Role.DPO})

ROLES: dict[Action, frozenset[Role]] = {
    Action.PUBLIC: frozenset(Role),
    Action.OPEN_CASE: STAFF,
    Action.LIST_CASES: STAFF | READERS | {Role.PARTNER},
    Action.READ_CASE: STAFF | READERS | {Role.PARTNER},
    Action.READ_EVENTS: STAFF | READERS,
    Action.COMMAND: STAFF,
    Action.CONTRIBUTE: STAFF | {Role.PARTNER},
    Action.ASSIGN: frozenset({Role.SUPERVISOR}),
    Action.READ_TIMELINE: STAFF | READERS,
    Action.READ_DISCLOSURES: READERS,
    Action.READ_STATS: frozenset({Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR}),
    Action.READ_STATS_SUBJECTS: frozenset({Role.ANALYST}),
    Action.READ_CASELOAD: STAFF | {Role.AUDITOR},
    Action.READ_RISK: STAFF | {Role.AUDITOR},
    Action.READ_CASE_REVIEWS: STAFF,
    Action.READ_LEDGER: STAFF | READERS | {Role.PARTNER, Role.ANALYST, Role.ADMIN},
    Action.READ_REFERENCE: frozenset(Role),
    Action.READ_ORGANISATIONS: frozenset(Role),
    Action.MANAGE_ORGANISATIONS: frozenset({Role.ADMIN}),
    Action.SEARCH_PEOPLE: STAFF | READERS,
    Action.READ_PERSON: STAFF | READERS,
    Action.MERGE_PEOPLE: frozenset({Role.SUPERVISOR}),
    Action.READ_LINKS: STAFF | READERS,
    Action.SEARCH_PLACES: STAFF,
    Action.ERASE_PERSON: frozenset({Role.DPO}),
    Action.MANAGE_SARS: frozenset({Role.DPO}),
    Action.READ_SARS: READERS,
    Action.BREAK_GLASS: frozenset({Role.SUPERVISOR}),
    Action.READ_ALERTS: READERS,
    Action.CLOSE_ALERT: frozenset({Role.DPO}),
    Action.MANAGE_HOLDS: frozenset({Role.DPO}),
    Action.READ_HOLDS: READERS,
    Action.AUDIT_CASE: frozenset({Role.AUDITOR}),
    Action.READ_CASE_ACCESSES: READERS | {Role.SUPERVISOR},
    Action.SIGNED_IN: frozenset(Role) - {Role.SYSTEM},
}
"""What each role may do at all. Admins run the service and see no case data; analysts
read pseudonymised statistics only (``/stats``), never a case. Every person may read the
Merkle log's checkpoints and proofs (hashes only; asked by case, the case's own rule applies)."""

BREAK_GLASS_READS = frozenset(
    {
        Action.READ_CASE,
        Action.READ_EVENTS,
        Action.READ_TIMELINE,
        Action.READ_RISK,
        Action.READ_LINKS,
    }
)
"""The reads a supervisor's running break-glass grant opens on a case outside their teams.
Never a command: a grant lets its holder read, not change, the case."""

PURPOSE: dict[Role, AccessPurpose] = {
    Role.CASEWORKER: AccessPurpose.CASE_MANAGEMENT,
    Role.SUPERVISOR: AccessPurpose.SUPERVISION,
    Role.PARTNER: AccessPurpose.PARTNERSHIP,
    Role.AUDITOR: AccessPurpose.AUDIT,
    Role.DPO: AccessPurpose.DATA_PROTECTION,
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    hide: bool = False  # refuse as "not found": the caller may not know the case exists
    rule: str | None = None  # the rule code a refusal carries, where one applies
    grant: UUID | None = None  # allowed under this break-glass grant: the read is marked so


ALLOW = Decision(True, "allowed")
NOT_NEEDED = Rule.BREAK_GLASS_NOT_NEEDED.value


@dataclass(frozen=True)
class CaseFacts:
    """The relationships the policy needs, read from the case itself (always current)."""

    team: str | None
    officer: str | None
    shared_with: frozenset[str]
    grant: UUID | None = None
    """The caller's break-glass grant on the case running now, if any: read from the
    ledger's own grant index (``ledger/break_glass.py``), never from a view that may lag."""

    @classmethod
    def of(cls, case: Case, grant: UUID | None = None) -> CaseFacts:
        return cls(case.team, case.officer, frozenset(s.organisation for s in case.shares), grant)


def decide(principal: Principal | None, action: Action, case: CaseFacts | None = None) -> Decision:
    """The one policy function. Anything not allowed here is denied."""
    if action is Action.PUBLIC:
        return ALLOW
    if principal is None:
        return Decision(False, "not authenticated")
    if principal.role not in ROLES.get(action, frozenset()):
        return Decision(False, f"the {principal.role.value} role may not {action.value}")
    if case is None:
        return ALLOW
    if action is Action.BREAK_GLASS:  # only for a case the caller may not read otherwise
        if sees(principal, case):
            return Decision(
                False, "you may read this case already: no grant is needed", rule=NOT_NEEDED
            )
        return ALLOW
    if not sees(principal, case):
        if case.grant is not None and opens(principal, action):
            return Decision(True, "under a break-glass grant", grant=case.grant)
        return Decision(False, "not a case of the caller's", hide=True)
    if (
        principal.role is Role.PARTNER
        and action is not Action.READ_CASE
        and (action is not Action.CONTRIBUTE)
    ):
        return Decision(False, f"a partner may not {action.value} on a shared case")
    return ALLOW


def opens(principal: Principal, action: Action) -> bool:
    """Whether a break-glass grant could open ``action`` to the caller: a supervisor's read."""
    return principal.role is Role.SUPERVISOR and action in BREAK_GLASS_READS


def may_need_grant(principal: Principal, action: Action, case: CaseFacts) -> bool:
    """Whether only a break-glass grant could let the caller do ``action`` on the case: then
    (and only then) is their grant looked up, so other reads cost nothing more."""
    return opens(principal, action) and not sees(principal, case)


def sees(principal: Principal, case: CaseFacts) -> bool:
    """Whether the caller may know the case exists at all."""
    role = principal.role
    if role in READERS:
        return True
    if role in STAFF:
        return (case.team is not None and case.team in principal.all_teams) or (
            case.officer is not None and case.officer == principal.user_id
        )
    if role is Role.PARTNER:
        return principal.organisation in case.shared_with
    return False


@dataclass(frozen=True)
class Guard:
    """A route's authorisation: who is calling and what the route does."""

    principal: Principal | None
    action: Action

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("a bearer token is required")
        return self.principal


bearer = HTTPBearer(auto_error=False, description="A JWT from the council's identity provider")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def authorize(action: Action) -> Callable[..., Awaitable[Guard]]:
    """The dependency every route declares. It authenticates (unless public) and applies
    the role part of the policy; the route applies the case part once it has the case.
    A refusal is recorded as an access before the 403 goes back."""
    if action is Action.PUBLIC:

        async def public() -> Guard:
            return Guard(None, action)

        public.__policy__ = action  # type: ignore[attr-defined]
        return public

    async def dependency(request: Request, credentials: Credentials) -> Guard:
        # Async, so it runs on the event loop rather than taking a thread-pool hop of its
        # own: a verified token is a dictionary lookup; a new one costs one signature check.
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("a bearer token is required")
        principal: Principal = request.app.state.verifier.verify(credentials.credentials)
        return await admit(request, principal, action)

    dependency.__policy__ = action  # type: ignore[attr-defined]
    return dependency


async def admit(request: Request, principal: Principal, action: Action) -> Guard:
    """The role part of the policy for a verified caller, however they signed in (a bearer
    token for the API, a session for the web pages): a refusal is recorded as an access,
    then raised as a 403 (``Problem``) with the rule code where there is one."""
    request.state.actor = principal.user_id
    request.state.role = principal.role.value  # for the partners' checkpoint header
    decision = decide(principal, action)
    if decision.allowed and principal.role is Role.PARTNER:
        decision = await run_in_threadpool(_signatory, request, principal)
    if not decision.allowed:
        await run_in_threadpool(
            request.app.state.access.denied,
            request,
            principal,
            case_id=request.path_params.get("case_id"),
            reason=decision,
        )
        problem = forbidden(decision.reason)
        if decision.rule is not None:
            problem.extra["rule"] = decision.rule
        raise problem
    return Guard(principal, action)


def _signatory(request: Request, principal: Principal) -> Decision:
    """A partner acts for a registered organisation that is a signatory of the protocol
    today: their token's ``org`` is its id. Anything else (a name, an unknown id, a retired
    organisation) is refused, whatever the token says."""
    today = request.app.state.clock().date()
    try:
        request.app.state.ledger.organisations.require(principal.organisation, today, "org")
    except RuleViolation as refusal:
        return Decision(False, refusal.detail, rule=refusal.rule.value)
    return ALLOW


AuthorisedBy = Annotated[
    str | None,
    Header(
        alias="X-Authorised-By",
        description="A supervisor's bearer token, when a caseworker shares with their"
        " authorisation (a supervisor sharing needs none).",
    ),
]


def authoriser(request: Request, caller: Principal, token: str | None) -> Actor | None:
    """Who authorised a share: the caller, where their role may authorise; else the holder
    of the token in ``X-Authorised-By`` (checked as any token is). The ledger refuses a
    share whose authoriser may not authorise."""
    if caller.role in AUTHORISERS:
        return caller.actor()
    if token is None:
        return None
    principal: Principal = request.app.state.verifier.verify(token.removeprefix("Bearer ").strip())
    return principal.actor()


def visibility(principal: Principal) -> Visibility:
    """The same rule as ``sees``, as a filter for list queries (applied in the query)."""
    role = principal.role
    if role in READERS:
        return Visibility(everything=True)
    if role in STAFF:
        return Visibility(teams=principal.all_teams, officer=principal.user_id)
    if role is Role.PARTNER:
        return Visibility(organisation=principal.organisation)
    return Visibility()

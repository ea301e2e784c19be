"""Every command and the handler that carries it out: the one map from a command's type to
its code, so a caller (a route, the demo loader, a test) hands over a command and nothing
else. Each handler lives in a module of its own, named as the command's ``name``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from commands import (
    acknowledge_case_review,
    add_agency,
    agree_timescales,
    assess_risk,
    assign_case,
    cancel_action,
    close_case,
    complete_action,
    conclude_case_review,
    decide_case_review,
    link_person,
    open_case,
    plan_action,
    record_contact,
    record_incident,
    refer_for_support,
    refer_to_police,
    reopen_case,
    request_case_review,
    review_case,
    share_information,
    take_enforcement_action,
)
from commands.common import Command
from commands.unit_of_work import UnitOfWork
from ledger.values import Receipt

Handler = Callable[[Any, UnitOfWork], Receipt]

HANDLERS: Mapping[type[Command], Handler] = {
    open_case.OpenCase: open_case.handle,
    link_person.LinkPerson: link_person.handle,
    record_incident.RecordIncident: record_incident.handle,
    assess_risk.AssessRisk: assess_risk.handle,
    plan_action.PlanAction: plan_action.handle,
    complete_action.CompleteAction: complete_action.handle,
    cancel_action.CancelAction: cancel_action.handle,
    agree_timescales.AgreeTimescales: agree_timescales.handle,
    record_contact.RecordContact: record_contact.handle,
    refer_for_support.ReferForSupport: refer_for_support.handle,
    share_information.ShareInformation: share_information.handle,
    refer_to_police.ReferToPolice: refer_to_police.handle,
    add_agency.AddAgency: add_agency.handle,
    take_enforcement_action.TakeEnforcementAction: take_enforcement_action.handle,
    review_case.ReviewCase: review_case.handle,
    request_case_review.RequestCaseReview: request_case_review.handle,
    acknowledge_case_review.AcknowledgeCaseReview: acknowledge_case_review.handle,
    decide_case_review.DecideCaseReview: decide_case_review.handle,
    conclude_case_review.ConcludeCaseReview: conclude_case_review.handle,
    close_case.CloseCase: close_case.handle,
    reopen_case.ReopenCase: reopen_case.handle,
    assign_case.AssignCase: assign_case.handle,
}


def handle(cmd: Command, uow: UnitOfWork) -> Receipt:
    """Carries out ``cmd`` through its handler, within ``uow``."""
    return HANDLERS[type(cmd)](cmd, uow)

"""The council's reference data: the closed lists and formats that commands are checked by."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import LedgerDep
from api.policy import Action, Guard, authorize
from api.routes.common import COMMAND_RESPONSES
from api.schemas.reference import ReferenceDataOut

router = APIRouter(tags=["reference"])

ReferenceReader = Annotated[Guard, Depends(authorize(Action.READ_REFERENCE))]


@router.get(
    "/reference-data",
    name="reference.data",
    response_model=ReferenceDataOut,
    responses={status: COMMAND_RESPONSES[status] for status in (401, 403, 503)},
)
def reference_data(guard: ReferenceReader, ledger: LedgerDep) -> ReferenceDataOut:
    """The values a field kept in the clear must take: the council's wards (a case's
    ``ward``), the enumerated legislation (an enforcement action's ``legislation``) and
    the force's police reference format (a police referral's ``police_reference``).
    Anything else is refused, so that these fields can never carry personal data."""
    return ReferenceDataOut.of(ledger.vocabulary)

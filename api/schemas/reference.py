"""Response model of the council's reference data."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ledger.enums import Provision
from ledger.vocabulary import Vocabulary


class ReferenceDataOut(BaseModel):
    wards: list[str] = Field(description="The council's wards (``ASB_WARDS``).")
    legislation: list[str] = Field(
        description="The provisions an enforcement action may be taken under."
    )
    police_reference_format: str = Field(
        description="The regular expression a police reference matches in full"
        " (``ASB_POLICE_REFERENCE_FORMAT``)."
    )

    @classmethod
    def of(cls, vocabulary: Vocabulary) -> ReferenceDataOut:
        return cls(
            wards=list(vocabulary.wards),
            legislation=[provision.value for provision in Provision],
            police_reference_format=vocabulary.police_reference_format,
        )

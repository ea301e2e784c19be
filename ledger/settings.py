"""Settings (``ASB_`` environment variables or ``.env``), translated for the library."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from psycopg.conninfo import make_conninfo
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.enums import Category
from ledger.vocabulary import DEFAULT_POLICE_REFERENCE_FORMAT, DEFAULT_WARDS, Vocabulary


@dataclass(frozen=True)
class StoreConfig:
    """Where events live: the library's settings plus what our own tables need."""

    kind: Literal["sqlite", "postgres", "memory"]
    library_env: dict[str, str]
    sqlite_path: str | None = None
    postgres_conninfo: str | None = None
    postgres_schema: str = "public"


class Settings(BaseSettings):
    """All configuration. Only ``store()`` knows the library's own setting names."""

    model_config = SettingsConfigDict(env_prefix="ASB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Where the embedded store keeps its files"
    )
    database_url: str | None = Field(
        default=None,
        description="sqlite:///path (default: ledger.sqlite3 in the data directory) or"
        " postgresql://user[:password]@host[:port]/dbname[?schema=name]",
    )
    master_key_file: Path | None = Field(
        default=None, description="Master key wrapping the data keys (default: data_dir/master.key)"
    )
    key_cache_seconds: float = Field(default=30.0, ge=0)
    postgres_pool_size: int = Field(default=2, ge=1)
    pg_fast_recorder: bool = Field(
        default=True,
        description="On PostgreSQL, insert events with one locked server-side call"
        " (ledger.pgrecorder); false uses the library's recorder",
    )
    log_format: Literal["auto", "json", "console"] = "auto"
    clock_skew_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="How far in the future a recorded moment may be (a client's clock ahead"
        " of the ledger's); a later one is refused as date.in_future",
    )
    wards: tuple[str, ...] = Field(
        default=DEFAULT_WARDS,
        min_length=1,
        description="The council's wards (a JSON list): a case's ward is one of them, matched"
        " regardless of case, accents and punctuation (default: Stafford Borough's)",
    )
    police_reference_format: str = Field(
        default=DEFAULT_POLICE_REFERENCE_FORMAT,
        min_length=1,
        description="A regular expression a police referral's crime reference must match"
        " in full (the force's format)",
    )
    case_cache_size: int = Field(
        default=0,
        ge=0,
        description="Cases kept in memory once loaded and verified; a later load reads only"
        " the events saved since (0: every load reads and verifies the whole case)",
    )
    break_glass_hours: float = Field(
        default=4.0,
        gt=0,
        le=72,
        description="How long a supervisor's break-glass grant lets them read a case outside"
        " their team (hours)",
    )

    notary_key_file: Path | None = Field(
        default=None,
        description="The notary's Ed25519 signing key (default: data_dir/notary.key, created"
        " on first run with notary.pub beside it; a configured file must exist)",
    )
    notary_witness_file: Path | None = Field(
        default=None,
        description="Where the notary keeps the last checkpoint it signed, outside the"
        " database (default: data_dir/notary.checkpoint); verify --all holds the store to it",
    )
    notary_origin: str = Field(
        default="asb-ledger.local/notary",
        pattern=r"^[^\s+]+$",
        description="The Merkle log's name in its checkpoints (and a new key's name)",
    )
    checkpoint_every: int = Field(
        default=1000, ge=1, description="Sign a checkpoint once this many events are logged"
    )
    checkpoint_seconds: float = Field(
        default=60.0,
        ge=0,
        description="... or once this many seconds have passed, if any event was logged",
    )

    council_name: str = Field(
        default="The council",
        min_length=1,
        max_length=200,
        description="The council's name, as subject access responses give it",
    )
    sar_dir: Path | None = Field(
        default=None,
        description="Where issued subject access responses are written (default:"
        " data_dir/sar-responses), one folder per request",
    )

    @field_validator("police_reference_format")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return pattern

    def vocabulary(self) -> Vocabulary:
        """The closed lists and formats that let a field be recorded in the clear."""
        return Vocabulary(wards=self.wards, police_reference_format=self.police_reference_format)

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    @property
    def sar_path(self) -> Path:
        return self.sar_dir or self.data_dir / "sar-responses"

    @property
    def notary_key_path(self) -> Path:
        return self.notary_key_file or self.data_dir / "notary.key"

    @property
    def notary_witness_path(self) -> Path:
        return self.notary_witness_file or self.data_dir / "notary.checkpoint"

    def store(self) -> StoreConfig:
        url = self.database_url or f"sqlite:///{self.data_dir / 'ledger.sqlite3'}"
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
            if not path:
                raise ValueError("ASB_DATABASE_URL: a sqlite URL is sqlite:///path/to/file")
            return StoreConfig(
                kind="sqlite",
                library_env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path},
                sqlite_path=path,
            )
        if parts.scheme in {"postgresql", "postgres"}:
            dbname = unquote(parts.path.lstrip("/"))
            if not dbname:
                raise ValueError("ASB_DATABASE_URL: a postgresql URL must name the database")
            query = parse_qs(parts.query)
            unknown = sorted(set(query) - {"schema"})
            if unknown:
                raise ValueError(
                    f"ASB_DATABASE_URL: only ?schema= is understood, not {unknown};"
                    " set TLS and other libpq options with PGSSLMODE, PGSSLROOTCERT, ..."
                )
            schema = query.get("schema", ["public"])[0]
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": dbname,
                "POSTGRES_HOST": parts.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(parts.password or ""),
                "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
                "POSTGRES_SCHEMA": schema,
            }
            conninfo = make_conninfo(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=dbname,
                user=env["POSTGRES_USER"],
                **({"password": env["POSTGRES_PASSWORD"]} if env["POSTGRES_PASSWORD"] else {}),
            )
            return StoreConfig(
                kind="postgres", library_env=env, postgres_conninfo=conninfo, postgres_schema=schema
            )
        if parts.scheme == "memory":
            return StoreConfig(
                kind="memory", library_env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
            )
        raise ValueError(f"ASB_DATABASE_URL: unsupported scheme {parts.scheme!r}")


class Retention(BaseSettings):
    """How long a closed case is kept (DOMAIN §8): ``ASB_RETENTION_YEARS`` after closure
    (default 6), or for a category its own (``ASB_RETENTION_BY_CATEGORY``, a JSON object
    such as ``{"personal": 7}``). The caseload view records each closed case's due date
    with these: after changing them, rebuild it (``asb-ledger projections rebuild caseload``)."""

    model_config = SettingsConfigDict(
        env_prefix="ASB_RETENTION_", env_file=".env", extra="ignore", frozen=True
    )

    years: int = Field(default=6, ge=1, le=100, description="Years kept after closure")
    by_category: dict[Category, int] = Field(
        default_factory=dict,
        description="Years kept after closure for a case category, where not ``years``",
    )

    @field_validator("by_category")
    @classmethod
    def _sensible(cls, value: dict[Category, int]) -> dict[Category, int]:
        for category, years in value.items():
            if not 1 <= years <= 100:
                raise ValueError(f"{category.value}: between 1 and 100 years")
        return value

    def years_for(self, category: Category) -> int:
        return self.by_category.get(category, self.years)

    def due_on(self, category: Category, closed_on: date) -> date:
        """The first day a case of ``category`` closed on ``closed_on`` may be erased: the
        same date ``years_for`` years on (a 29 February closure falls due on 1 March, so
        that no case is kept less than the full period)."""
        year = closed_on.year + self.years_for(category)
        try:
            return closed_on.replace(year=year)
        except ValueError:
            return date(year, 3, 1)

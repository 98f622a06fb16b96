"""Settings from the environment (prefix GRANTREVIEW_), built once at the entry point."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AnyUrl, Field, Secret, SecretStr, UrlConstraints, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["REPO_PROGRAMS_DIR", "Settings", "SmtpUrl", "get_settings"]

REPO_PROGRAMS_DIR = Path(__file__).resolve().parents[2] / "programs"


SmtpUrl = Annotated[AnyUrl, UrlConstraints(allowed_schemes=["smtp", "smtps"], host_required=True)]
"""`smtp://[user[:password]@]host[:port]?from=ADDR&to=TEMPLATE` (`smtps://`: implicit TLS)."""


def _clock_bound(default: timedelta, meaning: str) -> Any:  # noqa: ANN401 - a pydantic Field
    """A bound of the clock policy (docs/log-format.md 10a): 0 to 30 days, recorded per act."""
    return Field(
        default=default,
        ge=timedelta(0),
        le=timedelta(days=30),
        description=f"{meaning} (an ISO 8601 duration, e.g. PT5M); recorded beside every act",
    )


class Settings(BaseSettings):
    """Everything configurable; S3 credentials come from boto3's own chain, Prefect from its own."""

    model_config = SettingsConfigDict(env_prefix="GRANTREVIEW_", extra="ignore")

    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint; unset means AWS's own endpoint"
    )
    s3_bucket: str = Field(default="grantreview", min_length=3, max_length=63)
    s3_prefix: str = Field(default="", description="every key lives under it; '' or ends in '/'")
    s3_max_workers: int = Field(default=32, ge=1, le=256)
    append_processes: int = Field(
        default=0,
        ge=0,
        le=64,
        description=(
            "processes reevaluation appends from, the flow's own included;"
            " 0: one per CPU for large runs"
        ),
    )
    programs_dir: Path = REPO_PROGRAMS_DIR
    signing_key_file: Path | None = None
    verify_key_file: Path | None = None
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    object_lock_days: int = Field(default=2555, ge=0, description="0 disables retention")
    smtp_url: Secret[SmtpUrl] | None = Field(
        default=None, description="mail server; see infra/outbox/smtp.py (shown masked)"
    )
    actor: str = Field(default="cli", min_length=1, max_length=200)
    people_file: Path | None = Field(
        default=None, description="who may act (YAML); unset: acts are recorded unsigned"
    )
    person_key_file: Path | None = Field(
        default=None, description="the acting person's OpenSSH ed25519 private key"
    )
    person_key_passphrase: SecretStr | None = None
    ssh_auth_sock: Path | None = Field(
        default=None,
        validation_alias="SSH_AUTH_SOCK",
        description="the person's ssh-agent (OpenSSH's own variable, no prefix); signs acts "
        "when GRANTREVIEW_PERSON_KEY_FILE is unset",
        repr=False,
    )
    act_skew: timedelta = _clock_bound(
        timedelta(minutes=5), "how far ahead of the recorded time a person's act may be dated"
    )
    act_max_delay: timedelta = _clock_bound(
        timedelta(hours=24), "the longest an act signed elsewhere may wait before it is recorded"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @field_validator("s3_prefix")
    @classmethod
    def _prefix_is_a_folder(cls, value: str) -> str:
        if value and (not value.endswith("/") or value.startswith("/") or ".." in value.split("/")):
            raise ValueError(
                "GRANTREVIEW_S3_PREFIX must be empty or a relative folder ending in '/'"
            )
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()

"""One place where adapters are wired from settings: client, stores, log, programs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from infra.eventlog.documents import DocumentStore
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.platform.logging import get_logger
from infra.platform.settings import Settings, get_settings
from infra.s3.client import make_s3_client
from schemas.base.errors import InputError
from schemas.base.ids import check_slug
from schemas.log.state import fold_registry
from schemas.log.streams import StreamId
from schemas.program.jurisdiction import Jurisdiction

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from infra.eventlog.integrator import Integrator
    from schemas.log.cumulative_checkpoint import Keyring, Signer
    from schemas.log.legacy_commits import AttestedHead
    from schemas.people.people_file import PeopleFile
    from schemas.program.definition import ProgramBundle

__all__ = ["Runtime", "get_runtime"]

_log = get_logger(__name__)


@dataclass
class Runtime:
    """Lazily built adapters for one process."""

    settings: Settings
    _programs: dict[str, ProgramBundle] = field(default_factory=dict)

    @cached_property
    def client(self) -> S3Client:
        """The boto3 S3 client."""
        return make_s3_client(self.settings)

    @cached_property
    def store(self) -> S3ObjectStore:
        """The bucket as an object store."""
        return S3ObjectStore(
            self.client, self.settings.s3_bucket, max_workers=self.settings.s3_max_workers
        )

    @cached_property
    def log(self) -> EventLog:
        """The event log under the configured prefix, signing and checking commits."""
        return EventLog(self.store, self.settings.s3_prefix, self.commit_keys)

    @cached_property
    def commit_keys(self) -> CommitKeys:
        """The key commits are signed with and the keyring commits read are checked against.

        The keyring is the verify key file if set, else the signing key's own public key;
        with neither, commits are written unsigned and read unchecked (a warning says so).
        """
        signer = self.signer
        if self.settings.verify_key_file is not None:
            from infra.identity.keys import load_keyring  # noqa: PLC0415 - only when configured

            return self._with_attestations(signer, load_keyring(self.settings.verify_key_file))
        if signer is None:
            _log.warning(
                "commits_unsigned",
                reason="no GRANTREVIEW_SIGNING_KEY_FILE or GRANTREVIEW_VERIFY_KEY_FILE",
            )
            return CommitKeys()
        from schemas.log.commit_signature import signer_keyring  # noqa: PLC0415 - cryptography

        return self._with_attestations(signer, signer_keyring(signer))

    def _with_attestations(self, signer: Signer | None, keyring: Keyring) -> CommitKeys:
        """Commit keys that accept legacy `/1` commits a signed cumulative checkpoint attests.

        The newest cumulative checkpoint is read once per runtime, the first time a legacy
        commit is read (docs/log-format.md section 8).
        """

        def load() -> dict[str, AttestedHead]:
            from infra.eventlog.checkpoints import legacy_attestations  # noqa: PLC0415 - when needed

            return legacy_attestations(self.store, self.settings.s3_prefix, keyring)

        return CommitKeys(signer, keyring, attestations=load)

    @cached_property
    def documents(self) -> DocumentStore:
        """Content-addressed documents under the configured prefix."""
        return DocumentStore(self.store, self.settings.s3_prefix)

    def program(self, program_id: str) -> ProgramBundle:
        """The program as defined now in the programs folder (validated, cached)."""
        check_slug(program_id, "program id")
        if program_id not in self._programs:
            from infra.files.programs import load_program  # noqa: PLC0415 - CEL and YAML only when needed

            self._programs[program_id] = load_program(self.settings.programs_dir, program_id)
        return self._programs[program_id]

    def forget_program(self, program_id: str) -> None:
        """Read the program folder again on next use (`programs add-order` just changed it)."""
        self._programs.pop(program_id, None)

    @cached_property
    def signer(self) -> Signer | None:
        """The checkpoint signing key, or None if not configured; a loose key file is refused.

        Write commands read it before their first write, so a bad key writes nothing.
        """
        key_file = self.settings.signing_key_file
        if key_file is None:
            return None
        from infra.identity.keys import load_signer  # noqa: PLC0415 - cryptography only when signing

        return load_signer(key_file)

    @cached_property
    def people(self) -> PeopleFile | None:
        """The people file in force (validated), or None: then acts are recorded unsigned."""
        if self.settings.people_file is None:
            return None
        from infra.identity.people import load_people  # noqa: PLC0415 - YAML only when configured

        return load_people(self.settings.people_file)

    @cached_property
    def origin(self) -> str:
        """The transparency log's checkpoint origin, from bucket and prefix."""
        from schemas.tlog.layout import log_origin  # noqa: PLC0415 - only when integrating

        return log_origin(self.settings.s3_bucket, self.settings.s3_prefix)

    @cached_property
    def integrator(self) -> Integrator | None:
        """The transparency-log integrator, or None without a checkpoint signing key."""
        signer, keyring = self.signer, self.commit_keys.keyring
        if signer is None or keyring is None:
            return None
        from infra.eventlog.integrator import Integrator  # noqa: PLC0415 - cryptography only when signing

        return Integrator(self.log, origin=self.origin, signer=signer, keyring=keyring)

    def require_program(self, program_id: str) -> None:
        """Refuse a program with no definition, without parsing it (status needs no rules)."""
        check_slug(program_id, "program id")
        if not (self.settings.programs_dir / program_id / "program.yaml").is_file():
            raise InputError(f"no program {program_id!r} in {self.settings.programs_dir}")

    def registry(self) -> dict[str, Jurisdiction]:
        """Every imported jurisdiction by slug."""
        return fold_registry(self.log.read_stream(StreamId.registry()))


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    """The process's runtime, built on first use (never at import)."""
    return Runtime(get_settings())

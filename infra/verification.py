"""The log check the demo and operators run: verify with the configured public keys."""

from __future__ import annotations

from infra.audit import verify_store
from infra.keys import load_keyring
from infra.runtime import Runtime
from schemas.errors import InputError

__all__ = ["verify_runtime_log"]


def verify_runtime_log(runtime: Runtime, program: str | None = None) -> list[str]:
    """Findings (empty when intact) for the configured log, as one line each."""
    key_file = runtime.settings.verify_key_file
    if key_file is None:
        raise InputError("set GRANTREVIEW_VERIFY_KEY_FILE to the public key(s) to verify with")
    report = verify_store(
        runtime.store, runtime.settings.s3_prefix, load_keyring(key_file), program=program
    )
    return [str(finding) for finding in report.findings]

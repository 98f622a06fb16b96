"""Whether a commit may become a leaf: intact, stored at its own key, signed by a writer.

Soundness is the one pure check every reader runs (`schemas/log/soundness.py`), so the
writer, the integrator, the sweep and the audit judge a commit alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.errors import UntrustedCheckpointError
from infra.platform.logging import get_logger
from schemas.log.commit import (
    MAX_COMMIT_BYTES,
    Commit,
)
from schemas.log.commit_signature import commit_signature_problem
from schemas.log.legacy_commits import attested_hashes, is_legacy
from schemas.log.soundness import CommitProblem, sound_commit
from schemas.log.streams import parse_commit_key
from schemas.tlog.merkle import leaf_hash

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from infra.eventlog.log import EventLog
    from schemas.log.cumulative_checkpoint import Keyring
    from schemas.log.streams import StreamId

__all__ = ["CommitChecker"]

_log = get_logger(__name__)


class CommitChecker:
    """Checks commits for one log and keyring; remembers legacy attestations per stream."""

    def __init__(self, log: EventLog, keyring: Keyring) -> None:
        self.log = log
        self.keyring = keyring
        self._legacy: dict[str, frozenset[str]] = {}

    def judge(self, key: str, raw: bytes | None, expected_hash: str | None = None) -> Commit | str:
        """The commit at `key` if it may be a leaf, else why it may not."""
        parsed = parse_commit_key(self.log.prefix, key)
        if raw is None or parsed is None:
            return "missing"
        judged = sound_commit(raw, parsed[0], parsed[1])
        if isinstance(judged, CommitProblem):
            return f"{judged.kind.value}: {judged.detail}"
        commit = judged
        if expected_hash is not None and commit.hash != expected_hash:
            return f"not the commit the run appended (hash {commit.hash[:12]}…)"
        vouched = self._legacy_vouched(parsed[0]) if is_legacy(commit) else frozenset()
        signature = commit_signature_problem(commit, self.keyring, vouched)
        return commit if signature is None else f"{signature[0].value}: {signature[1]}"

    def _legacy_vouched(self, stream: StreamId) -> frozenset[str]:
        """The legacy `/1` commits of `stream` a signed cumulative checkpoint attests.

        Read once per stream and checker (a legacy stream is integrated once, at the first
        sweep): its intact commits, walked back from the attested head.
        """
        if stream.name not in self._legacy:
            head = self.log.attested_heads().get(stream.name)
            vouched: frozenset[str] = frozenset()
            if head is not None:
                keys = list(self.log.store.list_keys(stream.key_prefix(self.log.prefix)))
                intact = [
                    commit
                    for raw in self.log.store.get_many(keys, limit=MAX_COMMIT_BYTES)
                    if raw is not None and isinstance(commit := sound_commit(raw, stream), Commit)
                ]
                vouched = attested_hashes(intact, head)
            self._legacy[stream.name] = vouched
        return self._legacy[stream.name]

    def verified(
        self,
        keys: Sequence[str],
        *,
        strict: bool,
        known: Mapping[str, bytes] | None = None,
        expected: Mapping[str, str] | None = None,
        times: dict[str, datetime] | None = None,
    ) -> dict[str, bytes]:
        """The leaf hash of every commit that verifies; strict: any other raises.

        `known` holds the leaf hashes of what this process sealed and wrote itself: taken as
        they are, never read back. The others are fetched once and checked, and their own
        times put in `times` (where to look for them in the tree). `expected` maps keys to
        the commit hash the run appended there.
        """
        known = known or {}
        expected = expected or {}
        good = {key: known[key] for key in keys if key in known}
        missing = [key for key in keys if key not in good]
        for key, raw in zip(missing, self.log.store.get_many(missing), strict=True):
            judged = self.judge(key, raw, expected.get(key))
            if isinstance(judged, Commit) and raw is not None:
                good[key] = leaf_hash(raw)
                if times is not None:
                    times[key] = judged.time
                continue
            problem = judged
            if strict:
                raise UntrustedCheckpointError(f"tlog batch names {key}: {problem}")
            # left out of the tree: `audit verify` reports it (not_in_tree and why)
            _log.warning("tlog_commit_untrusted", key=key, problem=problem)
        return good

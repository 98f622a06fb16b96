"""The transparency-log formats: Merkle trees, tiles, notes, checkpoints, proofs, layout.

RFC 6962 trees, C2SP signed notes, checkpoints, cosignatures and tlog-proofs, and where they
sit in the bucket. Like Go's `sumdb/tlog` and `sumdb/note`: imports only `schemas.base`.
"""

"""The domain events a commit carries: frozen, past tense, each with a stable type and version.

May import `schemas.base`, `schemas.people`, `schemas.program` and `schemas.rules`.
"""

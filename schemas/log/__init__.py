"""The event log: streams, commits, their hash chain and signatures, checkpoints, folded state.

May import every room below it: `base`, `people`, `program`, `rules`, `events`.
"""

"""The state index: snapshots of every stream's state, brought up to date from the log."""

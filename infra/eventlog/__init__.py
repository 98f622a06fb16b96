"""The event log: one implementation over small object-store backends (S3, memory, a folder)."""

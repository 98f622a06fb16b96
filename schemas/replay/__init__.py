"""Re-deriving every decision from the recorded evidence and rules, and the report of it.

The top room: may import every other.
"""

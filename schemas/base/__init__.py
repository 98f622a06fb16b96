"""Shared basics of the pure core: errors, ids, canonical JSON, time windows, markup, findings.

Imports nothing else from `schemas`.
"""

"""Evaluating a response against a program: conditions, waivers, the evaluation record.

May import `schemas.base`, `schemas.people` and `schemas.program`.
"""

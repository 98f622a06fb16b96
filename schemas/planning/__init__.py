"""Deciding the next step of a review: letters, responses, decisions, stages, notices.

May import `schemas.log` and every room below it; never the audit, the replay or the tlog.
"""

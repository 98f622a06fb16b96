"""Prefect-facing operations: deployments, serving, work pools, lost-run automations."""

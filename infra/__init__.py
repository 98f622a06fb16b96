"""Adapters and operations: settings, logging, the S3 event log, local services, deployments."""

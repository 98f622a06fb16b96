"""Unit tests of the pure core: no S3, no Prefect."""

"""Local development services: SeaweedFS, PostgreSQL and a Prefect server on loopback."""

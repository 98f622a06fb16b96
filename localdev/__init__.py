"""Local development services: SeaweedFS, PostgreSQL and a Prefect server on loopback."""

from localdev._ports import PortReservations, reserve_port

__all__ = ["PortReservations", "reserve_port"]

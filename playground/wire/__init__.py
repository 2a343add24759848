"""Kafka's wire protocol in front of the simulated cluster: real clients (kcat, confluent-kafka,
kafka-python) connect to one TCP listener per simulated broker. No Qt here."""

from .server import DEFAULT_MAX_REQUEST_BYTES, WireServer

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "WireServer"]

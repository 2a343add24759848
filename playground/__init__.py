"""Kafka Playground: learn Apache Kafka by touching a faithful simulated cluster."""

__version__ = "0.1.0"

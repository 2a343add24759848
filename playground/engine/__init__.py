"""The cluster engine: pure Python, deterministic, in virtual time. Never imports Qt."""

from .cluster import Cluster
from .errors import Errors, KafkaError
from .events import Event, EventKind
from .protocol import TopicPartition
from .view import ClusterView, PartitionView

__all__ = ["Cluster", "ClusterView", "Errors", "Event", "EventKind", "KafkaError", "PartitionView",
           "TopicPartition"]

"""The APIs this listener serves, with the version range of each (what ApiVersions advertises).

The ranges are Apache Kafka 4.0's (KIP-896 removed the oldest versions), capped where a newer
version needs something the playground does not model: Produce 13 and Fetch 18 (4.1), and the
transaction version 2 requests of KIP-890 (EndTxn 5, TxnOffsetCommit 5), which clients only
send to a cluster whose `transaction.version` feature is finalized at 2. An API missing here is
not advertised, and a request for it closes the connection, as Kafka does for unknown APIs.
"""

from __future__ import annotations

from typing import Callable

from . import api_admin, api_data, api_groups, api_txn
from .exchange import Exchange

API_VERSIONS = 18

# api key -> (lowest version, highest version, adapter)
_APIS: dict[int, tuple[int, int, Callable[[Exchange], None]]] = {
    0: (3, 12, api_data.produce),
    1: (4, 17, api_data.fetch),
    2: (1, 9, api_data.list_offsets),
    3: (0, 12, api_data.metadata),
    8: (2, 9, api_groups.offset_commit),
    9: (1, 9, api_groups.offset_fetch),
    10: (0, 6, api_groups.find_coordinator),
    11: (0, 9, api_groups.join_group),
    12: (0, 4, api_groups.heartbeat),
    13: (0, 5, api_groups.leave_group),
    14: (0, 5, api_groups.sync_group),
    15: (0, 5, api_groups.describe_groups),
    16: (0, 5, api_groups.list_groups),
    18: (0, 4, api_data.api_versions),
    19: (2, 7, api_admin.create_topics),
    20: (1, 6, api_admin.delete_topics),
    22: (0, 5, api_txn.init_producer_id),
    23: (2, 4, api_data.offset_for_leader_epoch),
    24: (0, 3, api_txn.add_partitions_to_txn),
    25: (0, 4, api_txn.add_offsets_to_txn),
    26: (0, 4, api_txn.end_txn),
    28: (0, 4, api_txn.txn_offset_commit),
    32: (1, 4, api_admin.describe_configs),
    37: (0, 3, api_admin.create_partitions),
    44: (0, 1, api_admin.incremental_alter_configs),
    60: (0, 1, api_admin.describe_cluster),
}

SUPPORTED: dict[int, tuple[int, int]] = {key: (lo, hi) for key, (lo, hi, _) in _APIS.items()}
HANDLERS: dict[int, Callable[[Exchange], None]] = {key: fn for key, (_, _, fn) in _APIS.items()}

"""The APIs this listener serves, with the version range of each (what ApiVersions advertises).

The ranges are Apache Kafka 4.0's (KIP-896 removed the oldest versions), capped where a newer
version needs something the playground does not model: Produce 13 and Fetch 18 (4.1), and the
transaction version 2 requests of KIP-890 (EndTxn 5, TxnOffsetCommit 5), which clients only
send to a cluster whose `transaction.version` feature is finalized at 2. An API missing here is
not advertised, and a request for it closes the connection, as Kafka does for unknown APIs.
"""

from __future__ import annotations

from typing import Callable

from . import api_data
from .exchange import Exchange

API_VERSIONS = 18

# api key -> (lowest version, highest version, adapter)
_APIS: dict[int, tuple[int, int, Callable[[Exchange], None]]] = {
    0: (3, 12, api_data.produce),
    1: (4, 17, api_data.fetch),
    2: (1, 9, api_data.list_offsets),
    3: (0, 12, api_data.metadata),
    18: (0, 4, api_data.api_versions),
    23: (2, 4, api_data.offset_for_leader_epoch),
}

SUPPORTED: dict[int, tuple[int, int]] = {key: (lo, hi) for key, (lo, hi, _) in _APIS.items()}
HANDLERS: dict[int, Callable[[Exchange], None]] = {key: fn for key, (_, _, fn) in _APIS.items()}

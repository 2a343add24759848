"""Kafka's exception class names and default messages for the error codes the tools report.

A Java tool that logs or prints an exception shows `<class>: <message>`; the
class comes from Kafka's `Errors` enum (`NOT_ENOUGH_REPLICAS` ->
`org.apache.kafka.common.errors.NotEnoughReplicasException`) and, where the
broker sent no message of its own, the message is the enum's default.
"""

from __future__ import annotations

from playground.engine import Errors

PACKAGE = "org.apache.kafka.common.errors"

# Errors whose exception class is not the error name in CamelCase (Kafka's Errors enum).
CLASS_NAMES = {
    Errors.REQUEST_TIMED_OUT: "TimeoutException",
    Errors.INVALID_TOPIC_EXCEPTION: "InvalidTopicException",
    Errors.NOT_LEADER_OR_FOLLOWER: "NotLeaderOrFollowerException",
    Errors.UNKNOWN_SERVER_ERROR: "UnknownServerException",
    Errors.NETWORK_EXCEPTION: "NetworkException",
    Errors.INVALID_TXN_STATE: "InvalidTxnStateException",
    Errors.GROUP_ID_NOT_FOUND: "GroupIdNotFoundException",
    Errors.NON_EMPTY_GROUP: "GroupNotEmptyException",
}

# Kafka's default messages (Errors.java) for the errors a console tool is likely to meet.
MESSAGES = {
    Errors.REQUEST_TIMED_OUT: "The request timed out.",
    Errors.NOT_ENOUGH_REPLICAS: "Messages are rejected since there are fewer in-sync replicas than required.",
    Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND: "Messages are written to the log, but to fewer in-sync replicas "
                                             "than required.",
    Errors.NOT_LEADER_OR_FOLLOWER: "For requests intended only for the leader, this error indicates that the "
                                   "broker is not the current leader. For requests intended for any replica, this "
                                   "error indicates that the broker is not a replica of the topic partition.",
    Errors.UNKNOWN_TOPIC_OR_PARTITION: "This server does not host this topic-partition.",
    Errors.LEADER_NOT_AVAILABLE: "There is no leader for this topic-partition as we are in the middle of a "
                                 "leadership election.",
    Errors.INVALID_TOPIC_EXCEPTION: "The request attempted to perform an operation on an invalid topic.",
    Errors.COORDINATOR_NOT_AVAILABLE: "The coordinator is not available.",
    Errors.NOT_COORDINATOR: "This is not the correct coordinator.",
    Errors.MESSAGE_TOO_LARGE: "The request included a message larger than the max message size the server will "
                              "accept.",
    Errors.RECORD_LIST_TOO_LARGE: "The request included message batch larger than the configured segment size on "
                                  "the server.",
    Errors.OUT_OF_ORDER_SEQUENCE_NUMBER: "The broker received an out of order sequence number.",
    Errors.INVALID_PRODUCER_EPOCH: "Producer attempted to produce with an old epoch.",
    Errors.PRODUCER_FENCED: "There is a newer producer with the same transactionalId which fences the current "
                            "one.",
    Errors.FENCED_LEADER_EPOCH: "The leader epoch in the request is older than the epoch on the broker.",
    Errors.NON_EMPTY_GROUP: "The group is not empty.",
    Errors.GROUP_ID_NOT_FOUND: "The group id does not exist.",
}


def exception_class(error: Errors) -> str:
    name = CLASS_NAMES.get(error) or "".join(part.capitalize() for part in error.name.split("_")) + "Exception"
    return f"{PACKAGE}.{name}"


def exception_line(error: Errors, message: str | None = None) -> str:
    """`org.apache.kafka.common.errors.NotEnoughReplicasException: Messages are rejected ...`."""
    text = message or MESSAGES.get(error)
    return f"{exception_class(error)}: {text}" if text else exception_class(error)


class GroupCommandError(Exception):
    """kafka-consumer-groups' printError("Executing consumer group command failed due to " + message)."""

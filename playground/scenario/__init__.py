"""Scenario files: load, validate and check expectations (no Qt, no engine).

`load_scenario(path)` / `parse_scenario(text, filename)` give a normalised
`Scenario` or raise `ScenarioError`; `evaluate(report, scenario.expect)`
checks the expectations against a run's report.
"""

from .expect import MISSING, Expectation, ExpectationError, evaluate, parse_expectation, parse_path, resolve_path
from .loader import ScenarioError, load_scenario, parse_duration, parse_scenario, parse_timestamp
from .schema import (
    ACTIONS,
    BrokerRef,
    ClusterSpec,
    Scenario,
    Step,
    TopicPartition,
    TopicSpec,
    headers_for,
    key_for,
    render_template,
    value_for,
)

__all__ = [
    "ACTIONS",
    "MISSING",
    "BrokerRef",
    "ClusterSpec",
    "Expectation",
    "ExpectationError",
    "Scenario",
    "ScenarioError",
    "Step",
    "TopicPartition",
    "TopicSpec",
    "evaluate",
    "headers_for",
    "key_for",
    "load_scenario",
    "parse_duration",
    "parse_expectation",
    "parse_path",
    "parse_scenario",
    "parse_timestamp",
    "render_template",
    "resolve_path",
    "value_for",
]

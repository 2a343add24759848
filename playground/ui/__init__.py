"""Qt views over the engine.

`bridge.SimulationBridge` advances virtual time and forwards engine events and
network messages as Qt signals; the canvas and panels bind to it, read the
cluster through `ClusterView` and change it only through `commands`.
Modules named `qt_*.py` hold the Qt widgets; `canvas_brokers` and
`canvas_control` paint parts of the canvas; `commands`, `flights`, `effects`
and `canvas_model` are plain Python.
"""

from ._pyside_fix import keep_none_alive

keep_none_alive()

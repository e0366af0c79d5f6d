"""The control plane at /_ductwork: health and per-account clocks."""

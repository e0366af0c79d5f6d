"""The Flair API on the wire: one module per API surface."""

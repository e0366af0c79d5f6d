"""ductwork: a self-hosted device cloud that speaks real vendor APIs behind live twins."""

__version__ = "0.1.0"

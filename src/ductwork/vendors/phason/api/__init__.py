"""HTTP faces of the Phason package, one module per API version."""

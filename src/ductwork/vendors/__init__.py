"""Vendor packages: each speaks one vendor's API over its own domain model."""

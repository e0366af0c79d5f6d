"""Vendor-neutral core: storage, accounts, clocks, history and physics."""

"""Vendor-neutral physics: psychrometrics, outdoor weather and the air of a ventilated room."""

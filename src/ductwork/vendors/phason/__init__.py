"""Phason AutoFlex Connect: barn climate controllers behind the Phason APIs."""

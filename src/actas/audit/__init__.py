"""Checks of announced results against actas, outcome bounds, quick counts and audits (pure)."""

"""Simulated elections: definitions from presets, every machine's day, and what can go wrong."""

PRESETS = ("venezuela-2024", "synthetic")
"""The election definitions `actas election generate` makes (see generator.py)."""
CLEAN, STUFFING, INVENTED, TARGET = "clean", "stuffing", "invented", "target-percentages"
FRAUDS = (CLEAN, STUFFING, INVENTED, TARGET)
"""The kinds of per-station results `actas simulate-results` makes (see fraud_results.py): clean, or with
one kind of fraud."""

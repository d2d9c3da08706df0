"""The main job, `actas demo`: a simulated election end to end (run.py), the witnesses and the
reconciliation beside it (parallel.py), and the checks at its end (checks.py)."""

"""The forensic tests under their calibration: the published thresholds and who may flag (published.py),
how they are measured on simulated elections (measure.py), and every test run and gated by them
(run.py)."""

"""What every forensic test and command shares, without the numerical libraries: the tests' names, the
significance level and the smallest count the last-digit tests look at."""

ALPHA = 0.01
"""The significance level of each test, before the calibration raises its threshold."""
MIN_COUNT_LAST = 100
"""Counts below this are left out of the last-digit tests: their last digit is not close to uniform."""
TESTS = ("2bl", "last-digit", "zero-five", "digit-pairs", "integer-percent", "turnout", "fingerprint")

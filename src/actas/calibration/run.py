"""Every per-station test, in the order the reports show them."""

from __future__ import annotations

from collections.abc import Callable

from actas.calibration.published import gate, published
from actas.forensics.columns import Columns
from actas.forensics.defaults import ALPHA, MIN_COUNT_LAST
from actas.forensics.digits import digit_pairs, last_digit, second_digit, zero_five
from actas.forensics.finding import Finding
from actas.forensics.fingerprint import fingerprint
from actas.forensics.integer_percent import integer_percent
from actas.forensics.turnout import turnout_shape


def run_tests(
    c: Columns,
    *,
    min_count: int = MIN_COUNT_LAST,
    alpha: float = ALPHA,
    seed: int = 2012,
    fit: bool = True,
    filters: bool = True,
    raw: bool = False,
    on_test: Callable[[str], None] | None = None,
) -> list[Finding]:
    """Each test in TESTS (the fingerprint's fit left out when `fit` is False); `on_test` is told each
    test's name as it starts. `filters` applies Kobak, Shpilkin and Pshenichnikov's filters to the
    whole-percentage test. A test not calibrated for such data (see `calibrated`) reports no verdict
    unless `raw`, as the calibration itself needs."""
    steps: list[tuple[str, Callable[[], Finding]]] = [
        ("2bl", lambda: second_digit(c, alpha, seed)),
        ("last-digit", lambda: last_digit(c, min_count, alpha, seed)),
        ("zero-five", lambda: zero_five(c, min_count, alpha, seed)),
        ("digit-pairs", lambda: digit_pairs(c, min_count, alpha, seed)),
        ("integer-percent", lambda: integer_percent(c, alpha, filters)),
        ("turnout", lambda: turnout_shape(c, alpha)),
    ]
    calibration = published()
    if fit:
        widen = (0.0, 0.0) if raw else calibration.widen
        steps.append(("fingerprint", lambda: fingerprint(c, seed, widen=widen)))
    findings = []
    for name, step in steps:
        if on_test:
            on_test(name)
        findings.append(step())
    if raw:
        return findings
    return [gate(f, calibration) for f in findings]

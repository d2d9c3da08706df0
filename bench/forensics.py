"""Every per-station forensic test on a million simulated stations, and the fingerprint's fit, each beside a
plain NumPy pass over the same arrays (the floor: the one vectorised operation the test cannot avoid).

    python bench/forensics.py --stations 1000000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from actas.forensics.digits import digit_pairs, last_digit, second_digit, zero_five
from actas.forensics.fingerprint import fingerprint
from actas.forensics.integer_percent import integer_percent
from actas.forensics.turnout import turnout_shape
from actas.sim.fraud_results import simulate_results


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    c = simulate_results(args.stations, args.seed, "stuffing").columns
    print(f"simulated {args.stations:,} stations in {time.perf_counter() - started:.1f} s")
    x = c.votes.ravel()
    rng = np.random.default_rng(0)

    def floor_digits() -> None:
        np.bincount(x[x >= 100] % 10, minlength=10)

    def floor_second() -> None:
        big = x[x >= 10]
        np.bincount((big // 10 ** (np.floor(np.log10(big)).astype(np.int64) - 1)) % 10, minlength=10)

    def floor_integer() -> None:
        rng.binomial(c.registered.astype(np.int64), np.nan_to_num(c.turnout))

    def floor_turnout() -> None:
        np.corrcoef(c.turnout, c.winner_share)

    def floor_fingerprint() -> None:
        np.histogram2d(c.turnout, c.winner_share, bins=100, range=((0, 1), (0, 1)))

    rows = [
        ("2BL (second digits)", lambda: second_digit(c), floor_second),
        ("last digits", lambda: last_digit(c), floor_digits),
        ("0 and 5", lambda: zero_five(c), floor_digits),
        ("pairs of last digits", lambda: digit_pairs(c), floor_digits),
        ("whole percentages", lambda: integer_percent(c), floor_integer),
        ("turnout and share", lambda: turnout_shape(c), floor_turnout),
        ("fingerprint and fit", lambda: fingerprint(c), floor_fingerprint),
    ]
    print(f"{'test':<24}{'actas s':>10}{'floor s':>10}{'ratio':>8}")
    total = 0.0
    for name, test, floor in rows:
        ours, base = timed(test), timed(floor)
        if name != "fingerprint and fit":
            total += ours
        print(f"{name:<24}{ours:>10.2f}{base:>10.3f}{ours / base:>8.0f}")
    print(f"all tests but the fit, one after another: {total:.1f} s (target: each under 10 s)")


if __name__ == "__main__":
    main()

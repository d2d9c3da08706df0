"""Election forensics: statistical tests on per-station results and on announced totals (pure NumPy and
SciPy, no I/O). Each test returns a `Finding`: its statistic, the null it is held against, a p-value or
interval, the stations that drive it and a sentence a journalist can quote. See docs/forensics.md."""

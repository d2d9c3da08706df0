"""The languages actas speaks to people in: gettext catalogs (`locale/<code>/LC_MESSAGES/actas.po`, managed
with Babel and compiled to `.mo` at install), and numbers, shares and times written as each locale writes
them (Babel's CLDR data), times in the election's time zone with the zone named.

English is the language of the source; every other language is the catalog of its code. A page, the
kiosk, the witness app, the printed acta and its receipt all speak through a `Language`.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from actas.election import LANGUAGE_RE, Election
from actas.errors import InputError

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "actas"
SOURCE = "en"
"""The language of the source strings: it needs no catalog."""

CODE_RE = LANGUAGE_RE


@cache
def available() -> tuple[str, ...]:
    """The languages with a catalog, and the source's, in the order a switch lists them (read once: the
    catalogs are installed with actas)."""
    return (SOURCE, *sorted(p.name for p in LOCALES.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()))


def closest(code: str) -> str:
    """The available language that serves `code`: itself, or the language it is a variant of
    (`es_AR` is served by `es_VE`'s catalog, which is the Spanish one here), or English."""
    if code in available():
        return code
    base = code.split("_")[0]
    return next((c for c in available() if c.split("_")[0] == base), SOURCE)


def time_zone(key: str) -> ZoneInfo:
    """The IANA time zone named `key` (`America/Caracas`), or an error that names it."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {key[:64]!r}: expected an IANA name such as America/Caracas") from None


@dataclass(frozen=True)
class Language:
    """One language as actas writes it: translated words, and numbers, shares and times in its forms."""

    code: str
    translations: gettext.NullTranslations
    zone: ZoneInfo

    @property
    def tag(self) -> str:
        """The BCP 47 tag, as HTML's `lang` and JavaScript's Intl take it: `es-VE`."""
        return self.code.replace("_", "-")

    @property
    def name(self) -> str:
        """The language's name in itself, as a switch shows it: "Español (Venezuela)"."""
        shown = Locale.parse(self.code).get_display_name(self.code) or self.code
        return shown[:1].upper() + shown[1:]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def number(self, n: int) -> str:
        """A count as the locale writes it: 68,939 in English, 68.939 in Spanish."""
        return self._separated(f"{n:,}")

    def percent(self, part: int, whole: int) -> str:
        """A share with two decimals as the locale writes it (51.23% or 51,23 %); "–" with no whole."""
        return self.symbols["percent"].replace("{}", self.points(100 * part / whole)) if whole else "–"

    def points(self, value: float) -> str:
        """Percentage points with two decimals (3.25 or 3,25)."""
        return self._separated(f"{value:,.2f}")

    def _separated(self, written: str) -> str:
        """A number Python wrote with "," between groups of three and "." before the decimals, in the
        locale's separators: the one way the server and the pages' scripts (words.js) both write
        numbers, so a figure reads the same before and after a page's script redraws it."""
        group, decimal = self.symbols["group"], self.symbols["decimal"]
        return written.replace(",", "\0").replace(".", decimal).replace("\0", group)

    @cached_property
    def symbols(self) -> Mapping[str, str]:
        """The locale's separators and where its percent sign goes (`{}` stands for the number), from
        Babel's CLDR data, read once."""
        locale = Locale.parse(self.code)
        pattern = str(locale.percent_formats[None].pattern).replace("#,##0", "#,##0.00", 1)
        sample = format_percent(0.5, format=pattern, locale=locale)
        number = format_decimal(50, format="#,##0.00", locale=locale)
        return {
            "decimal": locale.number_symbols["latn"]["decimal"],
            "group": locale.number_symbols["latn"]["group"],
            "percent": sample.replace(number, "{}"),
        }

    def time(self, at: dt.datetime) -> str:
        """A time of day in the election's time zone, with the zone named: 22:05 (hora de Venezuela)."""
        return format_datetime(at, "HH:mm (zzzz)", tzinfo=self.zone, locale=self.code)

    def moment(self, at: dt.datetime) -> str:
        """A date and time in the election's time zone, with the zone named."""
        return format_datetime(at, "d MMM y, HH:mm (zzzz)", tzinfo=self.zone, locale=self.code)

    def moment_of(self, stamp: str) -> str:
        """A UTC time as actas stores it (ISO 8601, `Z` or naive), in the election's time zone; the text
        as it is where it is not such a time."""
        at = _utc(stamp)
        return stamp if at is None else self.moment(at)

    def time_of(self, stamp: str) -> str:
        """The time of day of a stored UTC time, in the election's time zone, the zone named."""
        at = _utc(stamp)
        return stamp if at is None else self.time(at)


def _utc(stamp: str) -> dt.datetime | None:
    try:
        at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


@cache
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of `code` (none for the source language)."""
    if code == SOURCE:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, LOCALES, languages=[code])
    except FileNotFoundError:
        raise InputError(
            f"the {code} catalog is not compiled: run `make` (or `pybabel compile -d {LOCALES} -D {DOMAIN}`)"
        ) from None


@cache
def language(code: str = SOURCE, zone: str = "UTC") -> Language:
    """The language of `code` (the closest available), writing times in the time zone `zone`."""
    if not CODE_RE.fullmatch(code):
        raise InputError(f"unknown language {code[:16]!r}: expected a code such as es_VE or en")
    chosen = closest(code)
    try:
        Locale.parse(chosen)
    except (UnknownLocaleError, ValueError):
        raise InputError(f"unknown language {code!r}") from None
    return Language(chosen, catalog(chosen), time_zone(zone))


def spoken(election: Election, code: str | None = None) -> Language:
    """The language of `code` (the election's own by default), writing times in the election's time zone."""
    return language(code or election.language or SOURCE, election.time_zone or "UTC")


def N_(message: str) -> str:  # noqa: N802 - gettext's name for marking a string translated where it is shown
    """Marks a string for the catalog where it is defined; it is translated where it is shown."""
    return message

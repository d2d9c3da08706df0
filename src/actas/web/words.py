"""The words for what pages show by its code (a mesa's status, an incident's kind, what a witness's acta
was), marked for the catalog here and translated where a page shows them."""

from __future__ import annotations

from collections.abc import Mapping

from actas.i18n import N_, Language

WORDS: Mapping[str, str] = {
    "reported": N_("reported"),
    "missing": N_("missing"),
    "conflict": N_("conflict"),
    "complete": N_("complete"),
    "partial": N_("partial"),
    "identical": N_("identical"),
    "different": N_("different"),
    "only-official": N_("only on the official board"),
    "only-observer": N_("only on the witnesses' board"),
    "paper-differs": N_("paper differs"),
    "ballots-differ": N_("encrypted ballots differ"),
    "verified": N_("verified"),
    "unsigned": N_("unsigned"),
    "none": N_("no acta"),
    "rejected": N_("rejected"),
    "witness-not-admitted": N_("witness not admitted"),
    "witness-forced-to-leave": N_("witness forced to leave"),
    "acta-not-printed": N_("acta not printed"),
    "acta-refused-to-witness": N_("acta refused to the witness"),
    "machine-replaced": N_("machine replaced"),
    "count-not-public": N_("count not public"),
    "other": N_("other"),
    "accepted": N_("accepted"),
    "duplicate": N_("already on the board"),
    "published": N_("published, not yet decrypted"),
    "agrees": N_("agrees with its acta"),
    "differs": N_("differs from its acta"),
    "unchecked": N_("cannot be compared"),
}


def word(lang: Language, code: str) -> str:
    """What `code` is called in `lang` (the code itself where it has no word)."""
    return lang.gettext(WORDS[code]) if code in WORDS else code


def words_of_codes(lang: Language) -> dict[str, str]:
    """Every code's word in `lang`, for a page's script."""
    return {code: lang.gettext(text) for code, text in WORDS.items()}

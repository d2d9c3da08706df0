"""actas: verifiable election results, from the voting machine's signed tally sheet to the published total.

The names in `__all__` are the library's public API, pinned by a test. Every module below this one is
internal and may move from one version to the next; what stays is this API, the command line, the
server's HTTP API (/openapi.json) and the file formats in docs/."""

from actas.acta.check import Finding, check_acta
from actas.acta.codec import parse_payload, sign_acta
from actas.acta.model import Acta, ActaKind, ContestCount, SignedActa
from actas.election import Election
from actas.errors import ActasError, FormatError, InputError, VerificationError
from actas.registry import KeyRegistry
from actas.signed_note import SignedNote, Signer, Verifier

__version__ = "0.1.0"

__all__ = [
    "Acta",
    "ActaKind",
    "ActasError",
    "ContestCount",
    "Election",
    "Finding",
    "FormatError",
    "InputError",
    "KeyRegistry",
    "SignedActa",
    "SignedNote",
    "Signer",
    "VerificationError",
    "Verifier",
    "check_acta",
    "parse_payload",
    "sign_acta",
]

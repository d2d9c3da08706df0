"""actas: verifiable election results, from the voting machine's signed tally sheet to the published total."""

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

"""Options several commands share, so that each means the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.errors import InputError

if TYPE_CHECKING:
    from actas.ledger.cosignature import CosignerPolicy

Contest = Annotated[
    str | None,
    typer.Option(help="The contest to analyse (its id); needed when the election has several, refused otherwise."),
]
CosignersFile = Annotated[
    Path | None,
    typer.Option(
        "--cosigners",
        help="A cosigner policy file: the board's checkpoints must carry a quorum of these cosigners' "
        "cosignatures (default: the policy the board's registry publishes).",
    ),
]
Quorum = Annotated[int | None, typer.Option(help="The cosignatures required, in place of the policy's.", min=1)]
BoardKey = Annotated[str | None, typer.Option(help="Pin the board's checkpoint key (as `actas serve` prints it).")]
RetryFor = Annotated[
    str, typer.Option(help="How long to keep retrying an unreachable or failing server: 90s, 10m, 1h.")
]


def cosigner_policy(path: Path | None, quorum: int | None) -> CosignerPolicy | None:
    """The policy of --cosigners (its quorum replaced by --quorum), or None: the board's registry's."""
    from actas.files import load_policy

    if path is None:
        if quorum is not None:
            raise InputError("--quorum goes with --cosigners")
        return None
    return load_policy(path, quorum)

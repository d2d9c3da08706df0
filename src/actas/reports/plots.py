"""The figures of the reports (matplotlib, drawn off screen to PNG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from actas.forensics.finding import Finding  # noqa: E402  # noqa: E402

BLUE, GREY, RED = "#1f5fa8", "#9a9a9a", "#c0392b"


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _digits(finding: Finding, path: Path, xlabel: str) -> Path:
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    digits = np.arange(10)
    ax.bar(digits - 0.2, finding.plot["observed"], 0.4, color=BLUE, label="observed")
    ax.bar(digits + 0.2, finding.plot["expected"], 0.4, color=GREY, label="expected")
    ax.set_xticks(digits)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of counts")
    ax.legend(frameon=False)
    return _save(fig, path)


def _percentages(finding: Finding, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4))
    bins = np.arange(0, 100.05, 0.1)
    for ax, key, label in zip(axes, ("turnout", "share"), ("turnout (%)", "leader's share (%)"), strict=True):
        ax.hist(finding.plot[key], bins=bins, color=BLUE, histtype="stepfilled", linewidth=0)
        ax.set_xlabel(label)
        ax.set_ylabel("stations per 0.1 point")
        for whole in range(10, 100, 10):
            ax.axvline(whole, color=GREY, linewidth=0.3)
    return _save(fig, path)


def _turnout(finding: Finding, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    t, s, votes = finding.plot["turnout"], finding.plot["share"], finding.plot["votes"]
    axes[0].hist(100 * np.clip(t, 0, 1.2), bins=np.arange(0, 120.5, 0.5), color=BLUE, linewidth=0)
    axes[0].axvline(95, color=RED, linewidth=0.8)
    axes[0].set_xlabel("turnout (%)")
    axes[0].set_ylabel("stations")
    axes[1].hist(
        100 * np.clip(t, 0, 1.2), bins=np.arange(0, 120.5, 0.5), weights=votes * s, color=RED, linewidth=0, alpha=0.8
    )
    axes[1].set_xlabel("turnout (%)")
    axes[1].set_ylabel("the winner's votes")
    return _save(fig, path)


def _fingerprint(finding: Finding, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.4))
    for ax, key, title in zip(axes, ("observed", "model"), ("the stations", "the fitted model"), strict=True):
        grid = finding.plot[key]
        ax.imshow(
            np.log1p(grid * grid.size * 10).T,
            origin="lower",
            extent=(0, 100, 0, 100),
            cmap="magma_r",
            aspect="equal",
        )
        ax.set_xlabel("turnout (%)")
        ax.set_ylabel("winner's share (%)")
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


DRAWN = {
    "2bl": lambda f, p: _digits(f, p, "second digit"),
    "last-digit": lambda f, p: _digits(f, p, "last digit"),
    "integer-percent": _percentages,
    "turnout": _turnout,
    "fingerprint": _fingerprint,
}


def draw(finding: Finding, out_dir: Path) -> Path | None:
    """The finding's figure as DIR/<test>.png, or None for a test without one (or not computed)."""
    if finding.test not in DRAWN or not finding.plot:
        return None
    return DRAWN[finding.test](finding, out_dir / f"{finding.test}.png")


def bars(names: Sequence[str], values: Sequence[float], path: Path, xlabel: str) -> Path:
    """A horizontal bar chart, largest at the top (results by candidate)."""
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(names) + 0.9))
    order = np.argsort(values)
    ax.barh([names[i] for i in order], [values[i] for i in order], color=BLUE)
    ax.set_xlabel(xlabel)
    return _save(fig, path)

"""hubctl qr sticker / batch (placeholder until the stickers work lands)."""

from __future__ import annotations

import argparse


def add_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    """Adds `sticker` and `batch` to the `qr` group."""

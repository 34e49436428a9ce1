"""What every hubctl command group shares: the handler type, hubctl's own refusals, JSON output, argument types."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable

from hubclient import HubClient

Command = Callable[[HubClient, argparse.Namespace], Awaitable[None]]


class CliError(Exception):
    """A refusal hubctl itself decides (e.g. an ambiguous party), reported like the Hub's own errors."""


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def party_ref(value: str) -> tuple[str, str]:
    parts = value.strip().upper().split("/")
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"{value!r} is not of the form COUNTRY_CODE/PARTY_ID, e.g. VN/ABC")
    return parts[0], parts[1]


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number

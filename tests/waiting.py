"""Waiting for an event instead of for a time: poll a condition until it holds, or fail at a deadline.

The deadline only bounds a test that would otherwise hang; it is generous (a loaded CI machine is slow), and a test
never passes because time went by.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

# Long enough for the slowest event a test waits for on a machine shared by many test runs.
WITHIN = 15.0


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], message: str, *, within: float = WITHIN, every: float = 0.02
) -> None:
    """Returns as soon as `condition()` (a function or a coroutine function) is true; AssertionError(`message`) when
    it is still false after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{message} (waited {within:g} s)")
        await asyncio.sleep(every)

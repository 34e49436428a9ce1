"""Placeholder until the stickers service lands (being written now)."""

from __future__ import annotations

import asyncpg

from ocpihub.qr.v1 import qr_service_pb2 as rpc


class StickersService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def render(self, request: rpc.RenderQrStickersRequest) -> rpc.RenderQrStickersResponse:
        raise NotImplementedError

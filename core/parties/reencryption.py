"""`hubctl keys reencrypt`: every stored party token under the newest HUB_TOKEN_KEYS key.

Keys rotate by putting a new key first in HUB_TOKEN_KEYS (it encrypts; every listed key decrypts). Re-encrypting
what is stored lets the old keys leave the setting. One transaction, rows locked: a token written meanwhile waits
and is then encrypted under the newest key anyway.
"""

from __future__ import annotations

import asyncpg

from core.parties.repository import PartyRepository
from core.parties.secrets import TokenVault
from core.qr.repository import QrRepository


async def reencrypt_tokens(pool: asyncpg.Pool, vault: TokenVault) -> tuple[int, int]:
    """(platforms' TOKEN_Bs, QR API keys) re-encrypted."""
    async with pool.acquire() as conn, conn.transaction():
        parties, qr = PartyRepository(conn), QrRepository(conn)
        tokens = [(pid, vault.reencrypt(ct)) for pid, ct in await parties.token_b_ciphertexts()]
        await parties.replace_token_b_ciphertexts(tokens)
        keys = [(cc, pid, vault.reencrypt(ct)) for cc, pid, ct in await qr.api_key_ciphertexts()]
        await qr.replace_api_key_ciphertexts(keys)
    return len(tokens), len(keys)

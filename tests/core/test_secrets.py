"""Hub-issued tokens and the vault for parties' tokens (core/parties/secrets.py): pure functions, no I/O."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from cryptography.fernet import Fernet

from core.parties.secrets import TokenVault, mint_token, token_hash


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_a_minted_token_is_canonical_uuid4_text() -> None:
    token = mint_token()
    parsed = uuid.UUID(token)
    assert parsed.version == 4
    assert str(parsed) == token  # lower-case, hyphenated: what every OCPI peer accepts as-is


def test_minted_tokens_do_not_repeat() -> None:
    tokens = {mint_token() for _ in range(1000)}
    assert len(tokens) == 1000


def test_the_token_hash_is_the_sha256_digest_of_the_utf8_text() -> None:
    token = "0b7e4c8e-5d1f-4b8a-9c3e-2f6a1d7b9e01"
    assert token_hash(token) == hashlib.sha256(token.encode()).digest()
    assert len(token_hash(token)) == 32
    assert token_hash("jeton-é") == hashlib.sha256("jeton-é".encode()).digest()


def test_the_token_hash_is_deterministic_and_tells_tokens_apart() -> None:
    token = mint_token()
    assert token_hash(token) == token_hash(token)
    assert token_hash(token) != token_hash(token.upper())
    assert token_hash(token) != token_hash(mint_token())


def test_the_vault_round_trips_a_token_and_does_not_hold_it_in_clear() -> None:
    vault = TokenVault([new_key()])
    token = "party-token-B-" + mint_token()
    ciphertext = vault.encrypt(token)
    assert token.encode() not in ciphertext
    assert vault.decrypt(ciphertext) == token


def test_the_vault_keeps_non_ascii_tokens_intact() -> None:
    vault = TokenVault([new_key()])
    assert vault.decrypt(vault.encrypt("tök€n ✓")) == "tök€n ✓"


def test_encrypting_the_same_token_twice_gives_different_ciphertexts() -> None:
    vault = TokenVault([new_key()])
    assert vault.encrypt("same") != vault.encrypt("same")


def test_the_vault_ciphertext_is_plain_fernet_under_the_first_key() -> None:
    first, second = new_key(), new_key()
    ciphertext = TokenVault([first, second]).encrypt("token-b")
    assert Fernet(first.encode()).decrypt(ciphertext) == b"token-b"


def test_after_key_rotation_tokens_encrypted_with_the_old_key_still_decrypt() -> None:
    old, new = new_key(), new_key()
    stored = TokenVault([old]).encrypt("token-b-from-last-year")
    rotated = TokenVault([new, old])
    assert rotated.decrypt(stored) == "token-b-from-last-year"
    # New writes use the new key only: once the old key is dropped they still decrypt.
    fresh = rotated.encrypt("token-b-today")
    assert TokenVault([new]).decrypt(fresh) == "token-b-today"


def test_a_token_no_configured_key_can_decrypt_is_a_runtime_error() -> None:
    stored = TokenVault([new_key()]).encrypt("token-b")
    with pytest.raises(RuntimeError, match="HUB_TOKEN_KEYS"):
        TokenVault([new_key()]).decrypt(stored)


def test_tampered_ciphertext_is_a_runtime_error() -> None:
    vault = TokenVault([new_key()])
    ciphertext = bytearray(vault.encrypt("token-b"))
    ciphertext[-5] ^= 0x01
    with pytest.raises(RuntimeError, match="cannot be decrypted"):
        vault.decrypt(bytes(ciphertext))


def test_a_vault_needs_at_least_one_key() -> None:
    with pytest.raises(ValueError, match="at least one"):
        TokenVault([])

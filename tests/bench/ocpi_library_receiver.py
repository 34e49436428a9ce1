"""What a team would otherwise pick: an eMSP Locations receiver built with a public OCPI library from PyPI
(extrawest-ocpi, FastAPI + pydantic), storing in memory.

It runs in its own virtualenv (tests/bench/ocpi-library-requirements.txt; `make bench` makes it): the library pins
httpx 0.24 and pydantic 1, which the Hub's environment cannot hold. Served like the facade: uvicorn, uvloop, httptools,
one worker:

    .venv-bench-ocpi/bin/python -m uvicorn --app-dir tests/bench ocpi_library_receiver:app --port 8099 ...
"""

from __future__ import annotations

from typing import Any

from py_ocpi import get_application
from py_ocpi.core.authentication.authenticator import Authenticator
from py_ocpi.core.crud import Crud
from py_ocpi.core.enums import ModuleID, RoleEnum
from py_ocpi.modules.versions.enums import VersionNumber

TOKEN = "bench-library-token"
Key = tuple[Any, Any, Any]
STORE: dict[Key, dict[str, Any]] = {}


class TokenAuthenticator(Authenticator):
    @classmethod
    async def get_valid_token_c(cls) -> list[str]:
        return [TOKEN]

    @classmethod
    async def get_valid_token_a(cls) -> list[str]:
        return []


class MemoryCrud(Crud):
    @classmethod
    async def get(cls, module: ModuleID, role: RoleEnum, id: Any, *args: Any, **kwargs: Any) -> Any:
        return STORE.get((kwargs.get("country_code"), kwargs.get("party_id"), id))

    @classmethod
    async def list(cls, module: ModuleID, role: RoleEnum, filters: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return list(STORE.values()), len(STORE), True

    @classmethod
    async def create(cls, module: ModuleID, role: RoleEnum, data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        STORE[(kwargs.get("country_code"), kwargs.get("party_id"), data["id"])] = data
        return data

    @classmethod
    async def update(
        cls, module: ModuleID, role: RoleEnum, data: dict[str, Any], id: Any, *args: Any, **kwargs: Any
    ) -> Any:
        STORE[(kwargs.get("country_code"), kwargs.get("party_id"), id)] = data
        return data

    @classmethod
    async def delete(cls, module: ModuleID, role: RoleEnum, id: Any, *args: Any, **kwargs: Any) -> None:
        STORE.pop((kwargs.get("country_code"), kwargs.get("party_id"), id), None)

    @classmethod
    async def do(cls, *args: Any, **kwargs: Any) -> None:
        return None


app = get_application(
    version_numbers=[VersionNumber.v_2_2_1],
    roles=[RoleEnum.emsp],
    crud=MemoryCrud,
    modules=[ModuleID.locations],
    authenticator=TokenAuthenticator,
)

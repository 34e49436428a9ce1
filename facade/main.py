"""The ASGI app built from the environment, for uvicorn workers (`facade.main:app`)."""

from facade.app import create_app
from facade.settings import Settings

app = create_app(Settings.from_env())

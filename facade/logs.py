"""The facade's log lines: one JSON object per line (HUB_LOG_FORMAT=json) or plain text, with the request's ids.

The request-ids middleware puts X-Request-ID / X-Correlation-ID in `request_ids` for the length of a request.
No token reaches a line: the facade never logs headers or bodies it received or sent.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# (request_id, correlation_id) of the OCPI request being served.
request_ids: ContextVar[tuple[str, str] | None] = ContextVar("facade_request_ids", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, request ids and the exception, if any, as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if ids := request_ids.get():
            line["request_id"], line["correlation_id"] = ids
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str) -> dict[str, Any]:
    """A dictConfig for uvicorn's `log_config`: uvicorn applies it in every worker process, its own loggers included."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hub": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "hub"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's loggers go through the root handler (one format for every line).
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
            # httpx logs every outbound request at INFO: at hundreds of deliveries a second that is most of the log.
            "httpx": {"level": "WARNING"},
        },
    }

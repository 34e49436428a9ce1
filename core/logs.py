"""The core's log lines: one JSON object per line (HUB_LOG_FORMAT=json) or plain text, with the request's ids.

The facade sends its X-Request-ID / X-Correlation-ID as gRPC metadata; the call interceptor puts them in
`request_ids` for the length of the call, so a core log line can be matched with the facade's.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# (request_id, correlation_id) of the RPC being served, when its caller sent them.
request_ids: ContextVar[tuple[str, str] | None] = ContextVar("core_request_ids", default=None)

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


def configure(log_format: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)

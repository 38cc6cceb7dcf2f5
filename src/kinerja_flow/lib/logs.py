"""Logging set-up: plain text by default, JSON lines with ``KINERJA_LOG_FORMAT=json``.

Every record carries the id of the request it was written for (``request_id``, empty outside
a request), so an error body's ``request_id`` finds its log lines.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from litestar.logging.config import LoggingConfig

from kinerja_flow.lib.requestid import current_request_id

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = current_request_id.get() or ""
    return record


def install_request_ids() -> None:
    """Stamp each log record with the current request id when it is made.

    Done when the record is created, not by a handler filter: Litestar hands records to a
    queue listener thread, where the request's context is gone.
    """
    logging.setLogRecordFactory(_record_with_request_id)


def _formatter(log_format: LogFormat) -> dict[str, Any]:
    if log_format == "json":
        return {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    return {"format": TEXT_FORMAT}


def logging_dict(log_format: LogFormat) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and everything else in the process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"standard": _formatter(log_format)},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "standard",
            }
        },
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
        },
    }


def litestar_logging(log_format: LogFormat) -> LoggingConfig:
    """Litestar's own loggers, through the same handler and format."""
    config = logging_dict(log_format)
    return LoggingConfig(
        formatters=config["formatters"],
        handlers=config["handlers"],
        root=config["root"],
        loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
        log_exceptions="always",
        disable_stack_trace={400, 401, 403, 404, 405, 409, 413, 415, 422, 429},
    )

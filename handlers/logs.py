"""One line per event; tokens and people's free text never reach the log."""

from __future__ import annotations

import logging
import re
import sys

_TOKEN = re.compile(r"\b(xox[abposre]|xapp)-[A-Za-z0-9-]+")
_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Libraries that would log request bodies (people's words) at DEBUG stay at INFO at most.
_CHATTY = ("slack_sdk", "slack_bolt", "urllib3", "apscheduler")


class RedactTokens(logging.Filter):
    """Replace anything shaped like a Slack token, whatever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub(r"\1-********", message)
            record.args = None
        return True


def redact(text: str) -> str:
    """The text with Slack tokens masked."""
    return _TOKEN.sub(r"\1-********", text)


def configure(level: str) -> None:
    """Configure root logging once, for the CLI and the servers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))

"""Keep response data out of the logs.

An unexpected error while storing a form can carry the answers in its message (a database
error quotes the parameters of the failed statement), so the service logs the error's type
and where it happened, never its message or traceback text.
"""

from __future__ import annotations

import logging

__all__ = ["RedactFilter"]


class RedactFilter(logging.Filter):
    """Drop exception messages and tracebacks; keep the exception's type and location."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            where = ""
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
            record.msg = (f"{record.getMessage()} [{exc_type.__name__}{where}; details "
                          "withheld: they may contain response data]")
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        if hasattr(record, "request"):
            record.request = None
        return True

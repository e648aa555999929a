"""Keep response data out of the logs.

An unexpected error while storing a form can carry the answers in its message (a database
error quotes the parameters of the failed statement), so the service logs the error's type
and where it happened, never its message or traceback text. A logged address names no one
either: the person's id in ``/people/<id>/``, a link's token in ``/r/<token>``, a printed
form's code, a query string and any e-mail address are replaced by ``…`` (Django logs the
path of every refused request at WARNING, and at DEBUG much more).
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactFilter", "redact"]

#: the parts of a logged message that could name a person or open their form
_PRIVATE = (
    (re.compile(r"(/(?:people|r|paper/code|paper/printed)/)[^/\s?#'\"]+"), r"\1…"),
    (re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*"), r"\1?…"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "…@…"),
)


def redact(text: str) -> str:
    """``text`` with person ids, link tokens, printed-form codes, query strings and e-mail
    addresses replaced by ``…``.

    Examples
    --------
    >>> redact("Not Found: /people/P-ABCDEFGH/print/phq-9/?x=1")
    'Not Found: /people/…/print/phq-9/?…'
    >>> redact("Forbidden: /r/abc123 for sam@example.org")
    'Forbidden: /r/… for …@…'
    """
    for pattern, replacement in _PRIVATE:
        text = pattern.sub(replacement, text)
    return text


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
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True

"""Database URIs: passwords redacted for messages, handed out of band, libpq's form."""

from __future__ import annotations

import re
from urllib.parse import unquote

_PASSWORD_IN_QUERY = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def _userinfo(uri: str) -> tuple[int, int, int] | None:
    """``(start of user, start of password, end of userinfo)`` offsets in ``uri``, or
    None. Parsed, not matched: the userinfo is everything between ``://`` and the
    *last* ``@`` before the query, so a password holding an unencoded ``/`` or ``@``
    (``crm:pa/ss@word@db``) is still found whole — a pattern that stops at the first
    ``/`` or ``@`` printed the rest of such a password in error messages.
    """
    scheme_end = uri.find("://")
    if scheme_end <= 0 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", uri[:scheme_end]):
        return None
    start = scheme_end + 3
    stop = min([i for i in (uri.find("?", start), uri.find("#", start)) if i >= 0] or [len(uri)])
    at = uri.rfind("@", start, stop)
    if at < 0:
        return None
    colon = uri.find(":", start, at)
    return (start, colon + 1, at) if colon >= 0 else None


def redact_uri(uri: str) -> str:
    """The URI with any password replaced by ``***`` (for messages and manifests).

    >>> redact_uri("postgresql://crm:s3cret@db:5432/crm?sslmode=require&password=x")
    'postgresql://crm:***@db:5432/crm?sslmode=require&password=***'
    >>> redact_uri("postgresql://crm:pa/ss@wo@rd@db/crm")
    'postgresql://crm:***@db/crm'
    """
    info = _userinfo(uri)
    if info:
        _, pw_start, at = info
        uri = uri[:pw_start] + "***" + uri[at:]
    return _PASSWORD_IN_QUERY.sub(r"\1***", uri)


def split_password(uri: str) -> tuple[str, str | None]:
    """``(uri without its password, the password or None)``, for handing the password
    to libpq out of band (``PGPASSWORD``) so that it is never written anywhere.

    >>> split_password("postgresql://crm:s%40cret@db:5432/crm?sslmode=require")
    ('postgresql://crm@db:5432/crm?sslmode=require', 's@cret')
    >>> split_password("postgresql://crm:pa/ss@wo@rd@db/crm")
    ('postgresql://crm@db/crm', 'pa/ss@wo@rd')
    >>> split_password("postgresql://db/crm?password=x&sslmode=require")
    ('postgresql://db/crm?sslmode=require', 'x')
    >>> split_password("data/samples")
    ('data/samples', None)
    """
    password: str | None = None
    info = _userinfo(uri)
    if info:
        _, pw_start, at = info
        password = unquote(uri[pw_start:at])
        uri = uri[:pw_start - 1] + uri[at:]
    q = re.search(r"([?&])password=([^&#]*)(&?)", uri, re.IGNORECASE)
    if q:
        password = unquote(q.group(2))
        keep = q.group(1) if q.group(3) else ""
        uri = uri[: q.start()] + keep + uri[q.end():]
    return uri, password


def _libpq_uri(uri: str) -> str:
    """``postgresql+adbc://…`` / ``postgres://…`` → what libpq accepts; a connect
    timeout unless one is given (libpq would otherwise wait forever on a dead host).
    """
    rest = uri.split("://", 1)[1]
    out = "postgresql://" + rest
    if "connect_timeout=" not in out:
        out += ("&" if "?" in out else "?") + "connect_timeout=10"
    return out

"""Database URIs: passwords redacted for messages, handed out of band, libpq's form."""

from __future__ import annotations

import re
from urllib.parse import unquote

_PASSWORD_IN_AUTHORITY = re.compile(r"^([a-z0-9+.-]+://[^/@:?#]*:)([^@/]*)@", re.IGNORECASE)
_PASSWORD_IN_QUERY = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def redact_uri(uri: str) -> str:
    """The URI with any password replaced by ``***`` (for messages and manifests).

    >>> redact_uri("postgresql://crm:s3cret@db:5432/crm?sslmode=require&password=x")
    'postgresql://crm:***@db:5432/crm?sslmode=require&password=***'
    """
    return _PASSWORD_IN_QUERY.sub(r"\1***", _PASSWORD_IN_AUTHORITY.sub(r"\1***@", uri))


def split_password(uri: str) -> tuple[str, str | None]:
    """``(uri without its password, the password or None)``, for handing the password
    to libpq out of band (``PGPASSWORD``) so that it is never written anywhere.

    >>> split_password("postgresql://crm:s%40cret@db:5432/crm?sslmode=require")
    ('postgresql://crm@db:5432/crm?sslmode=require', 's@cret')
    >>> split_password("postgresql://db/crm?password=x&sslmode=require")
    ('postgresql://db/crm?sslmode=require', 'x')
    >>> split_password("data/samples")
    ('data/samples', None)
    """
    password: str | None = None
    m = _PASSWORD_IN_AUTHORITY.match(uri)
    if m:
        password = unquote(m.group(2))
        uri = m.group(1)[:-1] + "@" + uri[m.end():]
    q = re.search(r"([?&])password=([^&]*)(&?)", uri, re.IGNORECASE)
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

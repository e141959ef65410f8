"""Secrets out of URLs: the one function every report, summary, comment and message uses before showing a URL.

A URL may carry a password as userinfo (``http://user:pass@host``) or as a query parameter (``?password=``,
``?token=``); ``redact_url`` replaces those with ``***`` and leaves the rest readable. ``redact_text`` does the same
for every URL inside free text (an exception's message), and ``url_secrets`` lists the secrets so that the CLIs can
register them with the Actions runner (``ghactions.mask_url``) as soon as a URL is read. Pure: no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "***"

#: query parameters that hold secrets (libpq's password/sslpassword, redis-py's password, tokens and signatures)
SECRET_PARAMETERS = frozenset({
    "password", "pass", "passwd", "pwd", "sslpassword", "secret", "token", "access_token", "auth", "auth_token",
    "api_key", "apikey", "key", "sig", "signature", "credential", "credentials", "client_secret",
})

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`)\]]+")
# user:password@ with whatever a broken URL leaves around it (used when the URL does not parse)
_USERINFO = re.compile(r"(?<=://)([^/@\s:]*):([^/@\s]*)@")
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:" + "|".join(sorted(SECRET_PARAMETERS)) + r")=)([^&#\s]*)")


def _secret_parameter(name: str) -> bool:
    return name.lower() in SECRET_PARAMETERS


def redact_url(url: str | None) -> str | None:
    """``url`` with its password and secret query values replaced by ``***``; None stays None."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user = parts.username or ""
            host = netloc.rsplit("@", 1)[1]
            netloc = f"{quote(unquote(user), safe='')}:{REDACTED}@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_secret_parameter(k) for k, _ in pairs):
                query = urlencode([(k, REDACTED if _secret_parameter(k) else v) for k, v in pairs], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        # Not a URL Python can split (an unclosed IPv6 bracket, a bad port): still never show the secrets.
        return _QUERY_SECRET.sub(rf"\g<1>{REDACTED}", _USERINFO.sub(rf"\g<1>:{REDACTED}@", url))


def redact_text(text: str | None) -> str | None:
    """``text`` with every URL in it redacted (messages from httpx, redis, psycopg, alembic...)."""
    if not text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)) or "", text)


def url_secrets(url: str | None) -> list[str]:
    """The secrets in ``url``, as written and percent-decoded (what ``::add-mask::`` should hide)."""
    if not url:
        return []
    found: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found.append(parts.password)
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _secret_parameter(k) and v]
        raw_query = parts.query
    except ValueError:
        match = _USERINFO.search(url)
        found += [match.group(2)] if match and match.group(2) else []
        raw_query = url
    found += [m.group(2) for m in _QUERY_SECRET.finditer("?" + raw_query) if m.group(2)]
    return sorted({form for secret in found for form in (secret, unquote(secret), quote(secret, safe="")) if form})

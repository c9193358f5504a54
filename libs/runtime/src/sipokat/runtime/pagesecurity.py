"""The headers of a page the platform serves itself (the web apps, the API docs): everything from
'self' and nothing else, so a page works without internet and no injected script or CDN runs.

Each page widens only what it needs (`sources`): the RT app shows photos from `blob:` URLs, the
API docs' ReDoc runs its search in a worker made from a blob."""

from __future__ import annotations

from collections.abc import Mapping

# Every directive 'self' (or nothing) unless a page says otherwise. Inline style attributes
# are allowed: Swagger UI and common build output set them, and styles run no code.
BASE: Mapping[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def page_headers(**sources: str) -> dict[str, str]:
    """The security headers of a same-origin page; `img_src="'self' data:"` and the like (a
    directive's name with `_` for `-`) replace that directive."""
    directives = {**BASE, **{name.replace("_", "-"): value for name, value in sources.items()}}
    return {
        "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in directives.items()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }

"""Security headers on every response, and the CSP nonce of Folium's inline scripts.

Every response (pages, API, static files, errors) carries:

* ``Content-Security-Policy``: scripts only from this site, plus inline
  scripts that carry this response's nonce (Folium renders its map as
  inline script; :func:`with_nonce` stamps the nonce on them); no plugins,
  no ``<base>``, no framing; images from this site and ``data:`` plus the
  tile hosts of the basemap the page draws; styles from this site and inline
  (Leaflet and Folium set ``style`` attributes and ``<style>`` blocks).
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: same-origin``; ``Strict-Transport-Security`` over https.

Our own templates hold no inline script and no ``on...=`` attribute: page
scripts live in ``static/js/``.

Behind a reverse proxy set ``PROXY_FIX_X_FOR`` to the number of proxies in
front of the app, so ``request.remote_addr`` (which the sign-in throttle keys
on) is the client's address and not the proxy's.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

if TYPE_CHECKING:
    from webmap.maps import FoliumHtml

_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def csp_nonce() -> str:
    """The current response's CSP nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


class NoncedHtml:
    """Folium's rendered HTML with this response's nonce on every ``<script>``.

    Jinja shows it as HTML through markupsafe's ``__html__`` protocol; only
    :func:`with_nonce` makes one, and only from a :class:`webmap.maps.FoliumHtml`.
    """

    __slots__ = ("_html",)

    def __init__(self, rendered: FoliumHtml, nonce: str) -> None:
        self._html = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', str(rendered))

    def __html__(self) -> str:
        return self._html

    def __str__(self) -> str:
        return self._html


def with_nonce(rendered: FoliumHtml) -> NoncedHtml:
    """Rendered map HTML (Folium's header or body) with the nonce on every ``<script>``.

    Only for HTML that Folium rendered from escaped data (see
    :func:`webmap.maps.map_text` and :func:`webmap.maps.render_map_parts`), never for
    text from users: anything but a ``FoliumHtml`` is refused (``TypeError``), so no
    string can reach the page as HTML, let alone with a nonce, through this filter.
    """
    from webmap.maps import FoliumHtml

    if not isinstance(rendered, FoliumHtml):
        raise TypeError(
            "with_nonce shows only HTML rendered by render_map_parts,"
            f" not {type(rendered).__name__}"
        )
    return NoncedHtml(rendered, csp_nonce())


def tile_hosts(basemap: str) -> list[str]:
    """CSP host sources of a tile basemap's URLs (``{s}`` subdomains as ``*.``)."""
    from webmap.maps import TILE_BASEMAPS

    tiles = TILE_BASEMAPS.get(basemap)
    if tiles is None:
        return []
    hosts = []
    for url in tiles.tiles:
        parts = urlsplit(url)
        first, _, rest = parts.netloc.partition(".")
        host = f"*.{rest}" if "{" in first else parts.netloc
        hosts.append(f"{parts.scheme}://{host}")
    return sorted(set(hosts))


def _image_hosts() -> list[str]:
    """Tile hosts of the configured basemap and of the one this public map request draws."""
    basemaps = {str(current_app.config.get("BASEMAP") or "offline")}
    if request.endpoint == "public.index":
        basemaps.add(request.args.get("basemap") or "offline")
    return sorted({h for b in basemaps for h in tile_hosts(b)})


def content_security_policy(nonce: str | None, image_hosts: list[str]) -> str:
    """The CSP header value: scripts from 'self' (and the nonce), nothing inline otherwise."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    images = " ".join(["'self'", "data:", *image_hosts])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(response: Response) -> Response:
    """after_request: the headers above on every response."""
    nonce = g.get("csp_nonce")
    response.headers["Content-Security-Policy"] = content_security_policy(nonce, _image_hosts())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def init_app(app: Flask) -> None:
    """Headers after every request, the nonce helpers for templates, and the proxy fix."""
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

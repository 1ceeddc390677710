"""Server-rendered web pages over the API app (Jinja2, Chinese and English, no JavaScript).

`install` adds them to an app built by `jifen.api.create_app`: a public notice board, the
resident page, the reviewer queue and the admin dashboard (see ``docs/guides/web-pages.md``).
"""

from __future__ import annotations

from jifen.web.pages import install, router

__all__ = ["install", "router"]

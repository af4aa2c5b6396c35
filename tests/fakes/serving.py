"""Run a socketserver on a daemon thread for the length of a `with` block."""

from __future__ import annotations

import socketserver
import threading
from typing import Any, Self


class Served:
    """Base for test servers: subclasses set `self._server`; `with` serves it on a daemon thread."""

    _server: socketserver.BaseServer

    def _serve(self, server: Any) -> None:
        self._server = server
        # A short poll interval: shutdown() waits for it, and tests start and stop many servers.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

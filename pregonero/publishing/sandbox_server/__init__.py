"""Sandbox networks: one local server that speaks the subset of each network's API
the adapters use (for tests, demos and the training mode of ``make run``)."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server

from .core import Fault, SandboxApp, SandboxState

__all__ = [
    "NETWORK_MODULES",
    "Fault",
    "SandboxApp",
    "SandboxServer",
    "SandboxState",
    "create_app",
    "serve",
]

# Each module defines ``register(app: SandboxApp) -> None``.
NETWORK_MODULES = [
    "pregonero.publishing.sandbox_server.meta",
    "pregonero.publishing.sandbox_server.x",
    "pregonero.publishing.sandbox_server.linkedin",
    "pregonero.publishing.sandbox_server.google",
    "pregonero.publishing.sandbox_server.tiktok",
    "pregonero.publishing.sandbox_server.mastodon",
    "pregonero.publishing.sandbox_server.bluesky",
]


def create_app(state: SandboxState | None = None, *, base_url: str = "") -> SandboxApp:
    app = SandboxApp(state, base_url=base_url)
    for name in NETWORK_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a network not implemented yet
        module.register(app)
    from .inbound import configure_from_env

    configure_from_env(app.state)
    return app


@dataclass
class SandboxServer:
    url: str
    app: SandboxApp
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def state(self) -> SandboxState:
        return self.app.state

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def serve(
    host: str = "127.0.0.1", port: int = 0, state: SandboxState | None = None
) -> SandboxServer:
    """Start the sandbox in a background thread; ``port=0`` picks a free port."""
    app = create_app(state)
    server = make_server(host, port, app, threaded=True)
    url = f"http://{host}:{server.server_port}"
    app.base_url = url
    thread = threading.Thread(
        target=server.serve_forever, name="sandbox-networks", daemon=True
    )
    thread.start()
    return SandboxServer(url=url, app=app, server=server, thread=thread)

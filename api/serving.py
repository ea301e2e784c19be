"""Running the app under uvicorn, one process or several sharing a listening socket."""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


class _Config(uvicorn.Config):
    """uvicorn's config, with a listening socket that asyncio recognises as TCP.

    With ``--workers`` uvicorn binds the socket in the parent as ``socket(family)``, whose
    ``proto`` is 0. asyncio sets ``TCP_NODELAY`` on accepted connections only when the
    listening socket's ``proto`` is ``IPPROTO_TCP``, so every keep-alive response after
    the first waited ~40 ms for a delayed ACK (Nagle). The same descriptor, re-wrapped
    with the right ``proto``, fixes it; nothing else changes."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            tcp.set_inheritable(True)
            return tcp
        return sock


def run_server(*, host: str, port: int, workers: int) -> bool:
    """Serves ``api.app:create_app`` until interrupted; False if it never started."""
    config = _Config(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app writes its own line per request
        log_level="warning",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return True
        server.run()
    except KeyboardInterrupt:
        pass
    return server.started

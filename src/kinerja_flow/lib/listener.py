"""The listening socket that several ``serve`` processes share."""

from __future__ import annotations

import socket

import uvicorn


def shared_listener(config: uvicorn.Config) -> socket.socket:
    """``config``'s socket, bound once for every worker process, marked as TCP.

    uvicorn binds it with protocol 0. Accepted connections inherit that, and asyncio turns on
    ``TCP_NODELAY`` only for sockets that say ``IPPROTO_TCP``: without it each keep-alive
    answer waited about 40 ms for the client's delayed ACK, and two workers served half as many
    requests as one (uvicorn issue #3149).
    """
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)
    return listener

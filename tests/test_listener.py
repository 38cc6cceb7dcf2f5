"""The socket several ``serve --workers`` processes share answers keep-alive requests at once."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from kinerja_flow.lib.listener import shared_listener


class _Accepted(asyncio.Protocol):
    def __init__(self, nodelay: asyncio.Future[int]) -> None:
        self.nodelay = nodelay

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        accepted: socket.socket = transport.get_extra_info("socket")
        self.nodelay.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        transport.close()


async def test_connections_accepted_on_the_shared_socket_send_without_waiting_for_acks() -> None:
    """Without TCP_NODELAY each answer on a kept-alive connection waits ~40 ms for an ACK."""
    listener = shared_listener(uvicorn.Config(app="unused:app", host="127.0.0.1", port=0))
    loop = asyncio.get_running_loop()
    nodelay: asyncio.Future[int] = loop.create_future()
    server = await loop.create_server(lambda: _Accepted(nodelay), sock=listener)
    try:
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        assert await asyncio.wait_for(nodelay, 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()

#!/usr/bin/env python3
"""TCP proxy for the kosoku fallback of scripts/autobahn.sh.

    path_proxy.py UPSTREAM_HOST:PORT PATH

kosoku 0.1.0 takes only host:port and always sends `GET / HTTP/1.1`, while the hub's echo
route is `/__echo`. This proxy listens on 127.0.0.1 (a free port, printed on stdout as the
first line), rewrites the path of each connection's request line to PATH, and then copies
bytes both ways unchanged, mirroring half-closes, so close handshakes and TCP drops reach
the test suite as the hub made them.
"""

import asyncio
import socket
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError, RuntimeError):
            pass


# asyncio keeps only weak references to running tasks, and a stream server drops its own
# reference to a connection's task when the client side closes: hold them until done.
TASKS = set()


async def handle(client_reader, client_writer, upstream, path):
    task = asyncio.current_task()
    TASKS.add(task)
    task.add_done_callback(TASKS.discard)
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()
        return
    try:
        line = await client_reader.readuntil(b"\r\n")
        method, target, version = line.split(b" ", 2)
        if target.startswith(b"/"):
            target = path + target[1:]
        upstream_writer.write(b" ".join((method, target, version)))
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError, OSError):
        pass
    finally:
        for writer in (client_writer, upstream_writer):
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass


async def main():
    host, port = sys.argv[1].rsplit(":", 1)
    upstream, path = (host, int(port)), sys.argv[2].encode()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, upstream, path), "127.0.0.1", 0, family=socket.AF_INET
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass

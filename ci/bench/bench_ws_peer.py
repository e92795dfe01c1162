#!/usr/bin/env python3
"""The peer client of ci/bench_ws.sh: the same three measurements as bench_ws.c, with Python's
`websockets` asyncio client (the server's own library), for comparison.

    bench_ws_peer.py <port> rtt|down|up <N>
"""
import asyncio
import resource
import sys
import time

from websockets.asyncio.client import connect


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def main(port, mode, n):
    base = f"ws://127.0.0.1:{port}"
    if mode == "rtt":
        async with connect(base + "/echo", compression=None, max_size=None) as ws:
            msg = b"x" * 32
            t0, c0 = time.monotonic(), cpu()
            for _ in range(n):
                await ws.send(msg)
                assert len(await ws.recv()) == 32
            t = time.monotonic() - t0
            print(f"rtt {n / t:.0f} msg/s cpu {cpu() - c0:.3f}")
    elif mode == "down":
        async with connect(f"{base}/stream?size={n << 20}&chunk=1048576", compression=None, max_size=None) as ws:
            t0, c0, total = time.monotonic(), cpu(), 0
            async for message in ws:
                total += len(message)
            t = time.monotonic() - t0
            assert total == n << 20
            print(f"down {n / t:.1f} MiB/s cpu {cpu() - c0:.3f}")
    else:
        async with connect(base + "/sink", compression=None, max_size=None) as ws:
            block = b"x" * (1 << 20)
            t0, c0 = time.monotonic(), cpu()
            for _ in range(n):
                await ws.send(block)
            await ws.send("total?")
            assert int(await ws.recv()) == n << 20
            t = time.monotonic() - t0
            print(f"up {n / t:.1f} MiB/s cpu {cpu() - c0:.3f}")


asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))

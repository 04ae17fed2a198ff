"""Deadlines for the soak's processes: wait until a port answers, stop a process for sure."""

import asyncio
import signal

POLL_INTERVAL_S = 0.05
CONNECT_TIMEOUT_S = 0.5
STOP_TIMEOUT_S = 10.0


async def answers_tcp(
    host: str, port: int, timeout_s: float, process: asyncio.subprocess.Process | None = None
) -> bool:
    """True once something accepts a connection on `port`; False on timeout or if `process`
    (the one meant to listen) exits first."""
    try:
        async with asyncio.timeout(timeout_s):
            while process is None or process.returncode is None:
                try:
                    async with asyncio.timeout(CONNECT_TIMEOUT_S):
                        _, writer = await asyncio.open_connection(host, port)
                    writer.close()
                    await writer.wait_closed()
                    return True
                except (OSError, TimeoutError):
                    await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        return False
    return False


async def kill_process(
    process: asyncio.subprocess.Process, signum: int = signal.SIGTERM
) -> int | None:
    """Sends `signum` (SIGCONT first, in case it is paused), SIGKILL if it outlives the deadline."""
    if process.returncode is None:
        try:
            process.send_signal(signal.SIGCONT)
            process.send_signal(signum)
        except ProcessLookupError:
            pass
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                return await process.wait()
        except TimeoutError:
            process.kill()
    return await process.wait()

"""Readers of Linux /proc: a process's children, its TCP sockets and its memory."""

import os
from dataclasses import dataclass
from pathlib import Path

# Socket states as /proc/net/tcp spells them.
TCP_ESTABLISHED = "01"
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Memory:
    rss_kib: int
    peak_rss_kib: int  # VmHWM: the kernel's high-water mark, so no spike is missed between samples


def is_alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False  # it exited
    return _stat_fields(stat)[0] != "Z"


def child_pids(pid: int) -> list[int]:
    """Live direct children of `pid` (kernels may lack /proc/<pid>/task/<tid>/children)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited while we looked
        fields = _stat_fields(text)
        state, ppid = fields[0], int(fields[1])
        if ppid == pid and state != "Z":
            children.append(int(stat.parent.name))
    return sorted(children)


def _stat_fields(stat: str) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name, from the state (field 3) on."""
    # The command name in parentheses may itself contain spaces or parentheses.
    return stat[stat.rindex(")") + 2 :].split()


def tcp_sockets(pid: int, local_port: int, state: str) -> set[int]:
    """Inodes of the IPv4 TCP sockets `pid` holds open on `local_port` in `state`."""
    matching = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        port = int(fields[1].rsplit(":", 1)[1], 16)
        if port == local_port and fields[3] == state:
            matching.add(int(fields[9]))
    # /proc/<pid>/net/tcp lists the whole network namespace; keep what this process holds.
    return matching & open_socket_inodes(pid)


def open_socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def memory(pid: int) -> Memory:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])  # always in kB
    return Memory(rss_kib=values["VmRSS"], peak_rss_kib=values["VmHWM"])


def reset_peak_memory(pid: int) -> None:
    """Sets VmHWM back to the current RSS, so a later peak measures only what follows."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")

"""Readers of Linux /proc for the pass-through benchmark: process trees and the CPU they used."""

import os
import resource
from collections.abc import Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (index 0 is field 3, the state)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rpartition(")")[2].split()


def process_tree(root: int) -> list[int]:
    """root and all its descendants, found through each process's parent id."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(proc_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue.extend(children.get(pid, ()))
    return tree


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = proc_stat(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def started(pid: int) -> str | None:
    try:
        return proc_stat(pid)[19]
    except (OSError, IndexError):
        return None


def busy_machine_seconds() -> float:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return sum(int(value) for value in fields[1:4]) / CLK_TCK  # user, nice, system


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

"""Map a key path such as ``transitions[3].who`` to its line in a TOML file."""

from __future__ import annotations

import re

PathPart = str | int
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*([A-Za-z0-9_."-]+)\s*=')
_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def _split_key(key: str) -> list[str]:
    return [part.strip().strip('"') for part in key.split(".")]


def key_lines(text: str) -> dict[tuple[PathPart, ...], int]:
    """Every table header and key in ``text`` with its 1-based line number."""
    lines: dict[tuple[PathPart, ...], int] = {}
    table: tuple[PathPart, ...] = ()
    array_counts: dict[tuple[PathPart, ...], int] = {}
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if depth == 0 and (header := _HEADER.match(line)):
            path: tuple[PathPart, ...] = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = array_counts.get(path, 0)
                array_counts[path] = index + 1
                path = (*path, index)
            table = path
            lines.setdefault(table, number)
            continue
        if depth == 0 and (key := _KEY.match(line)):
            lines.setdefault((*table, *_split_key(key.group(1))), number)
        code = line.split("#", 1)[0]
        depth = max(
            0, depth + code.count("[") + code.count("{") - code.count("]") - code.count("}")
        )
    return lines


def parse_path(path: str) -> tuple[PathPart, ...]:
    """Turn a msgspec error path (``$.notify[0].to``) into parts."""
    parts: list[PathPart] = []
    for name, index in _PATH_TOKEN.findall(path.removeprefix("$")):
        parts.append(int(index) if index else name)
    return tuple(parts)


def line_of(lines: dict[tuple[PathPart, ...], int], path: tuple[PathPart, ...]) -> int:
    """The line of ``path`` or of its nearest ancestor that has one."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1

"""Text a person sends: no control characters, except tab and line breaks in multi-line text.

A NUL cannot be stored in PostgreSQL at all, and a line break in a name ends up in an email
header; neither belongs in a name, a code, an email address or any single-line field. Every
string of a request is checked once, at the edge (:mod:`kinerja_flow.lib.requests`, and the
CSV import per cell): a string is single-line unless its wire schema marks it
:data:`MULTILINE`, where tab, line feed and carriage return are allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any, get_args, get_origin

import msgspec

MULTILINE = msgspec.Meta(extra={"text": "multiline"})
"""Marks a wire-schema string as free text of several lines (comments, reasons, feedback)."""

_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a control character (C0, DEL, C1) not allowed in its kind."""
    return (_MULTI_LINE if multiline else _SINGLE_LINE).search(value) is not None


def _is_multiline(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        return any(extra == MULTILINE for extra in extras) or _is_multiline(base)
    return any(_is_multiline(arg) for arg in get_args(annotation))


@cache
def _fields(struct: type[msgspec.Struct]) -> tuple[tuple[str, str, bool], ...]:
    """Each field of ``struct``: attribute name, wire name, whether it is multi-line text."""
    return tuple(
        (field.name, field.encode_name, _is_multiline(field.type))
        for field in msgspec.structs.fields(struct)
    )


def bad_text_fields(value: Any, path: str = "", *, multiline: bool = False) -> Iterator[str]:
    """The wire path (``answers[2].comment``) of every string in ``value`` that breaks the rule.

    ``value`` is a decoded request body: Structs, lists, dicts and scalars. Dict keys are
    always single-line.
    """
    if isinstance(value, str):
        if has_control_characters(value, multiline=multiline):
            yield path or "data"
    elif isinstance(value, msgspec.Struct):
        for name, wire_name, field_multiline in _fields(type(value)):
            yield from bad_text_fields(
                getattr(value, name),
                f"{path}.{wire_name}" if path else wire_name,
                multiline=field_multiline,
            )
    elif isinstance(value, list | tuple | set | frozenset):
        for position, item in enumerate(value):
            yield from bad_text_fields(item, f"{path}[{position}]", multiline=multiline)
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield from bad_text_fields(key, inner)
            yield from bad_text_fields(item, inner, multiline=multiline)

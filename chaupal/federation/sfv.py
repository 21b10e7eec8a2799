"""The part of Structured Field Values (RFC 8941) that HTTP Message Signatures (RFC 9421) and
Content-Digest (RFC 9530) use: dictionaries of items or inner lists with parameters, parsed and
serialised."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Union

BareItem = Union[int, float, str, bytes, bool, "Token"]
Params = dict[str, BareItem]


class SFError(ValueError):
    """Not a valid structured field."""


class Token(str):
    """An sf-token (unquoted), kept apart from sf-string."""


@dataclass
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass
class InnerList:
    items: list[Item]
    params: Params = field(default_factory=dict)


_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,3})?")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def _peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def _ws(self, chars: str = " ") -> None:
        while self._peek() and self._peek() in chars:
            self.i += 1

    def _match(self, pattern: re.Pattern[str]) -> str:
        m = pattern.match(self.s, self.i)
        if not m:
            raise SFError(f"unexpected {self._peek()!r} at {self.i}")
        self.i = m.end()
        return m.group(0)

    def key(self) -> str:
        return self._match(_KEY)

    def bare_item(self) -> BareItem:
        c = self._peek()
        if c == '"':
            return self._string()
        if c == ":":
            end = self.s.find(":", self.i + 1)
            if end < 0:
                raise SFError("unterminated byte sequence")
            raw, self.i = self.s[self.i + 1 : end], end + 1
            try:
                return base64.b64decode(raw, validate=True)
            except binascii.Error as exc:
                raise SFError("bad base64 in byte sequence") from exc
        if c == "?":
            flag = self.s[self.i + 1 : self.i + 2]
            if flag not in ("0", "1"):
                raise SFError("bad boolean")
            self.i += 2
            return flag == "1"
        if c == "-" or c.isdigit():
            text = self._match(_NUMBER)
            return float(text) if "." in text else int(text)
        return Token(self._match(_TOKEN))

    def _string(self) -> str:
        self.i += 1
        out = []
        while True:
            c = self._peek()
            if not c:
                raise SFError("unterminated string")
            self.i += 1
            if c == '"':
                return "".join(out)
            if c == "\\":
                nxt = self._peek()
                if nxt not in ('"', "\\"):
                    raise SFError("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif not " " <= c <= "~":
                raise SFError("non-printable character in string")
            else:
                out.append(c)

    def params(self) -> Params:
        params: Params = {}
        while self._peek() == ";":
            self.i += 1
            self._ws()
            name = self.key()
            value: BareItem = True
            if self._peek() == "=":
                self.i += 1
                value = self.bare_item()
            params[name] = value
        return params

    def item_or_inner_list(self) -> Item | InnerList:
        if self._peek() == "(":
            self.i += 1
            items: list[Item] = []
            while True:
                self._ws()
                if self._peek() == ")":
                    self.i += 1
                    return InnerList(items, self.params())
                value = self.bare_item()
                items.append(Item(value, self.params()))
                if self._peek() not in (" ", ")"):
                    raise SFError("inner list items must be separated by spaces")
        value = self.bare_item()
        return Item(value, self.params())

    def dictionary(self) -> dict[str, Item | InnerList]:
        out: dict[str, Item | InnerList] = {}
        self._ws()
        while self.i < len(self.s):
            name = self.key()
            if self._peek() == "=":
                self.i += 1
                out[name] = self.item_or_inner_list()
            else:
                out[name] = Item(True, self.params())
            self._ws(" \t")
            if self.i >= len(self.s):
                break
            if self._peek() != ",":
                raise SFError(f"expected ',' at {self.i}")
            self.i += 1
            self._ws(" \t")
            if self.i >= len(self.s):
                raise SFError("trailing comma")
        return out


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """An sf-dictionary; raises SFError on anything malformed."""
    return _Parser(text.strip()).dictionary()


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        if not all(" " <= c <= "~" for c in value):
            raise SFError("non-printable character in string")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}"
    raise SFError(f"cannot serialise {value!r}")


def serialize_params(params: Params) -> str:
    return "".join(
        f";{name}" if value is True else f";{name}={serialize_bare_item(value)}"
        for name, value in params.items()
    )


def serialize_inner_list(inner: InnerList) -> str:
    items = " ".join(serialize_bare_item(i.value) + serialize_params(i.params) for i in inner.items)
    return f"({items}){serialize_params(inner.params)}"

"""Reading request parameters the way Mastodon does: query string, form body or JSON body,
with Rails-style arrays (`media_ids[]=1`) and hashes (`fields_attributes[0][name]=x`),
validated by a Pydantic model into a typed value or a 4xx `{"error": ...}`."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from chaupal.errors import ApiError

M = TypeVar("M", bound=BaseModel)
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _assign(target: dict[str, Any], key: str, value: Any) -> None:
    m = _KEY.match(key)
    if not m:
        target[key] = value
        return
    name, rest = m.group(1), m.group(2)
    parts = re.findall(r"\[([^\[\]]*)\]", rest)
    if not parts:
        target[name] = value
        return
    node: Any = target
    path = [name, *parts]
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, dict):
            if part not in node or not isinstance(node[part], (dict, list)):
                node[part] = [] if nxt == "" else {}
            node = node[part]
        else:  # a list built from `[]`; nested hashes inside arrays are not used by clients
            return
    last = path[-1]
    if last == "":
        if isinstance(node, list):
            node.append(value)
    elif isinstance(node, dict):
        node[last] = value


def pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        _assign(out, key, value)
    return out


def query_params(request: Request) -> dict[str, Any]:
    return pairs_to_dict(list(request.query_params.multi_items()))


async def body_params(request: Request) -> dict[str, Any]:
    """Parameters from the body; a malformed body is a 400, an oversized one a 413."""
    cached = getattr(request.state, "body_params", None)
    if cached is not None:
        return cached
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    result: dict[str, Any] = {}
    if ctype == "application/json":
        raw = await request.body()
        if raw.strip():
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "Malformed JSON in request body") from None
            if not isinstance(data, dict):
                raise ApiError(400, "The request body must be a JSON object")
            result = data
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form: FormData = await request.form()
        except ApiError:
            raise
        except Exception:  # multipart parser errors come in several types
            raise ApiError(400, "Malformed form data in request body") from None
        result = pairs_to_dict(
            [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        )
        files = [(k, v) for k, v in form.multi_items() if not isinstance(v, str)]
        for key, value in files:
            result[key] = value
    if _contains_nul(result):
        raise ApiError(400, "Parameters must not contain NUL characters")
    request.state.body_params = result
    return result


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


async def all_params(request: Request) -> dict[str, Any]:
    params = query_params(request)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        params.update(await body_params(request))
    return params


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errs = exc.errors()
        parts = []
        for err in errs[:5]:
            field = ".".join(str(x) for x in err.get("loc", ())) or "request"
            parts.append(f"{field}: {err.get('msg', 'is invalid')}")
        raise ApiError(422, "Validation failed: " + "; ".join(parts)) from None


async def parse(request: Request, model: type[M]) -> M:
    return validate(model, await all_params(request))

"""Errors as values the client can act on: Mastodon-style `{"error": "..."}` bodies.

Raise `ApiError(status, message)` anywhere below the route layer; the app turns it
(and FastAPI's own validation and HTTP errors) into the JSON Mastodon clients expect.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("chaupal")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        description: str | None = None,
        headers: dict[str, str] | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.description = description
        self.headers = headers
        self.details = details


class BodyTooLarge(ApiError):
    """Raised while a body is being read past `max_request_body_bytes`."""

    def __init__(self) -> None:
        super().__init__(413, "Request body too large")


def not_found(what: str = "Record") -> ApiError:
    return ApiError(404, f"{what} not found")


def unprocessable(message: str, details: Any = None) -> ApiError:
    return ApiError(422, f"Validation failed: {message}", details=details)


def forbidden(message: str = "This action is not allowed") -> ApiError:
    return ApiError(403, message)


def error_body(message: str, description: str | None = None, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if description:
        body["error_description"] = description
    if details is not None:
        body["details"] = details
    return body


def _describe_validation(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
        field = ".".join(loc) or "request"
        parts.append(f"{field} {err.get('msg', 'is invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.message, exc.description, exc.details),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Error"
        if exc.status_code == 404 and message == "Not Found":
            message = "Record not found"
        return JSONResponse(error_body(message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return JSONResponse(
            error_body(f"Validation failed: {_describe_validation(errors)}"), status_code=422
        )

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return JSONResponse(error_body("Internal server error"), status_code=500)

"""A minimal form-filling browser (httpx + html.parser) that signs in and approves OAuth consent.

It reads forms generically, so template changes that keep the field names keep working:
a form with a password field is the sign-in form, a form with a `decision` button is consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.code_parts: list[str] = []
        self._in_code = 0
        self.code_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if a.get("id") == "authorization-code":
            if "value" in a:
                self.code_value = a["value"]
            else:
                self._in_code = 1
        elif self._in_code:
            self._in_code += 1
        if tag == "form":
            self.forms.append(
                Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button"):
                form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio") and "checked" not in a:
                form.types[name] = kind
            else:
                form.fields[name] = a.get("value", "")
                form.types[name] = kind
        elif tag == "button" and name:
            form.buttons.append((name, a.get("value", "")))
        elif tag in ("textarea", "select") and name:
            form.fields.setdefault(name, "")
            form.types[name] = tag

    def handle_endtag(self, tag: str) -> None:
        if self._in_code:
            self._in_code -= 1

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code_parts.append(data)

    @property
    def code(self) -> str | None:
        if self.code_value:
            return self.code_value.strip()
        text = "".join(self.code_parts).strip()
        return text or None


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


@dataclass
class Authorization:
    code: str
    redirect_location: str | None  # the Location the server redirected to, when not oob
    pages: list[str]  # the URLs visited, for failure messages


def authorize(
    authorize_url: str,
    username: str,
    password: str,
    *,
    callback_prefix: str | None = None,
    max_steps: int = 12,
) -> Authorization:
    """Drive authorize -> sign in -> consent like a browser; return the code the app gets back.

    With `callback_prefix` the code is read from the redirect to it; otherwise (oob) from the
    page element with id="authorization-code".
    """
    pages: list[str] = []
    with httpx.Client(follow_redirects=False, timeout=15.0) as browser:
        response = browser.get(authorize_url)
        for _ in range(max_steps):
            pages.append(
                f"{response.request.method} {response.request.url} -> {response.status_code}"
            )
            if response.is_redirect:
                location = urljoin(str(response.request.url), response.headers["location"])
                if callback_prefix and location.startswith(callback_prefix):
                    query = parse_qs(urlsplit(location).query)
                    assert "code" in query, f"redirect without a code: {location}"
                    return Authorization(query["code"][0], location, pages)
                response = browser.get(location)
                continue
            assert response.status_code == 200, (
                f"unexpected HTTP {response.status_code} during sign-in: {response.text[:500]}\n"
                + "\n".join(pages)
            )
            page = parse_page(response.text)
            if page.code and not callback_prefix:
                return Authorization(page.code, None, pages)
            form = _pick_form(page.forms)
            assert form is not None, (
                f"no sign-in or consent form on {response.request.url}:\n{response.text[:800]}"
            )
            data = dict(form.fields)
            if "password" in form.types.values():
                data["username"] = username
                data["password"] = password
            else:
                values = [v for name, v in form.buttons if name == "decision"]
                assert not values or "approve" in values, f"consent form without approve: {form}"
                data["decision"] = "approve"
            target = urljoin(str(response.request.url), form.action or str(response.request.url))
            response = browser.request(
                form.method.upper() if form.method else "POST", target, data=data
            )
        raise AssertionError("sign-in did not finish:\n" + "\n".join(pages))


def _pick_form(forms: list[Form]) -> Form | None:
    for form in forms:
        if "password" in form.types.values():
            return form
    for form in forms:
        if any(name == "decision" for name, _ in form.buttons) or "decision" in form.fields:
            return form
    return None

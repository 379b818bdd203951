"""Small helpers over the dvor contract for Python plugins: answers, errors and the caller's
language. The contract itself is the generated `wit_world` package (componentize-py)."""

import json
from typing import Any, Optional

from componentize_py_types import Err
from wit_world.exports import plugin as exported
from wit_world.imports import context, types, ui


def tr(ru: str, en: str) -> str:
    """`ru` or `en` text by the call's locale."""
    return en if context.locale() == "en" else ru


def answer(status: int, value: Any) -> exported.ApiResponse:
    """A JSON API answer."""
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return exported.ApiResponse(status, "application/json; charset=utf-8", [], body)


def failure(code: types.ErrorCode, message: str, field: Optional[str] = None) -> Err:
    """An error for the host, to `raise`."""
    return Err(types.Error(code, message, field))


def typed(form: list[ui.FormEntry], name: str) -> str:
    """The text typed into form field `name`, trimmed ('' when empty)."""
    for entry in form:
        if entry.name == name and isinstance(entry.value, ui.FieldValue_Text):
            return entry.value.value.strip()
    return ""

"""{{id}}: a dvor plugin in Python. One API route (`GET notes`), one page (the notes and a form
to add one, action `add-note`)."""

import json

import wit_world
from wit_world.exports import plugin as exported
from wit_world.imports import context, storage, types, ui

from dvor import answer, failure, tr, typed
from manifest import MANIFEST

NOT_FOUND = types.ErrorCode.NOT_FOUND


def newest() -> list[dict]:
    """The newest notes of the call's community."""
    page = storage.query(storage.QueryRequest(
        collection="notes",
        conditions=[storage.Condition("community", storage.Compare.EQ, storage.Value_Text(context.community()))],
        order=storage.Order("created", True),
        limit=50,
        cursor=None,
        include_ancestors=False,
    ))
    return [json.loads(d.data) for d in page.documents]


class Plugin(wit_world.exports.Plugin):
    def manifest(self) -> str:
        return MANIFEST

    def handle_request(self, request: exported.ApiRequest) -> exported.ApiResponse:
        if request.method == "GET" and request.path == "notes":
            return answer(200, {"notes": newest()})
        raise failure(NOT_FOUND, tr("Нет такого адреса", "no such route"))

    def render_page(self, route, query) -> ui.Page:
        if route != "":
            raise failure(NOT_FOUND, tr("Нет такой страницы", "no such page"))
        rows = [
            ui.Row([ui.Cell_Datetime(n["created"]), ui.Cell_Text(n["author"]), ui.Cell_Text(n["text"])],
                   [], None, ui.Tone.NEUTRAL)
            for n in newest()
        ]
        text = ui.Field("text", tr("Текст", "Text"), ui.FieldKind_Multiline(0), True,
                        ui.FieldValue_None_(), None, None)
        form = ui.Form("add-note", [text], tr("Добавить", "Add"), None)
        columns = [ui.Column(label, False) for label in (tr("Когда", "When"), tr("Автор", "Author"), tr("Текст", "Text"))]
        table = ui.Table(columns, rows, tr("Заметок пока нет", "No notes yet"), None)
        return ui.Page(tr("{{title}}", "{{title}}"), [], [
            ui.Section(tr("Новая заметка", "New note"), [ui.Block_Form(form)], None),
            ui.Section(tr("Заметки", "Notes"), [ui.Block_Table(table)], None),
        ])

    def handle_action(self, route, action, form) -> ui.ActionOutcome:
        if action != "add-note":
            raise failure(NOT_FOUND, tr("Нет такого действия", "no such action"))
        who = context.caller()
        if who is None:
            raise failure(types.ErrorCode.UNAUTHENTICATED, tr("Войдите, чтобы продолжить", "sign in to continue"))
        text = typed(form, "text")
        if not text:
            return ui.ActionOutcome_Invalid(ui.InvalidForm(
                [ui.FieldError("text", tr("Напишите текст заметки", "write the note's text"))], None))
        note = {"author": who.display_name, "text": text, "created": context.now()}
        storage.insert("notes", storage.DocumentWrite(None, context.community(), json.dumps(note, ensure_ascii=False), None))
        return ui.ActionOutcome_Redirect(ui.Redirect(
            ui.Link(tr("{{title}}", "{{title}}"), "", []), tr("Заметка добавлена", "Note added")))

    def on_event(self, event) -> None:
        return None

    def run_job(self, run: exported.JobRun) -> exported.JobStep:
        raise failure(NOT_FOUND, f"no job `{run.name}`")

    def summary(self, place):
        return None

    def subscribe(self, channel: str) -> None:
        raise failure(NOT_FOUND, tr("Нет такого канала", "no such channel"))

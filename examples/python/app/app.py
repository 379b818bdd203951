"""water-readings: an example dvor plugin in Python — a resident's cold-water meter readings.

A resident enters the meter's reading in cubic metres (up to three digits after the comma); a
reading lower than the previous one is refused next to its field. The page shows the person's
own readings and what was used since the one before; `GET readings` answers them as JSON
(litres, integers)."""

import json

import wit_world
from wit_world.exports import plugin as exported
from wit_world.imports import context, storage, types, ui

from dvor import answer, failure, tr
from manifest import MANIFEST

NOT_FOUND = types.ErrorCode.NOT_FOUND
LITRES_PER_M3 = 1000


def signed_in() -> str:
    """The caller's person id; refused when nobody is signed in."""
    who = context.caller()
    if who is None:
        raise failure(types.ErrorCode.UNAUTHENTICATED, tr("Войдите, чтобы продолжить", "sign in to continue"))
    return who.person_id


def readings(person: str) -> list[dict]:
    """The person's readings at the call's community, the newest first."""
    page = storage.query(storage.QueryRequest(
        collection="readings",
        conditions=[
            storage.Condition("community", storage.Compare.EQ, storage.Value_Text(context.community())),
            storage.Condition("person", storage.Compare.EQ, storage.Value_Text(person)),
        ],
        order=storage.Order("taken", True),
        limit=24,
        cursor=None,
        include_ancestors=False,
    ))
    return [json.loads(d.data) for d in page.documents]


def litres(value) -> int | None:
    """A submitted number of cubic metres in litres; None when it has more than three decimals."""
    if value.scale > 3:
        return None
    return value.value * 10 ** (3 - value.scale)


def cubic_metres(amount: int) -> ui.Cell:
    return ui.Cell_Decimal(types.Decimal(amount, 3))


class Plugin(wit_world.exports.Plugin):
    def manifest(self) -> str:
        return MANIFEST

    def handle_request(self, request: exported.ApiRequest) -> exported.ApiResponse:
        if request.method == "GET" and request.path == "readings":
            mine = readings(signed_in())
            return answer(200, {"readings": [{"taken": r["taken"], "litres": r["litres"]} for r in mine]})
        raise failure(NOT_FOUND, tr("Нет такого адреса", "no such route"))

    def render_page(self, route, query) -> ui.Page:
        if route != "":
            raise failure(NOT_FOUND, tr("Нет такой страницы", "no such page"))
        person = signed_in()
        mine = readings(person)
        rows = []
        for newer, older in zip(mine, mine[1:] + [None]):
            used = cubic_metres(newer["litres"] - older["litres"]) if older else ui.Cell_Empty()
            rows.append(ui.Row([ui.Cell_Date(newer["taken"]), cubic_metres(newer["litres"]), used],
                               [], None, ui.Tone.NEUTRAL))
        reading = ui.Field("cold", tr("Холодная вода, м³", "Cold water, m³"), ui.FieldKind_Number(3), True,
                           ui.FieldValue_None_(), tr("Как на счётчике: 123,456", "As on the meter: 123.456"), None)
        form = ui.Form("submit-reading", [reading], tr("Передать показание", "Submit the reading"), None)
        columns = [ui.Column(tr("Дата", "Date"), False),
                   ui.Column(tr("Показание, м³", "Reading, m³"), True),
                   ui.Column(tr("Расход, м³", "Used, m³"), True)]
        table = ui.Table(columns, rows, tr("Показаний пока нет", "No readings yet"), None)
        return ui.Page(tr("Показания воды", "Water readings"), [], [
            ui.Section(tr("Новое показание", "New reading"), [ui.Block_Form(form)], None),
            ui.Section(tr("Мои показания", "My readings"), [ui.Block_Table(table)], None),
        ])

    def handle_action(self, route, action, form) -> ui.ActionOutcome:
        if action != "submit-reading":
            raise failure(NOT_FOUND, tr("Нет такого действия", "no such action"))
        person = signed_in()
        entered = next((e.value for e in form if e.name == "cold"), None)
        amount = litres(entered.value) if isinstance(entered, ui.FieldValue_Number) else None
        error = None
        if amount is None or amount < 0:
            error = tr("Введите показание счётчика, например 123,456", "enter the meter's reading, e.g. 123.456")
        else:
            previous = readings(person)
            if previous and amount < previous[0]["litres"]:
                last = previous[0]["litres"]
                shown = f"{last // LITRES_PER_M3},{last % LITRES_PER_M3:03d}"
                error = tr(f"Меньше прошлого показания ({shown} м³)",
                           f"lower than the previous reading ({shown.replace(',', '.')} m³)")
        if error:
            return ui.ActionOutcome_Invalid(ui.InvalidForm([ui.FieldError("cold", error)], None))
        reading = {"person": person, "litres": amount, "taken": context.now()}
        storage.insert("readings", storage.DocumentWrite(None, context.community(), json.dumps(reading), None))
        return ui.ActionOutcome_Redirect(ui.Redirect(
            ui.Link(tr("Показания воды", "Water readings"), "", []), tr("Показание принято", "Reading received")))

    def on_event(self, event) -> None:
        return None

    def run_job(self, run: exported.JobRun) -> exported.JobStep:
        raise failure(NOT_FOUND, f"no job `{run.name}`")

    def summary(self, place):
        return None

    def subscribe(self, channel: str) -> None:
        raise failure(NOT_FOUND, tr("Нет такого канала", "no such channel"))

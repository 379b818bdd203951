"""dvor-testkit for Python: a plugin's tests (unittest) run its compiled component in a real
dvor runtime — the same storage, scopes, capabilities, transactions, limits and page renderer
as an instance — on an in-memory database, with the places, people, roles, clock and callers a
test chooses. It talks to `dvor plugin test-host` (one JSON request per line), as the Rust kit
`dvor-testkit` does; the two say the same things in the same words.

    from dvor_testkit import Setup

    host = (Setup()
            .plugin("dist/my_plugin.wasm")
            .place("town", "Город", "settlement")
            .place("house-1", "Дом 1", "house", parent="town")
            .now("2026-12-01T10:00:00+03:00")
            .start())
    anna = host.person("Анна Петрова").resident("house-1").create()
    added = host.at("house-1").by(anna).submit("", "add-note", {"text": "Привет"})
    assert added.notice == "Заметка добавлена"
    assert host.at("house-1").page("").shows("Анна Петрова")
    host.close()

The runtime is the `dvor` binary: `DVOR_BIN`, else the binary that wrote this project
(`dvor plugin new` records it below), else `dvor` on PATH.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any, Optional

# The dvor binary that wrote this file (`dvor plugin new` fills it in).
MADE_BY = "@DVOR_BIN@"


def dvor_binary() -> str:
    """The `dvor` binary the kit runs."""
    if os.environ.get("DVOR_BIN"):
        return os.environ["DVOR_BIN"]
    if not MADE_BY.startswith("@") and os.path.exists(MADE_BY):
        return MADE_BY
    return "dvor"


class Refused(Exception):
    """The test host refused a request (a plugin that does not load, a bad request)."""


class Setup:
    """What the test instance is: its plugins, places, units, organizations and clock."""

    def __init__(self) -> None:
        self.spec: dict[str, Any] = {
            "op": "start",
            "plugins": [],
            "communities": [],
            "units": [],
            "organizations": [],
        }

    def plugin(self, wasm: str, **options: Any) -> "Setup":
        """Load a plugin component, enabled at every root place and granted everything its
        manifest asks for; options: `enabled_for`, `grants`, `settings`, `limits`."""
        self.spec["plugins"].append({"wasm": str(wasm), **options})
        return self

    def place(self, id: str, name: str, kind: str, parent: Optional[str] = None, **more: Any) -> "Setup":
        """A place: its id, name, kind (`settlement`, `house`, `snt`, …) and parent."""
        place = {"id": id, "name": name, "kind": kind, **more}
        if parent:
            place["parent"] = parent
        self.spec["communities"].append(place)
        return self

    def unit(self, community: str, number: str, kind: str, area: str, **more: Any) -> "Setup":
        """A unit: number, kind (`apartment`, `plot`, `non-residential`), area in m² as text."""
        self.spec["units"].append(
            {"community": community, "number": number, "kind": kind, "area": area, **more}
        )
        return self

    def organization(self, id: str, name: str, kind: str, serves: list[str]) -> "Setup":
        """An organization serving places."""
        self.spec["organizations"].append({"id": id, "name": name, "kind": kind, "serves": serves})
        return self

    def now(self, rfc3339: str) -> "Setup":
        """Stop the clock of calls at an RFC 3339 time."""
        self.spec["now"] = rfc3339
        return self

    def timezone(self, zone: str) -> "Setup":
        """The instance's time zone (IANA; `Europe/Moscow` by default)."""
        self.spec["timezone"] = zone
        return self

    def start(self) -> "TestHost":
        """Start the test host; raises `Refused` with the host's words if a plugin does not load."""
        host = TestHost()
        started = host.request(self.spec)
        host.plugins = started["plugins"]
        host.plugin = started["plugins"][0]["id"] if started["plugins"] else None
        return host


class TestHost:
    """A running test host: one in-memory instance, ended by `close()` (or `with`)."""

    def __init__(self) -> None:
        binary = dvor_binary()
        try:
            self.child = subprocess.Popen(
                [binary, "plugin", "test-host"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        except OSError as e:
            raise Refused(
                f"dvor-testkit: cannot start `{binary} plugin test-host`: {e} "
                "(install dvor, or point DVOR_BIN at its binary)"
            ) from e
        self.plugins: list[dict[str, Any]] = []
        self.plugin: Optional[str] = None

    def __enter__(self) -> "TestHost":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def close(self) -> None:
        """End the instance."""
        if self.child.poll() is None:
            self.child.stdin.close()
            self.child.kill()
            self.child.wait()
        self.child.stdout.close()

    def try_request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request: `{"ok": …}` or `{"error": …}` as the host answered."""
        self.child.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.child.stdin.flush()
        line = self.child.stdout.readline()
        if not line:
            raise Refused("dvor-testkit: the test host ended (see its log above)")
        return json.loads(line)

    def request(self, request: dict[str, Any]) -> Any:
        """Send one request: the `ok` value, or `Refused` with the host's error."""
        answer = self.try_request(request)
        if "error" in answer:
            raise Refused(f"dvor test host refused {request}: {answer['error']}")
        return answer["ok"]

    def person(self, name: str) -> "PersonBuilder":
        """Start making a person."""
        return PersonBuilder(self, name)

    def at(self, community: str) -> "Call":
        """Calls at `community`, to the first plugin loaded (another with `.to(id)`)."""
        return Call(self, self.plugin, community)

    def deliver_events(self) -> int:
        """Deliver every due event to the plugins that consume it; how many deliveries ran."""
        return self.request({"op": "deliver"})["delivered"]

    def events(self) -> list[dict[str, Any]]:
        """Every event emitted so far, oldest first: `kind`, `source`, `community`, `payload`."""
        return self.request({"op": "events"})["events"]

    def events_of(self, kind: str) -> list[Any]:
        """The payloads of the events of `kind`, oldest first."""
        return [e["payload"] for e in self.events() if e["kind"] == kind]

    def inbox(self, person: "Person") -> list[dict[str, Any]]:
        """A person's notifications, newest first: `title`, `body` (Russian), `title_en`, `link`."""
        return self.request({"op": "inbox", "person": person.id})

    def run_job(self, job: str, community: str) -> dict[str, Any]:
        """Run job `job` of the first plugin for `community` from its first chunk to its last."""
        return self.request({"op": "run_job", "plugin": self.plugin, "job": job, "community": community})

    def run_requested(self) -> int:
        """Run the job runs plugins asked for (`jobs.request`); how many chunks ran."""
        return self.request({"op": "run_requested"})["chunks"]

    def live(self, community: str, channel: str) -> list[dict[str, Any]]:
        """The live updates on `channel` of the first plugin at `community`."""
        return self.request({"op": "live", "plugin": self.plugin, "community": community, "channel": channel})

    def set_clock(self, rfc3339: str) -> None:
        """Stop the clock at an RFC 3339 time."""
        self.request({"op": "clock", "set": rfc3339})

    def advance(self, ms: int) -> None:
        """Move the stopped clock on by `ms` milliseconds."""
        self.request({"op": "clock", "advance_ms": ms})


@dataclass(frozen=True)
class Person:
    """A person of the test instance."""

    id: str
    name: str


class PersonBuilder:
    """A person being made: their roles and what they own."""

    def __init__(self, host: TestHost, name: str) -> None:
        self.host = host
        self.spec: dict[str, Any] = {"op": "person", "name": name, "roles": [], "owns": []}

    def phone(self, phone: str) -> "PersonBuilder":
        self.spec["phone"] = phone
        return self

    def role(self, role: str, community: str) -> "PersonBuilder":
        """A role in a place (`resident`, `moderator`, `chairman`, …)."""
        self.spec["roles"].append({"role": role, "community": community})
        return self

    def staff(self, role: str, organization: str) -> "PersonBuilder":
        """A staff role in an organization (`operator`, `executor`, …)."""
        self.spec["roles"].append({"role": role, "organization": organization})
        return self

    def resident(self, community: str) -> "PersonBuilder":
        return self.role("resident", community)

    def admin(self) -> "PersonBuilder":
        self.spec["roles"].append({"role": "admin"})
        return self

    def owns(self, unit: str, share: tuple[int, int] = (1, 1), verified: bool = True) -> "PersonBuilder":
        """An owner of a unit (`house-1/12`): the verified sole owner unless told otherwise."""
        self.spec["owns"].append({"unit": unit, "share": list(share), "verified": verified})
        return self

    def create(self) -> Person:
        made = self.host.request(self.spec)
        return Person(made["id"], self.spec["name"])


@dataclass
class Answer:
    """An API answer as an HTTP client would see it."""

    status: int
    json: Any
    body: str

    @property
    def field(self) -> Optional[str]:
        """The field an error names."""
        return (self.json or {}).get("error", {}).get("field") if isinstance(self.json, dict) else None


@dataclass
class PageView:
    """A page as drawn for a person."""

    title: str = ""
    text: str = ""
    html: str = ""
    tree: Any = None
    error: Optional[dict[str, Any]] = None

    @staticmethod
    def of(answer: dict[str, Any]) -> "PageView":
        if "error" in answer:
            return PageView(error=answer["error"])
        page = answer["page"]
        return PageView(page["title"], page["text"], page["html"], page["tree"])

    @property
    def status(self) -> int:
        """The status the host would answer instead of the page (401, 403, 404…), or 200."""
        return self.error["status"] if self.error else 200

    def shows(self, text: str) -> bool:
        """Whether the page shows `text` (a non-breaking space matches a space)."""
        return text.replace("\u00a0", " ") in self.text.replace("\u00a0", " ")


@dataclass
class Outcome:
    """What followed a form or a button."""

    notice: Optional[str] = None
    route: Optional[str] = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    page: Optional[PageView] = None
    refused: Optional[dict[str, Any]] = None

    def error_of(self, field_name: str) -> Optional[str]:
        """The error shown next to `field_name`, if the form came back with one."""
        return next((m for f, m in self.errors if f == field_name), None)


class Call:
    """One call being made: where, by whom, in which language."""

    def __init__(self, host: TestHost, plugin: Optional[str], community: str) -> None:
        self.host = host
        self.spec: dict[str, Any] = {"op": "call", "plugin": plugin, "community": community, "locale": "ru"}

    def to(self, plugin: str) -> "Call":
        """To another loaded plugin."""
        self.spec["plugin"] = plugin
        return self

    def by(self, person: Person) -> "Call":
        """Signed in as `person`."""
        self.spec["as"] = person.id
        return self

    def english(self) -> "Call":
        """In English."""
        self.spec["locale"] = "en"
        return self

    def _send(self, what: str, body: Any) -> dict[str, Any]:
        return self.host.request({**self.spec, what: body})

    def _api(self, method: str, path: str, body: Any = None) -> Answer:
        api: dict[str, Any] = {"method": method, "path": path}
        if body is not None:
            api["json"] = body
        answer = self._send("api", api)
        if "error" in answer:
            error = answer["error"]
            return Answer(error["status"], {"error": error}, json.dumps(error, ensure_ascii=False))
        return Answer(answer["status"], answer.get("json"), answer.get("body", ""))

    def get(self, path: str) -> Answer:
        """`GET path` (with its query) of the plugin's API."""
        return self._api("GET", path)

    def post(self, path: str, body: Any) -> Answer:
        """`POST path` with a JSON body."""
        return self._api("POST", path, body)

    def put(self, path: str, body: Any) -> Answer:
        """`PUT path` with a JSON body."""
        return self._api("PUT", path, body)

    def delete(self, path: str) -> Answer:
        """`DELETE path`."""
        return self._api("DELETE", path)

    def page(self, route: str) -> PageView:
        """The page at `route` as a person sees it."""
        return PageView.of(self._send("page", {"route": route}))

    def submit(self, route: str, action: str, values: Optional[dict[str, str]] = None) -> Outcome:
        """Fill in the form (or press the button) of `action` on the page at `route`, as a
        person would: `values` are what they type, by field name."""
        pairs = [[k, v] for k, v in (values or {}).items()]
        answer = self._send("action", {"route": route, "action": action, "values": pairs})
        if "redirect" in answer:
            return Outcome(notice=answer["redirect"].get("notice"), route=answer["redirect"]["route"])
        if "invalid" in answer:
            return Outcome(errors=[(e["field"], e["message"]) for e in answer["invalid"]["errors"]])
        if "page" in answer:
            return Outcome(page=PageView.of(answer))
        return Outcome(refused=answer.get("error"))

    def tile(self, person: bool = False) -> Optional[dict[str, Any]]:
        """The plugin's tile for the place's home page, or (`person`) the caller's own home."""
        answer = self._send("summary", "person" if person else "community")
        if "error" in answer:
            raise Refused(f"the tile failed: {answer['error']}")
        return answer.get("tile")

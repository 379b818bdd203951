"""The plugin's tests: its compiled component in a real dvor runtime (the test kit), with a
town, a house, a resident and a fixed clock.

    python -m unittest
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build  # noqa: E402
from dvor_testkit import Setup  # noqa: E402


def town():
    return (Setup()
            .plugin(str(build.component()))
            .place("town", "Город", "settlement")
            .place("house-1", "Дом 1", "house", parent="town")
            .now("2026-12-01T10:00:00+03:00")
            .start())


class PluginTest(unittest.TestCase):
    def test_a_resident_adds_a_note_that_neighbours_see(self):
        with town() as host:
            anna = host.person("Анна Петрова").resident("house-1").create()
            added = host.at("house-1").by(anna).submit("", "add-note", {"text": "Кто оставил самокат у лифта?"})
            self.assertEqual(added.notice, "Заметка добавлена", added)

            page = host.at("house-1").page("")
            self.assertTrue(page.shows("Анна Петрова"), page.text)
            self.assertTrue(page.shows("Кто оставил самокат у лифта?"), page.text)
            self.assertTrue(page.shows("01.12.2026"), page.text)

            api = host.at("house-1").get("notes")
            self.assertEqual(api.status, 200, api.body)
            self.assertEqual(api.json["notes"][0]["author"], "Анна Петрова")

    def test_an_empty_note_comes_back_with_the_error_next_to_its_field(self):
        with town() as host:
            anna = host.person("Анна Петрова").resident("house-1").create()
            refused = host.at("house-1").by(anna).submit("", "add-note", {"text": "   "})
            self.assertEqual(refused.error_of("text"), "Напишите текст заметки", refused)
            self.assertEqual(host.at("house-1").get("notes").json["notes"], [])


if __name__ == "__main__":
    unittest.main()

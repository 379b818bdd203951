"""The example's tests: its compiled component in a real dvor runtime (the test kit,
../../testkit/python), with a house, two residents and a clock that moves a month.

    DVOR_BIN=…/target/debug/dvor .venv/bin/python -m unittest
"""

import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent.parent / "testkit" / "python"))

import build  # noqa: E402
from dvor_testkit import Setup  # noqa: E402


def house():
    return (Setup()
            .plugin(str(build.component()))
            .place("town", "Город", "settlement")
            .place("house-1", "Дом 1", "house", parent="town")
            .now("2026-11-25T10:00:00+03:00")
            .start())


class WaterReadingsTest(unittest.TestCase):
    def test_a_resident_sees_their_readings_and_what_was_used(self):
        with house() as host:
            anna = host.person("Анна Петрова").resident("house-1").create()
            first = host.at("house-1").by(anna).submit("", "submit-reading", {"cold": "123,456"})
            self.assertEqual(first.notice, "Показание принято", first)
            host.set_clock("2026-12-25T10:00:00+03:00")
            host.at("house-1").by(anna).submit("", "submit-reading", {"cold": "130,5"})

            page = host.at("house-1").by(anna).page("")
            for text in ("25.11.2026", "25.12.2026", "123,456", "130,500", "7,044"):
                self.assertTrue(page.shows(text), f"{text} in {page.text}")

            api = host.at("house-1").by(anna).get("readings")
            self.assertEqual(api.status, 200, api.body)
            self.assertEqual([r["litres"] for r in api.json["readings"]], [130500, 123456])

            boris = host.person("Борис Иванов").resident("house-1").create()
            self.assertEqual(host.at("house-1").by(boris).get("readings").json["readings"], [],
                             "a neighbour does not see Anna's readings")

    def test_a_reading_lower_than_the_last_is_refused_next_to_its_field(self):
        with house() as host:
            anna = host.person("Анна Петрова").resident("house-1").create()
            host.at("house-1").by(anna).submit("", "submit-reading", {"cold": "123,456"})
            lower = host.at("house-1").by(anna).submit("", "submit-reading", {"cold": "99"})
            self.assertEqual(lower.error_of("cold"), "Меньше прошлого показания (123,456 м³)", lower)
            english = host.at("house-1").by(anna).english().submit("", "submit-reading", {"cold": "99"})
            self.assertEqual(english.error_of("cold"), "lower than the previous reading (123.456 m³)", english)
            self.assertEqual(len(host.at("house-1").by(anna).get("readings").json["readings"]), 1)

    def test_a_caller_who_is_not_signed_in_is_asked_to_sign_in(self):
        with house() as host:
            answer = host.at("house-1").get("readings")
            self.assertEqual(answer.status, 401, answer.body)


if __name__ == "__main__":
    unittest.main()

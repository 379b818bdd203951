"""Builds the component: the manifest is put into app/manifest.py, and componentize-py makes
dist/{{crate}}.wasm from app/app.py against the dvor contract in wit/. `component()` is what the
tests call: it builds only when a source is newer than the component.

    python build.py
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
APP = ROOT / "app"
OUT = ROOT / "dist" / "{{crate}}.wasm"


def sources() -> list[Path]:
    """The sources whose change calls for a new component."""
    return [ROOT / "dvor-plugin.toml", *(p for p in APP.glob("*.py") if p.name != "manifest.py")]


def build() -> Path:
    """Build the component now."""
    manifest = (ROOT / "dvor-plugin.toml").read_text(encoding="utf-8")
    (APP / "manifest.py").write_text(
        "# Written by build.py from dvor-plugin.toml.\n"
        f"MANIFEST = {json.dumps(manifest, ensure_ascii=False)}\n",
        encoding="utf-8",
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # componentize-py from this Python's environment (requirements.txt), as its CLI.
    args = ["componentize-py", "-d", str(ROOT / "wit"), "-w", "dvor-plugin", "componentize",
            "-p", str(APP), "app", "-o", str(OUT)]
    subprocess.run(
        [sys.executable, "-c", "import sys, componentize_py; sys.argv = sys.argv[1:]; sys.exit(componentize_py.script())", *args],
        check=True,
    )
    return OUT


def component() -> Path:
    """The component, built first if it is missing or older than a source."""
    built = OUT.stat().st_mtime if OUT.exists() else 0
    if max(p.stat().st_mtime for p in sources()) > built:
        return build()
    return OUT


if __name__ == "__main__":
    print(build())

"""`pip install .` (the Docker image's install) carries the timer page's static files."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from gateway.page.files import PageFiles

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 300


def test_the_wheel_holds_every_file_the_page_serves(tmp_path: Path) -> None:
    # Built from a copy of what the image's build context holds, so nothing is written here.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    shutil.copytree(
        REPO_ROOT / "gateway", source / "gateway", ignore=shutil.ignore_patterns("__pycache__")
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    served = PageFiles.load().names()
    assert "index.html" in served and "app.js" in served
    missing = [name for name in served if f"gateway/page/static/{name}" not in names]
    assert missing == []

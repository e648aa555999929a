"""The built wheel carries instruments/ and templates/ and works in a clean environment."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(dist), str(ROOT)], check=True)
    (path,) = dist.glob("measurelib-*.whl")
    return path


@pytest.fixture(scope="module")
def clean_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the wheel installed; dependencies come from the test environment's
    site-packages through a .pth file, so nothing of the source tree is importable."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    py = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet",
                    "--no-deps", str(wheel)], check=True)
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env


def test_wheel_contains_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "measurelib/_data/instruments/phq-9.yaml" in names
    assert "measurelib/_data/instruments/swemwbs.yaml" in names
    assert "measurelib/_data/instruments/tables/eq-5d-5l.uk-crosswalk-vanhout2012.csv" in names
    assert any(n.startswith("measurelib/_data/templates/") for n in names)
    assert "measurelib/schema/measure.schema.json" in names
    assert "measurelib/py.typed" in names


def test_installed_wheel_loads_a_shipped_measure(clean_env: Path) -> None:
    py = clean_env / "bin" / "python"
    code = (
        "import measurelib as ml\n"
        "m = ml.load('phq-9')\n"
        "assert '/src/measurelib' not in ml.__file__, ml.__file__\n"
        f"assert ml.__file__.startswith({str(clean_env)!r}), ml.__file__\n"
        "print(m.id, len(m.items), len(ml.catalog()))\n"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("phq-9 10 ")


def test_installed_wheel_renders_a_shipped_measure(clean_env: Path) -> None:
    py = clean_env / "bin" / "python"
    code = (
        "import measurelib as ml\n"
        "html = ml.load('phq-9').render('html')\n"
        "assert 'Little interest or pleasure in doing things' in html\n"
        "print(len(html))\n"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr


def test_installed_console_script(clean_env: Path) -> None:
    exe = clean_env / "bin" / "measurelib"
    out = subprocess.run([str(exe), "validate", "phq-9", "swemwbs", "eq-5d-5l"], capture_output=True,
                         text=True, cwd="/")
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([str(clean_env / "bin" / "python"), "-m", "measurelib", "catalog"],
                         capture_output=True, text=True, cwd="/")
    assert out.returncode == 0 and "phq-9" in out.stdout

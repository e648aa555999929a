"""An output never replaces what a command reads, and a path that cannot be written is told.

`score data.csv -o data.csv` wrote the scores over the responses while reading them in
chunks; a folder that does not exist was blamed on the input file, or was an internal
error (`build`). Every such case is now refused before anything is read or written, as a
located `output-path` problem (exit 2), and a file-system refusal found later names the
path (exit 2), never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from measurelib._output import check_output, same_file
from measurelib.errors import DataError, MeasurelibError

ITEMS = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
         "psychomotor", "self_harm"]


def _data(folder: Path) -> Path:
    rows = [",".join(["respondent_id", *ITEMS])]
    rows += [",".join([f"R{i}", *(str((i + j) % 4) for j in range(9))]) for i in range(30)]
    path = folder / "data.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, needle", [
    (["-o", "data.csv"], "-o data.csv: is the file being read (data.csv)"),
    (["-o", "./sub/../data.csv"], "is the file being read"),
    (["-o", "link.csv"], "is the file being read"),  # a symbolic link to the data
    (["-o", "out.csv", "--rejected", "data.csv"], "--rejected data.csv: is the file being read"),
    (["-o", "out.csv", "--rejected", "out.csv"], "is also given to --rejected"),
    (["-o", "nowhere/out.csv"], "the folder nowhere does not exist"),
    (["-o", "data.csv/out.csv"], "the folder data.csv does not exist"),
    (["-o", "sub"], "-o sub: is a folder"),
])
def test_score_refuses_outputs_that_would_lose_data(tmp_path, args, needle):
    data = _data(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(data)
    before = data.read_bytes()
    r = run("score", "phq-9", "data.csv", *args, "-q", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "error[output-path]" in r.stderr and needle in r.stderr
    assert "Traceback" not in r.stderr
    assert data.read_bytes() == before  # the responses are untouched
    assert not (tmp_path / "out.csv").exists()


def test_library_score_file_refuses_the_same_file(tmp_path):
    from measurelib.scoring import score_file

    data = _data(tmp_path)
    before = data.read_bytes()
    with pytest.raises(DataError) as exc:
        score_file("phq-9", data, data)
    (d,) = exc.value.errors
    assert d.code == "output-path" and d.location.file == str(data)
    assert data.read_bytes() == before
    # the same file reached through a hard link is the same file too
    os.link(data, tmp_path / "hard.csv")
    with pytest.raises(DataError, match="is the file being read"):
        score_file("phq-9", data, tmp_path / "hard.csv")


def test_build_never_writes_over_its_definition(tmp_path):
    from measurelib.definition import resolve

    source = tmp_path / "mine.yaml"
    source.write_bytes(resolve("phq-9").read_bytes())
    before = source.read_bytes()
    r = run("build", "mine.yaml", "-o", "mine.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "error[output-path]" in r.stderr, r.stderr
    assert source.read_bytes() == before
    r = run("build", "mine.yaml", "-o", "missing/built.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "the folder missing does not exist" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert run("build", "mine.yaml", "-o", "built.yaml", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("argv, target", [
    (["import-definition", "q.json", "-o", "q.json"], "q.json"),
    (["export", "mine.yaml", "--to", "redcap", "-o", "mine.yaml"], "mine.yaml"),
    (["render", "mine.yaml", "--format", "html", "-o", "./mine.yaml"], "mine.yaml"),
    (["assess", "phq-9", "data.csv", "--report", "data.csv"], "data.csv"),
    (["export", "mine.yaml", "--to", "fhir", "--overlay", "data.csv", "-o", "data.csv"],
     "data.csv"),
])
def test_no_command_writes_over_a_file_it_reads(tmp_path, argv, target):
    from measurelib.definition import resolve

    _data(tmp_path)
    (tmp_path / "mine.yaml").write_bytes(resolve("phq-9").read_bytes())
    assert run("export", "phq-9", "--to", "fhir", "-o", "q.json", cwd=tmp_path).returncode == 0
    before = (tmp_path / target).read_bytes()
    r = run(*argv, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "error[output-path]" in r.stderr and "is the file being read" in r.stderr
    assert (tmp_path / target).read_bytes() == before


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_file_system_refusal_names_the_path(tmp_path):
    # /proc is a folder that exists but takes no new files: found only when writing
    r = run("build", "phq-9", "-o", "/proc/measurelib-test.yaml", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "measurelib build: error: /proc/measurelib-test.yaml:" in r.stderr
    assert "hint: Check the path" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_check_output_and_same_file(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x")
    assert same_file(a, tmp_path / "." / "a.csv")
    assert not same_file(a, tmp_path / "b.csv")  # b does not exist
    check_output(tmp_path / "b.csv", inputs=[a], others=[("--rejected", None)])
    with pytest.raises(MeasurelibError) as exc:
        check_output(tmp_path / "b.csv", others=[("--rejected", tmp_path / "b.csv")])
    assert exc.value.errors[0].code == "output-path"
    with pytest.raises(DataError):
        check_output(a, inputs=[a], error=DataError)

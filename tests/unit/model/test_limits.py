"""Resource limits (docs/limits.md), hostile YAML, confinement of named files, bounded checks."""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import measurelib as ml
from measurelib import DefinitionError
from measurelib.definition import LIMITS

ROOT = Path(__file__).resolve().parents[3]
HEAD = """\
format: 1
id: t
version: 1.0.0
title: Test
licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
"""
SCALE = "scales:\n  s: {type: ordinal, options: [{value: 0, label: a}, {value: 1, label: b}]}\n"


def errors_of(text: str) -> list[ml.Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        ml.loads(text, "t.yaml")
    for d in info.value.errors:
        assert d.location.file is not None
    return list(info.value.errors)


def timed_errors(text: str) -> list[ml.Diagnostic]:
    start = time.process_time()
    errs = errors_of(text)
    assert time.process_time() - start < 5  # generous on a loaded machine; typical < 0.1 s
    return errs


# ----------------------------------------------------------------------------- YAML tags
@pytest.mark.parametrize("value", [
    "!!timestamp 2024-13-45", "!!timestamp 2024-01-01", "!!binary 'not base64!'", "!!int abc",
    "!!int 0x", "!!int ''", "!!float x", "!!bool maybe", "!!set {a}",
    "!!python/object:os.system x", "!foo bar", "!!int 1" + "0" * 5000,
])
def test_tags_on_scalars_are_located_errors(value: str) -> None:
    (err, *_) = errors_of(HEAD + f"description: {value}\n")
    assert err.code == "yaml-syntax"
    assert (err.location.line, err.location.column) == (6, 14)


@pytest.mark.parametrize("key", ["!!timestamp 2024-13-45", "!!int abc", "!!binary x", "!!set a"])
def test_tags_on_keys_are_located_errors(key: str) -> None:
    (err, *_) = errors_of(HEAD + f"{key}: 1\n")
    assert err.code == "yaml-syntax"
    assert err.location.line == 6


@pytest.mark.parametrize("number", ["1" + "0" * 400, "1" + "0" * 5000, "1e400", "-.inf", ".nan",
                                    "1e16"])
def test_huge_and_non_finite_numbers(number: str) -> None:
    errs = errors_of(HEAD + SCALE.replace("value: 1", f"value: {number}")
                     + "items: [{id: a, text: A, scale: s}]\n")
    assert errs[0].code in ("invalid-value", "yaml-syntax", "wrong-type")
    assert errs[0].location.line == 7


# ----------------------------------------------------------------------------- nesting
@pytest.mark.parametrize("depth", [65, 999, 1001, 100_000])
def test_deep_flow_nesting(depth: int) -> None:
    (err,) = timed_errors(HEAD + "description: " + "[" * depth + "1" + "]" * depth + "\n")
    assert err.code == "limit-exceeded"
    assert "nest" in err.message and "nesting_depth" in err.hint
    assert err.location.line == 6


def test_deep_block_nesting() -> None:
    block = "extra:\n" + "".join(" " * (2 * (i + 1)) + f"k{i}:\n" for i in range(3000)) + "1\n"
    (err,) = timed_errors(HEAD + block)
    assert err.code == "limit-exceeded"


def test_nesting_limit_can_be_raised() -> None:
    text = HEAD + SCALE + "items: [{id: a, text: A, scale: s}]\nreferences: []\n"
    deep = text.replace("references: []", "description: " + "[" * 70 + "]" * 70)
    assert errors_of(deep)[0].code == "limit-exceeded"
    with ml.limits(nesting_depth=200):
        errs = errors_of(deep)
    assert errs[0].code != "limit-exceeded"  # now the schema complains, not the limit


# ----------------------------------------------------------------------------- sizes
def test_definition_file_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + "description: '" + "x" * (11 * 1024 * 1024) + "'\n")
    start = time.process_time()
    with pytest.raises(DefinitionError) as info:
        ml.load(path)
    assert time.process_time() - start < 1
    (err,) = info.value.errors
    assert err.code == "limit-exceeded" and "10 MB" in err.message
    assert "definition_bytes" in err.hint and "MEASURELIB_LIMIT_DEFINITION_BYTES" in err.hint


def test_definition_from_a_device_is_capped() -> None:
    with pytest.raises(DefinitionError) as info:
        ml.load("/dev/zero")
    assert info.value.errors[0].code == "limit-exceeded"


def _items(n: int) -> str:
    return "items:\n" + "".join(f"  - {{id: i{k}, text: Q{k}, scale: s}}\n" for k in range(n))


def test_items_limit_and_override() -> None:
    text = HEAD + SCALE + _items(30) + "scores: [{id: total, items: all}]\n"
    with ml.limits(items=20):
        (err,) = errors_of(text)
    assert err.code == "limit-exceeded" and "30 items" in err.message
    assert err.location.path == "items[20]"
    assert ml.loads(text).id == "t"


def test_items_limit_from_the_environment() -> None:
    text = HEAD + SCALE + _items(30)
    env = {**os.environ, "MEASURELIB_LIMIT_ITEMS": "10", "PYTHONPATH": str(ROOT / "src")}
    code = ("import sys, measurelib as ml\ntry:\n    ml.loads(sys.stdin.read())\n"
            "except ml.DefinitionError as e:\n    print(e.errors[0].code)\n")
    out = subprocess.run([sys.executable, "-c", code], input=text, env=env, text=True,
                         capture_output=True, check=True)
    assert out.stdout.strip() == "limit-exceeded"


def test_scale_options_limit() -> None:
    options = ", ".join(f"{{value: {i}, label: o{i}}}" for i in range(1500))
    (err,) = timed_errors(HEAD + f"scales:\n  s: {{type: ordinal, options: [{options}]}}\n")
    assert err.code == "limit-exceeded" and "1,500 options" in err.message


def test_cli_limit_option(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + SCALE + _items(30))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = [sys.executable, "-m", "measurelib"]
    low = subprocess.run([*run, "--limit", "items=5", "validate", str(path)], env=env,
                         capture_output=True, text=True)
    assert low.returncode == 1 and "limit-exceeded" in low.stdout
    ok = subprocess.run([*run, "validate", str(path)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run([*run, "--limit", "itemz=5", "validate", str(path)], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "itemz" in bad.stderr and "Traceback" not in bad.stderr


def test_unknown_limit_name_in_python() -> None:
    with pytest.raises(ValueError, match="unknown limit 'itemz'"), ml.limits(itemz=1):
        pass


def test_every_limit_is_documented() -> None:
    page = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for name, lim in LIMITS.items():
        assert re.search(rf"^\| `{name}` \|", page, re.MULTILINE), name
        assert lim.env in page


# ----------------------------------------------------------------------------- big scales
def test_huge_numeric_scale_with_bands_is_analytic() -> None:
    text = HEAD + """\
scales:
  big: {type: numeric, min: 0, max: 100000000}
items:
  - {id: a, text: A, scale: big}
scores:
  - id: total
    items: all
    bands: [{max: 1000, label: low}, {min: 1001, max: 50000000, label: mid}, {min: 50000001, label: high}]
"""
    start = time.process_time()
    m = ml.loads(text)
    assert time.process_time() - start < 2
    assert m.score_range("total") == (0, 100_000_000)
    gap = text.replace("min: 1001", "min: 1002")
    (err,) = errors_of(gap)
    assert err.code == "band-gap" and "1001" in err.message
    overlap = text.replace("min: 1001", "min: 1000")
    assert errors_of(overlap)[0].code == "band-overlap"
    short = text.replace(", {min: 50000001, label: high}", "")
    assert errors_of(short)[0].code == "band-range"


def test_tiny_step_scale_is_bounded() -> None:
    text = HEAD + """\
scales:
  fine: {type: numeric, min: 0, max: 1000000, step: 0.000001}
items:
  - {id: a, text: A, scale: fine}
  - {id: b, text: B, scale: fine}
scores:
  - {id: total, items: all, bands: [{max: 10, label: low}, {label: high}]}
"""
    start = time.process_time()
    m = ml.loads(text)
    assert time.process_time() - start < 2
    assert m.score_range("total") == (0, 2_000_000)


def test_many_items_are_checked_in_linear_time() -> None:
    def load(n: int) -> float:
        text = HEAD + SCALE + _items(n) + (
            "scores:\n  - {id: total, items: all, bands: [{max: 500, label: low}, "
            "{min: 501, label: high}]}\n  - id: some\n    items: ["
            + ", ".join(f"i{k}" for k in range(0, n, 2)) + "]\n")
        start = time.process_time()  # this process's CPU: other processes do not count
        with ml.limits(items=n):
            m = ml.loads(text)
        assert len(m.items) == n and m.item(f"i{n - 1}").id == f"i{n - 1}"
        return time.process_time() - start

    # the best of a few runs each, so that a pause of the machine is not read as growth
    small = min(load(1_000) for _ in range(3))
    large = min(load(10_000) for _ in range(2))
    assert large / small < 30  # linear: ~10; quadratic checks (before the index) ~100


# ----------------------------------------------------------------------------- confinement
def _table_def(file: str) -> str:
    return HEAD + SCALE + "items: [{id: a, text: A, scale: s}]\n" + (
        f"tables:\n  t: {{file: {file!r}}}\n"
        "scores: [{id: total, items: all, transform: {table: t}}]\n")


@pytest.mark.parametrize("target", ["/etc/passwd", "../outside.csv", "/dev/zero", "sub"])
def test_table_files_are_confined(tmp_path: Path, target: str) -> None:
    folder = tmp_path / "def"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "outside.csv").write_text("k,v\nSECRET-LINE,1\n")
    path = folder / "m.yaml"
    path.write_text(_table_def(target))
    with pytest.raises(DefinitionError) as info:
        ml.load(path)
    text = str(info.value)
    assert info.value.errors[0].code == "file-outside-folder"
    assert "root:" not in text and "SECRET-LINE" not in text
    assert info.value.errors[0].location.line == 10


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "def"
    folder.mkdir()
    (tmp_path / "secret.csv").write_text("k,v\n0,1\n1,2\n")
    (folder / "t.csv").symlink_to(tmp_path / "secret.csv")
    path = folder / "m.yaml"
    path.write_text(_table_def("t.csv"))
    with pytest.raises(DefinitionError) as info:
        ml.load(path)
    assert info.value.errors[0].code == "file-outside-folder"
    with ml.limits(allow_folders=[tmp_path]):  # the explicit allow-list
        assert ml.load(path).tables["t"] == {0: 1, 1: 2}


def test_table_file_rows_are_not_echoed(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("k,v\nPRIVATE-VALUE,1\n")
    path = tmp_path / "m.yaml"
    path.write_text(_table_def("t.csv"))
    with pytest.raises(DefinitionError) as info:
        ml.load(path)
    assert "PRIVATE-VALUE" not in str(info.value)
    assert info.value.errors[0].location.line == 2


def test_table_rows_and_cells_limits(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("k,v\n" + "".join(f"{i},{i}\n" for i in range(300)))
    path = tmp_path / "m.yaml"
    path.write_text(_table_def("t.csv"))
    with ml.limits(table_rows=100), pytest.raises(DefinitionError) as info:
        ml.load(path)
    assert info.value.errors[0].code == "limit-exceeded"
    (tmp_path / "t.csv").write_text("k,v\n0," + "9" * 40_000 + "\n")  # > 32,767
    with pytest.raises(DefinitionError) as info:
        ml.load(path)
    assert info.value.errors[0].code == "limit-exceeded"
    assert "cell_chars" in info.value.errors[0].hint


def test_graphics_are_confined(tmp_path: Path) -> None:
    folder = tmp_path / "def"
    folder.mkdir()
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>SECRET</text></svg>')
    (folder / "link.svg").symlink_to(secret)
    (folder / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    from measurelib.forms import resolve_graphic

    assert resolve_graphic("ok.svg", folder) == (folder / "ok.svg").resolve()
    for name in ("../secret.svg", str(secret), "link.svg"):
        with pytest.raises(DefinitionError) as info:
            resolve_graphic(name, folder)
        assert info.value.errors[0].code == "file-outside-folder"
    m = ml.loads(HEAD + "scales:\n  s: {type: ordinal, options: [{value: 0, label: a, graphic: "
                 "../secret.svg, alt: x}, {value: 1, label: b}]}\nitems: [{id: a, text: A, "
                 "scale: s}]\n")
    with pytest.raises(DefinitionError) as info:
        ml.render(m, "html", base_dir=folder)
    assert info.value.errors[0].code == "file-outside-folder"
    assert "SECRET" not in str(info.value)


# ----------------------------------------------------------------------------- PDF fetcher
class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Recorder.hits.append(self.path)
        body = b'<svg xmlns="http://www.w3.org/2000/svg"><text y="20">HTTPLEAK</text></svg>'
        self.send_response(200)
        self.send_header("Content-Type", "image/svg+xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_pdf_engine_fetches_nothing_outside_the_document(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    import base64

    from measurelib._output import write_pdf

    local = tmp_path / "local.svg"
    local.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
                     '<text x="0" y="20">FILELEAK</text></svg>')
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
               f'width="200" height="200"><image href="file://{local}" width="200" height="40"/>'
               f'<image xlink:href="{local}" y="40" width="200" height="40"/>'
               f'<image href="http://127.0.0.1:{port}/leak.svg" y="80" width="200" height="40"/>'
               '<text x="0" y="190">EMBEDDED</text></svg>')
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        html = (f'<html><body><p>Form</p><img src="{uri}" alt="x">'
                f'<img src="http://127.0.0.1:{port}/direct.png" alt="y">'
                f'<div style="background: url(file://{local})">z</div></body></html>')
        pdf = write_pdf(html)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert _Recorder.hits == []
    assert pdf.startswith(b"%PDF")
    out = tmp_path / "f.pdf"
    out.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Form" in text
    assert "FILELEAK" not in text and "HTTPLEAK" not in text


def test_many_deep_flow_lines_stop_at_the_first() -> None:
    line = "[" * 999 + "]" * 999
    text = HEAD + "description:\n" + "".join(f"  - {line}\n" for _ in range(200))
    (err,) = timed_errors(text)
    assert err.code == "limit-exceeded" and err.location.line == 7

"""Read commands refuse a store that does not exist; measures resolve from the store;
stored responses export; store URLs never show their password."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.outcomes.store import mask_credentials

PHQ9 = ml.load("phq-9")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def forms(n: int = 6) -> pd.DataFrame:
    df = pd.DataFrame({"respondent_id": [f"p{i}" for i in range(n)], "timepoint": "baseline",
                       "date": "2025-01-06"})
    for it in PHQ9.items[:9]:
        df[it.code] = str(1 + len(df) % 2)
    return df


# ------------------------------------------------------------------ a mistyped --db
@pytest.mark.parametrize("command", [
    ["report", "--measure", "phq-9", "-o", "r.html"],
    ["feedback", "--respondent", "p1", "-o", "me.html"],
    ["due", "--schedule", "s.yaml"],
    ["export-responses", "phq-9", "-o", "out.csv"],
])
def test_read_commands_refuse_a_missing_store(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "s.yaml").write_text("measures: [phq-9]\ntimepoints:\n"
                                     "  - {id: baseline, at: entry}\n")
    res = run(*command, "--db", "stroe.db", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "stroe.db" in res.stderr and "no store" in res.stderr
    assert "store-not-found" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "stroe.db").exists()  # nothing was created


def test_store_refuses_missing_or_empty_database(store_url: str, tmp_path: Path) -> None:
    with pytest.raises(ml.DataError, match="no store at .*(does not exist|no measurelib)"):
        ml.Store(tmp_path / "nothing.db", create=False)
    assert not (tmp_path / "nothing.db").exists()
    if not store_url.endswith(".db"):  # an empty PostgreSQL database is not a store either
        with pytest.raises(ml.DataError, match="holds no measurelib tables"):
            ml.Store(store_url, create=False)
    ml.Store(store_url).close()
    with ml.Store(store_url, create=False) as s:
        assert s.revision is not None


def test_import_creates_the_store(tmp_path: Path) -> None:
    forms().to_csv(tmp_path / "f.csv", index=False)
    assert run("import", "phq-9", "f.csv", "--db", "new.db", cwd=tmp_path).returncode == 0
    assert (tmp_path / "new.db").exists()


# ------------------------------------------------------------------ credentials
def test_malformed_url_does_not_echo_its_password() -> None:
    for url in ("postgresql://ann:Sup3rSecret@host:notaport/db",
                "postgresql+nosuchdriver://ann:Sup3rSecret@host/db",
                "postgresql://ann:Sup3rSecret@/db?host=/nonexistent&port=1"):
        with pytest.raises((ml.DataError, ImportError)) as err:
            ml.Store(url)
        text = str(err.value) + repr(getattr(err.value, "errors", ""))
        assert "Sup3rSecret" not in text
        assert "***" in text or "needs" in text


def test_store_repr_and_url_hide_the_password(postgres: object) -> None:
    url = postgres.create_database()  # type: ignore[attr-defined]
    with_pw = url.replace("postgres@", "postgres:Sup3rSecret@")
    with ml.Store(with_pw) as s:  # trust authentication: the password is not checked
        assert "Sup3rSecret" not in repr(s) and "Sup3rSecret" not in s.url


def test_cli_never_prints_the_password(tmp_path: Path) -> None:
    res = run("report", "--db", "postgresql://ann:Sup3rSecret@host:99999999/db",
              "--measure", "phq-9", "-o", "r.html", cwd=tmp_path)
    assert res.returncode == 2 and "Sup3rSecret" not in res.stderr + res.stdout
    assert "Traceback" not in res.stderr


@settings(max_examples=300, deadline=None)
@given(user=st.text(st.characters(blacklist_characters=":/@\n\r"), max_size=10),
       password=st.text(st.characters(blacklist_characters="@\n\r"), min_size=4, max_size=20),
       scheme=st.sampled_from(["postgresql", "postgresql+psycopg", "postgres"]))
def test_mask_credentials_property(user: str, password: str, scheme: str) -> None:
    text = f"cannot connect: {scheme}://{user}:{password}@host/db failed"
    masked = mask_credentials(text)
    assert f":{password}@" not in masked and f"{scheme}://{user}:***@host/db" in masked
    assert mask_credentials("host=x password=abc&user=b") == "host=x password=***&user=b"


# ------------------------------------------------------------------ measures from the store
HUB = """\
format: 1
id: hub-check
version: 1.0.0
title: Hub check-in
licence: {holder: The Hub, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  s: {type: ordinal, options: [{value: 0, label: No}, {value: 1, label: Sometimes},
                               {value: 2, label: Yes}]}
items:
  - {id: calm, text: I have felt calm, scale: s}
  - {id: ok, text: "=I have coped", scale: s}
scores:
  - {id: total, items: all, method: sum, higher_is_better: true}
"""


@pytest.fixture
def hub_store(tmp_path: Path) -> Path:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "hub.yaml").write_text(HUB)
    df = pd.DataFrame({"respondent_id": ["=HYPERLINK(\"x\")", "p2", "p1", "p2"],
                       "timepoint": ["baseline", "baseline", "exit", "exit"],
                       "date": ["2025-01-06", "2025-01-07", "2025-03-01", "2025-03-02"],
                       "calm": ["0", "1", "2", "2"], "ok": ["0", "0", "2", "1"],
                       "site": ["@North", "North", "North", "North"]})
    df.to_csv(tmp_path / "hub.csv", index=False)
    res = run("import", "defs/hub.yaml", "hub.csv", "--db", "s.db", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return tmp_path


def test_report_resolves_a_measure_from_the_store(hub_store: Path) -> None:
    res = run("report", "--db", "s.db", "--measure", "no-such-measure", "-o", "r.json",
              cwd=hub_store)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run("report", "--db", "s.db", "--measure", "hub-check", "-o", "r.json",
              cwd=hub_store)
    assert res.returncode == 0, res.stderr
    assert json.loads((hub_store / "r.json").read_text())["data"]
    with ml.Store(hub_store / "s.db") as s:
        assert s.find_measure("hub-check").id == "hub-check"
        assert s.find_measure("hub-check@1.0.0").version == "1.0.0"
        assert s.measure_ids() == ["hub-check"]
        with pytest.raises(LookupError):
            s.measure("hub-check", "9.9.9")


def test_messages_about_options_name_the_option(hub_store: Path) -> None:
    res = run("feedback", "--db", "s.db", "--respondent", "nobody", "-o", "me.html",
              cwd=hub_store)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("--respondent: error[usage]: no forms are stored for "
                                 "respondent 'nobody'")
    assert "export-responses" in res.stderr and not (hub_store / "me.html").exists()
    res = run("due", "--db", "s.db", "--on", "2026-13-45", cwd=hub_store)
    assert res.returncode == 2
    assert res.stderr.startswith("--on: error[usage]: --on '2026-13-45' is not a date")
    assert "column '--on'" not in res.stderr


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_export_responses(hub_store: Path, suffix: str) -> None:
    out = f"out{suffix}"
    res = run("export-responses", "hub-check", "--db", "s.db", "-o", out, "--format", "json",
              cwd=hub_store)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["n_rows"] == 4
    path = hub_store / out
    df = (pd.read_csv(path, dtype=str) if suffix == ".csv" else
          pd.read_excel(path, dtype=str) if suffix == ".xlsx" else pd.read_parquet(path))
    assert len(df) == 4
    df = df.sort_values("date").reset_index(drop=True)
    assert {"respondent_id", "timepoint", "date", "calm", "ok", "total", "total_band"} <= set(
        df.columns)
    assert pd.to_numeric(df["total"]).tolist() == [0.0, 1.0, 4.0, 3.0]
    assert df["date"].tolist() == ["2025-01-06", "2025-01-07", "2025-03-01", "2025-03-02"]
    if suffix != ".parquet":  # spreadsheets: no live formula, ids otherwise as stored
        assert df["respondent_id"].iloc[0] == "'=HYPERLINK(\"x\")"
        assert df["site"].iloc[0] == "'@North"
    assert df["respondent_id"].iloc[1] == "p2"


def test_export_responses_in_chunks_matches_one_read(store: ml.Store, tmp_path: Path) -> None:
    store.import_frame(PHQ9, forms(23))
    one = store.export_responses(PHQ9, tmp_path / "a.csv")
    many = store.export_responses("phq-9", tmp_path / "b.csv", chunksize=5)
    assert one.n_rows == many.n_rows == 23
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    with pytest.raises(ValueError, match="allowed file types"):
        store.export_responses(PHQ9, tmp_path / "x.docx")

"""The adoption kit: `jifen plugin new` (a plugin that installs, passes its tests and is listed),
`jifen doctor` (what is installed and what is misconfigured) and `jifen tenant init` (a new
city's tenant file, flag-driven or interactive, that validates and applies)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from typer.testing import CliRunner

from jifen.cli import app
from jifen.config import load_config
from jifen.errors import JifenError
from jifen.model.claims import ClaimSubmit
from jifen.store.migrate import upgrade

KEY = base64.b64encode(bytes(32)).decode()


def jifen(*args: str, cwd: Path, env: dict[str, str] | None = None,
          python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "jifen", *args], cwd=cwd, text=True, capture_output=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, check=False)


# --- jifen plugin new ------------------------------------------------------------------------------

def venv_with_this_jifen(folder: Path) -> Path:
    """A fresh virtual environment that sees this environment's packages (jifen, pytest) through
    a .pth file, so that installing into it is quick and leaves this environment alone."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    ours = sysconfig.get_paths()["purelib"]
    Path(site.stdout.strip(), "_jifen_here.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n", encoding="utf-8")
    return python


def test_plugin_new_installs_passes_its_own_tests_and_is_listed(tmp_path: Path) -> None:
    made = jifen("plugin", "new", "parking", "--dir", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    plugin = tmp_path / "jifen-parking"
    assert {p.relative_to(plugin).as_posix() for p in plugin.rglob("*") if p.is_file()} == {
        "pyproject.toml", "README.md", "src/jifen_parking/__init__.py",
        "src/jifen_parking/py.typed", "tests/test_plugin.py", "docs/parking.md"}

    python = venv_with_this_jifen(tmp_path / "venv")
    uv = shutil.which("uv")
    assert uv is not None, "uv installs the generated plugin (it is on PATH wherever jifen is built)"
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps",
                    str(plugin)], check=True)
    sqlite_only = {k: v for k, v in os.environ.items()
                   if k not in ("JIFEN_TEST_POSTGRES_URL", "JIFEN_REQUIRE_POSTGRES")}
    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:randomly", "-p",
                            "no:cacheprovider"], cwd=plugin, env=sqlite_only, text=True,
                           capture_output=True, check=False)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "5 passed" in tests.stdout

    listed = jifen("plugins", "list", "--json", cwd=tmp_path, python=str(python))
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)["plugins"]}
    assert rows["parking"]["from"] == "jifen-parking 0.1.0"
    assert rows["parking"]["hooks"] == ["check_claim_evidence", "register_catalogue_items"]


def test_plugin_new_refuses_a_bad_name_and_a_taken_folder_writing_nothing(tmp_path: Path) -> None:
    bad = jifen("plugin", "new", "Parking Lot", "--dir", str(tmp_path), cwd=tmp_path)
    assert bad.returncode == 2 and "error[plugin.scaffold_refused]" in bad.stderr
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "jifen-parking").mkdir()
    (tmp_path / "jifen-parking" / "notes.txt").write_text("mine", encoding="utf-8")
    taken = jifen("plugin", "new", "parking", "--dir", str(tmp_path), cwd=tmp_path)
    assert taken.returncode == 2 and "is not empty" in taken.stderr
    assert [p.name for p in (tmp_path / "jifen-parking").iterdir()] == ["notes.txt"]


# --- jifen doctor ----------------------------------------------------------------------------------

def doctor(tmp_path: Path, url: str, **env: str) -> tuple[int, dict[str, object]]:
    ran = jifen("doctor", "--json", "--database", url, cwd=tmp_path,
                env={"JIFEN_MASTER_KEY": KEY, **env})
    return ran.returncode, json.loads(ran.stdout)


def problems(report: dict[str, object]) -> list[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [f"{f['topic']}: {f['message']}" for f in findings if f["level"] == "problem"]


def test_doctor_passes_a_migrated_installation_and_lists_plugins_hooks_and_profiles(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    upgrade(url)
    code, report = doctor(tmp_path, url)
    assert (code, problems(report)) == (0, [])
    plugins = {p["name"]: p["hooks"] for p in report["plugins"]}  # type: ignore[attr-defined]
    assert "register_point_kinds" in plugins["example_kind"]
    assert report["profiles"] == {"core": [], "redemption": [], "scenarios": [], "governance": []}


def test_doctor_reports_each_misconfiguration_and_exits_1(tmp_path: Path) -> None:
    code, report = doctor(tmp_path, f"sqlite:///{tmp_path / 'never-made.db'}",
                          JIFEN_DISABLED_PLUGINS="survey,bank_vip", JIFEN_MASTER_KEY="c2hvcnQ=")
    assert code == 1
    found = problems(report)
    assert any(p.startswith("JIFEN_DISABLED_PLUGINS: names 'survey', which is no installed")
               for p in found)
    assert any("no database file yet; run `jifen db upgrade`" in p for p in found)
    assert any(p.startswith("master key: JIFEN_MASTER_KEY is not the base64 of 32 bytes")
               for p in found)
    assert report["profiles"]["scenarios"] == ["bank_vip"]  # type: ignore[index]
    assert not (tmp_path / "never-made.db").exists()  # the doctor changes nothing


def test_doctor_reports_a_schema_behind_the_installed_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    code, report = doctor(tmp_path, url)
    assert code == 1
    assert any("schema not up to date" in p and "run `jifen db upgrade`" in p
               for p in problems(report))


# --- jifen tenant init -----------------------------------------------------------------------------

def apply(path: Path, url: str) -> str:
    result = CliRunner().invoke(app, ["tenant", "apply", str(path), "--approved-by", "委员会 test",
                                      "--database", url])
    assert result.exit_code == 0, result.output
    return result.output


def test_jf_org_2_tenant_init_from_flags_writes_a_file_that_validates_and_applies(
        tmp_path: Path, database_url: str) -> None:
    code = f"c{uuid.uuid4().hex[:8]}"
    out = tmp_path / "city.yaml"
    result = CliRunner().invoke(app, [
        "tenant", "init", "--out", str(out), "--code", code, "--name", "包头市", "--district",
        "昆都仑区", "--street", "少先路街道", "--community", "团结社区", "--grids", "3",
        "--budget-yuan", "50000", "--valid-from", "2024-01-01"])
    assert result.exit_code == 0, result.output
    config = load_config(out)
    assert [p.limit_points for p in config.pools] == [5_000_000]  # 100 points per yuan
    community = config.org.children[0].children[0].children[0]
    assert (community.name, len(community.children)) == ("团结社区", 3)
    assert f"tenant {code} created" in apply(out, database_url)
    assert f"tenant {code}: unchanged" in apply(out, database_url)


def test_jf_org_2_tenant_init_interactive_asks_for_what_is_missing(
        tmp_path: Path, database_url: str) -> None:
    code = f"c{uuid.uuid4().hex[:8]}"
    answers = [code, "呼和浩特市", "", "新城区", "", "", "1", "", "20000", "2024-03-01"]
    result = CliRunner().invoke(app, ["tenant", "init", "-i", "--out", str(tmp_path / "c.yaml")],
                                input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Tenant code" in result.output and "valid" in result.output
    raw = yaml.safe_load((tmp_path / "c.yaml").read_text(encoding="utf-8"))
    assert (raw["code"], raw["name"], raw["timezone"]) == (code, "呼和浩特市", "Asia/Shanghai")
    assert raw["org"]["children"][0]["name"] == "新城区"
    assert f"tenant {code} created" in apply(tmp_path / "c.yaml", database_url)


def test_tenant_init_refuses_an_invalid_answer_and_an_existing_file_leaving_nothing(
        tmp_path: Path) -> None:
    bad = jifen("tenant", "init", "--code", "bad code!", "--name", "x", cwd=tmp_path)
    assert bad.returncode == 2 and "error[config.invalid]" in bad.stderr and "code" in bad.stderr
    assert list(tmp_path.iterdir()) == []
    missing = jifen("tenant", "init", "--name", "x", cwd=tmp_path)
    assert missing.returncode == 2 and "--code" in missing.stderr
    (tmp_path / "mine.yaml").write_text("code: mine\n", encoding="utf-8")
    taken = jifen("tenant", "init", "--code", "mine", "--name", "x", cwd=tmp_path)
    assert taken.returncode == 2 and "exists" in taken.stderr
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8") == "code: mine\n"


@pytest.mark.parametrize(("grids", "says"), [("0", "error[input.invalid]: grids"),
                                              ("two", "Invalid value for '--grids'")])
def test_tenant_init_refuses_a_grid_count_that_is_not_a_positive_number(
        tmp_path: Path, grids: str, says: str) -> None:
    bad = jifen("tenant", "init", "--code", "x", "--name", "x", "--grids", grids, cwd=tmp_path)
    assert bad.returncode == 2 and says in bad.stderr
    assert list(tmp_path.iterdir()) == []


# --- jifen role grant ------------------------------------------------------------------------------

def test_jf_priv_1_role_grant_lets_a_subject_review_at_its_unit_once(
        tenant_factory: Any, database_url: str) -> None:
    city = tenant_factory()
    reviewer, resident = city.resident("新审核员", grid="grid-2"), city.resident("王五")
    claim = city.platform.claims.submit(city.id, ClaimSubmit(
        idempotency_key=uuid.uuid4().hex, subject_id=resident.id, item="good.deed", amount="3",
        deed_date=date(2024, 2, 28), evidence={"photo": "p-1"})).claim
    with pytest.raises(JifenError) as refused:
        city.platform.claims.approve(city.id, claim.id, reviewer.id)
    assert refused.value.code == "access.forbidden"

    grant = ["role", "grant", "--tenant", city.tenant.code, "--subject", reviewer.code, "--role",
             "reviewer", "--at", "community", "--database", database_url]
    result = CliRunner().invoke(app, grant)
    assert result.exit_code == 0, result.output
    assert f"{reviewer.code} is reviewer at community" in result.output
    approved = city.platform.claims.approve(city.id, claim.id, reviewer.id)
    assert approved.claim.state == "approved"
    again = CliRunner().invoke(app, grant)
    assert isinstance(again.exception, JifenError) and again.exception.code == "conflict"


def test_doctor_reports_an_installed_plugin_with_a_misspelt_hook(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "jifen_typo-0.1.0.dist-info").mkdir(parents=True)
    (site / "jifen_typo-0.1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: jifen-typo\nVersion: 0.1.0\n", encoding="utf-8")
    (site / "jifen_typo-0.1.0.dist-info" / "entry_points.txt").write_text(
        "[jifen]\ntypo = jifen_typo\n", encoding="utf-8")
    (site / "jifen_typo.py").write_text(
        "from jifen import hookimpl\n\n\n@hookimpl\ndef register_point_kind(register):\n"
        "    pass\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'city.db'}"
    upgrade(url)
    code, report = doctor(tmp_path, url, PYTHONPATH=str(site))
    assert code == 1
    found = problems(report)
    assert any(p.startswith("plugin typo: jifen-typo does not load: PluginValidationError")
               and "register_point_kind" in p for p in found), found
    assert any(p.startswith("plugins: the plugins cannot be loaded together") for p in found)

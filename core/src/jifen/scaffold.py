"""Starting files from templates in ``jifen/data``: ``jifen plugin new NAME`` writes a plugin
distribution (pyproject with the ``jifen`` entry point, a hook implementation, tests on jifen's
pytest fixtures, a docs page); ``jifen tenant init`` writes a new city's tenant file, validated."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import jifen
from jifen.config import TenantConfig, load_config
from jifen.errors import InvalidInput

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")


class ScaffoldError(InvalidInput):
    """The plugin's name is not usable, or its folder is taken; nothing was written."""

    code = "plugin.scaffold_refused"


@dataclass(frozen=True)
class PluginNames:
    """The names one plugin goes by, all derived from ``name``."""

    name: str
    entry_point: str
    module: str
    dist: str
    item: str

    @classmethod
    def of(cls, name: str) -> PluginNames:
        if not NAME_PATTERN.match(name) or len(name) > 40:
            raise ScaffoldError(f"plugin name {name!r}: use lower-case letters, digits, '-' or '_', "
                                "starting with a letter (at most 40 characters), e.g. 'parking'")
        snake = name.replace("-", "_")
        return cls(name=name, entry_point=snake, module=f"jifen_{snake}",
                   dist=f"jifen-{snake.replace('_', '-')}", item=f"{snake}.activity")

    def values(self) -> dict[str, str]:
        return {"name": self.name, "entry_point": self.entry_point, "module": self.module,
                "dist": self.dist, "item": self.item, "category": self.entry_point,
                "jifen_version": jifen.__version__}


def _walk(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        path = f"{prefix}{entry.name}"
        found += _walk(entry, path + "/") if entry.is_dir() else [(path, entry)]
    return found


def new_plugin(name: str, parent: Path) -> tuple[PluginNames, Path, list[Path]]:
    """Write the distribution of plugin ``name`` into ``parent/jifen-<name>``; refuse (writing
    nothing) if that folder exists and is not empty. Return the names, the folder and the files."""
    names = PluginNames.of(name)
    target = parent / names.dist
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} exists and is not empty; choose another --dir or name")
    values = names.values()
    written: list[Path] = []
    for relative, source in _walk(files("jifen") / "data" / "plugin_template"):
        if not relative.endswith(".tmpl"):
            continue
        path = target / relative.removesuffix(".tmpl").replace("__module__", names.module) \
            .replace("docs/index.md", f"docs/{names.entry_point}.md")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(source.read_text(encoding="utf-8")).substitute(values),
                        encoding="utf-8")
        written.append(path)
    return names, target, written


#: The questions of ``jifen tenant init``: field, prompt, default (``None``: no default).
CITY_QUESTIONS: tuple[tuple[str, str, str | None], ...] = (
    ("code", "Tenant code (letters, digits, '.', '-', '_'), e.g. baotou", None),
    ("name", "City name, e.g. 包头市", None),
    ("timezone", "Time zone", "Asia/Shanghai"),
    ("district", "First district", "第一区"),
    ("street", "First street", "第一街道"),
    ("community", "First community", "第一社区"),
    ("grids", "Grids in that community", "2"),
    ("pool_owner", "Who funds material points (the pool's owner)", "民政局 civil affairs bureau"),
    ("budget_yuan", "Yearly budget for material points, in yuan", "100000"),
    ("valid_from", "Date the catalogue takes effect (YYYY-MM-DD)", None),
)


def city_defaults(today: date) -> dict[str, str]:
    """The default answers, the catalogue starting on the first day of ``today``'s month."""
    found = {key: default for key, _, default in CITY_QUESTIONS if default is not None}
    return {**found, "valid_from": today.replace(day=1).isoformat()}


def _integer(answers: dict[str, str], key: str, low: int) -> int:
    try:
        value = int(answers[key])
    except ValueError:
        value = low - 1
    if value < low:
        raise InvalidInput(f"{key}: {answers[key]!r} is not a whole number of at least {low}",
                           field=key)
    return value


def render_tenant_file(answers: dict[str, str], file_name: str) -> str:
    """The tenant file's YAML text for ``answers`` (every key of `CITY_QUESTIONS`)."""
    code, community = answers["code"], answers["community"]
    grids = _integer(answers, "grids", 1)
    rate = 100
    values: dict[str, object] = {
        **{f"{key}_q": json.dumps(value, ensure_ascii=False) for key, value in answers.items()},
        "name": answers["name"], "file": file_name, "rate": rate,
        "district_code_q": json.dumps(f"{code}.d1"), "street_code_q": json.dumps(f"{code}.d1.s1"),
        "community_code_q": json.dumps(f"{code}.d1.s1.c1"),
        "pool_code_q": json.dumps(f"{code}.pool"),
        "pool_name_q": json.dumps(f"{answers['name']} 积分兑换预算 points budget",
                                  ensure_ascii=False),
        "budget_yuan": _integer(answers, "budget_yuan", 0),
        "limit_points": _integer(answers, "budget_yuan", 0) * rate,
        "valid_from": answers["valid_from"],
        "grids": "".join(
            f"                - {{code: {json.dumps(f'{code}.d1.s1.c1.g{i:02d}')}, name: "
            f"{json.dumps(f'{community}第{i}网格', ensure_ascii=False)}, level: grid}}\n"
            for i in range(1, grids + 1)),
    }
    template = files("jifen") / "data" / "tenant_template.yaml.tmpl"
    return Template(template.read_text(encoding="utf-8")).substitute(values)


def new_tenant_file(answers: dict[str, str], out: Path, *, force: bool = False) -> TenantConfig:
    """Write the tenant file for ``answers`` to ``out`` and validate it with `load_config`; on
    any error (``config.invalid`` naming the line and field) ``out`` is left as it was."""
    if out.exists() and not force:
        raise ScaffoldError(f"{out} exists; choose another --out, or --force to replace it")
    before = out.read_bytes() if out.exists() else None
    out.write_text(render_tenant_file(answers, out.name), encoding="utf-8")
    try:
        return load_config(out)
    except Exception:
        if before is None:
            out.unlink()
        else:
            out.write_bytes(before)
        raise

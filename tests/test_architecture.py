"""The layers of README "How it is built" hold: import-linter's contracts (pyproject.toml) and one rule it
cannot express, that no module uses another module's private (``_name``) names."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("notices", "scheduler", "tracker")


def test_the_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-logo", "--no-cache"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "4 kept" in result.stdout


def private_uses(path: Path, tree: ast.AST) -> list[str]:
    """``from x import _name`` and ``module._name`` where ``module`` was imported from this project."""
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path}:{node.lineno} imports {node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr != "_meta"  # Django's public model options
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"{path}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    problems = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            problems += private_uses(path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8")))
    assert not problems, "\n".join(problems)


def test_the_private_name_check_sees_both_forms():
    code = "from notices.store import _table\nfrom notices import pdf\npdf._render(1)\n"
    assert len(private_uses(Path("x.py"), ast.parse(code))) == 2


def test_the_notices_core_names_no_scheduler_import():
    """What the issue asked to grep: no ``from scheduler``/``import scheduler`` in notices outside delivery."""
    delivery = {"web", "api", "admin.py", "management"}
    offenders = [
        f"{path}:{n}"
        for path in sorted((ROOT / "notices").rglob("*.py"))
        if not delivery.intersection(path.relative_to(ROOT / "notices").parts)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.lstrip().startswith(("from scheduler", "import scheduler"))
    ]
    assert not offenders


def test_every_setting_read_from_the_environment_is_in_the_readme():
    import re

    names = set()
    for path in (ROOT / "tracker" / "settings.py", ROOT / "tracker" / "env.py"):
        names |= set(re.findall(r'\b(?:string|boolean|integer|strings)\("([A-Z][A-Z0-9_]+)"', path.read_text()))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(names) > 40
    assert not sorted(n for n in names if f"`{n}`" not in readme)

"""Imports go one way: a module never imports one from a higher layer (ARCHITECTURE.md)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "planning"

#: Top-level module or package of planning → layer (bottom 0 … entry 6).
LAYER = {
    "_errors": 0, "config": 0, "schema": 0,
    "county": 1, "crs": 1, "validate": 1, "io": 1, "demo": 1,
    "network": 2,
    "coverage": 3, "rules": 3, "models": 3, "recipes": 3,
    "scenarios": 4, "cache": 4,
    "maps": 5, "reports": 5,
    "runner": 6, "comparison": 6, "province": 6, "cli": 6, "commands": 6, "__main__": 6, "__init__": 6,
}
#: Within layer 3, recipes build on the others; the others never import recipes.
NOT_FROM = {("coverage", "recipes"), ("rules", "recipes"), ("models", "recipes"), ("models", "rules"),
            ("models", "coverage"), ("models", "network")}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("planning."):
            yield node.module.split(".")[1], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("planning."):
                    yield alias.name.split(".")[1], node.lineno


def test_every_module_has_a_layer():
    missing = sorted({p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")} - set(LAYER))
    assert missing == [], f"give these modules a layer in tests/test_layers.py: {missing}"


def _upward_imports(package: Path) -> list[str]:
    wrong = []
    for path in sorted(package.rglob("*.py")):
        me = path.relative_to(package).parts[0].removesuffix(".py")
        for target, line in _imports(path):
            if target in LAYER and (LAYER[target] > LAYER[me] or (me, target) in NOT_FROM):
                wrong.append(f"{path.relative_to(package.parent)}:{line} imports planning.{target}")
    return wrong


def test_no_upward_imports():
    assert _upward_imports(PACKAGE) == []


def test_the_check_catches_an_upward_import(tmp_path):
    fake = tmp_path / "planning"
    (fake / "models").mkdir(parents=True)
    (fake / "models" / "x.py").write_text("from planning.maps import make_map\n", encoding="utf-8")
    (fake / "rules.py").write_text("import planning.recipes.base\n", encoding="utf-8")
    assert _upward_imports(fake) == ["planning/models/x.py:1 imports planning.maps",
                                     "planning/rules.py:1 imports planning.recipes"]

"""The package's import graph: serving code never imports training code, and no module imports itself back.

Every ``import``/``from ... import`` in ``ner/`` (top level and inside functions) is read with
``ast``; relative imports are resolved against the importing module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ner"

# A module whose job is training may import ``ner.train``: the commands, the backend's retrainer
# (it trains a new model from Label Studio's annotations), and the quality tools that train models
# to measure (learning curves, the critic's cross-validation folds). Nothing that serves or tags.
MAY_TRAIN = ("ner.train", "ner.commands", "ner.backend.retrain", "ner.quality")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The ``ner`` modules ``name`` imports (``from pkg import mod`` counts as ``pkg.mod`` when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ner.models.navec.NavecNet -> ner.models.navec
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def test_the_graph_reads_the_imports_it_should():
    g = graph()
    assert "ner.models" in g["ner.tagger.core"]
    assert "ner.models.navec" in g["ner.train.loop"]
    assert "ner.models.base" in g["ner.models.navec"]


def test_nothing_that_serves_or_tags_imports_training_code():
    for serving in ("ner.tagger", "ner.backend.app", "ner.tagger.spacy_component", "ner.labelstudio"):
        assert not serving.startswith(MAY_TRAIN)
    offenders = sorted(f"{name} imports {target}" for name, targets in graph().items()
                       if not name.startswith(MAY_TRAIN)
                       for target in targets if target == "ner.train" or target.startswith("ner.train."))
    assert offenders == []


def test_models_never_import_train():
    g = graph()
    assert not any(t.startswith("ner.train") for name in g if name.startswith("ner.models") for t in g[name])


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan), i.e. each import circle."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_cycles_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_among_modules():
    """A package importing its own submodules (``__init__`` re-exports) is not a circle; anything else is."""
    g = graph()
    without_inits = {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in g.items()}
    assert cycles(without_inits) == []


def test_the_environment_is_read_in_one_module():
    """``os.environ``/``os.getenv`` appear only in ``ner/settings.py`` (issue 17)."""
    offenders = sorted(str(p.relative_to(ROOT.parent)) for p in ROOT.rglob("*.py")
                       if p.name != "settings.py" and ("os.environ" in p.read_text(encoding="utf-8")
                                                       or "getenv(" in p.read_text(encoding="utf-8")))
    assert offenders == []


def _private_command_imports(path: Path, package: str) -> list[str]:
    """``from ner.commands.X import _name`` (or ``from .X import _name`` inside commands/) in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module or ""
        if node.level and package == "ner.commands":
            module = f"ner.commands.{module}" if module else "ner.commands"
        if module.startswith("ner.commands.") and any(a.name.startswith("_") for a in node.names):
            found.append(f"{path.name}:{node.lineno} imports {', '.join(a.name for a in node.names)} from {module}")
    return found


def test_no_command_or_test_imports_a_commands_private_names():
    """Commands are signatures over library functions (issue 17): what two commands share lives in
    ``ner/commands/__init__.py`` or the library, and tests call the library, not a command's helpers."""
    tests = Path(__file__).resolve().parent
    offenders = [hit for p in sorted((ROOT / "commands").glob("*.py"))
                 for hit in _private_command_imports(p, "ner.commands")]
    offenders += [hit for p in sorted(tests.rglob("*.py")) if p.name != "test_layout.py"
                  for hit in _private_command_imports(p, "tests")]
    assert offenders == []

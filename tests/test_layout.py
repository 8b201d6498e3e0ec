"""The layout holds: a pure core, no import cycles, modules of a readable size.

These tests read the source (ast), so they see imports made inside functions too.
"""

import ast

import pytest
from conftest import ROOT

PACKAGE = ROOT / "directory"
CORE = (
    "catalogue",
    "geo",
    "imports",
    "search",
    "opendata",
    "sources",
    "orientations",
    "coverage",
)
WEB = ("web", "partners")
FLASK_LAYER = ("flask", "flask_wtf", "flask_compress", "werkzeug", "wtforms")
MAX_LINES = 400
# What each package may import of the others, as its __init__ docstring says.
ALLOWED = {
    "catalogue": {"schema"},
    "geo": set(),
    "search": {"catalogue", "geo", "schema"},
    "imports": {"catalogue", "geo", "schema", "search"},
    "opendata": {"catalogue", "imports", "schema"},
    "sources": {"catalogue", "geo", "imports", "schema"},
    "orientations": {"catalogue", "schema"},
    "coverage": {"catalogue", "schema"},
    "web": {*CORE, "db", "schema"},
    "partners": {*CORE, "web", "db", "schema"},
}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name):
    """Every module name an import statement of `name` refers to (absolute)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            # `from . import x` names the module x when x is one, else the package.
            for alias in node.names:
                child = f"{stem}.{alias.name}"
                found.add(child if child in MODULES else stem)
    return found


def internal_graph():
    """module -> the package's modules it imports (explicitly)."""
    return {
        name: {target for target in imports_of(name) if target in MODULES} - {name}
        for name in MODULES
    }


def test_every_capability_is_a_package_with_a_docstring():
    for package in CORE + WEB:
        init = PACKAGE / package / "__init__.py"
        assert init.exists(), f"directory/{package}/ n'est pas un paquet"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"{package}/__init__.py : docstring manquante"


@pytest.mark.parametrize("package", CORE)
def test_core_never_imports_the_flask_layer(package):
    offenders = []
    for name in MODULES:
        if not name.startswith(f"directory.{package}"):
            continue
        for target in imports_of(name):
            top = target.split(".")[0]
            inner = target.split(".")[1] if target.startswith("directory.") else None
            if top in FLASK_LAYER or inner in WEB or target == "directory":
                offenders.append(f"{name} -> {target}")
    assert not offenders


def test_the_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The rule above is not vacuous: a function-level flask import is caught."""
    fake = PACKAGE / "geo" / "gazetteer.py"
    source = fake.read_text(encoding="utf-8")
    source += "\n\ndef _x():\n    from flask import g\n"
    copy = tmp_path / "gazetteer.py"
    copy.write_text(source, encoding="utf-8")
    monkeypatch.setitem(MODULES, "directory.geo.gazetteer", copy)
    assert "flask" in imports_of("directory.geo.gazetteer")


def find_cycle(graph):
    """One import cycle of the graph as a list of modules, or None (iterative DFS)."""
    state = {}
    for start in graph:
        if start in state:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = "done"
            elif state.get(child) == "open":
                return path[path.index(child) :] + [child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_no_import_cycle():
    # Only explicit imports count: a package's __init__, run implicitly before
    # its children, is not an edge unless a name is taken from it.
    assert find_cycle(internal_graph()) is None


def test_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def part(name):
    """directory.web.api -> web; directory.cli -> cli; directory -> ''."""
    return name.split(".")[1] if "." in name else ""


def test_packages_import_only_what_they_declare():
    """The core stays layered (and the public side never needs the partners')."""
    offenders = [
        f"{name} -> {target}"
        for name, targets in internal_graph().items()
        if part(name) in ALLOWED
        for target in targets
        if part(target) != part(name) and part(target) not in ALLOWED[part(name)]
    ]
    assert not offenders


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_readable(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} : {lines} lignes, découpez par responsabilité"


def test_readme_shows_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = readme[readme.index("## Développement") :]
    for package in CORE + WEB:
        assert f"  {package}/" in tree, f"README : {package}/ absent de l'arbre"

"""Where the deployed code can publish: every call that leads to a queue's publish, found by AST.

The deployed code is what functions/main.py and listeners/main.py import, transitively (imports
inside functions included). A *direct* site calls `publish` or `publish_many` on a queue
(`deps.queue.publish_many(...)`, `self._queue.publish(...)`). A function *publishes* if it holds
a direct site or calls a publishing function; calls are resolved through the module's imports
(`name(...)`, `module.name(...)`), so a call through an object or a callback is not followed:
those are found by the direct sites they end in. Every call to a publishing function, and every
direct site, is a *publish site*: a scenario must pass through each one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "signal_copier"
ENTRY_FILES = (ROOT / "functions" / "main.py", ROOT / "listeners" / "main.py")
_PUBLISH = {"publish", "publish_many"}
_ADAPTERS = f"{PACKAGE}.queue"  # the queue adapters themselves: they are what is called


@dataclass(frozen=True, slots=True, order=True)
class Site:
    """One call in the source: its file, its lines, and the function it is in."""

    path: str  # relative to the repository
    first: int
    last: int
    function: str  # module.function (module.Class.method for a method)
    call: str  # what is called, as written

    def covers(self, path: str, line: int) -> bool:
        """Return whether a frame at `path`:`line` is this call."""
        return path == self.path and self.first <= line <= self.last

    def __str__(self) -> str:
        return f"{self.path}:{self.first} {self.function} → {self.call}"


@dataclass(slots=True)
class _Module:
    name: str
    path: Path
    tree: ast.Module
    names: dict[str, str] = field(default_factory=dict)  # local name → qualified name


def _module_path(name: str) -> Path | None:
    base = ROOT / "functions" / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(module: _Module) -> list[str]:
    """Fill `module.names` from its imports; return the package modules it imports."""
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE):
                    found.append(alias.name)
                    module.names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            source = str(node.module)
            found.append(source)
            for alias in node.names:
                qualified = f"{source}.{alias.name}"
                module.names[alias.asname or alias.name] = qualified
                if _module_path(qualified) is not None:
                    found.append(qualified)  # `from package import module`
    return found


@cache
def deployed_modules() -> dict[str, _Module]:
    """Return every package module the entry files import, transitively, with the entry files."""
    modules: dict[str, _Module] = {}
    todo = [(f"<{path.parent.name}/main>", path) for path in ENTRY_FILES]
    while todo:
        name, path = todo.pop()
        if name in modules:
            continue
        module = _Module(name=name, path=path, tree=ast.parse(path.read_text()))
        modules[name] = module
        for imported in _imports(module):
            parts = imported.split(".")
            for end in range(2, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__
                prefix = ".".join(parts[:end])
                found = _module_path(prefix)
                if found is not None and prefix not in modules:
                    todo.append((prefix, found))
    return modules


def _calls(module: _Module) -> list[tuple[ast.Call, str]]:
    """Return every call in the module with the function it is in (nested defs count as theirs)."""
    found: list[tuple[ast.Call, str]] = []

    def visit(node: ast.AST, owner: str, in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and owner == module.name:
                visit(child, f"{owner}.{child.name}", True)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and (
                owner == module.name or in_class
            ):
                visit(child, f"{owner}.{child.name}", False)
            else:  # a nested def or class belongs to the function it is in
                if isinstance(child, ast.Call):
                    found.append((child, owner))
                visit(child, owner, False)

    visit(module.tree, module.name, False)
    return found


def _callee(module: _Module, call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        if func.id in module.names:
            return module.names[func.id]
        return f"{module.name}.{func.id}"
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        imported = module.names.get(func.value.id)
        if imported is not None and _module_path(imported) is not None:
            return f"{imported}.{func.attr}"
    return None


def _direct(call: ast.Call) -> bool:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _PUBLISH):
        return False
    receiver = func.value
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return "queue" in name.lower()


@cache
def publish_sites() -> tuple[Site, ...]:
    """Return every publish site of the deployed code (see the module docstring)."""
    modules = {n: m for n, m in deployed_modules().items() if not n.startswith(_ADAPTERS)}
    calls = [(m, call, owner) for m in modules.values() for call, owner in _calls(m)]
    publishing: set[str] = {owner for _, call, owner in calls if _direct(call)}
    while True:
        grown = publishing | {owner for m, call, owner in calls if _callee(m, call) in publishing}
        if grown == publishing:
            break
        publishing = grown
    found = (
        Site(
            path=str(m.path.relative_to(ROOT)),
            first=call.lineno,
            last=call.end_lineno or call.lineno,
            function=owner,
            call=ast.unparse(call.func),
        )
        for m, call, owner in calls
        if _direct(call) or _callee(m, call) in publishing
    )
    return tuple(sorted(found))

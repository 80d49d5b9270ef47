"""terraform/ parsed with python-hcl2, and just enough resolution to compare it with the code.

python-hcl2 keeps expressions as text: string literals keep their quotes and interpolations stay
`${...}`. `Terraform.value` resolves literals, `var.X` (its default, else the value
terraform.tfvars.example gives it, as an operator would), `local.a.b`, `tostring(...)` of those
and `X != "" ? Y : Z`; any other reference becomes `<expression>`, a non-empty stand-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "terraform"
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_TOSTRING = re.compile(r"^tostring\((.*)\)$")
_UNLESS_EMPTY = re.compile(r'^(\S+)\s*!=\s*""\s*\?\s*(\S+)\s*:\s*(\S+)$')


def unquote(text: str) -> str:
    """Return a string literal without its quotes (other text unchanged)."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def plain(value: Any) -> Any:
    """Return `value` with quoted keys and strings unquoted and hcl2's markers dropped."""
    if isinstance(value, dict):
        return {unquote(k): plain(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return unquote(value)
    return value


@dataclass
class Terraform:
    """The root module: its variables, locals, resources (by type, then name) and raw text."""

    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    examples: dict[str, Any] = field(default_factory=dict)  # terraform.tfvars.example
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    blocks_by_file: dict[str, set[str]] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        """Return one resource's body (unquoted)."""
        return plain(self.resources[kind][name])  # type: ignore[no-any-return]

    def local(self, path: str) -> Any:
        """Return a local by dotted path (`functions.api.public`), unquoted."""
        value: Any = self.locals
        for part in path.split("."):
            value = value[part]
        return plain(value)

    def value(self, expression: Any) -> Any:
        """Resolve what can be resolved offline (see the module docstring)."""
        if isinstance(expression, dict):
            return {unquote(k): self.value(v) for k, v in expression.items()}
        if not isinstance(expression, str):
            return expression
        text = unquote(expression)
        whole = _INTERPOLATION.fullmatch(text)
        if whole:
            return self._reference(whole.group(1).strip())
        return _INTERPOLATION.sub(lambda m: str(self._reference(m.group(1).strip())), text)

    def _reference(self, expression: str) -> Any:
        wrapped = _TOSTRING.match(expression)
        if wrapped:
            return str(self._reference(wrapped.group(1).strip()))
        choice = _UNLESS_EMPTY.match(expression)
        if choice:
            tested, chosen, otherwise = choice.groups()
            value = self._reference(tested)
            return self._reference(chosen if value != "" else otherwise)
        head, _, rest = expression.partition(".")
        if head == "var" and rest in self.variables and "default" in self.variables[rest]:
            return self.value(self.variables[rest]["default"])
        if head == "var" and rest in self.examples:
            return self.value(self.examples[rest])
        if head == "local":
            try:
                return self.value(self._raw_local(rest))
            except (KeyError, TypeError):
                return f"<{expression}>"
        return f"<{expression}>"

    def _raw_local(self, path: str) -> Any:
        value: Any = self.locals
        for part in path.split("."):
            value = value[part] if part in value else value[f'"{part}"']
        return value


def load(folder: Path = TERRAFORM) -> Terraform:
    """Parse every .tf file of `folder` (not its subfolders)."""
    config = Terraform()
    example = folder / "terraform.tfvars.example"
    if example.exists():
        config.examples = plain(hcl2.loads(example.read_text()))
    for path in sorted(folder.glob("*.tf")):
        text = path.read_text()
        config.text[path.name] = text
        parsed = hcl2.loads(text)
        config.blocks_by_file[path.name] = {key for key in parsed if not key.startswith("__")}
        for block in parsed.get("variable", []):
            config.variables.update(plain(block))
        for block in parsed.get("output", []):
            config.outputs.update(plain(block))
        for block in parsed.get("locals", []):
            config.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
        for kind, table in (("resource", config.resources), ("data", config.data)):
            for block in parsed.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        table.setdefault(unquote(rtype), {})[unquote(name)] = body
    return config

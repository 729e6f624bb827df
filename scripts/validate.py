"""Check the integration as hassfest and HACS would, before CI or a user does.

hassfest itself cannot be had here: Home Assistant's source distribution on PyPI
(homeassistant-2026.10.4.tar.gz, checked) carries the `homeassistant` package and a few
tests but not `script/hassfest`. So hassfest's checks of a custom integration are made
here with what the installed `homeassistant` package ships: the manifest's keys and types
(`loader.Manifest`), the version rule the loader applies to custom integrations, the
services.yaml schema Home Assistant loads actions with (selectors included), the platform,
country and language lists, `config_validation`'s string checks, the brand image names.
Where Home Assistant ships no schema (translations, icons.json, brand image sizes,
quality_scale.yaml, hacs.json) the rules are written here after hassfest's, the brands
repository's and HACS's documentation.

Beyond hassfest: every translation key the code uses (read with `ast`: literals,
constants, enum members, and arguments followed to their call sites) exists in
translations/en.json with the placeholders the code gives it; every other language file has
exactly en.json's keys and the same {placeholders} in each string.

    scripts/validate [--root DIR]    (exit status 1 and one line per problem)
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import re
import struct
import sys
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import homeassistant  # first: Home Assistant 2026 installs probatio as voluptuous
import voluptuous as vol
from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from homeassistant.const import Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.generated.countries import COUNTRIES
from homeassistant.generated.languages import LANGUAGES
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import _SERVICES_SCHEMA
from homeassistant.loader import Manifest
from homeassistant.util.yaml import load_yaml_dict
from packaging.requirements import InvalidRequirement, Requirement

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

try:  # Home Assistant 2026.3+ serves these from the integration's brand/ folder
    from homeassistant.components.brands.const import ALLOWED_IMAGES

    BRAND_IMAGES: frozenset[str] = frozenset(ALLOWED_IMAGES)
except ImportError:  # older Home Assistant: the same eight names
    BRAND_IMAGES = frozenset(
        f"{dark}{kind}{hdpi}.png"
        for dark in ("", "dark_")
        for kind in ("icon", "logo")
        for hdpi in ("", "@2x")
    )

ROOT: Final = Path(__file__).resolve().parent.parent
COMPONENTS: Final = Path(homeassistant.__file__).parent / "components"
PLATFORMS: Final = frozenset(platform.value for platform in Platform)

# --- hacs.json: the keys hacs.xyz documents (publish/start), `render_readme` no longer one.
HACS_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "name": str,
    "content_in_root": bool,
    "zip_release": bool,
    "filename": str,
    "hide_default_branch": bool,
    "country": (str, list),
    "homeassistant": str,
    "hacs": str,
    "persistent_directory": str,
}

# --- manifest.json, after hassfest's manifest and dependencies plugins.
IOT_CLASSES: Final = frozenset(
    {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
)
REQUIRED_MANIFEST_KEYS: Final = (
    "domain",
    "name",
    "documentation",
    "codeowners",
    "version",
    "issue_tracker",
)
RUNTIME_MANIFEST_KEYS: Final = frozenset({"is_built_in", "overwrites_built_in"})
VERSION_STRATEGIES: Final = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
CORE_DOCUMENTATION: Final = "https://www.home-assistant.io/integrations"
# Integrations any integration may import without declaring them (they are always loaded,
# or are only base classes), as hassfest allows; entity platforms come on top.
ALWAYS_USABLE: Final = PLATFORMS | {
    "alert",
    "automation",
    "conversation",
    "default_config",
    "device_automation",
    "frontend",
    "group",
    "homeassistant",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "media_source",
    "onboarding",
    "panel_custom",
    "persistent_notification",
    "person",
    "script",
    "shopping_list",
    "sun",
    "system_health",
    "system_log",
    "timer",
    "webhook",
    "websocket_api",
    "zone",
    "mjpeg",
    "stream",
}

# --- quality_scale.yaml: Home Assistant's rules, bronze to platinum (script/hassfest/
# quality_scale.py, ALL_RULES), in tier order.
QUALITY_RULES: Final[dict[str, tuple[str, ...]]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_QUALITY_RULES: Final = frozenset(itertools.chain.from_iterable(QUALITY_RULES.values()))
QUALITY_STATUSES: Final = frozenset({"done", "exempt", "todo"})

# --- translations
RE_TRANSLATION_KEY: Final = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
RE_QUOTED_PLACEHOLDER: Final = re.compile(r"'\{\w+\}'")
# Aborts a config flow's helpers raise: the keyword that names the reason, and its default.
FLOW_ABORT_DEFAULTS: Final = {
    "_abort_if_unique_id_configured": ("error", "already_configured"),
    "_abort_if_unique_id_mismatch": ("reason", "unique_id_mismatch"),
    "_async_abort_entries_match": (None, "already_configured"),
}

# --- brand images (home-assistant/brands README, "Image specification")
ICON_SIZE: Final = {False: 256, True: 512}
LOGO_SHORT_SIDE: Final = {False: (128, 256), True: (256, 512)}
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
PNG_HEADER_SIZE: Final = 24  # signature, IHDR's length and type, width, height
ASPECT_TOLERANCE: Final = 0.01  # an @2x logo may be a pixel off twice the size


@dataclass
class Report:
    """The problems found, one line each, and how many checks were made."""

    root: Path
    problems: list[str] = field(default_factory=list)
    checks: int = 0

    def check(self, ok: bool, where: Path | str, message: str) -> bool:
        """Count one check; record `message` against `where` when it failed."""
        self.checks += 1
        if not ok:
            self.problems.append(f"{self.relative(where)}: {message}")
        return ok

    def problem(self, where: Path | str, message: str) -> None:
        """Record a failed check."""
        self.checks += 1
        self.problems.append(f"{self.relative(where)}: {message}")

    def relative(self, where: Path | str) -> str:
        """Return `where` relative to the repository root when it is a path inside it."""
        if isinstance(where, Path):
            try:
                return str(where.relative_to(self.root))
            except ValueError:
                return str(where)
        return where

    def invalid(self, where: Path | str, err: vol.Invalid) -> None:
        """Record each error of a failed schema, with its path."""
        errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
        for error in errors:
            path = ".".join(str(part) for part in error.path)
            self.problem(where, f"{path or '(top)'}: {error.msg}")


# ---------------------------------------------------------------------------------------
# Files


def load_json(report: Report, path: Path) -> Any:
    """Return the JSON document at `path`, or None (recorded) when missing or invalid."""
    if not report.check(path.is_file(), path, "missing"):
        return None

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        for key in sorted({key for key in keys if keys.count(key) > 1}):
            report.problem(path, f'key "{key}" appears twice (the last one wins)')
        return dict(pairs)

    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    except (ValueError, UnicodeDecodeError) as err:
        report.problem(path, f"not valid JSON: {err}")
        return None


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return the leaves of a nested mapping by dotted path."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            leaves.update(flatten(value, path))
        else:
            leaves[path] = value
    return leaves


def lookup(tree: Any, path: str) -> Any:
    """Return the value at a dotted path of a nested mapping, or None."""
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def placeholders(text: str) -> set[str]:
    """Return the {names} a translated string is formatted with."""
    return set(RE_PLACEHOLDER.findall(text))


def _braces(names: Iterable[str]) -> str:
    return " ".join(f"{{{name}}}" for name in sorted(names)) or "(none)"


def _is_version(value: str) -> bool:
    """Tell whether the loader and hassfest accept `value` as a version."""
    try:
        AwesomeVersion(value, ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException:
        return False
    return True


# ---------------------------------------------------------------------------------------
# hacs.json


def check_hacs(report: Report, integrations: list[Path]) -> None:
    """Check hacs.json: documented keys only, a name, known countries, valid versions."""
    path = report.root / "hacs.json"
    data = load_json(report, path)
    if data is None or not report.check(isinstance(data, dict), path, "must be a JSON object"):
        return
    for key in sorted(set(data) - set(HACS_KEYS)):
        report.problem(path, f'"{key}" is not a key HACS documents for hacs.json')
    for key, kind in HACS_KEYS.items():
        if key in data:
            report.check(isinstance(data[key], kind), path, f'"{key}" has the wrong type')
    report.check(
        isinstance(data.get("name"), str) and bool(data["name"].strip()),
        path,
        '"name" (the name HACS shows) is required',
    )
    _check_hacs_values(report, path, data)
    if not data.get("content_in_root"):
        report.check(
            len(integrations) == 1,
            report.root / "custom_components",
            f"HACS installs exactly one integration; found {len(integrations)}",
        )


def _check_hacs_values(report: Report, path: Path, data: Mapping[str, Any]) -> None:
    countries = data.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        report.check(
            isinstance(country, str) and country.upper() in COUNTRIES,
            path,
            f'country "{country}" is not an ISO 3166 code',
        )
    for key in ("homeassistant", "hacs"):
        if isinstance(value := data.get(key), str):
            report.check(_is_version(value), path, f'"{key}": "{value}" is not a version')
    if data.get("zip_release"):
        report.check("filename" in data, path, '"zip_release" needs "filename"')


# ---------------------------------------------------------------------------------------
# manifest.json


def check_manifest(report: Report, package: Path) -> dict[str, Any] | None:
    """Check the manifest: keys and types Home Assistant knows, hassfest's rules."""
    path = package / "manifest.json"
    manifest = load_json(report, path)
    if not isinstance(manifest, dict):
        return None
    _check_manifest_keys(report, path, manifest)
    domain = manifest.get("domain")
    report.check(domain == package.name, path, f'domain "{domain}" is not the folder name')
    report.check(
        not (COMPONENTS / str(domain)).exists(),
        path,
        f'domain "{domain}" is a built-in integration: this one would shadow it',
    )
    report.check(
        manifest.get("integration_type", "hub") != "virtual",
        path,
        "a virtual integration has no code",
    )
    report.check(
        manifest.get("iot_class") in IOT_CLASSES,
        path,
        f'"iot_class" must be one of {", ".join(sorted(IOT_CLASSES))}',
    )
    _check_urls(report, path, manifest)
    _check_version_and_owners(report, path, manifest)
    if manifest.get("config_flow"):
        report.check(
            (package / "config_flow.py").is_file(),
            path,
            '"config_flow" is true but there is no config_flow.py',
        )
    _check_declared_dependencies(report, path, manifest)
    return manifest


def _check_manifest_keys(report: Report, path: Path, manifest: Mapping[str, Any]) -> None:
    """Check the keys: known, the required ones there, their types, their order."""
    hints = typing.get_type_hints(Manifest)
    known = set(hints) - RUNTIME_MANIFEST_KEYS
    for key in sorted(set(manifest) - known):
        report.problem(path, f'"{key}" is not a manifest key Home Assistant knows')
    for key in REQUIRED_MANIFEST_KEYS:
        report.check(key in manifest, path, f'"{key}" is required (hassfest, HACS)')
    for key, value in manifest.items():
        if key in known and (reason := _type_mismatch(value, hints[key])):
            report.problem(path, f'"{key}": {reason}')
    keys = list(manifest)
    wanted = sorted(keys, key=lambda key: {"domain": "0", "name": "1"}.get(key, f"2{key}"))
    report.check(keys == wanted, path, "keys must be sorted: domain, name, then alphabetical")


def _type_mismatch(value: Any, hint: Any) -> str | None:
    """Describe how `value` differs from a `Manifest` annotation, or return None."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return None if value in allowed else f"must be one of {', '.join(allowed)}"
    if origin is list:
        if not isinstance(value, list):
            return "must be a list"
        (item,) = typing.get_args(hint)
        item_origin = typing.get_origin(item)
        if item_origin in {typing.Union, types.UnionType}:
            kinds = tuple(typing.get_origin(arg) or arg for arg in typing.get_args(item))
        else:
            kinds = (item_origin or item,)
        ok = all(isinstance(element, kinds) for element in value)
        return None if ok else "has an element of the wrong type"
    expected = origin or hint
    if isinstance(expected, type) and not isinstance(value, expected):
        return f"must be {'an object' if expected is dict else f'a {expected.__name__}'}"
    return None


def _check_urls(report: Report, path: Path, manifest: Mapping[str, Any]) -> None:
    """Check the documentation and issue tracker: https URLs, not Home Assistant's docs."""
    for key in ("documentation", "issue_tracker"):
        value = manifest.get(key)
        if not isinstance(value, str):
            continue
        try:
            cv.url(value)
        except vol.Invalid:
            report.problem(path, f'"{key}": "{value}" is not a URL')
            continue
        report.check(value.startswith("https://"), path, f'"{key}" must be an https URL')
    documentation = str(manifest.get("documentation", ""))
    report.check(
        not documentation.startswith(CORE_DOCUMENTATION),
        path,
        '"documentation" must point to this integration\'s documentation',
    )


def _check_version_and_owners(report: Report, path: Path, manifest: Mapping[str, Any]) -> None:
    """Check the version (and pyproject.toml's), the code owners, the requirements."""
    if isinstance(version := manifest.get("version"), str):
        report.check(_is_version(version), path, f'"version": "{version}" is not a version')
        pyproject = report.root / "pyproject.toml"
        project = (
            tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
            if pyproject.is_file()
            else {}
        )
        if "version" in project:
            report.check(
                project["version"] == version,
                pyproject,
                f'version "{project["version"]}" differs from the manifest\'s "{version}"',
            )
    owners = manifest.get("codeowners")
    report.check(bool(owners), path, '"codeowners" must name at least one owner')
    for owner in owners if isinstance(owners, list) else []:
        report.check(
            isinstance(owner, str) and owner.startswith("@"),
            path,
            f'code owner "{owner}" must be a GitHub @name',
        )
    for requirement in manifest.get("requirements", []):
        try:
            Requirement(str(requirement))
        except InvalidRequirement as err:
            report.problem(path, f'requirement "{requirement}": {err}')
        else:
            report.checks += 1


def _check_declared_dependencies(report: Report, path: Path, manifest: Mapping[str, Any]) -> None:
    """Check that each (after) dependency is an integration, and none is listed twice."""
    dependencies = manifest.get("dependencies", [])
    after = manifest.get("after_dependencies", [])
    for key, names in (("dependencies", dependencies), ("after_dependencies", after)):
        for name in names:
            report.check(
                (COMPONENTS / str(name) / "manifest.json").is_file(),
                path,
                f'{key}: "{name}" is not an integration of Home Assistant',
            )
            report.check(
                name != manifest.get("domain"), path, f"{key}: an integration needs not itself"
            )
    for name in sorted(set(dependencies) & set(after)):
        report.problem(path, f'"{name}" is both in dependencies and after_dependencies')


# ---------------------------------------------------------------------------------------
# The package's Python code, read with ast

type Function = ast.FunctionDef | ast.AsyncFunctionDef
FUNCTIONS: Final = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Module:
    """One Python file of the package."""

    name: str  # dotted inside the package: "" for __init__, "api.models"
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]
    constants: dict[str, ast.expr] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (module, name)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """Return the file's name without .py (the platform a platform module is for)."""
        return self.name.rsplit(".", 1)[-1]

    def record(self, node: ast.stmt, base: list[str]) -> None:
        """Note what a top-level statement defines; `base` is the package it is in."""
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(target := node.targets[0], ast.Name):
                self.constants[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.value is not None:
                self.constants[node.target.id] = node.value
        elif isinstance(node, ast.ImportFrom) and node.level:
            anchor = base[: len(base) - node.level + 1] if node.level > 1 else base
            source = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                self.imports[alias.asname or alias.name] = (source, alias.name)
        elif isinstance(node, ast.ClassDef):
            self.classes[node.name] = node
        elif isinstance(node, FUNCTIONS):
            self.functions[node.name] = node


def _type_checking_only(node: ast.AST) -> bool:
    """Tell whether `node` is an `if TYPE_CHECKING:` block."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


class Package:
    """The package's modules, and the values its expressions can take."""

    MAX_DEPTH: Final = 8

    def __init__(self, report: Report, package: Path, domain: str) -> None:
        """Parse every module; a file that does not parse is a problem."""
        self.package = package
        self.domain = domain
        self.modules: dict[str, Module] = {}
        for path in sorted(package.rglob("*.py")):
            parts = path.relative_to(package).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            except SyntaxError as err:
                report.problem(path, f"does not parse: {err.msg} (line {err.lineno})")
                continue
            parents = {
                child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
            }
            module = Module(name, path, tree, parents)
            own = name.split(".") if name else []
            for node in tree.body:
                if not _type_checking_only(node):
                    module.record(node, own if is_package else own[:-1])
            self.modules[name] = module
        self._resolving: set[tuple[int, str]] = set()
        # A method read as called from one place: its parameters take that call's arguments.
        self.bindings: dict[int, tuple[Module, ast.Call]] = {}
        self.nodes = list(self._walk())
        self.calls: dict[str, list[tuple[Module, ast.Call]]] = {}
        for module, found in self.nodes:
            if isinstance(found, ast.Call):
                self.calls.setdefault(_call_name(found), []).append((module, found))

    # -- where things are

    def walk(self) -> Iterator[tuple[Module, ast.AST]]:
        """Yield every node of every module, outside `if TYPE_CHECKING:` blocks."""
        return iter(self.nodes)

    def _walk(self) -> Iterator[tuple[Module, ast.AST]]:
        for module in self.modules.values():
            stack: list[ast.AST] = [module.tree]
            while stack:
                node = stack.pop()
                if _type_checking_only(node):
                    continue
                yield module, node
                stack.extend(reversed(list(ast.iter_child_nodes(node))))

    def enclosing(self, module: Module, node: ast.AST, kind: type | tuple[type, ...]) -> Any:
        """Return the nearest ancestor of `node` of the given kind, or None."""
        parent = module.parents.get(node)
        while parent is not None and not isinstance(parent, kind):
            parent = module.parents.get(parent)
        return parent

    def function_of(self, module: Module, node: ast.AST) -> Function | None:
        """Return the function `node` is in."""
        found: Function | None = self.enclosing(module, node, FUNCTIONS)
        return found

    def class_of(self, module: Module, node: ast.AST) -> ast.ClassDef | None:
        """Return the class `node` is in."""
        found: ast.ClassDef | None = self.enclosing(module, node, ast.ClassDef)
        return found

    def definition(self, module: Module, name: str, depth: int = 0) -> tuple[Module, Any] | None:
        """Follow `name` in `module` (through imports) to its definition's module and node."""
        for table in (module.constants, module.classes, module.functions):
            if name in table:
                return module, table[name]
        if name not in module.imports or depth > self.MAX_DEPTH:
            return None
        source, attr = module.imports[name]
        if (target := self.modules.get(source)) is not None:
            return self.definition(target, attr, depth + 1)
        submodule = self.modules.get(f"{source}.{attr}" if source else attr)
        return None if submodule is None else (submodule, submodule.tree)

    def bases(
        self, module: Module, cls: ast.ClassDef, depth: int = 0
    ) -> Iterator[tuple[Module, ast.ClassDef]]:
        """Yield the package's classes `cls` is built on, nearest first."""
        for base in cls.bases:
            found = self.definition(module, base.id) if isinstance(base, ast.Name) else None
            if found and isinstance(found[1], ast.ClassDef) and depth < self.MAX_DEPTH:
                yield found[0], found[1]
                yield from self.bases(found[0], found[1], depth + 1)

    # -- values

    def values(self, module: Module, expr: ast.expr | None, depth: int = 0) -> set[str] | None:
        """Return the strings `expr` can be, or None when they cannot be known statically."""
        if expr is None or depth > self.MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            return {expr.value} if isinstance(expr.value, str) else None
        key = (id(expr), module.name)
        if key in self._resolving:
            return None
        handler = getattr(self, f"_value_of_{type(expr).__name__.lower()}", None)
        if handler is None:
            return None
        self._resolving.add(key)
        try:
            found: set[str] | None = handler(module, expr, depth + 1)
        finally:
            self._resolving.discard(key)
        return found

    def _value_of_ifexp(self, module: Module, expr: ast.IfExp, depth: int) -> set[str] | None:
        return _union(
            self.values(module, expr.body, depth), self.values(module, expr.orelse, depth)
        )

    def _value_of_list(self, module: Module, expr: ast.List, depth: int) -> set[str] | None:
        return _union(*(self.values(module, elt, depth) for elt in expr.elts))

    _value_of_tuple = _value_of_list
    _value_of_set = _value_of_list

    def _value_of_joinedstr(
        self, module: Module, expr: ast.JoinedStr, depth: int
    ) -> set[str] | None:
        results = {""}
        for part in expr.values:
            if isinstance(part, ast.Constant):
                results = {text + str(part.value) for text in results}
                continue
            found = None
            if isinstance(part, ast.FormattedValue) and part.format_spec is None:
                found = self.values(module, part.value, depth)
            if found is None:
                return None
            results = {text + value for text in results for value in found}
        return results

    def _value_of_binop(self, module: Module, expr: ast.BinOp, depth: int) -> set[str] | None:
        if not isinstance(expr.op, ast.Add):
            return None
        lefts, rights = (
            self.values(module, expr.left, depth),
            self.values(module, expr.right, depth),
        )
        if lefts is None or rights is None:
            return None
        return {left + right for left in lefts for right in rights}

    def _value_of_call(self, module: Module, expr: ast.Call, depth: int) -> set[str] | None:
        """`str(x)`, `tuple(x)`...: the values of x."""
        conversions = {"str", "list", "tuple", "frozenset", "set"}
        if isinstance(expr.func, ast.Name) and expr.func.id in conversions and len(expr.args) == 1:
            return self.values(module, expr.args[0], depth)
        return None

    def _value_of_listcomp(self, module: Module, expr: ast.ListComp, depth: int) -> set[str] | None:
        """`[str(x) for x in Enum]`, `[x.value for x in Enum]`: the enum's values."""
        if len(expr.generators) != 1:
            return None
        (gen,) = expr.generators
        if gen.ifs or not isinstance(gen.target, ast.Name):
            return None
        variable = ast.Name(id=gen.target.id, ctx=ast.Load())
        plain = {ast.dump(variable), ast.dump(ast.Attribute(variable, "value", ast.Load()))}
        elt = expr.elt
        if isinstance(elt, ast.Call):
            if not (isinstance(elt.func, ast.Name) and elt.func.id == "str" and len(elt.args) == 1):
                return None
            elt = elt.args[0]
        return self.values(module, gen.iter, depth) if ast.dump(elt) in plain else None

    _value_of_setcomp = _value_of_listcomp
    _value_of_generatorexp = _value_of_listcomp

    def _value_of_name(self, module: Module, expr: ast.Name, depth: int) -> set[str] | None:
        name = expr.id
        function = self.function_of(module, expr)
        if function is not None and name in _parameters(function):
            if (bound := self.bindings.get(id(function))) is not None:
                caller, call = bound
                argument = _argument(function, call, name) or _default(function, name)
                return self.values(caller, argument, depth)
            return self.argument_values(module, function, name, depth)
        if function is not None:
            local = self._local_values(module, function, name, depth)
            if local is not None:
                return local
        found = self.definition(module, name)
        if found is None:
            return None
        where, value = found
        if isinstance(value, ast.ClassDef):
            return _enum_values(value)
        return self.values(where, value, depth) if isinstance(value, ast.expr) else None

    def _local_values(
        self, module: Module, function: Function, name: str, depth: int
    ) -> set[str] | None:
        """Return what a local variable is assigned, or what a `for` binds it to."""
        results = [self.values(module, value, depth) for value in _assigned(function, name)]
        for node in _own_nodes(function):
            if isinstance(node, ast.For):
                results.extend(self._for_values(module, node, name, depth))
        return _union(*results) if results else None

    def _for_values(
        self, module: Module, loop: ast.For, name: str, depth: int
    ) -> list[set[str] | None]:
        """Return the values a `for` over a literal sequence binds `name` to."""
        target = loop.target
        if isinstance(target, ast.Name):
            return [self.values(module, loop.iter, depth)] if target.id == name else []
        names = [getattr(elt, "id", None) for elt in getattr(target, "elts", [])]
        if name not in names:
            return []
        index = names.index(name)
        if not isinstance(loop.iter, ast.Tuple | ast.List):
            return [None]
        return [
            self.values(module, item.elts[index], depth)
            if isinstance(item, ast.Tuple | ast.List) and len(item.elts) > index
            else None
            for item in loop.iter.elts
        ]

    def _value_of_attribute(
        self, module: Module, expr: ast.Attribute, depth: int
    ) -> set[str] | None:
        """`Enum.MEMBER(.value)`, `module.CONSTANT`, `self.x`, a local dataclass's field."""
        base = expr.value
        if expr.attr == "value" and isinstance(base, ast.Attribute):
            return self.values(module, base, depth)
        if not isinstance(base, ast.Name):
            return None
        if base.id in {"self", "cls"}:
            return self._self_attribute(module, expr, depth)
        function = self.function_of(module, expr)
        if function is not None and (assigned := _assigned(function, base.id)):
            return _union(*(self._field(module, value, expr.attr, depth) for value in assigned))
        found = self.definition(module, base.id)
        return None if found is None else self._member(*found, expr.attr, depth)

    def _member(self, where: Module, definition: Any, name: str, depth: int) -> set[str] | None:
        """Return a class attribute (an enum member's value) or a module's constant."""
        if isinstance(definition, ast.ClassDef):
            value = next(
                (
                    stmt.value
                    for stmt in definition.body
                    if isinstance(stmt, ast.Assign)
                    and any(getattr(target, "id", None) == name for target in stmt.targets)
                ),
                None,
            )
            return self.values(where, value, depth)
        if isinstance(definition, ast.Module):
            return self.values(where, where.constants.get(name), depth)
        return None

    def _field(self, module: Module, expr: ast.expr, name: str, depth: int) -> set[str] | None:
        """Return field `name` of what `expr` builds: `Problem(key=...)`, or via a factory."""
        if depth > self.MAX_DEPTH or not isinstance(expr, ast.Call):
            return None
        found = self.definition(module, expr.func.id) if isinstance(expr.func, ast.Name) else None
        if found is None:
            return None
        where, definition = found
        if isinstance(definition, FUNCTIONS):
            returned = [
                node.value
                for node in _own_nodes(definition)
                if isinstance(node, ast.Return)
                and node.value is not None
                and not (isinstance(node.value, ast.Constant) and node.value.value is None)
            ]
            return _union(*(self._field(where, value, name, depth + 1) for value in returned))
        if not isinstance(definition, ast.ClassDef):
            return None
        fields = [
            stmt.target.id
            for stmt in definition.body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        ]
        argument = _keyword(expr, name)
        if argument is None and name in fields and fields.index(name) < len(expr.args):
            argument = expr.args[fields.index(name)]
        return self.values(module, argument, depth)

    def _self_attribute(self, module: Module, node: ast.Attribute, depth: int) -> set[str] | None:
        """Return `self.x`: a class attribute, or what a method stores (`self.x = ...`)."""
        cls = self.class_of(module, node)
        if cls is None:
            return None
        results: list[set[str] | None] = [
            self.values(module, stmt.value, depth)
            for stmt in cls.body
            if isinstance(stmt, ast.Assign)
            and any(getattr(target, "id", None) == node.attr for target in stmt.targets)
        ]
        for method in (stmt for stmt in cls.body if isinstance(stmt, FUNCTIONS)):
            results.extend(
                self.values(module, inner.value, depth)
                for inner in _own_nodes(method)
                if isinstance(inner, ast.Assign)
                and len(inner.targets) == 1
                and isinstance(target := inner.targets[0], ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and target.attr == node.attr
            )
        return _union(*results) if results else None

    def argument_values(
        self, module: Module, function: Function, name: str, depth: int
    ) -> set[str] | None:
        """Return the values callers pass for parameter `name` (or its default)."""
        results = [
            self.values(caller, _argument(function, call, name) or _default(function, name), depth)
            for caller, call in self.calls_of(module, function)
        ]
        return _union(*results) if results else None

    def calls_of(self, module: Module, function: Function) -> Iterator[tuple[Module, ast.Call]]:
        """Yield the calls of `function`: by name, as a `self.` method, or of its class."""
        cls = self.class_of(module, function)
        is_method = cls is not None and function in cls.body
        wanted = (
            cls.name
            if cls is not None and is_method and function.name == "__init__"
            else function.name
        )
        for name in dict.fromkeys((wanted, function.name)):
            for caller, node in self.calls.get(name, []):
                func = node.func
                if isinstance(func, ast.Name) and func.id == wanted:
                    target = self.definition(caller, func.id)
                    if target is not None and target[1] in (function, cls):
                        yield caller, node
                elif (
                    is_method
                    and isinstance(func, ast.Attribute)
                    and func.attr == function.name
                    and isinstance(func.value, ast.Name)
                    and func.value.id in {"self", "cls"}
                    and caller is module
                    and self.class_of(caller, node) is cls
                ):
                    yield caller, node


def _union(*parts: set[str] | None) -> set[str] | None:
    known = [part for part in parts if part is not None]
    return set().union(*known) if known else None


def _enum_values(cls: ast.ClassDef) -> set[str] | None:
    """Return the string values of an enum class's members, or None."""
    members = {
        stmt.value.value
        for stmt in cls.body
        if isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    }
    return members or None


def _parameters(function: Function) -> list[str]:
    args = function.args
    return [arg.arg for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def _assigned(function: Function, name: str) -> list[ast.expr]:
    """Return the expressions `function` assigns to its local variable `name`."""
    found: list[ast.expr] = []
    for node in _own_nodes(function):
        if isinstance(node, ast.Assign):
            found.extend(
                node.value for target in node.targets if getattr(target, "id", None) == name
            )
        elif (
            isinstance(node, ast.AnnAssign | ast.NamedExpr)
            and node.value is not None
            and getattr(node.target, "id", None) == name
        ):
            found.append(node.value)
    return found


def _own_nodes(function: Function) -> Iterator[ast.AST]:
    """Yield the nodes of `function`, not those of functions and classes nested in it."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _argument(function: Function, call: ast.Call, name: str) -> ast.expr | None:
    """Return the expression `call` passes for parameter `name` of `function`."""
    if (argument := _keyword(call, name)) is not None:
        return argument
    positional = [arg.arg for arg in [*function.args.posonlyargs, *function.args.args]]
    if positional and positional[0] in {"self", "cls"}:
        positional = positional[1:]
    if name in positional and (index := positional.index(name)) < len(call.args):
        argument = call.args[index]
        return None if isinstance(argument, ast.Starred) else argument
    return None


def _default(function: Function, name: str) -> ast.expr | None:
    args = function.args
    positional = [arg.arg for arg in [*args.posonlyargs, *args.args]]
    defaults: dict[str, ast.expr] = dict(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is not None:
            defaults[arg.arg] = default
    return defaults.get(name)


def _call_name(call: ast.Call) -> str:
    """Return the called name: `f` of `f(...)` and of `x.f(...)`."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _platform_of(name: str) -> str | None:
    """Return the platform a class name ends with: `FlowrouteSensorEntityDescription`."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    suffix = next((s for s in ("_entity_description", "_entity") if snake.endswith(s)), None)
    if suffix is None:
        return None
    snake = snake.removesuffix(suffix)
    matches = [
        platform for platform in PLATFORMS if snake == platform or snake.endswith(f"_{platform}")
    ]
    return max(matches, key=len) if matches else None


# ---------------------------------------------------------------------------------------
# Translation keys used by the code


@dataclass(frozen=True)
class Use:
    """A translation the code relies on: the dotted path in en.json, and where."""

    path: str
    where: str
    placeholders: frozenset[str] | None = None  # given by the code, when known
    strings: tuple[str, ...] = ()  # the leaves under `path` formatted with them


@dataclass
class FixFlow:
    """A repair flow class: its steps and aborts (relative to fix_flow), and its bases."""

    name: str
    where: str
    keys: set[str]
    bases: list[str]


@dataclass
class Uses:
    """What the code uses, and which kinds of keys could not all be read statically."""

    found: list[Use] = field(default_factory=list)
    unresolved: set[str] = field(default_factory=set)
    fix_flows: list[FixFlow] = field(default_factory=list)
    fixable_issues: set[str] = field(default_factory=set)
    services: set[str] | None = field(default_factory=set)


# (node, template relative to the flow's prefix, keys, placeholders the form is given)
type FlowKey = tuple[ast.AST, str, set[str] | None, frozenset[str] | None]
REGISTER_ARGUMENTS: Final = 2  # async_register(domain, service, ...)


class KeyCollector:
    """Find the translation keys (and registered actions) the package's code uses."""

    def __init__(self, package: Package) -> None:
        """Collect from `package`."""
        self.package = package
        self.uses = Uses()
        self.forwarders: dict[str, str] = {}

    def where(self, module: Module, node: ast.AST) -> str:
        """Return the file and line of `node`."""
        return f"{module.path.name}:{getattr(node, 'lineno', 0)}"

    def add(
        self,
        module: Module,
        node: ast.AST,
        kind: str,
        keys: set[str] | None,
        template: str,
        *,
        given: frozenset[str] | None = None,
        strings: tuple[str, ...] = (),
    ) -> None:
        """Record `template` (with {key}) for each key, or that `kind` was not all readable."""
        if keys is None:
            self.uses.unresolved.add(kind)
            return
        for key in sorted(keys):
            self.uses.found.append(
                Use(template.format(key=key), self.where(module, node), given, strings)
            )

    def collect(self) -> Uses:
        """Walk every module once."""
        subentry_types = self._subentry_types()
        self.forwarders = self._forwarders()
        for module, node in self.package.walk():
            if isinstance(node, ast.Call):
                self._call(module, node)
            elif isinstance(node, ast.Assign):
                self._assign(module, node)
            elif isinstance(node, ast.JoinedStr):
                self._lookup(module, node)
            elif isinstance(node, ast.ClassDef):
                self._flow(module, node, subentry_types)
        self._device_automation()
        return self.uses

    # -- calls: exceptions, issues, entity descriptions, selectors, actions

    def _forwarders(self) -> dict[str, str]:
        """Return the functions that pass their **keywords on to a call, and that call."""
        found: dict[str, str] = {}
        for _, node in self.package.walk():
            if not isinstance(node, FUNCTIONS) or not node.args.kwarg:
                continue
            keywords = node.args.kwarg.arg
            for inner in _own_nodes(node):
                if isinstance(inner, ast.Call) and any(
                    keyword.arg is None and getattr(keyword.value, "id", None) == keywords
                    for keyword in inner.keywords
                ):
                    found[node.name] = _call_name(inner)
        return found

    def _call(self, module: Module, call: ast.Call) -> None:
        name = self.forwarders.get(_call_name(call), _call_name(call))
        if name == "async_register" and len(call.args) >= REGISTER_ARGUMENTS:
            self._registered(module, call)
        key_expr = _keyword(call, "translation_key")
        if key_expr is None:
            return
        keys = self.package.values(module, key_expr)
        if name == "async_create_issue":
            self._issue(module, call, keys)
        elif name.endswith("EntityDescription"):
            platform = _platform_of(name) or module.stem
            self.add(module, call, "entity", keys, f"entity.{platform}.{{key}}")
            self._entity_states(module, call, platform, keys)
        elif name == "SelectSelectorConfig":
            self.add(module, call, "selector", keys, "selector.{key}")
            options = self.package.values(module, _keyword(call, "options"))
            for key in keys or ():
                self.add(module, call, "selector", options, f"selector.{key}.options.{{key}}")
        elif self.package.values(module, _keyword(call, "translation_domain")) == {
            self.package.domain
        }:
            given = self._given(module, call, "translation_placeholders")
            template = "exceptions.{key}.message"
            self.add(module, call, "exceptions", keys, template, given=given, strings=("",))

    def _registered(self, module: Module, call: ast.Call) -> None:
        """`hass.services.async_register(DOMAIN, name, ...)`: an action of the integration."""
        if self.package.values(module, call.args[0]) != {self.package.domain}:
            return
        found = self.package.values(module, call.args[1])
        if found is None or self.uses.services is None:
            self.uses.services = None
        else:
            self.uses.services |= found

    def _issue(self, module: Module, call: ast.Call, keys: set[str] | None) -> None:
        """Record an issue's title, and its description or (when fixable) its fix flow."""
        fixable = _keyword(call, "is_fixable")
        is_fixable = isinstance(fixable, ast.Constant) and fixable.value is True
        if keys is not None and is_fixable:
            self.uses.fixable_issues |= keys
        given = self._given(module, call, "translation_placeholders")
        self.add(module, call, "issues", keys, "issues.{key}.title", given=given, strings=("",))
        if is_fixable:
            self.add(module, call, "issues", keys, "issues.{key}.fix_flow")
        else:
            template = "issues.{key}.description"
            self.add(module, call, "issues", keys, template, given=given, strings=("",))

    def _given(self, module: Module, call: ast.Call, keyword: str) -> frozenset[str] | None:
        """Return the placeholder names a call gives, when they can be read."""
        expr = _keyword(call, keyword)
        if expr is None:
            return frozenset()
        if isinstance(expr, ast.Dict):
            return self._literal_keys(module, expr)
        function = self.package.function_of(module, call)
        if isinstance(expr, ast.Name) and function is not None:
            return self._local_dict_keys(module, function, expr.id)
        return None

    def _literal_keys(self, module: Module, expr: ast.Dict) -> frozenset[str] | None:
        keys = [self.package.values(module, key) if key else None for key in expr.keys]
        if any(found is None for found in keys):
            return None
        return frozenset().union(*(found for found in keys if found is not None))

    def _local_dict_keys(
        self, module: Module, function: Function, name: str
    ) -> frozenset[str] | None:
        """Return the keys of a local dict: those of its literal, and those set on it."""
        names: set[str] = set()
        for value in _assigned(function, name):
            found = self._literal_keys(module, value) if isinstance(value, ast.Dict) else None
            if found is None:
                return None
            names |= found
        for node in _own_nodes(function):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                if isinstance(target, ast.Subscript) and getattr(target.value, "id", None) == name:
                    keys = self.package.values(module, target.slice)
                    if keys is None:
                        return None
                    names |= keys
        return frozenset(names)

    def _entity_states(
        self, module: Module, call: ast.Call, platform: str, keys: set[str] | None
    ) -> None:
        """Event types of an event entity and options of an enum sensor need their names."""
        device_class = _keyword(call, "device_class")
        if platform == "event" and (types := _keyword(call, "event_types")) is not None:
            states = self.package.values(module, types)
            template = "entity.event.{entity}.state_attributes.event_type.state.{{key}}"
        elif platform == "sensor" and getattr(device_class, "attr", None) == "ENUM":
            states = self.package.values(module, _keyword(call, "options"))
            template = "entity.sensor.{entity}.state.{{key}}"
        else:
            return
        for key in keys or ():
            self.add(module, call, "entity", states, template.format(entity=key))

    # -- `_attr_translation_key = ...` in an entity class

    def _assign(self, module: Module, node: ast.Assign) -> None:
        if not any(
            getattr(target, "id", getattr(target, "attr", None)) == "_attr_translation_key"
            for target in node.targets
        ):
            return
        cls = self.package.class_of(module, node)
        if cls is None:
            return
        platform = self._class_platform(module, cls)
        if platform is None:
            self.uses.unresolved.add("entity")
            return
        keys = self.package.values(module, node.value)
        self.add(module, node, "entity", keys, f"entity.{platform}.{{key}}")
        if platform == "event":
            types = next(
                (
                    self.package.values(module, inner.value)
                    for inner in ast.walk(cls)
                    if isinstance(inner, ast.Assign)
                    and any(
                        getattr(target, "id", getattr(target, "attr", None)) == "_attr_event_types"
                        for target in inner.targets
                    )
                ),
                None,
            )
            for key in keys or ():
                template = f"entity.event.{key}.state_attributes.event_type.state.{{key}}"
                self.add(module, node, "entity", types, template)

    def _class_platform(self, module: Module, cls: ast.ClassDef) -> str | None:
        if module.stem in PLATFORMS:
            return module.stem
        for candidate in [cls, *(base for _, base in self.package.bases(module, cls))]:
            for base in candidate.bases:
                if isinstance(base, ast.Name) and (platform := _platform_of(base.id)):
                    return platform
        return None

    # -- `f"component.{DOMAIN}.exceptions.{key}.message"`: a key looked up at run time

    def _lookup(self, module: Module, node: ast.JoinedStr) -> None:
        first = node.values[0] if node.values else None
        if not (isinstance(first, ast.Constant) and first.value == "component."):
            return
        paths = self.package.values(module, node)
        if paths is None:
            self.uses.unresolved.add("lookup")
            return
        prefix = f"component.{self.package.domain}."
        for path in sorted(paths):
            if path.startswith(prefix):
                self.uses.found.append(Use(path.removeprefix(prefix), self.where(module, node)))

    # -- config, options, subentry and repair flows

    def _subentry_types(self) -> dict[str, set[str]]:
        """Return each subentry flow class's subentry types (from the config flow)."""
        types: dict[str, set[str]] = {}
        for module, node in self.package.walk():
            if not isinstance(node, FUNCTIONS) or node.name != "async_get_supported_subentry_types":
                continue
            for inner in _own_nodes(node):
                if not (isinstance(inner, ast.Return) and isinstance(inner.value, ast.Dict)):
                    continue
                for key, value in zip(inner.value.keys, inner.value.values, strict=True):
                    if isinstance(value, ast.Name):
                        found = self.package.values(module, key) if key is not None else None
                        types.setdefault(value.id, set()).update(found or {"*"})
        return types

    def _flow_kind(self, module: Module, cls: ast.ClassDef) -> str | None:
        for candidate in [cls, *(base for _, base in self.package.bases(module, cls))]:
            for base in candidate.bases:
                name = getattr(base, "id", getattr(base, "attr", ""))
                if name == "ConfigFlow":
                    return "config"
                if name.startswith("OptionsFlow") or name.endswith("OptionsFlow"):
                    return "options"
                if name == "ConfigSubentryFlow":
                    return "subentry"
                if name in {"RepairsFlow", "ConfirmRepairFlow"}:
                    return "repairs"
        return None

    def _flow(self, module: Module, cls: ast.ClassDef, subentry_types: dict[str, set[str]]) -> None:
        kind = self._flow_kind(module, cls)
        if kind is None:
            return
        prefixes = [kind]
        if kind == "subentry":
            types = subentry_types.get(cls.name, {"*"})
            if "*" in types:
                self.uses.unresolved.add("flow")
                return
            prefixes = [f"config_subentries.{name}" for name in sorted(types)]
        relative: list[FlowKey] = []
        for node in ast.walk(cls):
            if isinstance(node, ast.Call):
                relative.extend(self._flow_call(module, cls, node, kind))
                relative.extend(self._inherited_call(module, cls, node, kind))
            elif isinstance(node, ast.Assign) and _is_errors(node):
                found = self.package.values(module, node.value)
                relative.append((node, "error.{key}", found, None))
        if kind == "repairs":
            self._fix_flow(module, cls, relative)
            return
        for prefix, (node, template, found, given) in itertools.product(prefixes, relative):
            strings = ("title", "description") if template.startswith("step.") else ()
            self.add(
                module,
                node,
                "flow",
                found,
                f"{prefix}.{template}",
                given=given if strings else None,
                strings=strings,
            )

    def _fix_flow(self, module: Module, cls: ast.ClassDef, relative: list[FlowKey]) -> None:
        """Keep a repair flow's keys: they belong to the issue it fixes, known at run time."""
        keys: set[str] = set()
        for _, template, found, _ in relative:
            if found is None:
                self.uses.unresolved.add("flow")
            else:
                keys |= {template.format(key=key) for key in found}
        bases = [base.id for base in cls.bases if isinstance(base, ast.Name)]
        where = f"{module.path.name}:{cls.lineno}"
        self.uses.fix_flows.append(FixFlow(cls.name, where, keys, bases))

    def _inherited_call(
        self, module: Module, cls: ast.ClassDef, call: ast.Call, kind: str
    ) -> Iterator[FlowKey]:
        """`self.helper(...)` of a base class: its forms and aborts, with these arguments."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "self"):
            return
        if any(isinstance(stmt, FUNCTIONS) and stmt.name == func.attr for stmt in cls.body):
            return  # its own method: read with the class
        for base_module, base in self.package.bases(module, cls):
            method = next(
                (s for s in base.body if isinstance(s, FUNCTIONS) and s.name == func.attr), None
            )
            if method is None:
                continue
            self.package.bindings[id(method)] = (module, call)
            try:
                for node in _own_nodes(method):
                    if isinstance(node, ast.Call):
                        for _, template, found, given in self._flow_call(
                            base_module, base, node, kind
                        ):
                            yield call, template, found, given
            finally:
                del self.package.bindings[id(method)]
            return

    def _flow_call(
        self, module: Module, cls: ast.ClassDef, call: ast.Call, kind: str
    ) -> Iterator[FlowKey]:
        name = _call_name(call)
        values = self.package.values
        if name in {"async_show_form", "async_show_menu"}:
            yield from self._form(module, call, name)
        elif name == "async_show_progress":
            yield call, "progress.{key}", values(module, _keyword(call, "progress_action")), None
        elif name == "async_abort":
            yield call, "abort.{key}", values(module, _keyword(call, "reason")), None
        elif kind == "config" and name in FLOW_ABORT_DEFAULTS:
            keyword, default = FLOW_ABORT_DEFAULTS[name]
            reason = _keyword(call, keyword) if keyword else None
            yield call, "abort.{key}", values(module, reason) if reason else {default}, None
        elif kind == "config" and name == "async_set_unique_id":
            progress = _keyword(call, "raise_on_progress")
            if not (isinstance(progress, ast.Constant) and progress.value is False):
                yield call, "abort.{key}", {"already_in_progress"}, None
        elif kind == "config" and name == "async_update_reload_and_abort":
            yield call, "abort.{key}", self._reload_reason(module, call), None
        elif kind == "subentry" and name == "async_update_and_abort":
            yield call, "abort.{key}", {"reconfigure_successful"}, None
        elif kind != "repairs":
            # `errors = await self._async_validate(...)`: the dicts that method returns
            yield from self._errors_from_helper(module, cls, call)

    def _form(self, module: Module, call: ast.Call, name: str) -> Iterator[FlowKey]:
        """Yield a form's (or menu's) step, the errors it shows, the menu's options."""
        values = self.package.values
        steps = values(module, _keyword(call, "step_id"))
        yield call, "step.{key}", steps, self._given(module, call, "description_placeholders")
        errors = _keyword(call, "errors")
        for choice in [errors.body, errors.orelse] if isinstance(errors, ast.IfExp) else [errors]:
            if isinstance(choice, ast.Dict):
                found = _union(*(values(module, value) for value in choice.values))
                yield call, "error.{key}", found, None
        if name == "async_show_menu":
            options = _keyword(call, "menu_options")
            options_found = (
                _union(*(values(module, key) for key in options.keys if key))
                if isinstance(options, ast.Dict)
                else values(module, options)
            )
            for step in steps or ():
                yield call, f"step.{step}.menu_options.{{key}}", options_found, None

    def _reload_reason(self, module: Module, call: ast.Call) -> set[str] | None:
        """Return the reason async_update_reload_and_abort aborts with (given, or by step)."""
        if (reason := _keyword(call, "reason")) is not None:
            return self.package.values(module, reason)
        function = self.package.function_of(module, call)
        step = function.name if function else ""
        found = {
            reason
            for word, reason in (
                ("reauth", "reauth_successful"),
                ("reconfigure", "reconfigure_successful"),
            )
            if word in step
        }
        return found or None

    def _errors_from_helper(
        self, module: Module, cls: ast.ClassDef, call: ast.Call
    ) -> Iterator[FlowKey]:
        parent = module.parents.get(call)
        if isinstance(parent, ast.Await):
            parent = module.parents.get(parent)
        if not (isinstance(parent, ast.Assign) and _is_errors(parent, subscript=False)):
            return
        helper = next(
            (s for s in cls.body if isinstance(s, FUNCTIONS) and s.name == _call_name(call)),
            None,
        )
        if helper is None or helper is self.package.function_of(module, call):
            yield call, "error.{key}", None, None
            return
        for node in _own_nodes(helper):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
                found = [self.package.values(module, value) for value in node.value.values]
                yield node, "error.{key}", _union(*found) if found else set(), None

    # -- device triggers, conditions, actions

    def _device_automation(self) -> None:
        for stem, constant, section, capabilities in (
            ("device_trigger", "TRIGGER_TYPES", "trigger_type", "async_get_trigger_capabilities"),
            (
                "device_condition",
                "CONDITION_TYPES",
                "condition_type",
                "async_get_condition_capabilities",
            ),
            ("device_action", "ACTION_TYPES", "action_type", "async_get_action_capabilities"),
        ):
            module = self.package.modules.get(stem)
            if module is None:
                continue
            value = module.constants.get(constant)
            found = self.package.values(module, value)
            template = f"device_automation.{section}.{{key}}"
            self.add(module, value or module.tree, "device_automation", found, template)
            function = module.functions.get(capabilities)
            for node in _own_nodes(function) if function else ():
                if (
                    isinstance(node, ast.Call)
                    and _call_name(node) in {"Required", "Optional"}
                    and node.args
                ):
                    found = self.package.values(module, node.args[0])
                    template = "device_automation.extra_fields.{key}"
                    self.add(module, node, "device_automation", found, template)


def _is_errors(node: ast.Assign, *, subscript: bool = True) -> bool:
    """Tell whether `node` is `errors[...] = ...` (with subscript=False: `errors = ...`)."""
    for target in node.targets:
        named = target.value if isinstance(target, ast.Subscript) else target
        if (
            isinstance(target, ast.Subscript) == subscript
            and getattr(named, "id", None) == "errors"
        ):
            return True
    return False


def check_code_keys(report: Report, package: Path, en: Mapping[str, Any], uses: Uses) -> None:
    """Check that each key the code uses is in en.json, with the placeholders given."""
    en_path = package / "translations" / "en.json"
    for use in uses.found:
        value = lookup(en, use.path)
        missing_key = f"{use.path} is missing (used at {use.where})"
        if not report.check(value is not None, en_path, missing_key) or use.placeholders is None:
            continue
        for leaf in use.strings:
            text = lookup(value, leaf) if leaf else value
            if not isinstance(text, str):
                continue
            missing = placeholders(text) - use.placeholders
            report.check(
                not missing,
                en_path,
                f"{use.path}{'.' + leaf if leaf else ''} uses "
                f"{', '.join(f'{{{name}}}' for name in sorted(missing))}, "
                f"which {use.where} does not give",
            )
    _check_fix_flows(report, en_path, en, uses)
    if "entity" not in uses.unresolved:
        used = {use.path for use in uses.found if use.path.startswith("entity.")}
        for platform, entities in (en.get("entity") or {}).items():
            for key in entities if isinstance(entities, dict) else ():
                report.check(
                    f"entity.{platform}.{key}" in used,
                    en_path,
                    f"entity.{platform}.{key} is not the translation key of any entity",
                )


def _check_fix_flows(report: Report, en_path: Path, en: Mapping[str, Any], uses: Uses) -> None:
    """Check that each repair flow's steps and aborts are in a fixable issue's fix_flow.

    Which issue a flow fixes is decided at run time (async_create_fix_flow), so a flow
    passes when some fixable issue has all its strings; a flow's base classes add theirs.
    """
    issues = en.get("issues", {}) if isinstance(en.get("issues"), dict) else {}
    flows = {flow.name: flow for flow in uses.fix_flows}

    def keys_of(flow: FixFlow, depth: int = 0) -> set[str]:
        inherited = [flows[base] for base in flow.bases if base in flows]
        if depth > Package.MAX_DEPTH:
            return flow.keys
        return flow.keys.union(*(keys_of(base, depth + 1) for base in inherited))

    bases = {base for flow in uses.fix_flows for base in flow.bases}
    candidates = [key for key in sorted(uses.fixable_issues) if key in issues]
    for flow in uses.fix_flows:
        if flow.name in bases:
            continue  # a base class: checked with each flow built on it
        where = f"the repair flow {flow.name} ({flow.where})"
        if not report.check(bool(candidates), en_path, f"{where} fixes no fixable issue"):
            continue
        keys = keys_of(flow)

        def present(issue: str, keys: set[str] = keys) -> int:
            return sum(lookup(issues[issue], f"fix_flow.{key}") is not None for key in keys)

        best = max(candidates, key=present)
        for key in sorted(keys):
            report.check(
                lookup(issues[best], f"fix_flow.{key}") is not None,
                en_path,
                f"issues.{best}.fix_flow.{key} is missing ({where})",
            )


# ---------------------------------------------------------------------------------------
# translations/en.json: its shape; every language: same keys, same placeholders


def _text(value: Any) -> str:
    """Validate a translated string as hassfest wants it."""
    text: str = cv.string_with_no_html(value)
    if text != text.strip():
        raise vol.Invalid("the string should not start or end with spaces")
    if RE_QUOTED_PLACEHOLDER.search(text):
        raise vol.Invalid("the string should not contain placeholders inside single quotes")
    if "[%key:" in text:
        raise vol.Invalid(
            "[%key:...%] references are resolved only in Home Assistant's own integrations"
        )
    return text


def _translation_key(value: Any) -> str:
    if not isinstance(value, str) or RE_TRANSLATION_KEY.match(value) is None:
        raise vol.Invalid(
            f"invalid translation key '{value}': [a-z0-9-_]+, not starting or ending with - or _"
        )
    return value


def _slug_keys(value_schema: Any, keys: Callable[[Any], Any] = _translation_key) -> Any:
    return cv.schema_with_slug_keys(value_schema, slug_validator=keys)


def _data_entry(*, subentry: bool = False) -> vol.All:
    """Return the schema of the strings of a config, options, subentry or fix flow."""
    fields = {str: _text}
    step = {
        vol.Optional("title"): _text,
        vol.Optional("description"): _text,
        vol.Optional("data"): fields,
        vol.Optional("data_description"): fields,
        vol.Optional("menu_options"): fields,
        vol.Optional("menu_option_descriptions"): fields,
        vol.Optional("submit"): _text,
        vol.Optional("sections"): {
            str: {
                vol.Optional("name"): _text,
                vol.Optional("description"): _text,
                vol.Optional("data"): fields,
                vol.Optional("data_description"): fields,
            }
        },
    }
    schema: dict[Any, Any] = {
        vol.Optional("flow_title"): _text,
        vol.Optional("step"): {str: step},
        vol.Optional("error"): fields,
        vol.Optional("abort"): fields,
        vol.Optional("progress"): fields,
        vol.Optional("create_entry"): fields,
    }
    if subentry:
        schema[vol.Required("entry_type")] = _text
        schema[vol.Optional("initiate_flow")] = {
            vol.Optional("user"): _text,
            vol.Optional("reconfigure"): _text,
        }

    def descriptions_have_fields(value: dict[str, Any]) -> dict[str, Any]:
        for step_id, info in value.get("step", {}).items():
            for part in [info, *info.get("sections", {}).values()]:
                for key in set(part.get("data_description", {})) - set(part.get("data", {})):
                    raise vol.Invalid(f"step {step_id}: data_description.{key} has no data.{key}")
        return value

    return vol.All(vol.Schema(schema), descriptions_have_fields)


def _issue(value: Any) -> Any:
    if isinstance(value, dict) and ("description" in value) == ("fix_flow" in value):
        raise vol.Invalid("an issue has either a description or a fix_flow")
    return value


def translations_schema() -> vol.Schema:
    """Return the schema of a custom integration's translations/en.json (after hassfest)."""
    state = _slug_keys(_text)
    attributes = _slug_keys({vol.Optional("name"): _text, vol.Optional("state"): state})
    entity = {
        vol.Optional("name"): _text,
        vol.Optional("state"): state,
        vol.Optional("state_attributes"): attributes,
        vol.Optional("unit_of_measurement"): _text,
    }
    automation_sections = (
        "action_type",
        "condition_type",
        "trigger_type",
        "trigger_subtype",
        "extra_fields",
        "extra_fields_descriptions",
    )
    service_field = {
        vol.Required("name"): _text,
        vol.Required("description"): _text,
        vol.Optional("example"): _text,
    }
    service = {
        vol.Required("name"): _text,
        vol.Required("description"): _text,
        vol.Optional("fields"): _slug_keys(service_field),
        vol.Optional("sections"): _slug_keys(
            {vol.Required("name"): _text, vol.Optional("description"): _text}
        ),
    }
    issue = {
        vol.Required("title"): _text,
        vol.Optional("description"): _text,
        vol.Optional("fix_flow"): _data_entry(),
    }
    return vol.Schema(
        {
            vol.Optional("title"): _text,
            vol.Optional("config"): _data_entry(),
            vol.Optional("config_subentries"): _slug_keys(_data_entry(subentry=True), cv.slug),
            vol.Optional("options"): _data_entry(),
            vol.Optional("selector"): _slug_keys(
                {vol.Optional("options"): state, vol.Optional("unit_of_measurement"): state},
                vol.Any("_", cv.slug),
            ),
            vol.Optional("device_automation"): {
                vol.Optional(section): {str: _text} for section in automation_sections
            },
            vol.Optional("system_health"): {vol.Optional("info"): state},
            vol.Optional("issues"): {str: vol.All(_issue, issue)},
            vol.Optional("device"): _slug_keys({vol.Optional("name"): _text}),
            vol.Optional("entity"): _slug_keys(_slug_keys(entity), cv.slug),
            vol.Optional("exceptions"): _slug_keys({vol.Required("message"): _text}, cv.slug),
            vol.Optional("services"): _slug_keys(service),
            vol.Optional("common"): _slug_keys(_text, cv.slug),
        }
    )


def check_translations(report: Report, package: Path) -> dict[str, Any] | None:
    """Check en.json's shape and that every other language mirrors it."""
    folder = package / "translations"
    en_path = folder / "en.json"
    en = load_json(report, en_path)
    if not isinstance(en, dict):
        return None
    try:
        translations_schema()(en)
    except vol.Invalid as err:
        report.invalid(en_path, err)
    else:
        report.checks += 1
    en_leaves = flatten(en)
    for path in sorted(folder.glob("*.json")):
        if path.name != "en.json":
            _check_language(report, path, en_leaves)
    return en


def _check_language(report: Report, path: Path, en_leaves: Mapping[str, Any]) -> None:
    """Check one language: a known code, en.json's keys, its strings' placeholders."""
    report.check(
        path.stem in LANGUAGES, path, f'"{path.stem}" is not a language Home Assistant knows'
    )
    other = load_json(report, path)
    if not isinstance(other, dict):
        return
    leaves = flatten(other)
    for key in sorted(set(en_leaves) - set(leaves)):
        report.problem(path, f"{key} is missing (en.json has it)")
    for key in sorted(set(leaves) - set(en_leaves)):
        report.problem(path, f"{key} is not in en.json")
    for key in sorted(set(leaves) & set(en_leaves)):
        ours, theirs = en_leaves[key], leaves[key]
        if not report.check(
            isinstance(theirs, str) == isinstance(ours, str), path, f"{key}: not as in en.json"
        ) or not isinstance(theirs, str):
            continue
        try:
            _text(theirs)
        except vol.Invalid as err:
            report.problem(path, f"{key}: {err.msg}")
        wanted, found = placeholders(ours), placeholders(theirs)
        report.check(
            wanted == found,
            path,
            f"{key}: placeholders {_braces(found)} differ from en.json's {_braces(wanted)}",
        )


# ---------------------------------------------------------------------------------------
# services.yaml, icons.json


def check_services(
    report: Report, package: Path, en: Mapping[str, Any], uses: Uses
) -> dict[str, Any]:
    """Check services.yaml with Home Assistant's own schema, its translations, its actions."""
    path = package / "services.yaml"
    if not path.is_file():
        report.check(
            not uses.services, path, "actions are registered but there is no services.yaml"
        )
        return {}
    try:
        services: dict[str, Any] = _SERVICES_SCHEMA(load_yaml_dict(str(path)))
    except HomeAssistantError as err:
        report.problem(path, f"not valid YAML: {err}")
        return {}
    except vol.Invalid as err:
        report.invalid(path, err)
        return {}
    report.checks += 1
    en_path = package / "translations" / "en.json"
    translated = en.get("services", {}) if isinstance(en.get("services"), dict) else {}
    for name, service in services.items():
        _check_service_strings(report, en_path, name, service or {}, translated.get(name, {}))
    for name in sorted(set(translated) - set(services)):
        report.problem(en_path, f"services.{name} is not an action in services.yaml")
    if uses.services is not None:
        for name in sorted(uses.services - set(services)):
            report.problem(path, f'action "{name}" is registered but not described here')
        for name in sorted(set(services) - uses.services):
            report.problem(path, f'action "{name}" is described but never registered')
    return services


def _check_service_strings(
    report: Report,
    en_path: Path,
    name: str,
    service: Mapping[str, Any],
    strings: Mapping[str, Any],
) -> None:
    """Check that an action, its sections and fields have their names and descriptions."""
    report.check(bool(strings), en_path, f"services.{name} is missing (services.yaml has it)")
    fields: dict[str, Any] = {}
    for field_name, spec in service.get("fields", {}).items():
        if isinstance(spec, dict) and "fields" in spec:  # a section
            fields.update(spec["fields"])
            report.check(
                lookup(strings, f"sections.{field_name}.name") is not None,
                en_path,
                f"services.{name}.sections.{field_name}.name is missing",
            )
        else:
            fields[field_name] = spec
    for field_name, leaf in itertools.product(fields, ("name", "description")):
        report.check(
            lookup(strings, f"fields.{field_name}.{leaf}") is not None,
            en_path,
            f"services.{name}.fields.{field_name}.{leaf} is missing",
        )
    for field_name in sorted(set(strings.get("fields", {})) - set(fields)):
        report.problem(
            en_path, f"services.{name}.fields.{field_name} is not a field in services.yaml"
        )


def _icon(value: Any) -> str:
    icon: str = cv.icon(cv.string_with_no_html(value))
    if not icon.startswith("mdi:"):
        raise vol.Invalid("an icon is a Material Design Icon: mdi:<name>")
    return icon


def icons_schema() -> vol.Schema:
    """Return the schema of icons.json (after hassfest's icons plugin)."""
    states = _slug_keys(_icon)
    entity = {
        vol.Optional("default"): _icon,
        vol.Optional("state"): states,
        vol.Optional("range"): {vol.Coerce(float): _icon},
        vol.Optional("state_attributes"): _slug_keys(
            {vol.Optional("default"): _icon, vol.Optional("state"): states}
        ),
    }
    flow = {vol.Optional("step"): {str: {vol.Optional("sections"): {str: _icon}}}}
    service = vol.Any(
        _icon, {vol.Required("service"): _icon, vol.Optional("sections"): {str: _icon}}
    )
    return vol.Schema(
        {
            vol.Optional("entity"): _slug_keys(_slug_keys(entity), cv.slug),
            vol.Optional("services"): _slug_keys(service),
            vol.Optional("config"): flow,
            vol.Optional("options"): flow,
            vol.Optional("issues"): {str: {vol.Optional("fix_flow"): flow}},
        }
    )


def check_icons(
    report: Report, package: Path, en: Mapping[str, Any], services: Mapping[str, Any]
) -> None:
    """Check icons.json: valid icons for translated entities and for every action."""
    path = package / "icons.json"
    icons = load_json(report, path) if path.is_file() else None
    if not isinstance(icons, dict):
        return
    try:
        icons_schema()(icons)
    except vol.Invalid as err:
        report.invalid(path, err)
        return
    report.checks += 1
    for platform, entities in icons.get("entity", {}).items():
        for key, spec in entities.items():
            report.check(
                lookup(en, f"entity.{platform}.{key}") is not None,
                path,
                f"entity.{platform}.{key}: no entity has this translation key",
            )
            for state, icon in spec.get("state", {}).items():
                report.check(
                    icon != spec.get("default"),
                    path,
                    f"entity.{platform}.{key}.state.{state} is the default icon: leave it out",
                )
    service_icons = icons.get("services", {})
    for name in services:
        report.check(name in service_icons, path, f'action "{name}" has no icon')
    for name in sorted(set(service_icons) - set(services)):
        report.problem(path, f"services.{name}: no such action in services.yaml")


# ---------------------------------------------------------------------------------------
# The package's setup, the brand images


def check_setup(report: Report, package: Package, manifest: Mapping[str, Any]) -> None:
    """Check what hassfest's config_schema and dependencies plugins check."""
    init = package.modules.get("")
    if init is not None and manifest.get("config_flow"):
        has_setup = {"async_setup", "setup"} & set(init.functions)
        schemas = {"CONFIG_SCHEMA", "PLATFORM_SCHEMA", "PLATFORM_SCHEMA_BASE"} & (
            set(init.constants) | set(init.imports)
        )
        report.check(
            not has_setup or bool(schemas),
            init.path,
            "async_setup without CONFIG_SCHEMA (use cv.config_entry_only_config_schema)",
        )
    allowed = (
        ALWAYS_USABLE
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | {str(manifest.get("domain"))}
        | {module.name.split(".")[0] for module in package.modules.values() if module.name}
    )
    for module, node in package.walk():
        for domain in _components_imported(node):
            report.check(
                domain in allowed,
                module.path,
                f'line {getattr(node, "lineno", 0)}: uses the "{domain}" integration, which is '
                "not in the manifest's dependencies or after_dependencies",
            )


def _components_imported(node: ast.AST) -> list[str]:
    """Return the Home Assistant integrations an import statement imports from."""
    prefix = "homeassistant.components."
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        if node.module.startswith(prefix):
            return [node.module.split(".")[2]]
        if node.module == "homeassistant.components":
            return [alias.name for alias in node.names]
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[2] for alias in node.names if alias.name.startswith(prefix)]
    return []


def png_size(path: Path) -> tuple[int, int] | None:
    """Return the width and height in a PNG's IHDR chunk, or None when it is no PNG."""
    with path.open("rb") as file:
        header = file.read(PNG_HEADER_SIZE)
    if len(header) < PNG_HEADER_SIZE or header[:8] != PNG_SIGNATURE or header[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def check_brand(report: Report, package: Path) -> None:
    """Check brand/: the names Home Assistant serves, sizes per the brands rules."""
    folder = package / "brand"
    icon = folder / "icon.png"
    if not report.check(icon.is_file(), icon, "missing (HACS needs the icon)"):
        return
    sizes: dict[str, tuple[int, int]] = {}
    for path in sorted(folder.iterdir()):
        if not report.check(
            path.name in BRAND_IMAGES, path, "not a brand image Home Assistant serves"
        ):
            continue
        size = png_size(path)
        if report.check(size is not None, path, "not a PNG") and size is not None:
            sizes[path.name] = size
            _check_image_size(report, path, size)
    for name, (width, height) in sizes.items():
        light = name.removeprefix("dark_")
        if name != light:
            report.check(light in sizes, folder / name, f"a dark variant without {light}")
        single = name.replace("@2x", "")
        if "@2x" in name and "logo" in name and (base := sizes.get(single)):
            ratio = base[0] / base[1]
            report.check(
                abs(width / height - ratio) < ASPECT_TOLERANCE * ratio,
                folder / name,
                f"{width}x{height} is not {single} ({base[0]}x{base[1]}) at twice the size",
            )


def _check_image_size(report: Report, path: Path, size: tuple[int, int]) -> None:
    width, height = size
    hdpi = "@2x" in path.name
    if "icon" in path.name:
        side = ICON_SIZE[hdpi]
        report.check(size == (side, side), path, f"{width}x{height}: an icon is {side}x{side}")
    else:
        low, high = LOGO_SHORT_SIDE[hdpi]
        report.check(
            low <= min(size) <= high,
            path,
            f"{width}x{height}: a logo's shortest side is {low} to {high} pixels",
        )


# ---------------------------------------------------------------------------------------
# quality_scale.yaml


def check_quality_scale(report: Report, package: Package, manifest: Mapping[str, Any]) -> None:
    """Check every rule is there with a known status, a reason, and holds when done."""
    path = package.package / "quality_scale.yaml"
    if not report.check(path.is_file(), path, "missing"):
        return
    try:
        rules = load_yaml_dict(str(path)).get("rules")
    except HomeAssistantError as err:
        report.problem(path, f"not valid YAML: {err}")
        return
    if not isinstance(rules, dict):
        report.problem(path, 'no "rules" mapping')
        return
    for name in sorted(ALL_QUALITY_RULES - set(rules)):
        report.problem(path, f"rule {name} is missing")
    for name in sorted(set(rules) - ALL_QUALITY_RULES):
        report.problem(path, f"{name} is not a rule of the quality scale")
    done = {
        name for name, value in rules.items() if _rule_status(report, path, name, value) == "done"
    }
    for name, holds, reason in _quality_evidence(package, manifest):
        if name in done:
            report.check(holds, path, f"{name} is done, but {reason}")


def _rule_status(report: Report, path: Path, name: str, value: Any) -> str | None:
    """Check one rule's entry (`done`, or status and comment); return its status."""
    status, comment = value, None
    if isinstance(value, dict):
        status, comment = value.get("status"), value.get("comment")
        for key in sorted(set(value) - {"status", "comment"}):
            report.problem(path, f'{name}: "{key}" is not a key of a rule')
    if not report.check(
        status in QUALITY_STATUSES, path, f"{name}: status must be done, exempt or todo"
    ):
        return None
    if status in {"exempt", "todo"}:
        report.check(
            isinstance(comment, str) and bool(comment.strip()),
            path,
            f"{name}: {status} needs a comment saying why",
        )
    return str(status)


def _quality_evidence(
    package: Package, manifest: Mapping[str, Any]
) -> Iterator[tuple[str, bool, str]]:
    """Yield, for the rules hassfest checks when done, whether the code bears them out."""
    init = package.modules.get("")
    flow = package.modules.get("config_flow")
    flow_nodes = list(ast.walk(flow.tree)) if flow else []
    flow_methods = {node.name for node in flow_nodes if isinstance(node, FUNCTIONS)}
    flow_calls = {_call_name(node) for node in flow_nodes if isinstance(node, ast.Call)}
    init_names = (
        {node.id for node in ast.walk(init.tree) if isinstance(node, ast.Name)} if init else set()
    )
    diagnostics = package.modules.get("diagnostics")
    yield (
        "config-flow",
        bool(manifest.get("config_flow")) and flow is not None,
        "there is no config flow",
    )
    yield (
        "reauthentication-flow",
        "async_step_reauth" in flow_methods,
        "there is no async_step_reauth",
    )
    yield (
        "reconfiguration-flow",
        "async_step_reconfigure" in flow_methods,
        "there is no async_step_reconfigure",
    )
    yield (
        "unique-config-entry",
        bool(manifest.get("single_config_entry"))
        or "_async_abort_entries_match" in flow_calls
        or {"async_set_unique_id", "_abort_if_unique_id_configured"} <= flow_calls,
        "the config flow neither sets a unique id nor matches entries",
    )
    yield (
        "config-entry-unloading",
        init is not None and "async_unload_entry" in init.functions,
        "__init__.py has no async_unload_entry",
    )
    yield (
        "test-before-setup",
        bool({"ConfigEntryNotReady", "ConfigEntryAuthFailed", "ConfigEntryError"} & init_names),
        "setup raises none of ConfigEntryNotReady, ConfigEntryAuthFailed, ConfigEntryError",
    )
    yield (
        "diagnostics",
        diagnostics is not None and "async_get_config_entry_diagnostics" in diagnostics.functions,
        "diagnostics.py has no async_get_config_entry_diagnostics",
    )
    yield "icon-translations", (package.package / "icons.json").is_file(), "there is no icons.json"
    yield "brands", (package.package / "brand" / "icon.png").is_file(), "there is no brand/icon.png"
    in_hass_data = any(
        isinstance(node, ast.Subscript)
        and _is_hass_data(node.value)
        and package.values(module, node.slice) == {package.domain}
        for module, node in package.walk()
    )
    yield "runtime-data", not in_hass_data, "the code keeps objects in hass.data[DOMAIN]"
    for module in package.modules.values():
        if module.name in PLATFORMS and "async_setup_entry" in module.functions:
            yield (
                "parallel-updates",
                "PARALLEL_UPDATES" in module.constants,
                f"{module.path.name} does not set PARALLEL_UPDATES",
            )


def _is_hass_data(expr: ast.expr) -> bool:
    """Tell whether `expr` is `hass.data` (or `self.hass.data`)."""
    if not isinstance(expr, ast.Attribute) or expr.attr != "data":
        return False
    owner = expr.value
    return getattr(owner, "id", None) == "hass" or getattr(owner, "attr", None) == "hass"


# ---------------------------------------------------------------------------------------


def validate(root: Path) -> Report:
    """Run every check on the repository at `root`."""
    report = Report(root.resolve())
    components = report.root / "custom_components"
    integrations = sorted(path.parent for path in components.glob("*/manifest.json"))
    if not report.check(bool(integrations), components, "no integration (no */manifest.json)"):
        return report
    check_hacs(report, integrations)
    for folder in integrations:
        manifest = check_manifest(report, folder)
        if manifest is None:
            continue
        package = Package(report, folder, str(manifest.get("domain")))
        check_setup(report, package, manifest)
        en = check_translations(report, folder)
        uses = KeyCollector(package).collect()
        if en is not None:
            check_code_keys(report, folder, en, uses)
            services = check_services(report, folder, en, uses)
            check_icons(report, folder, en, services)
        check_brand(report, folder)
        check_quality_scale(report, package, manifest)
    return report


def main(argv: list[str] | None = None) -> int:
    """Print one line per problem, then a summary; return the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the repository (default: this one)"
    )
    args = parser.parse_args(argv)
    report = validate(args.root)
    for problem in report.problems:
        print(problem)
    if report.problems:
        print(f"validate: {len(report.problems)} problems ({report.checks} checks)")
        return 1
    print(f"validate: OK ({report.checks} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

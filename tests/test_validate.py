"""scripts/validate: the real tree passes; each kind of breakage in a copy of it is reported."""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "validate.py"
PACKAGE = Path("custom_components") / "flowroute"
EN = PACKAGE / "translations" / "en.json"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flowroute_validate", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


validate = _load()


def _copy(target: Path) -> Path:
    """Copy what the script reads (the integration, hacs.json, pyproject.toml) to `target`."""
    shutil.copytree(
        ROOT / "custom_components",
        target / "custom_components",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("hacs.json", "pyproject.toml"):
        shutil.copy(ROOT / name, target / name)
    return target


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """What the unbroken copy reports (nothing, once every helper's work has landed)."""
    return set(validate.validate(_copy(tmp_path_factory.mktemp("baseline"))).problems)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _copy(tmp_path)


def _new_problems(tree: Path, baseline: set[str]) -> list[str]:
    return sorted(set(validate.validate(tree).problems) - baseline)


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _delete(data: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[part]
    del data[last]


def _png(width: int, height: int) -> bytes:
    """A real (transparent) PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x00\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_real_tree_passes(capsys: pytest.CaptureFixture[str]) -> None:
    status = validate.main(["--root", str(ROOT)])
    output = capsys.readouterr().out
    assert output.startswith("validate: OK ("), output
    assert status == 0


def test_a_broken_manifest_fails(tree: Path, baseline: set[str]) -> None:
    def breaks(manifest: dict[str, Any]) -> None:
        del manifest["version"]
        manifest["iot_class"] = "cloud_pushing"
        manifest["dependencies"].append("not_an_integration")
        manifest["homeassistant"] = "2025.4.0"  # a hacs.json key, not a manifest key
        manifest["codeowners"] = ["flowroute-ha"]

    _edit_json(tree / PACKAGE / "manifest.json", breaks)
    where = f"{PACKAGE}/manifest.json"
    assert _new_problems(tree, baseline) == sorted(
        [
            f'{where}: "homeassistant" is not a manifest key Home Assistant knows',
            f'{where}: "version" is required (hassfest, HACS)',
            f"{where}: keys must be sorted: domain, name, then alphabetical",
            (
                f'{where}: "iot_class" must be one of assumed_state, calculated, cloud_polling, '
                "cloud_push, local_polling, local_push"
            ),
            f'{where}: code owner "flowroute-ha" must be a GitHub @name',
            f'{where}: dependencies: "not_an_integration" is not an integration of Home Assistant',
        ]
    )


def test_an_integration_used_but_not_declared_fails(tree: Path, baseline: set[str]) -> None:
    _edit_json(
        tree / PACKAGE / "manifest.json",
        lambda manifest: manifest["after_dependencies"].remove("cloud"),
    )
    problems = _new_problems(tree, baseline)
    assert problems
    assert all('uses the "cloud" integration' in problem for problem in problems), problems
    assert any(problem.startswith(f"{PACKAGE}/webhook.py: line ") for problem in problems)


def test_hacs_json_with_an_undocumented_key_fails(tree: Path, baseline: set[str]) -> None:
    def breaks(hacs: dict[str, Any]) -> None:
        hacs["render_readme"] = True
        hacs["country"] = ["US", "XX"]

    _edit_json(tree / "hacs.json", breaks)
    assert _new_problems(tree, baseline) == [
        'hacs.json: "render_readme" is not a key HACS documents for hacs.json',
        'hacs.json: country "XX" is not an ISO 3166 code',
    ]


@pytest.mark.parametrize(
    ("key", "used_at"),
    [
        ("exceptions.no_recipients", "notify.py"),  # a literal key
        ("exceptions.assist_failed", "plain_text.py"),  # looked up at run time
        ("issues.flood_guard", "repairs.py"),  # a constant, through a **issue wrapper
        ("config.step.numbers", "config_flow.py"),
        ("config.abort.already_in_progress", "config_flow.py"),  # async_set_unique_id
        ("config.error.cannot_connect", "config_flow.py"),  # returned by a helper
        ("config.abort.reauth_successful", "config_flow.py"),  # an argument of a helper
        ("config_subentries.contact.error.assist_user_required", "config_flow.py"),
        ("entity.sensor.last_delivery_status.state.opted_out", "sensor.py"),  # enum options
        ("entity.event.messages.state_attributes.event_type.state.mms_received", "event.py"),
        ("device_automation.trigger_type.message_contains", "device_trigger.py"),
        ("device_automation.extra_fields.phrase", "device_trigger.py"),
    ],
)
def test_a_translation_key_used_in_code_but_missing_fails(
    tree: Path, baseline: set[str], key: str, used_at: str
) -> None:
    _edit_json(tree / EN, lambda en: _delete(en, key))
    problems = _new_problems(tree, baseline)
    missing = [problem for problem in problems if problem.startswith(f"{EN}: {key}")]
    assert missing, problems
    assert any(f"is missing (used at {used_at}:" in problem for problem in missing), missing


def test_keys_and_placeholders_in_new_code_are_followed(tree: Path, baseline: set[str]) -> None:
    (tree / PACKAGE / "extra.py").write_text(
        '"""Keys only this test uses."""\n\n'
        "from homeassistant.exceptions import HomeAssistantError\n\n"
        "from .const import DOMAIN\n\n"
        'KEY = "not_translated"\n\n\n'
        "def fail(key: str = KEY) -> None:\n"
        "    raise HomeAssistantError(translation_domain=DOMAIN, translation_key=key)\n\n\n"
        "def caller() -> None:\n"
        '    fail("also_missing")\n'
        "    fail()\n"
        "    raise HomeAssistantError(\n"
        '        translation_domain=DOMAIN, translation_key="no_recipients",\n'
        '        translation_placeholders={"count": "2"},\n'
        "    )\n",
        encoding="utf-8",
    )
    _edit_json(
        tree / EN,
        lambda en: en["exceptions"]["no_recipients"].update(message="Give a number, {who}."),
    )
    # (The other languages now lack {who}: not this test's business.)
    assert [p for p in _new_problems(tree, baseline) if p.startswith(f"{EN}:")] == [
        f"{EN}: exceptions.also_missing.message is missing (used at extra.py:11)",
        f"{EN}: exceptions.no_recipients.message uses {{who}}, which extra.py:17 does not give",
        f"{EN}: exceptions.no_recipients.message uses {{who}}, which notify.py:113 does not give",
        f"{EN}: exceptions.no_recipients.message uses {{who}}, which sending.py:238 does not give",
        f"{EN}: exceptions.not_translated.message is missing (used at extra.py:11)",
    ]


def test_a_language_file_with_a_missing_key_fails(tree: Path, baseline: set[str]) -> None:
    german = tree / PACKAGE / "translations" / "de.json"
    shutil.copy(tree / EN, german)

    def breaks(de: dict[str, Any]) -> None:
        _delete(de, "config.step.user.title")
        de["config"]["abort"]["extra_reason"] = "Nicht in en.json"
        de["exceptions"]["unknown_did"]["message"] = "{nummer} ist keine Ihrer Nummern."

    _edit_json(german, breaks)
    assert _new_problems(tree, baseline) == [
        f"{PACKAGE}/translations/de.json: config.abort.extra_reason is not in en.json",
        f"{PACKAGE}/translations/de.json: config.step.user.title is missing (en.json has it)",
        (
            f"{PACKAGE}/translations/de.json: exceptions.unknown_did.message: placeholders"
            " {nummer} differ from en.json's {number}"
        ),
    ]


def test_a_badly_shaped_en_json_fails(tree: Path, baseline: set[str]) -> None:
    def breaks(en: dict[str, Any]) -> None:
        en["exceptions"]["no_recipients"]["message"] = "Give a <b>number</b>."
        en["services"]["opt_in"]["fields"]["number"].pop("description")
        en["config"]["not_a_section"] = {}

    _edit_json(tree / EN, breaks)
    problems = _new_problems(tree, baseline)
    assert f"{EN}: config.not_a_section: extra keys not allowed" in problems or any(
        problem.startswith(f"{EN}: config.not_a_section:") for problem in problems
    ), problems
    assert any(
        problem.startswith(f"{EN}: exceptions.no_recipients.message:") and "HTML" in problem
        for problem in problems
    ), problems
    assert f"{EN}: services.opt_in.fields.number.description is missing" in problems


def test_a_brand_icon_of_the_wrong_size_fails(tree: Path, baseline: set[str]) -> None:
    brand = tree / PACKAGE / "brand"
    (brand / "icon.png").write_bytes(_png(200, 200))
    (brand / "logo.png").write_bytes(_png(400, 100))
    (brand / "dark_icon@2x.png").write_bytes(_png(512, 512))  # without dark_icon.png: fine
    (brand / "favicon.png").write_bytes(_png(32, 32))
    assert _new_problems(tree, baseline) == [
        f"{PACKAGE}/brand/favicon.png: not a brand image Home Assistant serves",
        f"{PACKAGE}/brand/icon.png: 200x200: an icon is 256x256",
        f"{PACKAGE}/brand/logo.png: 400x100: a logo's shortest side is 128 to 256 pixels",
        f"{PACKAGE}/brand/logo@2x.png: 1315x256 is not logo.png (400x100) at twice the size",
    ]


def test_quality_scale_rules_need_a_known_status_and_reasons(
    tree: Path, baseline: set[str]
) -> None:
    path = tree / PACKAGE / "quality_scale.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  strict-typing:\n", "  strict-typing-ish:\n", 1)
    text = text.replace("  has-entity-name: done\n", "  has-entity-name: todo\n", 1)
    text = text.replace("  config-entry-unloading: done\n", "  config-entry-unloading: maybe\n", 1)
    path.write_text(text, encoding="utf-8")
    # A rule marked done that the code contradicts.
    init = tree / PACKAGE / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8").replace("def async_unload_entry(", "def unload_entry("),
        encoding="utf-8",
    )
    where = f"{PACKAGE}/quality_scale.yaml"
    assert _new_problems(tree, baseline) == [
        f"{where}: config-entry-unloading: status must be done, exempt or todo",
        f"{where}: has-entity-name: todo needs a comment saying why",
        f"{where}: rule strict-typing is missing",
        f"{where}: strict-typing-ish is not a rule of the quality scale",
    ]


def test_services_and_icons_must_match_the_actions(tree: Path, baseline: set[str]) -> None:
    services = tree / PACKAGE / "services.yaml"
    services.write_text(
        services.read_text(encoding="utf-8") + "\nnot_registered:\n  fields: {}\n",
        encoding="utf-8",
    )
    _edit_json(tree / PACKAGE / "icons.json", lambda icons: icons["services"].pop("opt_in"))
    where = f"{PACKAGE}/services.yaml"
    assert _new_problems(tree, baseline) == sorted(
        [
            f"{EN}: services.not_registered is missing (services.yaml has it)",
            f'{PACKAGE}/icons.json: action "not_registered" has no icon',
            f'{PACKAGE}/icons.json: action "opt_in" has no icon',
            f'{where}: action "not_registered" is described but never registered',
        ]
    )


def test_the_script_exits_non_zero_with_one_line_per_problem(tree: Path) -> None:
    (tree / PACKAGE / "brand" / "icon.png").write_bytes(_png(128, 128))
    result = subprocess.run(  # noqa: S603 - our own script, with this interpreter
        [sys.executable, str(SCRIPT), "--root", str(tree)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{PACKAGE}/brand/icon.png: 128x128: an icon is 256x256" in lines
    assert lines[-1].startswith(f"validate: {len(lines) - 1} problems (")

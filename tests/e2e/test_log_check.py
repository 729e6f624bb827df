"""What the end-to-end tests count as a problem in Home Assistant's log (demo/hass.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.hass import _problems_in

if TYPE_CHECKING:
    from pathlib import Path

# Records as Home Assistant 2025.4 and 2026.10 write them; 2026.11 adds the UTC offset.
LOG = """\
2026-11-04 14:03:45.688 WARNING (MainThread) [homeassistant.bootstrap] Skipping pip installation
2026-11-04 14:03:45.694-08:00 WARNING (SyncWorker_0) [homeassistant.loader] We found a custom \
integration flowroute which has not been tested by Home Assistant
2026-11-04 14:03:46.001+05:30 WARNING (MainThread) [custom_components.flowroute.repairs] The \
deprecated callbacks of +1 206 555 0199 were pointed elsewhere
2026-11-04 14:03:46.002-08:00 WARNING (MainThread) [homeassistant.helpers.frame] Detected that \
custom integration 'flowroute' has an update listener and should use it for scheduling a \
reload. This will stop working in Home Assistant 2026.12.0, please create a bug report
2026-11-04 14:03:46.003 WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom \
integration 'other' calls `device_registry.async_get_device`, which is deprecated
2026-11-04 14:03:46.004 WARNING (MainThread) [homeassistant.const] The deprecated constant \
UNIT was used from flowroute. It will be removed in HA Core 2027.1.
2026-11-04 14:03:46.005-08:00 ERROR (MainThread) [homeassistant.setup] Setup failed for 'x'
Traceback (most recent call last):
  File "x.py", line 1, in <module>
2026-11-04 14:03:46.006-08:00 INFO (MainThread) [homeassistant.core] Starting
"""


def test_errors_tracebacks_and_deprecations_naming_the_integration_are_problems(
    tmp_path: Path,
) -> None:
    log = tmp_path / "home-assistant.log"
    log.write_text(LOG, encoding="utf-8")

    problems = _problems_in(log)

    assert [problem.split("] ", 1)[1].split(" ", 3)[:3] for problem in problems] == [
        ["Detected", "that", "custom"],
        ["The", "deprecated", "constant"],
        ["Setup", "failed", "for"],
    ]
    assert "'flowroute' has an update listener" in problems[0]
    assert "Traceback (most recent call last)" in problems[2]

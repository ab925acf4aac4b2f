"""Configuration layering: file, then environment, then CLI flags; errors name where they come from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trainer.config import DEFAULT_CONFIG, ConfigError, load_config


def test_embedded_default_serves_six_required_tenants_openly() -> None:
    """conf/trainer.toml is the out-of-the-box setup: six required tenants, open auth, system clock."""
    config = load_config(DEFAULT_CONFIG, env={})
    assert [t.id for t in config.tenants] == ["sales", "signals", "governance", "creative", "creative-builder", "brand"]
    assert all(t.required for t in config.tenants)
    assert config.auth.mode == "open"
    assert config.frozen_time is None
    assert config.port == 8080


def test_environment_overrides_the_file_and_flags_override_both() -> None:
    """$PORT (Procfile hosts) and TRAINER_* beat the file; --port beats the environment."""
    env = {"PORT": "5000", "TRAINER_FROZEN_TIME": "2026-06-01T12:00:00Z", "TRAINER_AUTH_MODE": "bearer"}
    config = load_config(DEFAULT_CONFIG, env=env)
    assert config.port == 5000
    assert config.frozen_time == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert config.auth.mode == "bearer"
    assert load_config(DEFAULT_CONFIG, env=env, port=6001).port == 6001
    assert load_config(DEFAULT_CONFIG, env={**env, "TRAINER_PORT": "7000"}).port == 7000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "http"}, "environment: PORT: expected int, got 'http'"),
        ({"TRAINER_FROZEN_TIME": "yesterday"}, "clock.frozen_time: expected an ISO 8601 instant, got 'yesterday'"),
        ({"TRAINER_AUTH_MODE": "maybe"}, "auth.mode: expected one of open, bearer, got 'maybe'"),
        ({"TRAINER_LOG_FORMAT": "xml"}, "server.log_format: expected one of auto, json, console, got 'xml'"),
    ],
)
def test_bad_environment_value_names_its_key(env: dict[str, str], message: str) -> None:
    """A malformed override fails the load with the variable or key it came through."""
    with pytest.raises(ConfigError) as raised:
        load_config(DEFAULT_CONFIG, env=env)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[surprise]\n", "surprise: unknown section"),
        ("[tenants.a]\nfactory = 'x:y'\nrequird = false\n", "tenants.a.requird: unknown key"),
        ("[tenants.a]\nfactory = 'not a path'\n", "tenants.a.factory: expected 'module:callable'"),
        ("[tenants.a]\nfactory = 'x:y'\nenabled = false\n", "tenants: no enabled tenant"),
        ("[auth]\nmode = 'bearer'\ntokens = { public = 'short' }\n[tenants.a]\nfactory='x:y'\n", "auth.tokens.public"),
        ("[restart]\njitter = 2.0\n[tenants.a]\nfactory='x:y'\n", "restart.jitter: must be between 0 and 1"),
    ],
)
def test_bad_file_value_names_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    """Every file error reads '<file>: <key>: <problem>'."""
    path = tmp_path / "trainer.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={})
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)

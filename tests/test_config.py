"""Settings: read from the environment by pydantic-settings, refused with one line, secrets never shown.

``tests/test_cli.py`` checks the same lines as ``selfserve run`` prints them (exit code 2); these
tests call ``load_settings`` in-process, so they can cover every case cheaply.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.config import ConfigError, Settings, config_error, load_settings
from tests.harness import BOT_TOKEN, SIGNING_SECRET, Harness

VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL", "CATALOG_PATH", "PORT",
             "HOST", "LOG_LEVEL")
TOKEN = "xoxb-1111-2222-do-not-print"
SECRET = "signing-secret-do-not-print"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with exactly the two required settings (lower-case twins removed too)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    return monkeypatch


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str | None) -> str:
    for name, value in variables.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    return str(caught.value)


def test_defaults(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == TOKEN
    assert settings.slack_signing_secret.get_secret_value() == SECRET
    assert (settings.slack_api_url, settings.database_url, settings.catalog_path, settings.port, settings.host,
            settings.log_level) == ("https://slack.com/api/", "sqlite+aiosqlite:///selfserve.db", "./catalog.yaml",
                                    3000, "0.0.0.0", "INFO")


def test_values_are_normalised_as_before(environment: pytest.MonkeyPatch) -> None:
    for name, value in {"SLACK_BOT_TOKEN": f"  {TOKEN}\n", "SLACK_API_URL": " http://127.0.0.1:9/api ",
                        "DATABASE_URL": "postgres://u:p@db/selfserve", "PORT": " 8080 ", "LOG_LEVEL": "debug",
                        "CATALOG_PATH": "", "HOST": ""}.items():
        environment.setenv(name, value)
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == TOKEN
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "postgresql+asyncpg://u:p@db/selfserve"
    assert (settings.port, settings.log_level, settings.catalog_path, settings.host) == \
        (8080, "DEBUG", "./catalog.yaml", "0.0.0.0")


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN: is not set (the bot token starts with xoxb-)"),
        ({"SLACK_BOT_TOKEN": "   "}, "SLACK_BOT_TOKEN: is not set (the bot token starts with xoxb-)"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"),
        ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET: is not set"),
        ({"SLACK_SIGNING_SECRET": " \t"}, "SLACK_SIGNING_SECRET: is not set"),
        ({"SLACK_API_URL": ""}, "SLACK_API_URL: must be an http(s) URL, got ''"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL: must be an http(s) URL, got 'slack.com/api'"),
        ({"DATABASE_URL": ""}, "DATABASE_URL: is not a database URL: ''"),
        ({"DATABASE_URL": "mysql://x"},
         "DATABASE_URL: driver 'mysql' is not supported (use one of: sqlite+aiosqlite, postgresql+asyncpg)"),
        ({"PORT": ""}, "PORT: must be a number from 1 to 65535, got ''"),
        ({"PORT": "0"}, "PORT: must be a number from 1 to 65535, got '0'"),
        ({"PORT": "65536"}, "PORT: must be a number from 1 to 65535, got '65536'"),
        ({"PORT": "+80"}, "PORT: must be a number from 1 to 65535, got '+80'"),
        ({"PORT": "٨٠"}, "PORT: must be a number from 1 to 65535, got '٨٠'"),  # Arabic-Indic digits
        ({"PORT": "{port}"}, "PORT: must be a number from 1 to 65535, got '{port}'"),  # braces are not a template
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'"),
        # several bad settings: the first, in the table's order, is named
        ({"SLACK_SIGNING_SECRET": None, "PORT": "x", "LOG_LEVEL": "x"}, "SLACK_SIGNING_SECRET: is not set"),
        ({"PORT": "x", "LOG_LEVEL": "x"}, "PORT: must be a number from 1 to 65535, got 'x'"),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_variable(environment: pytest.MonkeyPatch,
                                                      variables: dict[str, str | None], line: str) -> None:
    assert refusal(environment, **variables) == line


def test_only_the_exact_upper_case_names_are_read(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("port", "not-a-port")
    environment.setenv("log_level", "loud")
    environment.setenv("slack_api_url", "ftp://x")
    settings = load_settings()
    assert (settings.port, settings.log_level, settings.slack_api_url) == (3000, "INFO", "https://slack.com/api/")
    assert refusal(environment, SLACK_BOT_TOKEN=None, slack_bot_token=TOKEN) == \
        "SLACK_BOT_TOKEN: is not set (the bot token starts with xoxb-)"


def test_a_dotenv_file_is_not_read(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment.chdir(tmp_path)
    (tmp_path / ".env").write_text("PORT=abc\nLOG_LEVEL=loud\n")
    assert load_settings().port == 3000


def test_the_token_and_secret_never_show(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert isinstance(settings.slack_bot_token, SecretStr) and isinstance(settings.slack_signing_secret, SecretStr)
    shown = [repr(settings), str(settings), f"{settings}", f"{settings!r}", settings.model_dump_json(),
             str(settings.model_dump()), repr(settings.slack_bot_token), str(settings.slack_signing_secret)]
    for text in shown:
        assert TOKEN not in text and SECRET not in text, text


def test_a_refused_token_is_not_quoted(environment: pytest.MonkeyPatch) -> None:
    line = refusal(environment, SLACK_BOT_TOKEN="xoxp-user-token-do-not-print")
    assert "do-not-print" not in line


def test_settings_are_frozen(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.port = 1


def test_code_constructs_settings_with_plain_strings(environment: pytest.MonkeyPatch) -> None:
    """What tests/harness.py and the benchmark do; port 0 (any free port) is allowed from code."""
    settings = Settings(slack_bot_token="xoxb-from-code", slack_signing_secret="from-code",
                        slack_api_url="http://127.0.0.1:1/api", database_url="sqlite+aiosqlite:///x.db",
                        catalog_path="c.yaml", port=0, host="127.0.0.1")
    assert settings.slack_bot_token == SecretStr("xoxb-from-code")
    assert settings.slack_signing_secret.get_secret_value() == "from-code"
    assert (settings.slack_api_url, settings.port, settings.log_level) == ("http://127.0.0.1:1/api/", 0, "INFO")
    again = Settings(slack_bot_token=SecretStr("xoxb-again"), slack_signing_secret=SecretStr("again"))
    assert again.slack_bot_token.get_secret_value() == "xoxb-again"


def test_arguments_win_over_the_environment(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("PORT", "5000")
    environment.setenv("LOG_LEVEL", "debug")
    settings = Settings(slack_bot_token="xoxb-from-code", port=0)
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-code"
    assert settings.slack_signing_secret.get_secret_value() == SECRET  # left out: from the environment
    assert (settings.port, settings.log_level) == (0, "DEBUG")


def test_a_validation_error_from_code_neither_quotes_the_secret_nor_spans_lines(
        environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(slack_bot_token="xoxp-do-not-print", slack_signing_secret=SECRET, port=[80])  # type: ignore[arg-type]
    assert "do-not-print" not in str(caught.value) and SECRET not in str(caught.value)
    error = config_error(caught.value)
    assert str(error) == "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"
    assert error.name == "SLACK_BOT_TOKEN"


async def test_debug_logs_of_a_running_bot_never_show_the_token_or_secret(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("slack_sdk", "slack_bolt", "slack_sdk.web.async_base_client", "slack_sdk.web.async_internal_utils"):
        caplog.set_level(logging.DEBUG, logger=name)
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    logging.getLogger("selfserve.test").info("settings %s %r", settings, settings)
    response = await harness.slack.slash_command(user_id="U0HR1", command="/selfserve", text="new-employee")
    assert response.status == 200
    await harness.settle()
    assert harness.stub.calls_to("views.open"), "the bot called the Web API with its token"
    assert any(record.name.startswith("slack_sdk") for record in caplog.records), "debug logging was on"
    logged = caplog.text
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged


def test_socket_mode_needs_no_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Socket Mode takes no signed HTTP requests: the secret may be left out (a random one stands in)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    first, second = load_settings(), load_settings()
    assert first.slack_signing_secret.get_secret_value() != second.slack_signing_secret.get_secret_value()
    monkeypatch.delenv("SLACK_APP_TOKEN")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings()

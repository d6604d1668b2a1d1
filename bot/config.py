"""Settings from the environment, checked before anything starts.

A bad setting stops the start with one line that names it (exit code 2), rather than a
traceback minutes later when the first request arrives.

``Settings`` is a pydantic-settings model. ``load_settings()`` reads the environment variables
by their exact upper-case names, and nothing else (no .env file, no lower-case names). Code and
tests may construct it with field names, ``Settings(slack_bot_token="xoxb-…", ...)``: plain
strings become ``SecretStr``, and a field left out still comes from the environment. The token
and the signing secret are ``SecretStr`` so that no repr, str, log line or validation error
shows them; ``.get_secret_value()`` is called only where they are handed to slack_sdk.
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///selfserve.db"
DEFAULT_CATALOG_PATH = "./catalog.yaml"
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# What a missing required variable is told; every other problem comes from a validator below.
_NOT_SET = {
    "SLACK_BOT_TOKEN": "is not set (the bot token starts with xoxb-)",
    "SLACK_SIGNING_SECRET": "is not set",
}


class ConfigError(Exception):
    """One bad setting: ``name`` is the environment variable, ``problem`` what is wrong."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


class Settings(BaseSettings):
    """Every setting, validated in this order (the first bad one is the one reported)."""

    model_config = SettingsConfigDict(
        validate_by_name=True,  # code and tests pass field names
        validate_by_alias=True,  # the environment passes variable names (see _Environment)
        frozen=True,
        extra="ignore",
        hide_input_in_errors=True,  # a ValidationError never quotes the token or the secret
    )

    slack_bot_token: SecretStr = Field(validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")  # set: Socket Mode
    slack_signing_secret: SecretStr = Field(default=SecretStr(""), validation_alias="SLACK_SIGNING_SECRET",
                                            validate_default=True)
    slack_api_url: str = Field(default=DEFAULT_API_URL, validation_alias="SLACK_API_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    catalog_path: str = Field(default=DEFAULT_CATALOG_PATH, validation_alias="CATALOG_PATH")
    port: int = Field(default=DEFAULT_PORT, validation_alias="PORT")
    host: str = Field(default=DEFAULT_HOST, validation_alias="HOST")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: str = Field(default="text", validation_alias="LOG_FORMAT")
    job_retention_days: float = Field(default=7.0, validation_alias="JOB_RETENTION_DAYS")
    failed_job_retention_days: float = Field(default=30.0, validation_alias="FAILED_JOB_RETENTION_DAYS")

    if TYPE_CHECKING:  # what type checkers see: plain str secrets are fine, pydantic makes them SecretStr
        def __init__(self, *, slack_bot_token: SecretStr | str = ..., slack_signing_secret: SecretStr | str = ...,
                     slack_app_token: SecretStr | str | None = ..., slack_api_url: str = ..., database_url: str = ...,
                     catalog_path: str = ..., port: int = ..., host: str = ...,
                     log_level: str = ..., log_format: str = ..., job_retention_days: float = ...,
                     failed_job_retention_days: float = ...) -> None: ...  # any left out: from the environment

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then the environment by exact names; no .env file, no secrets directory."""
        return init_settings, _Environment(settings_cls)

    @field_validator("slack_bot_token", "slack_signing_secret", mode="before")
    @classmethod
    def _required(cls, value: object, info: ValidationInfo) -> str:
        text = _text(value).strip()
        if not text:
            if info.field_name == "slack_signing_secret" and info.data.get("slack_app_token") is not None:
                # Socket Mode takes no signed HTTP requests; a random secret verifies nothing
                return secrets.token_urlsafe(32)
            raise _problem(_NOT_SET[_ENV_NAMES[str(info.field_name)]])
        return text

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, token: SecretStr) -> SecretStr:
        if not token.get_secret_value().startswith("xoxb-"):
            raise _problem("must be a bot token starting with xoxb-")
        return token

    @field_validator("slack_app_token", mode="before")
    @classmethod
    def _app_token(cls, value: object) -> str | None:
        """Optional: unset or empty means HTTP mode; otherwise an app-level token (Socket Mode)."""
        if value is None:
            return None
        text = _text(value).strip()
        if not text:
            return None
        if not text.startswith("xapp-"):
            raise _problem("must be an app-level token starting with xapp- (or unset, to take HTTP requests)")
        return text

    @field_validator("slack_api_url", mode="before")
    @classmethod
    def _api_url(cls, value: object) -> str:
        text = _text(value)
        parsed = urlparse(text.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise _problem(f"must be an http(s) URL, got {text!r}")
        return text.strip().rstrip("/") + "/"

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> str:
        try:
            return database_url(_text(value))
        except ConfigError as error:
            raise _problem(str(error).removeprefix("DATABASE_URL: ")) from None

    @field_validator("catalog_path", "host", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object, info: ValidationInfo) -> str:
        return _text(value) or str(cls.model_fields[str(info.field_name)].default)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
            return value  # from code: 0 asks for any free port (tests); the environment must name one
        text = _text(value)
        stripped = text.strip()
        if not stripped.isascii() or not stripped.isdecimal() or not 1 <= int(stripped) <= 65535:
            raise _problem(f"must be a number from 1 to 65535, got {text!r}")
        return int(stripped)

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> str:
        text = _text(value)
        chosen = (text.strip() or "text").lower()
        if chosen not in ("text", "json"):
            raise _problem(f"must be text or json, got {text!r}")
        return chosen

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> str:
        text = _text(value)
        level = (text.strip() or "INFO").upper()
        if level not in LOG_LEVELS:
            raise _problem(f"must be one of {', '.join(LOG_LEVELS)}, got {text!r}")
        return level


    @field_validator("job_retention_days", "failed_job_retention_days", mode="before")
    @classmethod
    def _days(cls, value: object, info: ValidationInfo) -> float:
        """How long finished jobs are kept (``domain.job_purge``): a number of days above 0."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
        else:
            text = _text(value).strip() or str(cls.model_fields[str(info.field_name)].default)
        try:
            days = float(text)
        except ValueError:
            days = 0.0
        if not days > 0 or days == float("inf"):
            raise _problem(f"must be a number of days above 0, got {text!r}")
        return days


class _Environment(PydanticBaseSettingsSource):
    """Each field's environment variable by its exact name (the field's validation alias).

    pydantic-settings' own source would also read ``port`` or ``host`` once fields may be passed
    by name, and an empty variable is kept as a value (``PORT=`` is refused, as it always was).
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        name = str(field.validation_alias)
        return os.environ.get(name), name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, name, _ = self.get_field_value(field, field_name)
            if value is not None:
                values[name] = value
        return values


def load_settings() -> Settings:
    """Read and validate every setting from the environment; raises ConfigError for the first bad one."""
    try:
        return Settings()
    except ValidationError as error:
        raise config_error(error) from None


def config_error(error: ValidationError) -> ConfigError:
    """The first problem of a settings ValidationError as one line naming its environment variable."""
    first = error.errors(include_url=False, include_input=False)[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    name = _ENV_NAMES.get(field, field.upper())
    problem = _NOT_SET.get(name, "is not set") if first["type"] == "missing" else first["msg"]
    return ConfigError(name, " ".join(str(problem).split()))  # one line, whatever pydantic said


def database_url(value: str) -> str:
    """Normalise the URL operators usually have (``postgres://``) to the async driver we use."""
    value = value.strip()
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            value = "postgresql+asyncpg://" + value[len(prefix):]
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError("DATABASE_URL", f"is not a database URL: {value!r}") from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError("DATABASE_URL", f"driver {url.drivername!r} is not supported "
                          f"(use one of: {', '.join(SUPPORTED_DRIVERS)})")
    return value


# Field name or environment variable -> environment variable, for naming the bad one.
_ENV_NAMES: dict[str, str] = {
    key: str(info.validation_alias)
    for name, info in Settings.model_fields.items()
    for key in (name, str(info.validation_alias))
}


def _text(value: object) -> str:
    """The string a validator checks: environment values are str; code may pass a SecretStr."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, str):
        return value
    raise _problem(f"must be text, got {type(value).__name__}")


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("setting", "{problem}", {"problem": message})  # no braces read from the message


"""Hub settings: every knob is an ``ULAK_*`` environment variable (pydantic-settings).

Nothing here is read at import time; ``Settings()`` is built by the CLI or a test and
passed explicitly into ``create_app(settings)`` and the worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from translation.routing import Preference

SUPPORTED_LANGUAGES = ("az", "tr", "ru", "uz", "en", "kk", "ky")
DEFAULT_SECRET = "change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ULAK_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("./ulak-data")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite file in the data dir")
    secret_key: SecretStr | None = Field(
        default=None, description="signs presigned links; default: a random key kept in <data_dir>/secret-key"
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="base URL of the hub as partners reach it")

    # object store
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path | None = Field(default=None, description="local store root; default <data_dir>/objects")
    storage_timeout_seconds: float = 5.0
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: SecretStr = SecretStr("minioadmin")
    s3_bucket: str = "ulak"
    s3_secure: bool = False
    s3_region: str | None = None
    s3_create_bucket: bool = True

    # languages and limits
    target_languages: Annotated[tuple[str, ...], NoDecode] = ("az", "tr", "ru", "uz", "en")
    max_upload_bytes: int = 512 * 1024 * 1024
    max_story_bytes: int = 2 * 1024 * 1024
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="longest wait for the next piece of a request body before answering 408"
    )

    # translation engine
    models_dir: Path | None = Field(default=None, description="installed packages; default <data_dir>/models")
    models_in_store: bool | None = Field(
        default=None,
        description="keep installed packages in the object store for every worker (default: with the s3 backend)",
    )
    argos_index_url: str = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
    translation_beam_size: int = 4
    translation_threads: int = 0
    translation_compute_type: str = "int8"
    translation_max_loaded_models: int = 8
    translation_max_decoding_length: int = 256
    translation_min_decoding_length: int = 1
    translation_memory: bool = Field(default=True, description="reuse sentences already translated by the same model")
    translation_max_chars: int = Field(default=200_000, description="longer stories fail instead of hogging a worker")
    translation_prefer: Preference = Field(
        default="bilingual", description="which package serves a pair both a bilingual and a multilingual one serve"
    )
    translation_prefer_pairs: Annotated[dict[tuple[str, str], Preference], NoDecode] = Field(
        default_factory=dict,
        description="per-pair overrides of translation_prefer, e.g. az-uz:multilingual,tr-en:bilingual",
    )

    # language identification of pushed stories (translation/langid.py)
    language_id_preload: bool = Field(
        default=False,
        description="load the identification models (~1 GB of memory, ~2 s) at startup instead of on the first push",
    )

    # webhooks (hub/delivery): sent by the worker processes
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="longest wait for a receiver's answer")
    webhook_max_backoff_seconds: float = Field(
        default=600.0,
        gt=0,
        description="longest wait between two attempts at the same entry (backoff doubles up to it)",
    )
    webhook_give_up_seconds: float = Field(
        default=3 * 24 * 3600.0, gt=0, description="pause a subscription whose receiver has failed this long"
    )
    webhook_allow_private: bool = Field(
        default=False, description="allow loopback, private and link-local webhook targets (tests, closed networks)"
    )

    # rate limits (hub/ratelimit.py), per key and scope
    rate_limits: str = Field(
        default="pull=600/minute;push=120/minute;edit=120/minute;admin=600/minute",
        description="SCOPE=LIMIT[,LIMIT…] separated by ';' in the `limits` notation; empty: no limits",
    )
    rate_limit_storage: str | None = Field(
        default=None,
        description="memory://, redis://HOST:PORT or database; default: database on PostgreSQL, memory on SQLite",
    )

    # worker
    embedded_worker: bool = True
    worker_claim_size: int = 8
    worker_lease_seconds: float = 120.0
    worker_poll_seconds: float = 1.0
    worker_max_attempts: int = 5

    @field_validator("target_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(code.strip() for code in value.split(",") if code.strip())
        return value

    @field_validator("translation_prefer_pairs", mode="before")
    @classmethod
    def _split_pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs: dict[tuple[str, str], str] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            pair, _, prefer = item.partition(":")
            source, _, target = pair.partition("-")
            if not (source.strip() and target.strip() and prefer.strip()):
                raise ValueError(f"{item!r} is not SOURCE-TARGET:PREFERENCE, e.g. az-uz:multilingual")
            pairs[source.strip(), target.strip()] = prefer.strip()
        return pairs

    @field_validator("rate_limits")
    @classmethod
    def _readable_limits(cls, value: str) -> str:
        from hub.ratelimit import parse_limits  # imports hub.models; not needed to build Settings otherwise

        parse_limits(value)
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _known_storage(cls, value: str | None) -> str | None:
        # The storages of the ``limits`` library whose client the hub installs (redis).
        schemes = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
        if value is not None and value != "database" and value.partition("://")[0] not in schemes:
            raise ValueError(f"{value!r}: use database, memory:// or a Redis URI ({', '.join(schemes[1:])}://…)")
        return value

    @field_validator("target_languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in SUPPORTED_LANGUAGES]
        if unknown:
            raise ValueError(f"unsupported language(s) {unknown}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key is not None and self.secret_key.get_secret_value() == DEFAULT_SECRET:
                raise ValueError("ULAK_SECRET_KEY must not be the published placeholder outside development")
            if self.storage_backend == "s3" and self.s3_secret_key.get_secret_value() == "minioadmin":
                raise ValueError("ULAK_S3_SECRET_KEY must be set outside development")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'ulak.db').resolve()}"

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir or self.data_dir / "objects"

    @property
    def resolved_models_in_store(self) -> bool:
        """With S3 the store is what machines share; the local store is on the one machine
        that also holds the models, where a second copy would only take disk space."""
        return self.models_in_store if self.models_in_store is not None else self.storage_backend == "s3"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def upload_spool_dir(self) -> Path:
        """Where media uploads are spooled while they are hashed (swept of crash leftovers at start)."""
        return self.data_dir / "tmp"

    @property
    def translation_memory_path(self) -> Path:
        return self.data_dir / "translation-memory.sqlite3"

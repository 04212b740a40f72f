"""Settings read from the environment, with an embedded default when nothing is set."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything the app, the workers and the CLI need to know about their surroundings."""

    database_url: str
    redis_url: str | None  # None: start the embedded Redis
    twilio_account_sid: str | None
    twilio_auth_token: str
    twilio_credentials_present: bool
    twilio_api_url: str | None  # points the real twilio library at a local fake
    public_base_url: str
    port: int
    data_dir: Path
    flows_dir: Path
    staff_file: Path | None
    secret_key: str

    @property
    def dry_run(self) -> bool:
        """Say whether messages are recorded in the outbox instead of sent through Twilio."""
        return not self.twilio_credentials_present

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read settings from the environment, falling back to the embedded default."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("CALLROUTER_DATA_DIR") or PROJECT_ROOT / "instance").resolve()
        port = int(env.get("PORT") or 5000)
        sid = env.get("TWILIO_ACCOUNT_SID") or None
        token = env.get("TWILIO_AUTH_TOKEN") or None
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'callrouter.sqlite3'}"
        return cls(
            database_url=_normalise_database_url(database_url),
            redis_url=env.get("REDIS_URL") or None,
            twilio_account_sid=sid,
            twilio_auth_token=token or _local_secret(data_dir, "dev-auth-token"),
            twilio_credentials_present=bool(sid and token),
            twilio_api_url=env.get("TWILIO_API_URL") or None,
            public_base_url=(env.get("PUBLIC_BASE_URL") or f"http://localhost:{port}").rstrip("/"),
            port=port,
            data_dir=data_dir,
            flows_dir=Path(env.get("IVR_FLOWS_DIR") or PROJECT_ROOT / "ivr_flows"),
            staff_file=Path(env["STAFF_FILE"]) if env.get("STAFF_FILE") else None,
            secret_key=env.get("SECRET_KEY") or _local_secret(data_dir, "secret-key"),
        )


def _normalise_database_url(url: str) -> str:
    # Heroku-style postgres:// URLs; we drive PostgreSQL with psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _local_secret(data_dir: Path, name: str) -> str:
    """Return a secret kept in the data dir, so the softphone and the app agree without setup."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / name
    if not path.exists():
        path.write_text(secrets.token_hex(20))
        path.chmod(0o600)
    return path.read_text().strip()

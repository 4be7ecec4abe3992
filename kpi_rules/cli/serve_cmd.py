"""`kpi-rules serve`, `kpi-rules token`, `kpi-rules audit`: the service's commands (SERVICE.md 1).
The service itself is imported only when one of them runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpi_rules.cli import main
from kpi_rules.serve.settings import MAX_WORKERS, Settings  # small: no web framework, no database

TOKENS_ENV = "KPI_RULES_TOKENS"
TOKENS_HELP = f"The identities file (YAML); default: ${TOKENS_ENV}."


def _size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    from kpi_rules.serve.settings import SettingsError, parse_size

    try:
        return parse_size(value)
    except SettingsError as exc:
        raise click.BadParameter(str(exc)) from exc


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from kpi_rules.serve.settings import SettingsError, parse_duration

    try:
        return parse_duration(value)
    except SettingsError as exc:
        raise click.BadParameter(str(exc)) from exc


@main.command()
@click.argument("policy_dir", default="policies", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--db", "db_url", default="sqlite:///kpi-rules-service.db", show_default=True,
              help="sqlite:///PATH or postgresql://USER@HOST/DB (several instances share one PostgreSQL).")
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False, path_type=Path), envvar=TOKENS_ENV,
              help=TOKENS_HELP + " Without it the server binds to loopback only and every caller is hr.")
@click.option("--max-upload", default="100MiB", show_default=True, callback=_size,
              help="Largest upload: bytes or 1MiB, 100M, 2GiB (binary units).")
@click.option("--max-rows", default=2_000_000, show_default=True, type=click.IntRange(1), help="Most data rows.")
@click.option("--session-idle", default="8h", show_default=True, callback=_duration,
              help="The web app signs a session out after this long idle: seconds or 90s, 30m, 8h, 1d.")
@click.option("--workers", default=Settings.workers, show_default=True, type=click.IntRange(1, MAX_WORKERS),
              help="Worker processes that evaluate uploads and compute explanations and reports, off the "
                   "request loop; each may hold a large evaluation in memory.")
@click.option("--keep-evaluations", default=Settings.keep_evaluations, show_default=True, type=click.IntRange(1),
              help="Evaluations each worker keeps computed (the ones used last) so that explain and reports "
                   "do not evaluate again; a 100k-row evaluation holds a few hundred MiB.")
def serve(policy_dir: Path, host: str, port: int, db_url: str, tokens_file: Path | None, max_upload: int,
          max_rows: int, session_idle: float, workers: int, keep_evaluations: int) -> None:
    """Serve the policies under POLICY_DIR over HTTP: evaluate, explain, report, audit.

    \b
    Examples:
      kpi-rules serve policies/
      kpi-rules token add alice --role hr --tokens tokens.yaml
      kpi-rules serve policies/ --tokens tokens.yaml --host 0.0.0.0 --db postgresql://kpi@db/kpi
    """
    import uvicorn

    from kpi_rules.serve.app import create_app
    from kpi_rules.serve.settings import SettingsError
    from kpi_rules.serve.storage.db import DatabaseUrlError

    settings = Settings(policy_dir=policy_dir, host=host, port=port, db_url=db_url, tokens_file=tokens_file,
                        max_upload=max_upload, max_rows=max_rows, session_idle=session_idle, workers=workers,
                        keep_evaluations=keep_evaluations)
    try:
        settings.check()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    if settings.open_access:
        banner = "!" * 78
        click.echo(f"{banner}\nWARNING: no --tokens: every caller is treated as hr (full access).\n"
                   f"Listening on {host} only; create tokens with `kpi-rules token add` before exposing it.\n"
                   f"{banner}", err=True)
    try:
        app = create_app(settings)
    except DatabaseUrlError as exc:
        raise click.UsageError(str(exc)) from exc
    from kpi_rules.serve.access_log import log_to_stderr

    log_to_stderr()  # JSON lines of our own: uvicorn's access log would print paths with ids and query strings
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=30, access_log=False)


@main.group()
def token() -> None:
    """Manage the service's identities (the tokens file keeps only each token's sha256)."""


def _tokens_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option("--tokens", "tokens_file", required=True, envvar=TOKENS_ENV,
                        type=click.Path(dir_okay=False, path_type=Path), help=TOKENS_HELP)(f)


@token.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["hr", "manager", "employee", "service"]))
@click.option("--team", "teams", multiple=True, help="A team a manager sees (repeatable).")
@click.option("--employee", "employee_id", help="The employee id an employee token belongs to.")
@_tokens_option
def token_add(name: str, role: str, teams: tuple[str, ...], employee_id: str | None, tokens_file: Path) -> None:
    """Create an identity; prints its token once, alone on the last line."""
    from kpi_rules.serve.identity import TokensFileError, add_token

    try:
        secret = add_token(tokens_file, name, role, teams, employee_id)
    except TokensFileError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"added {name} ({role}) to {tokens_file}; the token is shown once:", err=True)
    click.echo(secret)


@token.command("list")
@_tokens_option
def token_list(tokens_file: Path) -> None:
    """Names, roles and scopes; never the tokens."""
    from kpi_rules.serve.identity import TokensFileError, read_entries

    try:
        entries = read_entries(tokens_file)
    except TokensFileError as exc:
        raise click.UsageError(str(exc)) from exc
    for e in entries:
        scope = ",".join(e.get("teams") or []) or e.get("employee_id") or "-"
        click.echo(f"{e['name']}\t{e['role']}\t{scope}\t{e.get('created', '')}")


@token.command("revoke")
@click.argument("name")
@_tokens_option
def token_revoke(name: str, tokens_file: Path) -> None:
    """Remove an identity: its token fails from the server's next request on."""
    from kpi_rules.serve.identity import TokensFileError, revoke_token

    try:
        found = revoke_token(tokens_file, name)
    except TokensFileError as exc:
        raise click.UsageError(str(exc)) from exc
    if not found:
        click.echo(f"error: no identity named {name} in {tokens_file}", err=True)
        sys.exit(1)
    click.echo(f"revoked {name}", err=True)


@main.group()
def audit() -> None:
    """The service's audit log."""


@audit.command("verify")
@click.option("--db", "db_url", required=True, help="The service's database URL.")
def audit_verify(db_url: str) -> None:
    """Check the hash chain; exit 1 names the first bad entry."""
    from sqlalchemy.exc import SQLAlchemyError

    from kpi_rules.serve.audit import verify
    from kpi_rules.serve.storage.db import DatabaseUrlError, open_engine

    try:
        engine = open_engine(db_url)
    except DatabaseUrlError as exc:
        raise click.UsageError(str(exc)) from exc
    if engine.dialect.name == "sqlite" and not Path(engine.url.database or "").is_file():
        engine.dispose()  # reading would create an empty database where there was none
        click.echo(f"error: no database file at {engine.url.database}", err=True)
        sys.exit(1)
    try:
        verdict = verify(engine)
    except SQLAlchemyError as exc:
        click.echo(f"error: cannot read the audit log in {db_url}: {type(exc).__name__}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    if not verdict.ok:
        click.echo(f"audit chain broken at seq {verdict.first_bad}: {verdict.reason} "
                   f"({verdict.entries} entries read)", err=True)
        sys.exit(1)
    click.echo(f"audit chain ok: {verdict.entries} entries")

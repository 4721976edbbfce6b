"""``gulfsec demo``."""

from __future__ import annotations

from pathlib import Path

import click

from gulfsec.i18n import _


@click.command("demo", help=_(
    "Start a hub on SQLite with the Gulf regime, play a short scenario, keep serving."))
@click.option("--port", type=int, default=8600, show_default=True, help=_("Port for the hub."))
@click.option("--dir", "demo_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("data/demo"), show_default=True,
              help=_("Where the demo keeps its data (wiped at each start)."))
@click.option("--no-serve", is_flag=True, help=_("Run the scenario, then stop."))
def demo(port: int, demo_dir: Path, no_serve: bool) -> None:
    from gulfsec.demo import run_demo

    run_demo(demo_dir, port=port, serve=not no_serve, echo=click.echo)



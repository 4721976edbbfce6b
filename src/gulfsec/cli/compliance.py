"""``gulfsec compliance``: who met which commitment, from the node's own copy."""

from __future__ import annotations

from pathlib import Path

import click

from gulfsec.cli.common import (
    hub_client,
    load_party_key,
    settings_of,
)
from gulfsec.i18n import _


@click.command("compliance", help=_(
    "Who met which commitment, computed from this node's own verified copy of the log.\n\n"
    "Overdue findings come first. With --hub and --key, the hub computes the same findings over "
    "what the participant may read (a convenience; the node's own answer is the authority)."))
@click.option("--party", help=_("Only this party's findings (default: everyone's)."))
@click.option("--year", type=click.IntRange(1900, 2200), help=_("Only findings about this year."))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help=_("A table to read, or JSON / CSV for analysis."))
@click.option("--hub", "hub_url", help=_("Ask the hub (with --key) instead of this node."))
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False),
              help=_("With --hub: the participant's key file."))
@click.pass_context
def compliance(ctx: click.Context, party: str | None, year: int | None, fmt: str,
               hub_url: str | None, key_path: Path | None) -> None:
    from gulfsec.domain.compliance import to_csv, to_json, to_table

    if hub_url is not None:
        if key_path is None:
            raise click.UsageError(_("--hub needs --key"))
        key = load_party_key(ctx, key_path)
        with hub_client(hub_url, key) as client:
            click.echo(client.compliance(party=party, year=year, fmt=fmt).rstrip("\n"))
        return
    from gulfsec.bootstrap import open_node
    from gulfsec.services.node.records import NodeRecords
    from gulfsec.services.shared.records import Compliance

    service = open_node(settings_of(ctx))
    found = Compliance(service.regime, NodeRecords(service)).findings(
        service.clock.now(), party, year)
    render = {"table": to_table, "json": to_json, "csv": to_csv}[fmt]
    click.echo(render(found).rstrip("\n"))



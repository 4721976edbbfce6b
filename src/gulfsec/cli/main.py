"""The ``gulfsec`` command line.

Commands only translate: options in, one service call, a short report out. Every gulfsec error
ends as one line on standard error and exit status 1; a usage mistake exits 2. Each group lives
in its own module: :mod:`.hub`, :mod:`.node` (with ``verify``), :mod:`.keys`, :mod:`.entries`
(``submit``, ``fetch``, ``verify-log``), :mod:`.compliance`, :mod:`.decisions` (with ``concept``
and ``designations``), :mod:`.consultations` (``threads``, ``meetings``, ``mediation``),
:mod:`.hotline`, :mod:`.risk` (``incidents``, ``unusual``), :mod:`.news`, :mod:`.demo`.
"""

from __future__ import annotations

from pathlib import Path

import click

from gulfsec import __version__
from gulfsec.cli import (
    compliance,
    consultations,
    decisions,
    demo,
    entries,
    hotline,
    hub,
    keys,
    news,
    node,
    risk,
)
from gulfsec.cli.common import GulfsecGroup
from gulfsec.i18n import _


@click.group(cls=GulfsecGroup, context_settings={"help_option_names": ["-h", "--help"]}, help=_(
    "gulfsec: consult, notify and decide over a log that no one has to trust the operator for.\n\n"
    "Passphrases for encrypted keys come from GULFSEC_PASSPHRASE or GULFSEC_PASSPHRASE_FILE (in "
    "development the default passphrase is \"gulfsec-dev\")."))
@click.version_option(__version__, prog_name="gulfsec")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False),
              help=_("Where keys and the database live (default ./data or GULFSEC_DATA_DIR)."))
@click.option("--regime", type=click.Path(path_type=Path, dir_okay=False),
              help=_("A regime file (default: the packaged Gulf regime)."))
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, regime: Path | None) -> None:
    ctx.ensure_object(dict).update(data_dir=data_dir, regime=regime)


cli.add_command(hub.hub)
cli.add_command(node.node)
cli.add_command(node.verify)
cli.add_command(compliance.compliance)
cli.add_command(decisions.decisions)
cli.add_command(decisions.concept)
cli.add_command(decisions.designations)
cli.add_command(consultations.threads)
cli.add_command(consultations.meetings)
cli.add_command(consultations.mediation)
cli.add_command(risk.incidents)
cli.add_command(risk.unusual)
cli.add_command(news.news)
cli.add_command(hotline.hotline)
cli.add_command(keys.keys)
cli.add_command(entries.submit)
cli.add_command(entries.fetch)
cli.add_command(entries.verify_log)
cli.add_command(entries.verify_evidence_command)
cli.add_command(demo.demo)


def main() -> None:
    cli(prog_name="gulfsec")


if __name__ == "__main__":
    main()

"""``text``: a decision whose title and text are all it decides (a statement, a mandate)."""

from __future__ import annotations

from gulfsec.domain.forms._types import Body
from gulfsec.domain.procedures.kinds import DecisionKind
from gulfsec.i18n import N_


class NoContent(Body):
    pass


KINDS = (DecisionKind("text", N_("Decision"), NoContent,
                      N_("A decision whose title and text say all it decides.")),)

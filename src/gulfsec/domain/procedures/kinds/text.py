"""``text``: a decision whose title and text are all it decides (a statement, a mandate)."""

from __future__ import annotations

from gulfsec.domain.forms._types import Body
from gulfsec.domain.procedures.kinds import DecisionKind


class NoContent(Body):
    pass


KINDS = (DecisionKind("text", "Decision", NoContent,
                      "A decision whose title and text say all it decides."),)

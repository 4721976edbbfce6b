"""The banner every node page carries while the node's clock is off
(:mod:`gulfsec.services.node.clock`).

The pages' templates get ``clock_notice()``: the node's clock as last judged when it is beyond
the regime's allowance, else None. It is read from the node's database at each page, so a page
worker, which does not sync, shows what the syncing process judged; the banner goes with the
first round that finds the clock right again.
"""

from __future__ import annotations

from gulfsec.services.node.clock import ClockState
from gulfsec.web.node.pages import _site
from gulfsec.web.site import Site

__all__ = ["install"]


def install(site: Site) -> None:
    """Give the node's templates ``clock_notice()`` (``base.html`` shows the banner)."""
    node = _site(site).the_node()

    def clock_notice() -> ClockState | None:
        state = node.clock_state()
        return None if state is None or state.ok else state

    site.env.globals["clock_notice"] = clock_notice

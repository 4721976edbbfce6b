"""The secretariat's hotline page (``/secretariat/hotline``, signed in): each participant's line
and the messages the parties sent the secretariat.

Both come from the secretariat's end of the hotline, run by the hub's process where its data
directory holds the secretariat's key (``HubSite.hotline``:
:class:`~gulfsec.services.hub.hotline.SecretariatHotline`): ``line_health()`` for each line —
its status, the last test sent and its receipt, the last test received and whether it was
answered, and what is wrong — and ``messages()`` for what the parties wrote to the secretariat,
opened in memory. Lines in alarm come first. A hub that runs no secretariat end says so.

Escalation: every hub page's header marks the hotline's link while a line is in alarm, and the
secretariat's overview names those lines, linking here — both from :func:`lines_in_alarm`, a
template global that :func:`install` sets on the hub's site.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gulfsec.i18n import _
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.web.deps import SessionDep, SiteDep
from gulfsec.web.hotline import PRIORITY_WORDS, lines_shown, moment
from gulfsec.web.site import Site, render

__all__ = ["install", "lines_in_alarm", "router"]

router = APIRouter(include_in_schema=False)


def _service(site: Site) -> SecretariatHotline | None:
    found = getattr(site, "hotline", None)
    assert found is None or isinstance(found, SecretariatHotline)
    return found


def install(site: Site) -> None:
    """Give the hub's templates :func:`lines_in_alarm` (as ``hotline_alarm_lines()``)."""

    def in_alarm() -> list[str]:
        return lines_in_alarm(site)

    site.env.globals["hotline_alarm_lines"] = in_alarm


def lines_in_alarm(site: Site) -> list[str]:
    """The parties whose line with the secretariat is in alarm (none without its end)."""
    service = _service(site)
    if service is None:
        return []
    return service.lines_in_alarm()


def _precedence(priority: str | None) -> str | None:
    """A message's precedence as the word a duty officer expects, translated (None: unknown)."""
    words = PRIORITY_WORDS.get(priority or "")
    return None if words is None else _(words)


@router.get("/secretariat/hotline")
def secretariat_hotline(request: Request, site: SiteDep, session: SessionDep) -> Response:
    service = _service(site)
    context: dict[str, object] = {"running": service is not None,
                                  "secretariat": site.regime.secretariat}
    if service is not None:
        lines = lines_shown(service.line_health())
        context.update({
            "lines": lines, "alarm_lines": [s for s in lines if s.alarm],
            "messages": [{**m, "sequenced": moment(m.get("sequenced_at")),
                          "written": moment(m.get("sent_at")),
                          "precedence": _precedence(m.get("priority"))}
                         for m in service.messages()],
            "hotline": site.regime.commitments.hotline,
            "missed": [{**m, "sequenced": moment(m["sequenced_at"]), "due_at": moment(m["due"])}
                       for m in service.missed_receipts()]})
    return render(request, site, "hub/hotline.html", context, session=session)

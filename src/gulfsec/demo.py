"""``gulfsec demo``: a hub on loopback with SQLite, and a short scenario drawn from the seeds.

Participants register their keys (the secretariat countersigns), Russia proposes a P5+1 + Iran
meeting on the security concept, Iran and Russia consult bilaterally, Saudi Arabia acknowledges,
and an outsider is shown to see nothing of the bilateral thread. Every answer is verified on the
participant's side against the pinned log key.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from gulfsec.adapters.clock import SystemClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.api.hub_app import create_hub_app
from gulfsec.config import load_settings
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import ConfigError, RemoteError
from gulfsec.services.participant import (
    audit_log,
    compose,
    keyring_from_hub,
    registration_request,
    verify_entry_with_proof,
)
from gulfsec.services.setup import init_hub, open_hub

Echo = Callable[[str], None]
PARTIES = ("IRN", "SAU", "QAT", "RUS", "USA", "CHN", "GCC")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread keeps Ctrl-C
        pass


def _start_server(app: Any, port: int) -> tuple[_Server, threading.Thread]:
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                    access_log=False))
    thread = threading.Thread(target=server.run, name="gulfsec-demo-hub", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"the hub could not listen on 127.0.0.1:{port} "
                              "(is the port in use? try --port)")
        time.sleep(0.05)
    return server, thread


def run_demo(demo_dir: Path, *, port: int = 8600, serve: bool = True,
             echo: Echo = print) -> None:
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    # The demo is always SQLite in its own directory with the packaged regime and fresh keys:
    # a GULFSEC_DATABASE_URL, GULFSEC_LOG_KEY_FILE or GULFSEC_REGIME_PATH meant for a real hub
    # must not be picked up (a second run would find the first run's log signed by another key).
    settings = load_settings(data_dir=demo_dir, env="development", database_url=None,
                             log_key_file=None, regime_path=None)
    echo(f"gulfsec demo: setting up a hub in {demo_dir} (SQLite, Gulf regime)")
    _, sec = init_hub(settings)
    service = open_hub(settings)
    server, thread = _start_server(create_hub_app(service), port)
    url = f"http://127.0.0.1:{port}"
    try:
        _scenario(url, service.log_key.verifier, sec, echo)
        echo("")
        echo(f"hub running at {url}")
        echo(f"  API docs:        {url}/v1/docs")
        echo(f"  checkpoint:      {url}/v1/checkpoint")
        echo(f"  tiles:           {url}/log/checkpoint, {url}/log/tile/0/000.p/<width>")
        echo(f"  verify the log:  gulfsec verify-log --hub {url} --log-key {demo_dir}/log.vkey")
        if serve:
            echo("Press Ctrl-C to stop.")
            while thread.is_alive():
                thread.join(timeout=0.5)
    except KeyboardInterrupt:
        echo("stopping")
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _scenario(url: str, log_key: VerifierKey, sec: SigningKey, echo: Echo) -> None:
    clock = SystemClock()
    keys = {party: SigningKey.generate(party) for party in PARTIES}
    seqs = dict.fromkeys(PARTIES, 0)

    with HubClient(url) as public:
        for party, key in keys.items():
            request = registration_request(key, party, clock.now())
            receipt = public.submit(request.countersigned(sec).raw)
            seqs[party] = 1
            echo(f"  {party} key registered at index {receipt['index']}, fingerprint "
                 f"{key.verifier.fingerprint[:19]}…")

    def send(party: str, form: str, audience: Any, body: dict[str, Any],
             refs: tuple[str, ...] = ()) -> str:
        signed = compose(keys[party], party, form=form, audience=audience, body=body,
                         seq=seqs[party], now=clock.now(), refs=refs)
        with HubClient(url, party=party, key=keys[party]) as client:
            receipt = client.submit(signed.raw)
        seqs[party] += 1
        to = "all" if audience == ALL else ", ".join(audience)
        echo(f"  {party} → {to}: {form} sequenced at index {receipt['index']}")
        return str(receipt["entry_id"])

    echo("scenario:")
    proposal = send("RUS", "message@1", ALL, {
        "subject": "P5+1 and Iran meeting on the Persian Gulf security concept",
        "text": "Russia proposes a meeting of the P5+1 and Iran to advance the concept of "
                "collective security in the Persian Gulf.",
        "level": "minister",
    })
    send("IRN", "acknowledgement@1", ALL, {"entries": [proposal]}, refs=(proposal,))
    bilateral = send("IRN", "message@1", ("RUS",), {
        "subject": "Joint naval exercise",
        "text": "Iran confirms its participation in the joint naval exercise with Russia and "
                "China, as an act of cooperation for peace.",
    })
    send("RUS", "acknowledgement@1", ("IRN",), {"entries": [bilateral]}, refs=(bilateral,))
    send("SAU", "acknowledgement@1", ALL, {"entries": [proposal]}, refs=(proposal,))

    with HubClient(url, party="RUS", key=keys["RUS"]) as rus:
        keyring = keyring_from_hub(rus, sec.name)
        verified = verify_entry_with_proof(rus.entry_proof(bilateral), log_key, keyring)
        echo(f"  RUS verified IRN's message: signature valid, included at index "
             f"{verified.index} in the checkpoint of size {verified.checkpoint.size}")
    with HubClient(url, party="QAT", key=keys["QAT"]) as qat:
        try:
            qat.entry(bilateral)
            raise ConfigError("an outsider could read a bilateral entry")
        except RemoteError as exc:
            echo(f"  QAT asks for the IRN–RUS message: the hub answers {exc.status}, "
                 "and says nothing more")
    with HubClient(url) as public:
        report = audit_log(public, log_key)
    echo(f"  the whole log ({report.size} entries) verifies against its signed checkpoint")

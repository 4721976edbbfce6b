"""The ``gulfsec`` command line end to end.

Commands run in-process through click's CliRunner against a real hub served by a
``gulfsec hub serve`` process (SQLite and PostgreSQL); the demo and one mistake also run as the
installed console script. Every user mistake must end as one line on standard error starting
with ``gulfsec: error:`` and exit status 1, never a traceback.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import Result
from support.ports import reserve_block, reserve_port
from support.processes import (
    PASSPHRASE,
    HubProcess,
    clean_env,
    gulfsec_in_process,
    gulfsec_process,
)

from gulfsec.adapters import keystore
from gulfsec.adapters.storage import hub as db
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.cli.main import cli
from gulfsec.demo import PARTIES as DEMO_PARTIES
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms.keys import REGISTRATION
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import default_regime
from gulfsec.ledger.note import verify_checkpoint

LOG_ORIGIN = default_regime().log_origin


# -- helpers -----------------------------------------------------------------------------------


def gulfsec(*args: str, input: str | None = None) -> Result:
    """``gulfsec ARGS`` in-process, with the settings the test put in the environment."""
    return gulfsec_in_process(os.environ, *args, check=False, input=input)


def succeeds(result: Result) -> str:
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.stdout


def fails_in_one_line(result: Result, *fragments: str) -> str:
    """The one ``gulfsec: error:`` line a mistake must end as (and nothing like a traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unhandled {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gulfsec: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def message_draft(path: Path, audience: object = "all", **extra: object) -> Path:
    return write_json(path, {"form": "message@1", "audience": audience,
                             "body": {"subject": "Joint exercise", "text": "Iran confirms."},
                             **extra})


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer setting leaks in; a known passphrase; data in the test's directory."""
    for name in list(os.environ):
        if name.upper().startswith("GULFSEC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GULFSEC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("GULFSEC_DATA_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("GULFSEC_BATCH_DELAY_MS", "5")


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def irn_key(keys_dir: Path) -> Path:
    succeeds(gulfsec("keys", "create", "--party", "IRN", "--out", str(keys_dir)))
    return keys_dir / "IRN.key"


@pytest.fixture
def served(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[HubProcess]:
    """A hub set up with ``gulfsec hub init`` and served by a ``gulfsec hub serve`` process."""
    hub = HubProcess(tmp_path / "hub", database_url, batch_delay_ms=5)
    monkeypatch.setenv("GULFSEC_DATABASE_URL", database_url)
    try:
        succeeds(gulfsec("hub", "init"))
        hub.start()
        yield hub
    finally:
        hub.close()


def admit(hub: HubProcess, keys_dir: Path, *parties: str) -> None:
    for party in parties:
        succeeds(gulfsec("keys", "create", "--party", party, "--out", str(keys_dir)))
        out = succeeds(gulfsec("hub", "admit", "--yes", "--hub", hub.url,
                               str(keys_dir / f"{party}.registration.json")))
        assert f"admitted {party}" in out


# -- help --------------------------------------------------------------------------------------


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


@pytest.mark.parametrize("path", [(), *_command_paths(cli)], ids=lambda p: " ".join(p) or "gulfsec")
def test_every_command_explains_itself_with_help(path: tuple[str, ...]) -> None:
    out = succeeds(gulfsec(*path, "--help"))
    assert out.startswith(f"Usage: gulfsec {' '.join(path)}".rstrip())


# -- hub init ----------------------------------------------------------------------------------


def test_hub_init_creates_keys_database_and_genesis_and_refuses_a_second_init(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_DATABASE_URL", database_url)
    data = tmp_path / "hub"

    out = succeeds(gulfsec("hub", "init"))

    log_key = VerifierKey.parse((data / "log.vkey").read_text().strip())
    assert log_key.name == LOG_ORIGIN
    assert log_key.encode() in out
    for key_file in ("keys/log.key", "keys/SEC.key"):
        assert json.loads((data / key_file).read_text())["format"] == keystore.FORMAT
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            genesis = conn.execute(sa.select(db.entries.c.sender, db.entries.c.form)).all()
            note = db.HubRepository(conn).latest_checkpoint()
    finally:
        engine.dispose()
    assert [(g.sender, g.form) for g in genesis] == [("SEC", REGISTRATION)]
    assert note is not None
    assert verify_checkpoint(note.note, log_key)[0].size == 1

    fails_in_one_line(gulfsec("hub", "init"), "already set up")
    assert VerifierKey.parse((data / "log.vkey").read_text().strip()) == log_key


# -- keys --------------------------------------------------------------------------------------


def test_keys_create_writes_an_encrypted_key_and_a_registration_signed_by_it(
        keys_dir: Path) -> None:
    out = succeeds(gulfsec("keys", "create", "--party", "IRN", "--out", str(keys_dir)))

    key_file = keys_dir / "IRN.key"
    name, seed = keystore.load_key(key_file, PASSPHRASE)
    key = SigningKey(name, seed)
    assert name == "IRN"
    text = key_file.read_text()
    for clear in (seed.hex(), base64.b64encode(seed).decode(), seed.hex().upper()):
        assert clear not in text
    assert seed not in key_file.read_bytes()
    assert key.verifier.encode() in out and key.verifier.fingerprint in out

    signed = parse_signed_entry((keys_dir / "IRN.registration.json").read_bytes(),
                                max_bytes=1 << 16)
    assert signed.entry.form == REGISTRATION
    assert signed.entry.sender == "IRN" and signed.entry.seq == 0
    assert signed.entry.body == {"party": "IRN", "vkey": key.verifier.encode()}
    assert [s.key for s in signed.signatures] == [key.key_id_hex]
    assert key.verifier.verify(signed.signing_bytes, signed.signatures[0].sig)

    shown = succeeds(gulfsec("keys", "show", str(key_file)))
    assert key.verifier.encode() in shown and key.verifier.fingerprint in shown


def test_keys_create_refuses_to_overwrite_a_key_or_to_serve_a_stranger(irn_key: Path,
                                                                       keys_dir: Path) -> None:
    before = irn_key.read_bytes()
    fails_in_one_line(gulfsec("keys", "create", "--party", "IRN", "--out", str(keys_dir)),
                      "refusing to overwrite")
    assert irn_key.read_bytes() == before
    fails_in_one_line(gulfsec("keys", "create", "--party", "XYZ", "--out", str(keys_dir)),
                      "'XYZ' is not a participant")
    assert not (keys_dir / "XYZ.key").exists()


# -- mistakes that never reach a hub -----------------------------------------------------------


MISTAKES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "missing draft file": (lambda d: ["submit", str(d / "nope.json"), "--key", "{key}"],
                           "cannot read entry file"),
    "draft is not JSON": (lambda d: ["submit", _text(d / "bad.json", "{bad"), "--key", "{key}"],
                          "not valid JSON"),
    "draft is not an object": (lambda d: ["submit", _text(d / "list.json", "[1]"), "--key",
                                          "{key}"], "must hold a JSON object"),
    "draft lacks a body": (lambda d: ["submit", _text(d / "nobody.json",
                                                      '{"form":"message@1","audience":"all"}'),
                                      "--key", "{key}"], "missing 'body'"),
    "draft body is not an object": (lambda d: ["submit", _text(
        d / "body.json", '{"form":"message@1","audience":"all","body":"hello"}'),
        "--key", "{key}"], "'body' must be a JSON object"),
    "draft refs are not a list": (lambda d: ["submit", _text(
        d / "refs.json", '{"form":"message@1","audience":"all","body":{},"refs":5}'),
        "--key", "{key}"], "'refs' must be a list"),
    "missing key file": (lambda d: ["submit", str(message_draft(d / "m.json")), "--key",
                                    str(d / "nope.key")], "key file not found"),
    "a draft given as key": (lambda d: ["submit", str(message_draft(d / "m.json")), "--key",
                                        str(message_draft(d / "k.json"))], "k.json"),
    "unreachable hub": (lambda d: ["submit", str(message_draft(d / "m.json")), "--key", "{key}",
                                   "--hub", f"http://127.0.0.1:{reserve_port()}"],
                        "cannot reach the hub"),
    "verify-log, unreachable hub": (lambda d: ["verify-log", "--hub",
                                               f"http://127.0.0.1:{reserve_port()}", "--log-key",
                                               _log_key_file(d)], "cannot reach the hub"),
    "fetch without a log key": (lambda d: ["fetch", "ab" * 32, "--key", "{key}"],
                                "--log-key"),
    "log key that is no key": (lambda d: ["fetch", "ab" * 32, "--key", "{key}", "--log-key",
                                          "gulf+zz+notbase64"], "--log-key"),
    "log key file missing": (lambda d: ["verify-log", "--log-key", str(d / "nope.vkey")],
                             "cannot read log key file"),
    "keys show, missing file": (lambda d: ["keys", "show", str(d / "nope.key")],
                                "key file not found"),
    "admit a missing registration": (lambda d: ["hub", "admit", "--yes",
                                                str(d / "nope.registration.json")],
                                     "cannot read registration"),
    "admit a draft instead of a registration": (lambda d: ["hub", "admit", "--yes",
                                                           str(message_draft(d / "m.json"))],
                                                "malformed entry"),
    "regime file missing": (lambda d: ["--regime", str(d / "nope.toml"), "keys", "create",
                                       "--party", "IRN", "--out", str(d / "k")],
                            "cannot be read"),
    "serve before init": (lambda d: ["--data-dir", str(d / "empty"), "hub", "serve"],
                          "gulfsec hub init"),
}


def _text(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _log_key_file(d: Path) -> str:
    path = d / "log.vkey"
    path.write_text(SigningKey.generate(LOG_ORIGIN).verifier.encode() + "\n")
    return str(path)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_mistake_ends_as_one_error_line(mistake: str, irn_key: Path, tmp_path: Path) -> None:
    make_args, expected = MISTAKES[mistake]
    args = [str(irn_key) if a == "{key}" else a for a in make_args(tmp_path)]
    fails_in_one_line(gulfsec(*args), expected)


def test_a_wrong_passphrase_ends_as_one_error_line(irn_key: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "not the passphrase")
    draft = message_draft(tmp_path / "m.json")
    fails_in_one_line(gulfsec("submit", str(draft), "--key", str(irn_key)),
                      "wrong passphrase")


def test_an_unsupported_database_url_ends_as_one_error_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_DATABASE_URL", "mysql://hub@localhost/hub")
    fails_in_one_line(gulfsec("hub", "init"), "GULFSEC_DATABASE_URL")


# -- against a served hub ----------------------------------------------------------------------


@pytest.mark.slow
def test_an_admitted_party_submits_and_the_addressee_fetches_and_verifies(
        served: HubProcess, keys_dir: Path, tmp_path: Path) -> None:
    hub = served.url
    succeeds(gulfsec("keys", "create", "--party", "RUS", "--out", str(keys_dir)))
    registration = str(keys_dir / "RUS.registration.json")
    declined = gulfsec("hub", "admit", "--hub", hub, registration, input="n\n")
    assert declined.exit_code == 1 and "Traceback" not in declined.output
    assert "fingerprint" in declined.stdout
    out = succeeds(gulfsec("hub", "admit", "--hub", hub, registration, input="y\n"))
    assert "admitted RUS: entry" in out and "at index 1" in out
    admit(served, keys_dir, "IRN")

    draft = message_draft(tmp_path / "to-rus.json", audience=["RUS"])
    out = succeeds(gulfsec("submit", str(draft), "--key", str(keys_dir / "IRN.key"),
                           "--hub", hub))
    assert out.startswith("sequenced entry ") and "at index 3 (checkpoint size 4)" in out
    entry_id = out.split()[2]

    log_vkey = str(served.log_vkey_path)
    out = succeeds(gulfsec("fetch", entry_id, "--key", str(keys_dir / "RUS.key"), "--hub", hub,
                           "--log-key", log_vkey))
    assert f"entry {entry_id}" in out
    assert "form message@1 from IRN (seq 1) to RUS" in out
    assert "signature valid; included at index 3 in checkpoint of size 4" in out
    assert '"subject": "Joint exercise"' in out

    as_json = succeeds(gulfsec("fetch", entry_id, "--json", "--key", str(keys_dir / "IRN.key"),
                               "--hub", hub, "--log-key", served.log_key.encode()))
    fetched = json.loads(as_json)
    assert fetched["entry"]["body"] == {"subject": "Joint exercise", "text": "Iran confirms."}
    assert fetched["entry"]["audience"] == ["RUS"]

    state = tmp_path / "seen.checkpoint"
    out = succeeds(gulfsec("verify-log", "--hub", hub, "--log-key", log_vkey,
                           "--state", str(state)))
    assert "log verified: 4 entries" in out and "consistent" not in out
    assert verify_checkpoint(state.read_text(), served.log_key)[0].size == 4

    succeeds(gulfsec("submit", str(message_draft(tmp_path / "all.json")), "--key",
                     str(keys_dir / "IRN.key"), "--hub", hub))
    out = succeeds(gulfsec("verify-log", "--hub", hub, "--log-key", log_vkey,
                           "--state", str(state)))
    assert "log verified: 5 entries" in out
    assert "consistent with the checkpoint of size 4 seen before" in out
    assert verify_checkpoint(state.read_text(), served.log_key)[0].size == 5


@pytest.mark.slow
def test_mistakes_against_a_served_hub_end_as_one_error_line(
        served: HubProcess, keys_dir: Path, tmp_path: Path) -> None:
    hub = served.url
    admit(served, keys_dir, "IRN", "RUS")
    irn = str(keys_dir / "IRN.key")
    log_vkey = str(served.log_vkey_path)
    out = succeeds(gulfsec("submit", str(message_draft(tmp_path / "m.json", ["RUS"])),
                           "--key", irn, "--hub", hub))
    entry_id = out.split()[2]

    unknown_form = write_json(tmp_path / "form.json",
                              {"form": "ultimatum@1", "audience": "all", "body": {}})
    fails_in_one_line(gulfsec("submit", str(unknown_form), "--key", irn, "--hub", hub),
                      "unknown form 'ultimatum@1'")
    invalid_body = write_json(tmp_path / "body.json",
                              {"form": "message@1", "audience": "all", "body": {"text": 5}})
    fails_in_one_line(gulfsec("submit", str(invalid_body), "--key", irn, "--hub", hub),
                      "form message@1", "subject")
    stranger = message_draft(tmp_path / "stranger.json", ["ZZZ"])
    fails_in_one_line(gulfsec("submit", str(stranger), "--key", irn, "--hub", hub),
                      "hub refused", "ZZZ")
    again = succeeds(gulfsec("hub", "admit", "--yes", "--hub", hub,
                             str(keys_dir / "IRN.registration.json")))
    assert "IRN was already admitted" in again and "at index 1" in again
    succeeds(gulfsec("keys", "create", "--party", "IRN", "--out", str(tmp_path / "second")))
    fails_in_one_line(gulfsec("hub", "admit", "--yes", "--hub", hub,
                              str(tmp_path / "second" / "IRN.registration.json")),
                      "hub refused", "already holds an active key")

    # QAT has a key, but the secretariat never admitted it: the hub does not know it.
    succeeds(gulfsec("keys", "create", "--party", "QAT", "--out", str(keys_dir)))
    qat = str(keys_dir / "QAT.key")
    fails_in_one_line(gulfsec("fetch", entry_id, "--key", qat, "--hub", hub,
                              "--log-key", log_vkey), "hub refused (401")
    fails_in_one_line(gulfsec("fetch", "ab" * 32, "--key", irn, "--hub", hub,
                              "--log-key", log_vkey), "hub refused (404")

    # A log key of the right name that is not the hub's: nothing it signed verifies.
    impostor = _log_key_file(tmp_path)
    fails_in_one_line(gulfsec("fetch", entry_id, "--key", irn, "--hub", hub,
                              "--log-key", impostor), "log key")
    fails_in_one_line(gulfsec("verify-log", "--hub", hub, "--log-key", impostor),
                      "not signed by the pinned log key")
    other_log = SigningKey.generate("other.example/log").verifier.encode()
    fails_in_one_line(gulfsec("verify-log", "--hub", hub, "--log-key", other_log))

    state = tmp_path / "seen.checkpoint"
    succeeds(gulfsec("verify-log", "--hub", hub, "--log-key", log_vkey, "--state", str(state)))
    good = state.read_text()
    fails_in_one_line(gulfsec("verify-log", "--hub", hub, "--log-key", impostor,
                              "--state", str(state)))
    lines = good.splitlines(keepends=True)
    lines[1] = f"{int(lines[1]) + 1}\n"  # claim a bigger tree under the same signature
    state.write_text("".join(lines))
    fails_in_one_line(gulfsec("verify-log", "--hub", hub, "--log-key", log_vkey,
                              "--state", str(state)), "signature")
    state.write_text(good[: len(good) // 2])
    fails_in_one_line(gulfsec("verify-log", "--hub", hub, "--log-key", log_vkey,
                              "--state", str(state)))
    state.write_bytes(b"\xff\xfe not a note")
    fails_in_one_line(gulfsec("verify-log", "--hub", hub, "--log-key", log_vkey,
                              "--state", str(state)))


# -- the installed command ---------------------------------------------------------------------


@pytest.mark.slow
def test_the_installed_command_reports_a_mistake_without_a_traceback(tmp_path: Path) -> None:
    done = gulfsec_process(clean_env(GULFSEC_PASSPHRASE=PASSPHRASE), "submit",
                           str(tmp_path / "missing.json"), "--key", str(tmp_path / "missing.key"),
                           check=False, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("gulfsec: error: ")
    assert "Traceback" not in done.stderr


@pytest.mark.slow(minutes=2)
def test_demo_plays_its_scenario_to_the_end_on_sqlite(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    # A database URL meant for a real hub must not pull the demo off its own SQLite file.
    env = clean_env(GULFSEC_BATCH_DELAY_MS="5",
                    GULFSEC_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    # The demo binds --port for its hub and the next one for each node: reserve them all.
    port = reserve_block(1 + len(DEMO_PARTIES))
    done = gulfsec_process(env, "demo", "--no-serve", "--port", str(port), "--dir", str(demo_dir),
                           cwd=tmp_path, check=False, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "scenario:" in out
    assert "RUS → all: P5+1 and Iran meeting" in out
    assert "IRN → RUS: Joint naval exercise" in out
    assert "settled after" in out
    assert "acknowledged by every addressee" in out
    assert "Qatar's node holds nothing of the Iran–Russia message" in out
    assert "alarms raised by the nodes: 0" in out
    assert "BREACHED  SAU    arms-transfers-mirror" in out
    assert "LATE      SAU    prior-notification" in out
    # Deciding together: silence, an amendment, a revised draft by consensus, an objection.
    assert "Concept version 1: adopted — adopted: nobody broke silence" in out
    assert "Concept version 2 (RUS): replaced" in out
    assert "Concept version 2 (revised): adopted — adopted by consensus" in out
    assert "designation: not-adopted — no consensus — objected: IRN" in out
    assert "every node recomputes it: all agree" in out
    # Meeting and mediating: minutes by silence, a mediation active only once all asked.
    assert "IRN proposes an item: Freedom of navigation in the Strait of Hormuz" in out
    assert "requested — ARE and BHR have not asked" in out
    assert "minutes: adopted" in out and "each compute: adopted" in out
    assert "the mediation is active at QAT's and SAU's nodes" in out
    assert "the nodes of IRN, RUS, USA, GCC hold nothing of it" in out
    # Reducing risk: an incident with both accounts, an unusual activity explained.
    assert "both accounts stand side by side" in out
    assert "it went to Iran alone: no other node holds it" in out
    assert "every node sees the case: replied" in out
    # The hotline: sealed, answered with receipts, the hub holding ciphertext only; a line
    # that stops answering shows in alarm at the secretariat.
    assert "at IRN the message is received" in out and "at SAU its message is received" in out
    assert "the hub's database files hold the text: no" in out
    assert "the secretariat's page shows GCC's line in alarm: no receipt from GCC" in out
    assert "ALARM" not in out + done.stderr
    assert "the Concept is at version 2" in out
    assert "entries) verifies against its signed checkpoint" in out
    assert f"hub, public        http://127.0.0.1:{port}/" in out
    assert "password: gulfsec-demo-password" in out
    assert "Press Ctrl-C" not in out
    assert (demo_dir / "hub" / "hub.db").exists() and (demo_dir / "hub" / "log.vkey").exists()
    assert (demo_dir / "nodes" / "IRN" / "node.db").exists()

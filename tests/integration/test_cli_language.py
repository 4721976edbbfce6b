"""The command line speaks the user's language, from LANGUAGE, LC_ALL, LC_MESSAGES or LANG.

Click builds the help texts when the command modules are imported, so the language is set when
the CLI is first imported: these run the installed console script in a process of its own. The
text printed is compared with the catalog's translation through :mod:`gulfsec.i18n`, so that the
tests hold whatever the translation says (and before a catalog has it: then it is the English).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.processes import clean_env, gulfsec_process

from gulfsec import i18n

LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
DATA_DIR_HELP = "Where keys and the database live (default ./data or GULFSEC_DATA_DIR)."
"""The help of ``gulfsec --data-dir``, as written (and extracted) in gulfsec.cli.main."""


def env_with(**language: str) -> dict[str, str]:
    """A clean environment whose only language setting is ``language``."""
    env = {k: v for k, v in clean_env().items() if k not in LANGUAGE_VARIABLES}
    env.update(language)
    return env


def flat(text: str) -> str:
    """``text`` with its white space made single spaces (click wraps the help to the screen)."""
    return " ".join(text.split())


@pytest.mark.parametrize(("lang", "code"), [("fr_FR.UTF-8", "fr"), ("C", "en"),
                                            ("ar_SA.UTF-8", "ar")])
def test_the_help_is_in_the_language_of_lang(lang: str, code: str) -> None:
    done = gulfsec_process(env_with(LANG=lang), "--help")
    assert flat(i18n.catalog(code).gettext(DATA_DIR_HELP)) in flat(done.stdout)


def test_lang_c_is_english() -> None:
    done = gulfsec_process(env_with(LANG="C"), "--help")
    assert flat(DATA_DIR_HELP) in flat(done.stdout)


@pytest.mark.parametrize(("language", "code"), [
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "C"}, "en"),
    ({"LANGUAGE": "ru:fr", "LANG": "fr_FR.UTF-8"}, "ru"),
    ({}, "en"),
])
def test_importing_the_cli_puts_the_environments_language_in_force(
        language: dict[str, str], code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c",
         "import gulfsec.cli.main; from gulfsec import i18n; print(i18n.current())"],
        env=env_with(**language), capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == code

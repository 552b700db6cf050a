"""The checks of scripts/check_translations (see there); run with the project's venv."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "anon_messaging"
LOCALE = PACKAGE / "locale"
# The options of scripts/translations: catalogues change only when the strings do.
MAKEMESSAGES_OPTIONS = ["--no-location", "--no-obsolete", "--no-wrap"]


def entries(po_path):
    """The catalogue's entries as comparable tuples (the header's dates left out)."""
    catalogue = polib.pofile(str(po_path))
    return {
        (entry.msgctxt, entry.msgid, entry.msgid_plural): (
            entry.msgstr,
            tuple(sorted(entry.msgstr_plural.items())),
            tuple(sorted(entry.flags)),
        )
        for entry in catalogue
    }


def regenerated_catalogues(languages):
    """The catalogues makemessages makes from the code now, in a copy of the package."""
    work = Path(tempfile.mkdtemp(prefix="anon_messaging_translations_"))
    copy = work / "anon_messaging"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    command = [str(ROOT / ".venv" / "bin" / "django-admin"), "makemessages"]
    for language in languages:
        command += ["-l", language]
    subprocess.run(  # noqa: S603 - the project's own django-admin, fixed arguments
        command + MAKEMESSAGES_OPTIONS,
        cwd=copy,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return work, {
        language: copy / "locale" / language / "LC_MESSAGES" / "django.po" for language in languages
    }


def main():
    languages = sorted(path.name for path in LOCALE.iterdir() if path.is_dir())
    if not languages:
        print("No languages under anon_messaging/locale/.", file=sys.stderr)
        return 1
    problems = []
    work, regenerated = regenerated_catalogues(languages)
    try:
        for language in languages:
            po_path = LOCALE / language / "LC_MESSAGES" / "django.po"
            mo_path = po_path.with_suffix(".mo")
            if entries(po_path) != entries(regenerated[language]):
                problems.append(
                    f"{language}: the catalogue is out of date with the code; run "
                    "scripts/translations and translate what it adds"
                )
            catalogue = polib.pofile(str(po_path))
            for entry in catalogue.untranslated_entries():
                problems.append(f"{language}: not translated: {entry.msgid!r}")
            for entry in catalogue.fuzzy_entries():
                problems.append(
                    f"{language}: fuzzy (check it, then remove the flag): {entry.msgid!r}"
                )
            # msgfmt checks every placeholder against the English and the plural forms.
            compiled = work / f"{language}.mo"
            result = subprocess.run(  # noqa: S603 - fixed command on the project's files
                ["msgfmt", "--check", "-o", str(compiled), str(po_path)],  # noqa: S607
                capture_output=True,
                text=True,
            )
            if result.returncode:
                problems.append(f"{language}: msgfmt --check failed:\n{result.stderr}")
            elif not mo_path.exists() or mo_path.read_bytes() != compiled.read_bytes():
                problems.append(
                    f"{language}: django.mo is not the compiled django.po; run "
                    "scripts/translations --compile"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"Translations complete and up to date: {', '.join(languages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

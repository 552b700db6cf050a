"""Check a built sdist and wheel hold what a site needs, and that the version is the
changelog's newest.

    python scripts/check_dist.py DIST_DIR

The wheel must hold every template, static file and migration of the source tree, the
management commands, a compiled translation (.mo) for every .po there is, and the
licence; the sdist the changelog and the install guide. Exits 1 and lists what is
missing otherwise.
"""

import re
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "anon_messaging"


def project_version():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def changelog_version():
    match = re.search(r"^## (\d+\.\d+\.\d+)\b", (ROOT / "CHANGELOG.md").read_text(), re.M)
    return match.group(1) if match else None


def source_files(folder, pattern="*"):
    base = PACKAGE / folder
    return sorted(
        f"anon_messaging/{path.relative_to(PACKAGE).as_posix()}"
        for path in base.rglob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    )


def expected_in_wheel():
    expected = [
        *source_files("templates"),
        *source_files("static"),
        *source_files("migrations", "*.py"),
        *source_files("management", "*.py"),
        "anon_messaging/__init__.py",
    ]
    # Translations ship compiled: each django.po needs its django.mo beside it.
    for po in source_files("locale", "*.po"):
        expected.append(po[: -len(".po")] + ".mo")
    return expected


def main(dist_dir):
    dist = Path(dist_dir)
    version = project_version()
    problems = []
    if changelog_version() != version:
        problems.append(
            f"pyproject.toml says {version}, CHANGELOG.md's newest entry {changelog_version()}"
        )
    wheels = list(dist.glob(f"anon_messaging-{version}-*.whl"))
    sdists = list(dist.glob(f"anon_messaging-{version}.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        problems.append(f"want one wheel and one sdist of {version} in {dist}")
        return problems
    wheel_names = set(zipfile.ZipFile(wheels[0]).namelist())
    expected = expected_in_wheel()
    problems += [f"the wheel lacks {name}" for name in expected if name not in wheel_names]
    licence = f"anon_messaging-{version}.dist-info/licenses/LICENSE"
    if licence not in wheel_names:
        problems.append(f"the wheel lacks {licence}")
    with tarfile.open(sdists[0]) as sdist:
        sdist_names = {name.split("/", 1)[-1] for name in sdist.getnames()}
    for name in ["CHANGELOG.md", "LICENSE", "README.md", "docs/install.md", *expected]:
        if name not in sdist_names and not name.endswith(".mo"):
            problems.append(f"the sdist lacks {name}")
    counts = {
        folder: sum(name.startswith(f"anon_messaging/{folder}/") for name in wheel_names)
        for folder in ("templates", "static", "migrations", "locale")
    }
    print(
        f"anon_messaging {version}: wheel holds {counts['templates']} templates, "
        f"{counts['static']} static files, {counts['migrations']} migration files, "
        f"{counts['locale']} translation files; sdist holds the changelog and the docs."
    )
    return problems


if __name__ == "__main__":
    found = main(sys.argv[1])
    for problem in found:
        print(f"MISSING: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)

"""What the package says about itself: its version follows the changelog, and the install
guide's copyable blocks are there and are valid code (scripts/package_check applies them
to a new project in CI)."""

import ast
import tomllib
from pathlib import Path

from scripts import check_dist, install_guide

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_the_changelogs_newest_entry():
    assert check_dist.project_version() == check_dist.changelog_version()


def test_the_install_guides_python_blocks_are_valid_python():
    for name in ("settings", "urls"):
        ast.parse(install_guide.block(name))


def test_the_install_guide_names_the_lowest_supported_versions_the_package_requires():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = {
        requirement.split(">=")[0]: requirement for requirement in project["dependencies"]
    }
    guide = install_guide.GUIDE.read_text()
    assert project["requires-python"] == ">=3.11" and "Python 3.11" in guide
    assert requirements["Django"] == "Django>=5.2" and "Django 5.2" in guide
    assert requirements["wagtail"] == "wagtail>=7.4" and "Wagtail 7.4" in guide
    # Lower bounds only: no upper bound on any requirement.
    assert not any("<" in requirement for requirement in project["dependencies"])


def test_every_wheel_file_the_check_expects_exists_in_the_source_tree():
    for name in check_dist.expected_in_wheel():
        if not name.endswith(".mo"):
            assert (ROOT / name).is_file(), name

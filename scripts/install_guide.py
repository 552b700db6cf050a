"""The code blocks of docs/install.md that a new site copies, read from the guide itself.

A block is marked by an HTML comment on the line before its fence, which a reader of
the rendered guide does not see:

    <!-- install: settings -->
    ```python
    ...
    ```

scripts/package_check applies them to a fresh ``wagtail start`` site, and the tests
render pages through the guide's adapter, so the guide cannot drift from what works.
"""

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "install.md"

_BLOCK = re.compile(
    r"^<!-- install: (?P<name>[\w-]+) -->\n```[\w-]*\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)


def blocks(path=GUIDE):
    """``{name: text}`` of every marked block in the guide."""
    found = {}
    for match in _BLOCK.finditer(Path(path).read_text(encoding="utf-8")):
        name = match.group("name")
        if name in found:
            raise ValueError(f"{path} marks two blocks as {name!r}")
        found[name] = match.group("body")
    return found


def block(name, path=GUIDE):
    try:
        return blocks(path)[name]
    except KeyError:
        raise KeyError(f"{path} has no block marked <!-- install: {name} -->") from None


if __name__ == "__main__":
    import sys

    sys.stdout.write(block(sys.argv[1]))

"""docs/threat-model.md stays true: every attack the issue lists is there, each with tests
that exist under the names the page gives."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREAT_MODEL = ROOT / "docs" / "threat-model.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")

# The attacks the issue requires the threat model to cover, as its headings name them.
REQUIRED_ATTACKS = [
    "Guessing codes",
    "Session theft",
    "IDOR",
    "XSS",
    "CSRF",
    "Log and metadata leaks",
    "A copy of the database",
    "A malicious adviser",
    "A malicious editor",
    "Traffic timing of notifications",
    "Metadata in files",
    "Malicious files",
    "A copy of the attachment storage",
]


def sections():
    """{heading: body} for each numbered attack."""
    text = THREAT_MODEL.read_text(encoding="utf-8")
    parts = re.split(r"(?m)^### \d+\. (.+)$", text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_required_attack_has_a_section_with_tests():
    found = sections()
    for attack in REQUIRED_ATTACKS:
        matching = [heading for heading in found if attack in heading]
        assert matching, attack
        body = found[matching[0]]
        assert "*Mitigation:*" in body, attack
        assert REFERENCE.search(body), attack


def test_every_named_test_exists():
    references = REFERENCE.findall(THREAT_MODEL.read_text(encoding="utf-8"))
    assert len(references) > 50
    for path, name in references:
        source = ROOT / path
        assert source.exists(), path
        assert re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.MULTILINE), (
            f"{path}::{name}"
        )

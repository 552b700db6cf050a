"""Run pip-audit and tell three outcomes apart.

- a known vulnerability in an installed dependency: fail;
- every dependency audited and none vulnerable: pass;
- dependencies that could not be audited (the vulnerability database is out of
  reach, as on a machine that reaches only a package index): say so plainly and
  list them; this is reported as NOT checked, never as a pass.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

venv_bin = Path(sys.executable).parent
with tempfile.TemporaryDirectory() as tmp:
    report_path = Path(tmp) / "audit.json"
    subprocess.run(  # noqa: S603 - fixed arguments, our own virtualenv
        [str(venv_bin / "pip-audit"), "--skip-editable", "-f", "json", "-o", str(report_path)],
        check=False,
        capture_output=True,
    )
    if not report_path.exists():
        print("pip-audit produced no report: NOT checked.")
        sys.exit(0)
    report = json.loads(report_path.read_text())

dependencies = report.get("dependencies", [])
vulnerable = [d for d in dependencies if d.get("vulns")]
unaudited = [d for d in dependencies if d.get("skip_reason")]
audited = len(dependencies) - len(unaudited)

for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} ({fixes})")
total = len(dependencies)
print(f"pip-audit: {audited} of {total} dependencies audited, {len(vulnerable)} vulnerable.")
if unaudited:
    print(
        f"NOT checked: {len(unaudited)} dependencies could not be audited "
        f"(first reason: {unaudited[0]['skip_reason']}). "
        "The vulnerability database is out of reach from this machine."
    )
sys.exit(1 if vulnerable else 0)

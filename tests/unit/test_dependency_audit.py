"""The CI dependency audit's verdict on pip-audit's report."""
from __future__ import annotations

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "audit_dependencies", Path(__file__).resolve().parents[2] / "deploy" / "audit_dependencies.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_known_vulnerability_fails_the_audit():
    report = {"dependencies": [
        {"name": "flask", "version": "0.12", "vulns": [{"id": "PYSEC-2018-66", "fix_versions": ["0.12.3"],
                                                        "aliases": ["CVE-2018-1000656"]}]},
        {"name": "numpy", "version": "2.0", "vulns": []}]}
    code, lines = audit.verdict(report, set())
    assert code == 1 and any("VULNERABLE flask 0.12: PYSEC-2018-66" in line for line in lines)
    assert audit.verdict(report, {"CVE-2018-1000656"})[0] == 0      # judged not to apply


def test_an_audit_that_reached_no_service_is_not_called_clean():
    report = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI"}]}
    code, lines = audit.verdict(report, set())
    assert code == 2 and "nothing was audited" in lines[-1]


def test_a_clean_audit_passes():
    code, lines = audit.verdict({"dependencies": [{"name": "flask", "version": "3.1", "vulns": []}]}, set())
    assert code == 0 and lines[-1] == "no known vulnerabilities"

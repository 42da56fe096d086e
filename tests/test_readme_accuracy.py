"""README's real-world table is the committed report's, as scripts/readme_accuracy.py writes."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "readme_accuracy", ROOT / "scripts/readme_accuracy.py"
)
readme_accuracy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_accuracy)


def test_readme_holds_the_table_of_the_committed_report():
    report = json.loads(readme_accuracy.REPORT.read_text())
    assert readme_accuracy.block(report) in readme_accuracy.README.read_text()


def test_a_readme_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="realworld:start"):
        readme_accuracy.rewrite("# no block here\n", {"families": {}})

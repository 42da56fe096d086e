"""The runtime never imports TensorFlow (nor other heavy optional packages)."""

import subprocess
import sys

CHECK = """
import sys
import unpixel as up
import unpixel.cli, unpixel.demo, unpixel.grid, unpixel.metrics
up.estimate_grid(up.pixelate(up.demo.sample_image(), 4))
heavy = sorted(m for m in ("tensorflow", "keras", "tf2onnx", "onnx", "torch", "skimage")
               if m in sys.modules)
print(",".join(heavy))
"""


def test_import_unpixel_does_not_import_tensorflow():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    assert out == "", f"heavy modules imported by the runtime: {out}"


def test_tensorflow_is_installed_so_the_check_means_something():
    """`make test` installs the export extra: TensorFlow is importable, just never imported."""
    import importlib.util

    assert importlib.util.find_spec("tensorflow") is not None

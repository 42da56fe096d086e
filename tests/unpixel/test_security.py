"""Security: models load only after their sha256 check, Keras files only with safe_mode, no
pickle / eval / exec / shell anywhere in the source tree, and restored files cannot land
outside the output folder the user named.
"""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.cli_run import destination
from unpixel.options import default_models_dir

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("runtime", "export", "benchmarks", "examples", "scripts", "tests")
MODELS = default_models_dir()
BANNED_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib"}
BANNED_CALLS = {"eval", "exec", "__import__"}


def _sources() -> list[Path]:
    files = [p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 50, "the scan found too few files to mean anything"
    return files


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def test_no_pickle_eval_exec_or_shell_in_the_source_tree():
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                found += [
                    f"{where}:{node.lineno} imports {n}"
                    for n in names
                    if n.split(".")[0] in BANNED_MODULES
                ]
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if isinstance(node.func, ast.Name) and name in BANNED_CALLS:
                found.append(f"{where}:{node.lineno} calls {name}()")
            for flag in ("allow_pickle", "shell"):
                value = _keyword(node, flag)
                if isinstance(value, ast.Constant) and value.value is True:
                    found.append(f"{where}:{node.lineno} {name}({flag}=True)")
            if name in ("load", "loads") and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in ("yaml", "torch"):
                    found.append(f"{where}:{node.lineno} {owner.id}.{name}()")
    assert not found, "\n".join(found)


def test_keras_files_load_with_safe_mode_only():
    calls = []
    for path in _sources():
        text = path.read_text()
        if "load_model" not in text and "unsafe" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            attr = getattr(node, "attr", getattr(node, "id", None))
            assert attr != "enable_unsafe_deserialization", f"{path}:{node.lineno}"
            if isinstance(node, ast.Call) and _call_name(node) == "load_model":
                safe = _keyword(node, "safe_mode")
                ok = isinstance(safe, ast.Constant) and safe.value is True
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", ok))
    assert calls, "no load_model call found: the check would prove nothing"
    assert all(ok for _, ok in calls), [where for where, ok in calls if not ok]


def test_models_are_hashed_before_any_interpreter_sees_them(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(MODELS, models, ignore=shutil.ignore_patterns("*.keras", "training"))
    target = models / "restorer_x4_int8.tflite"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of a weight: the file still loads fine
    target.write_bytes(bytes(data))
    opened: list[Path] = []
    import unpixel.pipeline

    real = unpixel.pipeline.open_engine

    def spy(path: Path, *args: object, **kw: object) -> object:
        opened.append(Path(path))
        return real(path, *args, **kw)

    monkeypatch.setattr(unpixel.pipeline, "open_engine", spy)
    with pytest.raises(up.ModelError, match="does not match the manifest"):
        up.Pipeline.create(up.PipelineOptions(models_dir=models))
    assert opened == [], f"an engine opened {opened} before every hash was checked"
    target.write_bytes((MODELS / target.name).read_bytes())  # the right file loads
    up.Pipeline.create(up.PipelineOptions(models_dir=models)).close()
    assert len(opened) == 4


def test_manifest_paths_cannot_point_outside_the_models_folder(tmp_path):
    import json

    models = tmp_path / "models"
    shutil.copytree(MODELS, models, ignore=shutil.ignore_patterns("*.keras", "training"))
    doc = json.loads((models / "manifest.json").read_text())
    for m in doc["models"]:
        if m["file"] == "classifier_int8.tflite":
            shutil.copy(models / m["file"], tmp_path / "outside.tflite")
            m["file"] = "../outside.tflite"  # same bytes, same hash, but outside the folder
    (models / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(up.ModelError, match="outside"):
        up.Pipeline.create(up.PipelineOptions(models_dir=models))


# -- output paths ----------------------------------------------------------------------------


def test_destination_stays_in_the_output_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "secret.png").write_bytes(b"keep")
    (out / "a.png").symlink_to(tmp_path / "secret.png")  # a planted link in the output folder
    taken: set[Path] = set()
    with pytest.raises(up.SinkError, match="outside"):
        destination(out, Path("in/a.png"), taken)
    with pytest.raises(up.SinkError, match="outside"):
        destination(out, Path("in/.."), taken)
    with pytest.raises(up.SinkError, match="overwrite the input"):
        destination(out, out / "b.png", taken)
    assert destination(out, tmp_path / "x" / "c.png", taken) == out / "c.png"
    with pytest.raises(up.SinkError, match="already writes"):
        destination(out, tmp_path / "y" / "c.png", taken)


def test_restore_of_a_folder_writes_nothing_outside(tmp_path, astronaut, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    mosaic = up.pixelate(astronaut, 6)
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(src / name), mosaic)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"keep")
    (out / "a.png").symlink_to(secret)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["restore", str(src), "-o", str(out)]) == 1  # a.png refused, b.png written
    assert "outside" in capsys.readouterr().err
    assert secret.read_bytes() == b"keep"
    changed = {
        p for p in tmp_path.rglob("*") if p.is_file() and before.get(p) != p.stat().st_mtime_ns
    }
    assert changed == {out / "b.png"}
    assert main(["restore", str(src), "-o", str(src)]) == 1  # in place: refused
    assert "overwrite the input" in capsys.readouterr().err
    assert np.array_equal(cv2.imread(str(src / "b.png")), mosaic)


def test_outputs_get_the_umask_mode(tmp_path, astronaut):
    old = os.umask(0o022)
    try:
        up.write_image(tmp_path / "a.png", astronaut)
    finally:
        os.umask(old)
    assert (tmp_path / "a.png").stat().st_mode & 0o777 == 0o644

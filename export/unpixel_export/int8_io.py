"""Full-integer .tflite models with uint8 I/O rewritten to int8 I/O, weights untouched.

``python -m unpixel_export.int8_io [models]`` brings shipped files to :func:`shipped_form`.

The converter's uint8 interface is an int8 graph with a QUANTIZE op at each end (uint8 in ->
int8, int8 -> uint8 out). XNNPACK does not take those mixed-sign QUANTIZE ops, so they run on
LiteRT's reference kernels, once per pixel of every tile batch. :func:`to_int8_io` drops them
and makes the int8 tensors the model's input and output: the same int8 graph on the same
codes, so the outputs are bit-identical once the engine flips the sign bit
(:meth:`unpixel.engines.base.Engine.quantise`). New exports get int8 I/O from the converter
(:func:`~unpixel_export.keras2tflite.keras2tflite`); this rewrites artifacts already shipped
without re-calibrating them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

UINT8, INT8 = 3, 9
"""tflite schema TensorType codes."""


def _quantize_ops(model: Any) -> tuple[Any, Any]:
    """The uint8 -> int8 QUANTIZE op at the model's input and the int8 -> uint8 one at its output.

    Raises:
        ValueError: the model does not have exactly that interface.

    """
    from tensorflow.lite.tools import flatbuffer_utils

    if len(model.subgraphs) != 1:
        raise ValueError(f"expected one subgraph, got {len(model.subgraphs)}")
    graph = model.subgraphs[0]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ValueError("expected one input and one output")
    first = last = None
    for op in graph.operators:
        name = flatbuffer_utils.opcode_to_name(model, op.opcodeIndex)
        if name != "QUANTIZE":
            continue
        if list(op.inputs) == list(graph.inputs):
            first = op
        if list(op.outputs) == list(graph.outputs):
            last = op
    if first is None or last is None:
        raise ValueError("the model has no uint8 QUANTIZE op at its input and its output")
    for op, end in ((first, "input"), (last, "output")):
        src, dst = graph.tensors[op.inputs[0]].type, graph.tensors[op.outputs[0]].type
        want = (UINT8, INT8) if end == "input" else (INT8, UINT8)
        if (src, dst) != want:
            raise ValueError(f"the {end} QUANTIZE is not uint8 <-> int8 ({src} -> {dst})")
    return first, last


def to_int8_io(flatbuffer: bytes) -> bytes:
    """``flatbuffer`` (full-integer, uint8 I/O) with int8 I/O and the same int8 graph.

    Raises:
        ValueError: the model does not have a single uint8 <-> int8 QUANTIZE at each end.

    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    first, last = _quantize_ops(model)
    graph = model.subgraphs[0]
    for old, new in ((first.inputs[0], first.outputs[0]), (last.outputs[0], last.inputs[0])):
        graph.tensors[new].name = graph.tensors[old].name  # the interface keeps its names
    graph.inputs = [first.outputs[0]]
    graph.outputs = [last.inputs[0]]
    graph.operators = [op for op in graph.operators if op is not first and op is not last]
    for sig in model.signatureDefs or []:
        for io, index in ((sig.inputs, graph.inputs[0]), (sig.outputs, graph.outputs[0])):
            for entry in io or []:
                entry.tensorIndex = index
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def has_uint8_input(flatbuffer: bytes) -> bool:
    """Whether the model's input tensor is uint8 (the converter's uint8 interface)."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    graph = model.subgraphs[0]
    return int(graph.tensors[graph.inputs[0]].type) == UINT8


def shipped_form(flatbuffer: bytes, task: str) -> bytes:
    """What every shipped tflite-int8 file is: int8 I/O, and a restorer's first conv split.

    Both rewrites keep the outputs bit-identical (:func:`to_int8_io`,
    :func:`~unpixel_export.first_conv.split_first_conv`); each is skipped where done.
    """
    from unpixel_export.first_conv import split_first_conv

    if has_uint8_input(flatbuffer):
        flatbuffer = to_int8_io(flatbuffer)
    return split_first_conv(flatbuffer) if task == "restorer" else flatbuffer


def rewrite_shipped(models_dir: Path) -> list[str]:
    """Bring every ``tflite-int8`` artifact of ``models_dir``'s manifest to :func:`shipped_form`.

    Each changed file is rewritten atomically, loaded back, and its manifest entry's sha256,
    size, input/output description and ``runs_on`` updated (the rest, parity included, is
    kept: the outputs are unchanged). Files already in that form are left as they are.

    Returns:
        The names of the files rewritten.

    Raises:
        ModelError: the manifest or a file does not match (sha256) before the rewrite.

    """
    from dataclasses import replace

    from unpixel.engines import open_engine
    from unpixel.formats import FORMATS
    from unpixel.io import write_atomic
    from unpixel.manifest import load_manifest, sha256_file

    fmt = FORMATS["tflite-int8"]
    done, entries = [], []
    for entry in load_manifest(models_dir / "manifest.json"):
        if entry.format != fmt.name:
            continue
        path = entry.verify(models_dir)
        before = path.read_bytes()
        data = shipped_form(before, entry.task)
        if data == before:
            continue
        write_atomic(path, data)
        with open_engine(path, fmt, num_threads=1) as engine:
            io = {"inputs": [engine.input.to_dict()], "outputs": [engine.output.to_dict()]}
        extra = {**entry.extra, "runs_on": fmt.runs_on}
        entries.append(replace(entry, sha256=sha256_file(path), bytes=len(data), extra=extra, **io))
        done.append(path.name)
    if entries:
        update_manifest(entries, models_dir)
    return done


def update_manifest(entries: list[Any], models_dir: Path) -> None:
    """Replace the manifest's entries of the same name and format as ``entries``, in place."""
    import json

    from unpixel.io import write_atomic
    from unpixel.manifest import SCHEMA, entry_to_dict

    path = models_dir / "manifest.json"
    doc = json.loads(path.read_text())
    new = {(e.name, e.format): entry_to_dict(e) for e in entries}
    doc["models"] = [new.get((m["name"], m["format"]), m) for m in doc["models"]]
    doc["schema"] = SCHEMA
    write_atomic(path, (json.dumps(doc, indent=1) + "\n").encode())


if __name__ == "__main__":
    import sys

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("models")
    for name in rewrite_shipped(folder):
        print(f"{folder / name}: rewritten (int8 I/O, first conv split)")

"""The int8 restorer's first convolution split into a gather and a column conv: outputs bit
for bit the same (borders included), fewer taps, applied once, and on restorers only."""

from __future__ import annotations

import numpy as np
import pytest

from unpixel.engines import open_engine
from unpixel.formats import FORMATS
from unpixel_export.data import PhotoBank
from unpixel_export.first_conv import split_first_conv
from unpixel_export.int8_form import int8_form
from unpixel_export.int8_io import shipped_form
from unpixel_export.keras2tflite import keras2tflite
from unpixel_export.models import build_classifier, build_restorer
from unpixel_export.representative import classifier_samples, restorer_samples

INT8 = FORMATS["tflite-int8"]


def _convs(flatbuffer: bytes) -> list[tuple[int, ...]]:
    """The weight shapes of the model's CONV_2D ops, in order."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    graph = model.subgraphs[0]
    return [
        tuple(int(v) for v in graph.tensors[op.inputs[1]].shape)
        for op in graph.operators
        if flatbuffer_utils.opcode_to_name(model, op.opcodeIndex) == "CONV_2D"
    ]


@pytest.fixture(scope="module")
def restorers(photos):
    """Tiny x2 and x3 restorers (16 filters: the shipped first layer) exported int8."""
    import keras

    keras.utils.set_random_seed(1)
    bank = PhotoBank(list(photos.values()))
    out = {}
    for scale in (2, 3):
        samples = restorer_samples(bank, scale, n=8, size=24)
        form = int8_form(build_restorer(scale, filters=16), samples)
        out[scale] = keras2tflite(form, "int8", lambda s=samples: iter(s), unit_output=True)
    return out


@pytest.mark.parametrize("scale", [2, 3])
def test_the_split_keeps_every_output_bit_for_bit(restorers, tmp_path, scale):
    before, after = tmp_path / "before.tflite", tmp_path / "after.tflite"
    before.write_bytes(restorers[scale])
    after.write_bytes(split_first_conv(restorers[scale]))
    assert _convs(before.read_bytes())[0] == (16, 5, 5, 3)
    assert _convs(after.read_bytes())[:2] == [(15, 1, 5, 3), (16, 5, 1, 15)]
    rng = np.random.default_rng(scale)
    inputs = [
        rng.integers(0, 256, (2, 23, 31, 3), dtype=np.uint8),  # noise: every code, borders
        np.full((1, 9, 9, 3), 255, np.uint8),  # saturated, smaller than the kernel twice
        np.zeros((1, 5, 40, 3), np.uint8),
    ]
    with (
        open_engine(before, INT8, num_threads=2) as a,
        open_engine(after, INT8, num_threads=2) as b,
    ):
        for x in inputs:
            assert np.array_equal(a.run_pixels(x), b.run_pixels(x)), x.shape


def test_the_split_is_done_once_and_only_where_it_applies(restorers, photos):
    once = split_first_conv(restorers[2])
    assert split_first_conv(once) is once  # no 5x5 conv on the input left
    classifier = build_classifier(tile=32, alpha=0.35)
    samples = classifier_samples(PhotoBank(list(photos.values())), 32, n=4)
    flat = keras2tflite(classifier, "int8", lambda: iter(samples))
    assert shipped_form(flat, "classifier") == flat  # int8 I/O already, not a restorer
    assert shipped_form(restorers[2], "restorer") == once

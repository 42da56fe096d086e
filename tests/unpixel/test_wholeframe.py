"""The whole-frame fast path on the shipped int8 models: fewer tiles classified, the same
detection and output as classifying every tile, and no path at all on clean or partial
frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.classifier import Classifier
from unpixel.pipeline import Pipeline
from unpixel.stages import FrameStages
from unpixel.wholeframe import MIN_TILES, explained_tiles, whole_frame


@pytest.fixture(scope="module")
def pipe():
    with Pipeline.create() as p:
        yield p


def _frame(astronaut: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    return cv2.resize(astronaut, size, interpolation=cv2.INTER_AREA)


def _every_tile(pipe: Pipeline, frame: np.ndarray):
    """The detection and output of the path that classifies every tile."""
    stages = FrameStages(pipe.classifier, pipe.restorer)
    det, _, lrs = stages.detect(frame, {}, stages.score_all)
    return det, stages.restore(frame, det, lrs)


@pytest.mark.parametrize(("block", "phase"), [(2, (0, 1)), (4, (3, 1)), (6, (0, 0)), (12, (5, 2))])
def test_a_whole_frame_mosaic_takes_the_fast_path_with_the_same_result(
    pipe, astronaut, block, phase
):
    frame = up.pixelate(_frame(astronaut), block, phase=phase)
    result = pipe.process(frame)
    total = 10 * 8  # the 64-pixel tile lattice of 640x480
    assert result.timings["tiles"] < total / 2
    det, image = _every_tile(pipe, frame)
    assert result.detection.pixelated and det.pixelated
    assert result.detection.grid.block == det.grid.block == block
    assert [r.box for r in result.detection.regions] == [r.box for r in det.regions]
    assert np.array_equal(result.detection.mask, det.mask)
    assert np.array_equal(result.image, image)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_clean_frames_classify_every_tile(pipe, photos, name):
    frame = _frame(photos[name])
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    assert whole_frame(frame, rgb, pipe.classifier) is None
    result = pipe.process(frame)
    assert result.timings["tiles"] == 80 and not result.detection.pixelated


def test_a_censored_box_is_not_a_whole_frame(pipe, astronaut):
    frame = up.pixelate(_frame(astronaut), 8, region=(200, 150, 240, 180))
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    assert whole_frame(frame, rgb, pipe.classifier) is None
    assert pipe.process(frame).detection.pixelated


def test_small_frames_skip_the_path(pipe, astronaut):
    frame = up.pixelate(cv2.resize(astronaut, (192, 192)), 4)  # 9 tiles < MIN_TILES
    assert MIN_TILES > 9
    assert whole_frame(frame, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), pipe.classifier) is None


def test_the_classifier_has_the_last_word(pipe, astronaut):
    """A classifier that flags nothing: every tile is classified, scores as without the path."""
    frame = up.pixelate(_frame(astronaut), 4)
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    never = Classifier(pipe.classifier.engine, threshold=1.01)
    found = whole_frame(frame, rgb, never)
    assert found is not None and found.classified == found.scores.size == 80
    assert np.array_equal(found.scores, never.scores(rgb))
    agreeing = whole_frame(frame, rgb, pipe.classifier)
    assert agreeing is not None and agreeing.classified < 40
    assert (agreeing.scores >= pipe.classifier.threshold).all()


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((0, 0, 64, 64), [True, False, False, False]),
        ((0, 0, 64, 31), [False, False, False, False]),  # under half of the tile
        ((0, 0, 128, 32), [True, True, False, False]),  # exactly half of two tiles
        ((40, 40, 88, 88), [False, False, False, True]),
    ],
)
def test_explained_tiles(box, expected):
    mask = np.zeros((128, 128), bool)
    x, y, w, h = box
    mask[y : y + h, x : x + w] = True
    assert explained_tiles(mask, 64).tolist() == expected


def test_a_large_frame_samples_about_max_spot_explained_tiles(pipe, astronaut):
    """1920x1080: 510 tiles, one in 16 of the explained ones sampled (not one in SPOT = 8)."""
    from unpixel.wholeframe import MAX_SPOT, SPOT

    frame = up.pixelate(_frame(astronaut, (1920, 1080)), 4)
    found = whole_frame(frame, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), pipe.classifier)
    assert found is not None and found.scores.size == 510
    explained = int(explained_tiles(found.mask, pipe.classifier.tile).sum())
    assert explained > SPOT * MAX_SPOT  # where the cap is what limits the sample
    assert found.classified - (510 - explained) <= MAX_SPOT
    assert found.classified < 510  # the classifier agreed: the rest took the sample's score

"""The whole-frame fast path: a frame one grid explains is confirmed by a sample of its tiles.

Low-resolution video shown with nearest upscaling is pixelated edge to edge: classifying
every tile of it costs as much as restoring it. When a probe at the frame's centre shows a
grid, the whole frame's grid is sought (:func:`~unpixel.grid.region_grid`, as for a region
of flagged tiles covering the frame) and its mosaic cells marked
(:func:`~unpixel.cells.mark_cells`); a tile at least :data:`EXPLAINED` covered by them is
*explained*. When most tiles are, only every :data:`SPOT`-th explained tile and every
unexplained one go through the classifier. The classifier keeps the last word: the path
holds only if it flags at least :data:`AGREE` of the sampled explained tiles; otherwise the
rest are classified too, and the frame gets exactly the scores it gets without this path.
An explained tile left out of the sample takes the lowest score of the flagged samples.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import cv2
import numpy as np

from unpixel.cells import area_of, mark_cells, read_lr
from unpixel.classifier import Classifier
from unpixel.geometry import Box
from unpixel.grid import Grid, estimate_grid, region_grid
from unpixel.results import Region
from unpixel.tiles import tile_origins

PROBE = 256
"""Side of the centred crop a grid is first sought in (pixels; the whole frame if smaller)."""
MIN_TILES = 16
"""Frames of fewer tiles are classified whole: there is little to save."""
EXPLAINED = 0.5
"""A tile is explained when at least this share of its pixels are mosaic cells of the grid."""
MOST = 0.5
"""The path is tried when at least this share of the frame's tiles are explained."""
SPOT = 8
"""One explained tile in this many is classified (at least :data:`MIN_SPOT` of them, about
:data:`MAX_SPOT` at most)."""
MIN_SPOT = 8
MAX_SPOT = 32
"""A sample this large already tells a mosaic the classifier sees from one it does not; a
1080p frame's 510 tiles would otherwise send 64 through it."""
AGREE = 0.75
"""Share of the sampled explained tiles the classifier must flag for the path to hold."""


@dataclass(frozen=True, eq=False)
class WholeFrame:
    """A frame's tile scores found on the fast path, and the whole-frame grid's cells.

    Attributes:
        scores: one per tile (cut_tiles order): classified, or given to explained tiles.
        classified: how many tiles went through the classifier.
        grid: the whole frame's grid.
        lr: the LR image of its cell area (:func:`~unpixel.cells.read_lr` of
            :func:`~unpixel.cells.area_of` the whole-frame region).
        mask: the frame's mosaic cells on that grid (HxW bool).
        cells: how many mosaic cells ``mask`` holds.
        upscaled: ``lr`` upscaled by the grid's block, when asked for (else None).
        restore_s: seconds spent upscaling it.

    """

    scores: np.ndarray
    classified: int
    grid: Grid
    lr: np.ndarray
    mask: np.ndarray
    cells: int
    upscaled: np.ndarray | None = None
    restore_s: float = 0.0

    def grid_for(self, box: Box) -> Grid | None:
        """:attr:`grid` for a region that is the whole frame; None (seek it) for any other."""
        h, w = self.mask.shape
        return self.grid if tuple(box) == (0, 0, w, h) else None


def _probe_box(h: int, w: int) -> tuple[int, int, int, int]:
    ph, pw = min(PROBE, h), min(PROBE, w)
    return (w - pw) // 2, (h - ph) // 2, pw, ph


def explained_tiles(mask: np.ndarray, tile: int) -> np.ndarray:
    """Per tile (cut_tiles order): is at least :data:`EXPLAINED` of it mosaic cells."""
    h, w = mask.shape
    ys, xs = tile_origins(h, w, tile)
    total = cv2.integral(mask.view(np.uint8), sdepth=cv2.CV_32S)
    y0, x0 = np.asarray(ys)[:, None], np.asarray(xs)[None, :]
    y1, x1 = np.minimum(y0 + tile, h), np.minimum(x0 + tile, w)
    inside = total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0]
    return (inside >= EXPLAINED * (y1 - y0) * (x1 - x0)).ravel()


Upscale = Callable[[np.ndarray, int], np.ndarray]
"""(LR image, block) -> the image upscaled by the block (:meth:`Restorer.upscale`)."""


def whole_frame(
    frame: np.ndarray,
    rgb: np.ndarray,
    classifier: Classifier,
    upscale: Upscale | None = None,
    worker: Executor | None = None,
) -> WholeFrame | None:
    """The fast path's scores for ``frame``, or None when it does not apply.

    Args:
        frame: HxWx3 BGR uint8.
        rgb: the same frame in RGB (the classifier's input).
        classifier: scores the tiles it must.
        upscale: when given, the LR image is upscaled on this thread while ``worker``
            marks the mosaic cells (the restorer's threads and the cell search share the
            cores instead of taking turns); wasted if the classifier then disagrees.
        worker: runs the cell search beside ``upscale`` (required with it).

    Returns:
        A :class:`WholeFrame` when one grid explains most tiles and the classifier agrees on
        the sample; None when there is no such grid (nothing classified yet). When the
        classifier disagrees, every tile has been classified and ``scores`` are the same as
        :meth:`~unpixel.classifier.Classifier.scores` of the whole frame (``grid`` still set:
        the caller seeks regions as usual).

    """
    h, w = frame.shape[:2]
    tile = classifier.tile
    ys, xs = tile_origins(h, w, tile)
    if len(ys) * len(xs) < MIN_TILES:
        return None
    if estimate_grid(frame, region=_probe_box(h, w)) is None:
        return None
    full = Box(0, 0, w, h)
    grid = region_grid(frame, full)
    if grid is None or grid.pitch is not None:
        return None
    area = area_of(Region(full, 1.0, grid), tile, frame.shape)
    lr = read_lr(frame, area)
    mask = np.zeros((h, w), bool)
    upscaled, restore_s = None, 0.0
    if upscale is not None and worker is not None:
        search = worker.submit(mark_cells, frame, area, lr, mask)
        start = time.perf_counter()
        upscaled = upscale(lr, area.block)
        restore_s = time.perf_counter() - start
        cells = search.result()
    else:
        cells = mark_cells(frame, area, lr, mask)
    explained = explained_tiles(mask, tile)
    if explained.mean() < MOST:
        return None
    known = np.flatnonzero(explained)
    step = max(1, min(max(SPOT, -(-known.size // MAX_SPOT)), known.size // MIN_SPOT))
    sample = known[step // 2 :: step]
    first = np.concatenate((sample, np.flatnonzero(~explained)))
    scores = np.empty(explained.size, np.float32)
    scores[first] = classifier.scores(rgb, first)
    flagged = scores[sample] >= classifier.threshold
    rest = np.setdiff1d(known, sample, assume_unique=True)
    if flagged.mean() >= AGREE:
        scores[rest] = scores[sample][flagged].min()
        classified = first.size
    else:  # the classifier does not see this grid's mosaic: score every tile, as usual
        scores[rest] = classifier.scores(rgb, rest)
        classified = explained.size
    return WholeFrame(scores, int(classified), grid, lr, mask, cells, upscaled, restore_s)

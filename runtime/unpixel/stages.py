"""One frame through the stages: classify -> regions + grids -> cells -> restore -> blend.

:class:`FrameStages` wires the stage modules together for a single frame and times them; it
keeps no memory between frames (running modes and per-stream state are the pipeline's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from unpixel.blend import blend, to_cells
from unpixel.cells import CellArea, area_of, mark_cells, read_lr
from unpixel.classifier import Classifier
from unpixel.regions import find_regions
from unpixel.restorer import Restorer
from unpixel.results import Detection, Result
from unpixel.wholeframe import whole_frame

Scorer = Callable[[np.ndarray], tuple[np.ndarray, int]]
"""RGB frame -> (one score per tile, how many tiles ran through the classifier)."""
Areas = list[CellArea | None]
Images = list[np.ndarray | None]


class FrameStages:
    """The stages of one frame, on the models of a pipeline.

    Args:
        classifier: scores the tiles.
        restorer: upscales the LR images.

    """

    def __init__(self, classifier: Classifier, restorer: Restorer) -> None:
        self.classifier = classifier
        self.restorer = restorer
        # seeks the mosaic cells while the restorer runs (its thread starts on first use)
        self._cell_finder = ThreadPoolExecutor(1, thread_name_prefix="unpixel-cells")

    def score_all(self, rgb: np.ndarray) -> tuple[np.ndarray, int]:
        """Every tile's score (the :data:`Scorer` of a frame with no stream behind it)."""
        scores = self.classifier.scores(rgb)
        return scores, int(scores.size)

    def areas(self, frame: np.ndarray, det: Detection) -> Areas:
        """The :class:`~unpixel.cells.CellArea` of each region of ``det`` (None: no grid)."""
        tile = self.classifier.tile
        return [area_of(r, tile, frame.shape) if r.grid else None for r in det.regions]

    def detect(
        self,
        frame: np.ndarray,
        timings: dict[str, float],
        scorer: Scorer | None = None,
        upscale: bool = False,
    ) -> tuple[Detection, Areas, Images]:
        """The detection of ``frame``, each region's cell area and LR image (None: no grid).

        Args:
            frame: HxWx3 BGR uint8.
            timings: filled with ``classify``, ``grid``, ``cells`` (ms) and ``tiles``.
            scorer: how tiles are scored (default: every tile, :meth:`score_all`).
            upscale: upscale each LR image on this thread while a worker seeks the region's
                mosaic cells; the last list then holds the upscaled images, and
                ``timings["restore"]`` the restorer's time.

        Returns:
            The detection, the regions' cell areas, their LR (or upscaled) images.

        """
        t0 = time.perf_counter()
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        whole = None
        if scorer is None:
            upscaler = self.restorer.upscale if upscale else None
            try:
                whole = whole_frame(frame, rgb, self.classifier, upscaler, self._cell_finder)
            except RuntimeError:  # the cell finder shut down by close() while this frame ran
                raise ValueError("this pipeline is closed") from None
        if whole is not None:
            scores, classified = whole.scores, whole.classified
        else:
            scores, classified = (scorer or self.score_all)(rgb)
        del rgb  # a frame-sized copy, not needed past the classifier (memory of large frames)
        t1 = time.perf_counter()
        tile = self.classifier.tile
        known = whole.grid_for if whole is not None else None
        regions = find_regions(frame, scores, self.classifier.threshold, tile, known)
        t2 = time.perf_counter()
        mask = np.zeros(frame.shape[:2], bool)
        areas: Areas = []
        images: Images = []
        sizes, restoring = [], 0.0
        for region in regions:
            area = area_of(region, tile, frame.shape) if region.grid else None
            areas.append(area)
            if area is None:
                sizes.append(0)
                images.append(None)
                continue
            if whole is not None and region.grid is whole.grid:  # its cells are known
                mask |= whole.mask
                sizes.append(whole.cells)
                if not upscale:
                    images.append(whole.lr)
                    continue
                start = time.perf_counter()
                hr = whole.upscaled
                hr = self.restorer.upscale(whole.lr, area.block) if hr is None else hr
                images.append(to_cells(hr, area))
                restoring += time.perf_counter() - start
                continue
            lr = read_lr(frame, area)
            if not upscale:
                sizes.append(mark_cells(frame, area, lr, mask))
                images.append(lr)
                continue
            try:
                cells = self._cell_finder.submit(mark_cells, frame, area, lr, mask)
            except RuntimeError:  # shut down by close() while this frame ran
                raise ValueError("this pipeline is closed") from None
            start = time.perf_counter()
            images.append(to_cells(self.restorer.upscale(lr, area.block), area))
            restoring += time.perf_counter() - start
            sizes.append(cells.result())
        resolved = [r for r, n in zip(regions, sizes, strict=True) if r.grid and n > 0]
        best = max(resolved, key=lambda r: r.box.w * r.box.h, default=None)
        t3 = time.perf_counter()
        early = whole.restore_s if whole is not None else 0.0  # upscaled while classifying
        timings.update(classify=(t1 - t0 - early) * 1e3, grid=(t2 - t1) * 1e3)
        timings.update(cells=(t3 - t2 - restoring) * 1e3, tiles=float(classified))
        if upscale:
            timings["restore"] = (restoring + early) * 1e3
        det = Detection(
            pixelated=best is not None,
            score=float(scores.max()),
            grid=best.grid if best else None,
            mask=mask,
            regions=tuple(regions),
        )
        return det, areas, images

    def cells(self, frame: np.ndarray, det: Detection) -> tuple[np.ndarray, Images]:
        """The mosaic cells of ``det``'s regions in ``frame`` (mask) and their LR images.

        ``det``'s own mask is the prior (:func:`~unpixel.cells.mark_cells`): its cells stay
        mosaic cells while they stay flat.
        """
        mask = np.zeros(frame.shape[:2], bool)
        lrs: Images = []
        for area in self.areas(frame, det):
            lrs.append(None if area is None else read_lr(frame, area))
            if area is not None:
                mark_cells(frame, area, lrs[-1], mask, prior=det.mask)
        return mask, lrs

    def restore(self, frame: np.ndarray, det: Detection, lrs: Images | None = None) -> np.ndarray:
        """``frame`` with ``det``'s masked cells restored (``lrs``: LR images when known)."""
        areas = self.areas(frame, det)
        upscaled: Images = []
        for i, area in enumerate(areas):
            if area is None or not det.mask[area.box.slices].any():
                upscaled.append(None)
                continue
            lr = lrs[i] if lrs is not None else None
            lr = read_lr(frame, area) if lr is None else lr
            upscaled.append(to_cells(self.restorer.upscale(lr, area.block), area))
        return blend(frame, det.mask, areas, upscaled)

    def process(
        self,
        frame: np.ndarray,
        scorer: Scorer | None = None,
        reused: tuple[Detection, Images] | None = None,
    ) -> Result:
        """Detect (or take ``reused``: a detection and its LR images) and restore a frame."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        if reused is None:  # upscaled while the cells were sought
            det, areas, hrs = self.detect(frame, timings, scorer, upscale=True)
            t1 = time.perf_counter()
            image = blend(frame, det.mask, areas, hrs) if det.pixelated else frame.copy()
        else:
            det, lrs = reused
            t1 = time.perf_counter()
            image = self.restore(frame, det, lrs) if det.pixelated else frame.copy()
        t2 = time.perf_counter()
        timings["restore"] = timings.get("restore", 0.0) + (t2 - t1) * 1e3
        timings["total"] = (t2 - t0) * 1e3
        return Result(image=image, detection=det, timings=timings)

    def close(self) -> None:
        """Stop the cell finder's thread and release the models."""
        self._cell_finder.shutdown(wait=True)
        self.classifier.close()
        self.restorer.close()

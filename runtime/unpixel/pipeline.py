"""The classify-then-restore pipeline.

frame -> native-resolution tiles -> batched classification -> flagged regions -> grid per
region -> mosaic cells -> LR read off the cells -> restorer (tiles with a halo) -> pasted
into the mosaic cells only. Every other pixel comes out bit-for-bit unchanged.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from unpixel.image import as_bgr
from unpixel.cells import mosaic_cells
from unpixel.classifier import Classifier
from unpixel.degrade import block_edges, cell_means, expand_cells
from unpixel.engines import open_engine
from unpixel.grid import region_grid
from unpixel.options import PipelineOptions, RunningMode
from unpixel.restorer import Restorer
from unpixel.results import Detection, Region, Result
from unpixel.tiles import cell_area, flagged_groups, grow, local_phase, tile_origins, tiles_in
from unpixel.zoo import resolve

REUSE_SHARE = 0.9
"""VIDEO mode reuses the previous detection while this share of its mosaic cells is still flat."""


class Pipeline:
    """Detect and remove pixelation. Create with :meth:`create`; close or use ``with``.

    Thread-safe: one pipeline may be shared by several threads. Model invocations take turns
    (each engine holds a lock), VIDEO-mode frames are processed one at a time; for parallel
    throughput create one pipeline per thread. After :meth:`close`, calls raise ValueError.
    """

    def __init__(self, options: PipelineOptions, classifier: Classifier,
                 restorer: Restorer) -> None:  # fmt: skip
        self.options = options
        self.classifier = classifier
        self.restorer = restorer
        self._previous: tuple[Detection, np.ndarray] | None = None
        self._scores: tuple[np.ndarray, tuple[int, ...]] | None = None  # sweep: last scores
        self._frames = 0
        self._settled = True
        self._ran: np.ndarray | None = None  # sweep: tiles classified in the current frame
        self._last_ts: int | None = None
        self._busy = threading.Lock()
        self._video = threading.Lock()  # VIDEO mode: one frame at a time (state, timestamps)
        self._worker: threading.Thread | None = None
        # seeks the mosaic cells while the restorer runs (its thread starts on first use)
        self._cell_finder = ThreadPoolExecutor(1, thread_name_prefix="unpixel-cells")
        self.dropped = 0
        """LIVE_STREAM: frames dropped because the previous one was still being processed."""
        self.error: Exception | None = None
        """LIVE_STREAM: the error of the last frame that failed (raised by the next call)."""

    @classmethod
    def create(cls, options: PipelineOptions | None = None) -> Pipeline:
        """Load the models ``options`` name (default: the shipped int8 LiteRT models)."""
        options = options or PipelineOptions()
        files = resolve(options)
        kw = {"num_threads": options.num_threads, "delegate": options.delegate,
              "strict": options.strict}  # fmt: skip
        classifier = Classifier(open_engine(files.classifier, files.format, **kw),
                                files.threshold)  # fmt: skip
        engines = {s: open_engine(p, files.format, **kw) for s, p in files.restorers.items()}
        return cls(options, classifier, Restorer(engines, tile=options.restore_tile))

    # -- detection -------------------------------------------------------------------------

    def _mask_region(self, frame: np.ndarray, region: Region,
                     mask: np.ndarray) -> tuple[int, np.ndarray]:  # fmt: skip
        """Mark the region's mosaic cells in ``mask``; return how many cells and the LR image."""
        lr = self._lr(frame, region)
        return self._cells(frame, region, lr, mask), lr

    def _lr(self, frame: np.ndarray, region: Region) -> np.ndarray:
        """The region's LR image: the cell means over :meth:`_area` (what is upscaled)."""
        assert region.grid is not None
        b = region.grid.block
        y0, y1, x0, x1 = self._area(region, frame.shape)
        phase = local_phase(region.grid, y0, x0)
        return cell_means(frame[y0:y1, x0:x1], b, phase)

    def _cells(self, frame: np.ndarray, region: Region, lr: np.ndarray,
               mask: np.ndarray) -> int:  # fmt: skip
        """Mark the region's mosaic cells in ``mask``; return how many (``lr``: its LR image).

        The cells are sought in :meth:`_area`: a mosaic is followed past the flagged tiles
        (a tile the mosaic only partly covers may stay unflagged) as far as its cells stay
        flat.
        """
        assert region.grid is not None
        grid = region.grid
        b = grid.block
        y0, y1, x0, x1 = self._area(region, frame.shape)
        phase = local_phase(grid, y0, x0)
        fy0, fy1, fx0, fx1 = cell_area(region.box, grid, frame.shape)
        ey, ex = block_edges(y1 - y0, b, phase[0]), block_edges(x1 - x0, b, phase[1])
        core = (int(np.searchsorted(ey, fy0 - y0)), int(np.searchsorted(ey, fy1 - y0)),
                int(np.searchsorted(ex, fx0 - x0)), int(np.searchsorted(ex, fx1 - x0)))  # fmt: skip
        cells = mosaic_cells(frame[y0:y1, x0:x1], b, phase, means=lr, core=core)
        mask[y0:y1, x0:x1] |= expand_cells(cells, b, np.diff(ey), np.diff(ex))
        return int(cells.sum())

    def _area(self, region: Region, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """Where a region's mosaic cells are sought and restored: (y0, y1, x0, x1).

        The region's box grown by one tile, then to whole cells of its grid.
        """
        assert region.grid is not None
        return cell_area(grow(region.box, self.classifier.tile, shape), region.grid, shape)

    def _classify(self, frame: np.ndarray, sweep: bool, within: np.ndarray | None = None,
                  done: np.ndarray | None = None) -> tuple[np.ndarray, int]:  # fmt: skip
        """Tile scores of ``frame`` and how many tiles ran through the classifier.

        With ``sweep`` (VIDEO / LIVE_STREAM and options.sweep > 1) only this frame's share
        of the rotating lattice and the tiles at or next to the last detection run
        (``within``, while a detection is reused: the lattice share of these tiles alone,
        those away from the detection); the others keep their last score. ``done``: tiles
        already classified in this frame (skipped, and the lattice does not advance again).
        """
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        k = self.options.sweep
        sweep = sweep and k > 1
        if not sweep or self._scores is None or self._scores[1] != frame.shape:
            scores = self.classifier.scores(rgb)
        else:
            scores = self._scores[0].copy()
            ys, xs = tile_origins(*frame.shape[:2], self.classifier.tile)
            rows, cols = np.divmod(np.arange(scores.size), len(xs))
            shape = (len(ys), len(xs))
            if done is None:
                self._frames += 1
                done = np.zeros(scores.size, bool)
            ran = (rows + cols) % k == self._frames % k
            if within is None:
                ran |= self._near(scores, shape)
            else:
                ran &= within
            index = np.flatnonzero(ran & ~done)
            if index.size:
                scores[index] = self.classifier.scores(rgb, index)
            self._ran = ran | done
            if within is None:  # settled: every tile at or next to this detection ran now
                self._settled = not (self._near(scores, shape) & ~self._ran).any()
            self._scores = (scores, frame.shape)
            return scores, int(index.size)
        if sweep or self.options.running_mode is RunningMode.VIDEO:  # what reuse checks against
            self._scores, self._frames = (scores, frame.shape), 0
        self._settled = True
        self._ran = np.ones(scores.size, bool)
        return scores, int(scores.size)

    def _near(self, scores: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Tiles (flat, cut_tiles order) that are flagged or touch a flagged one."""
        return self._grow(scores >= self.classifier.threshold, shape)

    @staticmethod
    def _grow(flags: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Flat tile flags grown by one tile in every direction (8-neighbourhood)."""
        grid = flags.reshape(shape).view(np.uint8)
        return cv2.dilate(grid, np.ones((3, 3), np.uint8)).ravel() > 0

    def _detect(self, frame: np.ndarray, timings: dict[str, float], sweep: bool = False,
                done: np.ndarray | None = None,
                upscale: bool = False) -> tuple[Detection, list]:  # fmt: skip
        """The detection of ``frame`` and the LR image of each region (None: no grid).

        ``upscale``: also upscale each region's LR image, on this thread while a worker
        thread seeks the region's mosaic cells; the list then holds the upscaled images
        instead of the LR images, and ``timings["restore"]`` the time the restorer took.
        """
        t0 = time.perf_counter()
        scores, classified = self._classify(frame, sweep, done=done)
        t1 = time.perf_counter()
        h, w = frame.shape[:2]
        flags = scores >= self.classifier.threshold
        tile = self.classifier.tile
        regions = []
        for box, parts in flagged_groups(flags, h, w, tile):
            grid = region_grid(frame, box, parts)
            inside = tiles_in(box, h, w, tile)
            regions.append(Region(box, float(scores[inside].max()), grid))
        t2 = time.perf_counter()
        mask = np.zeros((h, w), bool)
        sizes, images, restoring = [], [], 0.0
        for region in regions:
            if region.grid is None:
                sizes.append(0)
                images.append(None)
                continue
            lr = self._lr(frame, region)
            if not upscale:
                sizes.append(self._cells(frame, region, lr, mask))
                images.append(lr)
                continue
            cells = self._cell_finder.submit(self._cells, frame, region, lr, mask)
            start = time.perf_counter()
            images.append(self.restorer.upscale(lr, region.grid.block))
            restoring += time.perf_counter() - start
            sizes.append(cells.result())
        resolved = [r for r, n in zip(regions, sizes, strict=True) if r.grid and n > 0]
        best = max(resolved, key=lambda r: r.box[2] * r.box[3], default=None)
        t3 = time.perf_counter()
        timings.update(classify=(t1 - t0) * 1e3, grid=(t2 - t1) * 1e3,
                       cells=(t3 - t2 - restoring) * 1e3, tiles=float(classified))  # fmt: skip
        if upscale:
            timings["restore"] = restoring * 1e3
        det = Detection(pixelated=best is not None, score=float(scores.max()),
                        grid=best.grid if best else None, mask=mask,
                        regions=tuple(regions))  # fmt: skip
        return det, images

    def detect(self, frame: np.ndarray) -> Detection:
        """Is ``frame`` (HxWx3 BGR uint8, >= 32x32) pixelated, and where."""
        return self._detect(as_bgr(frame), {})[0]

    # -- restoration -----------------------------------------------------------------------

    def _restore(self, frame: np.ndarray, det: Detection, lrs: list | None = None,
                 hrs: list | None = None) -> np.ndarray:  # fmt: skip
        """``frame`` with the mosaic cells of ``det`` replaced.

        ``lrs``: each region's LR image as :meth:`_detect` computed it (None: computed here);
        ``hrs``: each region's upscaled image, already made (see ``_detect(upscale=True)``).
        """
        out = frame.copy()
        for i, region in enumerate(det.regions):
            grid = region.grid
            if grid is None:
                continue
            y0, y1, x0, x1 = self._area(region, frame.shape)
            where = det.mask[y0:y1, x0:x1]
            if not where.any():
                continue
            b = grid.block
            phase = local_phase(grid, y0, x0)
            if hrs is not None:
                hr = hrs[i]
            else:
                lr = lrs[i] if lrs is not None else cell_means(frame[y0:y1, x0:x1], b, phase)
                hr = self.restorer.upscale(lr, b)
            oy, ox = (b - phase[0]) % b, (b - phase[1]) % b
            hr = hr[oy : oy + y1 - y0, ox : ox + x1 - x0]
            cv2.copyTo(hr, where.view(np.uint8), out[y0:y1, x0:x1])
        return out

    def _process(self, frame: Any, reused: tuple[Detection, list] | None = None,
                 done: np.ndarray | None = None) -> Result:  # fmt: skip
        t0 = time.perf_counter()
        frame = as_bgr(frame)
        timings: dict[str, float] = {}
        lrs, hrs = None, None
        if reused is None:  # upscaled while the cells were sought
            det, hrs = self._detect(frame, timings, sweep=True, done=done, upscale=True)
        else:
            det, lrs = reused
        t1 = time.perf_counter()
        image = self._restore(frame, det, lrs, hrs) if det.pixelated else frame.copy()
        t2 = time.perf_counter()
        timings["restore"] = timings.get("restore", 0.0) + (t2 - t1) * 1e3
        timings["total"] = (t2 - t0) * 1e3
        return Result(image=image, detection=det, timings=timings)

    def process(self, frame: np.ndarray) -> Result:
        """Detect and restore one image (IMAGE mode)."""
        self._require(RunningMode.IMAGE)
        return self._process(frame)

    def process_for_video(self, frame: np.ndarray, timestamp_ms: int) -> Result:
        """Process the next frame of a video (VIDEO mode); timestamps must increase.

        The previous frame's detection is reused while its grid still explains this frame
        (at least 90% of its mosaic cells are still flat); otherwise detection runs again.
        While reusing, the tiles away from the detection are still classified (with ``sweep``
        > 1 only this frame's share of the tile lattice), and a flagged one (a new mosaic
        elsewhere) ends the reuse.
        """
        self._require(RunningMode.VIDEO)
        frame = as_bgr(frame)
        with self._video:
            self._check_timestamp(timestamp_ms)
            reused = self._reuse(frame) if self._settled else None
            done, tiles = None, None
            if reused is not None and self._scores is not None:
                found, tiles, done = self._mosaic_away(frame)
                if found:
                    reused = None
            result = self._process(frame, reused, done)
            if tiles is not None:
                result.timings["tiles"] = result.timings.get("tiles", 0.0) + tiles
            if reused is not None:
                result.timings["reused_detection"] = 1.0
            self._previous = (result.detection, frame) if result.detection.pixelated else None
        return result

    def _mosaic_away(self, frame: np.ndarray) -> tuple[bool, int, np.ndarray | None]:
        """While reusing: whether a tile away from the detection is flagged (a new mosaic).

        Classifies the tiles away from the flags the detection came from (with ``sweep`` > 1:
        this frame's lattice share of them; the detection's own tiles are checked by its
        mosaic cells instead, and run again when it ends). Returns (found, tiles classified,
        the tiles classified in this frame for :meth:`_classify`'s ``done``, or None).
        """
        assert self._scores is not None
        threshold = self.classifier.threshold
        before = self._scores[0] >= threshold
        shape = tuple(len(o) for o in tile_origins(*frame.shape[:2], self.classifier.tile))
        away = ~self._grow(before, shape)
        if self.options.sweep > 1:
            scores, tiles = self._classify(frame, sweep=True, within=away)
            return bool((scores[away] >= threshold).any()), tiles, self._ran
        index = np.flatnonzero(away)
        if not index.size:
            return False, 0, None
        scores = self.classifier.scores(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), index)
        return bool((scores >= threshold).any()), int(index.size), None

    def _reuse(self, frame: np.ndarray) -> tuple[Detection, list] | None:
        """The previous detection with this frame's mosaic cells, if its grid still fits."""
        if self._previous is None or self._previous[1].shape != frame.shape:
            return None
        det = self._previous[0]
        mask = np.zeros(frame.shape[:2], bool)
        lrs = [self._mask_region(frame, region, mask)[1] if region.grid else None
               for region in det.regions]  # fmt: skip
        kept = np.count_nonzero(mask & det.mask)
        if kept < REUSE_SHARE * np.count_nonzero(det.mask):
            return None
        return replace(det, mask=mask), lrs

    def process_async(self, frame: np.ndarray, timestamp_ms: int) -> bool:
        """LIVE_STREAM: start processing ``frame`` unless busy; the result goes to the callback.

        Returns False when the frame was dropped because the previous one is still running.
        An error in processing a frame is kept in :attr:`error` and raised by the next call.
        """
        self._require(RunningMode.LIVE_STREAM)
        if self.error is not None:
            error, self.error = self.error, None
            raise RuntimeError(f"the previous frame failed: {error}") from error
        self._check_timestamp(timestamp_ms)
        frame = as_bgr(frame).copy()
        if not self._busy.acquire(blocking=False):
            self.dropped += 1
            return False

        def work() -> None:
            try:
                result = self._process(frame)
                callback = self.options.result_callback
                assert callback is not None
                callback(result, frame, timestamp_ms)
            except Exception as e:  # handed to the caller by the next call
                self.error = e
            finally:
                self._busy.release()

        self._worker = threading.Thread(target=work, name="unpixel-live", daemon=True)
        self._worker.start()
        return True

    # -- housekeeping ----------------------------------------------------------------------

    def _require(self, mode: RunningMode) -> None:
        if self.options.running_mode is not mode:
            raise ValueError(f"this pipeline runs in {self.options.running_mode.name} mode; "
                             f"create it with running_mode=RunningMode.{mode.name}")  # fmt: skip

    def _check_timestamp(self, timestamp_ms: int) -> None:
        if self._last_ts is not None and timestamp_ms <= self._last_ts:
            raise ValueError(f"timestamps must increase: {timestamp_ms} after {self._last_ts}")
        self._last_ts = timestamp_ms

    def close(self) -> None:
        """Wait for a running LIVE_STREAM frame, then release the models."""
        if self._worker is not None:
            self._worker.join()
        self._cell_finder.shutdown(wait=True)
        self.classifier.close()
        self.restorer.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

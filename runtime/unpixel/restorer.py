"""The restorer: a low-resolution image -> upscaled by the block size, tile by tile.

Tiles of ``tile`` LR pixels are cut with a halo on each side (the receptive field of the
stages applied, see :func:`halo_for`), the tiles run in batches of bounded size
(:data:`BATCH_PIXELS`), and the tile centres are put back together: the result equals a
whole-image pass, without seams, and the model sees one input shape per image. Blocks
other than 2, 3 and 4 go through a cascade (6 = 3 x 2, 8 = 4 x 2, 9, 12, 16) or the largest
scale followed by Lanczos.
"""

from __future__ import annotations

import cv2
import numpy as np

from unpixel.engines import Engine
from unpixel.errors import ModelError
from unpixel.tiles import batches

RADIUS = 5
"""How far (LR pixels, each side) one stage's output reaches into its input: the ESPCN's 5x5,
3x3, 2x2 and 3x3 convolutions (2 + 1 + 1 + 1; tests/unpixel/test_restorer.py checks that
tiles with this halo give the whole-image pass exactly)."""
WHOLE_LIMIT = 512 * 512
"""LR images up to this many pixels run in one piece (with the halo as padding): tiles
would only add halo work. Larger ones run as tiles, bounding memory."""
SHAPE_STEP = 8
"""A whole LR image is padded (edge pixels repeated, past the halo) to a multiple of this
many pixels a side: LiteRT reallocates its tensors for every new input shape (~7 ms for a
1080p frame's LR image), and a panning video's LR image changes size by a pixel from frame
to frame. The padding lies beyond the halo, so no kept output pixel depends on it."""
BATCH_PIXELS = 1 << 22
"""Most output pixels (halos included) of one batch of tiles: the tiles of a large image run
a batch at a time, each batch's centres written into the result, so the backends' buffers
and the upscaled batch stay bounded (an 8192x8192 b = 8 restore had held 2.3 GB there)."""


def plan(block: int, scales: tuple[int, ...]) -> list[int]:
    """Model scales to apply in order for ``block`` (their product may fall short of it)."""
    if block in scales:
        return [block]
    for a in sorted(scales, reverse=True):
        if block % a == 0 and block // a in scales:
            return [a, block // a]
    return [max(s for s in scales if s <= block)] if min(scales) <= block else []


def stable(length: int) -> int:
    """``length`` rounded up to a multiple of :data:`SHAPE_STEP`."""
    return -(-length // SHAPE_STEP) * SHAPE_STEP


def halo_for(steps: list[int], radius: int = RADIUS) -> int:
    """LR pixels each side that the output of ``steps`` applied in order depends on.

    A later stage's reach counts in its own input's pixels: ``radius`` over the scale so far.
    """
    halo, factor = 0, 1
    for scale in steps:
        halo += -(-radius // factor)
        factor *= scale
    return halo


PROBE = 8
"""LR pixels a side of the input :func:`check_scale` runs (any size a restorer takes)."""


def check_scale(engine: Engine, scale: int) -> None:
    """Fail unless ``engine`` upscales an image by exactly ``scale``, measured on its output.

    A model's name or manifest entry can be wrong (files swapped, a user path for the wrong
    scale); its output shape cannot. One tiny invocation, at load time.

    Raises:
        ModelError: the output is not (1, PROBE * scale, PROBE * scale, 3), or the model
            cannot run on a PROBE x PROBE image at all (not a restorer).

    """
    size = engine.input.shape[1] if engine.input.shape[1] > 0 else PROBE
    try:
        out = engine.run_pixels(np.zeros((1, size, size, 3), np.uint8))
    except Exception as exc:  # a backend's own error type: not a restorer of any scale
        raise ModelError(f"restorer x{scale} does not run on a {size}x{size} image: {exc}") from exc
    expected = (1, size * scale, size * scale, 3)
    if tuple(out.shape) != expected:
        got = out.shape[1] / size if out.ndim == 4 else None
        found = f"x{got:g}" if got else f"output {tuple(out.shape)}"
        raise ModelError(f"the restorer given for x{scale} upscales {found}, not x{scale}")


class Restorer:
    """Upscales LR BGR images by a block size with the restorer models it holds."""

    def __init__(self, engines: dict[int, Engine], tile: int = 64, halo: int | None = None) -> None:
        for scale, engine in engines.items():
            shape = engine.input.shape
            if len(shape) != 4 or shape[3] != 3 or (shape[1] > 0 and shape[1] != shape[2]):
                raise ModelError(f"restorer x{scale} input must be (N, H, W, 3), got {shape}")
            check_scale(engine, scale)
        self.engines = engines
        self.tile = tile
        self.halo = halo
        """LR pixels of halo each side; None: :func:`halo_for` the stages applied."""

    def upscale(self, lr: np.ndarray, block: int) -> np.ndarray:
        """Upscale a low-resolution image by ``block``.

        Args:
            lr: BGR uint8 (h, w, 3), one pixel per mosaic cell.
            block: the mosaic's cell size (any size from 2 up; see :func:`plan`).

        Returns:
            BGR uint8 (h * block, w * block, 3).

        Raises:
            ValueError: no model scale fits ``block`` (it is below the smallest scale).

        """
        steps = plan(block, tuple(self.engines))
        if not steps:
            raise ValueError(f"no restorer for block {block}")
        h, w = lr.shape[:2]
        halo = halo_for(steps) if self.halo is None else self.halo
        whole = h * w <= WHOLE_LIMIT
        th, tw = (stable(h), stable(w)) if whole else (min(self.tile, h), min(self.tile, w))
        ny, nx = -(-h // th), -(-w // tw)
        padded = cv2.copyMakeBorder(
            np.ascontiguousarray(lr[:, :, ::-1]),
            halo,
            ny * th - h + halo,
            halo,
            nx * tw - w + halo,
            cv2.BORDER_REPLICATE,
        )
        factor = int(np.prod(steps))
        hr = np.empty((h * factor, w * factor, 3), np.uint8)
        ch, cw, lo = th * factor, tw * factor, halo * factor
        tiles = [(i, j) for i in range(ny) for j in range(nx)]
        per_tile = (th + 2 * halo) * (tw + 2 * halo) * factor * factor
        spans = batches(len(tiles), BATCH_PIXELS // per_tile)
        size = spans[0][1] - spans[0][0]
        for start, stop in spans:
            part = tiles[start:stop]
            part += part[-1:] * (size - len(part))  # the last batch padded: one input shape
            batch = np.stack(
                [
                    padded[i * th : (i + 1) * th + 2 * halo, j * tw : (j + 1) * tw + 2 * halo]
                    for i, j in part
                ]
            )
            for scale in steps:
                batch = self.engines[scale].run_pixels(batch)
            for k, (i, j) in enumerate(part[: stop - start]):
                y, x = i * ch, j * cw
                oh, ow = min(ch, h * factor - y), min(cw, w * factor - x)
                # the tile's centre, RGB -> BGR, written straight into its place
                cv2.cvtColor(
                    batch[k, lo : lo + oh, lo : lo + ow],
                    cv2.COLOR_RGB2BGR,
                    dst=hr[y : y + oh, x : x + ow],
                )
            del batch
        if factor != block:
            hr = cv2.resize(hr, (w * block, h * block), interpolation=cv2.INTER_LANCZOS4)
        return hr

    def close(self) -> None:
        """Release the engines."""
        for engine in self.engines.values():
            engine.close()

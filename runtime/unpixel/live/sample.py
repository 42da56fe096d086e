"""The default live source: a clip made from the bundled photos, with camera-like motion.

Three scenes, each a third of the clip, seen through a slowly panning and zooming camera with
a little hand shake (deterministic for a seed):

1. a clean photo (the loop must leave it untouched);
2. the same scene pixelated over the whole frame, as low-resolution video shown with a
   nearest-neighbour upscale (block 8);
3. another photo with a censored (pixelated) rectangle that follows the content (block 10).

Nothing is stored: frames are made on the fly from the photos shipped in ``unpixel/data``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from unpixel.degrade import pixelate
from unpixel.limits import MAX_PIXELS
from unpixel.live.sources import Source

WHOLE_BLOCK = 8
REGION_BLOCK = 10


@dataclass(frozen=True)
class Truth:
    """What the sample frame really holds: a mosaic block (None when clean) and its region."""

    block: int | None
    region: tuple[int, int, int, int] | None = None


class SampleClip:
    """Frames of the sample clip by index (BGR uint8, ``size`` = (width, height))."""

    def __init__(self, frames: int = 90, size: tuple[int, int] = (640, 480), seed: int = 0) -> None:
        from unpixel.demo import sample_image

        if frames < 3:
            raise ValueError(f"the sample clip needs at least 3 frames, got {frames}")
        w, h = size
        if w < 64 or h < 64:
            raise ValueError(f"the sample clip is at least 64x64, got {w}x{h}")
        if w * h > MAX_PIXELS:  # frames are made at this size: 100000x100000 is 30 GB
            raise ValueError(f"the sample clip is at most {MAX_PIXELS} pixels, got {w}x{h}")
        self.frames, self.size = frames, (int(w), int(h))
        self.photos = (sample_image("astronaut.jpg"), sample_image("coffee.jpg"))
        rng = np.random.default_rng(seed)
        self._shake = rng.normal(0.0, 1.2, size=(frames, 2))

    def scene(self, i: int) -> int:
        """Which scene (0, 1, 2) frame ``i`` belongs to."""
        return min(2, 3 * i // self.frames)

    def _view(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The camera's view of the scene's photo and its 2x3 photo-to-frame affine matrix."""
        photo = self.photos[1 if self.scene(i) == 2 else 0]
        w, h = self.size
        ph, pw = photo.shape[:2]
        t = i / max(1, self.frames - 1)
        # Cover the frame with margin to pan, zooming in slowly (1.0 -> 1.15) as it goes.
        zoom = max(w / pw, h / ph) * 1.25 * (1.0 + 0.15 * t)
        angle = 1.5 * math.sin(2 * math.pi * t)
        cx = pw / 2 + 0.12 * pw * math.sin(2 * math.pi * t)
        cy = 0.42 * ph + 0.08 * ph * math.cos(2 * math.pi * t)
        m = cv2.getRotationMatrix2D((cx, cy), angle, zoom)
        m[:, 2] += (w / 2 - cx + self._shake[i, 0], h / 2 - cy + self._shake[i, 1])
        view = cv2.warpAffine(
            photo, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
        )
        return view, m

    def truth(self, i: int) -> Truth:
        """The mosaic frame ``i`` carries."""
        scene = self.scene(i)
        if scene == 0:
            return Truth(None)
        if scene == 1:
            return Truth(WHOLE_BLOCK)
        return Truth(REGION_BLOCK, self._region(i))

    def _region(self, i: int) -> tuple[int, int, int, int]:
        """A rectangle around the photo's centre-left, moved with the camera."""
        w, h = self.size
        photo = self.photos[1]
        _, m = self._view(i)
        px, py = photo.shape[1] * 0.42, photo.shape[0] * 0.45
        x, y = m @ np.array([px, py, 1.0])
        rw, rh = max(40, w // 3), max(40, h // 3)
        x0 = int(np.clip(round(x - rw / 2), 0, w - rw))
        y0 = int(np.clip(round(y - rh / 2), 0, h - rh))
        return x0, y0, rw, rh

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (0 <= i < frames)."""
        if not 0 <= i < self.frames:
            raise IndexError(f"frame {i} outside 0..{self.frames - 1}")
        view, _ = self._view(i)
        truth = self.truth(i)
        if truth.block is None:
            return view
        return pixelate(view, truth.block, phase=(3, 5), region=truth.region)


class SampleSource(Source):
    """The sample clip as a source: every frame in order, at a nominal 30 FPS."""

    name = "sample"

    def __init__(
        self, frames: int = 90, size: tuple[int, int] = (640, 480), seed: int = 0, fps: float = 30.0
    ) -> None:
        super().__init__()
        self.clip = SampleClip(frames, size, seed)
        self.fps = float(fps)
        self.frames = frames
        self._i = 0

    def _read_image(self) -> np.ndarray | None:
        if self._i >= self.clip.frames:
            return None
        self._i += 1
        return self.clip.frame(self._i - 1)

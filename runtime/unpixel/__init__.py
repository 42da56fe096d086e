"""unpixel: find pixelation in images and camera frames and remove it, on edge hardware.

The flat namespace most code needs::

    import unpixel as up

    mosaic = up.pixelate(image, 8, phase=(3, 5))
    grid = up.estimate_grid(mosaic)          # Grid(block=8, phase=(3, 5), confidence=...)

    with up.Pipeline.create() as pipe:       # shipped int8 LiteRT models, 2 threads
        result = pipe.process(frame)         # result.image, result.detection, result.timings

Heavy parts (interpreters, video) are imported lazily; TensorFlow never is.
"""

from __future__ import annotations

import os

from unpixel.image import MAX_PIXELS  # numpy only: cv2 is not loaded yet

# OpenCV reads its decode limit when it loads: set it to unpixel's MAX_PIXELS unless the user
# chose one, so that no image file can make it allocate more.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))

from unpixel import metrics
from unpixel.degrade import blur_upscale, jpeg, pixelate
from unpixel.errors import (
    MissingExtraError,
    ModelError,
    SinkError,
    SourceError,
    UnpixelError,
)
from unpixel.grid import Grid, estimate_grid
from unpixel.io import read_image, write_image
from unpixel.options import PipelineOptions, RunningMode
from unpixel.pipeline import Pipeline
from unpixel.results import Detection, Region, Result

__version__ = "0.1.0"

__all__ = [
    "Detection",
    "Grid",
    "MissingExtraError",
    "ModelError",
    "Pipeline",
    "PipelineOptions",
    "Region",
    "Result",
    "RunningMode",
    "SinkError",
    "SourceError",
    "UnpixelError",
    "__version__",
    "blur_upscale",
    "estimate_grid",
    "jpeg",
    "metrics",
    "pixelate",
    "read_image",
    "write_image",
]

"""unpixel: find pixelation in images and camera frames and remove it, on edge hardware.

The flat namespace most code needs::

    import unpixel as up

    mosaic = up.pixelate(image, 8, phase=(3, 5))
    grid = up.estimate_grid(mosaic)          # Grid(block=8, phase=(3, 5), confidence=...)

    with up.Pipeline.create() as pipe:       # shipped int8 LiteRT models, 2 threads
        result = pipe.process(frame)         # result.image, result.detection, result.timings

Heavy parts (interpreters, video) are imported lazily; TensorFlow never is.

Importing unpixel sets ``OPENCV_IO_MAX_IMAGE_PIXELS`` to :data:`MAX_PIXELS` (8192 x 8192)
before cv2 loads, unless it holds a valid value already; an invalid value (one OpenCV cannot
parse, such as ``abc``, or 0) is treated as unset and replaced, so it cannot abort the import.
"""

from __future__ import annotations

# First, before anything loads cv2: OpenCV reads its decode limit (OPENCV_IO_MAX_IMAGE_PIXELS)
# once, when its library loads. unpixel.limits sets it to unpixel's MAX_PIXELS unless the user
# chose a valid value; an invalid one (e.g. "abc", which makes OpenCV abort the process) is
# treated as unset and replaced. unpixel.limits imports no cv2.
from unpixel.limits import MAX_PIXELS as MAX_PIXELS

# isort: split

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
from unpixel.period import estimate_period
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
    "estimate_period",
    "jpeg",
    "metrics",
    "pixelate",
    "read_image",
    "write_image",
]

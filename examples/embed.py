"""Embed the unpixel runtime: one frame in, the cleaned frame and what was found out.

Usage: python examples/embed.py [IMAGE]   (default: a bundled photo, pixelated here)
"""

import sys

import unpixel as up
from unpixel.demo import sample_image

if len(sys.argv) > 1:
    frame = up.read_image(sys.argv[1])
else:  # a censored rectangle, 8 px blocks, in the bundled astronaut photo
    frame = up.pixelate(sample_image(), 8, phase=(3, 5), region=(100, 80, 240, 200))

options = up.PipelineOptions(backend="litert", precision="int8", num_threads=2)
with up.Pipeline.create(options) as pipe:
    result = pipe.process(frame)  # frame: HxWx3 uint8 BGR

det = result.detection
print(f"pixelated: {det.pixelated}  score: {det.score:.3f}  grid: {det.grid}")
print(f"restored pixels: {int(det.mask.sum())} of {det.mask.size}")
print("timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()))
up.write_image("restored.png", result.image)

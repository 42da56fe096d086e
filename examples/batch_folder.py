"""Restore every image of a folder into another folder (same file names).

Usage: python examples/batch_folder.py INPUT_FOLDER OUTPUT_FOLDER
(The CLI does the same, videos included: unpixel restore INPUT_FOLDER -o OUTPUT_FOLDER)
"""

import sys
from pathlib import Path

import unpixel as up
from unpixel.io import list_images

src, dest = Path(sys.argv[1]), Path(sys.argv[2])
with up.Pipeline.create() as pipe:  # shipped int8 LiteRT models, 2 threads
    for path in list_images(src):
        try:
            result = pipe.process(up.read_image(path))
        except (up.UnpixelError, ValueError) as exc:  # unreadable or too small: go on
            print(f"{path.name}: skipped ({exc})")
            continue
        up.write_image(dest / path.name, result.image)
        grid = result.detection.grid
        print(f"{path.name}: " + (f"restored, block {grid.block}" if grid else "clean, copied"))

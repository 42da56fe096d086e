"""Experiment (issue 18, cells under compression): a per-cell tolerance that grows with the
steps to the neighbouring cells, tried on JPEG'd Pillow mosaics of scikit-image photos.

Not shipped. ``mosaic_cells`` compares each cell's mean absolute deviation with one tolerance
per region; JPEG ringing grows with the step to the next cell, so busy mosaic cells fail it.
Here the deviation is divided by ``1 + K * step / 4`` (step: the largest luma difference of
the cell mean to its 4 neighbours) by replacing ``unpixel.cells.cell_deviation`` in this
process only. Prints, per JPEG quality and block: the share of a whole-frame mosaic the mask
covers (0 where the grid is wrong or missing); then censored boxes (b = 6..16, JPEG q85): the
mask's share of the box and how many images had pixels changed more than one cell outside it.

    .venv/bin/python scripts/experiment_cells_jpeg.py K CAP      (K 0, CAP 4: shipped)
"""

import io
import sys

import numpy as np
import skimage.data as sd
from PIL import Image

import unpixel as up
from unpixel import cells

imgs = [sd.astronaut(), sd.coffee(), sd.chelsea(), sd.rocket(), sd.immunohistochemistry()]


def jpeg(bgr, q):
    buf = io.BytesIO()
    Image.fromarray(bgr[:, :, ::-1]).save(buf, "JPEG", quality=q)
    buf.seek(0)
    return np.array(Image.open(buf))[:, :, ::-1].copy()


def mosaic(rgb, b):
    im = Image.fromarray(rgb)
    w, h = im.size
    return np.array(
        im.resize((w // b, h // b), Image.BOX).resize((w // b * b, h // b * b), Image.NEAREST)
    )[:, :, ::-1].copy()


orig_dev = cells.cell_deviation
K = float(sys.argv[1])
CAP = float(sys.argv[2])


def steps(area, block, phase, means):
    m = (
        (means if means is not None else cells.cell_means(area, block, phase))
        .astype(np.float32)
        .mean(axis=2)
    )
    p = np.pad(m, 1, mode="edge")
    return np.max(
        np.abs(np.stack([p[1:-1, 2:] - m, p[1:-1, :-2] - m, p[2:, 1:-1] - m, p[:-2, 1:-1] - m])),
        axis=0,
    )


if K > 0 or CAP != 4.0:
    cells.MOSAIC_TOL = CAP

    def dev(area, block, phase, means=None):
        d = orig_dev(area, block, phase, means)
        return d / (1.0 + K * steps(area, block, phase, means) / 4.0)

    cells.cell_deviation = dev
cov = {}
touched = []
boxcov = []
with up.Pipeline.create() as p:
    for q in (50, 75, 90):
        for b in (4, 8, 16):
            c = []
            for rgb in imgs:
                d = p.detect(jpeg(mosaic(rgb, b), q))
                c.append(d.mask.mean() if d.grid and d.grid.block == b else 0)
            cov[(q, b)] = np.mean(c)
    rng = np.random.default_rng(0)
    for rgb in imgs:
        bgr = rgb[:, :, ::-1].copy()
        H, W = bgr.shape[:2]
        for _ in range(3):
            b = int(rng.integers(6, 17))
            w = int(W * rng.uniform(0.3, 0.6))
            h = int(H * rng.uniform(0.3, 0.6))
            x = int(rng.integers(0, W - w))
            y = int(rng.integers(0, H - h))
            m = jpeg(up.pixelate(bgr, b, region=(x, y, w, h)), 85)
            r = p.process(m)
            changed = (r.image != m).any(axis=2)
            out = np.ones((H, W), bool)
            out[max(0, y - b) : y + h + b, max(0, x - b) : x + w + b] = False
            touched.append(int(changed[out].sum()))
            boxcov.append(r.detection.mask[y : y + h, x : x + w].mean())
print(
    f"K={K} CAP={CAP}",
    " ".join(f"q{q}b{b}:{v:.2f}" for (q, b), v in cov.items()),
    f"| box cov {np.mean(boxcov):.2f} touched>0 {sum(t > 0 for t in touched)}/{len(touched)} max {max(touched)}",
)

"""Image-level detection of the runtime pipeline on the corpus splits (clean, JPEG, mosaics).

Run: .venv/bin/python scripts/pipeline_image_fpr.py  (needs data/corpus.json and the export extra)
"""

from pathlib import Path

import unpixel as up
from unpixel_export.corpus import load_manifest
from unpixel_export.data import PhotoBank
from unpixel_export.detect_eval import image_cases

for split in ("train", "validation"):
    bank = PhotoBank.from_paths(
        [Path(e.path) for e in load_manifest(Path("data/corpus.json"), split)]
    )
    for prec in ("int8", "fp32"):
        with up.Pipeline.create(up.PipelineOptions(precision=prec)) as p:
            fp = n = tp = pos = 0
            for name, items in image_cases(bank.full_scale(), 1).items():
                hits = [p.detect(im).pixelated for im, t in items]
                truth = items[0][1]
                if truth:
                    tp += sum(hits)
                    pos += len(hits)
                else:
                    fp += sum(hits)
                    n += len(hits)
                print(split, prec, name, sum(hits), len(hits), flush=True)
            print(split, prec, "FPR %d/%d recall %d/%d" % (fp, n, tp, pos), flush=True)

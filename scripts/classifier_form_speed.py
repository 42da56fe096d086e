"""The shipped classifier exported as trained vs in its s2d-first form: LiteRT invoke time.

Both are converted here from models/classifier.keras (fp32, and int8 calibrated on the same
tiles), then timed on the 240 tiles of a 1280x720 frame, interleaved, 2 threads, medians.
Prints the max abs difference of the two Keras graphs too (the form computes the same function).

Run: .venv/bin/python scripts/classifier_form_speed.py   (needs the export extra)
"""

import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

import unpixel as up
from unpixel.demo import sample_image
from unpixel.tiles import cut_tiles
from unpixel_export.classifier_form import s2d_first_form
from unpixel_export.keras2tflite import keras2tflite
from unpixel_export.keras_infer import load_keras

ROUNDS, THREADS = 15, 2
model = load_keras("models/classifier.keras")
form = s2d_first_form(model)
photo = sample_image("astronaut.jpg")[:, :, ::-1]
tiles = np.concatenate([cut_tiles(photo, 64), cut_tiles(up.pixelate(photo, 4, phase=(1, 3)), 64)])
x = tiles.astype(np.float32) / 255.0
diff = np.abs(model.predict(x, verbose=0) - form.predict(x, verbose=0)).max()
print(f"Keras graphs, {len(x)} tiles: max abs difference {diff:.1e}")


def representative():
    return (t[None] for t in x[::2])


frame = np.resize(tiles, (240, 64, 64, 3))  # the 240 tiles of a 1280x720 frame
for precision in ("fp32", "int8"):
    interpreters = {}
    for name, graph in (("as trained", model), ("s2d-first form", form)):
        blob = keras2tflite(graph, precision, representative if precision == "int8" else None)
        it = Interpreter(model_content=blob, num_threads=THREADS)
        index = it.get_input_details()[0]["index"]
        it.resize_tensor_input(index, list(frame.shape))
        it.allocate_tensors()
        # int8 I/O: a pixel's code is the pixel with its sign bit flipped (scale 1/255)
        data = (frame ^ np.uint8(0x80)).view(np.int8) if precision == "int8" else frame / 255.0
        data = data if precision == "int8" else data.astype(np.float32)
        it.set_tensor(index, data)
        it.invoke()
        interpreters[name] = it
    times = {name: [] for name in interpreters}
    for _ in range(ROUNDS):
        for name, it in interpreters.items():
            t0 = time.perf_counter()
            it.invoke()
            times[name].append((time.perf_counter() - t0) * 1e3)
    ms = {name: float(np.median(t)) for name, t in times.items()}
    a, b = ms["as trained"], ms["s2d-first form"]
    print(
        f"{precision}: as trained {a:.1f} ms, s2d-first form {b:.1f} ms ({a / b:.2f}x), "
        f"240 tiles, {THREADS} threads, median of {ROUNDS}"
    )

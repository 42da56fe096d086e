"""Benchmarks: model latency and memory, pipeline FPS, baselines and the machine's roof.

``unpixel bench`` runs them (see :mod:`unpixel.bench.cli_bench`); the CI latency gate in
``benchmarks/gate.py`` reuses the same measurements. Nothing here imports TensorFlow: the
Keras baseline runs in a subprocess (:mod:`unpixel_export.keras_baseline`).
"""

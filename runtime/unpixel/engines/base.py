"""The engine interface: one model file, uint8 RGB pixels in, float32 out.

An engine hides its backend's dtype and quantisation: :meth:`Engine.run` takes pixels as
uint8 RGB (N, H, W, 3) and returns the model's output as float32, dequantised. An
:class:`InvokeTimer` set as :attr:`Engine.timer` adds up the time spent in the backend call
(benchmarks use it to split a frame's time into model time and everything else).
"""

from __future__ import annotations

import threading
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from unpixel.errors import ModelError

PIXEL_SCALE = 1.0 / 255.0
"""The models' input normalisation: RGB float = uint8 / 255."""


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: shape (-1 where dynamic), dtype and quantisation."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float = 0.0  # 0.0: not quantised
    zero_point: int = 0

    @property
    def quantised(self) -> bool:
        """True for an integer tensor with a scale."""
        return self.scale > 0.0 and np.issubdtype(self.dtype, np.integer)

    def to_dict(self) -> dict[str, object]:
        """JSON form, as the manifest records it."""
        return {
            "name": self.name,
            "shape": list(self.shape),
            "dtype": np.dtype(self.dtype).name,
            "scale": self.scale,
            "zero_point": self.zero_point,
        }


class InvokeTimer:
    """Adds up the wall time engines spend in their backend call, and how many calls there were.

    The call is the backend's invocation only: after :meth:`Engine.quantise`, before
    :meth:`Engine.dequantise` or the output lookup table. One timer may be shared by several
    engines (set it as each one's :attr:`Engine.timer`); :meth:`add` is thread-safe, so
    engines invoked from different threads may share it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = 0.0
        self._calls = 0

    def add(self, seconds: float) -> None:
        """Count one backend call that took ``seconds``."""
        with self._lock:
            self._seconds += seconds
            self._calls += 1

    @property
    def ms(self) -> float:
        """Total time of the calls counted since creation or :meth:`reset`, in milliseconds."""
        return self._seconds * 1e3

    @property
    def calls(self) -> int:
        """Number of calls counted since creation or :meth:`reset`."""
        return self._calls

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self._seconds = 0.0
            self._calls = 0


class Engine(ABC):
    """A loaded model on one backend. Use as a context manager or call :meth:`close`.

    Thread-safe: calls to :meth:`run` from several threads take turns on the model (neither
    backend allows concurrent invocations of one interpreter or session); :meth:`close`
    waits for a running call, and :meth:`run` after :meth:`close` raises ``ValueError``.

    Attributes:
        timer: None (the default: nothing is timed), or an :class:`InvokeTimer` that every
            backend call of this engine adds its time to. Set or clear it at any time; a
            call reads it once, under the engine's lock.

    """

    backend: str
    accelerator: str  # what actually runs it: "xnnpack", "cpu", "gpu", "cuda", a delegate path
    input: TensorInfo
    output: TensorInfo
    timer: InvokeTimer | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.closed = False

    @abstractmethod
    def _invoke(self, x: np.ndarray) -> np.ndarray:
        """Run on an array already in the input's dtype; return the raw output (a copy)."""

    def _release(self) -> None:  # noqa: B027 - engines without resources need not override
        """Drop the backend's resources (called once, under the lock)."""

    def _raw(self, pixels: np.ndarray) -> np.ndarray:
        """Check and quantise ``pixels``, invoke the backend (timed when :attr:`timer` is set)."""
        if pixels.dtype != np.uint8 or pixels.ndim != 4 or pixels.shape[-1] != 3:
            raise ValueError(
                f"engine input must be uint8 (N, H, W, 3), got {pixels.dtype} {pixels.shape}"
            )
        x = self.quantise(pixels)
        with self._lock:
            if self.closed:
                raise ValueError(f"this {self.backend} engine is closed")
            timer = self.timer
            if timer is None:
                return self._invoke(x)
            start = time.perf_counter()
            try:
                return self._invoke(x)
            finally:
                timer.add(time.perf_counter() - start)

    def run(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 RGB pixels (N, H, W, 3) -> the output as float32 (dequantised)."""
        return self.dequantise(self._raw(pixels))

    def run_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 RGB pixels in -> the output as uint8 pixels (for image-to-image models).

        An 8-bit quantised output (uint8 or int8) maps through a 256-entry table on its bit
        patterns (exact, no float image); one quantised as pixels is the raw bytes (uint8 at
        zero point 0) or the raw bytes with the sign bit flipped (int8 at zero point -128).
        A float output is scaled by 255, rounded and clipped.
        """
        raw = self._raw(pixels)
        info = self.output
        if info.quantised and info.dtype in (np.uint8, np.int8):
            if self._lut is None:
                codes = np.arange(256, dtype=np.uint8).view(info.dtype)
                levels = self.dequantise(codes) * np.float32(255.0)
                self._lut = np.clip(np.rint(levels), 0, 255).astype(np.uint8)
                self._shortcut = shortcut(self._lut)
            data = np.ascontiguousarray(raw).view(np.uint8)
            if self._shortcut == "identity":  # quantised as pixels (scale 1/255, zero point 0)
                return data
            if self._shortcut == "sign":  # int8 as pixels: code + 128, in place (raw is ours)
                return np.bitwise_xor(data, np.uint8(0x80), out=data)
            flat = data.reshape(-1, raw.shape[-1] * raw.shape[-2])
            return cv2.LUT(flat, self._lut).reshape(raw.shape)  # faster than lut[raw]
        out = self.dequantise(raw) * np.float32(255.0)
        return np.clip(np.rint(out, out=out), 0, 255, out=out).astype(np.uint8)

    _lut: np.ndarray | None = None
    _shortcut: str | None = None

    def quantise(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 pixels -> the model's input dtype.

        Pixels quantised as pixels (scale 1/255) pass as they are (uint8, zero point 0) or
        with the sign bit flipped (int8, zero point -128: ``p - 128`` in two's complement).
        """
        info = self.input
        if not info.quantised:
            return pixels.astype(np.float32) * np.float32(PIXEL_SCALE)
        if abs(info.scale - PIXEL_SCALE) < 1e-9:
            if info.dtype == np.uint8 and info.zero_point == 0:
                return pixels
            if info.dtype == np.int8 and info.zero_point == -128:
                return np.bitwise_xor(pixels, np.uint8(0x80)).view(np.int8)
        q = np.rint(pixels.astype(np.float32) * np.float32(PIXEL_SCALE / info.scale))
        bounds = np.iinfo(info.dtype)
        return np.clip(q + info.zero_point, bounds.min, bounds.max).astype(info.dtype)

    def dequantise(self, raw: np.ndarray) -> np.ndarray:
        """The raw output -> float32."""
        info = self.output
        if not info.quantised:
            return raw.astype(np.float32, copy=False)
        return (raw.astype(np.float32) - np.float32(info.zero_point)) * np.float32(info.scale)

    def close(self) -> None:
        """Release the backend's resources (after a running :meth:`run` returns)."""
        with self._lock:
            if not self.closed:
                self.closed = True
                self._release()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_model_file(path: Path, magic: bytes | None, offset: int = 0) -> Path:
    """Fail with :class:`ModelError` before a backend sees a missing, empty or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no model file at {path}")
    size = path.stat().st_size
    if size < 16:
        raise ModelError(f"model file {path} is truncated ({size} bytes)")
    if magic is not None:
        with path.open("rb") as f:
            head = f.read(offset + len(magic))
        if head[offset:] != magic:
            raise ModelError(f"{path} is not a {magic.decode()} model file (wrong header)")
    return path


def check_single_io(path: Path, inputs: list[object], outputs: list[object]) -> None:
    """The models here have one input and one output; anything else is a :class:`ModelError`."""
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(
            f"{path}: expected one input and one output, got {len(inputs)} and {len(outputs)}"
        )


def fallback(message: str, strict: bool) -> None:
    """An accelerator is missing: raise in strict mode, otherwise warn and go on on CPU."""
    if strict:
        raise ModelError(message)
    warnings.warn(message + "; falling back to CPU", RuntimeWarning, stacklevel=3)


def shortcut(lut: np.ndarray) -> str | None:
    """What a 256-entry output table over raw bit patterns amounts to, if anything cheaper.

    ``"identity"``: each code is its own pixel; ``"sign"``: each code is its pixel with the
    top bit flipped (int8 at zero point -128, scale 1/255); None: a real table.
    """
    codes = np.arange(256, dtype=np.uint8)
    if np.array_equal(lut, codes):
        return "identity"
    if np.array_equal(lut, codes ^ np.uint8(0x80)):
        return "sign"
    return None

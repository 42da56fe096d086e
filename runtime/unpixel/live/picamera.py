"""A Raspberry Pi camera through picamera2 (imported only when this source is opened).

picamera2 is an OS package (apt ``python3-picamera2``; a virtual environment needs
``--system-site-packages``); pip cannot install it. Formats are named after the libcamera
(DRM) fourcc, little-endian, so the byte order in memory is the reverse of the name:
``XBGR8888`` (the default main format) is ``[R, G, B, 255]`` per pixel, ``RGB888`` is
``[B, G, R]`` (already OpenCV's order). The optional lores stream is YUV420 (I420) on most
Pis; it is converted to BGR and handed to the loop with each frame for a cheaper detection.

On Raspberry Pi OS Bookworm, picamera2 imports Debian's ``simplejpeg``, built for Debian's
numpy 1.24; under the numpy 2 this runtime needs it fails with ``numpy.dtype size changed``
(or ``numpy.core.multiarray failed to import``). :func:`import_picamera2` recognises that and
says in one line what to do (docs/deploy-pi.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from unpixel.errors import SourceError
from unpixel.live.sources import Source

INSTALL_HINT = (
    "picamera2 is not installed: on Raspberry Pi OS run `sudo apt install "
    "python3-picamera2` and create the virtual environment with "
    "--system-site-packages"
)

NUMPY_ABI_HINT = (
    "picamera2 cannot be imported: a package it loads ({module}) was built for numpy 1.x "
    "and this environment has numpy {numpy} ({error}); fix: `pip install --force-reinstall "
    "--no-deps simplejpeg` in this virtual environment (see docs/deploy-pi.md)"
)

NUMPY_ABI_SIGNS = (
    "numpy.dtype size changed",
    "numpy.ndarray size changed",
    "binary incompatibility",
    "numpy.core.multiarray failed to import",
    "_ARRAY_API not found",
    "compiled using NumPy 1.x",
)
"""Words of the errors an extension built for another numpy ABI raises on import."""


def numpy_abi_mismatch(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause) is an extension module refusing this numpy's ABI."""
    while exc is not None:
        if isinstance(exc, (ValueError, ImportError, AttributeError, RuntimeError)) and any(
            sign in str(exc) for sign in NUMPY_ABI_SIGNS
        ):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _failing_module(exc: BaseException) -> str:
    """The module whose import raised ``exc``: the innermost traceback frame's package."""
    tb, name = exc.__traceback__, "simplejpeg"
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module and not module.startswith(("unpixel", "importlib")):
            name = module.partition(".")[0]
        tb = tb.tb_next
    return name


def import_picamera2() -> type:
    """Import picamera2 and return its ``Picamera2`` class.

    Returns:
        The ``picamera2.Picamera2`` class.

    Raises:
        SourceError: picamera2 is not installed (:data:`INSTALL_HINT`), or a package it
            loads was built for another numpy (:data:`NUMPY_ABI_HINT`): one line, what to do.

    """
    try:
        from picamera2 import Picamera2
    except Exception as exc:  # an extension's ABI check raises ValueError, not ImportError
        if numpy_abi_mismatch(exc):
            message = NUMPY_ABI_HINT.format(
                module=_failing_module(exc), numpy=np.__version__, error=str(exc).strip()
            )
            raise SourceError(" ".join(message.split())) from exc
        if isinstance(exc, ImportError):
            raise SourceError(INSTALL_HINT) from exc
        raise SourceError(f"picamera2 cannot be imported: {type(exc).__name__}: {exc}") from exc
    return Picamera2


def _bgr_from_rgba_bytes(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a[:, :, 2::-1])  # [R, G, B, X] -> [B, G, R]


def _bgr_from_bgra_bytes(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a[:, :, :3])


def _bgr_from_i420(a: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(a, cv2.COLOR_YUV2BGR_I420)


TO_BGR: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "XBGR8888": _bgr_from_rgba_bytes,  # bytes R, G, B, X
    "XRGB8888": _bgr_from_bgra_bytes,  # bytes B, G, R, X
    "BGR888": lambda a: np.ascontiguousarray(a[:, :, ::-1]),  # bytes R, G, B
    "RGB888": _bgr_from_bgra_bytes,  # bytes B, G, R
    "YUV420": _bgr_from_i420,
}
"""Array from ``capture_array`` in a picamera2 format -> HxWx3 BGR uint8."""


def to_bgr(array: np.ndarray, fmt: str) -> np.ndarray:
    """Convert a picamera2 array in format ``fmt`` to BGR; ValueError for other formats."""
    try:
        convert = TO_BGR[fmt]
    except KeyError:
        raise ValueError(
            f"unsupported picamera2 format {fmt!r}; use one of {', '.join(TO_BGR)}"
        ) from None
    return convert(array)


class Picamera2Source(Source):
    """Frames of a Raspberry Pi camera (picamera2 / libcamera), always live.

    Args:
        camera_num: which camera (0 for the first).
        size: main stream (width, height).
        fmt: main stream format, one of :data:`TO_BGR` (``RGB888`` needs no conversion).
        lores: (width, height) of an optional lores stream handed along for detection.
        fps: frame rate asked of the sensor.

    """

    live = True
    can_reopen = True

    def __init__(
        self,
        camera_num: int = 0,
        size: tuple[int, int] = (640, 480),
        fmt: str = "RGB888",
        lores: tuple[int, int] | None = None,
        fps: float = 30.0,
    ) -> None:
        super().__init__()
        if fmt not in TO_BGR or fmt == "YUV420":
            raise ValueError(
                f"main format must be one of XBGR8888, XRGB8888, BGR888, RGB888; got {fmt!r}"
            )
        self._camera_class = import_picamera2()  # one line naming the fix when it fails
        self.name, self.fps = f"picamera2:{camera_num}", float(fps)
        self._settings = (camera_num, tuple(size), fmt, lores, float(fps))
        self._open = False
        self._start()

    def _start(self) -> None:
        """Open, configure and start the camera with the settings given to the constructor."""
        camera_num, size, fmt, lores, fps = self._settings
        try:
            self._cam = self._camera_class(camera_num)
        except Exception as exc:  # libcamera's errors are not one class (IndexError: none there)
            raise SourceError(f"cannot open Raspberry Pi camera {camera_num}: {exc}") from exc
        streams = {"main": {"size": size, "format": fmt}}
        if lores is not None:
            streams["lores"] = {"size": tuple(lores), "format": "YUV420"}
        try:
            config = self._cam.create_video_configuration(**streams, controls={"FrameRate": fps})
            self._cam.configure(config)
            # picamera2 may adjust the configuration (alignment); read back what it chose.
            self._main_fmt = config["main"]["format"]
            self._lores_fmt = config["lores"]["format"] if lores is not None else None
            self._cam.start()
        except Exception as exc:
            self._cam.close()
            raise SourceError(f"cannot start Raspberry Pi camera {camera_num}: {exc}") from exc
        self._open = True

    def _read_image(self) -> tuple[np.ndarray, np.ndarray | None] | None:
        if not self._open:
            return None
        try:
            main = to_bgr(self._cam.capture_array("main"), self._main_fmt)
            lores = None
            if self._lores_fmt is not None:
                lores = to_bgr(self._cam.capture_array("lores"), self._lores_fmt)
        except Exception as exc:  # libcamera errors are not one class
            raise SourceError(f"lost {self.name}: {exc}") from exc
        return main, lores

    def close(self) -> None:
        """Stop and close the camera (idempotent)."""
        if getattr(self, "_open", False):
            self._open = False
            try:
                self._cam.stop()
            finally:
                self._cam.close()

    def reopen(self) -> None:
        """Stop and close the camera, then open, configure and start it again."""
        self.close()
        self._start()

"""The error hierarchy: every failure unpixel raises on purpose is an :class:`UnpixelError`.

Bad arguments raise :class:`ValueError` (or :class:`TypeError` for a wrong type), as
Python code expects; the classes here are for failures of the world outside the call:
model files, input files and devices, missing optional packages.
"""

from __future__ import annotations


class UnpixelError(Exception):
    """Base class of the errors unpixel raises on purpose."""


class ModelError(UnpixelError):
    """A model file is missing, corrupt, fails its sha256 check or does not fit the pipeline."""


class SourceError(UnpixelError):
    """An input (image, video, folder or camera) cannot be opened or read."""


class SinkError(UnpixelError):
    """An output (file, folder, display or stream) cannot be written."""


class MissingExtraError(UnpixelError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module!r} is not installed; install it with: pip install 'unpixel[{extra}]'"
        )
        self.module = module
        self.extra = extra

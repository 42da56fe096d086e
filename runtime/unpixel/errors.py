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
    """An optional dependency is not installed; the message names the extra to install.

    Raise it where the missing package is first needed (``raise MissingExtraError(...)
    from None`` in the ``except ImportError``), or before, from a check such as
    ``importlib.util.find_spec``: the CLI prints it as one line, no traceback.

    Args:
        module: the package that is missing (``keras``, ``onnxruntime``).
        extra: the extra that installs it (``export``, ``onnx``, ``bench``).
        needed_by: what needs it (``unpixel train``), for the message; None to leave it out.

    """

    def __init__(self, module: str, extra: str, needed_by: str | None = None) -> None:
        install = f"pip install 'unpixel[{extra}]'"
        if needed_by is None:
            message = f"{module!r} is not installed; install it with: {install}"
        else:
            message = (
                f"{needed_by} needs the {extra} extra ({module!r} is not installed): {install}"
            )
        super().__init__(message)
        self.module = module
        self.extra = extra
        self.needed_by = needed_by

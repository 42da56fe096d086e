#!/usr/bin/env bash
# Check the wheel on a 64-bit Raspberry Pi OS class system, by emulation (not in CI: slow).
#
# Builds a Debian arm64 root with debootstrap, runs it under qemu-user-static, installs the
# wheel built from this checkout with pip in a venv (--system-site-packages, as on a Pi, as
# user "pi"), runs `unpixel detect` and `unpixel restore` on the bundled photos (clean, and
# mosaics made from them), at int8 and fp32, and compares with this machine's outputs: same
# detections; fp32 pixels within 1 level; int8 pixels within 1 level but for at most 1% of
# values (XNNPACK's int8 kernels round differently on Arm and on x86). Then the picamera2 numpy trap: simplejpeg built for numpy 1.x in the system
# site-packages (as Debian's is; picamera2 itself is a stand-in, libcamera is not in Debian),
# the error unpixel reports, and the fix docs/deploy-pi.md gives. Prints the figures and
# writes $WORK/report.json; exit 0 when the outputs match and the fix works.
#
#   sudo apt-get install debootstrap qemu-user-static binfmt-support
#   sudo nice -n 19 scripts/check_aarch64.sh > check_aarch64.log 2>&1   # first run: ~30 min
#
# Environment: SUITE (bookworm; trixie also works with Python 3.13), WORK (/var/tmp/unpixel-
# aarch64, the root is kept there and reused), PYTHON (.venv/bin/python: the x86 reference and
# the wheel build), MIRROR (http://deb.debian.org/debian). Needs root (debootstrap, chroot),
# the Debian archive and the package index (pip in the root resolves aarch64 wheels). FRESH=1
# makes a new venv even when an earlier run left one (the first run always does).
set -euo pipefail

SUITE=${SUITE:-bookworm}
WORK=${WORK:-/var/tmp/unpixel-aarch64}
PYTHON=${PYTHON:-.venv/bin/python}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOT="$WORK/root-$SUITE"
REPO=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "check_aarch64: $*" >&2; exit 2; }
stamp() { echo "== $(date -u +%H:%M:%S) $*"; }
cd "$REPO"

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
for tool in debootstrap qemu-aarch64-static chroot; do
    command -v "$tool" >/dev/null || die "$tool missing: apt-get install debootstrap qemu-user-static binfmt-support"
done
[ -x "$PYTHON" ] || die "no $PYTHON: run 'make .venv/.all' first, or set PYTHON"
mkdir -p "$WORK"

# aarch64 programs must run by themselves (debootstrap's second stage, pip, python): that
# needs a binfmt_misc entry for qemu. Debian's entry has the F flag (the interpreter is opened
# at registration), so no qemu binary is needed inside the root.
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/status" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null \
        || die "binfmt_misc cannot be mounted here (a container without it): aarch64 programs cannot run"
fi
if ! grep -qs '^enabled' "$binfmt/qemu-aarch64"; then
    update-binfmts --enable qemu-aarch64 2>/dev/null || update-binfmts --import qemu-aarch64 \
        || die "cannot register qemu-aarch64 with binfmt_misc"
fi
grep -qs '^flags: .*F' "$binfmt/qemu-aarch64" \
    || die "the qemu-aarch64 binfmt entry lacks the F flag: use Debian's qemu-user-static"

stamp "wheel"
rm -rf "$WORK/dist" "$WORK/src"
mkdir -p "$WORK/src"  # a copy of the working tree, so the build's build/ and egg-info stay out of it
git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -C "$WORK/src" -xf -
"$PYTHON" -m build --wheel --outdir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 || {
    tail -20 "$WORK/build.log"; die "wheel build failed (log: $WORK/build.log)"; }
WHEEL=$(ls "$WORK"/dist/unpixel-*.whl)
echo "$WHEEL ($(du -k "$WHEEL" | cut -f1) KiB)"

stamp "samples and x86 outputs"
rm -rf "$WORK/samples" "$WORK/x86" "$WORK/arm64"
mkdir -p "$WORK/samples" "$WORK/x86" "$WORK/arm64"
"$PYTHON" - "$WORK/samples" <<'EOF'
import shutil
import sys
from importlib import resources
from pathlib import Path

import unpixel as up

out = Path(sys.argv[1])
for name in ("astronaut.jpg", "coffee.jpg"):
    with resources.as_file(resources.files("unpixel") / "data" / name) as src:
        shutil.copyfile(src, out / name)  # clean: must stay clean and byte-identical
image = up.read_image(out / "astronaut.jpg")
up.write_image(out / "astronaut_b8.png", up.pixelate(image, 8, phase=(3, 5)))
coffee = up.read_image(out / "coffee.jpg")
h, w = coffee.shape[:2]
box = (w // 4, h // 4, w // 2, h // 2)
up.write_image(out / "coffee_censored_b12.png", up.pixelate(coffee, 12, region=box))
EOF
UNPIXEL_X86="$(dirname "$PYTHON")/unpixel"
"$UNPIXEL_X86" detect --json "$WORK"/samples/* >"$WORK/x86/detect.json"
"$UNPIXEL_X86" restore --json -o "$WORK/x86/restored" "$WORK"/samples/* >"$WORK/x86/restore.json"
"$UNPIXEL_X86" restore --precision fp32 --json -o "$WORK/x86/restored_fp32" "$WORK"/samples/* \
    >"$WORK/x86/restore_fp32.json"

if [ ! -e "$ROOT/.unpixel-root-done" ]; then
    stamp "debootstrap arm64 $SUITE (under emulation: tens of minutes)"
    rm -rf "$ROOT"
    debootstrap --arch=arm64 --variant=minbase \
        --include=python3,python3-venv,python3-pip,ca-certificates,passwd \
        "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
        tail -20 "$WORK/debootstrap.log"; die "debootstrap failed (log: $WORK/debootstrap.log)"; }
    chroot "$ROOT" useradd -m -s /bin/bash pi
    touch "$ROOT/.unpixel-root-done"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# Behind a TLS-inspecting proxy the host's pip trusts an extra CA (pip's `cert` setting, or
# PIP_CERT): hand the same bundle to pip in the root, which only has Debian's CAs.
HOST_CERT=${PIP_CERT:-$("$PYTHON" -m pip config list 2>/dev/null | sed -n "s/^global\.cert='\(.*\)'$/\1/p")}
ROOT_CERT=
if [ -n "$HOST_CERT" ] && [ -f "$HOST_CERT" ]; then
    cp "$HOST_CERT" "$ROOT/etc/ssl/certs/host-pip-ca.crt"
    ROOT_CERT=/etc/ssl/certs/host-pip-ca.crt
fi
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
# No /sys: with the host's (x86) sysfs, XNNPACK's cpuinfo crashed under qemu; without it, it
# prints "Error in cpuinfo: failed to parse ..." three times and goes on with defaults.
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT

stamp "pip install in the arm64 root, as user pi"
rm -rf "$ROOT/home/pi/check"
mkdir -p "$ROOT/home/pi/check"
cp "$WHEEL" "$ROOT/home/pi/check/"
cp -r "$WORK/samples" "$ROOT/home/pi/check/samples"
chroot "$ROOT" chown -R pi:pi /home/pi
as_pi() { chroot --userspec=pi:pi "$ROOT" env -i HOME=/home/pi PATH=/usr/bin:/bin LANG=C.UTF-8 \
    ${ROOT_CERT:+PIP_CERT=$ROOT_CERT} bash -c "cd /home/pi && $1"; }
as_pi "uname -m; python3 --version"
START=$(date +%s)
if [ -n "${FRESH:-}" ] || [ ! -x "$ROOT/home/pi/unpixel-venv/bin/unpixel" ]; then
    as_pi "rm -rf unpixel-venv && python3 -m venv --system-site-packages unpixel-venv \
        && unpixel-venv/bin/pip install --quiet check/$(basename "$WHEEL")"
    echo "pip install into a fresh venv: $(( $(date +%s) - START )) s"
else  # the venv of an earlier run: only unpixel itself again (FRESH=1 for a new venv)
    as_pi "unpixel-venv/bin/pip install --quiet --force-reinstall --no-deps \
        check/$(basename "$WHEEL")"
    echo "pip install of the wheel into the earlier venv: $(( $(date +%s) - START )) s"
fi
as_pi "unpixel-venv/bin/pip list 2>/dev/null \
    | grep -iE '^(unpixel|numpy|opencv-python-headless|ai-edge-litert|tqdm) '"

stamp "unpixel detect / restore under emulation"
START=$(date +%s)
as_pi "unpixel-venv/bin/unpixel detect --json check/samples/*" >"$WORK/arm64/detect.json"
echo "detect: $(( $(date +%s) - START )) s"
START=$(date +%s)
as_pi "unpixel-venv/bin/unpixel restore --json -o check/restored check/samples/*" \
    >"$WORK/arm64/restore.json"
echo "restore: $(( $(date +%s) - START )) s"
as_pi "unpixel-venv/bin/unpixel restore --precision fp32 --json -o check/restored_fp32 \
    check/samples/*" >"$WORK/arm64/restore_fp32.json"
cp -r "$ROOT/home/pi/check/restored" "$ROOT/home/pi/check/restored_fp32" "$WORK/arm64/"

stamp "picamera2 numpy trap: simplejpeg for numpy 1.x in the system site-packages"
SYSTEM_SITE=/usr/lib/python3/dist-packages  # where apt puts python3-simplejpeg
rm -rf "$ROOT$SYSTEM_SITE"/simplejpeg* "$ROOT$SYSTEM_SITE"/picamera2
as_pi "unpixel-venv/bin/pip uninstall --quiet --yes simplejpeg 2>/dev/null || true"  # an earlier fix
chroot "$ROOT" env -i PATH=/usr/bin:/bin HOME=/root ${ROOT_CERT:+PIP_CERT=$ROOT_CERT} \
    /home/pi/unpixel-venv/bin/pip install --quiet \
    --no-deps --target "$SYSTEM_SITE" "simplejpeg<1.7.4"   # 1.7.3: built for numpy < 2
mkdir -p "$ROOT$SYSTEM_SITE/picamera2"
cat >"$ROOT$SYSTEM_SITE/picamera2/__init__.py" <<'PY'
"""Stand-in for Raspberry Pi OS's picamera2: it imports simplejpeg first, as the real one does."""
import simplejpeg  # noqa: F401


class Picamera2:
    def __init__(self, camera_num=0):
        raise RuntimeError("no camera attached (stand-in)")

    @staticmethod
    def global_camera_info():
        return []
PY
as_pi "unpixel-venv/bin/unpixel live --source picamera2 --max-frames 1 --output check/trap.mp4" \
    >"$WORK/arm64/trap_before.txt" 2>&1 && echo "live did not fail" >>"$WORK/arm64/trap_before.txt"
grep '^error:' "$WORK/arm64/trap_before.txt" || cat "$WORK/arm64/trap_before.txt"
as_pi "unpixel-venv/bin/pip install --quiet --force-reinstall --no-deps simplejpeg"
as_pi "unpixel-venv/bin/unpixel doctor --json" >"$WORK/arm64/doctor.json" 2>"$WORK/arm64/doctor.err" \
    || echo "doctor exit $?" >>"$WORK/arm64/doctor.err"
as_pi "unpixel-venv/bin/python -c 'import numpy, simplejpeg; print(\"simplejpeg\", simplejpeg.__version__, \"under numpy\", numpy.__version__)'" \
    | tee "$WORK/arm64/trap_after.txt"
rm -rf "$ROOT$SYSTEM_SITE"/simplejpeg* "$ROOT$SYSTEM_SITE"/picamera2

stamp "compare"
"$PYTHON" - "$WORK" <<'EOF'
import json
import sys
from pathlib import Path

import numpy as np

import unpixel as up

work = Path(sys.argv[1])
keys = ("pixelated", "block", "phase")
INT8_ABOVE_1 = 0.01  # int8: at most 1% of values more than 1 level from x86's
report = {"images": {}}
ok = True


def rows_of(arch, name):
    return {Path(r["input"]).name: r for r in json.loads((work / arch / name).read_text())}


# int8 (the default): the detections of `detect`; fp32: those `restore --precision fp32` made.
for precision, results, folder in (("int8", "detect.json", "restored"),
                                   ("fp32", "restore_fp32.json", "restored_fp32")):
    x86_rows, arm_rows = rows_of("x86", results), rows_of("arm64", results)
    ok = ok and x86_rows.keys() == arm_rows.keys()
    for name, x86 in sorted(x86_rows.items()):
        arm = arm_rows.get(name, {})
        same = all(x86[k] == arm.get(k) for k in keys)
        a = up.read_image(work / "x86" / folder / name).astype(np.int16)
        b = up.read_image(work / "arm64" / folder / name).astype(np.int16)
        diff = np.abs(a - b)
        entry = {
            "same_detection": same,
            "x86": {k: x86.get(k) for k in (*keys, "score")},
            "arm64": {k: arm.get(k) for k in (*keys, "score")},
            "max_abs_diff": int(diff.max()),
            "share_values_differ": float((diff > 0).mean()),
            "share_values_differ_above_1": float((diff > 1).mean()),
            "bytes_identical": (work / "x86" / folder / name).read_bytes()
            == (work / "arm64" / folder / name).read_bytes(),
        }
        report["images"][f"{precision}/{name}"] = entry
        if precision == "fp32":  # the same float arithmetic up to rounding: within 1 level
            ok = ok and same and entry["max_abs_diff"] <= 1
        else:  # int8 kernels round differently on Arm and x86: a few values by more than 1
            ok = ok and same and entry["share_values_differ_above_1"] <= INT8_ABOVE_1
        print(f"{precision} {name}: detection {'same' if same else 'DIFFERENT'} "
              f"({[x86.get(k) for k in keys]}, score x86 {x86.get('score')} / arm64 "
              f"{arm.get('score')}); restored: max |diff| {entry['max_abs_diff']}, "
              f"{entry['share_values_differ']:.2%} of values differ "
              f"({entry['share_values_differ_above_1']:.3%} by more than 1), "
              f"bytes identical {entry['bytes_identical']}")
trap = (work / "arm64" / "trap_before.txt").read_text()
after = (work / "arm64" / "trap_after.txt").read_text().strip()
doctor = json.loads((work / "arm64" / "doctor.json").read_text() or "{}")
report["picamera2_trap"] = {
    "error": next((x for x in trap.splitlines() if x.startswith("error:")), None),
    "after_fix": after,
    "doctor_picamera2": doctor.get("cameras", {}).get("picamera2"),
    "doctor_pipeline_ok": doctor.get("pipeline", {}).get("ok"),
}
trap_ok = "numpy.dtype size changed" in (report["picamera2_trap"]["error"] or "") and after.startswith(
    "simplejpeg") and bool(report["picamera2_trap"]["doctor_pipeline_ok"])
print("picamera2 trap:", report["picamera2_trap"]["error"])
print("after the fix:", after, "| doctor:", report["picamera2_trap"]["doctor_picamera2"])
ok = ok and trap_ok
report["pass"] = ok
(work / "report.json").write_text(json.dumps(report, indent=1) + "\n")
print("PASS" if ok else "FAIL", "->", work / "report.json")
sys.exit(0 if ok else 1)
EOF

"""Videos through PyAV (the video extra): H.264 out, audio copied, sizes and timing kept.

Every clip is made in the test with PyAV itself: H.264 video plus an AAC sine track, as a
phone or a screen recorder writes them. The outputs are read back with PyAV and OpenCV.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main

av = pytest.importorskip("av", reason="the video extra (PyAV) is not installed")

RATE = 44100


def make_clip(
    path: Path, frames: np.ndarray, fps: int = 25, audio: bool = True, lossless: bool = False
) -> Path:
    """``frames`` (N x H x W x 3 BGR) as H.264 (yuv444p when odd) plus a 440 Hz AAC track.

    ``lossless``: x264 at QP 0 in 4:4:4, so that the mosaic reaches the pipeline exact.
    """
    n, h, w = frames.shape[:3]
    out = av.open(str(path), "w")
    video = out.add_stream("libx264", rate=fps)
    video.width, video.height = w, h
    video.pix_fmt = "yuv444p" if (w % 2 or h % 2 or lossless) else "yuv420p"
    if lossless:
        video.options = {"qp": "0"}
    sound = out.add_stream("aac", rate=RATE) if audio else None
    if sound is not None:
        sound.layout = "mono"
    for i, frame in enumerate(frames):
        picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
        picture.pts = i
        for packet in video.encode(picture):
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    if sound is not None:
        samples = int(RATE * n / fps)
        wave = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / RATE)).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = av.AudioFrame.from_ndarray(wave[None, start : start + 1024], format="flt")
            chunk.sample_rate, chunk.pts = RATE, start
            for packet in sound.encode(chunk):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
    out.close()
    return path


def pan(astronaut: np.ndarray, n: int, w: int, h: int, block: int = 8) -> np.ndarray:
    """A camera pan over a pixelated photo."""
    mosaic = up.pixelate(astronaut, block)
    return np.stack(
        [np.ascontiguousarray(mosaic[i * 2 : i * 2 + h, i * 3 : i * 3 + w]) for i in range(n)]
    )


def probe(path: Path) -> dict:
    """What the container holds: codecs, frame count, size, duration, audio packets."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        info = {
            "video": v.codec_context.name,
            "size": (v.codec_context.width, v.codec_context.height),
            "duration": float(c.duration / 1e6),
            "audio": [a.codec_context.name for a in c.streams.audio],
        }
        info["frames"] = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        info["audio_packets"] = (
            [bytes(p) for p in c.demux(audio=0) if p.size] if info["audio"] else []
        )
    return info


@pytest.fixture
def clip(tmp_path, astronaut) -> Path:
    return make_clip(tmp_path / "in.mp4", pan(astronaut, 20, 160, 128))


def test_restore_keeps_h264_audio_frames_size_and_duration(tmp_path, clip, capsys):
    out = tmp_path / "out.mp4"
    assert main(["restore", str(clip), "-o", str(out), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    before, after = probe(clip), probe(out)
    assert after["video"] == "h264" and after["audio"] == ["aac"]
    assert after["frames"] == before["frames"] == row["frames"] == 20
    assert after["size"] == before["size"] == (160, 128)
    assert after["duration"] == pytest.approx(before["duration"], abs=0.001)
    assert after["audio_packets"] == before["audio_packets"]  # copied, not re-encoded
    assert row["block"] == 8


def test_restored_frames_are_better_than_the_mosaic(tmp_path, astronaut):
    clip = make_clip(tmp_path / "in.mp4", pan(astronaut, 20, 160, 128), lossless=True)
    out = tmp_path / "out.mp4"
    assert main(["restore", str(clip), "-o", str(out)]) == 0
    from unpixel.video_av import AvReader

    truth = [astronaut[i * 2 : i * 2 + 128, i * 3 : i * 3 + 160] for i in range(20)]
    before, after = AvReader(clip), AvReader(out)
    gain = [
        up.metrics.psnr(t, b) - up.metrics.psnr(t, a)
        for t, a, b in zip(truth, before, after, strict=True)
    ]
    assert np.median(gain) > 1
    assert after.times == pytest.approx(before.times)


def test_odd_size_kept_with_h264(tmp_path, astronaut):
    clip = make_clip(tmp_path / "odd.mp4", pan(astronaut, 6, 161, 121))
    out = tmp_path / "out.mp4"
    assert main(["restore", str(clip), "-o", str(out)]) == 0
    info = probe(out)
    assert info["size"] == (161, 121) and info["frames"] == 6 and info["video"] == "h264"
    import cv2  # the fallback reader plays it at its size too

    cap = cv2.VideoCapture(str(out))
    assert cap.read()[1].shape == (121, 161, 3)


@pytest.mark.parametrize(
    ("codec", "suffix", "name"), [("mp4v", ".mp4", "mpeg4"), ("ffv1", ".mkv", "ffv1")]
)
def test_codec_flag(tmp_path, clip, codec, suffix, name):
    out = tmp_path / f"out{suffix}"
    assert main(["restore", str(clip), "-o", str(out), "--codec", codec]) == 0
    info = probe(out)
    assert info["video"] == name and info["frames"] == 20 and info["audio"] == ["aac"]


def test_audio_a_container_cannot_hold_is_named(tmp_path, clip, capsys):
    out = tmp_path / "out.webm"
    assert main(["restore", str(clip), "-o", str(out)]) == 0
    assert "audio not carried over" in capsys.readouterr().err
    info = probe(out)
    assert info["video"] == "vp9" and info["audio"] == [] and info["frames"] == 20


def test_a_fine_time_base_is_kept_for_mpeg4(tmp_path):
    from unpixel.video_av import AvWriter

    path = tmp_path / "v.mp4"
    with AvWriter(path, 30, codec="mp4v", time_base=Fraction(1, 90000)) as writer:
        for i in range(5):
            writer.write(np.full((64, 96, 3), i * 40, np.uint8), i * 3000)
    with av.open(str(path)) as c:
        times = [float(f.time) for f in c.decode(video=0)]
    assert times == pytest.approx([i / 30 for i in range(5)], abs=1e-4)


def test_detect_reports_segments(tmp_path, astronaut, capsys):
    clean = np.stack(
        [np.ascontiguousarray(astronaut[:128, i * 3 : i * 3 + 160]) for i in range(10)]
    )
    frames = np.concatenate([clean, pan(astronaut, 10, 160, 128)])
    clip = make_clip(tmp_path / "two.mp4", frames, audio=False)
    assert main(["detect", str(clip), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["frames"] == 20 and row["pixelated"] and row["block"] == 8
    segs = row["segments"]
    assert segs[0]["block"] is None and segs[0]["first_frame"] == 0
    assert segs[-1]["block"] == 8 and segs[-1]["last_frame"] == 19
    assert segs[-1]["pixelated_frames"] >= 0.8 and 9 <= segs[-1]["first_frame"] <= 11


def test_without_pyav_opencv_writes_and_codec_names_the_extra(tmp_path, clip, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "av", None)  # import av now fails, as without the extra
    monkeypatch.setattr("unpixel.video_av.have_av", lambda: False)
    out = tmp_path / "out.mp4"
    assert main(["restore", str(clip), "-o", str(out)]) == 0
    assert "audio is not carried over" in capsys.readouterr().err
    monkeypatch.undo()
    assert probe(out)["video"] == "mpeg4" and probe(out)["audio"] == []
    monkeypatch.setitem(sys.modules, "av", None)
    monkeypatch.setattr("unpixel.video_av.have_av", lambda: False)
    assert main(["restore", str(clip), "-o", str(tmp_path / "o2.mp4"), "--codec", "h264"]) == 1
    assert "unpixel[video]" in capsys.readouterr().err


def test_missing_pyav_is_a_missing_extra(monkeypatch):
    from unpixel.video_av import load_av

    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(up.MissingExtraError, match=r"video extra"):
        load_av()


def test_avi_output_is_written_at_the_frame_rate(tmp_path, clip):
    out = tmp_path / "out.avi"  # AVI keeps no timestamps: frames 1/fps apart, none added
    assert main(["restore", str(clip), "-o", str(out)]) == 0
    info = probe(out)
    assert info["frames"] == 20 and info["video"] == "h264" and info["audio"] == ["aac"]
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == 25 and c.streams.video[0].frames == 20


@pytest.mark.parametrize("codec", ["h264", "mp4v", "ffv1", "vp9"])
def test_every_codec_keeps_an_odd_size(tmp_path, codec):
    from unpixel.video_av import AvReader, AvWriter

    path = tmp_path / ("v.webm" if codec == "vp9" else "v.mkv")
    with AvWriter(path, 25, codec=codec) as writer:
        for i in range(3):
            writer.write(np.full((121, 161, 3), 40 * i, np.uint8))
    frames = list(AvReader(path))
    assert len(frames) == 3 and frames[0].shape == (121, 161, 3)


def test_a_10bit_video_is_said_to_become_8bit(tmp_path, astronaut, capsys):
    path = tmp_path / "deep.mkv"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 160, 128, "yuv420p10le"
        for i, frame in enumerate(pan(astronaut, 3, 160, 128)):
            picture = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(
                format="yuv420p10le"
            )
            picture.pts = i
            for packet in video.encode(picture):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    assert main(["restore", str(path), "-o", str(tmp_path / "out.mkv")]) == 0
    assert "10-bit samples; written as 8-bit" in capsys.readouterr().err
    assert probe(tmp_path / "out.mkv")["frames"] == 3

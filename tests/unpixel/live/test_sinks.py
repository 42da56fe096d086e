import numpy as np
import pytest

from unpixel.errors import SinkError
from unpixel.live.processors import clean_detection
from unpixel.live.sinks import (
    BeforeAfterSink,
    CallbackSink,
    DisplaySink,
    FolderSink,
    Packet,
    VideoFileSink,
    gui_available,
)
from unpixel.live.sources import Frame
from unpixel.live.views import overlay, side_by_side
from unpixel.results import Result


def packet(image, index=0, ts=None, share=0.0):
    det = clean_detection(image.shape)
    det.mask[: int(share * image.shape[0])] = True
    frame = Frame(image, index * 40 if ts is None else ts, index, 0.0)
    return Packet(frame, Result(image, det, {"total": 1.0}), image)


def test_video_is_atomic_and_holds_every_frame(tmp_path, h):
    path = tmp_path / "out" / "clean.mp4"
    sink = VideoFileSink(path, fps=25)
    for i in range(7):
        sink.write(packet(h.numbered(i), i))
    assert not path.exists()  # only a temporary file until closed
    sink.close()
    sink.close()  # idempotent
    frames = h.read_video(path)
    assert len(frames) == 7 and sink.count == 7
    assert [h.frame_number(f) for f in frames] == list(range(7))
    assert not list(path.parent.glob(".*"))


def test_live_video_rate_is_measured_from_capture_times(tmp_path, h):
    import cv2

    path = tmp_path / "live.avi"
    sink = VideoFileSink(path, fps=None, probe=5)
    for i in range(8):
        sink.write(packet(h.numbered(i), i, ts=i * 100))  # 10 FPS seen
    sink.close()
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10, abs=0.5)
    cap.release()
    assert len(h.read_video(path)) == 8


def test_video_with_no_frames_leaves_nothing(tmp_path):
    sink = VideoFileSink(tmp_path / "none.mp4")
    with pytest.raises(SinkError, match="no frames"):
        sink.close()
    assert not list(tmp_path.iterdir())
    sink2 = VideoFileSink(tmp_path / "aborted.mp4")
    sink2.abort()
    assert not list(tmp_path.iterdir())


def test_video_name_must_be_a_video(tmp_path):
    with pytest.raises(ValueError, match="video file"):
        VideoFileSink(tmp_path / "x.txt")


def test_folder_sink_writes_each_frame(tmp_path, h):
    sink = FolderSink(tmp_path / "frames", ".png")
    for i in (0, 1, 2):
        sink.write(packet(h.numbered(i), i))
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == ["frame_000000.png", "frame_000001.png", "frame_000002.png"]


def test_before_after_keeps_the_most_pixelated_frame(tmp_path, h):
    import cv2

    path = tmp_path / "ba.png"
    sink = BeforeAfterSink(path)
    for i, share in enumerate((0.1, 0.6, 0.3)):
        sink.write(packet(h.numbered(i), i, share=share))
    sink.close()
    image = cv2.imread(str(path))
    assert image.shape == (64, 96 * 2 + 4, 3)
    assert h.frame_number(image[:, :96]) == 1


def test_before_after_without_frames_writes_nothing(tmp_path):
    BeforeAfterSink(tmp_path / "ba.png").close()
    assert not (tmp_path / "ba.png").exists()


def test_callback_sink(h):
    got = []
    CallbackSink(lambda p: got.append(p.frame.index)).write(packet(h.numbered(0), 4))
    assert got == [4]


def test_display_without_gui_is_a_clear_error():
    if gui_available():
        pytest.skip("this machine has a GUI")
    with pytest.raises(SinkError, match="--serve"):
        DisplaySink()


def test_views(h):
    before, after = h.numbered(0), h.numbered(5)
    view = side_by_side(before, after, labels=False)
    assert view.shape == (64, 196, 3)
    assert np.array_equal(view[:, :96], before) and np.array_equal(view[:, 100:], after)
    marked = overlay(after.copy(), 29.7, 41.0, 0.25, dropped=3)
    assert (marked != after).any() and np.array_equal(marked[40:], after[40:])


def test_sinks_refuse_views_that_are_no_image(tmp_path):
    image = np.zeros((32, 48, 3), np.uint8)
    bad = [
        (image.astype(np.float64), ValueError),
        (image.astype(np.uint16), ValueError),
        (np.zeros((32, 48, 2), np.uint8), ValueError),
        ("frame", TypeError),
    ]
    sinks = [VideoFileSink(tmp_path / "v.avi", fps=25), FolderSink(tmp_path / "frames")]
    for sink in sinks:
        for view, error in bad:
            p = packet(image)
            with pytest.raises(error, match="view"):
                sink.write(Packet(p.frame, p.result, view))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="HxWx3"):
        sinks[0].write(Packet(p.frame, p.result, image[..., 0]))
    sinks[0].abort()
    assert list(tmp_path.glob(".*")) == [] and list((tmp_path / "frames").iterdir()) == []


@pytest.mark.parametrize("probe, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError)])
def test_video_sink_probe_must_be_a_positive_integer(tmp_path, probe, error):
    with pytest.raises(error, match="probe"):
        VideoFileSink(tmp_path / "v.avi", fps=None, probe=probe)

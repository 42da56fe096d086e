"""Clean a camera feed in real time: watch it in a browser, record it; Ctrl-C stops cleanly.

Usage: python examples/camera_loop.py [SOURCE] [PORT] [MAX_FRAMES]
SOURCE: sample (default), picamera2, 0, /dev/video0, rtsp://..., a video file.
"""

import sys

from unpixel import live

spec, port, most = (sys.argv[1:] + ["sample", "8080", "0"][len(sys.argv) - 1 :])[:3]
source = live.open_source(spec)
if not source.live:  # play files and the sample like a camera: real time, dropping if slow
    source = live.PacedSource(source)
stream = live.MjpegSink("127.0.0.1", int(port))  # loopback only; other hosts need token=...
sinks = [stream, live.VideoFileSink("camera_loop.mp4", fps=None)]  # fps None: the measured rate
options = live.LiveOptions(overlay=True, max_frames=int(most) or None)
with live.PipelineProcessor.create() as processor:  # shipped int8 models, VIDEO mode
    print(f"watch {stream.url}", flush=True)
    stats = live.LiveLoop(source, processor, sinks, options).run()
source.close()
s = stats.to_dict()
print(
    f"{s['frames']} frames, {s['fps']} FPS, dropped {s['dropped']}, "
    f"latency p95 {s['latency_ms']['p95']} ms -> camera_loop.mp4"
)

"""The MJPEG endpoint, fetched over loopback."""

import http.client
import threading
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from unpixel.live.mjpeg import BOUNDARY, MjpegSink, check_bind, is_loopback, parse_address
from unpixel.live.processors import clean_detection
from unpixel.live.sinks import Packet
from unpixel.live.sources import Frame
from unpixel.results import Result


def publish(sink, image, index=0):
    frame = Frame(image, index, index, 0.0)
    sink.write(Packet(frame, Result(image, clean_detection(image.shape)), image))


def fetch(url, headers=None, timeout=5):
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=headers or {}), timeout=timeout
    ) as resp:
        return resp.status, resp.headers, resp.read()


@pytest.fixture
def server():
    sink = MjpegSink("127.0.0.1", 0, max_clients=1)
    yield sink
    sink.close()


def test_address_parsing_and_loopback():
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address(":9000") == ("127.0.0.1", 9000)
    assert parse_address("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_address("[::1]:81") == ("::1", 81)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address("host:http")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.local")


def test_non_loopback_bind_needs_a_token():
    with pytest.raises(ValueError, match="--token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(ValueError, match="--token"):
        MjpegSink("0.0.0.0", 0)
    with pytest.raises(ValueError, match="8 characters"):
        check_bind("0.0.0.0", "short")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-long-token")


def test_snapshot_and_stream_over_loopback(server, h):
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(server.url.replace("stream.mjpg", "frame.jpg"))
    assert err.value.code == 503  # no frame yet
    publish(server, h.numbered(3))
    status, headers, body = fetch(f"http://127.0.0.1:{server.port}/frame.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    assert h.frame_number(image) == 3

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/stream.mjpg")
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.headers["Content-Type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
    assert server.clients == 1
    threading.Timer(0.2, publish, (server, h.numbered(5), 1)).start()
    parts = []
    for _ in range(2):
        assert resp.readline().strip() == f"--{BOUNDARY}".encode()
        head = {}
        while line := resp.readline().strip():
            key, _, value = line.decode().partition(": ")
            head[key] = value
        data = resp.read(int(head["Content-Length"]))
        resp.readline()
        parts.append(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))
    assert [h.frame_number(p) for p in parts] == [3, 5]
    # The cap: a second stream is turned away while the first is open.
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(server.url)
    assert err.value.code == 503
    conn.close()


def test_only_stream_paths_are_served(server, h):
    publish(server, h.numbered(0))
    for path in ("/", "/index.html", "/../etc/passwd", "/frame.jpg/x"):
        with pytest.raises(urllib.error.HTTPError) as err:
            fetch(f"http://127.0.0.1:{server.port}{path}")
        assert err.value.code == 404, path


def test_token_is_required_when_set(h):
    sink = MjpegSink("0.0.0.0", 0, token="s3cret-token")
    try:
        publish(sink, h.numbered(2))
        base = f"http://127.0.0.1:{sink.port}/frame.jpg"
        for url, headers in ((base, None), (base + "?token=wrong-token", None)):
            with pytest.raises(urllib.error.HTTPError) as err:
                fetch(url, headers)
            assert err.value.code == 401
        assert fetch(base + "?token=s3cret-token")[0] == 200
        assert fetch(base, {"Authorization": "Bearer s3cret-token"})[0] == 200
        assert "token=s3cret-token" in sink.url
    finally:
        sink.close()


def test_close_ends_open_streams(h):
    sink = MjpegSink("127.0.0.1", 0)
    publish(sink, h.numbered(1))
    conn = http.client.HTTPConnection("127.0.0.1", sink.port, timeout=5)
    conn.request("GET", "/stream.mjpg")
    resp = conn.getresponse()
    resp.readline()
    sink.close()
    resp.read()  # returns: the server ended the stream instead of hanging
    conn.close()
    with pytest.raises(OSError):
        fetch(f"http://127.0.0.1:{sink.port}/frame.jpg", timeout=1)


@pytest.mark.parametrize("port", [-1, 65536, 2**40])
def test_a_port_out_of_range_is_a_value_error(port):
    with pytest.raises(ValueError, match=r"port must be in 0\.\.65535"):
        MjpegSink("127.0.0.1", port)


@pytest.mark.parametrize(
    "kw",
    [{"port": "8080"}, {"port": 80.0}, {"port": True}, {"quality": "80"}, {"max_clients": 2.5}],
)
def test_arguments_of_the_wrong_type_are_type_errors(kw):
    with pytest.raises(TypeError, match="must be an integer"):
        MjpegSink("127.0.0.1", **({"port": 0} | kw))
    with pytest.raises(TypeError, match="token must be a string"):
        MjpegSink("127.0.0.1", 0, token=12345678)  # type: ignore[arg-type]


def test_views_that_are_no_image_are_refused():
    sink = MjpegSink("127.0.0.1", 0)
    try:
        image = np.zeros((32, 32, 3), np.uint8)
        frame = Frame(image, 0, 0, 0.0)
        result = Result(image, clean_detection(image.shape))
        for view, error in [
            (image.astype(np.float32), ValueError),
            (np.zeros((32, 32, 4), np.uint8), ValueError),
            (np.zeros((0, 32, 3), np.uint8), ValueError),
            ([[0]], TypeError),
        ]:
            with pytest.raises(error, match="view"):
                sink.write(Packet(frame, result, view))  # type: ignore[arg-type]
        assert sink.latest_jpeg() is None
    finally:
        sink.close()

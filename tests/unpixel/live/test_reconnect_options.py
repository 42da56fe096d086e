"""The reconnect policy on its own: validation and the backoff."""

import pytest

from unpixel.errors import SourceError
from unpixel.live.loop import LiveOptions
from unpixel.live.reconnect import DEFAULT, Outage, ReconnectOptions


def test_options_are_validated_and_the_backoff_doubles_to_its_cap():
    assert [DEFAULT.delay(k) for k in range(1, 8)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert DEFAULT.enabled and DEFAULT.attempts == 10 and DEFAULT.max_wait_s == 60
    assert not ReconnectOptions(attempts=0).enabled
    outage = Outage(ReconnectOptions(attempts=2, delay_s=5, max_wait_s=1), SourceError("x"))
    assert 0.9 < outage.next_delay() <= 1.0  # cut to the time left
    outage.attempts = 2
    assert outage.next_delay() is None
    for bad in (
        {"attempts": -1},
        {"delay_s": 0},
        {"max_delay_s": float("nan")},
        {"max_wait_s": -3},
        {"factor": 0.5},
    ):
        with pytest.raises(ValueError):
            ReconnectOptions(**bad)
    with pytest.raises(TypeError):
        ReconnectOptions(attempts=2.5)
    with pytest.raises(TypeError, match="reconnect"):
        LiveOptions(reconnect=3)

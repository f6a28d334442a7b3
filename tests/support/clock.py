"""A clock and a sleep in simulated seconds, for code that waits."""

from __future__ import annotations


class FakeClock:
    """``clock()`` reads the time; ``clock.sleep(s)`` moves it on (and records the sleeps)."""

    def __init__(self, now=0.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

"""systemd service notification (sd_notify), written out because it is a dozen lines.

Why not a library: the protocol is one datagram per message on the socket
named by ``NOTIFY_SOCKET``; the one PyPI package for it is unmaintained since
2017. When the variable is unset (laptop, CI, tests without a fake socket)
every call is a no-op, so the daemon code never branches on "am I under systemd".

Why a send never waits: a datagram to a socket whose queue is full (nobody reads
it: a stale ``NOTIFY_SOCKET`` inherited from a shell, a test harness that stopped
listening) blocks a blocking ``sendto`` until someone reads, which may be never; the
daemon then stops polling and even SIGTERM cannot end it (its handler only asks the
loop to stop). So every message is sent with ``MSG_DONTWAIT``: what cannot be sent
at once is dropped and counted. systemd itself reads its socket at once, so under
systemd nothing is ever dropped; a dropped WATCHDOG=1 is followed by the next one.
"""

from __future__ import annotations

import os
import socket

import structlog

log = structlog.get_logger(__name__)

LOG_EVERY_DROPS = 100
"""After the first dropped message, one ``sd_notify_failed`` line per this many drops.

A daemon that polls every second would otherwise log two lines a second for as long
as the socket stays full; the count in each line says how many went unlogged.
"""


class Notifier:
    """Sends READY, STATUS, WATCHDOG and STOPPING to systemd when running under it."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # abstract namespace socket
            address = "\0" + address[1:]
        self._address = address or None
        watchdog_usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s: float | None = (
            int(watchdog_usec) / 1_000_000 / 2 if watchdog_usec.isdigit() and int(watchdog_usec) > 0 else None
        )
        """Half of systemd's WatchdogSec: how often the main loop must ping, or None."""
        self._socket: socket.socket | None = None
        self.dropped = 0
        """Messages that could not be sent at once (full or missing socket), and so were dropped."""
        self._failing = False

    @property
    def enabled(self) -> bool:
        """True under systemd with Type=notify."""
        return self._address is not None

    def _send(self, message: str) -> None:
        if self._address is None:
            return
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.setblocking(False)
            self._socket.sendto(message.encode(), socket.MSG_DONTWAIT, self._address)
        except OSError as exc:  # never let the supervisor's socket take the daemon down, nor hold it
            self._dropped(message, exc)
            return
        if self._failing:
            self._failing = False
            log.info("sd_notify_recovered", dropped_total=self.dropped)

    def _dropped(self, message: str, exc: OSError) -> None:
        """Count the drop; log the first of a run of failures and every ``LOG_EVERY_DROPS``-th."""
        self.dropped += 1
        first = not self._failing
        self._failing = True
        if first or self.dropped % LOG_EVERY_DROPS == 0:
            log.warning(
                "sd_notify_failed",
                message=message.split("=", maxsplit=1)[0],
                error=str(exc),
                dropped_total=self.dropped,
            )

    def ready(self, status: str) -> None:
        """Tell systemd start-up is complete."""
        self._send(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        """Update the one-line status ``systemctl status brain`` shows."""
        self._send(f"STATUS={status}")

    def watchdog(self) -> None:
        """Ping the watchdog; a hung main loop stops pinging and gets restarted."""
        self._send("WATCHDOG=1")

    def stopping(self) -> None:
        """Tell systemd a clean stop is under way."""
        self._send("STOPPING=1")

    def close(self) -> None:
        """Close the socket; idempotent."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

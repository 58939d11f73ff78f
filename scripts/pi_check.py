#!/usr/bin/env python3
"""The Pi check: install brain on an emulated Raspberry Pi OS (Debian bookworm arm64) and run it there.

Why: brain's main user is the systemd service on the greenhouse Pi, and a laptop
cannot notice what breaks only there (a Pi library nothing installs, a wheel
missing for aarch64, a hint naming a command that does not help). So this
builds a Debian bookworm arm64 root with debootstrap (Raspberry Pi OS Bookworm
is Debian bookworm plus the Pi's kernel and firmware), runs it under
qemu-user-static through binfmt_misc, installs brain there exactly as
docs/deployment.md says (a venv, ``pip install '.[pi,uplink]'``) and checks:

1. the venv without ``[report]`` stays within ``VENV_BUDGET_MB``;
2. with Blinka's board forced to a Raspberry Pi 4, ``import board`` and every
   driver's library import;
3. ``brain config check config/brain.toml`` passes;
4. ``brain-daemon --simulate`` for a day writes the same records as on this
   machine, byte for byte, and takes at most ``SLOWDOWN_BUDGET`` times this
   machine's time from start to stop;
5. the docs' install for a Pi without internet (wheels downloaded here for
   aarch64, installed there with ``--no-index``) works;
6. ``brain-daemon --hardware`` (board forced to a Pi 4, no I2C bus, no GPIO
   chip) starts, reports each sensor and relay by name in its self-test, writes
   its first poll, stays up, and exits 0 on SIGTERM; its memory is within
   ``RSS_BUDGET`` of the same run on this machine;
7. in a bookworm armhf root (the 32-bit OS), the same install is refused with
   the message pyproject.toml's ``pi`` extra carries.

The roots are cached outside the clone (``BRAIN_PI_CHECK_CACHE``, default
/var/cache/brain-pi-check), keyed on what goes into it (suite, mirror, apt
packages); the venv inside it is rebuilt when pyproject.toml changes, and the
project itself is installed afresh on every run. Where the machine cannot run
foreign binaries (no binfmt_misc, not root), the check fails when ``CI=true``
and is skipped otherwise, saying why.

Usage: ``python3 scripts/pi_check.py`` (root; ``make pi-check``). It prints a
line per step and a JSON summary of the measurements, also left in
``<cache>/last-run.json``.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
"""Raspberry Pi OS Bookworm is built on Debian 12 (bookworm), Python 3.11."""
MIRROR = "http://deb.debian.org/debian"
DOCS_APT_PACKAGES = ("python3-venv", "i2c-tools", "gpiod")
"""The apt line of docs/deployment.md, section 3 (tests/scripts/test_pi_check.py keeps the two equal).

Raspberry Pi OS Lite has python3, ca-certificates and procps already; the
minimal Debian root gets them added below.
"""
ROOT_EXTRA_PACKAGES = ("python3", "ca-certificates", "procps")
HOST_TOOLS = ("qemu-user-static", "debootstrap", "binfmt-support")
EXTRAS = "pi,uplink"
"""The extras docs/deployment.md installs on the Pi; ``report`` is a laptop extra."""
VENV = "/opt/brain/venv"
CHECKOUT = "/home/pi/brain"
BOARD_ENV = {"BLINKA_FORCEBOARD": "RASPBERRY_PI_4B", "BLINKA_FORCECHIP": "BCM2XXX"}
"""Blinka's own switches: pretend to be a Pi 4 (there is no device tree to detect one from)."""
DRIVER_IMPORTS = (
    "board",
    "busio",
    "gpiod",
    "lgpio",
    "adafruit_dht",
    "adafruit_sht31d",
    "adafruit_scd4x",
    "adafruit_ads1x15.ads1115",
    "adafruit_ads1x15.analog_in",
    "adafruit_bh1750",
    "gpiozero.pins.lgpio",
    "paho.mqtt.client",
)
"""What the drivers (hardware/drivers), the relays (gpiozero's lgpio pin factory) and the uplink import."""

VENV_BUDGET_MB = 120.0
SLOWDOWN_BUDGET = 10.0
DAY_RUNS = 3
"""Each side's day is run three times and the fastest counts: two shared cores make single runs noisy."""
RSS_BUDGET = 0.10
START_DEADLINE_S = 600.0
"""Generous: the first start under emulation imports pydantic, structlog, gpiozero and Blinka."""
STOP_DEADLINE_S = 120.0
SIM_ARGS = ("--simulate", "--config", "config/simulate.toml", "--seed", "42", "--duration-hours", "24")
SELF_TEST = "hardware_self_test"
"""The event each device's start-up self-test line carries (hardware/source.py)."""
CACHE = Path(os.environ.get("BRAIN_PI_CHECK_CACHE", "/var/cache/brain-pi-check"))


class UnavailableError(Exception):
    """This machine cannot run the check (skip outside CI, fail in CI)."""


class CheckFailedError(Exception):
    """brain does not do on the emulated Pi what it must."""


def say(text: str) -> None:
    print(f"pi-check: {text}", flush=True)


def run(
    cmd: Sequence[str], *, timeout: float | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, raising ``CheckFailedError`` with its output if it fails."""
    done = subprocess.run(list(cmd), text=True, capture_output=True, timeout=timeout, check=False, **kwargs)
    if done.returncode != 0:
        raise CheckFailedError(
            f"{' '.join(cmd)} exited {done.returncode}\n--- stdout\n{done.stdout[-4000:]}"
            f"\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done


@contextmanager
def timed(step: str, timings: dict[str, float]) -> Iterator[None]:
    say(f"{step} ...")
    start = time.monotonic()
    yield
    timings[step] = round(time.monotonic() - start, 1)
    say(f"{step}: {timings[step]} s")


# --- the machine ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One Debian architecture the check builds a root for."""

    arch: str
    binfmt: str
    """The binfmt_misc entry of its qemu (``/proc/sys/fs/binfmt_misc/<binfmt>``)."""
    packages: tuple[str, ...]


ARM64 = Target("arm64", "qemu-aarch64", tuple(sorted({*DOCS_APT_PACKAGES, *ROOT_EXTRA_PACKAGES})))
"""Raspberry Pi OS Bookworm 64-bit: the supported image."""
ARMHF = Target("armhf", "qemu-arm", ("ca-certificates", "python3", "python3-venv"))
"""The 32-bit image, only to see ``[pi]`` refused at install time (docs/deployment.md, section 3)."""


def prepare_host(targets: Sequence[Target]) -> None:
    """Install qemu-user-static and debootstrap, mount binfmt_misc, make sure the targets' binaries run."""
    if os.geteuid() != 0:
        raise UnavailableError("needs root (debootstrap, chroot and mount)")
    if not (shutil.which("debootstrap") and shutil.which("qemu-aarch64-static")):
        say(f"installing {' '.join(HOST_TOOLS)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update"], env=env)
        run(["apt-get", "install", "-y", *HOST_TOOLS], env=env)
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "status").exists():
        mounted = subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)],
            check=False,
            capture_output=True,
            text=True,
        )
        if mounted.returncode != 0:
            raise UnavailableError(f"binfmt_misc is not mounted and cannot be: {mounted.stderr.strip()}")
    for target in targets:
        entry = binfmt / target.binfmt
        if not entry.exists():
            subprocess.run(["update-binfmts", "--enable", target.binfmt], check=False, capture_output=True)
        if not entry.exists():
            raise UnavailableError(
                f"no binfmt_misc entry {entry} (update-binfmts --enable {target.binfmt} failed)"
            )
        text = entry.read_text()
        if not text.startswith("enabled"):
            raise UnavailableError(f"{entry} is disabled")
        flags = re.search(r"^flags: *(\S*)", text, re.MULTILINE)
        if flags is None or "F" not in flags.group(1):
            # Without F the kernel looks for the interpreter inside the chroot, where it is not.
            raise UnavailableError(
                f"{entry} lacks the F (fix binary) flag, so qemu cannot run inside a chroot"
            )


def root_key(target: Target) -> str:
    """What goes into a root: a change to any of it makes a new root."""
    inputs = {"suite": SUITE, "arch": target.arch, "mirror": MIRROR, "packages": sorted(target.packages)}
    return hashlib.sha256(json.dumps({**inputs, "layout": 1}).encode()).hexdigest()[:16]


def ensure_root(target: Target) -> tuple[Path, bool]:
    """The cached root of ``target``, made with debootstrap if absent; (root, was cached)."""
    root = CACHE / f"root-{target.arch}-{root_key(target)}"
    if (root / ".complete").exists():
        return root, True
    for stale in [*CACHE.glob(f"root-{target.arch}-*"), *CACHE.glob(f"building-root-{target.arch}-*")]:
        say(f"removing stale root {stale}")  # an older key, or a build that was interrupted
        shutil.rmtree(stale)
    building = CACHE / f"building-{root.name}"
    command = [
        "debootstrap",
        f"--arch={target.arch}",
        "--variant=minbase",
        f"--include={','.join(target.packages)}",
    ]
    for attempt in (1, 2, 3):  # a mirror hiccup should not fail CI; a real error fails three times
        try:
            run([*command, SUITE, str(building), MIRROR], timeout=3600)
            break
        except CheckFailedError as exc:
            if attempt == 3:
                raise
            say(f"debootstrap failed (attempt {attempt}), retrying: {str(exc).splitlines()[0]}")
            shutil.rmtree(building, ignore_errors=True)
    (building / ".complete").write_text(root_key(target) + "\n")
    building.rename(root)
    return root, False


# --- running inside the root ------------------------------------------------------------------------

GUEST_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_DEFAULT_TIMEOUT": "180",
    "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
}


def guest(root: Path, cmd: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """A command line running ``cmd`` in ``root``, in a private mount namespace (its mounts die with it).

    ``unshare`` and ``sh`` both ``exec``, so the process started is the guest
    command itself: its pid gets the signals and its /proc shows its memory.
    """
    setup = (
        'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && mount -t tmpfs tmpfs "$0/tmp" '
        '&& exec chroot "$0" /usr/bin/env -i "$@"'
    )
    variables = [f"{k}={v}" for k, v in {**GUEST_ENV, **(env or {})}.items()]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", setup, str(root), *variables, *cmd]


def copy_host_network_config(root: Path) -> None:
    """DNS and the CA bundle of this machine, so pip in the root reaches the index this machine uses."""
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    host_ca = Path(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"))
    if host_ca.exists():
        shutil.copyfile(host_ca, root / "etc/ssl/certs/ca-certificates.crt")


def project_files() -> list[str]:
    """The files of the clone as git sees them (tracked and new), without ignored ones (.venv, data)."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT)
    return [name for name in listed.stdout.split("\0") if name and (PROJECT / name).is_file()]


def copy_project(destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)
    for name in project_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, target)


def venv_key() -> str:
    return hashlib.sha256((PROJECT / "pyproject.toml").read_bytes()).hexdigest()[:16]


def install_in_root(root: Path) -> None:
    """The docs' install: a venv (PEP 668), then ``pip install '<checkout>[pi,uplink]'``."""
    copy_host_network_config(root)
    copy_project(root / CHECKOUT.lstrip("/"))
    venv = root / VENV.lstrip("/")
    stamp = venv / ".pi-check-key"
    if not (stamp.exists() and stamp.read_text().strip() == venv_key()):
        shutil.rmtree(venv, ignore_errors=True)
        run(guest(root, ["python3", "-m", "venv", VENV]), timeout=1800)
        stamp.write_text(venv_key() + "\n")
    run(guest(root, [f"{VENV}/bin/pip", "install", "--quiet", f"{CHECKOUT}[{EXTRAS}]"]), timeout=3600)


def host_venv() -> Path:
    """The same install on this machine, for the byte and memory comparisons (cached like the root's)."""
    venv = CACHE / "host-venv"
    stamp = venv / ".pi-check-key"
    if not (stamp.exists() and stamp.read_text().strip() == venv_key()):
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)])
        stamp.write_text(venv_key() + "\n")
    run([str(venv / "bin/pip"), "install", "--quiet", f"{PROJECT}[{EXTRAS}]"], timeout=1800)
    return venv


def tree_bytes(path: Path) -> int:
    """Bytes on disk under ``path`` (what ``du`` counts), hard links once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            info = (Path(directory) / name).lstat()
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- memory -----------------------------------------------------------------------------------------


HOST_MMAP_FLOOR = 0x7F0000000000
"""Where the host kernel places qemu's own mappings (top-down from the top of user space).

qemu-user (guest base 0, as qemu 7.2 picks for an aarch64 guest here) maps the
guest at the guest's own addresses: its binary at 0x400000, its stack, libraries
and every mmap from 0x5500000000 upwards. Everything of qemu's own (its static
binary, its thread stacks and malloc arenas, the translated-code buffer) lies
above this line, and its brk heap is the mapping the kernel names [heap].
Checked by hand against the guest's own /proc/self/maps, which qemu emulates.
"""


def smaps_rss_kib(pid: int, *, emulated: bool) -> int:
    """Resident memory of ``pid`` in KiB; under qemu, of the guest's mappings only.

    qemu-user runs the guest inside its own process, so the process's RSS also
    holds the emulator (about 30 MiB: mostly translated code). Those mappings are
    left out (``HOST_MMAP_FLOOR``), so the figure compares with the native daemon's.
    """
    total = 0
    current_counts = True
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            start = int(head[0].split("-")[0], 16)
            path = head[5] if len(head) > 5 else ""
            emulator = start >= HOST_MMAP_FLOOR or path == "[heap]" or "qemu-" in path
            current_counts = not (emulated and emulator)
        elif head and head[0] == "Rss:" and current_counts:
            total += int(head[1])
    return total


# --- the checks -------------------------------------------------------------------------------------


@dataclass
class Results:
    timings: dict[str, float] = field(default_factory=dict)
    measured: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def budget(self, name: str, ok: bool, text: str) -> None:
        say(f"{'ok' if ok else 'OVER BUDGET'}: {text}")
        self.measured[name] = text
        if not ok:
            self.failures.append(text)


PI_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
"""The wheel tags docs/deployment.md downloads for a Pi without internet (lgpio's is manylinux_2_34)."""


def check_offline_install(root: Path, workdir: Path) -> None:
    """docs/deployment.md, "A Pi without internet access": wheels fetched here, installed with no index."""
    wheels = workdir / "pi-wheels"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(PROJECT)],
        timeout=900,
    )
    (brain_wheel,) = wheels.glob("brain-*.whl")
    platforms = [arg for tag in PI_PLATFORMS for arg in ("--platform", tag)]
    download = ["download", "--quiet", "-d", str(wheels), "--only-binary=:all:", "--python-version", "3.11"]
    run([sys.executable, "-m", "pip", *download, *platforms, f"{brain_wheel}[{EXTRAS}]"], timeout=900)
    inside = root / "home/pi/pi-wheels"
    shutil.rmtree(inside, ignore_errors=True)
    shutil.copytree(wheels, inside)
    script = (
        "rm -rf /var/tmp/offline-venv && python3 -m venv /var/tmp/offline-venv && "
        "/var/tmp/offline-venv/bin/pip install --quiet --no-index --find-links /home/pi/pi-wheels "
        f"'brain[{EXTRAS}]' && "
        f"/var/tmp/offline-venv/bin/brain config check {CHECKOUT}/config/brain.toml && "
        "rm -rf /var/tmp/offline-venv"
    )
    run(guest(root, ["sh", "-c", script]), timeout=3600)


def check_imports(root: Path) -> None:
    code = "; ".join(f"import {name}" for name in DRIVER_IMPORTS) + "; print(board.board_id)"
    done = run(guest(root, [f"{VENV}/bin/python", "-c", code], env=BOARD_ENV), timeout=900)
    if "RASPBERRY_PI_4B" not in done.stdout:
        raise CheckFailedError(f"board is not the forced Raspberry Pi 4: {done.stdout!r}")


def records_of(data_root: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A data root's manifest identity and its record files' bytes.

    The manifest also holds where the data root is and when it was started: only
    its identity (source, seed, site, thresholds' hash...) must match.
    """
    files = files_of(data_root)
    return json.loads(files.pop("manifest.json"))["identity"], files


def day_seconds(log: str) -> float:
    """Seconds from ``daemon_started`` to ``daemon_stopped`` in a JSON log: the day itself, imports left out.

    Why not the wall time of the process: a fast day takes under a second natively,
    and most of that is the interpreter importing pydantic and friends, which qemu
    first has to translate; the service pays that once a boot, the day every day.
    """
    stamps = {}
    for line in log.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") in {"daemon_started", "daemon_stopped"}:
            stamps[event["event"]] = datetime.fromisoformat(event["logged_at"])
    if len(stamps) != 2:
        raise CheckFailedError(f"no daemon_started/daemon_stopped pair in the day's log:\n{log[-2000:]}")
    return (stamps["daemon_stopped"] - stamps["daemon_started"]).total_seconds()


def simulate_day(results: Results, root: Path, host: Path, workdir: Path) -> None:
    """A day on each side, ``DAY_RUNS`` times in turn; same records every time, the fastest run timed."""
    times: dict[str, list[float]] = {"host": [], "arm64": []}
    walls: dict[str, list[float]] = {"host": [], "arm64": []}
    reference: tuple[dict[str, Any], dict[str, bytes]] | None = None
    args = [*SIM_ARGS, "--log-format", "json"]
    for attempt in range(DAY_RUNS):
        host_out = workdir / f"host-sim-{attempt}"
        start = time.monotonic()
        done = run(
            [str(host / "bin/brain-daemon"), *args, "--output-dir", str(host_out)], cwd=PROJECT, timeout=1800
        )
        walls["host"].append(time.monotonic() - start)
        times["host"].append(day_seconds(done.stdout))
        guest_out = root / "var/tmp/pi-check-sim"
        shutil.rmtree(guest_out, ignore_errors=True)
        start = time.monotonic()
        cmd = ["sh", "-c", f'cd {CHECKOUT} && exec "$0" "$@"', f"{VENV}/bin/brain-daemon", *args]
        done = run(guest(root, [*cmd, "--output-dir", "/var/tmp/pi-check-sim"]), timeout=7200)
        walls["arm64"].append(time.monotonic() - start)
        times["arm64"].append(day_seconds(done.stdout))
        ours, theirs = records_of(host_out), records_of(guest_out)
        reference = reference or ours
        if ours[0] != theirs[0]:
            raise CheckFailedError(f"the manifests' identities differ: {ours[0]} (host), {theirs[0]} (arm64)")
        if ours[1].keys() != theirs[1].keys():
            raise CheckFailedError(f"other files: {sorted(ours[1])} (host), {sorted(theirs[1])} (arm64)")
        differing = [name for name in ours[1] if ours[1][name] != theirs[1][name]]
        if differing or ours != reference:
            raise CheckFailedError(f"the emulated day wrote other bytes in {differing or 'a later run'}")
    assert reference is not None
    size = sum(map(len, reference[1].values()))
    say(f"ok: arm64 wrote the host's records, {DAY_RUNS} times: {len(reference[1])} files, {size} bytes")
    for side, measured in times.items():
        results.timings[f"{side}: one simulated day, start to stop (fastest of {DAY_RUNS})"] = round(
            min(measured), 2
        )
    for side, measured in walls.items():
        results.timings[f"{side}: one simulated day, process wall time (fastest of {DAY_RUNS})"] = round(
            min(measured), 2
        )
    wall_ratio = min(walls["arm64"]) / min(walls["host"])
    results.measured["emulated_day_wall_ratio"] = round(wall_ratio, 1)
    ratio = min(times["arm64"]) / min(times["host"])
    text = (
        f"emulated day {ratio:.1f}x the host's, start to stop (budget {SLOWDOWN_BUDGET:g}x); "
        f"{wall_ratio:.1f}x with the interpreter's start"
    )
    results.budget("emulated_day_slowdown", ratio <= SLOWDOWN_BUDGET, text)


class LogWatch:
    """Collects a daemon's JSON log lines from a pipe in a thread; wait on a condition with a deadline."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None
                if isinstance(event, dict):
                    self.events.append(event)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def join(self, timeout_s: float) -> None:
        """Wait for the pipe to close (the process exited and its last lines are in)."""
        self._thread.join(timeout_s)

    def wait_for(self, test: Any, deadline_s: float, what: str) -> None:
        end = time.monotonic() + deadline_s
        with self._changed:
            while not test(self.events):
                left = end - time.monotonic()
                if left <= 0 or (not self._thread.is_alive() and not test(self.events)):
                    tail = "\n".join(self.lines[-30:])
                    raise CheckFailedError(f"no {what} within {deadline_s:g} s; last log lines:\n{tail}")
                self._changed.wait(min(left, 1.0))


def hardware_run(
    command: list[str], data_root: Path, *, emulated: bool, env: Mapping[str, str]
) -> dict[str, Any]:
    """Start ``brain-daemon --hardware``, wait for its self-test and first poll, then SIGTERM it."""
    # The daemon logs JSON lines on stdout (the journal's stream); stderr joins them.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    watch = LogWatch(process.stdout)
    try:
        expected = configured_devices()
        watch.wait_for(
            lambda events: (
                expected <= {e.get("device") for e in events if e.get("event") == "hardware_self_test"}
            ),
            START_DEADLINE_S,
            f"self-test line for each of {sorted(expected)}",
        )
        observations = lambda: list(data_root.glob("run_*/observations*.jsonl"))  # noqa: E731
        end = time.monotonic() + START_DEADLINE_S
        while not any(p.stat().st_size for p in observations()):
            if process.poll() is not None or time.monotonic() > end:
                raise CheckFailedError(
                    "brain-daemon --hardware wrote no observation:\n" + "\n".join(watch.lines[-30:])
                )
            time.sleep(0.5)
        if process.poll() is not None:
            raise CheckFailedError(
                f"brain-daemon --hardware exited {process.returncode} after its first poll"
            )
        rss_kib = smaps_rss_kib(process.pid, emulated=emulated)
        process.send_signal(signal.SIGTERM)
        code = process.wait(STOP_DEADLINE_S)
        watch.join(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if code != 0:
        raise CheckFailedError(
            f"brain-daemon --hardware exited {code} on SIGTERM:\n" + "\n".join(watch.lines[-30:])
        )
    if not any(e.get("event") == "daemon_stopped" for e in watch.events):
        raise CheckFailedError("brain-daemon --hardware exited 0 without its daemon_stopped line")
    tests = {e["device"]: e for e in watch.events if e.get("event") == SELF_TEST}
    return {"rss_kib": rss_kib, "self_test": tests, "log": watch.lines}


def configured_devices() -> set[str]:
    """Sensor and relay names in config/brain.toml, as the self-test names them."""
    import tomllib

    config = tomllib.loads((PROJECT / "config/brain.toml").read_text())["hardware"]
    return {s["name"] for s in config.get("sensors", [])} | {r["name"] for r in config.get("relays", [])}


def check_hardware(results: Results, root: Path, host: Path) -> None:
    hw_env = {**BOARD_ENV, "GPIOZERO_PIN_FACTORY": "lgpio", "LG_WD": "/tmp"}
    # A poll every 15 s, not the file's 60: the first poll (the self-test) comes sooner; nothing else changes.
    args = ["--hardware", "--config", "config/brain.toml", "--log-format", "json", "--poll-interval", "15"]
    guest_data = root / "var/tmp/pi-check-hw"
    shutil.rmtree(guest_data, ignore_errors=True)
    cmd = ["sh", "-c", f'cd {CHECKOUT} && exec "$0" "$@"', f"{VENV}/bin/brain-daemon", *args]
    with timed("arm64: brain-daemon --hardware start, first poll, SIGTERM", results.timings):
        arm = hardware_run(
            guest(root, [*cmd, "--output-dir", "/var/tmp/pi-check-hw"], env=hw_env),
            guest_data,
            emulated=True,
            env=dict(os.environ),
        )
    for name, event in sorted(arm["self_test"].items()):
        say(f"  self-test {name}: {event.get('status')} ({event.get('error', event.get('detail', ''))})")
    found = [name for name, event in arm["self_test"].items() if event.get("status") == "found"]
    if found:
        raise CheckFailedError(f"devices reported found where there is no bus: {found}")
    unnamed = [
        name
        for name, e in arm["self_test"].items()
        if name not in str(e.get("error", "")) and not e.get("error")
    ]
    if unnamed:
        raise CheckFailedError(f"self-test lines without an error for {unnamed}")
    missing_lib = [line for line in arm["log"] if "was not found" in line or "No module named" in line]
    if missing_lib:
        raise CheckFailedError("a Pi library is missing on arm64:\n" + "\n".join(missing_lib[:5]))
    host_data = Path(tempfile.mkdtemp(prefix="pi-check-hw-"))
    try:
        with timed("host: brain-daemon --hardware start, first poll, SIGTERM", results.timings):
            native = hardware_run(
                [str(host / "bin/brain-daemon"), *args, "--output-dir", str(host_data)],
                host_data,
                emulated=False,
                env={**os.environ, **hw_env, "LG_WD": str(host_data)},
            )
    finally:
        shutil.rmtree(host_data, ignore_errors=True)
    ratio = arm["rss_kib"] / native["rss_kib"]
    results.measured["rss_kib"] = {"arm64_guest": arm["rss_kib"], "host": native["rss_kib"]}
    results.budget(
        "rss",
        abs(ratio - 1) <= RSS_BUDGET,
        f"daemon RSS on arm64 {arm['rss_kib'] / 1024:.1f} MiB vs host {native['rss_kib'] / 1024:.1f} MiB "
        f"({(ratio - 1) * 100:+.1f} %, budget +-{RSS_BUDGET * 100:g} %)",
    )


REFUSAL = "/brain-needs-the-64-bit-Raspberry-Pi-OS--see-docs-deployment.md"
"""The path pip names when ``[pi]`` is installed on 32-bit ARM (pyproject.toml's ``pi`` extra)."""


def check_armhf_refused(results: Results) -> None:
    """On the 32-bit OS, the docs' install must stop at once, naming the reason (docs/deployment.md, 3)."""
    root, cached = ensure_root(ARMHF)
    results.measured["armhf_root_cached"] = cached
    copy_host_network_config(root)
    copy_project(root / CHECKOUT.lstrip("/"))
    machine = run(guest(root, ["python3", "-c", "import platform; print(platform.machine())"])).stdout.strip()
    script = (
        "rm -rf /var/tmp/venv && python3 -m venv /var/tmp/venv && "
        f"exec /var/tmp/venv/bin/pip install '{CHECKOUT}[{EXTRAS}]'"
    )
    done = subprocess.run(
        guest(root, ["sh", "-c", script]), capture_output=True, text=True, timeout=3600, check=False
    )
    output = done.stdout + done.stderr
    if done.returncode == 0:
        raise CheckFailedError(f"pip installed '[{EXTRAS}]' on armhf ({machine}); it must refuse")
    if REFUSAL not in output:
        raise CheckFailedError(
            f"pip on armhf ({machine}) failed, but not with the refusal:\n{output[-3000:]}"
        )
    lines = [line for line in output.splitlines() if REFUSAL in line]
    message = next((line for line in lines if line.startswith("ERROR")), lines[0])
    say(f"ok: armhf ({machine}): pip refuses the install: {message.strip()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    in_ci = os.environ.get("CI") == "true"
    results = Results()
    try:
        with timed("prepare the host (qemu-user-static, debootstrap, binfmt_misc)", results.timings):
            prepare_host((ARM64, ARMHF))
        CACHE.mkdir(parents=True, exist_ok=True)
        lock = (CACHE / ".lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another pi-check using {CACHE}")
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when this process exits
        with timed("the bookworm arm64 root", results.timings):
            root, cached = ensure_root(ARM64)
        results.measured["root_cached"] = cached
        run(guest(root, ["/bin/true"]), timeout=120)  # binfmt works inside the chroot
        with timed(f"arm64: venv + pip install '.[{EXTRAS}]'", results.timings):
            install_in_root(root)
        size_mb = tree_bytes(root / VENV.lstrip("/")) / 1e6
        results.budget(
            "venv_mb",
            size_mb <= VENV_BUDGET_MB,
            f"arm64 venv {size_mb:.1f} MB (budget {VENV_BUDGET_MB:g} MB)",
        )
        with timed("arm64: import board and the drivers' libraries (Pi 4 forced)", results.timings):
            check_imports(root)
        with timed("arm64: brain config check config/brain.toml", results.timings):
            run(
                guest(root, [f"{VENV}/bin/brain", "config", "check", f"{CHECKOUT}/config/brain.toml"]),
                timeout=900,
            )
        with timed(f"host: venv + pip install '.[{EXTRAS}]'", results.timings):
            host = host_venv()
        with tempfile.TemporaryDirectory(prefix="pi-check-") as workdir:
            simulate_day(results, root, host, Path(workdir))
            with timed("arm64: the offline install from wheels downloaded on this machine", results.timings):
                check_offline_install(root, Path(workdir))
        check_hardware(results, root, host)
        with timed("armhf: the install is refused", results.timings):
            check_armhf_refused(results)
    except UnavailableError as exc:
        if in_ci:
            say(f"FAILED: this machine cannot run the Pi check: {exc}")
            return 1
        say(f"SKIPPED: this machine cannot run the Pi check: {exc} (in CI, with CI=true, this fails)")
        return 0
    except (CheckFailedError, subprocess.TimeoutExpired) as exc:
        say(f"FAILED: {exc}")
        return 1
    summary = {"timings_s": results.timings, **results.measured}
    (CACHE / "last-run.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    if results.failures:
        say("FAILED: over budget: " + "; ".join(results.failures))
        return 1
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

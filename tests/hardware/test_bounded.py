import threading
import time
from collections.abc import Callable

from brain.contracts import SensorKey
from hardware.bounded import HUNG, BoundedReader
from tests.hardware.conftest import ScriptedDriver
from tests.runs import wait_until

CO2, PAR = SensorKey.CO2_PPM, SensorKey.PAR_UMOL_M2_S


def test_a_hung_read_times_out_and_is_not_piled_up(scripted: Callable[..., ScriptedDriver]) -> None:

    hung = scripted("co2", CO2)
    healthy = scripted("par", PAR, value=350.0)
    hung.gate = threading.Event()
    # 2 s: the hung read costs the test this long; the healthy read must finish inside it even
    # with CPU hogs beside the suite (make hog-check), which 0.5-1 s did not always leave room for.
    reader = BoundedReader(timeout_s=2)

    started = time.monotonic()
    first = reader.read_all([hung, healthy])
    assert time.monotonic() - started < 20  # bounded by the timeout, not by the hung device (never returns)
    assert first["co2"].error == "read timed out after 2 s"
    assert first["par"].values == {PAR: 350.0}
    assert reader.hung == ("co2",)

    second = reader.read_all([hung, healthy])
    assert second["co2"].error == HUNG
    assert hung.calls == 1  # not called again while its read is still running

    hung.gate.set()  # the bus comes back
    wait_until(lambda: not reader.hung, "the hung read to end", every=0.005)
    third = reader.read_all([hung, healthy])
    assert third["co2"].values == {CO2: 1.0}
    assert hung.calls == 2


def test_a_driver_bug_costs_one_reading(scripted: Callable[..., ScriptedDriver]) -> None:
    broken = scripted("co2", CO2)
    broken.crash = ZeroDivisionError("division by zero")
    # Nothing hangs, so the bound costs nothing: generous, because logging the crash (a rendered
    # traceback) took more than 1 s with CPU hogs beside the suite and the read was taken for hung.
    outcome = BoundedReader(timeout_s=30).read_all([broken])["co2"]
    assert outcome.error == "driver error ZeroDivisionError: division by zero"
    assert outcome.values == {}


def test_reads_run_concurrently(scripted: Callable[..., ScriptedDriver]) -> None:

    both_inside = threading.Barrier(2, timeout=30)

    class Meeting(ScriptedDriver):
        def read(self) -> dict[SensorKey, float]:
            both_inside.wait()  # deadlocks (and times out) if the reads ran one after the other
            return super().read()

    outcomes = BoundedReader(timeout_s=30).read_all([Meeting("a", (CO2,)), Meeting("b", (PAR,))])
    assert outcomes["a"].error is None and outcomes["b"].error is None

import threading

from hardware.i2c import I2CBus


class FakeBusio:
    """``busio.I2C``: ``deinit()`` releases the file descriptor."""

    def __init__(self, fail_deinit: bool = False) -> None:
        self.deinits = 0
        self.fail_deinit = fail_deinit

    def deinit(self) -> None:
        self.deinits += 1
        if self.fail_deinit:
            raise OSError(9, "Bad file descriptor")


def test_opened_once_and_shared_between_threads() -> None:
    opened: list[FakeBusio] = []

    def open_bus() -> FakeBusio:
        opened.append(FakeBusio())
        return opened[-1]

    bus = I2CBus(open_bus)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(bus.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1
    assert all(item is opened[0] for item in seen)


def test_close_deinits_once_and_survives_errors() -> None:
    device = FakeBusio(fail_deinit=True)
    bus = I2CBus(lambda: device)
    bus.close()  # never opened: nothing to release
    bus.get()
    bus.close()
    bus.close()
    assert device.deinits == 1

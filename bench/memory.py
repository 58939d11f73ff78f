"""Memory: peak RSS of a 30-day and a 3-day simulation at a 60-second poll, each a fresh process.

The difference shows whether anything grows past the estimator's 48-hour window.
Required: peak <= 80 MB, growth from 3 to 30 days <= 5 MB.
Run: ``python bench/memory.py``
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from process import DAEMON, run


def peak_mb(days: int) -> float:
    """Peak RSS of ``brain-daemon --simulate`` over ``days`` days, MB."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [*DAEMON, "--simulate", "--duration-hours", str(24 * days), "--poll-interval", "60",
                "--time-scale", "0", "--output-dir", str(Path(tmp)), "--log-format", "json"]  # fmt: skip
        return run(args).peak_rss_mb


def measure() -> dict[str, float]:
    """Peak RSS at 3 and 30 days, and the growth between them."""
    three, thirty = peak_mb(3), peak_mb(30)
    return {"peak_3d_mb": three, "peak_30d_mb": thirty, "growth_mb": thirty - three}


def main() -> None:
    """Print the figures."""
    f = measure()
    print(f"peak RSS, 3 simulated days:   {f['peak_3d_mb']:6.1f} MB")
    print(f"peak RSS, 30 simulated days:  {f['peak_30d_mb']:6.1f} MB  (required <= 80)")
    print(f"growth from 3 to 30 days:     {f['growth_mb']:6.1f} MB  (required <= 5)")


if __name__ == "__main__":
    main()

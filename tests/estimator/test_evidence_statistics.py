"""Every evidence statistic the estimator names is in the contracts' closed set.

Why it matters: the public export passes on only the names in
:data:`brain.contracts.EVIDENCE_STATISTICS` (any other text could be anything); a
statistic the estimator starts to name without adding it there would be exported
as ``"other"``. Faults of every kind are provoked here to make it name them.
"""

from __future__ import annotations

from brain.contracts import EVIDENCE_STATISTICS
from tests.estimator.synthetic import greenhouse, modify, run


def test_the_statistics_the_estimator_names_are_the_closed_set() -> None:
    rows = greenhouse(days=3)
    rows = modify(rows, "relative_humidity_pct", lambda i, row: 71.3, since=600)  # stuck
    rows = modify(rows, "co2_ppm", lambda i, row: None, since=1500)  # disconnect
    rows = modify(rows, "substrate_moisture_pct", lambda i, row: 250.0, since=2000)  # out of range
    rows = modify(  # a drifting thermometer, and a step a little later
        rows,
        "air_temperature_c",
        lambda i, row: row.readings["air_temperature_c"] + (i - 2500) * 0.004,
        since=2500,
    )
    named = {
        record.evidence.statistic
        for _row, estimate in run(rows)
        for record in estimate.sensor_health
        if record.evidence is not None
    }
    assert len(named) >= 4, named  # the faults above were diagnosed at all
    assert named <= EVIDENCE_STATISTICS, named - EVIDENCE_STATISTICS

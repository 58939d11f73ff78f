"""Every docstring example validates, and any valid model survives dump -> validate unchanged."""

import inspect
import json
import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from brain.contracts import (
    STREAMS,
    Evidence,
    HealthStatus,
    ObservationSource,
    ObservationV1,
    SensorFault,
    SensorHealthV1,
    SensorKey,
    SensorReadings,
)
from brain.docstrings import attribute_docstrings


def _docstring_examples(model: type) -> list[dict]:
    """Every ``::`` block of the model's module docstring, each one JSON payload (indented lines)."""
    doc = inspect.getmodule(model).__doc__ or ""
    examples = []
    for block in doc.split("::")[1:]:
        lines = []
        for line in block.strip("\n").splitlines():
            if line and not line.startswith(" "):
                break
            lines.append(line.strip())
        examples.append(json.loads(" ".join(lines)))
    return examples


def test_every_docstring_example_validates() -> None:
    for model in STREAMS.values():
        examples = _docstring_examples(model)
        assert examples[0]["schema_version"] == "1.0"  # the first example is what a Stage 1 log holds
        for example in examples:
            dumped = model.model_validate(example).model_dump(mode="json", exclude_none=False)
            assert dumped["schema_version"] == example["schema_version"]


def test_every_field_has_a_docstring() -> None:
    for model in STREAMS.values():
        docs = attribute_docstrings(model)
        for name in model.model_fields:
            assert docs.get(name), f"{model.__name__}.{name} has no description"
            assert not re.search(r"\bTODO\b", docs[name])


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from([UTC])
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
site_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)
evidence = st.none() | st.builds(
    Evidence,
    window_s=st.floats(min_value=0, max_value=1e7),
    statistic=st.sampled_from(["range", "step", "residual_slope_per_h"]),
    value=st.none() | finite,
    limit=st.none() | finite,
)


@st.composite
def observations(draw: st.DrawFn) -> ObservationV1:
    readings = {k.value: draw(st.none() | finite) for k in SensorKey}
    failed = [k for k in SensorKey if readings[k.value] is None]
    errors = {k: draw(st.text(max_size=40)) for k in failed if draw(st.booleans())}
    return ObservationV1(
        schema_version="1.0",
        timestamp=draw(aware),
        site_id=draw(site_ids),
        source=draw(st.sampled_from(ObservationSource)),
        sensors=SensorReadings(**readings),
        errors=errors,
    )


@given(observations())
def test_observation_roundtrip_property(model: ObservationV1) -> None:
    line = model.model_dump_json()
    assert ObservationV1.model_validate_json(line) == model
    assert ObservationV1.model_validate(json.loads(line)) == model


@given(
    st.builds(
        SensorHealthV1,
        schema_version=st.just("1.0"),
        timestamp=aware,
        site_id=site_ids,
        sensor=st.sampled_from(SensorKey),
        status=st.sampled_from(HealthStatus),
        fault=st.sampled_from(SensorFault),
        since=aware,
        evidence=evidence,
    )
)
def test_sensor_health_roundtrip_property(model: SensorHealthV1) -> None:
    line = model.model_dump_json()
    again = SensorHealthV1.model_validate_json(line)
    assert again == model
    assert again.model_dump_json() == line

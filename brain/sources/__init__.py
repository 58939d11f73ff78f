"""Observation sources: everything that yields ObservationV1 + DeviceStatusV1.

The seam is :class:`brain.sources.base.Source`; concrete sources live one per
module (``synthetic``, ``replay``, ``csv_import``) and the Pi's lives in the
``hardware`` package, found through the ``brain.sources`` entry-point group.
"""

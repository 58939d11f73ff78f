"""Raspberry Pi drivers for brain: sensors on I2C/GPIO and relay status pins.

This package sits beside ``brain`` in the same distribution. It may import
``brain.contracts``, ``brain.errors`` and the ``brain.sources`` protocol; ``brain``
never imports it: the daemon finds it through the ``brain.sources`` entry point
(``hardware.plugin:PLUGIN``). Start reading at ``hardware/source.py``; the design
is in docs/deployment.md, section 10.

The vendor libraries (Adafruit CircuitPython, gpiozero) are imported lazily by
the driver that needs them, so a laptop without the ``pi`` extra is unaffected.
"""

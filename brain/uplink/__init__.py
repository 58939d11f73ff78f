"""The uplink: brain's records to an MQTT broker, Home Assistant and alert channels (``brain uplink``).

A consumer of the data root like any reader: it follows the JSONL streams the
daemon writes, with one cursor per stream in ``DATA_ROOT/uplink/``, and never
reaches into the daemon, which never waits for it (import-linter keeps
``brain.daemon`` and ``brain.uplink`` apart). docs/fleet.md describes the
messages; docs/deployment.md the broker, the unit and the credentials.

Lean by design: ``brain uplink`` has a 40 MB memory budget (docs/performance.md), so
nothing here imports the record models (:mod:`brain.contracts`), the storage package
or the whole configuration (:mod:`brain.config`); lines are read as JSON
(:mod:`~brain.uplink.records`), the names come from :mod:`brain.names`, the file
layout from :mod:`brain.layout`.

Modules: :mod:`~brain.uplink.settings` (``[uplink]``), :mod:`~brain.uplink.cursor`,
:mod:`~brain.uplink.follow`, :mod:`~brain.uplink.window` (acknowledged prefix),
:mod:`~brain.uplink.messages` (topics, envelope), :mod:`~brain.uplink.live`,
:mod:`~brain.uplink.records` (a line read as JSON), :mod:`~brain.uplink.discovery`
(Home Assistant), :mod:`~brain.uplink.publisher` (paho-mqtt, imported only when
``brain uplink`` runs), :mod:`~brain.uplink.service` (the loop), :mod:`~brain.uplink.alerts`
(ntfy, webhook), :mod:`~brain.uplink.lag`, :mod:`~brain.uplink.lock` (one uplink per data root).

Nothing is imported here: ``brain.config`` reads :mod:`~brain.uplink.settings` for the
``[uplink]`` section, and the daemon (which loads the whole configuration) should not pay
for the cursors, the follower and the lag at its start (issue 29: start to READY). Import
each module by its name.
"""

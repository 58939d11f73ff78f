"""Seeing what brain wrote: ``brain status``, the grower's day and week report, and CSV export.

A consumer of the data root: everything here reads the JSONL through brain.storage's public
reader (``iter_records``, ``DatasetManager``) and never reaches into a running daemon, which
never waits on it. Charts need matplotlib, the optional extra ``brain[report]``; status and
CSV export need nothing beyond brain itself.

- :mod:`brain.report.status`: one screen on the state of a data root, cheap enough for a
  monitoring plugin (reads only the newest folders and the tails of files).
- :mod:`brain.report.report`: :func:`day_report` and :func:`week_report`, a self-contained HTML page.
- :mod:`brain.report.export_csv`: states or observations (with VPD) as CSV with a local-time column.
"""

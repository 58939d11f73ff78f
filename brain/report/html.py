"""A self-contained HTML page: inline CSS, charts as base64 PNG data URLs, no external URL of any kind.

Why self-contained: the page is mailed, copied to a USB stick or opened on a laptop in a
greenhouse without internet; a stylesheet, font or script from elsewhere would fail there
(and would tell a third party who reads the report). Tests open it in headless Chromium and
check that nothing is requested from outside.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from brain.report.plots import Chart

CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; background: #f4f6f4;
       color: #263238; }
main { max-width: 1160px; margin: 0 auto; padding: 20px 24px 40px; }
header { background: #2e6b3f; color: #fff; padding: 18px 24px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; opacity: 0.9; font-size: 14px; }
h2 { font-size: 19px; margin: 28px 0 10px; color: #2e6b3f; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; min-width: 160px; flex: 1;
        border-top: 5px solid #9e9e9e; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.card .value { font-size: 26px; font-weight: bold; }
.card .label { font-size: 13px; color: #546e7a; }
.card .hint { font-size: 12px; color: #78909c; }
.good { border-top-color: #27ae60; } .warn { border-top-color: #f39c12; } .bad { border-top-color: #e74c3c; }
.notes { background: #fff8e1; border-left: 5px solid #f39c12; padding: 10px 16px; border-radius: 6px; }
.notes li { margin: 4px 0; }
.ok-note { background: #e8f5e9; border-left-color: #27ae60; }
figure { background: #fff; margin: 0 0 14px; padding: 10px 12px 6px; border-radius: 8px;
         box-shadow: 0 1px 3px rgba(0,0,0,.12); }
figure img { width: 100%; height: auto; display: block; }
.plot { position: relative; }
.mark { position: absolute; width: 18px; height: 18px; margin: -9px 0 0 -9px; border-radius: 50%;
        cursor: help; }
.mark:hover { box-shadow: 0 0 0 2px #6a1b9a; }
.verdict { font-size: 18px; font-weight: bold; background: #fff; border-left: 6px solid #9e9e9e;
           padding: 12px 16px; border-radius: 6px; margin-top: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.verdict.good { border-left-color: #27ae60; } .verdict.warn { border-left-color: #f39c12; }
.verdict.bad { border-left-color: #e74c3c; }
.partial { border-top-color: #9e9e9e; border-top-style: dashed; }
.partial .value { color: #78909c; }
figcaption { font-weight: bold; font-size: 15px; margin-bottom: 4px; }
table { border-collapse: collapse; background: #fff; width: 100%; box-shadow: 0 1px 3px rgba(0,0,0,.12);
        border-radius: 8px; overflow: hidden; font-size: 14px; }
th, td { padding: 7px 10px; text-align: right; border-bottom: 1px solid #eceff1; }
th:first-child, td:first-child { text-align: left; }
table.text th, table.text td { text-align: left; }
th { background: #e8f0e9; color: #2e4d36; }
.sev-critical { color: #c0392b; font-weight: bold; } .sev-warning { color: #b9770e; font-weight: bold; }
footer { font-size: 12px; color: #607d8b; margin-top: 30px; line-height: 1.5; }
"""

NO_VALUE = "\N{EN DASH}"
"""What a table cell or card shows where there is no value."""

Card = tuple[str, str, str, str]
"""``(value, label, hint, verdict)``; the verdict (``good``, ``warn``, ``bad`` or ``""``) colours the card."""


def page(title: str, subtitle: str, body: Sequence[str]) -> str:
    """The whole document around already-escaped body fragments."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body><header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<main>{''.join(body)}</main></body></html>\n"
    )


def heading(text: str) -> str:
    """A section heading."""
    return f"<h2>{escape(text)}</h2>"


def cards(items: Sequence[Card]) -> str:
    """The row of headline figures."""
    parts = [
        f'<div class="card {verdict}"><div class="value">{escape(value)}</div>'
        f'<div class="label">{escape(label)}</div><div class="hint">{escape(hint)}</div></div>'
        for value, label, hint, verdict in items
    ]
    return f'<div class="cards">{"".join(parts)}</div>'


def notes(items: Sequence[str], *, empty: str) -> str:
    """What is missing (an amber box), or a green line saying nothing is."""
    if not items:
        return f'<div class="notes ok-note">{escape(empty)}</div>'
    return '<div class="notes"><ul>' + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul></div>"


def figure(chart: Chart) -> str:
    """A chart as an inline PNG with its caption."""
    data = base64.b64encode(chart.png).decode("ascii")
    marks = "".join(
        f'<span class="mark" style="left:{mark.left_pct:.2f}%;top:{mark.top_pct:.2f}%" '
        f'title="{escape(mark.title)}"></span>'
        for mark in chart.marks
    )
    return (
        f'<figure id="chart-{escape(chart.key)}"><figcaption>{escape(chart.title)}</figcaption>'
        f'<div class="plot"><img alt="{escape(chart.alt)}" src="data:image/png;base64,{data}">{marks}</div>'
        "</figure>"
    )


def verdict(text: str, level: str) -> str:
    """The day in one line, above everything else; ``level`` (``good``, ``warn``, ``bad``) colours it."""
    return f'<p class="verdict {level}" id="verdict">{escape(text)}</p>'


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    row_classes: Sequence[str] = (),
    *,
    text: bool = False,
) -> str:
    """A plain table; cells are text and are escaped here; ``text``: every column left-aligned (sentences)."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = []
    for index, row in enumerate(rows):
        css = row_classes[index] if index < len(row_classes) and row_classes[index] else ""
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
        body.append(f'<tr class="{css}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    opening = '<table class="text">' if text else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def footer(lines: Sequence[str]) -> str:
    """Small print: how the figures were computed, where the bands come from, what made the folder."""
    return "<footer>" + "<br>".join(escape(line) for line in lines) + "</footer>"

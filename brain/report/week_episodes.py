"""The week's anomaly episodes, each once: numbered in time order, with its levels over the whole week.

A day's summary knows the episodes that touched that day; an episode over midnight is in two
of them. The week lists each once, numbers it (the number is drawn on the curve where it
began) and takes its facts from the last day that saw it: that day read the most of its
records (a severity change or the end on a later day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from brain.episodes import Episode
from brain.report.day_page import episode_peak
from brain.report.daystats import DaySummary
from brain.report.timeline import Span


@dataclass(frozen=True)
class WeekEpisode:
    """One episode of the week: its number, its worst value in the week, its trigger threshold, its levels."""

    number: int
    episode: Episode
    peak: float
    threshold: float
    levels: list[Span]
    """Its severities as they happened, clipped to the week."""


def week_episodes(summaries: Sequence[DaySummary]) -> list[WeekEpisode]:
    """Every episode that touched the week, once, in order of its start."""
    start, end = summaries[0].window.start, summaries[-1].window.end
    seen: dict[object, tuple[Episode, DaySummary, list[float]]] = {}
    for summary in summaries:
        for episode in summary.episodes:
            _, _, peaks = seen.get(episode.key, (episode, summary, []))
            seen[episode.key] = (episode, summary, [*peaks, episode_peak(summary, episode)])
    ordered = sorted(seen.values(), key=lambda item: (item[0].started_at, item[0].kind.value))
    found = []
    for number, (episode, last, peaks) in enumerate(ordered, start=1):
        spans = last.severity_spans.get(episode.key) or []
        levels = [Span(max(s.start, start), min(s.end, end), s.label) for s in spans]
        found.append(
            WeekEpisode(
                number=number,
                episode=episode,
                peak=min(peaks) if episode.peak_is_low else max(peaks),
                threshold=last.trigger_thresholds.get(episode.key, episode.threshold),
                levels=[span for span in levels if span.end > span.start],
            )
        )
    return found

"""Screens of voice practice and `transcribe`: the level meter, transcripts, delivery figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console
from interviewer.cli.render.grade import format_seconds
from interviewer.cli.render.literal import field, literal, visible

METER_WIDTH = 30
_FLOOR_DBFS = -60.0


def level_meter(level_dbfs: float, elapsed: float, *, silence_dbfs: float, quiet_for: float = 0.0,
                stops_after: float | None = None) -> Text:
    """● REC 0:12  ██████████░░░░░░░░  -24 dB   (Enter to stop)"""
    filled = int(round(METER_WIDTH * min(1.0, max(0.0, (level_dbfs - _FLOOR_DBFS) / -_FLOOR_DBFS))))
    loud = level_dbfs >= silence_dbfs
    text = Text.assemble(
        ("● REC ", "bold red"), (f"{format_seconds(elapsed):>5}  ", "bold"),
        ("█" * filled, "green" if loud else "dim"), ("░" * (METER_WIDTH - filled), "dim"),
        (f" {level_dbfs:5.0f} dB  ", "dim"),
    )
    if stops_after is not None and quiet_for >= 1.0:
        text.append(f"silence: stops in {max(0.0, stops_after - quiet_for):.0f}s  ", style="yellow")
    text.append("Enter to stop", style="dim")
    return text


def delivery_lines(delivery: dict[str, Any]) -> list[RenderableType]:
    """The delivery part of a grade panel (or of `transcribe`)."""
    wpm = delivery.get("words_per_minute")
    pace = f"{wpm:.0f} words/min" if wpm is not None else "too short to time"
    if wpm is not None:
        pace += " (slow)" if wpm < 110 else " (fast)" if wpm > 170 else ""
    fillers = delivery.get("fillers") or {}
    filler_text = visible(", ".join(f"{word} ×{count}" for word, count in fillers.items()) or "none heard")
    pauses = delivery.get("long_pauses") or []
    pause_text = (f"{len(pauses)} (longest {max(p['seconds'] for p in pauses):.1f}s)" if pauses else "none")
    used = visible(", ".join(f"{item['word']} ×{item['count']}" for item in delivery.get("most_used") or []) or "-")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Pace:", Text(f"{pace}, {delivery.get('words', 0)} words in "
                                f"{format_seconds(delivery.get('speaking_s'))}"))
    grid.add_row("Fillers:", Text(f"{delivery.get('filler_count', 0)}: {filler_text}"))
    grid.add_row("Long pauses:", Text(pause_text))
    grid.add_row("Most used:", Text(used))
    return [Text("Delivery", style="bold cyan"), grid]


def show_transcription(path: Path, spoken: Any) -> None:
    transcript, delivery = spoken.transcript, spoken.delivery.to_json()
    console.print(Panel(
        Group(literal(transcript.text or "(no speech recognised)"), Text(""), *delivery_lines(delivery)),
        title=field(f"{path.name} · {format_seconds(transcript.duration_s)}"), title_align="left", border_style="cyan",
        subtitle=f"transcribed in {transcript.seconds_taken:.1f}s", subtitle_align="right",
    ))


def show_transcript(text: str, *, seconds: float) -> None:
    console.print(Text.assemble(("Transcript", "bold cyan"), (f" ({format_seconds(seconds)} recorded):", "dim")))
    for line in (text or "(no speech recognised)").split("\n"):
        console.print(Text.assemble(("│ ", "dim"), visible(line)))


VOICE_INSTRUCTIONS = (
    "Press Enter to start recording, Enter again to stop (or stay silent {silence:g}s).  "
    "Commands: /hint  /skip  /quit  (or type your answer)"
)
REVIEW_INSTRUCTIONS = "Enter: accept it · /edit: correct it · /redo: record again · /skip · /quit"


def show_voice_instructions(silence: float) -> None:
    console.print(Text(VOICE_INSTRUCTIONS.format(silence=silence), style="dim"))


def show_review_instructions() -> None:
    console.print(Text(REVIEW_INSTRUCTIONS, style="dim"))


def show_kept_recording(seconds: float) -> None:
    console.print(Text(
        f"A recording of {format_seconds(seconds)} was kept from when the session stopped: "
        "Enter transcribes it, /redo records anew.", style="bold yellow"))


def show_speech_unavailable(reason: str) -> None:
    console.print(Text(f"Questions are shown only: {reason}.", style="yellow"))


def show_voice_note(message: str) -> None:
    console.print(Text(message, style="dim"))


def voice_instructions(silence: float) -> str:
    return VOICE_INSTRUCTIONS.format(silence=silence)


_ENDINGS = {"enter": "Enter pressed", "silence": "silence", "end_of_source": "end of the recording",
            "time_limit": "time limit"}


def show_recorded(seconds: float, ended_by: str) -> None:
    console.print(Text(f"Recorded {format_seconds(seconds)} (stopped: {_ENDINGS.get(ended_by, ended_by)}).",
                       style="dim"))


def transcribing() -> Any:
    from contextlib import nullcontext

    return console.status("Transcribing…") if console.is_terminal else nullcontext()


class RecordingMeter:
    """The live level meter and elapsed time while recording (on a terminal only)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._live: Any = None
        self._quiet = 0.0
        self._heard = False
        self._last = -1.0

    def __enter__(self) -> "RecordingMeter":
        if console.is_terminal:
            from rich.live import Live

            self._live = Live(self._render(-100.0, 0.0), console=console, auto_refresh=False, transient=True)
            self._live.start()
        else:
            console.print(Text("● REC (recording)", style="bold red"))
        return self

    def _render(self, level: float, elapsed: float) -> Text:
        stops_after = self.settings.silence_seconds if self._heard else self.settings.lead_in_seconds
        return level_meter(level, elapsed, silence_dbfs=self.settings.silence_dbfs, quiet_for=self._quiet,
                           stops_after=stops_after)

    def update(self, level: float, elapsed: float) -> None:
        if level >= self.settings.silence_dbfs:
            self._heard, self._quiet = True, 0.0
        else:
            self._quiet += 0.1
        # Twice a second: redrawing at every chunk took the CPU the transcription needs.
        if self._live is not None and elapsed - self._last >= 0.5:
            self._last = elapsed
            self._live.update(self._render(level, elapsed), refresh=True)

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()


def delivery_table(rows: list[Any]) -> Table:
    """`stats`: the delivery of spoken answers, one session a row (latest last)."""
    table = Table(title="Delivery of spoken answers (per session)", title_justify="left")
    table.add_column("Session")
    table.add_column("Started")
    table.add_column("Spoken", justify="right")
    table.add_column("words/min", justify="right")
    table.add_column("Fillers", justify="right")
    table.add_column("per min", justify="right")
    table.add_column("Long pauses", justify="right")
    for row in rows:
        table.add_row(row.session_id[:8], row.started_at[:16].replace("T", " "), str(row.spoken),
                      f"{row.words_per_minute:.0f}" if row.words_per_minute is not None else "-",
                      str(row.fillers), f"{row.fillers_per_minute:.1f}" if row.fillers_per_minute is not None else "-",
                      str(row.long_pauses))
    return table

"""The line under the header: the screens, where you are, and how many changes await approval."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

# (mode, key, label) in the order of their keys
PAGES: tuple[tuple[str, str, str], ...] = (
    ("campaigns", "1", "Campaigns"),
    ("approvals", "2", "Approvals"),
    ("experiments", "3", "Experiments"),
    ("history", "4", "History"),
    ("rules", "5", "Rules"),
    ("prompt", "6", "Meta-prompt"),
)


class NavBar(Widget):
    DEFAULT_CSS = """
    NavBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, mode: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mode = mode

    def on_mount(self) -> None:
        self.watch(self.app, "awaiting_count", lambda _: self.refresh(), init=False)

    def render(self) -> RenderResult:
        awaiting = getattr(self.app, "awaiting_count", 0)
        parts: list[Content | tuple[str, str] | str] = []
        for i, (mode, key, label) in enumerate(PAGES):
            if i:
                parts.append("  ")
            style = "bold reverse" if mode == self.mode else ""
            text = f"{key} {label}"
            piece = Content.styled(text, style) if style else Content(text)
            parts.append(piece.stylize(f"@click=app.switch_mode('{mode}')"))
            if mode == "approvals" and awaiting:
                parts.append((f" {awaiting}", "bold $warning"))
        return Content.assemble(*parts)

"""Each target metric of a campaign against its target: the gap the rules computed, and a trend."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from rich.console import RenderableType
from textual.geometry import Size
from textual.widget import Widget

from tui import format as fmt
from tui.data.dashboard import CampaignRow
from tui.text import line


def targets_table(campaign: CampaignRow, trend_width: int = 8) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_edge=False, header_style="bold")
    table.add_column("metric", no_wrap=True, ratio=1, min_width=13, overflow="ellipsis")
    table.add_column("now", justify="right", no_wrap=True)
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("gap", justify="right", no_wrap=True)
    table.add_column("trend", no_wrap=True, min_width=trend_width)
    for t in campaign.targets:
        now_style = "bold red" if t.exceeds else ""
        table.add_row(
            line(fmt.metric_label(t.metric, t.segment)),
            Text(fmt.value(t.metric, t.current), style=now_style),
            Text(fmt.target(t.metric, t.target, t.direction)),
            fmt.gap_text(t.metric, t.gap, t.exceeds),
            Text(fmt.spark(t.trend, trend_width), style="red" if t.exceeds else "cyan"),
        )
    return table


class TargetsView(Widget):
    """The targets of the highlighted campaign (read-only, no cursor); drawn at its current width."""

    DEFAULT_CSS = """
    TargetsView {
        height: auto;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.campaign: CampaignRow | None = None

    def show(self, campaign: CampaignRow | None) -> None:
        self.campaign = campaign
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # A header and one line a target (no cell wraps): counted, not drawn a second time to measure
        campaign = self.campaign
        if width and campaign is not None and campaign.targets:
            return 1 + len(campaign.targets)
        return super().get_content_height(container, viewport, width)

    def render(self) -> RenderableType:
        campaign = self.campaign
        if campaign is None:
            return Text("No campaign yet: press g to set a goal.", style="dim")
        if not campaign.targets:
            return Text("No targets: the rule files could not be read.", style="dim")
        # the trend takes what the other columns leave, 8 to 16 points
        return targets_table(campaign, trend_width=max(8, min(16, self.size.width - 44)))

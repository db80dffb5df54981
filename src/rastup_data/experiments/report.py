"""A self-contained HTML report of an analysis: inline CSS, inline SVG interval plots, no CDN."""

from __future__ import annotations

import math
from html import escape

from rastup_data.experiments.stats import Direction, ExperimentResult, MetricResult

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1f2430;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.badge{display:inline-block;padding:.25rem .7rem;border-radius:1rem;font-weight:600;color:#fff}
.ship{background:#1a7f37}.stop{background:#b42318}.continue{background:#9a6700}
.invalid{background:#6e2594}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f6f8fa}
.code{font-family:ui-monospace,monospace;font-size:12px;background:#f1f3f5;padding:0 .3rem;
border-radius:.2rem;margin-right:.2rem}.muted{color:#667085}.sig{font-weight:700}
svg text{font:11px system-ui,sans-serif;fill:#344054}
"""


def _fmt(value: float, digits: int = 4) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value * 100:+.2f} %"


def _codes(codes: tuple[str, ...]) -> str:
    return "".join(f'<span class="code">{escape(c)}</span>' for c in codes) or ""


def _interval_plot(rows: list[MetricResult]) -> str:
    """Relative-lift intervals per treatment around a zero line."""
    finite = [
        r for r in rows if math.isfinite(r.relative_ci_low) and math.isfinite(r.relative_ci_high)
    ]
    if not finite:
        return ""
    reach = max(max(abs(r.relative_ci_low), abs(r.relative_ci_high)) for r in finite) * 1.15
    reach = reach or 0.01
    width, left, right, row_h = 640, 120, 20, 26
    height = row_h * len(finite) + 30

    def x(value: float) -> float:
        return left + (value + reach) / (2 * reach) * (width - left - right)

    parts = [
        f'<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{x(0):.1f}" y1="4" x2="{x(0):.1f}" y2="{height - 22}" '
        'stroke="#98a2b3" stroke-dasharray="3 3"/>',
        f'<text x="{x(-reach):.1f}" y="{height - 6}">{_pct(-reach)}</text>',
        f'<text x="{x(0) - 8:.1f}" y="{height - 6}">0</text>',
        f'<text x="{x(reach) - 50:.1f}" y="{height - 6}">{_pct(reach)}</text>',
    ]
    for i, r in enumerate(finite):
        y = 16 + i * row_h
        good = (r.relative_effect > 0) == (r.direction is Direction.INCREASE)
        colour = "#667085" if not r.significant else ("#1a7f37" if good else "#b42318")
        parts += [
            f'<text x="4" y="{y + 4}">{escape(r.variant)}</text>',
            f'<line x1="{x(r.relative_ci_low):.1f}" y1="{y}" x2="{x(r.relative_ci_high):.1f}" '
            f'y2="{y}" stroke="{colour}" stroke-width="3" stroke-linecap="round"/>',
            f'<circle cx="{x(r.relative_effect):.1f}" cy="{y}" r="4.5" fill="{colour}"/>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _metric_section(rows: list[MetricResult]) -> str:
    first = rows[0]
    flags = [first.kind, first.role]
    if first.cuped:
        flags.append("CUPED")
    if first.sequential:
        flags.append("sequential")
    head = (
        f"<h2>{escape(first.metric)} <span class='muted'>({escape(', '.join(flags))}; "
        f"{escape(first.direction.value)} is better)</span></h2>"
    )
    body = [
        "<table><tr><th>variant</th><th>n</th><th>mean</th><th>adjusted mean</th>"
        "<th>effect</th><th>effect CI</th><th>relative</th><th>relative CI</th>"
        "<th>p</th><th>p adjusted</th><th>guardrail</th><th>codes</th></tr>"
    ]
    for r in rows:
        sig = ' class="sig"' if r.significant else ""
        ci = "" if r.is_control else f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        rel = "" if r.is_control else _pct(r.relative_effect)
        rel_ci = "" if r.is_control else f"[{_pct(r.relative_ci_low)}, {_pct(r.relative_ci_high)}]"
        label = escape(r.variant) + (" (control)" if r.is_control else "")
        body.append(
            f"<tr><td>{label}</td><td>{r.n:,}</td><td>{_fmt(r.mean)}</td>"
            f"<td>{_fmt(r.adjusted_mean)}</td><td{sig}>{_fmt(r.effect)}</td><td>{ci}</td>"
            f"<td{sig}>{rel}</td><td>{rel_ci}</td>"
            f"<td>{_fmt(r.p_value, 3)}</td><td>{_fmt(r.p_value_adjusted, 3)}</td>"
            f"<td>{escape(r.guardrail or '')}</td><td>{_codes(r.codes)}</td></tr>"
        )
    body.append("</table>")
    return head + "".join(body) + _interval_plot([r for r in rows if not r.is_control])


def render_html(result: ExperimentResult, title: str = "Experiment analysis") -> str:
    """The whole report as one HTML document."""
    rec = escape(result.recommendation)
    winner = f" — {escape(result.winner)}" if result.winner else ""
    variants = "".join(
        f"<tr><td>{escape(v.variant)}</td><td>{v.n:,}</td><td>{v.weight:.4g}</td>"
        f"<td>{_fmt(v.expected_n, 8)}</td></tr>"
        for v in result.variants
    )
    metrics: dict[str, list[MetricResult]] = {}
    for row in result.results:
        metrics.setdefault(row.metric, []).append(row)
    mode = "sequential (always valid)" if result.sequential else "fixed horizon"
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f"<p><span class='badge {rec}'>{rec.upper()}{winner}</span></p>",
            "<ul>" + "".join(f"<li>{escape(r)}</li>" for r in result.reasons) + "</ul>",
            f"<p class='muted'>control {escape(result.control)} · alpha {result.alpha:g} · "
            f"{mode} · correction {escape(result.correction)}</p>",
            f"<p>Result codes: {_codes(result.codes) or 'none'}</p>",
            "<h2>Sample ratio</h2>",
            f"<p>SRM p-value {_fmt(result.srm_p_value, 3)} — "
            f"{'<b>mismatch</b>' if result.srm_flag else 'no mismatch'} (flag at p &lt; 0.001)</p>",
            "<table><tr><th>variant</th><th>units</th><th>weight</th><th>expected</th></tr>",
            variants,
            "</table>",
            *(_metric_section(rows) for rows in metrics.values()),
            "</body></html>",
        ]
    )

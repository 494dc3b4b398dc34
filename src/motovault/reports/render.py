"""HTML with the charts inline, and its PDF (WeasyPrint)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from .charts import cost_chart, economy_chart
from .data import FleetReport, VehicleReport

STYLE = """
@page { size: A4; margin: 1cm; }
body { font-family: sans-serif; font-size: 10pt; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: 7.5pt; table-layout: fixed; word-wrap: break-word; }
th, td { border-bottom: 1px solid #ccc; padding: 2px 6px; text-align: left; }
td.n { text-align: right; }
img { width: 100%; }
"""


def _cell(value: object) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return f'<td class="n">{escape(str(value))}</td>'
    return f"<td>{escape(str(value))}</td>"


def table(rows: Sequence[dict[str, Any]], columns: Iterable[str], id_: str) -> str:
    cols = list(columns)
    head = "".join(f"<th>{escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(_cell(r.get(c)) for c in cols) + "</tr>" for r in rows)
    return f'<table id="{escape(id_)}"><tr>{head}</tr>{body}</table>'


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>")


def vehicle_html(report: VehicleReport) -> str:
    v = report.vehicle
    title = f"{v['display_name']} ({' '.join(str(x) for x in (v['year'], v['make'], v['model']) if x)})"
    currency = report.tco_months[0]["currency"] if report.tco_months else ""
    body = [
        f"<p>Odometer {escape(str(v['odometer_reading']))} {escape(v['odometer_unit'])}.</p>",
        "<h2>Economy over time</h2>", _img(economy_chart(report.economy), "economy per energy source"),
        "<h2>Cost per month</h2>", _img(cost_chart(report.tco_months, currency), "cost per month by category"),
        "<h2>Cost of ownership per year</h2>",
        table(report.tco_years, ("year", "currency", "energy", "maintenance", "expenses", "depreciation", "total",
                                 "distance", "cost_per_100"), "tco-years"),
        "<h2>Energy and cost per distance</h2>",
        table(report.energy, ("source_name", "currency", "fill_ups", "volume", "volume_unit", "energy_kwh", "cost",
                              "distance", "distance_unit", "volume_per_100", "kwh_per_100", "cost_per_100"), "energy"),
        "<h2>Service history</h2>",
        table(report.services, ("completed_on", "odometer", "odometer_unit", "type", "description", "cost",
                                "currency"), "services"),
        "<h2>Upcoming reminders</h2>",
        table(report.reminders, ("due_on", "due_odometer", "odometer_unit", "title", "category"), "reminders"),
    ]
    return _page(title, "".join(body))


def fleet_html(report: FleetReport) -> str:
    currency = report.months[0]["currency"] if report.months else ""
    body = [
        "<h2>Cost per month</h2>", _img(cost_chart(report.months, currency), "fleet cost per month by category"),
        table(report.months, ("month", "currency", "vehicles", "energy", "maintenance", "expenses", "depreciation",
                              "total"), "fleet-months"),
        "<h2>Vehicles per year</h2>",
        table(report.vehicles, ("display_name", "year", "currency", "total", "distance", "cost_per_100"),
              "fleet-vehicles"),
    ]
    return _page(f"Fleet report: {report.tenant['name']}", "".join(body))


def pdf_bytes(html: str) -> bytes:
    """The PDF of a report's HTML (WeasyPrint)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    data = HTML(string=html).write_pdf()
    assert isinstance(data, bytes)
    return data


def write(html: str, out: Path, stem: str) -> tuple[Path, Path]:
    """stem.html and stem.pdf in out."""
    out.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(html, encoding="utf-8")
    pdf_path.write_bytes(pdf_bytes(html))
    return html_path, pdf_path

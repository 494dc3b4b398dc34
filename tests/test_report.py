"""`motovault report vehicle|fleet`: HTML and PDF with charts; the numbers are the views' numbers."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from motovault.cli import main
from support.databases import ClonedDatabase, clone_name

TENANT = "7e000000-0000-4000-8000-000000000001"
CAR = "7e000000-0000-4000-8000-0000000000c1"


@pytest.fixture(scope="module")
def db(postgresql_template: object) -> Iterator[ClonedDatabase]:
    with ClonedDatabase(postgresql_template, clone_name("report")) as clone:
        with clone.connect() as conn:
            conn.execute(f"""
                insert into app.tenants (id, name) values ('{TENANT}', 'Report household');
                insert into app.vehicles (tenant_id, id, display_name, make, model, year, odometer_unit)
                values ('{TENANT}', '{CAR}', 'Family car', 'Skoda', 'Octavia', 2019, 'km');
                insert into app.energy_sources (tenant_id, vehicle_id, tank_number, name, fuel_types, unit)
                values ('{TENANT}', '{CAR}', 1, 'Petrol tank', '{{gasoline}}', 'l'),
                       ('{TENANT}', '{CAR}', 2, 'LPG tank', '{{lpg}}', 'l');
                insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, odometer_unit, fuel_type,
                                           volume, volume_unit, price_per_unit, currency)
                select '{TENANT}', '{CAR}', date '2024-01-01' + 10 * g, 10000 + 400 * g, 'km',
                       case when g % 2 = 0 then 'gasoline' else 'lpg' end, 30 + g % 3, 'l',
                       case when g % 2 = 0 then 1.80 else 0.80 end, 'EUR'
                from generate_series(0, 11) as g;
                insert into app.maintenance (tenant_id, vehicle_id, series_id, type, description, completed_on,
                                             odometer, odometer_unit, cost, currency)
                values ('{TENANT}', '{CAR}', gen_random_uuid(), 'oil_change', 'Oil and filter', '2024-02-15', 12000,
                        'km', 180, 'EUR');
                insert into app.expenses (tenant_id, vehicle_id, category, title, incurred_on, amount, currency,
                                          recur_months, recur_until)
                values ('{TENANT}', '{CAR}', 'insurance', 'Insurance', '2024-01-05', 45, 'EUR', 1, '2024-04-30');
                insert into app.vehicle_ownership (tenant_id, vehicle_id, purchased_on, purchase_price,
                                                   purchase_odometer, currency, estimated_value, estimated_on)
                values ('{TENANT}', '{CAR}', '2024-01-01', 15000, 10000, 'EUR', 14000, '2024-05-01');
                insert into app.reminders (tenant_id, vehicle_id, title, category, due_on, odometer_unit)
                values ('{TENANT}', '{CAR}', 'Inspection', 'inspection', '2030-06-01', 'km');
            """)
        yield clone


def view_total(db: ClonedDatabase) -> str:
    with db.connect() as conn:
        conn.execute("select set_config('request.jwt.claims', %s, false)", (f'{{"tenant_id":"{TENANT}"}}',))
        row = conn.execute("select total from api.vehicle_tco_years where vehicle_id = %s", (CAR,)).fetchone()
    assert row is not None
    return str(row[0])


def test_vehicle_report_html_and_pdf_show_the_views_numbers(db: ClonedDatabase, tmp_path: Path) -> None:
    assert main(["report", "vehicle", CAR, "--dsn", db.url("motovault_owner"), "--out", str(tmp_path)]) == 0
    html = (tmp_path / f"vehicle-{CAR}.html").read_text()
    years = re.search(r'<table id="tco-years">(.*?)</table>', html, re.S)
    assert years is not None and f">{view_total(db)}<" in years.group(1)
    assert "Oil and filter" in html and "Inspection" in html and "LPG tank" in html
    assert html.count("data:image/png;base64,") == 2
    pdf = tmp_path / f"vehicle-{CAR}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and pages[0].read_bytes().startswith(b"\x89PNG") and pages[0].stat().st_size > 10_000


def test_fleet_report_and_errors(db: ClonedDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "fleet", TENANT, "--dsn", db.url("motovault_owner"), "--out", str(tmp_path)]) == 0
    html = (tmp_path / f"fleet-{TENANT}.html").read_text()
    assert "Family car" in html and (tmp_path / f"fleet-{TENANT}.pdf").read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    missing = "7e000000-0000-4000-8000-0000000000ff"
    assert main(["report", "vehicle", missing, "--dsn", db.url("motovault_owner"), "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == f"motovault report: error: no vehicle {missing}"

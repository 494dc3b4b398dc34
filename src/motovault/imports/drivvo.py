"""Drivvo CSV export: one file in `##` sections (refuelling, service, expense, ...), headers and
section titles in the phone's language. Read in English, Portuguese, Spanish, Russian and Italian.

A vehicle section (`## Vehicle`, `## Veículo`, ...: name, make, model, year, plate) describes the
vehicle. A record section is recognised by its header (a volume column: refuelling; a service type: service; an
expense type: expense), else by its title. Drivvo writes no currency and no missed flag; the full
tank flag is its own yes/no in the phone's language. Sections without records for motovault
(reminders, routes, checklists, incomes) give each of their rows a `not_imported` problem.
"""

from __future__ import annotations

from dataclasses import replace

from .columns import Columns, has_any, norm
from .draft import Draft, finish, overflow
from .model import FormatError, Kind, ParsedFile, Problem, VehicleRef
from .options import Options
from .text import Table, read_records, section_title, sections, sniff_delimiter

COMMON: dict[str, tuple[str, ...]] = {
    "vehicle": ("Vehicle", "Veículo", "Vehículo", "Автомобиль", "Транспортное средство", "Veicolo"),
    "date": ("Date", "Data", "Fecha", "Дата"),
    "time": ("Time", "Hora", "Время", "Ora"),
    "odometer": ("Odometer", "Odômetro", "Odómetro", "Odometro", "Kilometraje", "Одометр", "Пробег",
                 "Contachilometri", "Chilometraggio"),
    "total": ("Total cost", "Total", "Cost", "Valor total", "Custo total", "Costo total", "Importe total",
              "Общая стоимость", "Стоимость", "Сумма", "Costo totale", "Importo totale", "Importo"),
    "notes": ("Notes", "Note", "Observation", "Observações", "Observação", "Observaciones", "Observación",
              "Notas", "Примечание", "Примечания", "Заметки", "Комментарий", "Nota", "Osservazioni"),
    "place": ("Place", "Location", "Local", "Lugar", "Место", "Luogo"),
}  # fmt: skip
FUEL: dict[str, tuple[str, ...]] = COMMON | {
    "fuel": ("Fuel", "Combustível", "Combustible", "Топливо", "Carburante"),
    "price": ("Price", "Price per unit", "Preço", "Preço por litro", "Precio", "Precio por litro", "Цена",
              "Цена за литр", "Prezzo", "Prezzo al litro", "Prezzo unitario"),
    "volume": ("Volume", "Liters", "Litres", "Quantity", "Litros", "Volumen", "Cantidad", "Литры", "Объём", "Объем",
               "Количество", "Litri", "Quantità"),
    "full": ("Full tank", "Full", "Tanque cheio", "Encheu o tanque", "Tanque lleno", "Llenó el tanque",
             "Полный бак", "Pieno", "Serbatoio pieno", "Pieno di carburante"),
    "station": ("Gas station", "Station", "Posto de combustível", "Posto", "Gasolinera", "Estación de servicio",
                "АЗС", "Заправка", "Distributore", "Stazione di servizio"),
}  # fmt: skip
SERVICE: dict[str, tuple[str, ...]] = COMMON | {
    "type": ("Type of service", "Service type", "Service", "Tipo de serviço", "Serviço", "Tipo de servicio",
             "Servicio", "Тип обслуживания", "Тип сервиса", "Обслуживание", "Tipo di servizio", "Servizio",
             "Tipo di manutenzione"),
}  # fmt: skip
EXPENSE: dict[str, tuple[str, ...]] = COMMON | {
    "type": ("Type of expense", "Expense type", "Expense", "Tipo de despesa", "Despesa", "Tipo de gasto", "Gasto",
             "Тип расхода", "Расход", "Tipo di spesa", "Spesa"),
}  # fmt: skip
VEHICLE: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Vehicle", "Nome", "Nombre", "Название", "Имя"),
    "make": ("Make", "Brand", "Manufacturer", "Marca", "Марка", "Производитель"),
    "model": ("Model", "Modelo", "Модель", "Modello"),
    "year": ("Year", "Model year", "Ano", "Año", "Год", "Anno"),
    "plate": ("License plate", "Plate", "Placa", "Matrícula", "Госномер", "Номер", "Targa"),
    "vin": ("VIN", "Chassi", "Chasis", "Telaio"),
}  # fmt: skip
VEHICLE_TITLES = ("Vehicle", "Vehicles", "Veículo", "Veículos", "Vehículo", "Vehículos", "Автомобиль", "Автомобили",
                  "Veicolo", "Veicoli")  # fmt: skip
TITLES: dict[str, tuple[str, ...]] = {
    "fuel": ("Refuelling", "Refueling", "Refuellings", "Abastecimento", "Abastecimentos", "Repostaje", "Repostajes",
             "Abastecimiento", "Заправка", "Заправки", "Rifornimento", "Rifornimenti"),
    "service": ("Service", "Services", "Serviço", "Serviços", "Servicio", "Servicios", "Обслуживание", "Сервис",
                "Servizio", "Servizi", "Manutenzione"),
    "expense": ("Expense", "Expenses", "Despesa", "Despesas", "Gasto", "Gastos", "Расход", "Расходы", "Spesa",
                "Spese"),
}  # fmt: skip


def _kind(table: Table) -> str | None:
    header = table.header
    if norm(table.title) in {norm(t) for t in VEHICLE_TITLES} or (
        not has_any(header, *COMMON["date"]) and has_any(header, *VEHICLE["plate"], *VEHICLE["make"])
    ):
        return "vehicle"
    if has_any(header, *FUEL["volume"]) and has_any(header, *FUEL["full"], *FUEL["fuel"]):
        return "fuel"
    if has_any(header, *SERVICE["type"]) and not has_any(header, *EXPENSE["type"]):
        return "service"
    if has_any(header, *EXPENSE["type"]):
        return "expense"
    title = norm(table.title)
    return next((kind for kind, names in TITLES.items() if title in {norm(n) for n in names}), None)


def _vehicles(table: Table) -> list[VehicleRef]:
    cols = Columns(table.header, VEHICLE)
    out = []
    for _line, cells in table.records:
        year = cols.get(cells, "year")
        out.append(
            VehicleRef(
                cols.get(cells, "name") or "default",
                name=cols.get(cells, "name") or None,
                vin=cols.get(cells, "vin") or None,
                plate=cols.get(cells, "plate") or None,
                make=cols.get(cells, "make") or None,
                model=cols.get(cells, "model") or None,
                year=int(year) if year.isdigit() else None,
            )  # fmt: skip
        )
    return out


def _match(described: list[VehicleRef], keys: list[str]) -> list[VehicleRef]:
    """The vehicles of the file: those its vehicle section describes (one described vehicle is the
    one rows without a vehicle column belong to), then any other name the rows give."""
    if len(described) == 1 and set(keys) <= {"default"}:
        described = [replace(described[0], key="default")]
    out = {v.key: v for v in described}
    for key in keys:
        out.setdefault(key, VehicleRef(key, name=None if key == "default" else key))
    return list(out.values()) or [VehicleRef("default")]


def parse(text: str, opts: Options) -> ParsedFile:
    delimiter = sniff_delimiter([line for line in text.splitlines() if not line.lstrip('"').startswith("#")][:20])
    tables = sections(read_records(text, delimiter), section_title)
    drafts: list[Draft] = []
    skipped: list[Problem] = []
    described: list[VehicleRef] = []
    for table in tables:
        kind = _kind(table)
        if kind is None:
            skipped += [Problem(line, "", "not_imported", table.title) for line, _cells in table.records]
            continue
        if kind == "vehicle":
            described += _vehicles(table)
            continue
        cols = Columns(table.header, {"fuel": FUEL, "service": SERVICE, "expense": EXPENSE}[kind])
        cols.require("date", what=f"Drivvo section {table.title}")
        for line, cells in table.records:
            row_kind: Kind = kind  # type: ignore[assignment]
            d = Draft(line, row_kind, cols.get(cells, "vehicle") or "default", cols.get(cells, "date"),
                      cols.get(cells, "time"))  # fmt: skip
            d.numbers["odometer"] = cols.get(cells, "odometer")
            d.text("notes", cols.get(cells, "notes"))
            if kind == "fuel":
                d.numbers.update(
                    volume=cols.get(cells, "volume"), price_per_unit=cols.get(cells, "price"),
                    total_cost=cols.get(cells, "total"),
                )  # fmt: skip
                d.flag("is_full", cols.get(cells, "full"), default=True)
                d.fuel(cols.get(cells, "fuel"), grade=True)
                d.text("station_name", cols.get(cells, "station") or cols.get(cells, "place"))
            elif kind == "service":
                d.numbers["cost"] = cols.get(cells, "total")
                d.text("description", cols.get(cells, "type"))
                d.text("service_location", cols.get(cells, "place"))
            else:
                d.numbers["amount"] = cols.get(cells, "total")
                d.values["category"] = cols.get(cells, "type") or None
            drafts.append(d)
    if not drafts and not skipped:
        raise FormatError("Drivvo file: no refuelling, service or expense section")
    drafts.sort(key=lambda d: d.line)
    rows, problems = finish(drafts, delimiter=delimiter, date_order=opts.date_order)
    vehicles = _match(described, [r.vehicle_key for r in rows])
    read = [t for t in tables if _kind(t) not in (None, "vehicle")]
    return ParsedFile("drivvo", vehicles, rows, sorted(problems + skipped + overflow(read), key=lambda p: p.line))

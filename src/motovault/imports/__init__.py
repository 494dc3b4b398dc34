"""Parsers of other apps' export files: bytes in, motovault rows out (pure Python, no database).

Public interface (stable; the import batches of `motovault import` are built on it):

    from motovault.imports.detect import parse_file, detect_format, FormatError
    from motovault.imports.model import ParsedFile, VehicleRef, ParsedRow, Problem

`parse_file(data, *, filename, format='auto', date_order='auto', currency=None, mapping=None)`
returns a `ParsedFile(format, vehicles, rows, problems)`:

- `vehicles`: one `VehicleRef` per vehicle the file names (`key`, and what the file says of it:
  name, vin, plate, make, model, year, odometer_unit, volume_unit, tank_count, tank_capacities,
  fuel_types). A file that names no vehicle (LubeLogger, Spritmonitor) has one with key 'default'.
- `rows`: `ParsedRow(line, vehicle_key, kind, fields)`; `line` is the record's first physical line
  (1-based), `kind` one of fuel, service, repair, upgrade, odometer, tax, expense. `fields` always
  holds every key of its kind (None when the file does not say):
    fuel (app.fuel_logs): filled_on (date), filled_time (time), odometer (int), odometer_unit
      ('mi'/'km'), fuel_type, grade, volume (Decimal), volume_unit ('l', 'gal_us', 'gal_imp', 'kwh',
      'kg'), price_per_unit, total_cost (Decimal: either, both or none, as the file gives them),
      currency (ISO 4217), is_full (bool), missed_previous (bool), station_name, notes; Fuelio adds
      tank_number (1 or 2).
    service / repair / upgrade (app.maintenance): status ('completed'), type ('other', 'repair',
      'upgrade'), description, completed_on (date), odometer, odometer_unit, cost, currency,
      service_location, notes.
    odometer (app.odometer_entries): read_on, read_time, odometer, odometer_unit, notes.
    tax / expense (a neutral dict): occurred_on, category ('tax' for tax; the app's own category
      name for expenses), description, amount, currency, odometer, odometer_unit, notes; some formats
      add their own keys (LubeLogger supplies: part_number, supplier, quantity; Fuelio reminders:
      remind_on, remind_odometer).
  An odometer of 0 is None ("not recorded"); units are None when the file does not say (the
  vehicle's units apply). Money always has a currency: the file's (a currency column, or a sign or code
  naming one currency written with the amount: '12,50 €', 'R$ 5', '5 USD'), else the `currency`
  argument.
  `ParsedRow.json_fields()` gives the same fields as JSON values (ISO dates and times, Decimals
  as exact strings).
- `problems`: `Problem(line, field, rule, value)` for each value that could not be read; the row is
  still in `rows` with that field None, so a preview can show it, but it must not be committed as is.
  Rules: date_invalid, time_invalid, number_invalid, flag_unknown, unit_unknown, currency_unknown,
  currency_mismatch (an amount whose sign names another currency than the row's), fuel_type_unknown,
  code_unknown, required, too_many_values, not_imported (a row of a section
  motovault has no table for, e.g. aCar trips: line and section title).

`FormatError` (a MotovaultError, one line) refuses a whole file: unknown format; dates that read
both ways with nothing in the file to settle them (the message names them and says to pass
--date-order); costs without a currency (pass --currency); a missing required column.

`detect_format(data, filename)` names the format ('lubelogger', ...). Each format is a module of
this package; docs/imports.md ("Formats") describes them. Standard library only (csv, zipfile).
"""

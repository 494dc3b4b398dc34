"""motovault: a Postgres-first backend for vehicle records.

The schema (under sqitch) is the product; this package only does what SQL
cannot: VIN decoding, the decode worker, the CLI, the local stack and the
test harness.
"""

__version__ = "0.1.0"

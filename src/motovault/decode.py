"""README.md's example still reads ``from motovault.decode import decode, decode_many``; the VIN
domain lives in :mod:`motovault.vin` now. Nothing in the package imports this module: delete it
once the README says ``from motovault.vin.decode import decode, decode_many``."""

from .vin.decode import decode, decode_many

__all__ = ["decode", "decode_many"]

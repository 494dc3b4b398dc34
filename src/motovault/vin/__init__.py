"""The VIN domain: the rules (:mod:`.rules`), decoding offline and through vPIC (:mod:`.decode`,
:mod:`.vpic`) and the worker that fills ``app.vin_cache`` (:mod:`.worker`). Imports only
:mod:`motovault.core`.

The rules are also importable from here (``from motovault.vin import validate, check_digit``); the
decoder is ``from motovault.vin.decode import decode, decode_many``.
"""

from .rules import InvalidVin, VinValidation, check_digit, model_years, normalize, validate, with_check_digit

__all__ = ["InvalidVin", "VinValidation", "check_digit", "model_years", "normalize", "validate", "with_check_digit"]

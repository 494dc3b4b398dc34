"""motovault.vin.decode: one normalized result from the offline (ultravin) and online (vPIC) decoders."""

from __future__ import annotations

import dataclasses
import gc
import json

import httpx
import pytest
import ultravin

from motovault.core.errors import MotovaultError
from motovault.vin import decode as D
from motovault.vin.vpic import VpicClient
from support import vpic_fixtures as fx


def test_offline_decode_of_a_known_vin() -> None:
    r = D.decode("1FTMW1T88MFA00001")
    assert (r.vin, r.valid, r.make, r.model, r.model_year) == ("1FTMW1T88MFA00001", True, "FORD", "F-150", 2021)
    assert r.body_class == "Pickup" and r.vehicle_type == "TRUCK" and r.fuel_types == ("Gasoline",)
    assert r.engine.cylinders == 6 and r.engine.displacement_l == 3.5 and r.engine.power_hp == 375.0
    assert r.drive_type == "4WD/4-Wheel Drive/4x4" and r.plant_country == "UNITED STATES (USA)"
    assert r.error_codes == (0,) and r.clean


def test_offline_results_record_the_ultravin_data_release() -> None:
    p = ultravin.provenance()
    r = D.decode("1HGCM82633A004352")
    assert r.source == "offline"
    assert r.data_version == f"ultravin {p['decoder_version']}, vPIC {p['data_month']}"
    assert (r.make, r.model, r.model_year) == ("HONDA", "Accord", 2003)


def test_decode_many_keeps_order_and_does_not_decode_malformed_vins() -> None:
    rs = D.decode_many([" 1ftmw1t88mfa00001 ", "ABC", "1FTMW1T84MFA00001", "WVWZZZ1JZXW000001"])
    assert [r.vin for r in rs] == ["1FTMW1T88MFA00001", "ABC", "1FTMW1T84MFA00001", "WVWZZZ1JZXW000001"]
    good, short, bad_check, foreign = rs
    assert good.valid and good.make == "FORD"
    assert not short.valid and short.errors == ("17 characters expected, found 3",)
    assert short.make is None and short.error_codes == () and short.raw == {} and short.source == "offline"
    # a wrong North-American check digit: invalid, yet still decoded (vPIC says code 1 too)
    assert not bad_check.valid and bad_check.errors == ("position 9 should be 8, found 4",)
    assert bad_check.make == "FORD" and 1 in bad_check.error_codes and not bad_check.clean
    # outside North America the same mismatch is a warning only
    assert foreign.valid and foreign.warnings and foreign.make == "VOLKSWAGEN"


def test_decode_many_with_model_year_hints() -> None:
    rs = D.decode_many(["1FTMW1T88MFA00001"], years=[2021])
    assert rs[0].model_year == 2021
    with pytest.raises(MotovaultError, match="2 model years given for 1 VINs"):
        D.decode_many(["1FTMW1T88MFA00001"], years=[2021, 2022])


def test_offline_agrees_with_ultravin_on_generated_vins() -> None:
    vins = ultravin.generate(300, seed=5)
    ours = D.decode_many(vins)
    theirs = ultravin.decode_batch(vins)
    for r, t in zip(ours, theirs, strict=False):
        attrs = t["attributes"]
        assert r.make == ((attrs.get("Make") or "").strip() or None)  # values carry stray spaces here too
        assert r.model_year == t["model_year"]
        assert r.error_codes == tuple(t["error_codes"])
        assert r.raw == attrs


def test_results_are_frozen_dataclasses_equal_to_regular_construction() -> None:
    r = D.decode("1FTMW1T88MFA00001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.make = "X"  # type: ignore[misc]
    assert dataclasses.replace(r) == r
    assert dataclasses.replace(r.engine) == r.engine


def test_to_dict_is_json_ready() -> None:
    d = D.decode("1FTMW1T88MFA00001").to_dict(raw=False)
    assert "raw" not in d
    assert json.loads(json.dumps(d))["engine"]["cylinders"] == 6
    assert D.decode("1FTMW1T88MFA00001").to_dict()["raw"]["Make"] == "FORD"


def test_the_garbage_collector_is_restored_after_a_batch() -> None:
    assert gc.isenabled()
    D.decode_many(["1FTMW1T88MFA00001"] * 3)
    assert gc.isenabled()
    gc.disable()
    try:
        D.decode_many(["1FTMW1T88MFA00001"])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_online_decode_many_uses_the_client_and_marks_the_source() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return fx.response("decode-vin.json")

    client = VpicClient(transport=httpx.MockTransport(handler), sleep=lambda s: None)
    rs = D.decode_many(["1ftmw1t88mfa00001", "ABC"], offline=False, client=client)
    assert rs[0].source == "vpic" and rs[0].data_version is None
    assert (rs[0].make, rs[0].model, rs[0].model_year, rs[0].trim) == ("FORD", "F-150", 2021, "SuperCrew-SSV")
    assert rs[1].source == "vpic" and not rs[1].valid and rs[1].make is None


@pytest.mark.parametrize(
    "value, codes",
    [("0", (0,)), ("5,6,14", (5, 6, 14)), (" 1, 400 ", (1, 400)), ("", ()), (None, ()), ("7,x", (7,))],
)
def test_parse_error_codes(value: str | None, codes: tuple[int, ...]) -> None:
    assert D.parse_error_codes(value) == codes


def test_error_texts_split_only_before_a_code() -> None:
    text = ("1 - Check Digit (9th position) does not calculate properly; 7 - Manufacturer is not registered; "
            "Please contact the manufacturer; 400 - Invalid Characters Present")
    assert D.parse_error_texts(text) == (
        "1 - Check Digit (9th position) does not calculate properly",
        "7 - Manufacturer is not registered; Please contact the manufacturer",
        "400 - Invalid Characters Present",
    )


def test_normalization_rules_on_a_hand_made_answer() -> None:
    answer = {
        "VIN": "1FTMW1T88MFA00001", "Make": " FORD ", "Model": "", "ModelYear": "2021",
        "BodyClass": "Not Applicable", "FuelTypePrimary": "Electric", "FuelTypeSecondary": "Electric",
        "EngineCylinders": "n/a", "DisplacementL": "", "EngineKW": "", "EngineHP": "100",
        "ErrorCode": "0", "ErrorText": "0 - VIN decoded clean.", "Trim": ["a", "b"],
    }
    r = D.from_vpic(answer)
    assert r.make == "FORD" and r.model is None and r.body_class is None
    assert r.fuel_types == ("Electric",)
    assert r.engine.cylinders is None and r.engine.power_hp == 100.0 and r.engine.power_kw == 74.5700
    assert r.trim == "a; b" and r.raw is answer


def test_raw_by_code_uses_the_online_names() -> None:
    r = D.decode("1FTMW1T88MFA00001")
    coded = D.raw_by_code(r)
    assert coded["ModelYear"] == "2021" and coded["EngineHP"] == "375"


# the offline hot path recognizes clean VINs inline; it must agree with validate() on everything
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from motovault.vin import rules as V  # noqa: E402

near_vins = st.one_of(
    st.text(alphabet=V.ALPHABET + "IOQ -*éß\t", min_size=0, max_size=19),
    st.text(alphabet=V.ALPHABET, min_size=17, max_size=17).map(V.with_check_digit),
    st.text(alphabet=V.ALPHABET.lower() + " ", min_size=17, max_size=19),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(near_vins, min_size=1, max_size=8))
def test_decode_many_validation_agrees_with_validate(vins: list[str]) -> None:
    for text, r in zip(vins, D.decode_many(vins), strict=False):
        val = V.validate(text)
        assert (r.vin, r.valid, r.errors, r.warnings) == (val.vin, val.valid, val.errors, val.warnings)


def test_a_non_text_vin_is_a_clear_error() -> None:
    with pytest.raises(MotovaultError, match="a VIN is text, not int"):
        D.decode_many(["1FTMW1T88MFA00001", 12345])  # type: ignore[list-item]


def test_to_dict_equals_dataclasses_asdict() -> None:
    for r in D.decode_many(["1FTMW1T88MFA00001", "ABC", "WVWZZZ1JZXW000001"]):
        expected = dataclasses.asdict(r)
        for key in ("errors", "warnings", "fuel_types", "error_codes", "error_texts"):
            expected[key] = list(expected[key])
        assert r.to_dict() == expected
        assert list(r.to_dict()) == [f.name for f in dataclasses.fields(r)]

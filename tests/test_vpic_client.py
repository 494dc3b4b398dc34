"""motovault.vin.vpic: the online client against httpx.MockTransport (no network) and the recorded answers."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from motovault import __version__
from motovault.core.errors import MotovaultError
from motovault.vin.decode import from_vpic
from motovault.vin.vpic import BATCH_LIMIT, VpicClient, parse_retry_after
from support import vpic_fixtures as fx

#: a MockTransport handler
Handler = Callable[[httpx.Request], httpx.Response]

BASE = "https://vpic.test/api/vehicles/"
NOW = 1_700_000_000.0


def make_client(handler: Handler, **kw: Any) -> tuple[VpicClient, list[float]]:
    slept: list[float] = []
    kw.setdefault("retries", 3)
    client = VpicClient(
        BASE, transport=httpx.MockTransport(handler), sleep=slept.append, clock=lambda: NOW, **kw
    )
    return client, slept


def ok_body(vin: str = "1FTMW1T88MFA00001") -> dict[str, Any]:
    b = fx.body("decode-vin.json")
    b["Results"][0]["VIN"] = vin
    return b


# -- the recorded answers ---------------------------------------------------------------------


def test_fixture_copies_in_the_repo_match_the_shared_recordings() -> None:
    for name in fx.NAMES:
        assert (fx.LOCAL_DIR / name).is_file(), f"tests/fixtures/vpic/{name} is missing"
        if fx.SHARED_DIR.is_dir():
            assert (fx.LOCAL_DIR / name).read_bytes() == (fx.SHARED_DIR / name).read_bytes()


def test_decode_vin_fixture_parses_into_the_normalized_result() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fx.response("decode-vin.json")

    client, _ = make_client(handler)
    r = from_vpic(client.decode("1FTMW1T88MFA00001"))
    assert str(seen[0].url) == BASE + "DecodeVinValues/1FTMW1T88MFA00001?format=json"
    assert (r.vin, r.valid, r.make, r.model, r.model_year) == ("1FTMW1T88MFA00001", True, "FORD", "F-150", 2021)
    assert r.vehicle_type == "TRUCK"  # vPIC sends "TRUCK " with a trailing space
    assert r.trim == "SuperCrew-SSV" and r.body_class == "Pickup"
    assert r.fuel_types == ("Gasoline",)
    assert (r.engine.cylinders, r.engine.displacement_l, r.engine.power_kw, r.engine.power_hp) == (
        6, 3.5, 279.6375, 375.0
    )
    assert r.drive_type == "4WD/4-Wheel Drive/4x4"
    assert r.manufacturer == "FORD MOTOR COMPANY, USA" and r.plant_country == "UNITED STATES (USA)"
    assert r.error_codes == (0,)
    assert r.error_texts == ("0 - VIN decoded clean. Check Digit (9th position) is correct",)
    assert r.source == "vpic" and r.clean
    assert r.raw["VehicleType"] == "TRUCK "  # raw stays as received
    assert r.raw["ABS"] == ""


def test_model_year_hint_goes_into_the_query() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fx.response("decode-vin-with-modelyear.json")

    client, _ = make_client(handler)
    r = from_vpic(client.decode("1FTMW1T88MFA00001", model_year=2021))
    assert dict(seen[0].url.params) == {"format": "json", "modelyear": "2021"}
    recorded = fx.load("decode-vin-with-modelyear.json")["url"]
    assert seen[0].url.path.endswith(httpx.URL(recorded).path.rsplit("/api/vehicles", 1)[1])
    assert r.model_year == 2021 and r.make == "FORD"


def test_partial_vin_fixture_error_code_6_and_failed_validation() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/DecodeVinValues/5UXWX7C5*BA")
        return fx.response("decode-partial-vin.json")

    client, _ = make_client(handler)
    r = from_vpic(client.decode("5UXWX7C5*BA", model_year=2011))
    assert r.error_codes == (6,) and r.error_texts == ("6 - Incomplete VIN",)
    assert not r.valid and "17 characters expected, found 11" in r.errors
    assert (r.make, r.model, r.model_year, r.trim) == ("BMW", "X3", 2011, "xDrive35i")
    assert r.plant_country == "GERMANY"
    assert r.drive_type is None  # "" means no data
    assert r.engine.power_kw == 223.71 and r.engine.power_hp == 300.0


def test_batch_fixture_parses_comma_separated_error_codes_and_their_texts() -> None:
    posted = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return fx.response("decode-vin-batch.json")

    client, _ = make_client(handler)
    results = client.decode_batch(["5UXWX7C5*BA", "5YJSA3DS*EF"], years=[2011, None])
    form = parse_qs(posted[0].content.decode())
    assert posted[0].method == "POST" and posted[0].url.path.endswith("/DecodeVINValuesBatch/")
    assert form == {"format": ["json"], "DATA": [fx.load("decode-vin-batch.json")["post_data"]["DATA"]]}
    bmw, tesla = (from_vpic(x) for x in results)
    assert bmw.make == "BMW" and bmw.error_codes == (6,)
    assert tesla.make == "TESLA" and tesla.model == "Model S" and tesla.model_year == 2014
    assert tesla.error_codes == (5, 6, 14)
    assert tesla.error_texts == (
        "5 - VIN has errors in few positions",
        "6 - Incomplete VIN",
        "14 - Unable to provide information for some of the characters in the VIN, "
        "based on the manufacturer submission.",
    )
    assert tesla.drive_type == "RWD/ Rear Wheel Drive" and tesla.fuel_types == ()
    assert tesla.engine.cylinders is None
    assert tesla.raw["SuggestedVIN"] == "5YJSA3D!*EF!  "


@pytest.mark.parametrize("name", fx.NAMES)
def test_every_recorded_result_normalizes_cleanly(name: str) -> None:
    for result in fx.body(name)["Results"]:
        r = from_vpic(result)
        assert r.make and r.model and isinstance(r.model_year, int)
        codes = tuple(int(c) for c in result["ErrorCode"].split(","))
        assert r.error_codes == codes and len(r.error_texts) == len(codes)
        for text in (
            r.make, r.model, r.trim, r.body_class, r.vehicle_type, r.drive_type, r.manufacturer, r.plant_country
        ):
            assert text is None or (text == text.strip() and text not in ("", "Not Applicable"))
        assert r.raw is result


def test_extended_fixture_normalizes_like_the_plain_one() -> None:
    plain = from_vpic(fx.body("decode-vin.json")["Results"][0])
    extended = from_vpic(fx.body("decode-vin-extended.json")["Results"][0])
    for field in ("make", "model", "model_year", "engine", "body_class", "vehicle_type", "error_codes"):
        assert getattr(plain, field) == getattr(extended, field)


# -- the request itself -----------------------------------------------------------------------


def test_user_agent_names_motovault_and_its_version() -> None:
    agents = []

    def handler(request: httpx.Request) -> httpx.Response:
        agents.append(request.headers["User-Agent"])
        return httpx.Response(200, json=ok_body())

    client, _ = make_client(handler)
    client.decode("1FTMW1T88MFA00001")
    assert agents == [f"motovault/{__version__} (+https://github.com/motovault/motovault)"]


def test_base_url_is_configurable() -> None:
    urls = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, json=ok_body())

    client = VpicClient("http://mirror.local/vpic", transport=httpx.MockTransport(handler))
    client.decode("1FTMW1T88MFA00001")
    assert urls[0].startswith("http://mirror.local/vpic/DecodeVinValues/1FTMW1T88MFA00001")


# -- failure modes ------------------------------------------------------------------------------


def sequence(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering the given responses (or raising the given exceptions) in turn."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        item = responses[min(len(calls), len(responses) - 1)]
        calls.append(request)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, calls


def test_429_with_retry_after_seconds_is_honoured_then_succeeds() -> None:
    handler, calls = sequence(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=ok_body()))
    client, slept = make_client(handler)
    assert client.decode("1FTMW1T88MFA00001")["Make"] == "FORD"
    assert len(calls) == 2 and slept == [7.0]


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(NOW + 30, usegmt=True)
    handler, calls = sequence(httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json=ok_body()))
    client, slept = make_client(handler)
    client.decode("1FTMW1T88MFA00001")
    assert slept == [30.0]


def test_retry_after_is_capped() -> None:
    handler, _ = sequence(httpx.Response(503, headers={"Retry-After": "86400"}), httpx.Response(200, json=ok_body()))
    client, slept = make_client(handler, max_retry_after=60)
    client.decode("1FTMW1T88MFA00001")
    assert slept == [60]


def test_500_is_retried_with_backoff_then_succeeds() -> None:
    handler, calls = sequence(httpx.Response(500), httpx.Response(502), httpx.Response(200, json=ok_body()))
    client, slept = make_client(handler, backoff=0.5)
    assert client.decode("1FTMW1T88MFA00001")["Model"] == "F-150"
    assert len(calls) == 3 and slept == [0.5, 1.0]


def test_exhausted_retries_raise_one_clear_error() -> None:
    handler, calls = sequence(httpx.Response(503))
    client, slept = make_client(handler, retries=3, backoff=1, max_backoff=3)
    with pytest.raises(
        MotovaultError, match=r"vPIC failed for VIN 1FTMW1T88MFA00001 after 4 attempt\(s\): HTTP 503"
    ) as exc:
        client.decode("1FTMW1T88MFA00001")
    assert "\n" not in str(exc.value)
    assert len(calls) == 4 and slept == [1, 2, 3]  # exponential, capped at max_backoff


def test_timeout_is_retried_and_then_reported() -> None:
    handler, calls = sequence(httpx.ReadTimeout("too slow"))
    client, slept = make_client(handler, retries=2, timeout=5)
    with pytest.raises(MotovaultError, match="after 3 attempt.*no answer within 5s"):
        client.decode("1FTMW1T88MFA00001")
    assert len(calls) == 3 and len(slept) == 2


def test_timeout_then_success() -> None:
    handler, calls = sequence(httpx.ConnectTimeout("slow"), httpx.Response(200, json=ok_body()))
    client, _ = make_client(handler)
    assert client.decode("1FTMW1T88MFA00001")["Make"] == "FORD"


def test_malformed_json_is_a_clear_error_and_not_retried() -> None:
    handler, calls = sequence(httpx.Response(200, text="<html>Service Unavailable</html>"))
    client, slept = make_client(handler)
    with pytest.raises(MotovaultError, match="not JSON: '<html>Service Unavailable"):
        client.decode("1FTMW1T88MFA00001")
    assert len(calls) == 1 and slept == []


def test_empty_results_list_is_a_clear_error() -> None:
    handler, _ = sequence(httpx.Response(200, json={"Count": 0, "Message": "No data", "Results": []}))
    client, _ = make_client(handler)
    with pytest.raises(MotovaultError, match=r"no results for VIN 1FTMW1T88MFA00001 \(No data\)"):
        client.decode("1FTMW1T88MFA00001")


def test_missing_results_is_a_clear_error() -> None:
    handler, _ = sequence(httpx.Response(200, json={"Message": "oops"}))
    client, _ = make_client(handler)
    with pytest.raises(MotovaultError, match="has no Results list"):
        client.decode("1FTMW1T88MFA00001")


def test_other_client_errors_are_not_retried() -> None:
    handler, calls = sequence(httpx.Response(404))
    client, slept = make_client(handler)
    with pytest.raises(MotovaultError, match="vPIC refused VIN X: HTTP 404"):
        client.decode("X")
    assert len(calls) == 1 and slept == []


@pytest.mark.parametrize(
    "value, seconds",
    [("120", 120.0), (" 3 ", 3.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), ("", None), (None, None),
     (email.utils.formatdate(NOW - 100, usegmt=True), 0.0)],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


# -- batches and concurrency --------------------------------------------------------------------


def batch_handler(
    posted: list[list[str]],
    delay: float = 0.0,
    lock: threading.Lock | None = None,
    inflight: list[int] | None = None,
) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if inflight is not None:
            assert lock is not None, "inflight is counted under the lock"
            with lock:
                inflight[0] += 1
                inflight[1] = max(inflight[1], inflight[0])
        try:
            if delay:
                time.sleep(delay)
            form = parse_qs(request.content.decode())
            entries = form["DATA"][0].split(";")
            posted.append(entries)
            results = []
            for entry in entries:
                vin = entry.split(",")[0]
                r = dict(ok_body(vin)["Results"][0])
                results.append(r)
            return httpx.Response(200, json={"Count": 136, "Message": "ok", "Results": results})
        finally:
            if inflight is not None:
                assert lock is not None
                with lock:
                    inflight[0] -= 1

    return handler


def test_batches_over_50_are_chunked_and_keep_input_order() -> None:
    vins = [f"1FTMW1T88MFA{n:05d}" for n in range(120)]
    posted: list[list[str]] = []
    client, _ = make_client(batch_handler(posted))
    results = client.decode_batch(vins, years=[2021] * 120)
    assert sorted(len(p) for p in posted) == [20, 50, 50]
    assert all(len(p) <= BATCH_LIMIT for p in posted)
    assert all(entry.endswith(",2021") for p in posted for entry in p)
    assert [r["VIN"] for r in results] == vins


def test_a_batch_answer_with_the_wrong_number_of_results_is_an_error() -> None:
    handler, _ = sequence(httpx.Response(200, json=ok_body()))
    client, _ = make_client(handler)
    with pytest.raises(MotovaultError, match="answered 1 result.*expected 2"):
        client.decode_batch(["1FTMW1T88MFA00001", "1FTMW1T88MFA00002"])


def test_concurrency_limit_is_respected_across_threads() -> None:
    lock = threading.Lock()
    inflight = [0, 0]
    posted: list[list[str]] = []
    client, _ = make_client(batch_handler(posted, delay=0.05, lock=lock, inflight=inflight), concurrency=2)
    vins = [f"1FTMW1T88MFA{n:05d}" for n in range(300)]  # 6 chunks
    threads = [threading.Thread(target=client.decode_batch, args=(vins,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(posted) == 18
    assert inflight[1] == 2  # requests did overlap, but never more than two at once


def test_concurrency_one_serializes_requests() -> None:
    lock = threading.Lock()
    inflight = [0, 0]
    client, _ = make_client(batch_handler([], delay=0.01, lock=lock, inflight=inflight), concurrency=1)
    client.decode_batch([f"1FTMW1T88MFA{n:05d}" for n in range(200)])
    assert inflight[1] == 1


def test_vins_are_escaped_in_the_path_and_checked_for_the_batch_format() -> None:
    paths = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(200, json=ok_body())

    client, _ = make_client(handler)
    client.decode("../x?y")
    assert paths[0].startswith("/api/vehicles/DecodeVinValues/..%2Fx%3Fy?")
    with pytest.raises(MotovaultError, match="cannot send 'A,B' in a vPIC batch"):
        client.decode_batch(["1FTMW1T88MFA00001", "A,B"])

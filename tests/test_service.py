"""The HTTP service, through FastAPI's test client, with the real packs and solver."""

import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

import nicelogic
from nicelogic.service.app import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(nicelogic.Checker(["opcs4"])))


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "alive"}
    ready = client.get("/ready").json()
    assert [p["name"] for p in ready["revision"]["packs"]] == ["opcs4"]
    assert len(ready["revision"]["sha256"]) == 64


def test_check_text_and_json_records_with_a_rejected_one(client: TestClient) -> None:
    body = {"records": ["ep1: opcs V44.4 Y53.4", {"id": "ep2", "opcs": ["V44.4", "V55.1", "Y53.4"]}, "ep3: opcs V4X.4"]}
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200
    data = response.json()
    records = data["records"]
    assert [r["id"] for r in records] == ["ep1", "ep2", "ep3"]
    assert records[0]["violations"][0]["rule"] == "opcs.spinal-levels-second"
    assert records[0]["violations"][0]["positions"] == [1]
    assert records[1]["valid"] is True
    assert records[2]["error"] is not None and records[2]["valid"] is False
    assert data["summary"]["rejected"] == 1
    assert data["decision_id"] != client.post("/v1/check", json=body).json()["decision_id"]


def test_an_empty_request_is_refused(client: TestClient) -> None:
    assert client.post("/v1/check", json={"records": []}).status_code == 422


def test_an_empty_request_is_a_problem_document(client: TestClient) -> None:
    response = client.post("/v1/check", json={"records": []})
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 422 and "records" in response.json()["detail"]


def test_rules_and_one_rule(client: TestClient) -> None:
    rules = client.get("/v1/rules").json()["rules"]
    assert "opcs.spinal-levels-second" in {r["id"] for r in rules}
    rule = client.get("/v1/rules/opcs.spinal-levels-second").json()
    assert rule["severity"] == "error" and rule["pack"] == "opcs4"
    missing = client.get("/v1/rules/no.such-rule")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_nicelogic_serve_answers_on_loopback() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "nicelogic.cli", "serve", "--rules", "opcs4", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
            time.sleep(0.2)
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/check", json={"records": ["ep1: opcs V44.4 Y53.4"]}).json()
        assert answer["records"][0]["violations"][0]["rule"] == "opcs.spinal-levels-second"
    finally:
        server.terminate()
        server.wait(timeout=10)

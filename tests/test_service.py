"""The HTTP service, through FastAPI's test client and a real uvicorn on loopback, with the
real packs, solver and completer workers."""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import nicelogic
from nicelogic.cli import main
from nicelogic.service.app import create_app
from nicelogic.service.batching import CheckBatcher
from nicelogic.service.records import check_items
from nicelogic.service.settings import ServiceSettings
from tests.conftest import ROOT, one_rule_pack

TEXT, OBJECT = "ep1: opcs V44.4 Y53.4", {"id": "ep1", "opcs": ["V44.4", "Y53.4"]}
SMALL = ServiceSettings(max_body=20_000, max_records=5, completers=1)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(nicelogic.Checker(["opcs4", "nice.htg3", "ncci"], max_codes=8), SMALL)) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "alive"}
    ready = client.get("/ready").json()
    assert [p["name"] for p in ready["revision"]["packs"]] == ["opcs4", "nice.htg3", "ncci"]
    assert len(ready["revision"]["sha256"]) == 64


def test_check_text_and_json_records_with_a_rejected_one(client: TestClient) -> None:
    body = {"records": ["ep1: opcs V44.4 Y53.4", {"id": "ep2", "opcs": ["V44.4", "V55.1", "Y53.4"]}, "ep3: opcs V4X.4"]}
    response = client.post("/v1/check", json=body, params={"packs": "opcs4"})
    assert response.status_code == 200
    data = response.json()
    records = data["records"]
    assert [r["id"] for r in records] == ["ep1", "ep2", "ep3"]
    assert records[0]["violations"][0]["rule"] == "opcs.spinal-levels-second"
    assert records[0]["violations"][0]["positions"] == [1]
    assert records[1]["valid"] is True
    assert records[2]["error"]["column"] == 11 and records[2]["valid"] is False
    assert data["summary"]["rejected"] == 1
    assert data["decision_id"] != client.post("/v1/check", json=body).json()["decision_id"]


@pytest.mark.parametrize(
    "body",
    [TEXT, OBJECT, [TEXT], [OBJECT]],
    ids=["bare-text", "bare-object", "list-of-text", "list-of-objects"],
)  # fmt: skip
def test_check_takes_one_bare_record_or_a_list(client: TestClient, body: object) -> None:
    records = client.post("/v1/check", json=body, params={"packs": ["opcs4"]}).json()["records"]
    assert [(r["id"], [v["rule"] for v in r["violations"]]) for r in records] == [("ep1", ["opcs.spinal-levels-second"])]


def test_bare_text_is_read_line_by_line_as_a_file(client: TestClient) -> None:
    text = "# two records\nep1: opcs V44.4 V55.1 Y53.4\n\nep2: opcs Y53.4\n"
    records = client.post("/v1/check", json=text, params={"packs": "opcs4"}).json()["records"]
    assert [(r["id"], r["valid"]) for r in records] == [("ep1", True), ("ep2", False)]


def test_a_file_posted_as_text_gets_the_records_check_format_json_gives(client: TestClient) -> None:
    # the lines an error or a violation names are the text's lines, comments and blanks counted
    text = (
        "# as a file\nep1: opcs V44.4 Y53.4\n\n# rejected\nep2: opcs V4X.4 V55.1\r\n"
        "ep3: opcs V44.4 V55.1 Y53.4\n  # unnamed:\nopcs V64.1 V55.1\n"
    )
    (posted := client.post("/v1/check", json=text, params={"packs": "opcs4"})).raise_for_status()
    command = CliRunner().invoke(main, ["check", "-", "--rules", "opcs4", "--format", "json"], input=text)
    from_file = json.loads(command.output)
    answered = posted.json()
    assert [{**r, "source": "-"} for r in answered["records"]] == [{**r, "source": "-"} for r in from_file["records"]]
    assert answered["summary"] == {k: v for k, v in from_file["summary"].items() if k in answered["summary"]}
    records = {r["id"]: r for r in answered["records"]}
    assert records["ep1"]["violations"][0]["line"] == 2 and records["ep2"]["error"]["line"] == 5
    assert records["8"]["violations"][0]["rule"] == "opcs.v55-orphan"  # named by its line, as in a file


def test_a_blank_entry_or_a_record_of_the_wrong_shape_is_a_rejected_record(client: TestClient) -> None:
    body = ["ep1: opcs V44.4 V55.1 Y53.4", "  ", {"id": "x", "opcs": 3}]
    records = client.post("/v1/check", json=body, params={"packs": "opcs4"}).json()["records"]
    assert [r["valid"] for r in records] == [True, False, False]
    assert records[1]["error"]["kind"] == "empty" and records[1]["line"] == 2
    assert records[2]["error"]["field"] == "opcs"


def test_explain_adds_explanations_with_the_guidance(client: TestClient) -> None:
    plain = client.post("/v1/check", json="ep1: opcs V44.4 Y53.4").json()["records"][0]["violations"]
    explained = client.post("/v1/check?explain=true", json="ep1: opcs V44.4 Y53.4").json()["records"][0]["violations"]
    assert [v["rule"] for v in plain] == [v["rule"] for v in explained]
    assert all("explanation" not in v for v in plain)
    first = explained[0]["explanation"]
    assert first["guidance"] and first["facts"] and any(c["blamed"] for c in first["codes"])


def test_packs_choose_whose_violations_are_reported(client: TestClient) -> None:
    def rules(packs: list[str]) -> set[str]:
        answer = client.post("/v1/check", json="ep1: opcs V44.4 Y53.4", params={"packs": packs}).json()
        violations = answer["records"][0]["violations"]
        return {v["rule"] for v in violations} | {a["rule"] for v in violations for a in v.get("also", ())}

    assert rules(["opcs4"]) and all(r.startswith("opcs.") for r in rules(["opcs4"]))
    assert rules(["nice.htg3"]) and all(r.startswith("nice.htg3.") for r in rules(["nice.htg3"]))
    assert rules([]) >= rules(["nice.htg3"])
    body = problem(client.post("/v1/check", json="ep1: opcs V44.4", params={"packs": "nice.ipg12"}), 422)
    assert "nice.ipg12" in str(body["detail"])


def test_an_empty_request_is_a_problem_document(client: TestClient) -> None:
    assert "records" in str(problem(client.post("/v1/check", json={"records": []}), 422)["detail"])


def test_limits_on_body_records_and_codes(client: TestClient) -> None:
    problem(client.post("/v1/check", json=["opcs V44.4"] * 6), 413)
    problem(client.post("/v1/check", content=json.dumps(["opcs " + "V44.4 " * 4000]).encode()), 413)

    def streamed() -> Iterator[bytes]:  # no Content-Length: the limit is counted as it arrives
        yield b'["opcs V44.4'
        for _ in range(5000):
            yield b" V55.1"
        yield b'"]'

    assert "--max-body" in str(problem(client.post("/v1/check", content=streamed()), 413)["detail"])
    long = client.post("/v1/check", json="ep1: opcs " + " ".join(["V55.1"] * 9)).json()["records"][0]
    assert long["error"]["kind"] == "too-long" and "limit of 8" in long["error"]["message"]


def test_no_request_brings_rules_or_an_option_the_service_does_not_have(client: TestClient) -> None:
    program = 'violation("x.y", R, opcs, 1) :- code(R, opcs, 1, _).'
    for path, body in [
        ("/v1/check", {"records": ["opcs V44.4 V55.1 Y53.4"], "program": program}),
        ("/v1/complete", {"record": "opcs V44.4", "rules": program}),
        ("/v1/repair", {"record": "opcs V44.4", "rules": program}),
        ("/v1/complete", {"record": "opcs V44.4", "minmal": True}),  # misspelt: refused, not answered as all
    ]:
        detail = str(problem(client.post(path, json=body), 422)["detail"])
        assert "Extra inputs are not permitted" in detail and next(iter(set(body) - {"record", "records"})) in detail
    injected = client.post("/v1/check", json={"id": "x", "opcs": ['V44.4"). #script (python) #end.']}).json()["records"][0]
    assert injected["error"]["field"] == "opcs[1]" and not injected["violations"]
    as_a_field = client.post("/v1/check", json={"id": "x", "opcs": ["V44.4"], "rules": program}).json()["records"][0]
    assert as_a_field["error"]["field"] == "rules"
    problem(client.post("/v1/check", json="opcs V44.4", params={"packs": "logic/opcs4"}), 422)  # a folder is no loaded pack


def test_unknown_paths_and_methods_are_problem_documents(client: TestClient) -> None:
    problem(client.get("/v1/nothing"), 404)
    problem(client.delete("/v1/check"), 405)
    problem(client.post("/v1/check", content=b"{not json", headers={"content-type": "application/json"}), 422)


def test_rules_and_one_rule(client: TestClient) -> None:
    rules = client.get("/v1/rules").json()["rules"]
    assert "opcs.spinal-levels-second" in {r["id"] for r in rules}
    rule = client.get("/v1/rules/opcs.spinal-levels-second").json()
    assert rule["severity"] == "error" and rule["pack"] == "opcs4"
    assert rule["source"].startswith("NICE")  # the citation; the ASP beside it, from its file in logic/
    assert rule["file"] == "opcs4/" + rule["file"].split("/")[-1]
    assert rule["program"] == (ROOT / "logic" / rule["file"]).read_text(encoding="utf-8")
    assert 'violation("opcs.spinal-levels-second"' in rule["program"]
    problem(client.get("/v1/rules/no.such-rule"), 404)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_documentation_pages_fetch_only_from_the_service(client: TestClient, page: str) -> None:
    html = client.get(page).text
    addresses = re.findall(r'(?:src|href|spec-url)="([^"]*)"', html) + re.findall(r"url: '([^']*)'", html)
    assert len(addresses) >= 2 and all(a.startswith("/") and not a.startswith("//") for a in addresses), addresses
    assert "://" not in html  # nothing from elsewhere: no CDN, no web fonts, no favicon from a site
    for address in addresses:
        served = client.get(address)
        assert served.status_code == 200 and served.content, address
    if page == "/docs":
        assert '"validatorUrl": null' in html  # else Swagger UI would send the schema's address to swagger.io
    else:  # ReDoc's script itself names its maker's logo on their CDN
        assert client.get(page).headers["content-security-policy"] == "img-src 'self' data:"


# ------------------------------------------------------------------ completions and repairs


def test_complete_all_minimal_and_grouped(client: TestClient) -> None:
    everything = client.post("/v1/complete", json={"record": "opcs V44.4", "limit": 3}).json()
    assert everything["count"] > 3 and len(everything["completions"]) == 3 and everything["decision_id"]
    minimal = client.post("/v1/complete", json={"record": "opcs V44.4", "minimal": True, "limit": 3}).json()
    assert minimal["minimal"] and all(c["record"].split()[2:4] == ["V44.4", "V55.9"] for c in minimal["completions"])
    grouped = client.post("/v1/complete", json={"record": "opcs V44.4", "grouped": True, "minimal": True}).json()
    assert grouped["grouped"] and any(c["template"] for c in grouped["completions"])


def test_complete_may_and_must(client: TestClient) -> None:
    answer = client.post("/v1/complete", json={"record": {"id": "e1", "opcs": ["V44.4"]}, "may": True}).json()
    assert {"section": "opcs", "position": 1, "code": "V44.4"} in answer["must"]
    second = {p["code"] for p in answer["may"] if p["section"] == "opcs" and p["position"] == 2}
    assert "V55.1" in second and "Y53.4" not in second


def test_repair(client: TestClient) -> None:
    answer = client.post("/v1/repair", json={"record": "ep1: opcs V44.4 Y53.4", "limit": 2}).json()
    assert "opcs.spinal-levels-second" in answer["violations"]
    assert answer["repairs"] and all(r["edits"] for r in answer["repairs"])


def test_packs_choose_the_rules_completions_and_repairs_keep(client: TestClient) -> None:
    def ask(path: str, body: dict[str, object], packs: str) -> dict[str, object]:
        response = client.post(path, json=body, params={"packs": packs})
        assert response.status_code == 200, response.text
        return response.json()

    # ncci judges no OPCS-4 code: under it alone the partial record is already complete
    alone = ask("/v1/complete", {"record": "opcs V44.4", "minimal": True}, "ncci")
    assert [c["record"].split(":")[1].strip() for c in alone["completions"]] == ["opcs V44.4"]
    levels = ask("/v1/complete", {"record": "opcs V44.4", "minimal": True}, "opcs4")
    assert levels["completions"] and all(c["record"].split()[3][:3] == "V55" for c in levels["completions"])
    assert all(len(c["record"].split()) == 4 for c in levels["completions"])  # nice.htg3 would need more codes

    def second(packs: str) -> set[str]:
        answer = ask("/v1/complete", {"record": "opcs V44.4", "may": True, "minimal": True}, packs)
        return {p["code"] for p in answer["may"] if p["section"] == "opcs" and p["position"] == 2}

    assert second("ncci") == set()  # nothing need follow
    assert second("opcs4") and {code[:3] for code in second("opcs4")} == {"V55"}

    nothing = ask("/v1/repair", {"record": "ep1: opcs V44.4 Y53.4"}, "ncci")
    assert nothing["violations"] == [] and nothing["repairs"] == []
    repaired = ask("/v1/repair", {"record": "ep1: opcs V44.4 Y53.4"}, "opcs4")
    assert repaired["violations"] and all(rule.startswith("opcs.") for rule in repaired["violations"])
    assert repaired["repairs"] and all(len(r["edits"]) == 1 for r in repaired["repairs"])  # V55 put in; htg3 needs more
    for path in ("/v1/complete", "/v1/repair"):
        body = problem(client.post(path, json={"record": "opcs V44.4"}, params={"packs": "nice.ipg12"}), 422)
        assert "nice.ipg12" in str(body["detail"])


def test_an_unreadable_record_to_complete_is_a_problem_naming_where(client: TestClient) -> None:
    detail = str(problem(client.post("/v1/complete", json={"record": "ep9: opcs V4X.4"}), 422)["detail"])
    assert "record ep9" in detail and "column 11" in detail and "V4X.4" in detail
    problem(client.post("/v1/repair", json={"record": "   "}), 422)


def test_completions_over_their_limits_answer_with_the_reason() -> None:
    # grounding the completions of 60 spinal operations takes several times 64 MiB, and of
    # 24 with every pack longer than 0.5 s (as in test_limits and test_complete)
    starved = ServiceSettings(memory_limit=64 << 20, completers=1)
    with TestClient(create_app(nicelogic.Checker(["opcs4", "nice.htg3"]), starved)) as client:
        body = problem(client.post("/v1/complete", json={"record": "opcs " + " ".join(["V44.4"] * 60)}), 422)
        assert body["title"] == "Memory limit exceeded" and "64 MiB (--memory-limit)" in str(body["detail"])
        assert client.post("/v1/complete", json={"record": "opcs V44.4", "minimal": True}).json()["count"] > 0
    hurried = ServiceSettings(completion_time_limit=0.5, completers=1)
    with TestClient(create_app(nicelogic.Checker(), hurried)) as client:
        body = problem(client.post("/v1/repair", json={"record": "opcs " + " ".join(["V44.4"] * 24)}), 503)
        assert body["title"] == "Time limit exceeded" and "--completion-time-limit" in str(body["detail"])


def test_the_service_starts_even_when_its_completers_warm_up_over_the_time_limit() -> None:
    hurried = ServiceSettings(completion_time_limit=0.001, completers=1)
    with TestClient(create_app(nicelogic.Checker(["opcs4"]), hurried)) as client:
        assert client.post("/v1/check", json="opcs V44.4 V55.1 Y53.4").json()["records"][0]["valid"]
        body = problem(client.post("/v1/complete", json={"record": "opcs V44.4", "minimal": True}), 503)
        assert "--completion-time-limit" in str(body["detail"])


# ------------------------------------------------------------------ FHIR $validate


def test_validate_returns_an_operation_outcome(client: TestClient) -> None:
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "record", "valueString": "ep1: opcs V44.4 Y53.4"}]}
    response = client.post("/v1/$validate", json=parameters, params={"packs": "opcs4"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome" and outcome["id"]
    issues = {i["details"]["coding"][0]["code"]: i for i in outcome["issue"]}
    spinal = issues["opcs.spinal-levels-second"]
    assert spinal["severity"] == "error" and spinal["code"] == "business-rule"
    assert spinal["expression"] == ["opcs[0]"] and "V55" in spinal["diagnostics"]
    assert spinal["details"]["coding"][0]["display"] == spinal["details"]["text"]
    assert all(code.startswith("opcs.") for code in issues)


def test_validate_unknown_and_malformed_codes_are_code_invalid(client: TestClient) -> None:
    unknown = client.post("/v1/$validate", json={"id": "c1", "cpt": ["22511", "99999"]}).json()["issue"]
    assert [(i["severity"], i["code"], i["expression"]) for i in unknown] == [("warning", "code-invalid", ["cpt[1]"])]
    malformed = client.post("/v1/$validate", json="ep1: opcs V4X.4").json()["issue"]
    assert [(i["severity"], i["code"]) for i in malformed] == [("error", "code-invalid")]
    assert "column 11" in malformed[0]["diagnostics"]


def test_validate_a_valid_record_and_parameters_without_one(client: TestClient) -> None:
    fine = client.post("/v1/$validate", json="ep1: opcs V44.4 V55.1 Y53.4 Z66.5; icd M80.0").json()["issue"]
    assert [(i["severity"], i["code"]) for i in fine] == [("information", "informational")]
    empty = {"resourceType": "Parameters", "parameter": [{"name": "other", "valueString": "x"}]}
    assert "record" in str(problem(client.post("/v1/$validate", json=empty), 422)["detail"])


def test_an_unexpected_error_is_a_problem_document_and_the_service_goes_on(tmp_path: Path) -> None:
    # a pack from elsewhere whose rule blames a position its record does not have: checking
    # raises RuleError, which no route expects
    pack = one_rule_pack(tmp_path / "broken", 'violation("broken.rule", R, opcs, 9) :- code(R, opcs, 1, "W37.1").\n')
    app = create_app(nicelogic.Checker([str(pack)]), ServiceSettings(completers=1))
    with TestClient(app, raise_server_exceptions=False) as client:
        body = problem(client.post("/v1/check", json="opcs W37.1"), 500)
        assert "unexpected" in str(body["detail"]) and "W37.1" not in str(body["detail"])
        assert client.post("/v1/check", json="opcs V44.4").json()["records"][0]["valid"]


def test_records_not_checked_within_the_time_limit_are_a_503_with_retry_after() -> None:
    # no record not seen before is grounded and solved in a millisecond (the library takes several)
    with TestClient(create_app(nicelogic.Checker(["opcs4"]), ServiceSettings(time_limit=0.001, completers=1))) as client:
        response = client.post("/v1/check", json=[f"e{n}: opcs V44.4 V55.{n} Y53.{n}" for n in range(1, 5)])
        assert "--time-limit" in str(problem(response, 503)["detail"]) and response.headers["retry-after"] == "1"


def test_the_app_serves_again_after_its_lifespan_ended_and_started_again() -> None:
    app = create_app(nicelogic.Checker(["opcs4"]), ServiceSettings(completers=1))
    for _ in range(2):
        with TestClient(app) as client:
            assert client.post("/v1/check", json="opcs V44.4 V55.1 Y53.4").json()["records"][0]["valid"]
            assert client.post("/v1/complete", json={"record": "opcs V44.4", "minimal": True}).json()["count"] > 0


def test_records_sent_right_after_the_checker_thread_stopped_are_checked() -> None:
    # the lifespan's end stops the batcher's thread and the next request starts another; a
    # request that came before the old thread had seen the stop was never answered (503)
    batcher = CheckBatcher()
    checker = nicelogic.Checker(["opcs4"])
    items = check_items({1: "opcs V44.4 V55.1 Y53.4"})
    for _ in range(20):
        assert batcher.check(checker, items, 10) is not None  # type: ignore[arg-type]
        batcher.close()


def test_concurrent_requests_each_get_their_own_records_back(client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def ids(n: int) -> list[str]:
        body = [f"r{n}-{k}: opcs V44.4 V55.{1 + k % 3} Y53.4" for k in range(1 + n % 4)]
        return [r["id"] for r in client.post("/v1/check", json=body).json()["records"]]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ids, range(40)))
    assert answers == [[f"r{n}-{k}" for k in range(1 + n % 4)] for n in range(40)]


# ------------------------------------------------------------------ access log


def test_access_log_lines_are_json_without_records(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="nicelogic.service.access"):
        body = ["ep1: opcs V44.4 Y53.4", "ep2: opcs V44.4 V55.1 Y53.4"]
        answer = client.post("/v1/check", json=body, params={"packs": "opcs4"}).json()
        client.post("/v1/check", json=["opcs V44.4"] * 6)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "nicelogic.service.access"]
    checked, refused = lines[-2], lines[-1]
    assert checked["decision_id"] == answer["decision_id"] and checked["status"] == 200 and checked["latency_ms"] > 0
    assert (checked["records"], checked["valid"], checked["invalid"]) == (2, 1, 1)
    assert "V44.4" not in json.dumps(lines)
    assert refused["status"] == 413 and refused["path"] == "/v1/check"


def test_log_records_puts_the_records_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    settings = ServiceSettings(log_records=True, completers=1)
    with TestClient(create_app(nicelogic.Checker(["opcs4"]), settings)) as client, caplog.at_level(logging.INFO):
        client.post("/v1/check", json={"id": "e1", "opcs": ["V44.4"]})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "nicelogic.service.access"]
    assert lines[-1]["input"] == [{"id": "e1", "opcs": ["V44.4"]}]


# ------------------------------------------------------------------ a real server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
        time.sleep(0.2)


def test_nicelogic_serve_answers_on_loopback() -> None:
    port = free_port()
    command = [sys.executable, "-m", "nicelogic.cli", "serve", "--rules", "opcs4", "--port", str(port), "--max-records", "2"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        answer = httpx.post(f"{base}/v1/check", json={"records": ["ep1: opcs V44.4 Y53.4"]}).json()
        assert answer["records"][0]["violations"][0]["rule"] == "opcs.spinal-levels-second"
        assert httpx.post(f"{base}/v1/check", json=["V44.4"] * 3).status_code == 413
        completed = httpx.post(f"{base}/v1/complete", json={"record": "opcs V44.4", "minimal": True}, timeout=30).json()
        assert completed["completions"][0]["record"].startswith("1: opcs V44.4 V55.9")
        assert httpx.post(f"{base}/v1/repair", json={"record": "opcs V44.4 Y53.4"}, timeout=30).json()["repairs"]
        outcome = httpx.post(f"{base}/v1/$validate", json="opcs V44.4 Y53.4")
        assert outcome.json()["issue"][0]["details"]["coding"][0]["code"] == "opcs.spinal-levels-second"
        assert httpx.get(f"{base}/health").json() == {"status": "alive"}
        assert "opcs.spinal-levels-second" in {rule["id"] for rule in httpx.get(f"{base}/v1/rules").json()["rules"]}
        assert httpx.get(f"{base}/v1/rules/opcs.spinal-levels-second").json()["pack"] == "opcs4"
        missing = httpx.get(f"{base}/v1/rules/no.such-rule")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert "/v1/check" in httpx.get(f"{base}/openapi.json").json()["paths"]
        assert httpx.get(f"{base}/docs").status_code == httpx.get(f"{base}/static/docs/swagger-ui-bundle.js").status_code == 200
        assert "nicelogic" in httpx.get(f"{base}/").text
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    assert [line["status"] for line in lines if line["path"] == "/v1/check"] == [200, 413]
    assert lines[-1]["path"] == "/" and all("latency_ms" in line for line in lines)
    assert lines[[line["path"] for line in lines].index("/v1/check")]["decision_id"] == answer["decision_id"]
    answered = [line for line in lines if line["method"] == "POST" and line["status"] == 200]
    assert {line["path"] for line in answered} == {"/v1/check", "/v1/complete", "/v1/repair", "/v1/$validate"}
    assert all(line["decision_id"] and line["revision"] for line in answered)  # every verdict can be traced
    assert next(line for line in answered if line["path"] == "/v1/$validate")["invalid"] == 1

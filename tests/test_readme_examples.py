"""Docs with examples that run: every example in README.md and docs/**/*.md is executed here, or
listed below with the reason it cannot be (each entry names the file it is in).

- The files are read in a stable order: README.md, then docs/**/*.md by path
  (readme_examples.doc_files). Examples are grouped by file and section ("## "): the shell commands
  of one group run as one bash script, so a variable set by one command (TOKEN, H, ACCORD) is there
  for the next ones of the same section of the same file, never in another section or file. The
  groups run one after the other, in that order, on one database, so rows an example writes are
  there for every later group.
- Shell blocks (sh, bash) run with bash, one script per file and section, against a module-scoped
  clone holding the demo data (sql/demo.sql as the owner role, as `make up`
  loads it) and the real PostgREST serving it: `localhost:3000` / `127.0.0.1:3000` are replaced by
  the test server's address and nothing else is changed, so `TOKEN=$(.venv/bin/motovault token
  --demo)`, `H=(...)`, `ACCORD=...` and the jq captures run as written. The CLI commands reach the
  clone through MOTOVAULT_DB; files they write land in a scratch folder. Each curl call's status and
  body are recorded, and the outcome its comment documents (see tests/readme_examples.py for the
  vocabulary) is asserted; a call whose comment states nothing must answer 2xx with JSON (or
  nothing). Other commands must exit 0 (or the documented `-> exit N`).
- sql blocks run with psql on the same clone: as `analyst`, or, for a block that says "as the owner
  role", as motovault_owner in a transaction that is rolled back.
- python blocks run statement by statement; `expression  # literal` asserts the value.
- toml blocks (doctor suppressions) must parse and be entries of our .doctor-ignore.toml.
- Two kinds of blocks are run by other tests, and this module checks that they are what it says:
  the pages under docs/doctor/ are generated from the doctor's rules (GENERATED; each must carry
  the generator's mark), and an sql block that is a pgTAP file of tests/pgtap/ verbatim is run as
  that file.
- A command that is neither runnable here (see `runnable()`) nor in SKIP fails
  test_every_example_is_run_or_listed, and so does a SKIP or DISPLAYS entry whose file no longer has
  it.
"""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tokenize
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from motovault.stack.demo import DEMO_TENANT_ID, DEMO_USERS
from motovault.stack.settings import load_settings
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.readme_examples import (
    COMMAND_LIKE,
    EXAMPLE_LANGS,
    SHELL_LANGS,
    Block,
    Outcome,
    ShellExample,
    Value,
    doc_files,
    parse_outcome,
    read_blocks,
    shell_examples,
    sql_statements,
)

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = load_settings()

#: commands that are not run, by file and text (the command on one line, without its comment)
REPLICA = ("a replica of the local stack's cluster on its default ports; tests/test_replica.py runs the same "
           "commands on a replica of the suite's cluster (temporary folder, free port), and tests/test_stack.py "
           "through make up/down/status/reset")
DBA = "docs/dba.md"
DOCTOR = "docs/doctor.md"

AUTH = "docs/auth.md"
_OIDC = ("tests/test_api_integrations.py runs the OpenID Connect flow with a key pair made in the test and a "
         "token it signs")
_KEYS = ("signals the local stack's PostgREST; tests/test_api_integrations.py runs `motovault keys rotate` "
         "(and retire) against the test PostgREST with --dsn, --output, --postgrest-pid and --api-url")
IMPORTS = "docs/imports.md"
_IMPORT_CLI = ("waits for a running import worker, and its files are the reader's; "
               "tests/test_import_api.py::test_cli_dry_run_commit_and_undo runs dry-run, commit and undo "
               "against the test PostgREST with the worker running")
CITUS = "docs/citus.md"
_CITUS = ("needs a Citus build, which make test cannot install (Citus is in no registry); make test-citus "
          "runs the cluster's tests, and tests/test_citus_build.py checks what these commands say without one")

SKIP: dict[tuple[str, str], str] = {
    (IMPORTS, "export MOTOVAULT_TOKEN=$(.venv/bin/motovault token --demo)"): "sets up the CLI lines below; "
    + _IMPORT_CLI,
    (IMPORTS, ".venv/bin/motovault import fuelups.csv --dry-run"): _IMPORT_CLI,
    (IMPORTS, '.venv/bin/motovault import fuelups.csv --currency USD --vehicle "Family car" --yes'): _IMPORT_CLI,
    (IMPORTS, ".venv/bin/motovault import fuelio-backup.zip --currency GBP --skip-errors --yes"): _IMPORT_CLI,
    (IMPORTS, ".venv/bin/motovault import undo 01a24a53-6b1c-7c7a-a04b-130842d84268"): _IMPORT_CLI,
    ("docs/frontdoor.md", ".venv/bin/python bench/api_bench.py --output bench/results/api_bench_front_door.json"):
    "the API benchmark: minutes of load on a 100,000-vehicle database (make bench); not a test",
    (AUTH, "curl -s https://sso.example.com/realms/home/protocol/openid-connect/certs > sso-jwks.json"):
    "an outside provider on the internet; " + _OIDC,
    (AUTH, ".venv/bin/motovault oidc add --issuer https://sso.example.com/realms/home --audience motovault "
           "--jwks sso-jwks.json"): _OIDC,
    (AUTH, 'curl -s -X POST -H "Authorization: Bearer $SSO_TOKEN" "$API/rpc/register_identity"'): _OIDC,
    (AUTH, 'curl -s -H "Authorization: Bearer $SSO_TOKEN" -H "X-Tenant-Id: $TENANT" "$API/vehicles"'): _OIDC,
    (AUTH, ".venv/bin/motovault keys rotate"): _KEYS,
    (AUTH, ".venv/bin/motovault keys retire"): _KEYS,
    (AUTH, ".venv/bin/motovault keys export --output /etc/postgrest/jwks.json "
           "--dsn postgres://motovault_owner@db/motovault"): "a remote database and file; " + _KEYS,
    ("README.md", "make up"): "starts the whole local stack on the default ports (PostgreSQL 54329, "
    "PostgREST 3000) and "
    "installs packages; tests/test_stack.py runs `motovault up` twice, `down`, `status` and `reset` on "
    "its own state folder and ports",
    ("README.md", "make test"): "the test suite itself, which runs this module",
    ("docs/reliability.md", "make soak"): "the long hardening runs (far longer than make test); their short "
    "versions are in make test",
    (DBA, "make up"): "starts the whole local stack (see README.md's `make up`); here it only makes "
    ".state/secrets.env for Docker",
    (DBA, "docker compose --env-file .state/secrets.env up -d --wait"): "Docker cannot run on the development "
    "machines; tests/test_compose.py checks docker-compose.yml statically",
    (DBA, "psql -v owner_password='…' -v dbname=motovault -f sql/bootstrap_owner.sql"): "placeholder password, and "
    "it creates a cluster-wide role; every cluster the tests use is bootstrapped with this file "
    "(motovault.stack.database.bootstrap)",
    (DBA, "PGOPTIONS='-c lock_timeout=5s' sqitch deploy --target db:pg://motovault_owner:…@host:5432/motovault "
          "--set authenticator_password='…'"):
    "placeholder host and passwords; tests/test_sqitch_plan.py deploys, verifies, reverts and redeploys "
    "the plan on a database with data",
    (DBA, "sqitch verify --target …"): "placeholder target; see tests/test_sqitch_plan.py",
    (DBA, "sqitch revert -y --target …"): "placeholder target; see tests/test_sqitch_plan.py",
    ("docs/analysts.md", 'psql "host=127.0.0.1 port=54329 dbname=motovault user=alice"'):
    "opens an interactive session as a "
    "role the reader creates; the statements of the next block are run here as analyst",
    ("docs/vin.md", ".venv/bin/motovault vin decode --online 1FTMW1T88MFA00001"):
    "needs the internet (the NHTSA vPIC API); "
    "tests/test_vin_cli.py runs it against a mocked vPIC",
    (DOCTOR, ".venv/bin/motovault doctor --dsn postgresql://me@db/prod --schema app api --format json > doctor.json"):
    "placeholder DSN of another database; the live checks run on the clone here (`motovault doctor`)",
    (DOCTOR, ".venv/bin/motovault doctor --migrations db/migrations --exact-counts -o report.md"): "placeholder "
    "folder (db/migrations is the reader's migrations); tests/test_doctor_migrations.py lints migration files",
    (DOCTOR, ".venv/bin/motovault doctor --no-live --migrations db/migrations"): "placeholder folder; see "
    "tests/test_doctor_migrations.py",
    (DBA, "make replica"): REPLICA,
    (DBA, "make replica-status"): REPLICA,
    (DBA, 'psql "$(.venv/bin/motovault replica url)" '
          '-c \'select tenant_kind, sum(vehicles) from analytics.fleet_overview group by 1\''): REPLICA,
    (DBA, 'psql "$(.venv/bin/motovault replica url)" -f sql/analyst/cost_per_100km.sql'): REPLICA,
    (DBA, ".venv/bin/motovault replica status --json"): REPLICA,
    (DBA, "make replica-down"): REPLICA,
    (DBA, ".venv/bin/motovault replica drop"): REPLICA,
    (CITUS, "git clone --depth 1 --branch v13.2.2 https://github.com/citusdata/citus /tmp/citus"): "needs the "
    "internet (GitHub), which the CI machines do not reach; " + _CITUS,
    (CITUS, "make citus CITUS_SRC=/tmp/citus"): "needs the Citus source (the clone above); " + _CITUS,
    (CITUS, ".venv/bin/motovault citus up"): _CITUS,
    (CITUS, ".venv/bin/motovault citus deploy"): _CITUS,
    (CITUS, ".venv/bin/motovault citus status"): _CITUS,
    (CITUS, 'psql "$(.venv/bin/motovault citus url)" -c \'select * from citus_get_active_worker_nodes()\''): _CITUS,
    (CITUS, "make test-citus"): _CITUS,
    (CITUS, ".venv/bin/motovault citus move 11111111-1111-4111-8111-111111111111"): "moves a tenant of a "
    "deployed cluster; " + _CITUS + " (tests/citus/test_distribute.py runs this command, and isolates a tenant)",
    (CITUS, ".venv/bin/motovault citus move 11111111-1111-4111-8111-111111111111 --to 127.0.0.1:9701"): _CITUS,
    (CITUS, ".venv/bin/motovault citus isolate 11111111-1111-4111-8111-111111111111"): _CITUS,
    (CITUS, ".venv/bin/motovault citus down"): _CITUS,
    (DBA, "docker compose --env-file .state/secrets.env --profile replica up -d --wait"): "Docker cannot run on the "
    "development machines; tests/test_compose.py checks the replica profile statically",
    (DBA, 'psql "postgresql://motovault_analyst:'
          '$(grep ^MOTOVAULT_ANALYST_PASSWORD= .state/secrets.env | cut -d= -f2)@127.0.0.1:54340/motovault"'):
    "the compose replica (Docker cannot run here); tests/test_replica.py logs in as motovault_analyst on a "
    "local replica",
}

#: untagged blocks that hold command-like lines but are displays, by file and first line
DISPLAYS: dict[tuple[str, str], str] = {
    (DBA, "motovault: bringing the local stack up"): "what `make up` prints; tests/test_stack.py checks its "
    "curl line answers 200",
}

#: folders of generated pages whose examples another test runs (each page must carry the mark)
GENERATED: dict[str, tuple[str, str]] = {
    "docs/doctor/": (
        "<!-- generated by `motovault doctor --write-docs docs/doctor`",
        "one page per doctor rule, generated from src/motovault/doctor/rules; tests/test_doctor_rules.py "
        "runs each rule's example with the defect and the fixed one, and fails when a page differs from "
        "what the rule generates (its toml blocks are templates to fill in, not our suppressions)",
    ),
}

#: languages of blocks that are not examples
DISPLAY_LANGS = ("", "text")

#: `.venv/bin/motovault` subcommands that may run here (the others drive the local stack)
SAFE_SUBCOMMANDS = ("token", "vin", "worker", "doctor", "backup", "maintain", "db", "keys", "export", "import-tenant",
                    "rates", "report")
#: programs a runnable shell example may start (curl only against the API)
SAFE_PROGRAMS = ("curl", "jq", ".venv/bin/motovault", "printf", "echo", "date", "psql", "cut", "cmp")

FILES = [path.relative_to(ROOT).as_posix() for path in doc_files(ROOT)]


def generated_by(file: str) -> str | None:
    """The GENERATED folder a file is in, or None."""
    return next((folder for folder in GENERATED if file.startswith(folder)), None)


#: every block of every file, in the order they run; the generated pages' blocks are left out
ALL_BLOCKS = [b for file in FILES for b in read_blocks(ROOT / file, file)]
BLOCKS = [b for b in ALL_BLOCKS if generated_by(b.file) is None]
SHELL = [e for b in BLOCKS if b.lang in SHELL_LANGS for e in shell_examples(b)]


def _programs(key: str) -> list[list[str]]:
    """The simple commands of a shell command line (argv words), array assignments left out."""
    lexer = shlex.shlex(key, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    segments: list[list[str]] = [[]]
    depth_array = False
    tokens = list(lexer)
    for i, token in enumerate(tokens):
        if depth_array:
            depth_array = token != ")"
            continue
        if token.endswith("=") and i + 1 < len(tokens) and tokens[i + 1] == "(":
            depth_array = True  # NAME=( words ): not a command
            continue
        if token in ("|", "||", "&&", ";", "(", ")", "&"):
            segments.append([])
        else:
            segments[-1].append(token)
    out = []
    for seg in segments:
        # `NAME=$(cmd)` lexes as `NAME=$`, `(`, `cmd`, `)`: assignments are not programs
        words = [w for w in seg if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w) and w != "$"]
        words = [w.removesuffix("$") for w in words]
        if words and words != [""]:
            out.append(words)
    return out


def runnable(example: ShellExample) -> str | None:
    """None when the test may run this command, else why not."""
    for words in _programs(example.key):
        program = words[0]
        if program not in SAFE_PROGRAMS:
            return f"runs {program}"
        if program == "curl" and not example.is_api_call:
            return "curl to something other than the API"
        if program == ".venv/bin/motovault":
            sub = words[1] if len(words) > 1 else ""
            if sub not in SAFE_SUBCOMMANDS:
                return f"motovault {sub} drives the local stack"
            if sub == "worker" and "--once" not in words:
                return "motovault worker without --once runs until stopped"
    return None


def skipped(example: ShellExample) -> bool:
    return (example.block.file, example.key) in SKIP


RUN = [e for e in SHELL if not skipped(e) and runnable(e) is None]


# --- completeness ---------------------------------------------------------------------------------


def test_every_example_is_run_or_listed() -> None:
    problems = []
    for block in BLOCKS:
        if block.lang not in EXAMPLE_LANGS + DISPLAY_LANGS:
            problems.append(f"{block.where}: a ```{block.lang} block: neither run nor a known display")
        elif block.lang in DISPLAY_LANGS:
            commands = [line for line in block.lines if COMMAND_LIKE.match(line)]
            first = block.lines[0].strip() if block.lines else ""
            if commands and (block.file, first) not in DISPLAYS:
                problems.append(
                    f"{block.where}: untagged block with commands ({commands[0].strip()!r}): "
                    "tag it sh so it runs, or list it in DISPLAYS"
                )
    for example in SHELL:
        why = runnable(example)
        if not skipped(example) and why is not None:
            problems.append(
                f"{example.block.file} line {example.line}: `{example.key}` is not run ({why}) and not in SKIP"
            )
    keys = {(e.block.file, e.key) for e in SHELL}
    problems += [f"SKIP names `{key}`, which {file} no longer has" for file, key in SKIP if (file, key) not in keys]
    firsts = {(b.file, b.lines[0].strip()) for b in BLOCKS if b.lines}
    problems += [
        f"DISPLAYS names `{first}`, which {file} no longer has"
        for file, first in DISPLAYS
        if (file, first) not in firsts
    ]
    for file in FILES:
        folder = generated_by(file)
        if folder is not None and GENERATED[folder][0] not in (ROOT / file).read_text()[:1000]:
            problems.append(f"{file} is in {folder} but not generated (its examples would run nowhere)")
    problems += [
        f"{block.where}: an sql block that looks like a pgTAP file but is none of tests/pgtap/*.sql verbatim"
        for block in BLOCKS if block.lang == "sql" and "select plan(" in block.text and not is_pgtap_file(block)
    ]
    assert not problems, "\n".join(problems)


def test_the_files_are_read_in_a_stable_order() -> None:
    assert FILES[0] == "README.md" and FILES[1:] == sorted(FILES[1:]) and all(f.startswith("docs/") for f in FILES[1:])
    assert {"docs/api.md", "docs/dba.md", "docs/doctor/index.md", "docs/testing.md"} <= set(FILES)


def test_the_curl_examples_are_found() -> None:
    calls = [e for e in RUN if e.is_api_call]
    assert len(calls) >= 20, [e.key for e in calls]
    assert all(e.block.lang in SHELL_LANGS for e in calls)


# --- the vocabulary (no database) -----------------------------------------------------------------


def _example(text: str) -> ShellExample:
    (example,) = shell_examples(Block("sh", 1, tuple(text.splitlines()), "s", ""))
    return example


def test_outcome_vocabulary() -> None:
    o = parse_outcome('-> 400 {"code":"23514","message":"vin: position 9 should be 3, found 4","hint":"A VIN has…"}')
    assert (o.status, o.message, dict(o.fields)) == (
        400, Value("vin: position 9 should be 3, found 4"), {"code": Value("23514"), "hint": Value("A VIN has…")})
    o = parse_outcome('-> total_cost 36.95 computed, station_name "Shell Springfield Downtown"')
    assert o.status is None and dict(o.fields) == {
        "total_cost": Value(36.95), "station_name": Value("Shell Springfield Downtown")
    }
    o = parse_outcome("-> 200, 2 rows: the completed record and the next one; a second call -> 409")
    assert (o.status, o.rows, o.second_status, o.fields) == (200, 2, 409, ())
    o = parse_outcome('-> exit 1 (the demo\'s 9 intervals)')
    assert (o.exit_code, o.fields, o.status) == (1, (), None)
    assert parse_outcome('-> 400 "vin: position 9 should be 2, found 3"').message == Value(
        "vin: position 9 should be 2, found 3"
    )
    assert not parse_outcome("-> vehicles_trash").states_anything
    assert parse_outcome("-> 20 rows: the page after the first 20").fields == ()


def test_values_match_exactly_by_prefix_or_with_wildcards() -> None:
    assert Value(36.95).matches(36.95) and Value(36.95).matches("36.95") and not Value(36.95).matches(36.96)
    assert Value("A VIN has…").matches("A VIN has 17 characters") and not Value("A VIN has…").matches("A VIN had")
    wild = Value("odometer: 1000 mi on ... is lower than 152340 mi recorded earlier on ... (fuel_logs)")
    assert wild.matches(
        "odometer: 1000 mi on 2026-11-22 is lower than 152340 mi recorded earlier on 2026-11-20 (fuel_logs)"
    )
    assert not wild.matches(
        "odometer: 1000 mi on 2026-11-22 is lower than 152341 mi recorded earlier on 2026-11-20 (fuel_logs)"
    )
    assert not Value("queued").matches("decoded") and not Value(True).matches(1)


def test_a_changed_answer_fails_the_documented_fields() -> None:
    outcome = parse_outcome('-> [{"intervals":10,"economy":30.07, ...}]')
    check_fields([{"intervals": 10, "economy": 30.07}], outcome)
    with pytest.raises(pytest.fail.Exception):
        check_fields([{"intervals": 10, "economy": 29.86}], outcome)
    with pytest.raises(AssertionError):
        check_fields({"message": "vin: required"}, parse_outcome('-> 400 {"message":"vin: position 9..."}'))
    with pytest.raises(AssertionError):
        check_fields([{}, {}, {}], parse_outcome("-> 2 rows"))


def test_commands_comments_and_continuations() -> None:
    e = _example(
        "curl -s \"$API/x#y\" -H 'a # b' \\\n  -d '{}'   # soft delete -> vehicles_trash\n"
        "# -> 201, vin \"X\"\n#   \"y\": 1"
    )
    assert e.command == "curl -s \"$API/x#y\" -H 'a # b' \\\n  -d '{}'" and e.is_api_call
    assert (e.outcome.status, dict(e.outcome.fields)) == (201, {"vin": Value("X"), "y": Value(1.0)})
    assert _example("A=1; B=$(date +%F)").assigns == ("A", "B")
    # NAME=$VALUE before a command is that command's environment, not a variable of the script
    prefixed = _example("MOTOVAULT_TOKEN=$TOKEN .venv/bin/motovault export tenant --output t.json")
    assert (prefixed.assigns, prefixed.program) == ((), ".venv/bin/motovault")
    assert runnable(prefixed) is None


def test_only_safe_commands_run_unlisted() -> None:
    assert runnable(_example("make up")) == "runs make"
    assert runnable(_example("make reset YES=1")) == "runs make"
    assert runnable(_example(".venv/bin/motovault reset --yes")) == "motovault reset drives the local stack"
    assert runnable(_example(".venv/bin/motovault worker")) is not None
    assert runnable(_example("curl -s https://vpic.nhtsa.dot.gov/api/")) is not None
    assert runnable(_example("curl -s \"$API/\" | jq . && rm -rf x")) == "runs rm"
    assert runnable(_example('H=(-H "Authorization: Bearer $TOKEN")')) is None
    assert runnable(
        _example("X=$(.venv/bin/motovault token --demo); curl -s localhost:3000/x | jq -r '.[0].id'")
    ) is None


# --- running the shell examples -------------------------------------------------------------------


@dataclass
class Call:
    """What one run of a command left behind."""

    rc: int
    stdout: str
    stderr: str
    statuses: list[int]
    body: str | None
    variables: dict[str, str]

    @property
    def status(self) -> int | None:
        return self.statuses[-1] if self.statuses else None

    def json(self) -> object:
        assert self.body is not None
        return json.loads(self.body)


#: the shell examples' calls by (file, line): the call, and the repeated call where there is one
ShellRuns = dict[tuple[str, int], tuple[Call, Call | None]]


@pytest.fixture(scope="module")
def demo_db(api_db: ClonedDatabase) -> ClonedDatabase:
    """The module's clone as `make up` has it: the template's per-database role settings (a clone
    lacks them) and sql/demo.sql loaded as the owner role."""
    result = subprocess.run(
        ["psql", api_db.url(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
         "-c", "set role motovault_owner", "-f", str(ROOT / "sql" / "demo.sql")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return api_db


@pytest.fixture(scope="module")
def api(demo_db: ClonedDatabase) -> Iterator[PostgrestServer]:
    """The real PostgREST, started once the clone is complete (this module's own `api`)."""
    server = PostgrestServer(SETTINGS, demo_db.name).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A scratch folder that looks like the checkout (symlinks), so files examples write land here."""
    with tempfile.TemporaryDirectory(prefix="readme-examples-") as tmp:
        work = Path(tmp) / "checkout"
        work.mkdir()
        for entry in ROOT.iterdir():
            if entry.name not in (".git", ".state", ".pytest_cache"):
                (work / entry.name).symlink_to(entry)
        yield work


def _env(db_name: str, api_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MOTOVAULT_DB=db_name,
        MOTOVAULT_API_PORT=str(api_port),
        # no internet: anything that tries gets a refused proxy, the API is reached directly
        http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
        no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost",
    )
    return env


def to_server(command: str, port: int) -> str:
    """The docs' API address, replaced by the test server's."""
    return re.sub(r"\b(127\.0\.0\.1|localhost):3000(?!\d)", rf"\g<1>:{port}", command)


CURL_WRAPPER = r"""
set -o pipefail
curl() {
    local h
    h=$(mktemp --suffix=.headers "$__mv_dir/$__mv_ex.XXXXXX")
    command curl -D "$h" "$@" | tee "${h%.headers}.body"
    return "${PIPESTATUS[0]}"
}
"""


def section_script(examples: list[ShellExample], port: int, results: Path) -> str:
    parts = [f"__mv_dir={shlex.quote(str(results))}", CURL_WRAPPER]
    for example in examples:
        runs = [str(example.line)] + ([f"{example.line}b"] if example.outcome.second_status else [])
        for run in runs:
            parts.append(f"__mv_ex={run}")
            parts.append(
                "{\n" + to_server(example.command, port) + "\n}"
                + f' >"$__mv_dir/{run}.stdout" 2>"$__mv_dir/{run}.stderr"'
            )
            parts.append(f'echo $? >"$__mv_dir/{run}.rc"')
            for name in example.assigns:
                parts.append(f'printf "%s\\n" "${{{name}[*]-}}" >"$__mv_dir/{run}.var.{name}"')
    return "\n".join(parts) + "\n"


def _read_call(results: Path, run: str, assigns: tuple[str, ...]) -> Call:
    rc_file = results / f"{run}.rc"
    assert rc_file.exists(), f"the script stopped before {run}"
    headers = sorted(results.glob(f"{run}.*.headers"))
    statuses = []
    body = None
    for h in headers:
        codes = re.findall(r"^HTTP/[\d.]+ (\d{3})", h.read_text(), re.M)
        statuses.append(int(codes[-1]) if codes else 0)
        body_file = h.with_name(h.name.removesuffix(".headers") + ".body")
        body = body_file.read_text() if body_file.exists() else ""
    return Call(
        rc=int(rc_file.read_text().strip()),
        stdout=(results / f"{run}.stdout").read_text(),
        stderr=(results / f"{run}.stderr").read_text(),
        statuses=statuses,
        body=body,
        variables={name: (results / f"{run}.var.{name}").read_text().rstrip("\n") for name in assigns},
    )


@pytest.fixture(scope="module")
def shell_runs(demo_db: ClonedDatabase, api: PostgrestServer, workdir: Path) -> ShellRuns:
    """Runs every runnable shell example, one script per file and section, in the order of FILES and
    of each file; results by (file, line)."""
    out: dict[tuple[str, int], tuple[Call, Call | None]] = {}
    groups: list[tuple[str, str]] = []
    for example in RUN:
        group = (example.block.file, example.block.section)
        if group not in groups:
            groups.append(group)
    for index, (file, section) in enumerate(groups):
        examples = [e for e in RUN if (e.block.file, e.block.section) == (file, section)]
        results = workdir.parent / f"results-{index}"
        results.mkdir()
        script = section_script(examples, api.port, results)
        (results / "script.sh").write_text(script)
        proc = subprocess.run(
            ["bash", str(results / "script.sh")], cwd=workdir, env=_env(demo_db.name, api.port),
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert proc.returncode == 0, f"{file}, section {section!r}: bash failed: {proc.stderr}"
        for e in examples:
            first = _read_call(results, str(e.line), e.assigns)
            second = _read_call(results, f"{e.line}b", e.assigns) if e.outcome.second_status else None
            out[(file, e.line)] = (first, second)
    return out


def _describe(call: Call) -> str:
    return f"exit {call.rc}, HTTP {call.statuses}, body {(call.body or '')[:600]!r}, stderr {call.stderr[-3000:]!r}"


def _objects(data: object) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [x for x in data if isinstance(x, dict)]
    return []


def check_fields(data: object, outcome: Outcome) -> None:
    """The documented message, row count and fields are in the JSON answer."""
    if outcome.rows is not None:
        assert isinstance(data, list) and len(data) == outcome.rows, f"expected {outcome.rows} rows, got {data!r}"
    if outcome.message is not None:
        assert isinstance(data, dict), f"expected an error object with a message, got {data!r}"
        assert outcome.message.matches(data.get("message")), f"message {data.get('message')!r} is not {outcome.message}"
    if outcome.fields:
        candidates = _objects(data)
        assert candidates, f"expected an object with {outcome.fields}, got {data!r}"
        for obj in candidates:
            if all(key in obj and value.matches(obj[key]) for key, value in outcome.fields):
                return
        wanted = ", ".join(f"{k} {v}" for k, v in outcome.fields)
        got = [{k: obj.get(k, "<missing>") for k, _ in outcome.fields} for obj in candidates[:5]]
        pytest.fail(f"no object in the answer has {wanted}; got {got}")


def check_api_call(call: Call, expected_status: int | None, outcome: Outcome | None, csv_answer: bool = False) -> None:
    assert call.rc == 0, _describe(call)
    assert len(call.statuses) == 1, f"expected one HTTP call, got {call.statuses}"
    status = call.status
    if expected_status is not None:
        assert status == expected_status, f"expected HTTP {expected_status}: {_describe(call)}"
    else:
        assert status is not None and 200 <= status < 300, f"expected 2xx: {_describe(call)}"
    if status == 204 or (call.body == "" and outcome is None):
        return
    if csv_answer and status is not None and status < 300:
        # `-H 'Accept: text/csv'`: a header line, then one line per row; the documented row count
        # and fields are checked on the rows read with csv.DictReader
        rows = list(csv.DictReader(io.StringIO(call.body or "")))
        assert rows or (call.body or "").strip(), f"expected CSV with a header line: {_describe(call)}"
        if outcome is not None:
            check_fields(rows, outcome)
        return
    try:
        data = json.loads(call.body or "")
    except ValueError:
        pytest.fail(f"the answer is not JSON: {_describe(call)}")
    if outcome is not None:
        check_fields(data, outcome)


def _claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    assert len(parts) == 3, f"not a JWT: {token!r}"
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return claims


_TOKEN_ASSIGNMENT = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)=\$\(\.venv/bin/motovault token\b([^)]*)\)")


def check_tokens(example: ShellExample, variables: dict[str, str]) -> None:
    """`NAME=$(.venv/bin/motovault token ...)`: NAME holds a JWT with the claims the options ask for."""
    for name, options in _TOKEN_ASSIGNMENT.findall(example.key):
        words = options.split()
        claims = _claims(variables[name])
        if "--demo" in words:
            role = words[words.index("--role") + 1] if "--role" in words else "owner"
            assert (claims["sub"], claims["tenant_id"]) == (DEMO_USERS[role], DEMO_TENANT_ID), claims
        else:
            asked = dict(zip(words[0::2], words[1::2], strict=False))
            assert (claims["sub"], claims.get("tenant_id")) == (asked["--user"], asked.get("--tenant")), claims
        assert claims["role"] == "app_user", claims


@pytest.mark.parametrize("example", RUN, ids=[e.id for e in RUN])
def test_shell_example(example: ShellExample, shell_runs: ShellRuns) -> None:
    call, second = shell_runs[(example.block.file, example.line)]
    outcome = example.outcome
    if example.is_api_call:
        csv_answer = bool(re.search(r"Accept: *text/csv", example.key))
        check_api_call(call, outcome.status, outcome if outcome.states_anything else None, csv_answer)
        if outcome.second_status is not None:
            assert second is not None
            check_api_call(second, outcome.second_status, None)
    else:
        expected = outcome.exit_code if outcome.exit_code is not None else 0
        assert call.rc == expected, f"expected exit {expected}: {_describe(call)} stdout {call.stdout[-600:]!r}"
        if outcome.fields or outcome.message or outcome.rows is not None:
            lines = [json.loads(line) for line in call.stdout.splitlines() if line.strip()]
            check_fields(lines, outcome)
    for name, value in call.variables.items():
        assert value and value != "null", f"{name} is empty after `{example.key}`: {_describe(call)}"
    check_tokens(example, call.variables)


# --- sql, python and toml blocks ------------------------------------------------------------------

PGTAP = {path.read_text() for path in (ROOT / "tests" / "pgtap").glob("*.sql")}


def is_pgtap_file(block: Block) -> bool:
    """An sql block that is one of tests/pgtap/*.sql verbatim: pytest runs it as that file (and
    tests/test_harness.py checks docs/testing.md shows its example verbatim)."""
    return block.text in PGTAP


def is_migration_example(block: Block) -> bool:
    """An sql block that shows deploy scripts (its first line names one: `-- deploy/x.sql`)."""
    return bool(block.lines) and block.lines[0].strip().startswith("-- deploy/")


SQL = [
    (b, line, text)
    for b in BLOCKS if b.lang == "sql" and not is_migration_example(b) and not is_pgtap_file(b)
    for line, text in sql_statements(b)
]
MIGRATIONS = [b for b in BLOCKS if b.lang == "sql" and is_migration_example(b)]


@pytest.mark.parametrize("block", MIGRATIONS, ids=[f"{b.file}:L{b.line}" for b in MIGRATIONS])
def test_migration_example_passes_the_doctor_lints(block: Block, tmp_path: Path) -> None:
    """The docs' example changes follow the lock rules the doctor enforces on our own plan: written
    out as numbered migration files (app.vehicles comes from outside them: an existing table), they
    lint clean at --fail-on warning."""
    files: list[list[str]] = []
    for line in block.lines:
        header = re.match(r"^--\s*deploy/(\S+\.sql)", line.strip())
        if header:
            files.append([])
        files[-1].append(line)
    assert len(files) >= 2, f"{block.where}: expected several deploy scripts"
    for i, lines in enumerate(files, start=1):
        (tmp_path / f"{i:03}.sql").write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "motovault", "doctor", "--no-live", "--migrations", str(tmp_path),
         "--fail-on", "warning", "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    findings = json.loads(result.stdout)["findings"] if result.stdout.strip() else []
    bad = [f["key"] for f in findings if f["level"] in ("warning", "error")]
    assert result.returncode == 0 and not bad, f"{block.where}: {bad or result.stderr}"


@pytest.mark.parametrize(
    ("block", "line", "statement"), SQL, ids=[f"{b.file}:L{line} {text.split()[0:3]}" for b, line, text in SQL]
)
def test_sql_example(block: Block, line: int, statement: str, demo_db: ClonedDatabase, workdir: Path) -> None:
    if "as the owner role" in block.text:
        script = f"begin;\nset role motovault_owner;\n{statement}\nrollback;\n"
    else:
        script = f"set role analyst;\n{statement}\n"
    result = subprocess.run(
        ["psql", demo_db.url(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=script, cwd=workdir, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), f"{block.file} line {line}: {result.stderr}"
    if "as the owner role" not in block.text:
        assert result.stdout.strip(), f"{block.file} line {line}: no rows on the demo data"


PYTHON = [b for b in BLOCKS if b.lang == "python"]


def _line_comments(source: str) -> dict[int, str]:
    return {
        tok.start[0]: tok.string[1:].strip()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    }


@pytest.mark.parametrize("block", PYTHON, ids=[f"{b.file}:L{b.line}" for b in PYTHON])
def test_python_example(block: Block) -> None:
    """Runs the block; `expression  # a Python literal` asserts the expression's value."""
    source = block.text
    comments = _line_comments(source)
    namespace: dict[str, object] = {}
    checked = 0
    for stmt in ast.parse(source).body:
        comment = comments.get(stmt.lineno, "")
        try:
            expected = ast.literal_eval(comment) if comment else None
            is_literal = bool(comment)
        except (ValueError, SyntaxError):
            is_literal = False
        if isinstance(stmt, ast.Expr) and is_literal:
            value = eval(compile(ast.Expression(stmt.value), block.file, "eval"), namespace)
            assert value == expected, f"{block.file} line {block.line + stmt.lineno - 1}: {value!r} != {expected!r}"
            checked += 1
        else:
            exec(compile(ast.Module([stmt], []), block.file, "exec"), namespace)
    assert checked or not any(isinstance(s, ast.Expr) for s in ast.parse(source).body)


TOML = [b for b in BLOCKS if b.lang == "toml"]


@pytest.mark.parametrize("block", TOML, ids=[f"{b.file}:L{b.line}" for b in TOML])
def test_toml_example_is_one_of_our_suppressions(block: Block) -> None:
    shown = tomllib.loads(block.text)["suppress"]
    ours = tomllib.loads((ROOT / ".doctor-ignore.toml").read_text())["suppress"]
    for entry in shown:
        assert entry.get("reason"), entry
        assert any(o.get("lint") == entry["lint"] and o.get("object") == entry["object"]
                   and o.get("checks") == entry.get("checks") for o in ours), entry

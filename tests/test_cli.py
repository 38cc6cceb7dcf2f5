"""The ``kinerja-flow`` command, each run in a process of its own (tests/support/cli.py)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja_flow.app import create_app
from kinerja_flow.config import load_settings
from kinerja_flow.resources import data_dir
from tests.support.cli import CliResult, run_cli

STRONG = "kopi-tubruk-sawah-hijau-42"
EXPECTED_TABLES = {
    "accounts",
    "appraisals",
    "audit_events",
    "audit_head",
    "cycles",
    "employees",
    "outbox_messages",
    "targets",
    "units",
}


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "cli.sqlite3"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def cli(tmp_path: Path, database: Path, *args: str) -> CliResult:
    return run_cli(*args, database_url=sqlite_url(database), cwd=tmp_path)


def sqlite_tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def sqlite_execute(path: Path, sql: str, *params: object) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute(sql, params)
        db.commit()


# -- db upgrade ---------------------------------------------------------------------------


@pytest.fixture
def empty_postgres(database_url: str) -> Iterator[str]:
    """A brand-new PostgreSQL database next to the test database, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.fail("only for PostgreSQL")  # never reached: callers check the backend
    name = f"kinerja_cli_{uuid.uuid4().hex[:12]}"
    server = make_url(database_url)

    async def admin(statement: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def postgres_tables(url: str) -> tuple[set[str], int]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        tables = (
            await connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            )
        ).scalars()
        names = set(tables)
        head = (await connection.execute(text("SELECT last_seq FROM audit_head"))).scalar_one()
    await engine.dispose()
    return names, head


def test_db_upgrade_creates_the_schema(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database_url.startswith("postgresql"):
        url: str = request.getfixturevalue("empty_postgres")
        first = run_cli("db", "upgrade", database_url=url, cwd=tmp_path)
        assert first.code == 0, first.err
        assert "database is up to date" in first.out
        tables, last_seq = asyncio.run(postgres_tables(url))
    else:
        database = tmp_path / "fresh.sqlite3"
        assert not database.exists()
        first = cli(tmp_path, database, "db", "upgrade")
        assert first.code == 0, first.err
        assert "database is up to date" in first.out
        tables = sqlite_tables(database)
        with closing(sqlite3.connect(database)) as db:
            (last_seq,) = db.execute("SELECT last_seq FROM audit_head").fetchone()
        url = sqlite_url(database)
    assert tables >= EXPECTED_TABLES | {"alembic_version"}
    assert last_seq == 0  # the audit chain starts empty, from its genesis row
    again = run_cli("db", "upgrade", database_url=url, cwd=tmp_path)
    assert again.code == 0, again.err  # running it twice is harmless


# -- admin create -------------------------------------------------------------------------


async def sign_in(database: Path, username: str, password: str) -> tuple[int, list[str]]:
    settings = load_settings(
        {},
        database_url=sqlite_url(database),
        embedded_worker=False,
        secret_key="test-secret-key-with-enough-length-0123456789",
    )
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        if response.status_code != 200:
            return response.status_code, []
        token = response.json()["access_token"]
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        roles: list[str] = me.json()["roles"]
        return response.status_code, roles


async def test_admin_create_makes_an_hr_admin_who_can_sign_in(
    tmp_path: Path, sqlite_file: Path
) -> None:
    created = await asyncio.to_thread(
        cli,
        tmp_path,
        sqlite_file,
        "admin",
        "create",
        "--email",
        " HR@Example.go.id ",
        "--password",
        STRONG,
    )
    assert created.code == 0, created.err
    assert "hr@example.go.id" in created.out
    assert await sign_in(sqlite_file, "hr@example.go.id", STRONG) == (200, ["hr"])
    assert (await sign_in(sqlite_file, "hr@example.go.id", STRONG + "x"))[0] == 401


def test_admin_create_refuses_an_existing_email(tmp_path: Path, sqlite_file: Path) -> None:
    first = cli(
        tmp_path,
        sqlite_file,
        "admin",
        "create",
        "--email",
        "hr@example.go.id",
        "--password",
        STRONG,
    )
    assert first.code == 0, first.err
    for email in ("hr@example.go.id", "HR@EXAMPLE.GO.ID"):
        again = cli(
            tmp_path,
            sqlite_file,
            "admin",
            "create",
            "--email",
            email,
            "--password",
            "another-" + STRONG,
        )
        assert again.code != 0
        assert "hr@example.go.id" in again.err
        assert "already exists" in again.err
        assert "Traceback" not in again.err
    with closing(sqlite3.connect(sqlite_file)) as db:
        assert db.execute("SELECT COUNT(*) FROM accounts").fetchone() == (1,)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("pendek", "at least 10 characters"), ("password123", "too easy to guess")],
)
def test_admin_create_refuses_a_weak_password(
    tmp_path: Path, sqlite_file: Path, password: str, reason: str
) -> None:
    weak = cli(
        tmp_path,
        sqlite_file,
        "admin",
        "create",
        "--email",
        "hr@example.go.id",
        "--password",
        password,
    )
    assert weak.code != 0
    assert reason in weak.err
    assert "Traceback" not in weak.err
    with closing(sqlite3.connect(sqlite_file)) as db:
        assert db.execute("SELECT COUNT(*) FROM accounts").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM audit_events").fetchone() == (0,)
    strong = cli(
        tmp_path,
        sqlite_file,
        "admin",
        "create",
        "--email",
        "hr@example.go.id",
        "--password",
        STRONG,
    )
    assert strong.code == 0, strong.err  # nothing half-written blocks a correct retry


# -- workflows check ----------------------------------------------------------------------


def test_workflows_check_passes_the_shipped_files(tmp_path: Path, sqlite_file: Path) -> None:
    result = cli(tmp_path, sqlite_file, "workflows", "check")
    assert result.code == 0, result.err
    assert result.problems == []
    assert re.search(r"appraisal\.toml: ok \(10 states, 14 transitions\)", result.out), result.out
    assert re.search(r"followup_rules\.toml: ok \(5 rules\)", result.out), result.out


VALID = """\
name = "mini"
kind = "appraisal"
initial = "planning"

[states.planning]
deadline = "targets_due"

[states.review]
description = "The evaluator looks."

[states.review.allows]
evaluation = ["evaluator"]

[states.done]
final = true

[[transitions]]
trigger = "submit"
source = "planning"
dest = "review"
who = ["employee"]
guards = ["has_targets"]

[[transitions]]
trigger = "finish"
source = "review"
dest = "done"
who = ["evaluator"]
effects = ["record_ratings"]

[[transitions]]
trigger = "cancel"
source = "*"
dest = "done"
who = ["hr"]
guards = ["reason_given"]
"""

# (name, what replaces what in VALID, the line that must be blamed, words of the reason)
BREAKAGES: list[tuple[str, tuple[str, str], str, tuple[str, ...]]] = [
    (
        "unknown top-level key",
        ('initial = "planning"', 'initial = "planning"\ncolour = "blue"'),
        'colour = "blue"',
        ("unknown", "colour"),
    ),
    (
        "unknown key in a state",
        ('deadline = "targets_due"', 'deadline = "targets_due"\ntimeout = "3d"'),
        'timeout = "3d"',
        ("unknown", "timeout"),
    ),
    (
        "unknown key in a transition",
        ('who = ["evaluator"]', 'who = ["evaluator"]\npriority = 1'),
        "priority = 1",
        ("unknown", "priority"),
    ),
    (
        "unknown source state",
        ('source = "review"', 'source = "reveiw"'),
        'source = "reveiw"',
        ("unknown state", "reveiw"),
    ),
    (
        "unknown dest state",
        ('dest = "done"\nwho = ["evaluator"]', 'dest = "dun"\nwho = ["evaluator"]'),
        'dest = "dun"',
        ("unknown state", "dun"),
    ),
    (
        "unknown guard",
        ('guards = ["has_targets"]', 'guards = ["has_targets", "bribe_paid"]'),
        'guards = ["has_targets", "bribe_paid"]',
        ("unknown guard", "bribe_paid"),
    ),
    (
        "unknown effect",
        ('effects = ["record_ratings"]', 'effects = ["record_ratings", "rm_rf"]'),
        'effects = ["record_ratings", "rm_rf"]',
        ("unknown effect", "rm_rf"),
    ),
    (
        "unknown role",
        ('who = ["employee"]', 'who = ["employee", "minister"]'),
        'who = ["employee", "minister"]',
        ("unknown role", "minister"),
    ),
    (
        "unreachable state",
        ("[states.done]", '[states.limbo]\ndescription = "x"\n\n[states.done]'),
        "[states.limbo]",
        ("unreachable", "limbo"),
    ),
    (
        "unknown capability",
        ('evaluation = ["evaluator"]', 'evaluation = ["evaluator"]\nbribery = ["evaluator"]'),
        'bribery = ["evaluator"]',
        ("unknown capability", "bribery"),
    ),
    (
        "unknown role for a capability",
        ('evaluation = ["evaluator"]', 'evaluation = ["minister"]'),
        'evaluation = ["minister"]',
        ("unknown role", "minister"),
    ),
    ("invalid TOML", ('dest = "review"', "dest = review"), "dest = review", ("invalid toml",)),
]

UNKNOWN_KEY = "unknown key in a transition"
LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<reason>.+)$")


def line_number(source: str, needle: str) -> int:
    matches = [n for n, line in enumerate(source.splitlines(), start=1) if line == needle]
    assert len(matches) == 1, (needle, matches)
    return matches[0]


def problems_of(result: CliResult, file: Path) -> list[tuple[int, str]]:
    found = []
    for raw in result.problems:
        match = LINE.match(raw)
        assert match, f"not `file:line: reason`: {raw!r}"
        assert match["file"] == str(file), raw
        found.append((int(match["line"]), match["reason"]))
    return found


def test_workflows_check_accepts_a_small_valid_file(tmp_path: Path, sqlite_file: Path) -> None:
    file = tmp_path / "mini.toml"
    file.write_text(VALID, encoding="utf-8")
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(file))
    assert result.code == 0, result.err
    assert f"{file}: ok (3 states, 3 transitions)" in result.out


@pytest.mark.parametrize(
    ("replace", "blamed", "words"),
    [case[1:] for case in BREAKAGES],
    ids=[case[0] for case in BREAKAGES],
)
def test_workflows_check_blames_the_right_line(
    tmp_path: Path, sqlite_file: Path, replace: tuple[str, str], blamed: str, words: tuple[str, ...]
) -> None:
    old, new = replace
    assert VALID.count(old) == 1
    source = VALID.replace(old, new)
    file = tmp_path / "broken.toml"
    file.write_text(source, encoding="utf-8")
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(file))
    assert result.code == 1, (result.out, result.err)
    assert "ok" not in result.out
    found = problems_of(result, file)
    assert len(found) == 1, found
    line, reason = found[0]
    assert line == line_number(source, blamed), (found, blamed)
    for word in words:
        assert word in reason.lower(), reason


RECALL = """
[[transitions]]
trigger = "recall"
source = "review"
dest = "planning"
who = ["employee"]
"""


def test_workflows_check_reports_every_problem_of_a_file(tmp_path: Path, sqlite_file: Path) -> None:
    # every breakage but the syntax error; the unknown transition key goes to a transition
    # of its own, so each problem stands on a different line and none hides another
    source = VALID
    broken = [case for case in BREAKAGES if case[0] not in {"invalid TOML", UNKNOWN_KEY}]
    for _name, (old, new), _blamed, _words in broken:
        source = source.replace(old, new)
    source += RECALL.replace('who = ["employee"]\n', 'who = ["employee"]\nhops = 2\n')
    file = tmp_path / "many.toml"
    file.write_text(source, encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(VALID.replace('name = "mini"', 'name = "good"'), encoding="utf-8")
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(file), str(good))
    assert result.code == 1, (result.out, result.err)
    assert f"{good}: ok" in result.out  # the other file is still checked
    found = problems_of(result, file)
    expected = {line_number(source, blamed): words for _n, _r, blamed, words in broken}
    expected[line_number(source, "hops = 2")] = ("unknown", "hops")
    assert sorted(line for line, _reason in found) == sorted(expected), found
    for line, reason in found:
        for word in expected[line]:
            assert word in reason.lower(), (line, reason)


def test_an_unknown_key_does_not_hide_other_problems_of_its_transition(
    tmp_path: Path, sqlite_file: Path
) -> None:
    source = VALID + RECALL.replace(
        'who = ["employee"]\n', 'who = ["employee", "minister"]\nhops = 2\n'
    )
    file = tmp_path / "hidden.toml"
    file.write_text(source, encoding="utf-8")
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(file))
    assert result.code == 1, (result.out, result.err)
    found = problems_of(result, file)
    assert sorted(line for line, _reason in found) == [
        line_number(source, 'who = ["employee", "minister"]'),
        line_number(source, "hops = 2"),
    ], found


DEADLINE = 'deadline = "targets_due"'
# (name, the deadline written instead, words of the reason); the deadline's line is blamed
DEADLINE_BREAKAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("unknown date", 'deadline = "targets_soon"', ("unknown deadline", "targets_soon")),
    (
        "unknown recipient of a reminder",
        'deadline = { date = "targets_due", remind = [{ before = 7, to = ["minister"] }] }',
        ("unknown recipient", "minister"),
    ),
    (
        "unknown recipient of an escalation",
        'deadline = { date = "targets_due", escalate = [{ to = ["mayor"] }] }',
        ("unknown recipient", "mayor"),
    ),
    (
        "unknown trigger",
        'deadline = { date = "targets_due", trigger = "vanish" }',
        ("unknown trigger", "vanish"),
    ),
    (
        "a trigger only people fire",
        'deadline = { date = "targets_due", trigger = "submit" }',
        ("submit", "system"),
    ),
    ("both a date and days", 'deadline = { date = "targets_due", days = 3 }', ("exactly one",)),
    (
        "a reminder before the state is entered",
        'deadline = { days = 3, remind = [{ before = 5, to = ["employee"] }] }',
        ("reminder", "before it is entered"),
    ),
    ("an unknown key", 'deadline = { date = "targets_due", snooze = 2 }', ("unknown", "snooze")),
]


@pytest.mark.parametrize(
    ("written", "words"),
    [case[1:] for case in DEADLINE_BREAKAGES],
    ids=[case[0] for case in DEADLINE_BREAKAGES],
)
def test_workflows_check_refuses_a_bad_deadline_on_its_line(
    tmp_path: Path, sqlite_file: Path, written: str, words: tuple[str, ...]
) -> None:
    source = VALID.replace(DEADLINE, written)
    file = tmp_path / "deadline.toml"
    file.write_text(source, encoding="utf-8")
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(file))
    assert result.code == 1, (result.out, result.err)
    found = problems_of(result, file)
    assert len(found) == 1, found
    line, reason = found[0]
    assert line == line_number(source, written), found
    for word in words:
        assert word in reason.lower(), reason


def test_workflows_check_accepts_deadlines_that_act(tmp_path: Path, sqlite_file: Path) -> None:
    source = VALID.replace(
        DEADLINE,
        'deadline = { days = 10, working_days = true, remind = [{ before = 2, to = ["employee"] }],'
        ' escalate = [{ after = 1, to = ["reviewer", "hr"] }], trigger = "lapse" }',
    ) + RECALL.replace("recall", "lapse").replace(
        'source = "review"\ndest = "planning"\nwho = ["employee"]',
        'source = "planning"\ndest = "done"\nwho = ["system"]',
    )
    file = tmp_path / "acting.toml"
    file.write_text(source, encoding="utf-8")
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(file))
    assert result.code == 0, (result.out, result.err)
    assert f"{file}: ok (3 states, 4 transitions)" in result.out


def test_workflows_check_reports_a_missing_file(tmp_path: Path, sqlite_file: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = cli(tmp_path, sqlite_file, "workflows", "check", str(missing))
    assert result.code == 1
    assert result.problems[0].startswith(f"{missing}:1: ")


# -- workflows graph ----------------------------------------------------------------------


def test_workflows_graph_draws_every_transition(tmp_path: Path, sqlite_file: Path) -> None:
    result = cli(tmp_path, sqlite_file, "workflows", "graph")
    assert result.code == 0, result.err
    lines = [line.strip() for line in result.out.splitlines()]
    assert lines[0] == "stateDiagram-v2"
    assert "reviewed --> appealed: file_appeal (employee)" in lines
    shipped = tomllib.loads((data_dir("workflows") / "appraisal.toml").read_text("utf-8"))
    assert f"[*] --> {shipped['initial']}" in lines
    open_states = [name for name, state in shipped["states"].items() if not state.get("final")]
    drawn = 0
    for transition in shipped["transitions"]:
        sources = open_states if transition["source"] == "*" else [transition["source"]]
        for source in sources:
            edge = f"{source} --> {transition['dest']}: {transition['trigger']}"
            assert any(line.startswith(edge) for line in lines), edge
            drawn += 1
    assert sum(" --> " in line and "[*]" not in line for line in lines) == drawn
    for name, state in shipped["states"].items():
        if state.get("final"):
            assert f"{name} --> [*]" in lines


def test_workflows_graph_of_an_unknown_workflow_fails(tmp_path: Path, sqlite_file: Path) -> None:
    result = cli(tmp_path, sqlite_file, "workflows", "graph", "no_such_workflow")
    assert result.code != 0
    assert "no_such_workflow" in result.err
    assert "stateDiagram" not in result.out


# -- audit verify -------------------------------------------------------------------------


def test_audit_verify_passes_an_intact_chain_and_fails_a_tampered_one(
    tmp_path: Path, sqlite_file: Path
) -> None:
    assert cli(tmp_path, sqlite_file, "db", "upgrade").code == 0
    empty = cli(tmp_path, sqlite_file, "audit", "verify")
    assert empty.code == 0, empty.err
    assert "ok: 0 events" in empty.out
    for email in ("hr@example.go.id", "hr2@example.go.id", "hr3@example.go.id"):
        made = cli(tmp_path, sqlite_file, "admin", "create", "--email", email, "--password", STRONG)
        assert made.code == 0, made.err
    intact = cli(tmp_path, sqlite_file, "audit", "verify")
    assert intact.code == 0, intact.err
    assert "ok: 3 events" in intact.out

    with closing(sqlite3.connect(sqlite_file)) as db:
        original = db.execute("SELECT data FROM audit_events WHERE seq = 2").fetchone()[0]
        last = db.execute("SELECT * FROM audit_events WHERE seq = 3").fetchone()
    sqlite_execute(
        sqlite_file,
        "UPDATE audit_events SET data = ? WHERE seq = 2",
        original.replace("hr2@example.go.id", "intruder@example.com"),
    )
    changed = cli(tmp_path, sqlite_file, "audit", "verify")
    assert changed.code == 1
    assert "BROKEN at event 2" in changed.err

    sqlite_execute(sqlite_file, "UPDATE audit_events SET data = ? WHERE seq = 2", original)
    assert cli(tmp_path, sqlite_file, "audit", "verify").code == 0  # undone: intact again

    sqlite_execute(sqlite_file, "DELETE FROM audit_events WHERE seq = 3")
    deleted = cli(tmp_path, sqlite_file, "audit", "verify")
    assert deleted.code == 1
    assert "BROKEN at event 3" in deleted.err
    placeholders = ", ".join("?" for _ in last)
    sqlite_execute(sqlite_file, f"INSERT INTO audit_events VALUES ({placeholders})", *last)  # noqa: S608
    assert cli(tmp_path, sqlite_file, "audit", "verify").code == 0

"""The console in real headless Chromium: a call taken, worked and re-allocated; axe-core checks.

Skipped when Debian's chromium or Playwright is missing. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from callrouter.config import PROJECT_ROOT
from callrouter.console.assets import AXE_DEST
from callrouter.db.models import Escalation, Task
from callrouter.services import allocation, messages
from callrouter.web import create_app
from tests.console.conftest import PASSWORD, create_staff, create_task, create_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE_JS = AXE_DEST / "axe.min.js"

if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


class InlineDispatcher:
    """Run the jobs at once in this process, as a worker would, after the commit."""

    def __init__(self):
        self.runtime = None

    def enqueue(self, job: str, *args: int, at=None) -> None:
        if at is not None:
            return  # a timer: the scheduler would run it later, beyond these walks
        with self.runtime.unit_of_work(self) as uow:
            if job == "allocate_task":
                allocation.allocate_task(uow, args[0], datetime.now(UTC))
            elif job == "send_message":
                messages.send_message(uow, args[0], None)


@pytest.fixture
def live(settings, runtime):
    dispatcher = InlineDispatcher()
    dispatcher.runtime = runtime
    server_app = create_app(
        replace(settings, public_base_url="http://127.0.0.1"),
        dispatcher=dispatcher,
        runtime=runtime,
    )
    server_app.config["CONSOLE_POLL_SECONDS"] = 1
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def signed_in(browser, base: str, email: str, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.goto(f"{base}/console/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector(".console-signed-in")
    return page


def test_an_advisor_takes_a_call_and_the_duty_worker_completes_it(live, browser, db):
    create_staff(db, "sw1", "Sam Worker", "social_worker", team="mash")
    worker_user = create_user(db, "social_worker", name="Sam Worker", staff_ref="sw1")
    advisor_user = create_user(db, "advisor", name="Ada Advisor")

    worker = signed_in(browser, live, worker_user.email)
    assert worker.locator("h1").inner_text() == "My call-backs"
    assert "You have no call-backs now" in worker.inner_text("#callback-rows")

    advisor = signed_in(browser, live, advisor_user.email)
    advisor.click("text=Take a call")
    advisor.check("#caller_type")  # professional, the first option
    advisor.check("input[name=service][value=checs]")
    advisor.check("input[name=open_case][value=none]")
    advisor.check("input[name=level][value=s47]")
    advisor.fill("#callback_number", "07400 123456")
    advisor.fill("#caller_name", "Ann Teacher")
    advisor.fill("#caller_agency", "Teacher, Oak Primary")
    advisor.fill("#child_name", "Sam Smith")
    advisor.check("input[name=consent][value=given]")
    advisor.fill("#summary", "Bruises on Sam's arms, seen this morning.")
    shot(advisor, "1-advisor-form")
    advisor.click("#save-call")
    advisor.wait_for_selector(".govuk-panel")
    reference = advisor.inner_text("#reference")
    assert "A social worker will call you back" in advisor.inner_text("main")
    shot(advisor, "2-advisor-call-saved")

    # The worker's list refreshes itself and announces the new call-back.
    worker.wait_for_selector(
        f"#callback-rows a:has-text('{reference}')", timeout=30_000
    )  # a poll and an allocation: slow on a busy machine
    assert "new call-back" in worker.inner_text("#callback-announcer")
    shot(worker, "3-worker-new-callback")
    worker.click(f"#callback-rows a:has-text('{reference}')")
    assert "Ann Teacher" in worker.inner_text("main")
    worker.check("input[name=outcome][value=reached]")
    worker.click("button:has-text('Record attempt')")
    assert "Reached the caller" in worker.inner_text("#attempts")
    worker.click("button:has-text('Complete call-back')")
    worker.wait_for_selector("text=Call-back completed")
    shot(worker, "4-worker-completed")
    db.expire_all()
    task = db.query(Task).one()
    assert task.status == "completed"


def test_a_manager_reallocates_a_call_back_using_only_the_keyboard(live, browser, db):
    holder = create_staff(db, "sw1", "Sam Worker", "social_worker")
    create_staff(db, "sw2", "Alex Other", "social_worker")
    create_staff(db, "pm1", "Pat Manager", "practice_manager", on_shift=False)
    manager = create_user(db, "practice_manager", name="Pat Manager", staff_ref="pm1")
    task = create_task(db, assignee=holder, reference="MOVE01")
    page = signed_in(browser, live, manager.email)
    assert page.locator("h1").inner_text() == "Call-back queue"
    page.goto(f"{live}/console/tasks/{task.id}")
    page.focus("#staff_id")
    page.select_option("#staff_id", label="Alex Other (social worker)")
    page.keyboard.press("Tab")
    page.keyboard.type("Sam is in court this afternoon")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Call-back re-allocated")
    assert "Sam is in court this afternoon" in page.inner_text("main")
    shot(page, "5-manager-reallocated")
    db.expire_all()
    assert db.get(Task, task.id).assignee.name == "Alex Other"


def test_the_edt_sees_an_escalation_arrive_and_takes_a_waiting_call_back(live, browser, db):
    worker = create_staff(db, "sw1", "Sam Worker", "social_worker")
    eve = create_staff(db, "ed1", "Eve Duty", "edt_social_worker", team="edt")
    edt = create_user(
        db, "social_worker", email="edt@council.example", name="Eve Duty", staff_ref="ed1"
    )
    busy = create_task(db, assignee=worker, reference="BUSY47", out_of_hours_cover=True)
    # A two-hour s47 (Cheshire East): not yet the EDT's, but it can be taken.
    create_task(db, due_in=timedelta(minutes=110), reference="WAIT47", out_of_hours_cover=True)
    page = signed_in(browser, live, edt.email)
    assert "WAIT47" in page.inner_text("#waiting-rows")
    assert "No open call-back has been escalated to you" in page.inner_text("#escalated-rows")

    # Told while the page is open: the next poll shows it.
    db.add(
        Escalation(
            task_id=busy.id,
            kind="at_risk",
            task_due_at=busy.due_at,
            manager_id=eve.id,
            created_at=datetime.now(UTC),
        )
    )
    db.commit()
    page.wait_for_selector("#escalated-rows a:has-text('BUSY47')", timeout=30_000)
    assert "Sam Worker" in page.inner_text("#escalated-rows")
    shot(page, "6-edt-told-of-an-escalation")

    page.click("#waiting-rows button:has-text('Take')")
    page.wait_for_selector("text=This call-back is now yours")
    assert page.locator("#start-call").count() == 1
    db.expire_all()
    assert db.query(Task).filter_by(assignee_id=eve.id).count() == 1


@pytest.mark.parametrize("zoom", [1, 2])
def test_main_pages_have_no_serious_accessibility_violations(live, browser, db, zoom):
    if not AXE_JS.exists():
        pytest.skip("axe-core not installed: run scripts/install_assets.sh")
    staff = create_staff(db, "sw1", "Sam Worker", "social_worker")
    create_staff(db, "pm1", "Pat Manager", "practice_manager", on_shift=False)
    edt_staff = create_staff(db, "ed1", "Eve Duty", "edt_social_worker")
    task = create_task(db, assignee=staff)
    waiting = create_task(db, reference="WAIT47", out_of_hours_cover=True)  # waits for the EDT
    db.add(
        Escalation(
            task_id=waiting.id,
            kind="at_risk",
            task_due_at=waiting.due_at,
            manager_id=edt_staff.id,
            created_at=datetime.now(UTC),
        )
    )
    db.commit()
    users = {
        "advisor": create_user(db, "advisor"),
        "social_worker": create_user(db, "social_worker", staff_ref="sw1"),
        "edt": create_user(db, "social_worker", email="edt@council.example", staff_ref="ed1"),
        "practice_manager": create_user(db, "practice_manager", staff_ref="pm1"),
        "admin": create_user(db, "admin"),
    }
    pages = {
        "advisor": [
            "/console/calls",
            "/console/calls/new",
            "/console/directory",
            "/console/history?number=07400123456",
        ],
        "social_worker": ["/console/callbacks", f"/console/tasks/{task.id}"],
        "edt": ["/console/callbacks"],
        "practice_manager": ["/console/queue"],
        "admin": ["/console/users", "/console/audit"],
    }
    # 200% zoom: a 1280-pixel screen is 640 CSS pixels wide (WCAG 1.4.4, 1.4.10 reflow).
    viewport = {"width": 1280 // zoom, "height": 900 // zoom}
    axe = AXE_JS.read_text()
    problems = []
    for role, urls in pages.items():
        page = signed_in(browser, live, users[role].email, viewport=viewport)
        for url in [*urls, "/console/sign-in"] if role == "admin" else urls:
            page.goto(f"{live}{url}")
            page.add_script_tag(content=axe)
            result = page.evaluate(
                "() => axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
            )
            for violation in result["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    problems.append(
                        (
                            url,
                            violation["id"],
                            violation["help"],
                            [n["target"] for n in violation["nodes"]][:3],
                        )
                    )
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append((url, "reflow", f"scrolls sideways by {overflow}px", []))
            if zoom == 2:
                shot(page, "zoom200" + url.replace("/", "-").split("?")[0])
    assert problems == []


def test_the_console_renders_unstyled_without_the_assets(client, db, tmp_path, monkeypatch):
    from callrouter.console import GOVUK_DIR

    if GOVUK_DIR.exists():
        hidden = tmp_path / "govuk"
        shutil.move(GOVUK_DIR, hidden)
        try:
            page = client.get("/console/sign-in")
        finally:
            shutil.move(hidden, GOVUK_DIR)
    else:
        page = client.get("/console/sign-in")
    assert page.status_code == 200
    assert "govuk-frontend.min.css" not in page.get_data(as_text=True)

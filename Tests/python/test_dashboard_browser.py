"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): sign in with the admin token, the overview's figures equal the analytics API's,
filter the logs, open one, set its feedback and see it stored, sign out; and attacker-written
log content (a prompt, a model name, metadata) stays text that runs nothing."""

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    NoAlertPresentException, NoSuchElementException, StaleElementReferenceException)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ADMIN_TOKEN = "dashboard-test-token-7f3a"
HOSTILE_MODEL = "<script>window.__xss = 1</script>"
HOSTILE_METADATA = '{"user": "<img src=x onerror=\\"window.__xss = 2\\">"}'


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver for the dashboard's browser tests")
        pytest.skip("chromium and chromedriver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def screenshot(driver, tmp_path: Path, name: str):
    """Saves a screenshot under the test's folder, and under AIGW_SCREENSHOT_DIR when set."""
    driver.save_screenshot(str(tmp_path / f"{name}.png"))
    if os.environ.get("AIGW_SCREENSHOT_DIR"):
        driver.save_screenshot(str(Path(os.environ["AIGW_SCREENSHOT_DIR"]) / f"{name}.png"))


def post(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json", "authorization": "Bearer sk-test"} | (headers or {}))
    with urllib.request.urlopen(request, timeout=30) as response:
        return {"status": response.status, "log_id": response.headers.get("cf-aig-log-id")}


def api(gateway, path: str) -> dict:
    request = urllib.request.Request(
        f"{gateway.url}/client/v4/accounts/local/ai-gateway{path}", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result"]


def wait_until(driver, condition):
    """Waits (at most 10 s) for `condition` on the page a click leads to: the old page's
    elements go stale, and the new page's may not be there yet, while it loads."""
    WebDriverWait(driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)


def no_alert(driver) -> bool:
    try:
        driver.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def test_sign_in_overview_logs_feedback_and_stored_xss(browser, start_gateway, tmp_path):
    gateway = start_gateway(config={"admin_token": ADMIN_TOKEN})
    chat = gateway.gateway_url("shop", "openai") + "/chat/completions"
    for _ in range(3):
        post(chat, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "<script>window.__xss = 3</script>"}]})
    failed = None
    try:
        post(chat, {"model": HOSTILE_MODEL, "messages": []}, {"x-mock-status": "500", "cf-aig-metadata": HOSTILE_METADATA})
    except urllib.error.HTTPError as error:
        failed = error.headers.get("cf-aig-log-id")
    assert failed

    # Signed out, the dashboard asks for the token; a wrong one is refused in place.
    browser.get(gateway.url + "/")
    assert "/dashboard/sign-in" in browser.current_url
    browser.find_element(By.NAME, "token").send_keys("not-the-token")
    browser.find_element(By.TAG_NAME, "button").click()
    assert "not the admin token" in browser.find_element(By.CLASS_NAME, "problem").text
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.current_url.rstrip("/") == gateway.url)
    cookie = browser.get_cookie("aigw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and ADMIN_TOKEN not in cookie["value"]

    # The overview's figures are the analytics API's.
    analytics = api(gateway, "/analytics")
    assert analytics["totals"]["requests"] == 4
    assert browser.find_element(By.ID, "requests").text == "4"
    assert browser.find_element(By.ID, "errors").text == str(analytics["totals"]["errors"]) == "1"
    assert HOSTILE_MODEL in browser.find_element(By.TAG_NAME, "body").text  # shown as text
    screenshot(browser, tmp_path, "dashboard-overview")

    # The logs, filtered to the failure, then that log.
    browser.get(gateway.url + "/dashboard/gateways/shop/logs")
    assert browser.find_element(By.ID, "total").text.startswith("4 logs")
    browser.find_element(By.CSS_SELECTOR, "select[name=success] option[value=false]").click()
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait_until(browser, lambda driver: "success=false" in driver.current_url)
    assert browser.find_element(By.ID, "total").text.startswith("1 logs")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")
    assert len(rows) == 1
    # Sorted, and the sort is in the address with the filter.
    browser.get(gateway.url + "/dashboard/gateways/shop/logs")
    browser.find_element(By.CSS_SELECTOR, "select[name=order_by] option[value=duration]").click()
    browser.find_element(By.CSS_SELECTOR, "select[name=order_by_direction] option[value=asc]").click()
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait_until(browser, lambda driver: "order_by=duration" in driver.current_url)
    durations = [int(row.find_elements(By.TAG_NAME, "td")[4].text.split()[0].replace(",", ""))
                 for row in browser.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")]
    assert len(durations) == 4 and durations == sorted(durations)
    browser.get(gateway.url + "/dashboard/gateways/shop/logs?success=false")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")
    rows[0].find_element(By.TAG_NAME, "a").click()
    wait_until(browser, lambda driver: failed in driver.current_url)
    assert HOSTILE_MODEL in browser.find_element(By.ID, "request").text
    assert '<img src=x onerror="window.__xss = 2">' in browser.find_element(By.TAG_NAME, "body").text

    # Feedback set in place, and stored.
    browser.find_element(By.CSS_SELECTOR, "button[name=feedback][value='1']").click()
    wait_until(browser, lambda driver: driver.find_element(By.ID, "feedback").text == "thumbs up")
    assert api(gateway, f"/gateways/shop/logs/{failed}")["feedback"] == 1
    browser.find_element(By.NAME, "score").send_keys("87")
    browser.find_element(By.XPATH, "//button[text()='Set score']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "score") and driver.find_element(By.ID, "score").text == "87")
    assert api(gateway, f"/gateways/shop/logs/{failed}")["score"] == 87
    screenshot(browser, tmp_path, "dashboard-log")

    # The failures' view saved as a dataset, evaluated: one log, all thumbs up.
    browser.get(gateway.url + "/dashboard/gateways/shop/logs?success=false")
    browser.find_element(By.CSS_SELECTOR, "#save-view input[name=name]").send_keys("failures")
    browser.find_element(By.XPATH, "//button[text()='Save as dataset']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "datasets"))
    assert "success = false" in browser.find_element(By.ID, "datasets").text
    browser.find_element(By.XPATH, "//button[text()='Evaluate']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "evaluations"))
    row = browser.find_element(By.CSS_SELECTOR, "#evaluations tbody tr").text
    assert "failures" in row and "100% thumbs up" in row
    evaluations = api(gateway, "/gateways/shop/evaluations")
    assert evaluations[0]["total_logs"] == 1

    # Nothing any log holds ran: no alert, no global set, no element made from log text.
    assert browser.execute_script("return window.__xss === undefined")
    assert no_alert(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "main img")

    # Signed out, the dashboard asks for the token again.
    browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
    wait_until(browser, lambda driver: "/dashboard/sign-in" in driver.current_url)
    browser.get(gateway.url + "/")
    assert "/dashboard/sign-in" in browser.current_url


def test_gateways_made_changed_and_deleted_in_the_browser(browser, start_gateway, tmp_path):
    gateway = start_gateway(config={"admin_token": ADMIN_TOKEN})
    browser.get(gateway.url + "/dashboard/sign-in")
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.current_url.rstrip("/") == gateway.url)

    # Made from the overview's link.
    browser.find_element(By.LINK_TEXT, "New gateway").click()
    wait_until(browser, lambda driver: "/dashboard/new-gateway" in driver.current_url)
    browser.find_element(By.NAME, "id").send_keys("support-bot")
    browser.find_element(By.NAME, "cache_ttl").send_keys("300")
    browser.find_element(By.XPATH, "//button[text()='Create gateway']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "saved"))
    assert api(gateway, "/gateways/support-bot")["cache_ttl"] == 300

    # A value the API's rules refuse comes back in place, naming the setting; nothing changes.
    field = browser.find_element(By.NAME, "retry_max_attempts")
    field.clear()
    field.send_keys("9")
    browser.find_element(By.XPATH, "//button[text()='Save']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "problem"))
    assert "retry_max_attempts" in browser.find_element(By.ID, "problem").text
    assert browser.find_element(By.NAME, "retry_max_attempts").get_attribute("value") == "9"
    assert api(gateway, "/gateways/support-bot").get("retry_max_attempts") is None

    # A valid change is stored; an unchecked box turns its setting off.
    field = browser.find_element(By.NAME, "retry_max_attempts")
    field.clear()
    field.send_keys("3")
    browser.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=collect_logs]").click()
    browser.find_element(By.XPATH, "//button[text()='Save']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "saved"))
    stored = api(gateway, "/gateways/support-bot")
    assert stored["retry_max_attempts"] == 3 and stored["collect_logs"] is False
    screenshot(browser, tmp_path, "dashboard-settings")

    # Deleted after a confirmation that says what goes with it.
    browser.find_element(By.PARTIAL_LINK_TEXT, "Delete this gateway").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "logcount"))
    browser.find_element(By.XPATH, "//button[text()='Delete support-bot']").click()
    wait_until(browser, lambda driver: driver.current_url.rstrip("/") == gateway.url)
    assert "support-bot" not in [item["id"] for item in api(gateway, "/gateways")]


def test_run_tokens_and_stored_keys_in_the_browser(browser, start_gateway, tmp_path):
    gateway = start_gateway(config={
        "admin_token": ADMIN_TOKEN, "master_key": "dashboard-test-master-key-0123456789",
        "gateways": {"locked": {"authentication": True}}})
    browser.get(gateway.url + "/dashboard/sign-in?next=/dashboard/gateways/locked/credentials")
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.current_url.endswith("/dashboard/gateways/locked/credentials"))

    # A token is shown once, on the page that makes it, and it opens the gateway.
    browser.find_element(By.NAME, "name").send_keys("ci")
    browser.find_element(By.XPATH, "//button[text()='Make a token']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "new-token"))
    token = browser.find_element(By.ID, "new-token").text.strip()
    assert len(token) > 20
    chat = gateway.gateway_url("locked", "openai") + "/chat/completions"
    assert post(chat, {"model": "gpt-4o-mini", "messages": []}, {"cf-aig-authorization": f"Bearer {token}"})["status"] == 200
    browser.get(gateway.url + "/dashboard/gateways/locked/credentials")
    assert token not in browser.page_source
    assert "ci" in browser.find_element(By.ID, "tokens").text

    # A stored key: its secret never comes back, not even after a refusal.
    browser.find_element(By.NAME, "alias").send_keys("bad alias!")
    browser.find_element(By.NAME, "secret").send_keys("sk-live-secret-999")
    browser.find_element(By.XPATH, "//button[text()='Store the key']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "problem"))
    assert "alias" in browser.find_element(By.ID, "problem").text
    assert "sk-live-secret-999" not in browser.page_source
    alias = browser.find_element(By.NAME, "alias")
    alias.clear()
    alias.send_keys("default")
    browser.find_element(By.NAME, "secret").send_keys("sk-live-secret-999")
    browser.find_element(By.XPATH, "//button[text()='Store the key']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "keys"))
    assert "openai" in browser.find_element(By.ID, "keys").text
    assert "sk-live-secret-999" not in browser.page_source
    keys = api(gateway, "/gateways/locked/provider_configs")
    assert [key["alias"] for key in keys] == ["default"]
    screenshot(browser, tmp_path, "dashboard-credentials")

    # Revoked, the token stops working; deleted, the key is gone.
    browser.find_element(By.CSS_SELECTOR, "#tokens button").click()
    wait_until(browser, lambda driver: not driver.find_elements(By.ID, "tokens"))
    try:
        post(chat, {"model": "gpt-4o-mini", "messages": []}, {"cf-aig-authorization": f"Bearer {token}"})
        raise AssertionError("a revoked token still opened the gateway")
    except urllib.error.HTTPError as error:
        assert error.code == 401
    browser.find_element(By.CSS_SELECTOR, "#keys button").click()
    wait_until(browser, lambda driver: not driver.find_elements(By.ID, "keys"))
    assert api(gateway, "/gateways/locked/provider_configs") == []


def test_spend_rules_standings_and_log_limits_in_the_browser(browser, start_gateway, tmp_path):
    gateway = start_gateway(config={"admin_token": ADMIN_TOKEN, "gateways": {"budget": {}}})
    browser.get(gateway.url + "/dashboard/sign-in?next=/dashboard/gateways/budget/limits")
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "add-rule"))
    assert "No spend rules" in browser.page_source

    # A bad rule comes back with the field named and what was typed.
    browser.find_element(By.NAME, "limit").send_keys("-1")
    browser.find_element(By.NAME, "window").send_keys("3600")
    browser.find_element(By.XPATH, "//button[text()='Add the rule']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "problem"))
    assert "spend_limits.rules[0].limit" in browser.find_element(By.ID, "problem").text
    limit = browser.find_element(By.NAME, "limit")
    limit.clear()
    limit.send_keys("0.5")
    browser.find_element(By.NAME, "id").send_keys("per-user")
    browser.find_element(By.NAME, "partitions").send_keys("user")
    browser.find_element(By.XPATH, "//button[text()='Add the rule']").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "rules"))
    assert "per user" in browser.find_element(By.ID, "rules").text
    assert [rule["id"] for rule in api(gateway, "/gateways/budget")["spend_limits"]["rules"]] == ["per-user"]

    # Spend shows per partition; a hostile partition value stays text.
    chat = gateway.gateway_url("budget", "openai") + "/chat/completions"
    cost = {"cf-aig-custom-cost": json.dumps({"total_cost": 0.3})}
    for user in ("ada", "ada", "<img src=x onerror=\"window.__xss = 3\">"):
        post(chat, {"model": "gpt-4o-mini", "messages": []}, cost | {"cf-aig-metadata": json.dumps({"user": user})})
    browser.get(gateway.url + "/dashboard/gateways/budget/limits")
    standings = browser.find_element(By.ID, "standings").text
    rows = {line.split(" ")[1]: line for line in standings.splitlines()[1:]}
    assert "$0.60 100%" in rows["user=ada"] and "refusing for" in rows["user=ada"]
    assert "refusing" not in rows["user=<img"] and "$0.30 60%" in rows["user=<img"]
    assert "<img src=x" in standings and browser.execute_script("return window.__xss") is None and no_alert(browser)
    screenshot(browser, tmp_path, "dashboard-limits")

    # Log management: saved through the API's rules, and shown.
    keep = browser.find_element(By.NAME, "log_management")
    keep.send_keys("2")
    browser.find_element(By.NAME, "log_retention_days").send_keys("7")
    browser.find_element(By.XPATH, "//form[@id='log-management']//button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "saved"))
    settings = api(gateway, "/gateways/budget")
    assert settings["log_management"] == 2 and settings["log_retention_days"] == 7
    assert settings["log_management_strategy"] == "DELETE_OLDEST"

    # Removed, the rule no longer refuses.
    browser.find_element(By.CSS_SELECTOR, "#rules button").click()
    wait_until(browser, lambda driver: "No spend rules" in driver.page_source)
    assert post(chat, {"model": "gpt-4o-mini", "messages": []}, cost | {"cf-aig-metadata": json.dumps({"user": "ada"})})["status"] == 200


def test_a_route_as_its_graph_with_versions_deployments_and_paths(browser, start_gateway, tmp_path):
    gateway = start_gateway(config={"admin_token": ADMIN_TOKEN, "gateways": {"routed": {}}})
    hostile = "<img src=x onerror=\"window.__xss = 4\" "  # ids may not hold '>'

    def api_post(path, body):
        request = urllib.request.Request(
            f"{gateway.url}/client/v4/accounts/local/ai-gateway{path}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["result"]

    def graph(fallback_model):
        return [
            {"id": "start", "type": "start", "outputs": {"next": {"elementId": "plan"}}},
            {"id": "plan", "type": "conditional", "properties": {"conditions": {"metadata.plan": "free"}},
             "outputs": {"true": {"elementId": hostile}, "false": {"elementId": "big"}}},
            {"id": hostile, "type": "model", "properties": {"provider": "openai", "model": "gpt-4o-mini"},
             "outputs": {"success": {"elementId": "end"}}},
            {"id": "big", "type": "model", "properties": {"provider": "openai", "model": fallback_model},
             "outputs": {"success": {"elementId": "end"}}},
            {"id": "end", "type": "end", "outputs": {}},
        ]

    route = api_post("/gateways/routed/routes", {"name": "plans", "elements": graph("gpt-4o")})
    v1 = route["version"]["version_id"]
    v2 = api_post(f"/gateways/routed/routes/{route['id']}/versions", {"elements": graph("gpt-4.1")})["version"]["version_id"]
    chat = gateway.gateway_url("routed", "compat") + "/chat/completions"
    for plan in ("free", "free", "paid"):
        post(chat, {"model": "dynamic/plans", "messages": []}, {"cf-aig-metadata": json.dumps({"plan": plan})})

    browser.get(gateway.url + f"/dashboard/sign-in?next=/dashboard/gateways/routed/routes/{route['id']}")
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "graph"))
    graph_text = browser.find_element(By.ID, "graph").text
    assert "plan" in graph_text and "openai/gpt-4o-mini" in graph_text and "<img src=x" in graph_text
    paths = browser.find_element(By.ID, "paths").text
    assert "start → plan → <img" in paths and "start → plan → big" in paths and "2" in paths
    assert browser.execute_script("return window.__xss") is None and no_alert(browser)
    screenshot(browser, tmp_path, "dashboard-route")

    # v1 is live; deploying v2 from its row makes it live, and the API says so.
    assert "live" in browser.find_element(By.XPATH, f"//tr[td/code[text()='{v1}']]").text
    browser.find_element(By.XPATH, f"//tr[td/code[text()='{v2}']]//button").click()
    wait_until(browser, lambda driver: "live" in driver.find_element(By.XPATH, f"//tr[td/code[text()='{v2}']]").text)
    assert api(gateway, f"/gateways/routed/routes/{route['id']}")["deployment"]["version_id"] == v2
    browser.get(gateway.url + "/dashboard/gateways/routed/routes")
    assert "plans" in browser.find_element(By.ID, "routes").text


def test_guardrails_and_dlp_edited_and_logs_filtered_in_the_browser(browser, start_gateway, tmp_path):
    from selenium.webdriver.support.select import Select
    gateway = start_gateway(config={"admin_token": ADMIN_TOKEN, "gateways": {"guarded": {}}})
    browser.get(gateway.url + "/dashboard/sign-in?next=/dashboard/gateways/guarded/protection")
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "categories"))
    Select(browser.find_element(By.NAME, "prompt_S1")).select_by_value("BLOCK")
    Select(browser.find_element(By.NAME, "response_S10")).select_by_value("FLAG")
    dlp = browser.find_element(By.NAME, "dlp")
    dlp.send_keys('{"enabled": true, "policies": [{"id": "p", "enabled": true, "action": "BLOCK", "check": ["REQUEST"], "profiles": ["dna"]}]}')
    browser.find_element(By.XPATH, "//form[@id='protection']//button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "problem"))
    assert "dlp.policies[0].profiles[0]" in browser.find_element(By.ID, "problem").text
    dlp = browser.find_element(By.NAME, "dlp")
    dlp.clear()
    dlp.send_keys('{"enabled": true, "policies": [{"id": "p", "enabled": true, "action": "BLOCK", "check": ["REQUEST"], "profiles": ["us_ssn"]}]}')
    assert Select(browser.find_element(By.NAME, "prompt_S1")).first_selected_option.get_attribute("value") == "BLOCK"
    browser.find_element(By.XPATH, "//form[@id='protection']//button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "saved"))
    settings = api(gateway, "/gateways/guarded")
    assert settings["guardrails"]["prompt"] == {"S1": "BLOCK"} and settings["guardrails"]["response"] == {"S10": "FLAG"}
    assert settings["dlp"]["policies"][0]["profiles"] == ["us_ssn"]
    screenshot(browser, tmp_path, "dashboard-protection")

    chat = gateway.gateway_url("guarded", "openai") + "/chat/completions"
    for text in ("hello", "unsafe:S1 now", "ssn 123-45-6789"):
        try:
            post(chat, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
        except urllib.error.HTTPError as error:
            assert error.code == 424
    browser.get(gateway.url + "/dashboard/gateways/guarded/logs?guardrail_action=BLOCK")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")
    assert len(rows) == 1 and "424" in rows[0].text
    browser.get(gateway.url + "/dashboard/gateways/guarded/logs?dlp_action=BLOCK")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")) == 1


def test_exporters_and_log_export_status_in_the_browser(browser, start_gateway, tmp_path):
    from test_logpush import PUBLIC_PEM

    hostile_url = "http://127.0.0.1:9/v1/traces?x=<img/src/onerror=window.__xss=4>"
    gateway = start_gateway(config={
        "admin_token": ADMIN_TOKEN, "master_key": "dashboard test master key, 32+ chars",
        "logpush": {"directory": str(tmp_path / "export"), "interval_ms": 50},
        "span_export": {"interval_ms": 50, "timeout_ms": 200},
    })
    request = urllib.request.Request(
        f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways", method="POST",
        data=json.dumps({"id": "watched", "logpush": True, "logpush_public_key": PUBLIC_PEM, "otel": [
            {"url": hostile_url, "headers": {"x-team-key": "never-shown-9"}, "authorization": "Bearer never-shown-8"}]}).encode(),
        headers={"authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
    for _ in range(3):
        post(gateway.gateway_url("watched", "openai") + "/chat/completions", {"model": "gpt-4o-mini", "messages": []})

    browser.get(gateway.url + "/dashboard/sign-in?next=/dashboard/gateways/watched/telemetry")
    browser.find_element(By.NAME, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.TAG_NAME, "button").click()
    wait_until(browser, lambda driver: driver.find_elements(By.ID, "exporters"))
    # The collector is down: the row shows the failure; the export of logs goes on.
    wait_until(browser, lambda driver: driver.refresh() or (
        "refused" in driver.find_element(By.ID, "exporters").text or "connect" in driver.find_element(By.ID, "exporters").text.lower())
        and driver.find_element(By.ID, "logpush-exported").text.startswith("3"))
    row = browser.find_element(By.ID, "exporters").text
    assert hostile_url in row and "x-team-key" in row and "yes (hidden)" in row
    assert "never-shown" not in browser.page_source
    assert browser.find_element(By.ID, "logpush-enabled").text == "yes"
    assert browser.find_element(By.ID, "logpush-pending").text.startswith("0 logs")
    assert browser.execute_script("return window.__xss") is None and no_alert(browser)
    screenshot(browser, tmp_path, "telemetry")

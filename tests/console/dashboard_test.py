#!/usr/bin/env python3
"""The dashboard as an operator uses it, in a real browser (headless Chromium driven by Selenium)
against a real `lantern train`: the page loads with the token from its address, Chart.js (served
by Lantern, no network) draws every chart from the run's history, the actor table has one row per
actor of /api/actors, and each button's effect is observed on the run through the control API
(pause: the step counter stands still; resume: it goes on; the intrinsic coefficient reaches the
learner; checkpoint: the file appears). A page opened with a wrong token is refused and asks again.

Usage: dashboard_test.py LANTERN_BIN [SCREENSHOT.png]
"""
import os
import shutil
import sys
import time

from harness import Training, check, finish, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1200", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def main():
    lantern = sys.argv[1]
    shot = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        import selenium  # noqa: F401
    except ImportError:
        print("python3-selenium is not installed (scripts/setup.sh installs it)")
        sys.exit(77)
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        print("chromium or chromium-driver is not installed (scripts/setup.sh installs them)")
        sys.exit(77)
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    t = Training(lantern, "reward.model=classification", "shaping.intrinsic_coef=0.3", "train.progress_seconds=0.5",
                 "reward.drift_seconds=0.3",
                 "train.checkpoint_seconds=3600", prefix="lantern-dashboard-")
    driver = None
    try:
        wait_for("training", lambda: t.steps() > 3000 and t.api("/api/captions?n=1")[1], timeout=120)
        driver = browser()
        driver.set_page_load_timeout(30)
        js = driver.execute_script
        text = lambda id: driver.find_element(By.ID, id).text  # noqa: E731

        driver.get(t.url + "/#token=" + t.token)
        wait_for("the first refresh", lambda: js("return window.lantern && window.lantern.status !== null"), timeout=30)
        check(js("return typeof Chart") == "function", "Chart.js is served by Lantern and loaded")
        check(t.run in text("run") and "classification" in text("run"), f"the header names the run ({text('run')})")
        check(text("state") == "running", f"the state reads running ({text('state')})")
        steps_shown = int(text("k-steps").replace(",", "").replace("\u202f", "").replace(".", "") or 0)
        check(steps_shown > 3000, f"the step counter shows the run's steps ({text('k-steps')})")
        check(text("k-labels") != "-" and "/" in text("k-labels"), f"labels received / asked ({text('k-labels')})")

        def points(name):
            return js(f"return window.lantern.charts['{name}'].data.datasets.map(d => d.data.length)")
        wait_for("two points in the history", lambda: min(points("return")) >= 2, timeout=30)
        wait_for("reward drift in the history", lambda: min(points("drift")) >= 2, timeout=60)
        check(text("k-drift") not in ("", "-"), f"the reward drift is shown ({text('k-drift')})")
        check(text("k-acc").endswith("%"), f"a fitted model shows its accuracy ({text('k-acc')})")
        for name in ("return", "success", "sps", "labels", "acc", "drift"):
            n = points(name)
            check(min(n) >= 2, f"chart {name}: every series has points ({n})")
        last = js("const d = window.lantern.charts.sps.data.datasets[0].data; return d[d.length - 1]")
        check(last["y"] > 0 and last["x"] > 0, f"the steps/s chart plots the run's speed ({last})")

        _, actors = t.api("/api/actors")
        # read in one script: the table is drawn again every second
        names = sorted(wait_for("the actor table", lambda: js(
            "return [...document.querySelectorAll('tr.actor')].map(r => r.cells[0].textContent)")))
        check(names == sorted(a["name"] for a in actors),
              f"one row per actor of /api/actors ({names} vs {[a['name'] for a in actors]})")
        check(js("return document.querySelectorAll('#captions tbody tr').length") > 0, "the latest labels are listed")
        if shot:
            time.sleep(1.5)  # one more refresh with the full history
            driver.save_screenshot(shot)
            print(f"screenshot: {shot}")

        def runner_state():  # None while the run is too busy to answer
            code, actors = t.api("/api/actors")
            runners = [a for a in actors if a.get("kind") == "runner"] if code == 200 else []
            return runners[0]["state"] if runners else None

        driver.find_element(By.ID, "b-pause").click()
        wait_for("the runner to pause (API)", lambda: runner_state() == "paused", timeout=60)
        wait_for("the page to say paused", lambda: text("state") == "paused", timeout=60)
        check("paused" in text("message"), f"the pause is confirmed ({text('message')})")
        time.sleep(2)  # rollouts in flight drain
        a = t.steps()
        time.sleep(2)
        b = t.steps()
        check(a == b, f"pause: the step counter stands still ({a} -> {b})")
        driver.find_element(By.ID, "b-resume").click()
        wait_for("the runner to resume (API)", lambda: runner_state() != "paused", timeout=60)
        wait_for("the page to say running", lambda: text("state") == "running", timeout=60)
        time.sleep(2)
        c = t.steps()
        check(c > b, f"resume: the step counter goes on ({b} -> {c})")

        coef = driver.find_element(By.ID, "i-coef")

        def type_into(field, text):  # as a person does: focus (the page stops refreshing it), select all, type
            field.click()
            field.send_keys(Keys.CONTROL, "a")
            field.send_keys(text)
        type_into(coef, "0.05")
        driver.find_element(By.ID, "b-set").click()
        got = wait_for("the coefficient", lambda: abs(t.status()["training"]["intrinsic_coef"] - 0.05) < 1e-9
                       and t.status()["training"]["intrinsic_coef"], timeout=60)
        check(abs(got - 0.05) < 1e-9, f"set: the learner's intrinsic coefficient is {got}")
        check("shaping.intrinsic_coef" in text("message"), f"the setting is confirmed ({text('message')})")
        type_into(coef, "-1")
        driver.find_element(By.ID, "b-set").click()
        msg = wait_for("the refusal", lambda: "out of range" in text("message") and text("message"), timeout=60)
        check(abs(t.status()["training"]["intrinsic_coef"] - 0.05) < 1e-9,
              f"a negative coefficient is refused on the page ({msg}) and changes nothing")

        ckpt = os.path.join(t.run, "checkpoint.bin")
        check(not os.path.exists(ckpt), "no checkpoint before the button (checkpoint_seconds is an hour)")
        driver.find_element(By.ID, "b-checkpoint").click()
        wait_for("the checkpoint", lambda: os.path.exists(ckpt) and os.path.getsize(ckpt) > 0, timeout=60)
        check(wait_for("the message", lambda: "checkpoint written" in text("message"), timeout=30),
              "the checkpoint is written and confirmed")

        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                  and not ("/api/set" in e["message"] and "400" in e["message"])]  # the refused -1
        check(not severe, f"no errors in the page's console ({severe[:3]})")

        # A fresh session with a wrong token: the API refuses it and the page asks for the token again.
        driver.quit()
        driver = browser()
        driver.get(t.url + "/#token=not-the-token")

        def alert():
            try:
                return driver.switch_to.alert
            except NoAlertPresentException:
                return None
        prompt = wait_for("the token prompt", alert, timeout=20)
        check("refused" in prompt.text, f"a wrong token is refused and the page asks again ({prompt.text!r})")
        prompt.dismiss()
        check(t.proc.poll() is None, "the run goes on through all of it")
    finally:
        if driver is not None:
            driver.quit()
        t.kill()
    finish("console dashboard", t.dir)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The page at "/" in headless Chromium: choosing a digit image shows vitrun's top-1 label.

Drives `chromium --headless --remote-debugging-pipe` over the DevTools protocol (JSON messages
ended by NUL on fds 3 and 4) with the standard library only; saves a screenshot beside the
scratch model. Usage: page_test.py --tools BUILD/tools --digits models/bundled/digits --out DIR
"""
import argparse
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def high_pipe(base):
    """A pipe on fds base and base + 1, so placing its ends on 3 and 4 in the child cannot
    overwrite one another."""
    ends = []
    for i, fd in enumerate(os.pipe()):
        ends.append(os.dup2(fd, base + i, inheritable=False))
        os.close(fd)
    return ends


class Browser:
    def __init__(self, chromium, profile):
        to_browser_r, self.to_browser = high_pipe(10)
        self.from_browser, from_browser_w = high_pipe(12)
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-proxy-server",
                "--user-data-dir=" + profile, "--remote-debugging-pipe", "--window-size=900,800", "about:blank"]

        def child_fds():  # the protocol's fixed descriptors: 3 reads commands, 4 writes answers
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(args, preexec_fn=child_fds, pass_fds=(3, 4),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.next_id = 0
        self.buffer = b""

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer["result"]
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        raise RuntimeError(f"{method}: no answer within {timeout} s")

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except RuntimeError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(tools, model, log_path):
    log = open(log_path, "w")
    server = subprocess.Popen([os.path.join(tools, "vitserve"), "--model", model, "--port", "0"],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        found = re.search(r"on http://[^:]+:(\d+)/", open(log_path).read())
        if found:
            url = f"http://127.0.0.1:{found.group(1)}/"
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url + "healthz") as r:
                    if r.status == 200:
                        return server, url
            except OSError:
                pass
        if server.poll() is not None:
            break
        time.sleep(0.05)
    server.kill()
    sys.exit("vitserve did not become ready: " + open(log_path).read())


def evaluate(browser, session, expression):
    result = browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    return result["result"].get("value")


def wait_for(browser, session, expression, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = evaluate(browser, session, expression)
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {expression}")


def page_top1(browser, url, image, screenshot):
    target = browser.call("Target.createTarget", {"url": url})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    wait_for(browser, session, "document.readyState === 'complete' && !!document.getElementById('file')")
    root = browser.call("DOM.getDocument", {}, session)["root"]["nodeId"]
    node = browser.call("DOM.querySelector", {"nodeId": root, "selector": "#file"}, session)["nodeId"]
    browser.call("DOM.setFileInputFiles", {"nodeId": node, "files": [image]}, session)
    label = wait_for(browser, session, "document.getElementById('top1') && document.getElementById('top1').textContent")
    error = evaluate(browser, session, "document.getElementById('error').textContent")
    latency = evaluate(browser, session, "document.getElementById('status').dataset.ms")
    shot = browser.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(screenshot, "wb") as f:
        f.write(base64.b64decode(shot))
    return label, error, latency


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--digits", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--chromium", default="chromium")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = os.path.join(args.out, "model")
    subprocess.run([os.path.join(args.tools, "vitimport"), "--checkpoint", args.digits, "--out", model, "--overwrite"],
                   check=True, stdout=subprocess.DEVNULL)
    image = os.path.abspath(os.path.join(args.digits, "images", sorted(os.listdir(os.path.join(args.digits, "images")))[3]))
    vitrun = subprocess.run([os.path.join(args.tools, "vitrun"), "--model", model, "--json", "--topk", "1", image],
                            check=True, capture_output=True, text=True)
    expected = json.loads(vitrun.stdout.splitlines()[0])["topk"][0]["label"]
    server, url = start_server(args.tools, model, os.path.join(args.out, "server.log"))
    browser = None
    try:
        with tempfile.TemporaryDirectory() as profile:
            browser = Browser(args.chromium, profile)
            label, error, latency = page_top1(browser, url, image, os.path.join(args.out, "page.png"))
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server_rc = server.wait(timeout=60)
    print(f"page top-1 {label!r} (vitrun: {expected!r}), latency {latency} ms, error {error!r}, "
          f"screenshot {os.path.join(args.out, 'page.png')}")
    if label != expected or error or not latency or server_rc != 0:
        sys.exit(f"FAILED: label {label!r} != {expected!r}, or error {error!r}, or no latency, or server rc {server_rc}")


if __name__ == "__main__":
    main()

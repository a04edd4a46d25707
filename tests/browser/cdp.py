#!/usr/bin/env python3
"""Load a page in headless chromium at a given width, measure it, keep a
screenshot: tests/browser.sh.

    cdp.py CHROMIUM URL WIDTH MEASURE_JS PNG

The browser is driven through the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in a NUL byte, commands on
the child's fd 3, answers and events on its fd 4), so no port, no network
and no websocket library.  The width is set with device emulation
(Emulation.setDeviceMetricsOverride; a phone width is emulated as a mobile
device, honouring the page's viewport meta), because chromium's window
cannot be narrower than 500 pixels.  After the page's load event,
MEASURE_JS (an expression whose value is a promise of text) runs in the
page; its text is printed.  Its line "page W H" gives the page's height, and
the screenshot is taken of the whole page, W x H, into PNG.  Exit 0, or 1
with a message on stderr (the browser did not start, a timeout, a protocol
error).  Chromium's own stderr (dbus and GPU noise) is discarded.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = float(os.environ.get("BROWSER_TIMEOUT", "60"))


class Browser:
    def __init__(self, exe):
        self.profile = tempfile.mkdtemp(prefix="browser-test.")
        cmd_r, cmd_w = os.pipe()    # we write commands, the child reads fd 3
        ans_r, ans_w = os.pipe()    # the child writes fd 4, we read

        def fds():
            # first out of the way, so that neither dup2 closes the other
            r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(ans_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking",
             "--mute-audio", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=fds, pass_fds=(3, 4))
        os.close(cmd_r)
        os.close(ans_w)
        self.w, self.r = cmd_w, ans_r
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + TIMEOUT

    def _read_message(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise RuntimeError("no answer from chromium in %g s" % TIMEOUT)
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        """Send a command, return its result (events seen meanwhile are
        kept for wait)."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait(self, method):
        """Wait for an event (one that came already counts)."""
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    del self.events[i]
                    return m.get("params", {})
            self.events.append(self._read_message())

    def close(self):
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    if len(sys.argv) != 6:
        sys.stderr.write("usage: cdp.py chromium url width measure.js png\n")
        return 2
    exe, url, width, js, png = sys.argv[1:]
    width = int(width)
    with open(js) as f:
        measure = f.read()
    b = Browser(exe)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})
        s = b.send("Target.attachToTarget", {"targetId": target["targetId"],
                                             "flatten": True})["sessionId"]
        metrics = {"width": width, "height": 800, "deviceScaleFactor": 1,
                   "mobile": width < 600}
        b.send("Emulation.setDeviceMetricsOverride", metrics, s)
        b.send("Page.enable", None, s)
        b.send("Page.navigate", {"url": url}, s)
        b.wait("Page.loadEventFired")
        r = b.send("Runtime.evaluate", {"expression": measure,
                                        "awaitPromise": True,
                                        "returnByValue": True}, s)
        if "exceptionDetails" in r:
            raise RuntimeError("the measure script: %s" %
                               json.dumps(r["exceptionDetails"])[:600])
        text = r["result"]["value"]
        sys.stdout.write(text)
        height = None
        for line in text.splitlines():
            w = line.split()
            if len(w) == 3 and w[0] == "page":
                height = int(w[2])
        if height is None:
            raise RuntimeError("the measure script gave no 'page W H' line")
        # the whole page in one shot: the viewport as tall as the page
        metrics["height"] = height
        b.send("Emulation.setDeviceMetricsOverride", metrics, s)
        shot = b.send("Page.captureScreenshot", {"format": "png"}, s)
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    except (RuntimeError, KeyError, ValueError, OSError) as e:
        sys.stderr.write("cdp.py: %s: %s\n" % (url, e))
        return 1
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A real SMTP receiver for tests: Postfix's smtp-sink, writing every mail it
accepts to a file.

    sink = SmtpSink(directory).start()
    ... CLUETRAIN_SMTP_URL = sink.url ...
    mails = sink.wait_mails(1, timeout=10)   # email.message.Message objects
    sink.stop()

smtp-sink (Debian package postfix; only the program is used, no mail server
is configured or started) listens on 127.0.0.1 and stores each message as
DIR/<minute>.<queue id>, with a few X- headers of its own in front of the
message. It accepts every sender and recipient.
"""

import email
import email.policy
import os
import pwd
import shutil
import socket
import subprocess
import time


def smtp_sink_path():
    return shutil.which("smtp-sink") or (
        "/usr/sbin/smtp-sink" if os.access("/usr/sbin/smtp-sink", os.X_OK) else None)


class SmtpSink:
    def __init__(self, directory):
        self.directory = str(directory)
        self.port = None
        self.proc = None

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def start(self, attempts=5):
        path = smtp_sink_path()
        if not path:
            raise AssertionError("smtp-sink not found: install the Debian package postfix "
                                 "(scripts/deps.sh test)")
        os.makedirs(self.directory, exist_ok=True)
        last = ""
        for _ in range(attempts):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            args = [path]
            if os.geteuid() == 0:  # smtp-sink insists on dropping privileges
                args += ["-u", pwd.getpwuid(0).pw_name]
            args += ["-d", os.path.join(self.directory, "%M."), "127.0.0.1:%d" % self.port, "10"]
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1) as c:
                        c.settimeout(2)
                        if c.recv(100).startswith(b"220"):
                            c.sendall(b"QUIT\r\n")
                            return self
                except OSError:
                    time.sleep(0.05)
            last = self._finish()
        raise AssertionError("smtp-sink did not start: %s" % last)

    def _finish(self):
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self.proc = None
        return (out or b"").decode("utf-8", "replace")

    def stop(self):
        self._finish()

    def files(self):
        names = [os.path.join(self.directory, n) for n in os.listdir(self.directory)]
        return sorted((n for n in names if os.path.isfile(n)), key=os.path.getmtime)

    def mails(self):
        """Every complete mail received so far, oldest first."""
        out = []
        for name in self.files():
            if time.time() - os.path.getmtime(name) < 0.3:  # may still be written
                continue
            with open(name, "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            msg.raw = raw
            out.append(msg)
        return out

    def wait_mails(self, n, timeout):
        """At least n mails, waiting up to timeout seconds; the list (may be short)."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.mails()
            if len(mails) >= n or time.monotonic() > deadline:
                return mails
            time.sleep(0.05)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def body_text(msg):
    """The decoded text of a (single-part) mail."""
    part = msg.get_body(preferencelist=("plain",)) or msg
    return part.get_content()

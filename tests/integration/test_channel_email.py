"""The "email" channel against a real Dovecot (IMAP, tests/mail/dovecot.sh)
and Postfix's smtp-sink (SMTP, tests/fakes/smtp_sink.py), both started here
on loopback ports.

The test mails (tests/mail/*.eml) are delivered with IMAP APPEND: encoded
German headers, nested multipart with attachments, an HTML-only reply, a
Windows-1252 body, quoted replies with signatures, a mail without Message-ID
and one from our own address. A 10 MB attachment is made here. Replies go
out through smtp-sink and are read back from its files; the customer's
answer to them threads back into the conversation.

The channel polls every second ("poll_every_s": 1) except in the IDLE test.
"""

import base64
import hashlib
import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from email.utils import make_msgid

import pytest

from harness import REPO, wait_until
from smtp_sink import SmtpSink, smtp_sink_path
from channelkit import incoming, wait_delivery, wait_incoming

MAIL_DIR = os.path.join(REPO, "tests", "mail")
DOVECOT_SH = os.path.join(MAIL_DIR, "dovecot.sh")
ADDRESS = "service@stadtwerke.example"
PASSWORD = "geheim"

pytestmark = [pytest.mark.skipif(
    not os.access("/usr/sbin/dovecot", os.X_OK) or not smtp_sink_path(),
    reason="needs dovecot-imapd and postfix (scripts/deps.sh test)")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DovecotServer:
    """A throwaway Dovecot in a folder of its own, shared by the tests of
    this file: each test gets a mailbox (a user) of its own."""

    def __init__(self):
        # As root, Dovecot's mail and auth processes run as its own users,
        # which must reach the folder: not under pytest's private tmp_path.
        self.top = tempfile.mkdtemp(prefix="ct-dovecot-")
        os.chmod(self.top, 0o755)
        self.dir = os.path.join(self.top, "d")
        self.port = free_port()
        self.users = iter(["user%d" % i for i in range(1, 10)])
        subprocess.run([DOVECOT_SH, "start", self.dir, str(self.port)], check=True,
                       timeout=30)

    def stop(self):
        subprocess.run([DOVECOT_SH, "stop", self.dir], timeout=30)
        shutil.rmtree(self.top, ignore_errors=True)


class Mailbox:
    """One user's INBOX on the shared server; mails go in by IMAP APPEND."""

    def __init__(self, server, user):
        self.server = server
        self.user = user
        self.port = server.port
        self.url = "imap://127.0.0.1:%d/INBOX" % server.port
        self.maildir = os.path.join(server.dir, "home", user, "Maildir")

    def append(self, raw):
        if isinstance(raw, str):
            raw = raw.encode()
        with imaplib.IMAP4("127.0.0.1", self.port) as im:
            im.login(self.user, PASSWORD)
            typ, data = im.append("INBOX", None, None, raw)
            assert typ == "OK", data

    def append_file(self, name):
        with open(os.path.join(MAIL_DIR, name), "rb") as f:
            self.append(f.read())

    def open_sessions(self):
        """Logins minus logged-in sessions ended, from the log: those open now."""
        with open(os.path.join(self.server.dir, "dovecot.log"), errors="replace") as f:
            lines = f.read().splitlines()
        return (len([x for x in lines if "Login: user=<%s>" % self.user in x])
                - len([x for x in lines if "imap(%s)" % self.user in x
                       and "Disconnected" in x]))


@pytest.fixture(scope="module")
def dovecot_server():
    d = DovecotServer()
    yield d
    d.stop()


@pytest.fixture
def dovecot(dovecot_server):
    return Mailbox(dovecot_server, next(dovecot_server.users))


@pytest.fixture
def sink(tmp_path):
    with SmtpSink(tmp_path / "sink") as s:
        yield s


def email_channel(api, dovecot, sink=None, name="mail", **config):
    cfg = dict({"imap_url": dovecot.url, "address": ADDRESS, "username": dovecot.user,
                "poll_every_s": 1, "smtp_username": ""}, **config)
    if sink:
        cfg["smtp_url"] = sink.url
    status, ch = api.post("/api/v1/channels", {"kind": "email", "name": name, "config": cfg,
                                               "secrets": {"password": PASSWORD}})
    assert status == 201, ch
    return ch


def simple_mail(msgid, subject, text, sender="Max Mustermann <max@example.de>", extra=""):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%s"
            "Date: Tue, 24 Nov 2026 08:00:00 +0100\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "%s\r\n" % (sender, ADDRESS, subject, msgid, extra, text))


# -- inbound ------------------------------------------------------------------------

def test_tricky_mails_become_clean_messages(api, dovecot):
    for name in ["umlauts.eml", "nested.eml", "html_only.eml", "windows1252.eml",
                 "quoted_de.eml", "quoted_en.eml", "no_message_id.eml", "own_address.eml"]:
        dovecot.append_file(name)
    email_channel(api, dovecot)
    got = wait_incoming(api, "mail", ["umlauts-1@example.de", "nested-1@example.de",
                                      "html-1@example.org", "cp1252-1@example.de",
                                      "quoted-de-1@example.de", "quoted-en-1@example.com"])
    umlauts = got["umlauts-1@example.de"]
    assert api.conversation(umlauts["conversation_id"])["subject"] == \
        "Störung in der Küche – Straße"
    assert "Großen Straße 5 keinen Strom. Können Sie helfen?" in umlauts["text"]
    assert umlauts["author"]["name"] == "Jürgen Müller"
    html = got["html-1@example.org"]["text"]
    assert "neuen Tarif (https://stadtwerke.example/tarif)" in html
    assert "Kosten > 30 €?" in html
    for junk in ("<", "color", "alert", "Antwort"):
        assert junk not in html
    assert got["cp1252-1@example.de"]["text"] == \
        "Mein Abschlag von 45 € ist zu hoch – bitte „prüfen“.\nGrüße, Walter"
    assert got["quoted-de-1@example.de"]["text"] == "Danke, der Strom ist wieder da!"
    assert got["quoted-en-1@example.com"]["text"] == "Thanks, it works again.\nReally."
    nested = got["nested-1@example.de"]
    names = [a["name"] for a in nested["attachments"]]
    assert names == ["logo.png", "Zählerstand März.pdf"]
    # the mail without Message-ID has one made from its place in the mailbox
    wait_until(lambda: [i for i in incoming(api, "mail") if i.startswith("imap-")], 10)
    # our own mail in the mailbox (read in the same poll) is not a customer's
    assert not [m for m in incoming(api, "mail").values()
                if m["author"]["name"] == "Stadtwerke Service"]


def big_mail(msgid, size):
    payload = os.urandom(size)
    b64 = base64.encodebytes(payload).decode().replace("\n", "\r\n")
    raw = ("From: Erika <erika@example.de>\r\nTo: %s\r\nSubject: Foto\r\n"
           "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nDas Foto anbei.\r\n--b\r\n"
           "Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=\"foto.jpg\"\r\n\r\n%s--b--\r\n"
           % (ADDRESS, msgid, b64))
    return raw, hashlib.sha256(payload).hexdigest()


def test_large_attachment_stored_or_refused_by_the_limit(api, server, dovecot):
    raw, sha = big_mail("big-1@example.de", 10 * 1024 * 1024)
    dovecot.append(raw)
    email_channel(api, dovecot, name="big")
    email_channel(api, dovecot, name="small", max_attachment_bytes=5 * 1024 * 1024)
    [big] = wait_incoming(api, "big", ["big-1@example.de"]).values()
    [small] = wait_incoming(api, "small", ["big-1@example.de"]).values()
    assert big["text"] == "Das Foto anbei."
    assert big["attachments"] == [{"name": "foto.jpg", "type": "image/jpeg",
                                   "size": 10 * 1024 * 1024, "sha256": sha}]
    stored = os.path.join(server.data_dir, "files", sha)
    with open(stored, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha
    assert small["attachments"] == [{"name": "foto.jpg", "type": "image/jpeg",
                                     "size": 10 * 1024 * 1024, "skipped": "too large"}]


# -- replies and threading ----------------------------------------------------------

def test_reply_goes_out_and_the_answer_threads_back(api, dovecot, sink):
    dovecot.append(simple_mail("first-1@example.de", "Stromausfall", "Kein Strom seit 6:45."))
    ch = email_channel(api, dovecot, sink)
    [first] = wait_incoming(api, "mail", ["first-1@example.de"]).values()
    cid = first["conversation_id"]
    status, reply = api.post("/api/v1/conversations/%d/messages" % cid,
                             {"text": "Wir arbeiten daran. Grüße aus dem Störungsdienst"})
    assert status == 201, reply
    [mail] = sink.wait_mails(1, 15)
    assert mail["To"].addresses[0].addr_spec == "max@example.de"
    assert mail["From"].addresses[0].addr_spec == ADDRESS
    assert mail["Subject"] == "Re: Stromausfall [#%d]" % cid
    assert mail["In-Reply-To"] == "<first-1@example.de>"
    assert mail["References"] == "<first-1@example.de>"
    assert mail["Date"].datetime is not None
    ours = mail["Message-ID"].strip("<>")
    assert ours.endswith("@stadtwerke.example")
    assert mail.get_content_charset() in ("utf-8", "iso-8859-1")
    assert mail["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert mail.get_content().strip() == "Wir arbeiten daran. Grüße aus dem Störungsdienst"
    assert ch["kind"] == "email"

    # the recorded external id is our Message-ID
    assert wait_delivery(api, cid, reply["id"])["external_id"] == ours

    # the customer answers our mail: In-Reply-To and References lead back
    dovecot.append(simple_mail(
        "second-1@example.de", "Re: Stromausfall [#%d]" % cid, "Danke!",
        extra="In-Reply-To: <%s>\r\nReferences: <first-1@example.de> <%s>\r\n" % (ours, ours)))
    # a reply that kept only In-Reply-To (our Message-ID) also finds it
    dovecot.append(simple_mail("third-1@example.de", "Re: Stromausfall", "Noch was.",
                               extra="In-Reply-To: <%s>\r\n" % ours))
    got = wait_incoming(api, "mail", ["second-1@example.de", "third-1@example.de"])
    for mid in ("second-1@example.de", "third-1@example.de"):
        assert got[mid]["conversation_id"] == cid, mid
    assert got["second-1@example.de"]["text"] == "Danke!"
    # a new mail without any of that opens a conversation of its own
    dovecot.append(simple_mail("new-1@example.de", "Andere Frage", "Wann kommt die Rechnung?"))
    new = wait_incoming(api, "mail", ["new-1@example.de"])["new-1@example.de"]
    assert new["conversation_id"] != cid
    # one with only the subject token finds its conversation, though the
    # customer's latest is the new one
    dovecot.append(simple_mail("fourth-1@example.de", "Nachtrag [#%d]" % cid, "Und noch was."))
    fourth = wait_incoming(api, "mail", ["fourth-1@example.de"])["fourth-1@example.de"]
    assert fourth["conversation_id"] == cid
    # a token for a conversation of someone else is not followed
    dovecot.append(simple_mail("fifth-1@example.de", "Frage [#%d]" % cid, "Ich bin wer anders.",
                               sender="Erika Muster <erika@example.de>"))
    fifth = wait_incoming(api, "mail", ["fifth-1@example.de"])["fifth-1@example.de"]
    assert fifth["conversation_id"] not in (cid, new["conversation_id"])

    # a second reply references the root and the customer's latest mail
    status, again = api.post("/api/v1/conversations/%d/messages" % cid, {"text": "Gern."})
    assert status == 201, again
    mails = sink.wait_mails(2, 15)
    assert len(mails) == 2
    second = mails[1]
    assert second["Subject"] == "Re: Stromausfall [#%d]" % cid
    assert second["In-Reply-To"] == "<fourth-1@example.de>"
    assert second["Message-ID"] != mail["Message-ID"]


# -- IDLE and restarts --------------------------------------------------------------

def test_idle_brings_a_mail_without_waiting_for_the_poll(api, dovecot):
    dovecot.append(simple_mail("idle-0@example.de", "Vorher", "Die erste."))
    email_channel(api, dovecot, poll_every_s=60, idle=True)
    wait_incoming(api, "mail", ["idle-0@example.de"])
    # the listener's IDLE session is open (besides no other)
    wait_until(lambda: dovecot.open_sessions() >= 1, 15, 0.1, "an IDLE session")
    time.sleep(0.5)  # let it reach IDLE after SELECT (not an assertion)
    start = time.monotonic()
    dovecot.append(simple_mail("idle-1@example.de", "Während", "Die zweite."))
    wait_incoming(api, "mail", ["idle-1@example.de"], timeout=10)
    assert time.monotonic() - start < 10


def test_restart_loses_no_mail_and_stores_none_twice(make_server, dovecot):
    srv = make_server()
    api = srv.client()
    for i in range(3):
        dovecot.append(simple_mail("r-%d@example.de" % i, "Mail %d" % i, "Text %d" % i))
    email_channel(api, dovecot, max_per_poll=2)
    wait_incoming(api, "mail", ["r-%d@example.de" % i for i in range(3)])
    srv.stop()
    for i in range(3, 6):
        dovecot.append(simple_mail("r-%d@example.de" % i, "Mail %d" % i, "Text %d" % i))
    srv.start()
    api = srv.client()
    wait_incoming(api, "mail", ["r-%d@example.de" % i for i in range(6)])
    # a later mail still comes, and the earlier ones were not stored again
    dovecot.append(simple_mail("r-6@example.de", "Mail 6", "Text 6"))
    got = wait_incoming(api, "mail", ["r-%d@example.de" % i for i in range(7)])
    assert len(got) == 7


def test_wrong_password_shows_in_health_and_stores_nothing(api, dovecot):
    dovecot.append(simple_mail("pw-1@example.de", "x", "y"))
    status, ch = api.post("/api/v1/channels", {
        "kind": "email", "name": "mail",
        "config": {"imap_url": dovecot.url, "address": ADDRESS, "username": dovecot.user,
                   "poll_every_s": 1},
        "secrets": {"password": "falsch"}})
    assert status == 201, ch

    def failing():
        status, got = api.get("/api/v1/channels/%d" % ch["id"])
        health = got.get("health") or {}
        return health if health.get("last_error") else None
    health = wait_until(failing, 15, 0.2, "an error in the channel's health")
    assert "falsch" not in str(health)
    assert incoming(api, "mail") == {}


def test_uidvalidity_change_starts_over_without_duplicates(api, dovecot):
    dovecot.append(simple_mail("uv-1@example.de", "Eins", "1"))
    email_channel(api, dovecot, idle=False)
    wait_incoming(api, "mail", ["uv-1@example.de"])
    # the mailbox's index is lost: Dovecot gives it a new UIDVALIDITY and
    # numbers the same mails anew
    wait_until(lambda: dovecot.open_sessions() <= 0, 10, 0.05, "no open session")
    for f in os.listdir(dovecot.maildir):
        if f.startswith("dovecot"):
            path = os.path.join(dovecot.maildir, f)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    time.sleep(1.1)  # UIDVALIDITY is a time in seconds: make it differ (not an assertion)
    dovecot.append(simple_mail("uv-2@example.de", "Zwei", "2"))
    got = wait_incoming(api, "mail", ["uv-1@example.de", "uv-2@example.de"])
    assert len(got) == 2
    # uv-1 was fetched again under the new UIDVALIDITY and dropped as known
    assert got["uv-2@example.de"]["meta"]["uidvalidity"] != \
        got["uv-1@example.de"]["meta"]["uidvalidity"]


def test_message_ids_are_fresh_per_reply(api, dovecot, sink):
    """Two replies in one conversation get two Message-IDs; each is stable
    for its own retries (derived from the idempotency key)."""
    msgid = make_msgid(domain="example.de").strip("<>")
    dovecot.append(simple_mail(msgid, "Frage", "Hallo?"))
    email_channel(api, dovecot, sink)
    [m] = wait_incoming(api, "mail", [msgid]).values()
    for text in ("Eins", "Zwei"):
        status, body = api.post("/api/v1/conversations/%d/messages" % m["conversation_id"],
                                {"text": text})
        assert status == 201, body
    mails = sink.wait_mails(2, 15)
    assert len({x["Message-ID"] for x in mails}) == 2

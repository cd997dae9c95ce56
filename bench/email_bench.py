#!/usr/bin/env python3
"""email_bench.py: inbound e-mail throughput, IMAP + GMime + ingest.

    CLUETRAIN=build/cluetrain bench/email_bench.py [--mails 10000]

Fills a throwaway Dovecot mailbox (tests/mail/dovecot.sh, loopback only)
with real-shaped mails (plain text with encoded umlaut headers, HTML-only
newsletter replies, multipart/alternative with a small attachment, replies
with quoted history and signatures, Windows-1252 bodies), starts
`cluetrain serve` on a fresh data folder, creates an e-mail channel and
measures the time until every mail is stored as a message. Progress goes to
stderr; stdout gets one JSON object:

    {"email_ingest_mails_per_s": N, "mails": 10000, "seconds": S, "mail_bytes": B, ...}

Every process started here is stopped on exit and the folder removed (unless
BENCH_KEEP=1). Needs dovecot-imapd (scripts/deps.sh test).
"""

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import benchkit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOVECOT_SH = os.path.join(ROOT, "tests", "mail", "dovecot.sh")
SEED = 20261123

FIRST = ["Jürgen", "Bärbel", "Max", "Erika", "Ömer", "Lea", "Walter", "Jane", "Sören", "Anna"]
LAST = ["Müller", "Köhler", "Mustermann", "Weiß", "Schröder", "Leser", "Weber", "Doe", "Groß"]
TOPICS = ["Stromausfall in der Großen Straße", "Abschlag zu hoch", "Zählerstand März",
          "Frage zur Rechnung", "Umzug zum 1. Dezember", "Störung Fernwärme",
          "Glasfaser-Anschluss", "Wasserdruck zu niedrig"]
BODY = ("Guten Tag,\n\nseit heute Morgen um 6:45 Uhr haben wir keinen Strom. Können Sie mir "
        "sagen, wie lange das noch dauert? Die Kühltruhe läuft nicht.\n\nMit freundlichen "
        "Grüßen\n")


def say(msg):
    print("email-bench: %s" % msg, file=sys.stderr, flush=True)


def q_encode(text):
    return "=?UTF-8?B?%s?=" % base64.b64encode(text.encode()).decode()


def headers(i, rnd, subject, extra=""):
    name = "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
    addr = "kunde%d@example.de" % rnd.randrange(2000)
    return ("From: %s <%s>\r\nTo: Stadtwerke <service@stadtwerke.example>\r\n"
            "Subject: %s\r\nDate: Tue, 24 Nov 2026 %02d:%02d:00 +0100\r\n"
            "Message-ID: <bench-%d@example.de>\r\nMIME-Version: 1.0\r\n%s"
            % (q_encode(name), addr, q_encode(subject), 6 + i % 12, i % 60, i, extra))


def mail(i, rnd):
    """One real-shaped mail (bytes); five shapes in turn."""
    subject = rnd.choice(TOPICS)
    shape = i % 5
    if shape == 0:  # plain, quoted-printable
        body = base64.encodebytes(BODY.encode()).decode().replace("\n", "\r\n")
        return (headers(i, rnd, subject) + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + body).encode()
    if shape == 1:  # HTML only
        html = ("<html><head><style>p{color:red}</style></head><body><p>Hallo,</p><p>%s</p>"
                "<p><a href=\"https://stadtwerke.example/tarif\">Tarif</a> &ndash; "
                "Gr&uuml;&szlig;e</p></body></html>" % BODY.replace("\n", "<br>"))
        return (headers(i, rnd, "Re: Newsletter") + "Content-Type: text/html; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + html + "\r\n").encode()
    if shape == 2:  # alternative + attachment
        att = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(20000))).decode()
        return (headers(i, rnd, subject, "Content-Type: multipart/mixed; boundary=o\r\n")
                + "\r\n--o\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + BODY + "\r\n--a\r\n"
                "Content-Type: text/html; charset=utf-8\r\n\r\n<p>" + BODY + "</p>\r\n--a--\r\n"
                "--o\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment; filename=\"foto%d.jpg\"\r\n\r\n" % i
                + att.replace("\n", "\r\n") + "--o--\r\n").encode()
    if shape == 3:  # a reply with quotes and a signature
        quoted = "".join("> %s\r\n" % line for line in BODY.splitlines())
        return (headers(i, rnd, "Re: " + subject,
                        "In-Reply-To: <bench-%d@example.de>\r\nReferences: <bench-%d@example.de>"
                        "\r\n" % (i - 3, i - 3))
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
                "\r\n\r\nDanke für die schnelle Antwort!\r\n\r\n-- \r\nMax\r\n\r\n"
                "Am 24.11.2026 um 08:00 schrieb Stadtwerke <service@stadtwerke.example>:\r\n"
                + quoted).encode()
    return (headers(i, rnd, subject) + "Content-Type: text/plain; charset=windows-1252\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + \
        (BODY + "Abschlag 45 € – „bitte prüfen“\r\n").encode("cp1252")


def fill_maildir(maildir, n):
    """n mails straight into Maildir/new (as Dovecot's delivery would); bytes."""
    rnd = random.Random(SEED)
    new = os.path.join(maildir, "new")
    st = os.stat(new)
    total = 0
    for i in range(1, n + 1):
        data = mail(i, rnd)
        total += len(data)
        path = os.path.join(new, "%d.M%dP1.bench,S=%d" % (1795400000 + i, i, len(data)))
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, st.st_uid, st.st_gid)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=int(os.environ.get("BENCH_EMAILS", "10000")))
    ap.add_argument("--timeout", type=float, default=1800)
    a = ap.parse_args()
    binary = benchkit.binary_or_exit("email-bench")
    top = tempfile.mkdtemp(prefix="cluetrain-email-bench.")
    os.chmod(top, 0o755)  # as root, Dovecot's own users must reach it
    dv, data = os.path.join(top, "dovecot"), os.path.join(top, "data")
    imap_port = benchkit.free_port()
    try:
        subprocess.run([DOVECOT_SH, "start", dv, str(imap_port)], check=True, timeout=60)
        say("filling the mailbox with %d mails" % a.mails)
        size = fill_maildir(os.path.join(dv, "home", "service", "Maildir"), a.mails)
        with benchkit.Server(binary, data, os.path.join(top, "server.log")) as server:
            say("polling")
            t0 = time.monotonic()
            server.request("POST", "/api/v1/channels", {
                "kind": "email", "name": "mail", "secrets": {"password": "geheim"},
                "config": {"imap_url": "imap://127.0.0.1:%d/INBOX" % imap_port,
                           "address": "service@stadtwerke.example",
                           "username": "service", "poll_every_s": 1}})
            db = os.path.join(data, "cluetrain.db")
            count, last = 0, -1
            while count < a.mails and time.monotonic() - t0 < a.timeout:
                time.sleep(0.5)
                count = benchkit.incoming_messages(db)
                if count // 1000 != last // 1000:
                    say("  %d stored" % count)
                last = count
            seconds = time.monotonic() - t0
        print(json.dumps({"email_ingest_mails_per_s": round(count / seconds, 1),
                          "mails": count, "wanted": a.mails, "seconds": round(seconds, 1),
                          "mail_bytes": size, "mails_per_poll": 200,
                          "complete": count >= a.mails}))
    finally:
        subprocess.run([DOVECOT_SH, "stop", dv], timeout=60)
        benchkit.remove_unless_kept(top, say)


if __name__ == "__main__":
    main()

"""Password reset by e-mail: the request always answers 202, the link goes
out through the job queue to a real SMTP server (Postfix's smtp-sink), works
once, not after 30 minutes, and ends every session."""

import re
import time

import pytest

from authkit import Browser, as_json, create_user, login, now_ms, raw_request, db_sql, \
    db_value, strong_password
from smtp_sink import SmtpSink, body_text

PUBLIC_URL = "https://inbox.example.org"
REQUEST = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"


@pytest.fixture
def sink(tmp_path):
    s = SmtpSink(tmp_path / "mail").start()
    yield s
    s.stop()


@pytest.fixture
def mail_server(make_server, sink):
    return make_server(env={"CLUETRAIN_SMTP_URL": sink.url, "CLUETRAIN_PUBLIC_URL": PUBLIC_URL,
                            "CLUETRAIN_SMTP_FROM": "inbox@example.org",
                            "CLUETRAIN_HTTP_PUBLIC_PER_MINUTE": "1000"})


def post(srv, path, body):
    status, headers, raw = raw_request(srv.port, "POST", path, body)
    return status, as_json(raw)


def link_token(mail):
    m = re.search(re.escape(PUBLIC_URL) + r"/reset-password\?token=(\S+)", body_text(mail))
    assert m, body_text(mail)
    return m.group(1)


def request_reset(srv, sink, user):
    """Ask for a reset of user's password; the token of the link that arrives."""
    before = len(sink.mails())
    assert post(srv, REQUEST, {"email": user["email"]})[0] == 202
    mails = sink.wait_mails(before + 1, 15)
    assert len(mails) == before + 1, "no reset mail arrived:\n" + srv.log()[-3000:]
    return link_token(mails[-1])


def test_reset_mail_arrives_and_the_link_works_once(mail_server, sink):
    """202 for a known and an unknown address alike; only the known one gets
    a mail (From smtp.from, To the user, in the user's language) with a link
    under public_url; the token sets a new password once and ends every
    session; a second use is 422 token."""
    srv = mail_server
    u = create_user(srv.client(), "agent", locale="en")
    sessions = [login(srv, u), login(srv, u)]
    unknown = post(srv, REQUEST, {"email": "nobody-at-all@example.org"})
    known = post(srv, REQUEST, {"email": u["email"]})
    assert unknown == known and known[0] == 202, (unknown, known)
    [mail] = sink.wait_mails(1, 15)
    assert mail["To"].addresses[0].addr_spec == u["email"]
    assert mail["From"].addresses[0].addr_spec == "inbox@example.org"
    assert mail["Subject"] == "Reset your cluetrain password"
    assert "30 minutes" in body_text(mail)
    token = link_token(mail)
    time.sleep(0.5)
    assert len(sink.mails()) == 1, "a mail went to the unknown address"
    # the token is stored only as a hash, the queued mail sealed
    for table, col in (("password_resets", "token_hash"), ("jobs", "payload")):
        assert token not in db_value(srv, "SELECT %s FROM %s" % (col, table))
    assert all(s.signed_in() for s in sessions)
    new = strong_password()
    status, body = post(srv, CONFIRM, {"token": token, "password": new})
    assert status == 200, body
    assert not any(s.signed_in() for s in sessions)
    Browser(srv.port).login(u["email"], new)
    Browser(srv.port).login(u["email"], u["password"], expect=401)
    status, body = post(srv, CONFIRM, {"token": token, "password": strong_password()})
    assert status == 422 and body["error"]["field"] == "token"
    Browser(srv.port).login(u["email"], new)


def test_reset_mail_in_german(mail_server, sink):
    """A user with locale de gets the mail in German."""
    u = create_user(mail_server.client(), "agent", locale="de")
    request_reset(mail_server, sink, u)
    assert sink.mails()[-1]["Subject"] == "Ihr cluetrain-Passwort zurücksetzen"


def test_reset_confirm_checks_the_password_and_the_token(mail_server, sink):
    """A weak new password is 422 password and leaves the token usable; an
    unknown token is 422 token; a missing one 422."""
    srv = mail_server
    u = create_user(srv.client(), "agent")
    token = request_reset(srv, sink, u)
    status, body = post(srv, CONFIRM, {"token": token, "password": "password1234"})
    assert status == 422 and body["error"]["field"] == "password"
    status, body = post(srv, CONFIRM, {"token": "ct_" + "x" * 43, "password": strong_password()})
    assert status == 422 and body["error"]["field"] == "token"
    status, body = post(srv, CONFIRM, {"password": strong_password()})
    assert status == 422 and body["error"]["field"] == "token"
    assert post(srv, CONFIRM, {"token": token, "password": strong_password()})[0] == 200


def test_reset_link_expires_after_30_minutes(mail_server, sink):
    """A link is valid for 30 minutes: the stored expiry is 30 min after the
    request; moved into the past (the clock cannot be turned), the token is
    refused (422 token) and the password stays."""
    srv = mail_server
    u = create_user(srv.client(), "agent")
    token = request_reset(srv, sink, u)
    created, expires = [int(x) for x in db_value(
        srv, "SELECT created_at, expires_at FROM password_resets WHERE user_id = %d"
        % u["id"]).split("|")]
    assert expires - created == 30 * 60 * 1000
    db_sql(srv, "UPDATE password_resets SET expires_at = %d WHERE user_id = %d"
           % (now_ms() - 1, u["id"]))
    status, body = post(srv, CONFIRM, {"token": token, "password": strong_password()})
    assert status == 422 and body["error"]["field"] == "token"
    Browser(srv.port).login(u["email"], u["password"])


def test_disabled_user_gets_no_reset_mail(mail_server, sink):
    """A disabled account is treated like an unknown address: 202, no mail."""
    srv = mail_server
    api = srv.client()
    u, v = create_user(api, "agent"), create_user(api, "agent")
    assert api.patch("/api/v1/users/%d" % u["id"], {"active": False})[0] == 200
    assert post(srv, REQUEST, {"email": u["email"]})[0] == 202
    request_reset(srv, sink, v)  # a later mail arrives; the disabled user's did not
    assert [m["To"].addresses[0].addr_spec for m in sink.mails()] == [v["email"]]

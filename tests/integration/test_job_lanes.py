"""Job lanes (src/jobs/worker.c): a channel's poll runs on its own thread, so
a poll that hangs on a slow server does not hold up a reply on another
channel. The fake Mastodon holds its notification polls until the test
releases them, so nothing here depends on timing: with one worker thread
for every kind, the reply would wait for the release.
"""

import pytest

import fake_telegram
from channelkit import create_channel, health, polls, send_reply, wait_delivery, wait_incoming
from fake_mastodon import FakeMastodon


MASTODON_TOKEN = "test-mastodon-token"
BOT_TOKEN = "123456:TEST-token"
SECRET = "tg-webhook-secret-0123"
ERIKA = fake_telegram.user(5551, "Erika")


@pytest.fixture
def masto():
    with FakeMastodon(token=MASTODON_TOKEN) as m:
        try:
            yield m
        finally:
            m.release_polls()  # before the server stops: its poll must end


@pytest.fixture
def bot():
    with fake_telegram.FakeBotAPI(token=BOT_TOKEN) as b:
        yield b


def telegram_conversation(api, server, bot, ch):
    """A customer's message on the Telegram channel (by webhook, no poll);
    the stored message."""
    sender = fake_telegram.TelegramUpdateSender(secret_token=SECRET)
    update = sender.text_update(ERIKA, "Wann kommt der Strom?")
    bot.known_message(update["message"])
    d = sender.deliver("http://127.0.0.1:%d%s" % (server.port, ch["webhook_path"]), update)
    assert d.status == 200, d.body
    ext = "%d:%d" % (update["message"]["chat"]["id"], update["message"]["message_id"])
    return wait_incoming(api, "telegram", [ext])[ext]


def test_hanging_poll_does_not_hold_up_a_reply(make_server, masto, bot):
    # A poll may take up to jobs.timeout_s: far longer than the test waits.
    server = make_server(env={"CLUETRAIN_JOBS_TIMEOUT_S": "120"})
    api = server.client()
    masto.hold_polls()
    social = create_channel(api, "mastodon", "social", masto,
                            {"access_token": MASTODON_TOKEN})
    assert masto.wait_for(lambda f: f.polls_held == 1, 15), "the poll did not start"

    tg = create_channel(api, "telegram", "telegram", bot,
                        {"bot_token": BOT_TOKEN, "webhook_secret": SECRET})
    got = telegram_conversation(api, server, bot, tg)
    r = send_reply(api, got["conversation_id"], "Gegen 9 Uhr ist er wieder da.")
    wait_delivery(api, r["conversation_id"], r["id"], timeout=15)
    assert [s["message"]["text"] for s in bot.sent] == ["Gegen 9 Uhr ist er wieder da."]
    assert masto.polls_held == 1, "the poll was still hanging meanwhile"
    assert polls(masto, "poll_notifications") == []

    kim = masto.account("301", "kim", display_name="Kim Kunde")
    masto.add_mention("2001", "Strom weg?", kim)
    masto.release_polls()
    got = wait_incoming(api, "social", ["2001"])
    assert got["2001"]["author"]["name"] == "Kim Kunde"
    assert polls(masto, "poll_notifications")[0].status == 200
    assert health(api, social["id"])["status"] == "ok"

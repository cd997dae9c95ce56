"""The "telegram" channel against tests/fakes/fake_telegram.py: Updates from
TelegramUpdateSender at /hooks/telegram/<channel id> with the secret token
header become conversations per chat; a wrong or missing token is 401 and
stores nothing; a repeated Update is stored once; replies go through the
fake Bot API's sendMessage as replies to the customer's message, flood
control (429 with retry_after) is waited out, and the bot token never shows
in an error.
"""

import json

import pytest

import fake_telegram
from harness import wait_until
from channelkit import (create_channel, health, incoming, send_reply,
                        wait_delivery, wait_incoming)


BOT_TOKEN = "123456:TEST-token"
SECRET = "tg-webhook-secret-0123"


@pytest.fixture
def bot():
    with fake_telegram.FakeBotAPI(token=BOT_TOKEN) as b:
        yield b


@pytest.fixture
def sender():
    return fake_telegram.TelegramUpdateSender(secret_token=SECRET)


def telegram_channel(api, bot, name="telegram", token=BOT_TOKEN):
    return create_channel(api, "telegram", name, bot,
                          {"bot_token": token, "webhook_secret": SECRET})


def deliver(sender, server, ch, update, secret="valid"):
    assert ch["webhook_path"] == "/hooks/telegram/%d" % ch["id"]
    d = sender.deliver("http://127.0.0.1:%d%s" % (server.port, ch["webhook_path"]), update,
                       secret=secret)
    return d.status, (json.loads(d.body) if d.body else None)


ERIKA = fake_telegram.user(5551, "Erika", username="erika_m", last_name="Muster")
ALI = fake_telegram.user(5552, "Ali")
GROUP = fake_telegram.group_chat(-1001234567890, "Nachbarschaft Nord")


def test_private_and_group_messages_become_conversations(api, server, bot, sender):
    """Messages of one chat share a conversation; the author has name and
    username; a group is its own conversation; an edit of a stored message
    and other kinds of Update store nothing."""
    ch = telegram_channel(api, bot)
    first = sender.text_update(ERIKA, "Strom weg in der Nordstraße?")
    assert deliver(sender, server, ch, first) == (200, {"ok": True, "stored": 1,
                                             "duplicates": 0})
    second = sender.text_update(ERIKA, "Seit 6:45 Uhr.")
    in_group = sender.text_update(ALI, "Bei uns auch", chat=GROUP)
    deliver(sender, server, ch, second)
    deliver(sender, server, ch, in_group)
    edited = {"update_id": sender.next_update_id,
              "edited_message": dict(first["message"], text="geändert", edit_date=1)}
    callback = {"update_id": sender.next_update_id + 1,
                "callback_query": {"id": "77", "from": ERIKA, "data": "x"}}
    assert deliver(sender, server, ch, edited)[1] == {"ok": True, "stored": 0, "duplicates": 1}
    assert deliver(sender, server, ch, callback)[1] == {"ok": True, "stored": 0,
                                             "duplicates": 0}
    erika_ids = ["5551:%d" % u["message"]["message_id"] for u in (first, second)]
    group_id = "%d:%d" % (GROUP["id"], in_group["message"]["message_id"])
    got = wait_incoming(api, "telegram", erika_ids + [group_id])
    assert len(got) == 3
    a, b = (got[i] for i in erika_ids)
    assert a["text"] == "Strom weg in der Nordstraße?" and b["text"] == "Seit 6:45 Uhr."
    assert a["author"]["name"] == "Erika Muster"
    assert a["conversation_id"] == b["conversation_id"]
    assert got[group_id]["conversation_id"] != a["conversation_id"]
    assert got[group_id]["author"]["name"] == "Ali"
    assert got[group_id]["meta"]["chat_type"] == "supergroup"
    assert health(api, ch["id"])["status"] == "ok"


@pytest.mark.parametrize("secret", ["wrong", "missing"])
def test_wrong_or_missing_secret_token_is_401(api, server, bot, sender, secret):
    ch = telegram_channel(api, bot)
    status, body = deliver(sender, server, ch, sender.text_update(ERIKA, "x"), secret=secret)
    assert status == 401, body
    assert SECRET not in json.dumps(body)
    assert incoming(api, "telegram") == {}
    assert "X-Telegram-Bot-Api-Secret-Token" in health(api, ch["id"])["last_error"]


def test_repeated_update_is_stored_once(api, server, bot, sender):
    """Telegram repeats an Update its webhook did not acknowledge."""
    ch = telegram_channel(api, bot)
    update = sender.text_update(ERIKA, "Zweimal?")
    assert deliver(sender, server, ch, update)[1]["stored"] == 1
    assert deliver(sender, server, ch, update) == (200, {"ok": True, "stored": 0,
                                              "duplicates": 1})
    assert list(incoming(api, "telegram")) == ["5551:%d" % update["message"]["message_id"]]


def test_not_an_update_is_refused(api, server, bot, sender):
    ch = telegram_channel(api, bot)
    status, body = deliver(sender, server, ch, {"hello": "world"})
    assert status in (400, 422) and body["error"]["code"] == "invalid", body


# -- replies --------------------------------------------------------------------------

def start(api, server, bot, sender, ch, text="Wann kommt der Strom?", chat=None):
    update = sender.text_update(ERIKA, text, chat=chat)
    bot.known_message(update["message"])
    deliver(sender, server, ch, update)
    msg = update["message"]
    ext = "%d:%d" % (msg["chat"]["id"], msg["message_id"])
    return wait_incoming(api, "telegram", [ext])[ext], msg


def test_reply_is_sent_as_a_reply_to_the_message(api, server, bot, sender):
    ch = telegram_channel(api, bot)
    got, msg = start(api, server, bot, sender, ch, chat=GROUP)
    r = send_reply(api, got["conversation_id"], "Gegen 9 Uhr ist er wieder da.")
    sent = wait_delivery(api, r["conversation_id"], r["id"])
    [s] = bot.sent
    assert s["message"]["chat"]["id"] == GROUP["id"]
    assert s["message"]["text"] == "Gegen 9 Uhr ist er wieder da."
    assert s["reply_to"] == (GROUP["id"], msg["message_id"])
    assert s["message"]["reply_to_message"]["message_id"] == msg["message_id"]
    assert sent["external_id"] == "%d:%d" % (GROUP["id"], s["message"]["message_id"])
    [call] = [c for c in bot.calls if c.method == "sendMessage"]
    assert call.path == "/bot%s/sendMessage" % BOT_TOKEN


def test_flood_control_is_waited_out(api, server, bot, sender):
    """429 with parameters.retry_after = 1: the next try comes at least a
    second later (the job backoff alone would be 0.1 s); sent once."""
    ch = telegram_channel(api, bot)
    got, _ = start(api, server, bot, sender, ch)
    bot.flood_first(1, retry_after=1)
    r = send_reply(api, got["conversation_id"], "Moment bitte.")
    wait_delivery(api, r["conversation_id"], r["id"])
    calls = [c for c in bot.calls if c.method == "sendMessage"]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.95
    assert len(bot.sent) == 1


def test_server_errors_then_sent_once(api, server, bot, sender):
    ch = telegram_channel(api, bot)
    got, _ = start(api, server, bot, sender, ch)
    bot.fail_first(2)
    r = send_reply(api, got["conversation_id"], "Noch einmal.")
    wait_delivery(api, r["conversation_id"], r["id"])
    assert [c.status for c in bot.calls if c.method == "sendMessage"] == [500, 500, 200]
    assert len(bot.sent) == 1


def test_wrong_bot_token_fails_without_showing_it(api, server, bot, sender):
    ch = telegram_channel(api, bot, token="999:WRONG-secret-token")
    got, _ = start(api, server, bot, sender, ch)
    r = send_reply(api, got["conversation_id"], "Hallo")
    failed = wait_delivery(api, r["conversation_id"], r["id"], state="failed")
    assert "401" in failed["delivery_error"]
    assert "WRONG-secret-token" not in failed["delivery_error"]
    wait_until(lambda: bot.calls, 5, 0.05, "a call")
    assert bot.sent == []

"""The channel settings routes: list, create, change config."""

import pytest

from harness import message


def test_channel_list_after_init(api):
    """init creates one channel, "api" of kind api, id 1, with an empty config."""
    status, body = api.get("/api/v1/channels")
    assert status == 200
    [ch] = body["data"]
    assert (ch["id"], ch["name"], ch["kind"], ch["config"]) == (1, "api", "api", {})
    assert ch["created_at"].endswith("Z")


def test_create_channel_and_ingest_into_it(api):
    """A created channel is listed and takes messages by its name."""
    status, ch = api.post("/api/v1/channels", {"kind": "api", "name": "shop",
                                               "config": {"webhook_url": "http://127.0.0.1:9/x"}})
    assert status == 201, ch
    assert ch["name"] == "shop" and ch["config"]["webhook_url"] == "http://127.0.0.1:9/x"
    names = [c["name"] for c in api.get("/api/v1/channels")[1]["data"]]
    assert names == ["api", "shop"]
    [r] = api.ingest(message("s-1", channel="shop"))
    assert api.conversation(r["conversation_id"])["channel"]["id"] == ch["id"]


@pytest.mark.parametrize("body,status,field", [
    ({"kind": "api", "name": "api"}, 409, "name"),
    ({"kind": "telepathy", "name": "x"}, 422, "kind"),
    ({"name": "x"}, 422, "kind"),
    ({"kind": "api", "name": ""}, 422, "name"),
    ({"kind": "api", "name": "n" * 65}, 422, "name"),
    ({"kind": "api", "name": "x", "config": []}, 422, "config"),
    ({"kind": "api", "name": "x", "config": {"webhook_url": "gopher://x"}}, 422,
     "config.webhook_url"),
])
def test_bad_channel_is_rejected(api, body, status, field):
    """A duplicate name is 409, a bad kind, name or config 422 naming the field; nothing is
    created."""
    got, res = api.post("/api/v1/channels", body)
    assert got == status, res
    assert res["error"]["field"] == field
    assert len(api.get("/api/v1/channels")[1]["data"]) == 1


def test_patch_channel_config(api):
    """PATCH replaces the config; an unknown channel is 404; config (or secrets) is
    required and other fields are refused."""
    status, ch = api.patch("/api/v1/channels/1", {"config": {"webhook_url": "https://x.example/h"}})
    assert status == 200 and ch["config"] == {"webhook_url": "https://x.example/h"}
    status, ch = api.patch("/api/v1/channels/1", {"config": {}})
    assert status == 200 and ch["config"] == {}
    assert api.patch("/api/v1/channels/99", {"config": {}})[0] == 404
    assert api.patch("/api/v1/channels/abc", {"config": {}})[0] == 404
    status, res = api.patch("/api/v1/channels/1", {"name": "renamed"})
    assert status == 422 and res["error"]["field"] == "name"  # unknown field, not ignored
    status, res = api.patch("/api/v1/channels/1", {})
    assert status == 422 and res["error"]["field"] == "config"


def test_channel_routes_need_the_right_role(server):
    """Listing needs admin or supervisor; creating and changing need admin."""
    sup = server.client(server.add_token("sup", "supervisor"))
    agent = server.client(server.add_token("agent", "agent"))
    assert sup.get("/api/v1/channels")[0] == 200
    assert agent.get("/api/v1/channels")[0] == 403
    assert sup.post("/api/v1/channels", {"kind": "api", "name": "x"})[0] == 403
    assert sup.patch("/api/v1/channels/1", {"config": {}})[0] == 403
    assert server.client().get("/api/v1/channels")[1]["data"][0]["config"] == {}

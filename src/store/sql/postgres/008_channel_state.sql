-- 008_channel_state.sql: how each channel's connection fares, and what was
-- done to a platform's message (the same tables and columns as
-- sql/sqlite/008_channel_state.sql).

-- One row per channel that has been polled or has received a webhook.
-- cursor is the adapter's poll position (JSON), written after the messages
-- it covers are stored, so a failed poll or a restart resumes from there.
-- wait_until: the platform asked to be left alone until then (rate limit).
CREATE TABLE channel_state (
  channel_id BIGINT PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
  cursor TEXT,
  next_poll_at BIGINT NOT NULL DEFAULT 0,
  last_ok_at BIGINT,
  last_error TEXT,
  last_error_at BIGINT,
  wait_until BIGINT NOT NULL DEFAULT 0
);

-- A message shared (boosted, reposted) or hidden on its platform.
ALTER TABLE messages ADD COLUMN shared_at BIGINT;
ALTER TABLE messages ADD COLUMN hidden_at BIGINT;

-- A channel's health counts its replies waiting or failed (queued, failed):
-- without this, counting them read every message of the channel.
CREATE INDEX messages_outbound_state ON messages(channel_id, delivery_state)
  WHERE direction = 'out';

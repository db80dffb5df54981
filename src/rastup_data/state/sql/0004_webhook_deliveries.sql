-- Webhook deliveries seen, for replay refusal: a (provider, delivery id, signing time)
-- seen twice is a replay. Rows expire a while after the timestamp tolerance has passed,
-- when the signature check alone refuses the delivery.

CREATE TABLE webhook_deliveries (
    provider TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (provider, delivery_id, signed_at)
);

CREATE INDEX webhook_deliveries_expiry ON webhook_deliveries (expires_at);

-- Claims lease at most a few deliveries per endpoint at a time (one hanging endpoint must not
-- take every sending slot). Per endpoint they look up the oldest due deliveries and count the
-- live leases; both are index probes instead of scans of the whole queue, which a hanging
-- endpoint can make long. Additive only: an older instance keeps working beside a newer one.
CREATE INDEX webhook_deliveries_due_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased_by_endpoint ON webhook_deliveries (endpoint_id, locked_until)
    WHERE locked_until IS NOT NULL;

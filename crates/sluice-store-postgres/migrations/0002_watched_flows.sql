-- The settlement tracker polls flows whose source transaction is in flight.
CREATE INDEX flows_watched ON flows (updated_at)
    WHERE execution_state IN ('broadcasted', 'source_detected');

-- Facades cache authentication answers (token → platform, parties, limits) while they watch for changes
-- (CredentialsService.WatchAuthChanges). Every write that can change such an answer notifies `hub_auth_changes`,
-- whichever code path or operator made it. Liveness bookkeeping (last heard, next check) changes no answer.

CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hub_auth_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER hub_tokens_auth_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hub_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER parties_auth_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON parties
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER party_limits_auth_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON party_limits
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER platforms_auth_change_insert_delete AFTER INSERT OR DELETE OR TRUNCATE ON platforms
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER platforms_auth_change AFTER UPDATE ON platforms
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_heard_time' - 'next_alive_check_time' - 'update_time')
          IS DISTINCT FROM (to_jsonb(NEW) - 'last_heard_time' - 'next_alive_check_time' - 'update_time'))
    EXECUTE FUNCTION notify_auth_change();

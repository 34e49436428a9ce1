-- Address ranges an operator denies (hubctl denylist): facades refuse them before any token lookup. A change is
-- announced on hub_auth_changes like any other change to who may call, so every facade reloads the list at once.
CREATE TABLE denied_networks (
    network      cidr PRIMARY KEY,
    reason       text NOT NULL DEFAULT '',
    created_by   text NOT NULL DEFAULT '',
    create_time  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER denied_networks_auth_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON denied_networks
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();

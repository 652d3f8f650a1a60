CREATE OR REPLACE VIEW settings_keys AS SELECT key FROM settings;

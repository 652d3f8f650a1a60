CREATE TABLE public.__diesel_schema_migrations (
    version character varying(50) NOT NULL,
    run_on timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

INSERT INTO public.__diesel_schema_migrations VALUES ('20240101120000', '2026-12-07 23:42:05.796837');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240102120000', '2026-12-07 23:42:05.801187');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240103120000', '2026-12-07 23:42:05.805502');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240104120000', '2026-12-07 23:42:05.809807');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240105120000', '2026-12-07 23:42:05.811651');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240106120000', '2026-12-07 23:42:05.818107');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240107120000', '2026-12-07 23:42:05.818644');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240108120000', '2026-12-07 23:42:05.820471');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240109120000', '2026-12-07 23:42:05.82227');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240110120000', '2026-12-07 23:42:05.822929');
INSERT INTO public.__diesel_schema_migrations VALUES ('20240111120000', '2026-12-07 23:42:05.824454');

ALTER TABLE ONLY public.__diesel_schema_migrations
    ADD CONSTRAINT __diesel_schema_migrations_pkey PRIMARY KEY (version);


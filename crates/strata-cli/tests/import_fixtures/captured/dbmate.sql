CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);

INSERT INTO public.schema_migrations VALUES ('20240101120000');
INSERT INTO public.schema_migrations VALUES ('20240102120000');
INSERT INTO public.schema_migrations VALUES ('20240103120000');
INSERT INTO public.schema_migrations VALUES ('20240104120000');
INSERT INTO public.schema_migrations VALUES ('20240105120000');
INSERT INTO public.schema_migrations VALUES ('20240106120000');
INSERT INTO public.schema_migrations VALUES ('20240107120000');
INSERT INTO public.schema_migrations VALUES ('20240108120000');
INSERT INTO public.schema_migrations VALUES ('20240109120000');
INSERT INTO public.schema_migrations VALUES ('20240110120000');
INSERT INTO public.schema_migrations VALUES ('20240111120000');

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


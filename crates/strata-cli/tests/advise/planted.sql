-- A schema with the design problems `strata advise` looks for, planted on purpose.
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  customer_name text NOT NULL,
  customer_email text NOT NULL,
  zip text NOT NULL,
  city text NOT NULL,
  state text NOT NULL,
  tags text NOT NULL,
  phone1 text NOT NULL, phone2 text, phone3 text,
  attrs jsonb NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_zip_idx ON orders (zip);
CREATE INDEX orders_zip_idx2 ON orders (zip);
INSERT INTO customers (name, email) SELECT 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 200) g;
INSERT INTO orders (customer_id, customer_name, customer_email, zip, city, state, tags, phone1, phone2, phone3, attrs)
SELECT c, 'customer ' || c, 'c' || c || '@example.com', lpad(z::text, 5, '0'), 'city ' || z, 'S' || (z % 20),
  (ARRAY['red','green','blue','small','large','sale','new'])[1 + g % 7]
    || CASE WHEN g % 11 > 3 THEN ',' || (ARRAY['used','gift','bulk'])[1 + g % 13 % 3] ELSE '' END
    || CASE WHEN g % 17 = 0 THEN ',promo' ELSE '' END,
  '555-' || g, CASE WHEN g % 2 = 0 THEN '556-' || g END, NULL,
  jsonb_build_object('source', (ARRAY['web','app','phone'])[1 + g % 3], 'weight', g % 17, 'gift', g % 2 = 0)
    || CASE WHEN g % 7 = 0 THEN '{"note": "x"}'::jsonb ELSE '{}'::jsonb END
FROM (SELECT g, 1 + (g * 7919) % 200 AS c, (g * 31) % 150 AS z FROM generate_series(1, 3000) g) s;
CREATE TABLE line_items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id int NOT NULL REFERENCES orders, qty int NOT NULL);
INSERT INTO line_items (order_id, qty) SELECT 1 + g % 3000, 1 + g % 4 FROM generate_series(1, 5000) g;
CREATE TABLE payments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id int NOT NULL, amount double precision NOT NULL, paid_at timestamp NOT NULL);
INSERT INTO payments (order_id, amount, paid_at) SELECT 1 + g * 3 % 3000, g * 1.25, '2026-01-01'::timestamp + g * interval '1 minute' FROM generate_series(1, 1200) g;
SELECT setval('orders_id_seq', 1932735283);
ANALYZE;

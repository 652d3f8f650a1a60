-- A well-designed schema: keys, types, constraints and indexes as advise would have them.
SELECT setseed(0.16);
CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL
);
CREATE TABLE products (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  price numeric(12,2) NOT NULL CHECK (price >= 0)
);
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
  total numeric(12,2) NOT NULL,
  placed_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE TABLE order_lines (
  order_id bigint NOT NULL REFERENCES orders,
  line_no int NOT NULL,
  product_id bigint NOT NULL REFERENCES products,
  quantity int NOT NULL CHECK (quantity > 0),
  unit_price numeric(12,2) NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_product_id_idx ON order_lines (product_id);
INSERT INTO customers (email, name) SELECT 'c' || g || '@example.com', 'Customer ' || g FROM generate_series(1, 300) g;
INSERT INTO products (name, price) SELECT 'product ' || g, (random() * 100)::numeric(12,2) FROM generate_series(1, 50) g;
INSERT INTO orders (customer_id, status, total, placed_at)
SELECT 1 + floor(random() * 300)::int, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + floor(random() * 4)::int],
       (random() * 500)::numeric(12,2), now() - random() * interval '365 days'
FROM generate_series(1, 3000);
INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price)
SELECT o, l, 1 + floor(random() * 50)::int, 1 + floor(random() * 5)::int, (random() * 100)::numeric(12,2)
FROM generate_series(1, 3000) o, generate_series(1, 3) l;
ANALYZE;

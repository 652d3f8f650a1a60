-- strata:message create products
-- strata:revises 20261101090000

-- strata:up
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
INSERT INTO products (sku, name, price_cents) VALUES ('MUG-01', 'Mug', 1200), ('TEE-01', 'T-shirt', 2500);

-- strata:down
DROP TABLE products;

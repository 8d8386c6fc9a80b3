-- One database per Postgres-backed service, as on RDS and in `make run` (infra/local/stack.py).
-- The postgres image runs this once, on an empty volume; each service's `migrate` one-shot
-- then creates its own tables. "order" is a reserved word, hence the quotes.
CREATE DATABASE auth;
CREATE DATABASE catalog;
CREATE DATABASE "order";

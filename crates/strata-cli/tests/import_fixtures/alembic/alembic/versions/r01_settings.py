"""settings

Revision ID: r01
Revises: None
"""
from alembic import op

revision = 'r01'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("-- Settings: key/value pairs; the first migration has no down.\nCREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);\nINSERT INTO settings VALUES ('a;b', 'it''s; fine'), ('c', $$dollar; quoted$$);\n")


def downgrade() -> None:
    pass

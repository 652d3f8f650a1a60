"""more settings

Revision ID: r09
Revises: r06
"""
from alembic import op

revision = 'r09'
down_revision = 'r06'
branch_labels = ('data',)
depends_on = 'r02'


def upgrade() -> None:
    op.execute("INSERT INTO settings (key, value) VALUES ('semi;colon', E'line1;\\nline2'), ('quote', 'it''s');\n")


def downgrade() -> None:
    op.execute("DELETE FROM settings WHERE key IN ('semi;colon', 'quote');\n")

"""create users

Revision ID: r02
Revises: r01
"""
from alembic import op

revision = 'r02'
down_revision = 'r01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('-- The people who post.\nCREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\n')


def downgrade() -> None:
    op.execute('DROP TABLE users;\n')

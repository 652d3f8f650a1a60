"""touch function

Revision ID: r04
Revises: r03
"""
from alembic import op

revision = 'r04'
down_revision = 'r03'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$\nBEGIN\n    NEW.updated_at := now(); -- a semicolon; inside\n    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n')


def downgrade() -> None:
    op.execute('DROP FUNCTION touch_updated_at();\n')

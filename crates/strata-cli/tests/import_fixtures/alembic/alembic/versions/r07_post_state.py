"""post state

Revision ID: r07
Revises: r06
"""
from alembic import op

revision = 'r07'
down_revision = 'r06'
branch_labels = ('states',)
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TYPE post_state AS ENUM ('draft', 'published');\nALTER TABLE posts ADD COLUMN state post_state NOT NULL DEFAULT 'draft';\n")


def downgrade() -> None:
    op.execute('ALTER TABLE posts DROP COLUMN state;\nDROP TYPE post_state;\n')

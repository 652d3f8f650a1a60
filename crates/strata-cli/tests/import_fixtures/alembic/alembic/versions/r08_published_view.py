"""published view

Revision ID: r08
Revises: r07
"""
from alembic import op

revision = 'r08'
down_revision = 'r07'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE VIEW published_posts AS\n    SELECT id, user_id FROM posts WHERE state = 'published';\n")


def downgrade() -> None:
    op.execute('DROP VIEW published_posts;\n')

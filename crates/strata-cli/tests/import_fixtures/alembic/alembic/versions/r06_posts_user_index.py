"""posts user index

Revision ID: r06
Revises: r05
"""
from alembic import op

revision = 'r06'
down_revision = 'r05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute('CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id)')


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute('DROP INDEX CONCURRENTLY posts_user_id_idx')

"""merge branches

Revision ID: r10
Revises: ('r08', 'r09')
"""
from alembic import op

revision = 'r10'
down_revision = ('r08', 'r09')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

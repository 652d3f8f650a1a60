"""create posts

Revision ID: r03
Revises: r02
"""
from alembic import op

revision = 'r03'
down_revision = 'r02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE posts (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    user_id bigint NOT NULL REFERENCES users (id),\n    body text NOT NULL DEFAULT ';'\n);\n")


def downgrade() -> None:
    op.execute('DROP TABLE posts;\n')

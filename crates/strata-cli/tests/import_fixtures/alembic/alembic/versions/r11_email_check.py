"""email check

Revision ID: r11
Revises: r10
"""
from alembic import op

revision = 'r11'
down_revision = 'r10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("COMMENT ON TABLE users IS 'people; who post';\nALTER TABLE users ADD CONSTRAINT users_email_check CHECK (position('@' in email) > 0);\n")


def downgrade() -> None:
    op.execute('ALTER TABLE users DROP CONSTRAINT users_email_check;\nCOMMENT ON TABLE users IS NULL;\n')

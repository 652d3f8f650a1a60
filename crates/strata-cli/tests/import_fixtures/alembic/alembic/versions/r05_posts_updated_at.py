"""posts updated at

Revision ID: r05
Revises: r04
"""
from alembic import op

revision = 'r05'
down_revision = 'r04'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('ALTER TABLE posts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();\nCREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();\n')


def downgrade() -> None:
    op.execute('DROP TRIGGER posts_touch ON posts;\nALTER TABLE posts DROP COLUMN updated_at;\n')

"""task closed_at index: the minute's check finds call-backs closed late with no breach recorded

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_closed_at", "tasks", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_closed_at", table_name="tasks")
